"""Drafts and approval (issue 13, part 3): a draft is never published, however late; approval
queues it and records who and when; rejection says why; only the configured approvers may do
either. Through the real CLI, with Mastodon faked on 127.0.0.1, on SQLite and PostgreSQL."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigner.models import PostReview
from tests.engine.conftest import deliveries

WIB = ZoneInfo("Asia/Jakarta")


def wib(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB).astimezone(timezone.utc)


def statuses(cli) -> list[tuple[int, str, str]]:
    return [(r["post_id"], r["account"], r["status"]) for r in json.loads(cli.ok("post", "list", "--json").stdout)]


def config(cli, text: str) -> None:
    (cli.home / "config" / "campaigner.toml").write_text(text)


def reviews(engine) -> list[tuple[int, str, str, datetime, str | None]]:
    with Session(engine) as s:
        return [(r.post_id, r.action, r.reviewer, r.reviewed_at, r.reason)
                for r in s.scalars(select(PostReview).order_by(PostReview.id))]


def test_a_draft_is_never_published_and_approval_sends_it(cli, engine, platform_account):
    m1 = platform_account("mastodon", "m1")
    config(cli, 'user = "budi"\n')
    r = cli.ok("post", "add", "Rancangan: tolak Tapera", "--to", "m1", "--at", "2026-11-30 09:00", "--draft")
    assert r.stdout.splitlines()[:3] == [
        "Saved post 1 as a draft on 1 account: it goes out only once approved (campaigner post approve 1):",
        "Post 1 · draft: waiting for approval",
        "  m1               draft       2026-11-30 09:00 WIB"]
    cli.clock.now = wib("2026-11-30 09:30")
    assert cli.ok("publish").stdout.startswith("Published 0, failed 0,")
    assert m1.create_count() == 0 and statuses(cli) == [(1, "m1", "draft")]
    # shown apart, and in status as not sent
    assert cli.ok("post", "list").stdout.splitlines() == [
        "Drafts, not sent until approved (campaigner post approve POST):",
        "POST  DELIVERY  DUE                            ACCOUNT  STATUS  CAMPAIGN  TEXT",
        "1     1         2026-11-30 09:00 WIB (passed)  m1       draft             Rancangan: tolak Tapera"]
    assert ("Drafts:       1 waiting for approval, 1 whose time has passed: not sent\n"
            "  post 1 on m1 (delivery 1), its time was 2026-11-30 09:00 WIB — not sent until approved: campaigner "
            "post approve 1 [--at TIME | --now]\n") in cli.ok("status").stdout
    st = json.loads(cli.ok("status", "--json").stdout)["drafts"]
    assert (st["waiting"], st["time_passed"], [x["post_id"] for x in st["passed"]]) == (1, 1, [1])
    # within its lateness limit (6 h): approved, it goes out with the next pass
    r = cli.ok("post", "approve", "1")
    assert r.stdout == ("Approved post 1 (by budi): it goes out on m1 at 2026-11-30 09:00 WIB.\n"
                        "  its time has passed on m1 (2026-11-30 09:00 WIB): it goes out with the next publishing "
                        "pass.\n")
    assert cli.ok("publish").stdout.startswith("Published 1, failed 0,")
    assert list(m1.posts().values()) == ["Rancangan: tolak Tapera"]
    shown = cli.ok("post", "show", "1").stdout.splitlines()
    assert shown[0] == "Post 1 · approved"
    assert "approved by budi at 2026-11-30 09:30 WIB" in shown
    post = json.loads(cli.ok("post", "show", "1", "--json").stdout)
    assert (post["approval"], [(x["action"], x["by"], x["at_local"]) for x in post["reviews"]]) == \
           ("approved", [("approved", "budi", "2026-11-30 09:30 WIB")])
    assert reviews(engine) == [(1, "approved", "budi", wib("2026-11-30 09:30"), None)]


def test_an_account_that_requires_approval_makes_drafts(cli, engine, platform_account):
    m1, m2 = platform_account("mastodon", "m1"), platform_account("mastodon", "m2")
    cli.ok("account", "edit", "m1", "--requires-approval")
    assert json.loads(cli.ok("account", "show", "m1", "--json").stdout)["requires_approval"] is True
    r = cli.ok("post", "add", "Hidup buruh!", "--to", "m1,m2", "--at", "2026-11-30 09:00")
    assert r.stdout.splitlines()[0] == ("Saved post 1 as a draft on 2 accounts (m1 requires approval): it goes out "
                                        "only once approved (campaigner post approve 1):")
    assert cli.ok("post", "add", "Lain", "--to", "m2", "--at", "2026-11-30 09:00").stdout.startswith("Queued post 2")
    cli.clock.now = wib("2026-11-30 09:00")
    assert cli.ok("publish").stdout.startswith("Published 1, failed 0,")  # post 2 only
    assert m1.create_count() == 0 and list(m2.posts().values()) == ["Lain"]
    cli.ok("account", "edit", "m1", "--no-requires-approval")
    assert cli.ok("post", "add", "Kini", "--to", "m1", "--at", "2026-11-30 10:00").stdout.startswith("Queued post 3")
    assert statuses(cli) == [(1, "m1", "draft"), (1, "m2", "draft"), (2, "m2", "published"), (3, "m1", "queued")]


def test_approving_a_draft_past_its_lateness_limit_asks_for_a_time(cli, engine, platform_account):
    platform_account("mastodon", "m1")
    config(cli, 'user = "budi"\n')
    cli.ok("post", "add", "Besok aksi!", "--to", "m1", "--at", "2026-11-30 09:00", "--draft")
    cli.clock.now = wib("2026-11-30 16:00")
    r = cli("post", "approve", "1")
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == ("Error: post 1's time on m1 (2026-11-30 09:00 WIB) passed 7 h ago, past the default limit "
                        "of 6h — approve it with a new time: campaigner post approve 1 --at TIME, or to send it now "
                        "anyway: campaigner post approve 1 --now\n")
    assert statuses(cli) == [(1, "m1", "draft")] and reviews(engine) == []
    r = cli("post", "approve", "1", "--at", "2026-11-30 15:00")
    assert r.stderr == "Error: the time 2026-11-30 15:00 WIB is in the past — pick a later time, or use --now\n"
    r = cli("post", "approve", "1", "--at", "besok 09:00", "--now")
    assert (r.exit_code, r.stderr) == (2, "Error: --at and --now contradict each other: give one — see "
                                          "`campaigner post approve --help`\n")
    r = cli.ok("post", "approve", "1", "--at", "besok 09.00")
    assert r.stdout == "Approved post 1 (by budi): it goes out on m1 at 2026-12-01 09:00 WIB.\n"
    cli.clock.now = wib("2026-12-01 09:00")
    assert cli.ok("publish").stdout.startswith("Published 1, failed 0,")
    d = deliveries(engine)[0]
    assert (d.published_at, d.intended_at) == (wib("2026-12-01 09:00"), None)


def test_approve_now_sends_at_once_however_late(cli, engine, platform_account):
    m1 = platform_account("mastodon", "m1")
    cli.ok("post", "add", "Terlambat", "--to", "m1", "--at", "2026-11-30 09:00", "--draft")
    cli.clock.now = wib("2026-12-02 09:00")
    assert cli.ok("post", "approve", "1", "--now").stdout.endswith("it goes out on m1 at 2026-12-02 09:00 WIB.\n")
    assert cli.ok("publish").stdout.startswith("Published 1, failed 0,")
    assert m1.create_count() == 1


def test_reject_says_why_and_editing_makes_a_draft_again(cli, engine, platform_account):
    m1 = platform_account("mastodon", "m1")
    config(cli, 'user = "sari"\n')
    cli.ok("post", "add", "Aksi tgl 5", "--to", "m1", "--at", "2026-12-01 09:00", "--draft")
    r = cli("post", "reject", "1")
    assert (r.exit_code, r.stderr) == (2, "Error: Missing option '--reason'. — see `campaigner post reject --help`\n")
    r = cli("post", "reject", "1", "--reason", "   ")
    assert r.stderr == "Error: --reason is empty — say why, e.g. --reason \"the date is wrong\"\n"
    assert cli.ok("post", "reject", "1", "--reason", "tanggalnya salah").stdout == \
           "Rejected post 1 (by sari): tanggalnya salah\n"
    r = cli("post", "reject", "1", "--reason", "lagi")
    assert r.stderr == ("Error: post 1 was rejected already, by sari (tanggalnya salah) — edit it to make it a draft "
                        "again, or approve it: campaigner post approve 1\n")
    cli.clock.now = wib("2026-12-01 09:00")
    cli.ok("publish")
    assert m1.create_count() == 0 and statuses(cli) == [(1, "m1", "rejected")]
    shown = cli.ok("post", "show", "1").stdout.splitlines()
    assert shown[0] == "Post 1 · rejected" and "rejected by sari at 2026-11-30 08:00 WIB: tanggalnya salah" in shown
    cli.clock.now = wib("2026-11-30 10:00")
    r = cli.ok("post", "edit", "1", "Aksi tgl 6", "--at", "2026-12-02 09:00")
    assert r.stdout.splitlines()[:2] == [
        "Updated post 1, a draft: it goes out only once approved (campaigner post approve 1):",
        "Post 1 · draft: waiting for approval"]
    assert statuses(cli) == [(1, "m1", "draft")]
    assert cli.ok("post", "approve", "1").stdout == "Approved post 1 (by sari): it goes out on m1 at 2026-12-02 09:00 WIB.\n"
    assert [(a, who, why) for _, a, who, _, why in reviews(engine)] == [
        ("rejected", "sari", "tanggalnya salah"), ("approved", "sari", None)]


def test_an_approved_post_edited_waits_for_approval_again_but_not_for_a_new_time(cli, engine, platform_account):
    platform_account("mastodon", "m1")
    cli.ok("post", "add", "Versi satu", "--to", "m1", "--at", "2026-12-01 09:00", "--draft")
    cli.ok("post", "approve", "1")
    cli.ok("post", "edit", "1", "--at", "2026-12-01 10:00")
    assert statuses(cli) == [(1, "m1", "queued")]
    cli.ok("post", "edit", "1", "Versi dua")
    assert statuses(cli) == [(1, "m1", "draft")]
    assert json.loads(cli.ok("post", "show", "1", "--json").stdout)["approval"] == "pending"


def test_only_the_approvers_may_approve_or_reject(cli, engine, platform_account):
    platform_account("mastodon", "m1")
    cli.ok("post", "add", "Usulan federasi", "--to", "m1", "--at", "2026-12-01 09:00", "--draft")
    cli.ok("post", "add", "Usulan lain", "--to", "m1", "--at", "2026-12-01 10:00", "--draft")
    path = cli.home / "config" / "campaigner.toml"
    config(cli, 'user = "tono"\napprovers = ["budi", "sari"]\n')
    shown = json.loads(cli.ok("config", "--json").stdout)
    assert (shown["settings"]["user"], shown["settings"]["approvers"], shown["sources"]["user"]) == \
           ("tono", "budi, sari", f"config file {path}")
    r = cli("post", "approve", "1")
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == f"Error: tono may not approve posts (approvers in {path}: budi, sari) — ask one of them to approve it\n"
    r = cli("post", "reject", "1", "--reason", "tidak")
    assert r.stderr == f"Error: tono may not reject posts (approvers in {path}: budi, sari) — ask one of them to reject it\n"
    assert statuses(cli) == [(1, "m1", "draft"), (2, "m1", "draft")] and reviews(engine) == []
    r = cli("post", "approve", "1", "2", env={"CAMPAIGNER_USER": "sari"})
    assert r.stdout.splitlines() == ["Approved post 1 (by sari): it goes out on m1 at 2026-12-01 09:00 WIB.",
                                     "Approved post 2 (by sari): it goes out on m1 at 2026-12-01 10:00 WIB."]
    config(cli, 'approvers = "budi"\n')
    assert cli("post", "list").stderr == (f"Error: 'approvers' must list user names in config file {path} — "
                                          "e.g. approvers = [\"budi\", \"sari\"]\n")
    config(cli, 'user = "budi santoso"\n')
    assert cli("post", "list").stderr == (f"Error: the user name 'budi santoso' (user in {path}) is not one name — "
                                          "give a name without spaces, at most 128 characters, e.g. user = \"budi\"\n")


def test_approve_is_all_or_nothing_and_says_why_it_cannot(cli, engine, platform_account):
    platform_account("mastodon", "m1")
    cli.ok("post", "add", "Draf", "--to", "m1", "--at", "2026-12-01 09:00", "--draft")
    cli.ok("post", "add", "Biasa", "--to", "m1", "--at", "2026-12-01 10:00")
    r = cli("post", "approve", "1", "2")
    assert r.stderr == "Error: post 2 is not a draft (m1: queued) — nothing to approve\n"
    assert statuses(cli) == [(1, "m1", "draft"), (2, "m1", "queued")] and reviews(engine) == []
    assert cli("post", "approve", "9").stderr == "Error: no post with id 9 — see `campaigner post list`\n"
    cli.ok("post", "approve", "1")
    assert cli("post", "approve", "1").stderr.startswith("Error: post 1 was approved already, by ")
    cli.ok("post", "add", "Batal", "--to", "m1", "--at", "2026-12-01 11:00", "--draft")
    cli.ok("post", "cancel", "3")
    assert cli("post", "approve", "3").stderr == ("Error: post 3 has no draft waiting for approval (m1: cancelled) — "
                                                  "nothing to approve\n")


def test_drafts_hold_their_place_and_are_shown_apart_in_the_queue(cli, engine, platform_account):
    platform_account("mastodon", "m1")
    cli.ok("account", "edit", "m1", "--daily-cap", "2")
    cli.ok("post", "add", "Satu", "--to", "m1", "--at", "2026-12-01 09:00", "--draft")
    cli.ok("post", "add", "Dua", "--to", "m1", "--at", "2026-12-01 10:00")
    r = cli("post", "add", "Tiga", "--to", "m1", "--at", "2026-12-01 11:00")
    assert r.stderr.startswith("Error: account 'm1' would have 3 posts on 2026-12-01 (WIB), above its daily cap of 2")
    assert cli.ok("queue").stdout.splitlines() == [
        "Tuesday 2026-12-01",
        "  10:00 WIB  m1               #2     Dua",
        "",
        "Drafts waiting for approval (not sent until approved: campaigner post approve ID):",
        "  2026-12-01 09:00 WIB m1               #1     Satu"]
    assert [d["post_id"] for day in json.loads(cli.ok("queue", "--json").stdout) for d in day["deliveries"]] == [2]


def test_the_weekly_report_lists_drafts_whose_time_passed(cli, engine, platform_account):
    platform_account("mastodon", "m1")
    cli.ok("post", "add", "Tak disetujui", "--to", "m1", "--at", "2026-12-01 09:00", "--draft")
    cli.ok("post", "add", "Nanti", "--to", "m1", "--at", "2026-12-12 09:00", "--draft")
    cli.clock.now = wib("2026-12-07 08:00")
    text = cli.ok("report", "weekly", "--week", "2026-W49").stdout
    assert ("m1 (mastodon): 1 post not sent this week: drafts not approved by their time (to send one: campaigner "
            "post approve POST_ID --at TIME; list: campaigner post list --status draft)") in " ".join(text.split())
    data = json.loads(cli.ok("report", "weekly", "--week", "2026-W49", "--format", "json").stdout)
    assert [(a["account"], a["kind"], a["unapproved_posts"]) for a in data["attention"]] == [("m1", "unapproved", 1)]
    indonesian = cli.ok("report", "weekly", "--week", "2026-W49", "--lang", "id").stdout
    assert "rancangan belum disetujui sampai waktunya" in " ".join(indonesian.split())
    assert cli.ok("report", "weekly", "--week", "2026-W50").stdout.count("drafts not approved") == 0


def test_an_import_writes_drafts_in_chunks_and_none_is_published(cli, engine, platform_account, tmp_path):
    """A big import queues everything at its end: its draft rows become drafts then, not queued."""
    from campaigner.services.calendar import import_csv

    m1 = platform_account("mastodon", "m1")
    rows = "".join(f"2026-12-01,{8 + i // 60:02d}:{i % 60:02d},m1,Pesan {i},{'draft' if i % 2 else ''}\n"
                   for i in range(90))
    csv = tmp_path / "cal.csv"
    csv.write_text("date,time,accounts,text,status\n" + rows, encoding="utf-8")
    from campaigner.app import App
    from campaigner.config import resolve

    app = App(resolve({"database_url": cli.db_url}), now=cli.clock)
    try:
        result = import_csv(app, csv, chunk_rows=20)
    finally:
        app.close()
    assert (result.posts, result.drafts) == (90, 45)
    got = statuses(cli)
    assert [s for _, _, s in got] == ["queued", "draft"] * 45
    cli.clock.now = wib("2026-12-01 10:00")
    cli.ok("publish")
    assert m1.create_count() == 45
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(PostReview)) == 0


def test_a_draft_whose_time_passes_unapproved_raises_one_alert(cli, engine, platform_account, serve, home,
                                                                smtp_server, db_url):
    """By e-mail and to the Telegram chat like any alert, once per delivery and missed time;
    acknowledged by itself once the draft is approved (or rejected, cancelled)."""
    from campaigner.app import App
    from campaigner.config import resolve
    from campaigner.models import Alert
    from scheduler.jobs import alert_jobs
    from tests.engine.test_alerts_telegram import AlertBot, _configure, _sent

    inbox, port, _ = smtp_server()
    bot = serve(AlertBot())
    _configure(home, bot, smtp_port=port)
    platform_account("mastodon", "m1")
    platform_account("mastodon", "m2")
    cli.ok("post", "add", "Rancangan: tolak Tapera", "--to", "m1,m2", "--at", "2026-11-30 09:00", "--draft")
    cli.ok("post", "add", "Rancangan kedua", "--to", "m1", "--at", "2026-11-30 12:00", "--draft")
    cli.ok("post", "add", "Bukan rancangan", "--to", "m1", "--at", "2026-11-30 09:00")
    cli.clock.now = wib("2026-11-30 08:59")
    assert cli.ok("alerts", "send").stdout == "No pending alerts.\n"
    cli.clock.now = wib("2026-11-30 09:30")
    assert cli.ok("alerts", "send").stdout == ("E-mailed 2 alerts to humas@kspi.example, it@kspi.example.\n"
                                               "Sent 2 alerts to the Telegram chat -1001987654321.\n")
    [message] = _sent(bot)
    lines = message["text"].splitlines()
    assert lines[2:4] == [
        "#1  2026-11-30 09:30 WIB  draft_missed  m1  post 1 (delivery 1)  draft post 1 on m1 was due 2026-11-30 09:00 "
        "WIB and is not approved: not sent (\"Rancangan: tolak Tapera\") — campaigner post approve 1 --at TIME "
        "(or --now)",
        "#2  2026-11-30 09:30 WIB  draft_missed  m2  post 1 (delivery 2)  draft post 1 on m2 was due 2026-11-30 09:00 "
        "WIB and is not approved: not sent (\"Rancangan: tolak Tapera\") — campaigner post approve 1 --at TIME "
        "(or --now)"]
    assert ("- draft_missed: not sent, nobody approved it in time; approve it with a new time: `campaigner post "
            "approve POST_ID --at TIME` (or `--now`), or `campaigner post reject POST_ID --reason TEXT`") in lines
    assert "draft_missed" in inbox.messages[0][2].get("Subject")
    # once: neither `alerts send` nor the daemon's alert job raises it again
    assert cli.ok("alerts", "send").stdout == "No pending alerts.\n"
    app = App(resolve({"database_url": db_url}), now=cli.clock)
    cli.clock.now = wib("2026-11-30 10:00")
    alert_jobs(app)[0].run(cli.clock.now)
    assert len(_sent(bot)) == 1 and len(inbox.messages) == 1
    # approved with a new time: its alerts are settled by themselves
    cli.ok("post", "approve", "1", "--at", "besok 09:00")
    alert_jobs(app)[0].run(cli.clock.now)
    assert cli.ok("alerts", "list").stdout == "No open alerts.\n"
    # the second draft's time passes; given a new time (still a draft) its alert is settled, and it is
    # alerted again when that time passes
    cli.clock.now = wib("2026-11-30 12:05")
    alert_jobs(app)[0].run(cli.clock.now)
    cli.ok("post", "edit", "2", "--at", "2026-11-30 15:00")
    cli.clock.now = wib("2026-11-30 14:00")
    alert_jobs(app)[0].run(cli.clock.now)
    cli.clock.now = wib("2026-11-30 15:01")
    alert_jobs(app)[0].run(cli.clock.now)
    app.close()
    with Session(engine) as s:
        raised = s.execute(select(Alert.delivery_id, Alert.created_at, Alert.acked_at).where(Alert.kind == "draft_missed")
                           .order_by(Alert.id)).all()
    assert [(d, c.astimezone(WIB).strftime("%H:%M"), a is not None) for d, c, a in raised] == [
        (1, "09:30", True), (2, "09:30", True), (3, "12:05", True), (3, "15:01", False)]
    assert len(_sent(bot)) == 3 and len(inbox.messages) == 3


def test_a_missed_draft_is_alerted_within_a_week_and_its_alert_settled_when_rejected(cli, engine, platform_account,
                                                                                    db_url):
    """A draft missed more than ``LOOK_BACK`` (7 days) ago raises no alert; one missed 6 days
    23:59 ago does. Rejected (still due in the past, its time unchanged), its alert is settled."""
    from campaigner.app import App
    from campaigner.config import resolve
    from campaigner.models import Alert
    from campaigner.services.draft_alerts import raise_missed

    platform_account("mastodon", "m1")
    cli.ok("post", "add", "Rancangan lama", "--to", "m1", "--at", "2026-11-30 09:00", "--draft")
    cli.ok("post", "add", "Rancangan baru", "--to", "m1", "--at", "2026-11-30 09:02", "--draft")
    app = App(resolve({"database_url": db_url}), now=cli.clock)

    def raised() -> list[tuple[int, bool]]:
        with Session(engine) as s:
            return [(d, a is not None) for d, a in s.execute(
                select(Alert.delivery_id, Alert.acked_at).where(Alert.kind == "draft_missed").order_by(Alert.id))]

    try:
        assert raise_missed(app, wib("2026-12-07 09:01")) == 1  # the first was due 7 days and a minute ago
        assert raised() == [(2, False)]
        cli.ok("post", "reject", "2", "--reason", "tidak jadi")
        assert raise_missed(app, wib("2026-12-07 09:05")) == 0
        assert raised() == [(2, True)]
    finally:
        app.close()


def test_missed_drafts_are_alerted_a_batch_per_run_with_their_text_cut_short(cli, engine, platform_account, db_url,
                                                                              monkeypatch):
    """At most ``MAX_ALERTS`` per run, the oldest first (the rest come with the next run); a long
    text is quoted on one line, cut to 80 characters."""
    from campaigner.app import App
    from campaigner.config import resolve
    from campaigner.models import Alert
    from campaigner.services import draft_alerts

    monkeypatch.setattr(draft_alerts, "MAX_ALERTS", 2)
    platform_account("mastodon", "m1")
    long = "Rancangan siaran pers:\n" + " ".join(["Tolak potongan Tapera dari upah buruh."] * 4)
    cli.ok("post", "add", long, "--to", "m1", "--at", "2026-11-30 09:00", "--draft")
    cli.ok("post", "add", "Rancangan dua", "--to", "m1", "--at", "2026-11-30 09:01", "--draft")
    cli.ok("post", "add", "Rancangan tiga", "--to", "m1", "--at", "2026-11-30 09:02", "--draft")
    app = App(resolve({"database_url": db_url}), now=cli.clock)

    def raised() -> list[tuple[int, str]]:
        with Session(engine) as s:
            return [(d, m) for d, m in s.execute(select(Alert.delivery_id, Alert.message)
                                                 .where(Alert.kind == "draft_missed").order_by(Alert.id))]

    try:
        assert draft_alerts.raise_missed(app, wib("2026-11-30 10:00")) == 2
        assert [d for d, _m in raised()] == [1, 2]
        quoted = " ".join(long.split())[:79] + "…"
        assert len(quoted) == 80 and f'not sent ("{quoted}")' in raised()[0][1]
        assert draft_alerts.raise_missed(app, wib("2026-11-30 10:01")) == 1
        assert draft_alerts.raise_missed(app, wib("2026-11-30 10:02")) == 0
        assert [d for d, _m in raised()] == [1, 2, 3]
    finally:
        app.close()
