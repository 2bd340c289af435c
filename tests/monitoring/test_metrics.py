"""Metric collection: by age, in the platform's largest batch, history kept, missing ≠ zero."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigner.models import MetricSnapshot
from campaigner.services.metrics import DEFAULT_SCHEDULE, collect, poll_due
from tests.engine.conftest import deliveries

T = datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)


@pytest.mark.parametrize("age, last_ago, due", [
    (timedelta(minutes=5), None, True),                       # never polled
    (timedelta(hours=2), timedelta(minutes=30), False),        # hourly in the first 6 h
    (timedelta(hours=2), timedelta(minutes=59), True),         # (a little slack)
    (timedelta(hours=10), timedelta(hours=2), False),          # every 3 h to 24 h
    (timedelta(hours=10), timedelta(hours=3), True),
    (timedelta(days=2), timedelta(hours=11), False),           # every 12 h to 3 days
    (timedelta(days=5), timedelta(hours=23, minutes=59), True),  # daily to 7 days
    (timedelta(days=20), timedelta(days=6), False),            # weekly to 30 days
    (timedelta(days=20), timedelta(days=7), True),
    (timedelta(days=31), timedelta(days=30), False),           # then never
])
def test_poll_schedule(age, last_ago, due):
    assert poll_due(T - age, None if last_ago is None else T - last_ago, T, DEFAULT_SCHEDULE) is due


def snapshots(engine) -> list[MetricSnapshot]:
    with Session(engine) as s:
        return list(s.scalars(select(MetricSnapshot).order_by(MetricSnapshot.id)))


def test_collect_batches_and_matches_the_platform(cli, app, engine_for, engine, platform_account):
    fake = platform_account("mastodon", "m1")
    for i in range(45):
        cli.ok("post", "add", f"Pesan nomor {i} untuk upah layak", "--to", "m1", "--now")
    assert len(engine_for().publish_all_due().published) == 45
    ds = deliveries(engine)
    for i, d in enumerate(ds):
        fake.set_engagement(d.remote_id, likes=i, reposts=2 * i, replies=i % 3)
    before = len(fake.calls("GET", "/api/v1/statuses"))
    report = collect(app)
    assert (report.polled, report.requests) == (45, 3)  # batches of 20
    assert len(fake.calls("GET", "/api/v1/statuses")) - before == 3
    got = {s.delivery_id: (s.likes, s.reposts, s.replies, s.impressions) for s in snapshots(engine)}
    assert got == {d.id: (i, 2 * i, i % 3, None) for i, d in enumerate(ds)}  # Mastodon has no views: None
    # an hour later: polled again, history kept
    cli.clock.advance(hours=1)
    fake.set_engagement(ds[0].remote_id, likes=100)
    assert collect(app).polled == 45
    history = [s.likes for s in snapshots(engine) if s.delivery_id == ds[0].id]
    assert history == [0, 100]
    # ten minutes later: nothing is due
    cli.clock.advance(minutes=10)
    assert collect(app).requests == 0


def test_missing_post_is_marked_not_zero_and_not_polled_again(cli, app, engine_for, engine, platform_account):
    fake = platform_account("bluesky", "b1")
    cli.ok("post", "add", "Satu", "--to", "b1", "--now")
    cli.ok("post", "add", "Dua", "--to", "b1", "--now")
    engine_for().publish_all_due()
    gone, kept = deliveries(engine)
    fake.remove_post(gone.remote_id)
    report = collect(app)
    assert (report.polled, report.missing) == (2, 1)
    snap = {s.delivery_id: s for s in snapshots(engine)}
    assert snap[gone.id].missing and snap[gone.id].likes is None
    assert not snap[kept.id].missing and snap[kept.id].likes == 0
    cli.clock.advance(hours=1)
    assert collect(app).polled == 1


def test_rate_limited_account_is_skipped_and_resumed(cli, app, engine_for, engine, platform_account):
    fake = platform_account("x", "x1")
    cli.ok("account", "add", "sandbox", "s1")
    cli.ok("post", "add", "Satu", "--to", "x1,s1", "--now")
    engine_for().publish_all_due()
    fake.rate_limit_next(cli.clock.now + timedelta(minutes=15))
    report = collect(app)
    assert report.polled == 1 and list(report.skipped_accounts) == ["x1"]
    assert report.skipped_accounts["x1"].startswith("rate limited until ")
    assert collect(app).polled == 1  # x1 still due, s1 not


def test_cli_collect_and_show(cli, app, engine_for, engine):
    cli.ok("account", "add", "sandbox", "s1")
    cli.ok("post", "add", "Satu", "--to", "s1", "--now")
    engine_for().publish_all_due()
    cli.clock.advance(hours=3)
    lines = cli.ok("metrics", "collect").stdout.splitlines()
    assert lines[0] == "Collected 1 snapshot in 1 request."
    assert lines[1].startswith("New replies: ") and lines[1].endswith(" (1 request).")
    data = json.loads(cli.ok("metrics", "show", "1", "--json").stdout)
    assert data[0]["account"] == "s1" and data[0]["values"]["likes"] is not None
    assert data[0]["values"]["bookmarks"] is None  # the sandbox does not tell: None, not 0
    assert cli.ok("metrics", "show", "1").stdout.startswith("s1 (2026-11-30 11:00 WIB): likes ")
    cli.clock.advance(hours=3)
    assert cli.ok("-q", "metrics", "collect").output == ""  # cron's form: it worked, nothing to say
    assert cli.ok("metrics", "show", "1").stdout.startswith("s1 (2026-11-30 14:00 WIB): likes ")


def test_replies_collected_once_and_scored(cli, app, engine_for, engine, platform_account):
    from campaigner.models import Reply
    from campaigner.services.replies import collect_replies

    fake = platform_account("mastodon", "m1")
    cli.ok("account", "add", "telegram", "t1")
    cli.ok("post", "add", "Tolak Tapera!", "--to", "m1", "--now")
    engine_for().publish_all_due()
    [d] = deliveries(engine)
    fake.add_reply(d.remote_id, "budi@buruh.social", "Setuju banget, upah harus naik!", cli.clock.now)
    fake.add_reply(d.remote_id, "sari@buruh.social", "Tapera ini gak adil buat buruh", cli.clock.now)
    fake.add_reply(d.remote_id, "jo@example.org", "This is a great step for workers", cli.clock.now, language="en")
    fake.add_reply(d.remote_id, "ana@example.org", "Terrible policy, it hurts families", cli.clock.now, language=None)
    assert collect_replies(app).new == 4
    cli.clock.advance(hours=1)
    assert collect_replies(app).new == 0  # stored once each
    with Session(engine) as s:
        got = {r.text: (r.language, r.sentiment) for r in s.scalars(select(Reply))}
    assert got == {"Setuju banget, upah harus naik!": ("id", "positive"),
                   "Tapera ini gak adil buat buruh": ("id", "negative"),
                   "This is a great step for workers": ("en", "positive"),
                   "Terrible policy, it hurts families": ("en", "negative")}  # no tag: detected
    r = cli.ok("metrics", "collect", "--json")
    assert json.loads(r.stdout)["replies"]["new"] == 0


@pytest.mark.parametrize("stamp", ["none", "future"])
def test_a_reply_stored_as_now_does_not_hide_the_replies_stamped_before_it(stamp, cli, app, engine_for, engine,
                                                                           platform_account):
    """A reply without a time (or with one in the future) is stored as seen now, and the newest
    stored time is where the next poll starts: a reply stamped a little earlier that the platform
    shows only later (a federated server's delay) is still collected."""
    from campaigner.models import Reply
    from campaigner.services.replies import collect_replies

    fake = platform_account("mastodon", "m1")
    cli.ok("post", "add", "Tolak Tapera!", "--to", "m1", "--now")
    engine_for().publish_all_due()
    [d] = deliveries(engine)
    cli.clock.advance(minutes=30)
    polled_at = cli.clock.now
    fake.add_reply(d.remote_id, "budi", "Setuju!", None if stamp == "none" else polled_at + timedelta(days=1))
    assert collect_replies(app).new == 1
    fake.add_reply(d.remote_id, "sari", "Tolak Tapera!", polled_at - timedelta(minutes=3))
    cli.clock.advance(hours=1)
    assert collect_replies(app).new == 1
    with Session(engine) as s:
        got = {r.text: r.created_at for r in s.scalars(select(Reply))}
    assert got == {"Setuju!": polled_at, "Tolak Tapera!": polled_at - timedelta(minutes=3)}


def test_daemon_metrics_job_polls_once_per_period_across_workers(cli, app, engine_for, engine):
    from scheduler.jobs import monitoring_jobs

    cli.ok("account", "add", "sandbox", "s1")
    cli.ok("post", "add", "Satu", "--to", "s1", "--now")
    engine_for().publish_all_due()
    [job_a] = monitoring_jobs(app, "wa")
    [job_b] = monitoring_jobs(app, "wb")
    job_a.run(cli.clock.now)
    cli.ok("post", "add", "Dua", "--to", "s1", "--now")  # due for its first poll at once…
    engine_for().publish_all_due()
    job_b.run(cli.clock.now)  # …but in the same period the other worker has polled already
    assert len(snapshots(engine)) == 1
    cli.clock.advance(hours=1)
    job_b.run(cli.clock.now)
    assert len(snapshots(engine)) == 3
