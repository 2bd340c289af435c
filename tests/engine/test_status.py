"""``campaigner status``: the publisher at a glance, after real engine passes against the fakes."""
from __future__ import annotations

import json
from datetime import timedelta

from campaigner.services.workers import heartbeat
from tests.engine.conftest import deliveries
from tests.fakes.server import Failure, Response


def test_status_of_an_empty_install(cli):
    r = cli.ok("status")
    assert r.stdout == (
        "Queue:        0 queued, 0 due now\n"
        "Next due:     nothing waiting\n"
        "Last 24 h:    0 published, 0 failed\n"
        "Unconfirmed:  none\n"
        "Expired:      none\n"
        "Paused:       none\n"
        "Held:         none\n"
        "Tokens:       none expiring\n"
        "Workers:      none running (start `campaigner run`, or run `campaigner publish` from cron)\n"
        "Alerts:       none pending\n"
        "Report:       2026-W48 not written yet (due 2026-11-30 07:00 WIB: `campaigner run` writes it, or run "
        "`campaigner report deliver`)\n")


def _troubled_install(cli, app, engine_for, platform_account):
    """Every state status reports, made by real passes: published, failed, unconfirmed (twice),
    paused, held, queued for later; two workers, one of them silent."""
    cli.ok("account", "add", "sandbox", "s1")
    t1 = platform_account("telegram", "t1")
    cli.ok("post", "add", "Satu", "--to", "t1", "--now")  # post 1
    t1.fail_next(Failure.DROP_AFTER, path_contains="sendMessage")
    e = engine_for()
    e.run_pass()
    cli.clock.advance(minutes=1)  # 08:01 WIB
    e.run_pass()  # Telegram cannot be searched: a person must check
    m1, m2, m3, m4 = (platform_account("mastodon", f"m{i}") for i in range(1, 5))
    cli.ok("post", "add", "Dua", "--to", "s1", "--now")  # post 2: published
    cli.ok("post", "add", "Tiga", "--to", "m1", "--now")  # post 3: refused for good
    m1.fail_next(Response(422, {"error": "Validation failed: Text can't be blank"}), path_contains="/statuses")
    cli.ok("post", "add", "Empat", "--to", "m2", "--now")  # post 4: answer lost, the worker looks again
    m2.fail_next(Failure.DROP_AFTER, path_contains="/api/v1/statuses")
    cli.ok("post", "add", "Lima", "--to", "m3", "--now")  # post 5: credentials expired
    m3.expire_credentials()
    cli.ok("post", "add", "Enam", "--to", "m4", "--now")  # post 6: rate limited for 15 minutes
    m4.rate_limit_next(cli.clock.now + timedelta(minutes=15))
    cli.ok("post", "add", "Tujuh", "--to", "s1", "--at", "+2h")  # post 7: later
    report = e.run_pass()
    assert (report.published, report.failed, report.unconfirmed, sorted(report.held)) == ([2], [3], [4], [5, 6])
    heartbeat(app, "w1", cli.clock.now)
    heartbeat(app, "w0", cli.clock.now - timedelta(minutes=2, seconds=30))
    heartbeat(app, "w2", cli.clock.now - timedelta(minutes=2))  # exactly 2 minutes: not stale yet


def test_status_shows_every_state(cli, app, engine_for, engine, platform_account):
    _troubled_install(cli, app, engine_for, platform_account)
    lost = deliveries(engine)[3].last_error
    assert lost.startswith("outcome unknown: POST http://127.0.0.1:") and lost.endswith("connection failed (dropped)")
    r = cli.ok("status")
    assert r.stdout == (
        "Queue:        3 queued, 0 due now (and 1 on paused or held accounts)\n"
        "Next due:     2026-11-30 08:16 WIB — post 6 on m4\n"
        "Last 24 h:    1 published, 1 failed\n"
        "Unconfirmed:  2\n"
        "  post 1 on t1 (delivery 1): a person must check it — outcome unknown: telegram cannot be searched for it: "
        "check the channel, then run `campaigner post reconcile 1 --account t1 --found URL` or `--resend`\n"
        f"  post 4 on m2 (delivery 4): the worker looks again at 2026-11-30 08:01 WIB — {lost}\n"
        "Expired:      none\n"
        "Paused:       1\n"
        "  m3: the platform refused its credentials (mastodon POST /api/v1/statuses: The access token is invalid)"
        " — once fixed: campaigner account resume m3\n"
        "Held:         1\n"
        "  m4 until 2026-11-30 08:16 WIB: mastodon POST /api/v1/statuses: Too many requests\n"
        "Tokens:       none expiring\n"
        "Workers:      3\n"
        "  w0 last seen 2026-11-30 07:58:30 WIB — stale\n"
        "  w1 last seen 2026-11-30 08:01:00 WIB\n"
        "  w2 last seen 2026-11-30 07:59:00 WIB\n"
        "Alerts:       3 pending, not sent (no [smtp] table or [alerts] telegram_chat in the config file)\n"
        "Report:       2026-W48 not written yet (due 2026-11-30 07:00 WIB: `campaigner run` writes it, or run "
        "`campaigner report deliver`)\n")
    # the configured zone, not UTC: the same moment in WITA
    r = cli.ok("--timezone", "Asia/Makassar", "status")
    assert "Next due:     2026-11-30 09:16 WITA — post 6 on m4\n" in r.stdout
    # a day later the counts of the last 24 hours are empty and the hold is over
    cli.clock.advance(hours=24, minutes=1)
    r = cli.ok("status")
    assert "Last 24 h:    0 published, 0 failed\n" in r.stdout and "Held:         none\n" in r.stdout
    assert "  w1 last seen 2026-11-30 08:01:00 WIB — stale\n" in r.stdout
    # due now: posts 6 (its hold is over) and 7, and post 4's second look; post 5's account is paused
    assert "Queue:        3 queued, 3 due now (and 1 on paused or held accounts)\n" in r.stdout
    assert "Next due:     nothing waiting\n" in r.stdout
    dry = cli.ok("publish", "--dry-run").stdout.splitlines()
    # a day late, posts 6 and 7 are past the default lateness limit (6 h): not sent; post 4 may be out
    # already, so it is looked for (never expired blind)
    assert [line.split(":")[0] for line in dry] == [
        "would look for #4 on m2 (due 2026-11-30 08", "would not publish #6 on m4 (due 2026-11-30 08",
        "would not publish #7 on s1 (due 2026-11-30 10"]
    assert dry[0] == ("would look for #4 on m2 (due 2026-11-30 08:01 WIB; outcome unknown), "
                      "and publish it only if it is not there: Empat")
    assert dry[2] == "would not publish #7 on s1 (due 2026-11-30 10:01 WIB): past its lateness limit, it expires: Tujuh"
    report = engine_for().run_pass()  # the pass takes exactly what status and the dry run said, and
    # post 5, a day past its time on its paused account, expires where it waits
    assert (report.published, report.failed, report.unconfirmed, sorted(report.expired)) == ([4], [], [], [5, 6, 7])
    r = cli.ok("status")
    assert "Last 24 h:    0 published, 0 failed, 3 expired\n" in r.stdout  # post 4 went out a day ago
    assert ("Expired:      3 in the last 7 days, not sent: too late\n"
            "  post 7 on s1 (delivery 7), its time was 2026-11-30 10:01 WIB — to send it anyway: "
            "campaigner post retry 7 --account s1\n"
            "  post 6 on m4 (delivery 6), its time was 2026-11-30 08:01 WIB — to send it anyway: "
            "campaigner post retry 6 --account m4\n"
            "  post 5 on m3 (delivery 5), its time was 2026-11-30 08:01 WIB — to send it anyway: "
            "campaigner post retry 5 --account m3\n") in r.stdout


def test_status_json(cli, app, engine_for, engine, platform_account):
    _troubled_install(cli, app, engine_for, platform_account)
    data = json.loads(cli.ok("status", "--json").stdout)
    assert data["now"] == "2026-11-30T01:01:00Z" and data["timezone"] == "Asia/Jakarta"
    assert data["queue"] == {"queued": 3, "due_now": 0, "due_blocked": 1, "publishing": 0,
                             "next_due": {"at": "2026-11-30T01:16:00Z", "local": "2026-11-30 08:16 WIB",
                                          "account": "m4", "post_id": 6, "delivery_id": 6}}
    assert data["last_24h"] == {"published": 1, "failed": 1, "expired": 0}
    assert [(u["post_id"], u["account"], u["needs_person"], u["next_check_local"]) for u in data["unconfirmed"]] == [
        (1, "t1", True, None), (4, "m2", False, "2026-11-30 08:01 WIB")]
    assert data["unconfirmed"][0]["why"].startswith("outcome unknown: telegram cannot be searched")
    assert data["unconfirmed"][1]["next_check_at"] == "2026-11-30T01:01:30Z"
    assert [p["account"] for p in data["paused_accounts"]] == ["m3"]
    assert [(h["account"], h["until"], h["until_local"]) for h in data["held_accounts"]] == [
        ("m4", "2026-11-30T01:16:00Z", "2026-11-30 08:16 WIB")]
    assert [(w["name"], w["stale"], w["last_seen_local"]) for w in data["workers"]] == [
        ("w0", True, "2026-11-30 07:58:30 WIB"), ("w1", False, "2026-11-30 08:01:00 WIB"),
        ("w2", False, "2026-11-30 07:59:00 WIB")]
    assert data["alerts"] == {"pending": 3, "open": 3, "emailed": False, "email_to": [], "telegram_chat": None}
    assert data["weekly_report"] == {"week": "2026-W48", "due_at": "2026-11-30T00:00:00Z",
                                     "due_local": "2026-11-30 07:00 WIB", "written_at": None, "written_local": None,
                                     "written_by": None, "emailed_at": None, "failed_at": None, "failed_local": None}


def test_status_counts_deliveries_being_published(cli, app, engine_for):
    cli.ok("account", "add", "sandbox", "s1")
    cli.ok("post", "add", "Satu", "--to", "s1", "--now")
    cli.ok("post", "add", "Dua", "--to", "s1", "--now")
    e = engine_for()
    assert len(e._take(set()).deliveries) == 2  # leased and claimed as a pass does, never published
    r = cli.ok("status")
    assert r.stdout.startswith("Queue:        0 queued, 0 due now, 2 being published\n")
