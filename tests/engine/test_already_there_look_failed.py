"""A send refused as "already there" whose look is then rate limited, refused its credentials or
fails for now (DESIGN.md, "Exactly once is the promise"; "Connectors never sleep or retry").

After a create whose answer was lost, a look that missed the post (X's timeline lags) and a send
again that X refuses as a duplicate (403), the post is there and is looked for at once. That look
is handled as reconcile's own look: rate limited → the account is held and the post is looked for
after the limit (a look that was never allowed is not a look that missed it, so it can neither
count toward nor end the policy's hours of looking); credentials refused → the account pauses with
the alert that says to fix its secrets; a failure for now → looked for again soon. Never sent blind.

Against the X fake over HTTP and the real database (SQLite file; PostgreSQL in the second leg);
time is the test clock.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from campaigner.models import AccountStatus
from campaigner.models import DeliveryStatus as S
from scheduler.engine import RECONCILE_DELAY
from scheduler.policy import RetryPolicy
from tests.conftest import T0
from tests.engine.conftest import account, alerts, deliveries
from tests.engine.test_already_there_refused import DUPLICATE
from tests.engine.test_reconcile_refused import TEXT
from tests.fakes import x as x_fake
from tests.fakes.server import Failure, Response

#: what is stored before the look in question: the lost create, the look that missed, the duplicate
BEFORE = [("publish", "unknown", None), ("reconcile", "not_found", None), ("publish", "already_published", 403)]


def _already_there_then(cli, engine_for, platform_account, answer: Response, **engine):
    """A lost X create, a look that misses it (the timeline lags 7 minutes), a send again refused as
    a duplicate, and the look that follows answered with ``answer``; the engine and the fake."""
    fake = platform_account("x", "x1")
    fake.timeline_lag = timedelta(minutes=7)
    timeline = f"/2/users/{fake.USER_ID}/tweets"
    cli.ok("post", "add", TEXT, "--to", "x1", "--now")
    fake.fail_next(Failure.DROP_AFTER, path_contains="/2/tweets")
    e = engine_for(**engine)
    assert e.run_pass().unconfirmed == [1]

    def answer_the_look_after_a_send(req) -> None:
        if req.method == "POST" and req.path == "/2/tweets":
            fake.on_request = None
            fake.fail_next(answer, path_contains=timeline)
    fake.on_request = answer_the_look_after_a_send
    cli.clock.advance(seconds=RECONCILE_DELAY.total_seconds())
    return fake, e, timeline


@pytest.mark.parametrize("look_for", [RetryPolicy().look_for, timedelta(seconds=30)],
                         ids=["within the hours of looking", "the hours of looking already passed"])
def test_a_rate_limited_look_holds_the_account_and_looks_after_the_limit(look_for, cli, engine_for, engine,
                                                                         platform_account):
    reset = T0 + timedelta(minutes=15)
    limited = Response(429, dict(x_fake.TOO_MANY), {"x-rate-limit-limit": "900", "x-rate-limit-remaining": "0",
                                                    "x-rate-limit-reset": str(int(reset.timestamp()))})
    fake, e, timeline = _already_there_then(cli, engine_for, platform_account, limited,
                                            policy=RetryPolicy(max_attempts=3, look_for=look_for))
    assert e.run_pass().held == [1]
    [posted] = fake.posts()
    [d] = deliveries(engine)
    # held until the limit ends, not looked for again in 30 s, no person asked
    assert d.status == S.UNCONFIRMED and d.next_attempt_at == reset
    assert d.last_error == "rate limited until 2026-11-30 08:15 WIB"
    assert account(engine, "x1").held_until == reset
    assert [(a.kind, a.outcome, a.http_status) for a in d.attempts] == BEFORE  # the refused look is not a look
    assert d.attempts[2].error == DUPLICATE and alerts(engine) == []
    looks = len(fake.calls("GET", timeline))
    cli.clock.now = reset - timedelta(minutes=1)
    assert e.run_pass().handled == 0 and len(fake.calls("GET", timeline)) == looks
    cli.clock.now = reset
    assert e.run_pass().published == [1]
    [d] = deliveries(engine)
    assert d.remote_id == posted and d.published_at == T0 and d.last_error is None
    assert [(a.kind, a.outcome, a.http_status) for a in d.attempts] == BEFORE + [("reconcile", "found", None)]
    assert fake.create_count() == 1 and alerts(engine) == []


def test_refused_credentials_on_the_look_pause_the_account_and_never_send_blind(cli, engine_for, engine,
                                                                                platform_account):
    fake, e, timeline = _already_there_then(cli, engine_for, platform_account,
                                            Response(401, dict(x_fake.UNAUTHORIZED)))
    assert e.run_pass().held == [1]
    [posted] = fake.posts()
    [d] = deliveries(engine)
    why = "the platform refused its credentials (X refused the credentials on read own posts (401: Unauthorized))"
    assert d.status == S.UNCONFIRMED and d.last_error == f"account paused: {why}"
    assert [(a.kind, a.outcome, a.http_status) for a in d.attempts] == BEFORE
    assert account(engine, "x1").status == AccountStatus.PAUSED
    assert [(a.kind, a.message) for a in alerts(engine)] == [("paused", f"account x1 paused: {why}")]
    assert "fix the account's secrets, then `campaigner account resume NAME`" in cli.ok("alerts", "list").stdout
    looks = len(fake.calls("GET", timeline))
    for _ in range(2):  # paused: not looked for, not sent, not alerted again
        cli.clock.advance(hours=6)
        assert e.run_pass().handled == 0
    assert len(fake.calls("GET", timeline)) == looks and fake.create_count() == 1 and len(alerts(engine)) == 1
    cli.ok("account", "resume", "x1")  # the credentials are renewed
    assert e.run_pass().published == [1]
    [d] = deliveries(engine)
    assert d.remote_id == posted and fake.create_count() == 1
    assert [(a.kind, a.outcome) for a in d.attempts][3:] == [("reconcile", "found")]


def test_a_look_failing_for_now_is_tried_again_soon_not_counted_as_a_miss(cli, engine_for, engine,
                                                                          platform_account):
    fake, e, timeline = _already_there_then(
        cli, engine_for, platform_account, Response(503, {"title": "Service Unavailable", "status": 503}),
        policy=RetryPolicy(max_attempts=3, look_for=timedelta(seconds=30)))
    assert e.run_pass().unconfirmed == [1]
    [d] = deliveries(engine)
    assert d.status == S.UNCONFIRMED and d.next_attempt_at is not None and alerts(engine) == []
    assert d.last_error.startswith("could not look for it yet: ")
    assert [(a.kind, a.outcome, a.http_status) for a in d.attempts] == BEFORE
    cli.clock.now = T0 + timedelta(minutes=8)  # the timeline shows it by now
    assert e.run_pass().published == [1]
    assert fake.create_count() == 1 and alerts(engine) == []
