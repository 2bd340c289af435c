"""A Threads post whose ``threads_publish`` answer is lost (the connection drops after Threads
carried it out), or whose worker is killed after the call: the outcome is unknown, the delivery
waits ``unconfirmed``, reconcile finds the post on the profile, and it is recorded — published
once, never sent twice.

Against the real parts: the Threads fake over HTTP (a failure queued for ``threads_publish`` hits
that call only, never the ``threads_publishing_limit`` read the engine makes first), the real
database (SQLite file; PostgreSQL in the second leg) and the real CLI; time is the test clock.
"""
from __future__ import annotations

import pytest

from campaigner.models import DeliveryStatus as S
from campaigner.secrets import env_name
from scheduler.engine import RECONCILE_DELAY
from tests.conftest import T0
from tests.engine.conftest import alerts, deliveries
from tests.fakes.server import Failure, path_matches
from tests.fakes.threads import Fake

TEXT = "Tolak Tapera! Upah buruh bukan tabungan paksa."


@pytest.fixture
def threads(cli, serve, monkeypatch):
    fake = serve(Fake())
    cli.ok("account", "add", "threads", "th1", "--base-url", fake.base_url)
    for field, value in fake.account_config().secrets.items():
        monkeypatch.setenv(env_name("th1", field), value)
    return fake


def _published(fake: Fake) -> dict[str, str]:
    return fake.posts()


def test_a_failure_for_threads_publish_is_not_taken_by_the_quota_read():
    assert path_matches("/v1.0/1/threads_publish", "threads_publish")
    assert not path_matches("/v1.0/1/threads_publishing_limit", "threads_publish")
    assert path_matches("/xrpc/com.atproto.repo.createRecord", "createRecord")
    assert path_matches("/2/tweets/search/recent", "/2/tweets") and not path_matches("/2/tweetsy", "/2/tweets")


def test_a_lost_threads_publish_answer_is_found_and_recorded_never_sent_twice(threads, cli, engine, clock):
    cli.ok("post", "add", TEXT, "--to", "th1", "--now")
    threads.fail_next(Failure.DROP_AFTER, path_contains="threads_publish")
    r = cli.ok("publish")
    assert r.stdout.startswith("Published 0, failed 0, retrying 0, deferred 0, unconfirmed 1,")
    [posted] = _published(threads)  # Threads carried it out; the answer never came back
    assert threads.create_count() == 1 and threads.calls("GET", "threads_publishing_limit")
    [d] = deliveries(engine)
    assert d.status == S.UNCONFIRMED and d.next_attempt_at == T0 + RECONCILE_DELAY
    clock.advance(seconds=RECONCILE_DELAY.total_seconds())
    assert cli.ok("publish").stdout.startswith("Published 1,")
    [d] = deliveries(engine)
    assert d.status == S.PUBLISHED and d.remote_id == posted and d.published_at == T0
    assert d.remote_url is not None and d.remote_url.startswith("https://www.threads.")
    assert [(a.kind, a.outcome) for a in d.attempts] == [("publish", "unknown"), ("reconcile", "found")]
    assert threads.create_count() == 1 and list(_published(threads)) == [posted]
    assert alerts(engine) == []
    clock.advance(days=1)
    assert cli.ok("publish").stdout.startswith("Published 0,") and threads.create_count() == 1


def test_a_worker_killed_after_threads_publish_is_found_by_the_next_one(threads, cli, engine_for, engine, clock):
    cli.ok("post", "add", TEXT, "--to", "th1", "--now")
    dead = engine_for("dead")
    batch = dead._take(set())
    d = batch.deliveries[0]
    part = d.parts[0]
    assert dead._start_attempt(d.id, part.position, "publish") is not None
    dead.connector(d.account).publish(dead._outgoing(d, part))  # out on Threads; the worker dies here
    [posted] = _published(threads)
    live = engine_for("live")
    clock.advance(seconds=31)  # the dead worker's claim ran out
    assert live.run_pass().recovered == 1
    [d] = deliveries(engine)
    assert d.status == S.UNCONFIRMED and [a.outcome for a in d.attempts] == ["unknown"]
    clock.now = d.next_attempt_at
    assert live.run_pass().published == [1]
    [d] = deliveries(engine)
    assert d.status == S.PUBLISHED and d.remote_id == posted
    assert [(a.kind, a.outcome) for a in d.attempts] == [("publish", "unknown"), ("reconcile", "found")]
    assert threads.create_count() == 1 and alerts(engine) == []
