"""Reconcile when the platform refuses the look itself (DESIGN.md, "Exactly once is the promise").

A post whose create answer was lost is looked for on the account's own timeline before anything
else. When the platform refuses that read for good — 403 "client-not-enrolled" (the endpoint is not
in the app's plan), 403 not permitted, 400 an invalid query — asking again changes nothing, and
sending blind could post it twice: the delivery stays ``unconfirmed``, is never looked for or sent
again by itself, and one alert says what to check by hand. A refusal for now (503) is still looked
for again later.

Against the X fake over HTTP and the real database (SQLite file; PostgreSQL in the second leg);
time is the test clock.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from campaigner.models import DeliveryStatus as S
from scheduler.engine import RECONCILE_DELAY
from tests.engine.conftest import alerts, deliveries
from tests.fakes import x as x_fake
from tests.fakes.server import Failure, Response

TEXT = "Tolak Tapera! Upah buruh bukan tabungan paksa."
NOT_PERMITTED = {"title": "Forbidden", "type": "about:blank", "status": 403,
                 "detail": "You are not permitted to perform this action."}
#: what the engine asks a person when the platform refuses the search for good
ASK = ("x refused the search for it ({error}); it is not sent again blind: check x1 by hand, then run "
       "`campaigner post reconcile 1 --account x1 --found URL` (or `--resend` if it is not there)")
REFUSALS = {
    "not in the plan": (Response(403, dict(x_fake.CLIENT_FORBIDDEN)),
                        "X refused read own posts (403): " + x_fake.CLIENT_FORBIDDEN["detail"]),
    "not permitted": (Response(403, NOT_PERMITTED),
                      "X refused read own posts (403): You are not permitted to perform this action."),
    "invalid query": (x_fake.invalid_request("The `start_time` query parameter value is invalid", "start_time"),
                      "X refused read own posts (400): One or more parameters to your request was invalid."),
}


def _lost_create(cli, platform_account):
    fake = platform_account("x", "x1")
    cli.ok("post", "add", TEXT, "--to", "x1", "--now")
    fake.fail_next(Failure.DROP_AFTER, path_contains="/2/tweets")
    return fake


def _timeline(fake) -> str:
    return f"/2/users/{fake.USER_ID}/tweets"


@pytest.mark.parametrize("refusal", list(REFUSALS))
def test_a_refused_look_asks_a_person_once_and_never_sends_blind(refusal, cli, engine_for, engine, platform_account):
    answer, error = REFUSALS[refusal]
    fake = _lost_create(cli, platform_account)
    e = engine_for()
    assert e.run_pass().unconfirmed == [1]
    [posted] = fake.posts()
    fake.fail_next(answer, path_contains=_timeline(fake), times=50)  # the platform will never allow the read
    cli.clock.advance(seconds=RECONCILE_DELAY.total_seconds())
    assert e.run_pass().unconfirmed == [1]
    ask = ASK.format(error=error)
    [d] = deliveries(engine)
    assert d.status == S.UNCONFIRMED and d.next_attempt_at is None
    assert d.last_error == f"outcome unknown: {ask}"
    assert [(a.kind, a.outcome) for a in d.attempts] == [("publish", "unknown"), ("reconcile", "cannot_tell")]
    assert d.attempts[1].error == error
    assert [(a.kind, a.message) for a in alerts(engine)] == [("unconfirmed", ask)]
    assert f"  post 1 on x1 (delivery 1): a person must check it — outcome unknown: {ask}\n" in cli.ok("status").stdout
    looks = len(fake.calls("GET", _timeline(fake)))
    for _ in range(3):  # days later: not looked for again, not sent again, not alerted again
        cli.clock.advance(days=1)
        assert e.run_pass().handled == 0
    assert len(fake.calls("GET", _timeline(fake))) == looks == 1
    assert fake.create_count() == 1 and len(alerts(engine)) == 1
    cli.ok("post", "reconcile", "1", "--account", "x1", "--found", f"https://x.com/kspi_test/status/{posted}")
    [d] = deliveries(engine)
    assert d.status == S.PUBLISHED and d.remote_id == posted and fake.create_count() == 1


def test_a_look_refused_for_now_is_tried_again_and_finds_the_post(cli, engine_for, engine, platform_account):
    fake = _lost_create(cli, platform_account)
    e = engine_for()
    e.run_pass()
    [posted] = fake.posts()
    fake.server_error_next(503)
    cli.clock.advance(seconds=RECONCILE_DELAY.total_seconds())
    assert e.run_pass().unconfirmed == [1]
    [d] = deliveries(engine)
    assert d.status == S.UNCONFIRMED and d.next_attempt_at is not None and alerts(engine) == []
    assert d.attempts[-1].outcome == "transient"
    cli.clock.now = d.next_attempt_at + timedelta(seconds=1)
    assert e.run_pass().published == [1]
    [d] = deliveries(engine)
    assert d.remote_id == posted and fake.create_count() == 1 and alerts(engine) == []
