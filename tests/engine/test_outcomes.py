"""Attempt outcomes as stored values, and a post the platform says it already has (issue 10, 2–3).

Every engine branch that ends an attempt is run here against the fakes over HTTP, on the database
under test: a SQLite file, and PostgreSQL in CI's second leg (which enforces the column lengths
SQLite forgives).
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from campaigner.models import DeliveryStatus as S
from scheduler.engine import RECONCILE_DELAY
from scheduler.policy import RetryPolicy
from tests.conftest import T0
from tests.engine.conftest import alerts, deliveries
from tests.fakes.server import Failure, Response

TEXT = "Tolak Tapera! Upah buruh bukan tabungan paksa."
DUPLICATE = ("X refused create post as a duplicate (403): "
             "You are not allowed to create a Tweet with duplicate content.")


def _lost_x_create(cli, platform_account, lag: timedelta):
    """An X account whose timeline lags ``lag`` behind new posts, and a post whose create X carries
    out but whose answer is lost."""
    fake = platform_account("x", "x1")
    fake.timeline_lag = lag
    cli.ok("post", "add", TEXT, "--to", "x1", "--now")
    fake.fail_next(Failure.DROP_AFTER, path_contains="/2/tweets")
    return fake


def _follow_looks(cli, engine, e, limit: int = 100) -> list[timedelta]:
    """Run a pass at each time the delivery is due to be looked for, until it is not; the waits."""
    waits = []
    for _ in range(limit):
        [d] = deliveries(engine)
        if d.status != S.UNCONFIRMED or d.next_attempt_at is None:
            return waits
        waits.append(d.next_attempt_at - cli.clock.now)
        cli.clock.now = d.next_attempt_at
        e.run_pass()
    raise AssertionError("still looking")


def test_x_post_behind_a_lagging_timeline_is_found_not_failed(cli, engine_for, engine, platform_account):
    fake = _lost_x_create(cli, platform_account, lag=timedelta(minutes=7))
    e = engine_for()
    assert e.run_pass().unconfirmed == [1]
    [posted] = fake.posts()
    cli.clock.advance(seconds=RECONCILE_DELAY.total_seconds())
    # the look misses it (the timeline lags), the send again is refused as a duplicate: it is there
    assert e.run_pass().unconfirmed == [1]
    [d] = deliveries(engine)
    assert d.status == S.UNCONFIRMED and d.next_attempt_at == cli.clock.now + timedelta(seconds=30)
    assert d.last_error == "x says it is already there but does not show it yet: looking again"
    assert ("  post 1 on x1 (delivery 1): the worker looks again at 2026-11-30 08:01 WIB — x says it is already "
            "there but does not show it yet: looking again\n") in cli.ok("status").stdout
    assert _follow_looks(cli, engine, e) == [timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2),
                                             timedelta(minutes=5)]
    [d] = deliveries(engine)
    assert d.status == S.PUBLISHED and d.remote_id == posted and d.remote_url == f"https://x.com/i/web/status/{posted}"
    assert d.published_at == T0 and d.last_error is None  # when X made it, during the call whose answer was lost
    assert fake.create_count() == 1 and alerts(engine) == []
    assert [(a.kind, a.outcome, a.http_status) for a in d.attempts] == [
        ("publish", "unknown", None), ("reconcile", "not_found", None), ("publish", "already_published", 403),
        ("reconcile", "not_visible", None), ("reconcile", "not_visible", None), ("reconcile", "not_visible", None),
        ("reconcile", "found", None)]
    assert d.attempts[2].error == DUPLICATE


def test_x_post_never_shown_asks_a_person_once_after_the_bound(cli, engine_for, engine, platform_account):
    fake = _lost_x_create(cli, platform_account, lag=timedelta(days=2))
    e = engine_for()
    e.run_pass()
    [posted] = fake.posts()
    waits = _follow_looks(cli, engine, e)
    assert waits[:6] == [timedelta(seconds=30), timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2),
                         timedelta(minutes=5), timedelta(minutes=10)]
    assert set(waits[6:]) == {timedelta(minutes=10)}  # the schedule's last wait repeats
    assert cli.clock.now - T0 >= RetryPolicy().look_for > cli.clock.now - T0 - timedelta(minutes=10)
    [d] = deliveries(engine)
    ask = ("x says part 1 is already there, but it was not found in 6 hours of looking: find it on x1, then run "
           "`campaigner post reconcile 1 --account x1 --found URL` (or `--resend` if it is not there)")
    assert d.status == S.UNCONFIRMED and d.next_attempt_at is None and d.last_error == ask
    assert f"  post 1 on x1 (delivery 1): a person must check it — {ask}\n" in cli.ok("status").stdout
    assert [(a.kind, a.message) for a in alerts(engine)] == [("unconfirmed", ask)]
    cli.clock.advance(days=1)
    assert e.run_pass().handled == 0 and len(alerts(engine)) == 1 and fake.create_count() == 1
    cli.ok("post", "reconcile", "1", "--account", "x1", "--found", f"https://x.com/kspi_test/status/{posted}")
    [d] = deliveries(engine)
    assert d.status == S.PUBLISHED and d.remote_id == posted


def test_x_text_of_another_post_fails_at_once_with_the_reason(cli, engine, platform_account):
    fake = platform_account("x", "x1")
    fake.add_own_post(TEXT, created_at=T0 - timedelta(days=2))  # sent by hand two days ago
    cli.ok("post", "add", TEXT, "--to", "x1", "--now")
    r = cli("publish")
    assert r.exit_code == 1 and r.stdout.startswith("Published 0, failed 1,")
    [d] = deliveries(engine)
    reason = (f"{DUPLICATE} — x1 already has another post with this text: change the text "
              "(`campaigner post edit 1`) to send it")
    assert d.status == S.FAILED and d.last_error == reason
    assert [(a.outcome, a.http_status, a.error) for a in d.attempts] == [("already_published", 403, DUPLICATE)]
    assert [(a.kind, a.message) for a in alerts(engine)] == [("failed", reason)]


# --- every branch that ends an attempt, with what it stores -------------------------------------
def _look_after(seconds: float = RECONCILE_DELAY.total_seconds()):
    def step(cli, fake, e):
        cli.clock.advance(seconds=seconds)
        e.run_pass()
    return step


def _resend_by_hand(cli, fake, e):
    cli.ok("post", "reconcile", "1", "--account", "a1", "--resend")
    e.run_pass()


def _then(arrange):
    """A step that changes the fake, then looks."""
    def step(cli, fake, e):
        arrange(fake, cli)
        _look_after()(cli, fake, e)
    return step


LOST = ("mastodon", lambda fake, cli: fake.fail_next(Failure.DROP_AFTER, path_contains="/api/v1/statuses"))

#: branch → (platform, arrange the fake, steps after the first pass, which attempt,
#:           (kind, outcome, http_status, error with the fake's base URL as BASE), the delivery's status)
BRANCHES = {
    "published": ("mastodon", None, [], -1, ("publish", "published", None, None), S.PUBLISHED),
    "permanent": ("mastodon", lambda fake, cli: fake.fail_next(
        Response(422, {"error": "Validation failed: Text can't be blank"}), path_contains="/statuses"), [], -1,
        ("publish", "permanent", 422, "mastodon POST /api/v1/statuses: Validation failed: Text can't be blank"),
        S.FAILED),
    "transient": ("mastodon", lambda fake, cli: fake.server_error_next(503), [], -1,
                  ("publish", "transient", 503, "mastodon POST /api/v1/statuses: server error 503"), S.QUEUED),
    "unknown": (*LOST, [], -1, ("publish", "unknown", None, "POST BASE/api/v1/statuses: connection failed (dropped)"),
                S.UNCONFIRMED),
    "rate_limited": ("mastodon", lambda fake, cli: fake.rate_limit_next(T0 + timedelta(minutes=15)), [], -1,
                     ("publish", "rate_limited", 429, "mastodon POST /api/v1/statuses: Too many requests"), S.QUEUED),
    "auth_expired": ("mastodon", lambda fake, cli: fake.expire_credentials(), [], -1,
                     ("publish", "auth_expired", 401, "mastodon POST /api/v1/statuses: The access token is invalid"),
                     S.QUEUED),
    "found": (*LOST, [_look_after()], -1, ("reconcile", "found", None, None), S.PUBLISHED),
    "not_found": ("bluesky", lambda fake, cli: fake.fail_next(Failure.DROP, path_contains="createRecord"),
                  [_look_after()], 1, ("reconcile", "not_found", None, "not on the platform: sending again"),
                  S.PUBLISHED),
    "cannot_tell": ("telegram", lambda fake, cli: fake.fail_next(Failure.DROP_AFTER, path_contains="sendMessage"),
                    [_look_after()], -1, ("reconcile", "cannot_tell", None, "the platform cannot be searched"),
                    S.UNCONFIRMED),
    "look_transient": (*LOST, [_then(lambda fake, cli: fake.server_error_next(503))], -1,
                       ("reconcile", "transient", 503, "mastodon GET /api/v1/accounts/verify_credentials: "
                                                       "server error 503"), S.UNCONFIRMED),
    "look_rate_limited": (*LOST, [_then(lambda fake, cli: fake.rate_limit_next(T0 + timedelta(minutes=15)))], -1,
                          ("reconcile", "rate_limited", 429, "mastodon GET /api/v1/accounts/verify_credentials: "
                                                             "Too many requests"), S.UNCONFIRMED),
    "look_auth_expired": (*LOST, [_then(lambda fake, cli: fake.expire_credentials())], -1,
                          ("reconcile", "auth_expired", 401, "mastodon GET /api/v1/accounts/verify_credentials: "
                                                             "The access token is invalid"), S.UNCONFIRMED),
    "already_published": ("x", lambda fake, cli: (setattr(fake, "timeline_lag", timedelta(minutes=7)),
                                                  fake.fail_next(Failure.DROP_AFTER, path_contains="/2/tweets")),
                          [_look_after()], 2, ("publish", "already_published", 403, DUPLICATE), S.UNCONFIRMED),
    "not_visible": ("x", lambda fake, cli: (setattr(fake, "timeline_lag", timedelta(minutes=7)),
                                            fake.fail_next(Failure.DROP_AFTER, path_contains="/2/tweets")),
                    [_look_after(), _look_after()], -1, ("reconcile", "not_visible", None, "not found yet"),
                    S.UNCONFIRMED),
    "found_after_refusal": ("x", lambda fake, cli: fake.fail_next(Failure.DROP_AFTER, path_contains="/2/tweets"),
                            [_resend_by_hand], -1, ("publish", "found", 403, DUPLICATE), S.PUBLISHED),
    "refused_as_another_post": ("x", lambda fake, cli: fake.add_own_post(TEXT, created_at=T0 - timedelta(days=2)),
                                [], -1, ("publish", "already_published", 403, DUPLICATE), S.FAILED),
    "unexpected_error": ("x", lambda fake, cli: fake.fail_next(Response(201, {"data": "not an object"}),
                                                               path_contains="/2/tweets"), [], -1,
                         ("publish", "unknown", None, "AttributeError: 'str' object has no attribute 'get'"),
                         S.UNCONFIRMED),
}


@pytest.mark.parametrize("branch", BRANCHES)
def test_each_branch_stores_its_outcome_status_and_error(branch, cli, engine_for, engine, platform_account):
    platform, arrange, steps, which, expected, status = BRANCHES[branch]
    fake = platform_account(platform, "a1")
    cli.ok("post", "add", TEXT, "--to", "a1", "--now")
    if arrange is not None:
        arrange(fake, cli)
    e = engine_for()
    e.run_pass()
    for step in steps:
        step(cli, fake, e)
    [d] = deliveries(engine)
    a = d.attempts[which]
    assert (a.kind, a.outcome, a.http_status, a.error and a.error.replace(fake.base_url, "BASE")) == expected
    assert a.finished_at is not None and d.status == status and d.claimed_by is None
