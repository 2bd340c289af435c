"""A send refused as "already there" whose look is then refused for good (DESIGN.md, "Exactly once
is the promise").

After a create whose answer was lost, a look that missed the post (X's timeline lags) and a send
again that X refuses as a duplicate (403), the post is there: it is looked for once more at once.
When the platform refuses that look for good (403 not in the plan / not permitted, 400 a query it
will never take), looking again for the policy's 6 hours changes nothing: the delivery stays
``unconfirmed``, is never sent again nor looked for again by itself, and one alert asks a person —
the same alert as when reconcile's own look is refused (tests/engine/test_reconcile_refused.py).

Against the X fake over HTTP and the real database (SQLite file; PostgreSQL in the second leg);
time is the test clock.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from campaigner.models import DeliveryStatus as S
from scheduler.engine import RECONCILE_DELAY
from tests.engine.conftest import alerts, deliveries
from tests.engine.test_reconcile_refused import ASK, REFUSALS, TEXT
from tests.fakes.server import Failure

DUPLICATE = ("X refused create post as a duplicate (403): "
             "You are not allowed to create a Tweet with duplicate content.")


@pytest.mark.parametrize("refusal", list(REFUSALS))
def test_already_there_then_the_look_refused_asks_a_person_at_once(refusal, cli, engine_for, engine,
                                                                   platform_account):
    answer, error = REFUSALS[refusal]
    fake = platform_account("x", "x1")
    fake.timeline_lag = timedelta(days=2)  # the post is never shown on the timeline in time
    timeline = f"/2/users/{fake.USER_ID}/tweets"
    cli.ok("post", "add", TEXT, "--to", "x1", "--now")
    fake.fail_next(Failure.DROP_AFTER, path_contains="/2/tweets")
    e = engine_for()
    assert e.run_pass().unconfirmed == [1]
    [posted] = fake.posts()

    def refuse_looks_after_a_send(req) -> None:  # from the send again on, X will never allow the read
        if req.method == "POST" and req.path == "/2/tweets":
            fake.fail_next(answer, path_contains=timeline, times=50)
    fake.on_request = refuse_looks_after_a_send
    cli.clock.advance(seconds=RECONCILE_DELAY.total_seconds())
    # the look misses it (the timeline lags), the send again is refused as a duplicate, the look
    # that follows is refused for good: a person is asked now, not after 6 hours of looking
    assert e.run_pass().unconfirmed == [1]
    ask = ASK.format(error=error)
    [d] = deliveries(engine)
    assert d.status == S.UNCONFIRMED and d.next_attempt_at is None
    assert d.last_error == ask  # X said it is there: not "outcome unknown"
    assert [(a.kind, a.outcome, a.http_status) for a in d.attempts] == [
        ("publish", "unknown", None), ("reconcile", "not_found", None), ("publish", "already_published", 403)]
    assert d.attempts[2].error == DUPLICATE
    assert [(a.kind, a.message) for a in alerts(engine)] == [("unconfirmed", ask)]
    assert f"  post 1 on x1 (delivery 1): a person must check it — {ask}\n" in cli.ok("status").stdout
    assert len(fake.calls("GET", timeline)) == 2 and len(fake.calls("POST", "/2/tweets")) == 2
    for _ in range(3):  # days later: not looked for again, not sent again, not alerted again
        cli.clock.advance(days=1)
        assert e.run_pass().handled == 0
    assert len(fake.calls("GET", timeline)) == 2 and len(fake.calls("POST", "/2/tweets")) == 2
    assert fake.create_count() == 1 and len(alerts(engine)) == 1
    cli.ok("post", "reconcile", "1", "--account", "x1", "--found", f"https://x.com/kspi_test/status/{posted}")
    [d] = deliveries(engine)
    assert d.status == S.PUBLISHED and d.remote_id == posted and fake.create_count() == 1
