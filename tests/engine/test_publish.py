"""The publishing engine: exactly once, retries, holds, pauses, reconcile, caps and spacing."""
from __future__ import annotations

import json
import threading
from datetime import timedelta

from campaigner.models import AccountStatus, DeliveryStatus as S
from scheduler.engine import RECONCILE_DELAY
from tests.engine.conftest import account, alerts, deliveries
from tests.fakes.server import Failure, Response


def test_publish_due_sandbox_exactly_once(cli, app, engine_for, engine):
    cli.ok("account", "add", "sandbox", "s1")
    cli.ok("post", "add", "Tolak Tapera!", "--to", "s1", "--now")
    cli.ok("post", "add", "Nanti saja", "--to", "s1", "--at", "+2h")
    r = cli.ok("publish", "--dry-run")
    assert r.stdout.startswith("would publish #1 on s1 (due 2026-11-30 08:00 WIB): Tolak Tapera!")
    r = cli.ok("publish")
    assert r.stdout == "Published 1, failed 0, retrying 0, deferred 0, unconfirmed 0, held back 0.\n"
    first, later = deliveries(engine)
    assert (first.status, later.status) == (S.PUBLISHED, S.QUEUED)
    assert first.remote_url.startswith("sandbox://s1/") and first.published_at == cli.clock.now
    assert [(a.kind, a.outcome) for a in first.attempts] == [("publish", "published")]
    assert first.claimed_by is None and first.lease_until is None
    assert cli.ok("publish").stdout.startswith("Published 0,")
    cli.clock.advance(hours=2)
    assert cli.ok("publish").stdout.startswith("Published 1,")
    shown = json.loads(cli.ok("post", "show", "1", "--json").stdout)
    assert shown["deliveries"][0]["status"] == "published"
    sandbox_posts = list((cli.home / "data" / "state" / "s1").glob("*"))
    assert sandbox_posts  # the sandbox keeps what it published
    assert len(engine_for().publish_all_due().published) == 0


def test_thread_resumes_after_last_published_part(cli, app, engine_for, engine, platform_account):
    fake = platform_account("mastodon", "m1")
    cli.ok("post", "add", "Satu\n---\nDua\n---\nTiga", "--thread", "--to", "m1", "--now")
    fake.fail_next(None, path_contains="/api/v1/statuses")  # part 1 goes through…
    fake.fail_next(Response(503, {"error": "busy"}), path_contains="/api/v1/statuses")  # …part 2 does not
    e = engine_for()
    assert e.run_pass().retrying == [1]
    [d] = deliveries(engine)
    assert d.status == S.QUEUED and d.attempt_count == 1 and d.next_attempt_at > cli.clock.now
    assert [p.remote_id is not None for p in d.parts] == [True, False, False]
    assert e.run_pass().handled == 0  # still backing off
    cli.clock.now = d.next_attempt_at
    assert e.run_pass().published == [1]
    [d] = deliveries(engine)
    assert fake.create_count() == 3 and len(fake.posts()) == 3  # part 1 was not sent again
    assert fake.reply_parent(d.parts[1].remote_id) == d.parts[0].remote_id
    assert fake.reply_parent(d.parts[2].remote_id) == d.parts[1].remote_id
    assert [a.part_position for a in d.attempts] == [0, 1, 1, 2]
    assert d.remote_id == d.parts[0].remote_id


def test_transient_errors_back_off_then_fail_with_reason(cli, app, engine_for, engine, platform_account):
    fake = platform_account("mastodon", "m1")
    cli.ok("post", "add", "Hidup buruh!", "--to", "m1", "--now")
    e = engine_for()
    for attempt in range(1, 4):
        fake.server_error_next(503)
        report = e.run_pass()
        [d] = deliveries(engine)
        if attempt < 3:
            assert report.retrying == [1] and d.attempt_count == attempt
            waited = d.next_attempt_at - cli.clock.now
            assert timedelta(seconds=30 * 2 ** (attempt - 1) * 0.8) <= waited <= timedelta(seconds=30 * 2 ** (attempt - 1) * 1.2)
            cli.clock.now = d.next_attempt_at
    assert report.failed == [1]
    assert d.status == S.FAILED and d.last_error.startswith("gave up after 3 attempts: ")
    assert d.attempt_count == 3 and d.next_attempt_at is None and d.claimed_by is None
    assert [a.outcome for a in d.attempts] == ["transient"] * 3
    assert d.last_error == "gave up after 3 attempts: " + d.attempts[-1].error
    assert [(a.kind, a.delivery_id, a.message) for a in alerts(engine)] == [("failed", 1, d.last_error)]
    assert fake.create_count() == 0
    r = cli("publish")
    assert r.exit_code == 0  # nothing failed in this pass
    cli.ok("post", "retry", "1")
    assert cli.ok("publish").stdout.startswith("Published 1,")


def test_permanent_error_fails_at_once_and_exit_code(cli, engine, platform_account):
    fake = platform_account("mastodon", "m1")
    cli.ok("post", "add", "Hidup buruh!", "--to", "m1", "--now")
    fake.fail_next(Response(422, {"error": "Validation failed: Text can't be blank"}), path_contains="/statuses")
    r = cli("publish")
    assert r.exit_code == 1 and r.stdout.startswith("Published 0, failed 1,")
    [d] = deliveries(engine)
    assert d.status == S.FAILED and "Validation failed" in d.last_error
    assert d.attempt_count == 0 and d.next_attempt_at is None and d.claimed_by is None  # no retry was spent
    assert [(a.outcome, a.error) for a in d.attempts] == [("permanent", d.last_error)]
    assert [(a.kind, a.delivery_id, a.message) for a in alerts(engine)] == [("failed", 1, d.last_error)]


def test_rate_limit_holds_the_account_without_spending_an_attempt(cli, app, engine_for, engine, platform_account):
    fake = platform_account("mastodon", "m1")
    cli.ok("account", "add", "sandbox", "s1")
    cli.ok("post", "add", "Satu", "--to", "m1,s1", "--now")
    cli.ok("post", "add", "Dua", "--to", "m1", "--now")
    reset = cli.clock.now + timedelta(minutes=15)
    fake.rate_limit_next(reset)
    e = engine_for()
    report = e.run_pass()
    ds = {(d.post_id, d.account.name): d for d in deliveries(engine)}
    assert ds[(1, "s1")].status == S.PUBLISHED  # other accounts go on
    held = ds[(1, "m1")]
    assert report.held == [held.id] and report.published == [ds[(1, "s1")].id]
    assert held.status == S.QUEUED and held.attempt_count == 0 and held.next_attempt_at == reset
    assert ds[(2, "m1")].status == S.QUEUED and ds[(2, "m1")].attempts == []  # held back, never tried
    assert account(engine, "m1").held_until == reset
    assert e.next_wake() == reset
    cli.clock.advance(minutes=10)
    assert e.run_pass().handled == 0
    cli.clock.now = reset
    assert sorted(e.run_pass().published) == [held.id, ds[(2, "m1")].id]
    assert fake.create_count() == 2


def test_expired_token_pauses_the_account_and_keeps_posts_queued(cli, app, engine_for, engine, platform_account):
    fake = platform_account("mastodon", "m1")
    cli.ok("post", "add", "Satu", "--to", "m1", "--now")
    fake.expire_credentials()
    engine_for().run_pass()
    [d] = deliveries(engine)
    acc = account(engine, "m1")
    assert acc.status == AccountStatus.PAUSED and "credentials" in acc.status_reason
    assert d.status == S.QUEUED and d.attempt_count == 0
    assert [a.kind for a in alerts(engine)] == ["paused"]
    assert engine_for().run_pass().handled == 0
    fake._expired = False
    cli.ok("account", "resume", "m1")
    assert engine_for().run_pass().published == [d.id]


def test_lost_answer_is_reconciled_not_resent(cli, app, engine_for, engine, platform_account):
    fake = platform_account("mastodon", "m1")
    cli.ok("post", "add", "Satu", "--to", "m1", "--now")
    fake.fail_next(Failure.DROP_AFTER, path_contains="/api/v1/statuses")
    e = engine_for()
    assert e.run_pass().unconfirmed == [1]
    [d] = deliveries(engine)
    assert d.status == S.UNCONFIRMED and d.last_error.startswith("outcome unknown")
    assert e.run_pass().handled == 0  # waits a moment before looking
    cli.clock.advance(seconds=RECONCILE_DELAY.total_seconds())
    assert e.run_pass().published == [1]
    [d] = deliveries(engine)
    assert fake.create_count() == 1 and d.remote_id in fake.posts()
    assert [(a.kind, a.outcome) for a in d.attempts] == [("publish", "unknown"), ("reconcile", "found")]


def test_dropped_before_arrival_is_looked_for_then_sent(cli, app, engine_for, engine, platform_account):
    fake = platform_account("bluesky", "b1")
    cli.ok("post", "add", "Satu", "--to", "b1", "--now")
    fake.fail_next(Failure.DROP, path_contains="createRecord")
    e = engine_for()
    e.run_pass()
    cli.clock.advance(seconds=RECONCILE_DELAY.total_seconds())
    assert e.run_pass().published == [1]
    [d] = deliveries(engine)
    assert fake.create_count() == 1
    assert [(a.kind, a.outcome) for a in d.attempts] == [("publish", "unknown"), ("reconcile", "not_found"),
                                                         ("publish", "published")]


def test_telegram_unknown_outcome_asks_a_person(cli, app, engine_for, engine, platform_account):
    fake = platform_account("telegram", "t1")
    cli.ok("post", "add", "Satu", "--to", "t1", "--now")
    fake.fail_next(Failure.DROP_AFTER, path_contains="sendMessage")
    e = engine_for()
    e.run_pass()
    cli.clock.advance(minutes=1)
    assert e.run_pass().unconfirmed == [1]
    [d] = deliveries(engine)
    assert d.status == S.UNCONFIRMED and d.next_attempt_at is None
    assert "campaigner post reconcile 1 --account t1" in d.last_error
    assert [a.kind for a in alerts(engine)] == ["unconfirmed"]
    cli.clock.advance(hours=1)
    assert e.run_pass().handled == 0 and fake.create_count() == 1  # never re-sent blind


def test_crashed_worker_claims_are_recovered(cli, app, engine_for, engine):
    cli.ok("account", "add", "sandbox", "s1")
    cli.ok("account", "add", "sandbox", "s2")
    cli.ok("post", "add", "Satu", "--to", "s1,s2", "--now")
    dead = engine_for("dead")
    first = dead._take(set())  # leased and claimed as a pass does, then the worker died
    [d1] = [d.id for d in first.deliveries]
    [d2] = [d.id for d in dead._take({first.account.id}).deliveries]
    dead._start_attempt(d1, 0, "publish")  # it died during the call for d1; before any call for d2
    live = engine_for("live")
    assert live.run_pass().handled == 0  # leases still valid: hands off
    cli.clock.advance(minutes=11)
    report = live.run_pass()
    assert report.recovered == 2
    by_id = {d.id: d for d in deliveries(engine)}
    assert by_id[d2].status == S.PUBLISHED  # no call had started: simply sent
    assert by_id[d1].status == S.UNCONFIRMED  # a call may have gone out: look first
    assert by_id[d1].next_attempt_at == cli.clock.now + RECONCILE_DELAY and by_id[d1].claimed_by is None
    assert by_id[d1].lease_until is None and by_id[d1].updated_at == cli.clock.now
    assert [(a.worker, a.outcome, a.error, a.finished_at) for a in by_id[d1].attempts] == [
        ("dead", "unknown", "worker dead stopped during the call", cli.clock.now)]
    assert [(a.worker, a.outcome) for a in by_id[d2].attempts] == [("live", "published")]
    cli.clock.advance(seconds=RECONCILE_DELAY.total_seconds())
    assert live.run_pass().published == [d1]  # the sandbox can look: not there, so sent once


def test_daily_cap_and_spacing_hold_at_publish_time(cli, app, engine_for, engine):
    # no lateness limit: a day's deferral would expire it (tests/engine/test_lateness.py)
    cli.ok("account", "add", "sandbox", "s1", "--daily-cap", "3", "--min-spacing", "30", "--max-late", "none")
    for i in range(3):
        cli.ok("post", "add", f"Pesan {i}", "--to", "s1", "--at", "2026-11-30 08:00")
    cli.ok("account", "edit", "s1", "--daily-cap", "2")
    e = engine_for()
    report = e.run_pass()
    assert report.published == [1] and sorted(report.deferred) == [2, 3]
    ds = deliveries(engine)
    assert ds[1].due_at == cli.clock.now + timedelta(minutes=30)
    assert ds[1].last_error == "moved to 2026-11-30 08:30 WIB: keeps 30 min after the previous post"
    cli.clock.advance(minutes=30)
    report = e.run_pass()
    assert report.published == [2] and report.deferred == [3]
    ds = deliveries(engine)
    # its due time had moved to 08:30 for spacing; the next day keeps that local time
    assert ds[2].last_error == "moved to 2026-12-01 08:30 WIB: daily cap of 2 reached on 2026-11-30 (WIB)"


def test_two_workers_share_without_duplicates(cli, app, engine_for, engine):
    for i in range(6):
        cli.ok("account", "add", "sandbox", f"s{i}")
    names = ",".join(f"s{i}" for i in range(6))
    for i in range(20):
        cli.ok("post", "add", f"Pesan {i}", "--to", names, "--now")
    workers = [engine_for(f"w{i}", concurrency=3) for i in range(2)]
    reports = []
    threads = [threading.Thread(target=lambda w=w: reports.append(w.publish_all_due())) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    published = [d for r in reports for d in r.published]
    assert len(published) == 120 and len(set(published)) == 120
    assert all(d.status == S.PUBLISHED for d in deliveries(engine))
    from connectors.registry import build_connector
    from campaigner.services.accounts import connector_config
    for i in range(6):
        conn = build_connector(connector_config(app, account(engine, f"s{i}")), clock=cli.clock)
        assert len(conn.metrics([d.remote_id for d in deliveries(engine) if d.account.name == f"s{i}"]).found) == 20


def test_quiet_publish_prints_only_what_needs_a_person(cli, engine, platform_account):
    """``-q publish`` from cron every minute: no line when all went well, the summary when a post
    failed (and exit code 1), so the log holds only what a person must look at."""
    cli.ok("account", "add", "sandbox", "s1")
    assert cli.ok("-q", "publish").output == ""  # nothing due
    cli.ok("post", "add", "Satu", "--to", "s1", "--now")
    assert cli.ok("-q", "publish").output == ""  # published
    assert deliveries(engine)[0].status == S.PUBLISHED
    m1 = platform_account("mastodon", "m1")
    cli.ok("post", "add", "Dua", "--to", "m1", "--now")
    m1.fail_next(Response(422, {"error": "Validation failed: Text can't be blank"}), path_contains="/statuses")
    r = cli("-q", "publish")
    assert (r.exit_code, r.stdout) == (1, "Published 0, failed 1, retrying 0, deferred 0, unconfirmed 0, "
                                          "held back 0.\n")


def test_one_pass_takes_an_account_again_after_a_full_batch(cli, engine_for):
    """A batch holds at most deliveries_per_account; an account with more due is leased again in
    the same pass, not left for the next one."""
    cli.ok("account", "add", "sandbox", "s1")
    for i in range(5):
        cli.ok("post", "add", f"Pesan {i}", "--to", "s1", "--now")
    assert sorted(engine_for(deliveries_per_account=2).run_pass().published) == [1, 2, 3, 4, 5]
