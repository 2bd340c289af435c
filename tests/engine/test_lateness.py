"""A post has a moment: past its lateness limit a delivery is not sent but expires (shown, alerted,
still sendable by a person); published deliveries say how late they went out (issue 10, point 4)."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from sqlalchemy import text as sql

from campaigner.models import DeliveryStatus as S
from tests.engine.conftest import alerts, deliveries
from tests.fakes.server import Failure

WIB = ZoneInfo("Asia/Jakarta")
HINT = "give a duration such as 30m, 6h or 2d, or none for no limit"


def wib(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB).astimezone(timezone.utc)


def statuses(cli) -> list[tuple[int, str, str]]:
    return [(r["post_id"], r["account"], r["status"]) for r in json.loads(cli.ok("post", "list", "--json").stdout)]


def test_a_post_past_its_moment_expires_instead_of_going_out(cli, engine, platform_account):
    """The issue's story: an account paused on 9 December (refused credentials) and resumed on the
    11th must not publish "Besok, 10 Desember…" on the 11th."""
    m1, m2 = platform_account("mastodon", "m1"), platform_account("mastodon", "m2")
    text = "Besok, 10 Desember, buruh turun ke jalan…"
    cli.clock.now = wib("2026-12-09 09:00")
    cli.ok("post", "add", text, "--to", "m1,m2", "--at", "2026-12-10 06:00")
    m1.expire_credentials()
    assert "m1: PAUSED" in cli("account", "check", "m1").stdout  # the credentials watch pauses it
    cli.clock.now = wib("2026-12-10 06:00")
    assert cli.ok("publish").stdout.startswith("Published 1, failed 0,")  # m2 only
    cli.clock.now = wib("2026-12-11 08:00")
    m1.renew_credentials()
    cli.ok("account", "resume", "m1")
    r = cli.ok("publish")
    assert r.stdout == ("Published 0, failed 0, retrying 0, deferred 0, unconfirmed 0, held back 0, expired 1 "
                        "(too late: see `campaigner post list --status expired`).\n")
    assert m1.create_count() == 0 and list(m2.posts().values()) == [text]
    reason = ("not sent: 1 d 2 h after its time 2026-12-10 06:00 WIB, past the default limit of 6h — send it "
              "anyway with `campaigner post retry 1 --account m1`, or give it a new time with "
              "`campaigner post edit 1 --at TIME`")
    shown = cli.ok("post", "show", "1").stdout.splitlines()
    assert shown[:4] == ["Post 1",
                         "  m1               expired     2026-12-10 06:00 WIB",
                         "                   lateness limit: the default limit of 6h (not sent after 2026-12-10 "
                         "12:00 WIB)",
                         f"                   last error: {reason}"]
    assert shown[4].startswith("  m2               published   2026-12-10 06:00 WIB  https://")
    listed = json.loads(cli.ok("post", "list", "--status", "expired", "--json").stdout)
    assert [(r["post_id"], r["account"], r["status"], r["late_seconds"]) for r in listed] == [(1, "m1", "expired", None)]
    assert "Expired:      1 in the last 7 days, not sent: too late\n" \
           "  post 1 on m1 (delivery 1), its time was 2026-12-10 06:00 WIB — to send it anyway: " \
           "campaigner post retry 1 --account m1\n" in cli.ok("status").stdout
    assert [(a.kind, a.delivery_id, a.message) for a in alerts(engine) if a.kind == "expired"] == [
        ("expired", 1, reason)]
    digest = cli.ok("alerts", "list").stdout
    assert ("- expired: not sent, its moment had passed; to send it anyway: `campaigner post retry POST_ID "
            "--account NAME`, or give it a new time: `campaigner post edit POST_ID --at TIME`\n") in digest
    # the week's report (not over yet) says so under Needs attention, not "nothing"
    att = json.loads(cli.ok("report", "weekly", "--week", "2026-W50", "--format", "json").stdout)["attention"]
    assert [(a["account"], a["kind"], a["expired_posts"]) for a in att] == [("m1", "expired", 1)]
    report = cli.ok("report", "weekly", "--week", "2026-W50").stdout
    assert "Nothing: every account is fine." not in report
    assert ("- m1 (mastodon): 1 post not sent this week: past the lateness limit (to send one anyway: campaigner "
            "post retry POST_ID --account m1; list: campaigner post list --status expired)") in " ".join(report.split())

    # a person decides to send it anyway: it goes out now, and says how late
    assert cli.ok("post", "retry", "1", "--account", "m1").stdout == "Queued post 1 again on m1.\n"
    cli.clock.now = wib("2026-12-11 08:05")
    assert cli.ok("publish").stdout.startswith("Published 1, failed 0,")
    assert list(m1.posts().values()) == [text]
    shown = cli.ok("post", "show", "1").stdout.splitlines()
    assert shown[1].startswith("  m1               published   2026-12-11 08:05 WIB (1 d 2 h late; its time was "
                               "2026-12-10 06:00 WIB)  https://")
    rows = json.loads(cli.ok("post", "list", "--json").stdout)
    assert [(r["account"], r["status"], r["published_at"], r["late_seconds"]) for r in rows] == [
        ("m2", "published", "2026-12-09T23:00:00Z", 0), ("m1", "published", "2026-12-11T01:05:00Z", 26 * 3600 + 300)]
    assert json.loads(cli.ok("post", "show", "1", "--json").stdout)["deliveries"][0]["late_seconds"] == 93900
    # the report of that week lists it as published late (and nothing needs attention any more)
    cli.clock.now = wib("2026-12-14 08:00")
    data = json.loads(cli.ok("report", "weekly", "--format", "json").stdout)
    assert data["attention"] == []
    assert [(d["post_id"], d["account"], d["late_seconds"]) for d in data["published_late"]] == [(1, "m1", 93900)]
    report = cli.ok("report", "weekly").stdout
    assert ("Published late (15 minutes or more after their time)\n"
            "  - post 1 on m1 (mastodon): 1 d 2 h late — its time Thu 10 Dec 06:00 WIB, out\n"
            "    Fri 11 Dec 08:05 WIB\n") in report
    markdown = cli.ok("report", "weekly", "--format", "markdown").stdout
    assert ("**Published late (15 minutes or more after their time)**\n"
            "- post 1 on m1 (mastodon): 1 d 2 h late — its time Thu 10 Dec 06:00 WIB, out Fri 11 Dec 08:05 WIB\n"
            ) in markdown
    html = cli.ok("report", "weekly", "--format", "html").stdout
    assert ("<h3>Published late (15 minutes or more after their time)</h3>\n<ul><li>post 1 on m1 (mastodon): "
            "1 d 2 h late — its time Thu 10 Dec 06:00 WIB, out Fri 11 Dec 08:05 WIB</li></ul>") in html
    late_csv = [line for line in cli.ok("report", "weekly", "--format", "csv").stdout.splitlines()
                if line.startswith("1,1,")]
    assert late_csv[0].split(",")[9] == str(26 * 60 + 5)  # late_minutes
    indonesian = cli.ok("report", "weekly", "--lang", "id").stdout
    assert "postingan 1 di m1 (mastodon): terlambat 1 hari 2 jam — waktunya Kam 10 Des 06.00 WIB" in " ".join(
        indonesian.split())


def test_a_cap_deferral_keeps_the_moment_and_respects_the_limit(cli, engine):
    cli.ok("account", "add", "sandbox", "s1", "--daily-cap", "3")
    cli.ok("post", "add", "Satu", "--to", "s1", "--at", "2026-11-30 09:00")
    cli.ok("post", "add", "Dua", "--to", "s1", "--at", "2026-11-30 09:00", "--max-late", "2d")
    cli.ok("post", "add", "Tiga", "--to", "s1", "--at", "2026-11-30 09:00")
    cli.ok("account", "edit", "s1", "--daily-cap", "1")
    cli.clock.now = wib("2026-11-30 09:00")
    r = cli.ok("publish")
    assert r.stdout.startswith("Published 1, failed 0, retrying 0, deferred 1, unconfirmed 0, held back 0, expired 1")
    _, two, three = deliveries(engine)
    # moved to the next day within its 2-day limit; its moment stays
    assert (two.status, two.due_at, two.intended_at) == (S.QUEUED, wib("2026-12-01 09:00"), wib("2026-11-30 09:00"))
    # the default 6 hours: the same deferral would make it a day late, so it expires at once
    assert three.status == S.EXPIRED and three.last_error.startswith(
        "not sent: it would be moved to 2026-12-01 09:00 WIB: daily cap of 1 reached on 2026-11-30 (WIB), "
        "1 d after its time 2026-11-30 09:00 WIB, past the default limit of 6h — ")
    shown = cli.ok("post", "show", "2").stdout.splitlines()
    assert shown[1] == "  s1               queued      2026-12-01 09:00 WIB (moved from 2026-11-30 09:00 WIB)"
    cli.clock.now = wib("2026-12-01 09:00")
    assert cli.ok("publish").stdout.startswith("Published 1,")
    assert cli.ok("post", "show", "2").stdout.splitlines()[1].startswith(
        "  s1               published   2026-12-01 09:00 WIB (1 d late; its time was 2026-11-30 09:00 WIB)")


def test_an_unconfirmed_delivery_is_looked_for_never_expired_blind(cli, engine, platform_account):
    fake = platform_account("mastodon", "m1")
    cli.ok("post", "add", "Sampai", "--to", "m1", "--now")  # post 1: arrives, the answer is lost
    cli.ok("post", "add", "Hilang", "--to", "m1", "--now")  # post 2: never arrives
    fake.fail_next(Failure.DROP_AFTER, path_contains="/api/v1/statuses")
    fake.fail_next(Failure.DROP, path_contains="/api/v1/statuses")
    assert cli.ok("publish").stdout.startswith("Published 0, failed 0, retrying 0, deferred 0, unconfirmed 2")
    cli.clock.advance(hours=7)  # both are past the default limit of 6 hours now
    r = cli.ok("publish")
    assert r.stdout.startswith("Published 1, failed 0, retrying 0, deferred 0, unconfirmed 0, held back 0, expired 1")
    found, missing = deliveries(engine)
    assert found.status == S.PUBLISHED and found.published_at == wib("2026-11-30 08:00")  # when it really went out
    assert missing.status == S.EXPIRED and [(a.kind, a.outcome) for a in missing.attempts] == [
        ("publish", "unknown"), ("reconcile", "not_found")]
    assert fake.create_count() == 1 and list(fake.posts().values()) == ["Sampai"]  # nothing sent again
    cli.ok("post", "retry", "2")  # a person decides: sent now, once
    assert cli.ok("publish").stdout.startswith("Published 1,")
    assert sorted(fake.posts().values()) == ["Hilang", "Sampai"]


def test_the_limit_comes_from_the_post_then_the_account_then_the_config(cli, home):
    (home / "config" / "campaigner.toml").write_text('max_late = "1h"\n')
    assert f"max_late      1h  (config file {home / 'config' / 'campaigner.toml'})\n" in cli.ok("config").stdout
    cli.ok("account", "add", "sandbox", "s1")
    cli.ok("account", "add", "sandbox", "s2", "--max-late", "3h")
    cli.ok("account", "add", "sandbox", "s3", "--max-late", "none")
    at = ("--at", "2026-11-30 09:00")
    cli.ok("post", "add", "Satu", "--to", "s1,s2,s3", *at)  # each account's own limit
    cli.ok("post", "add", "Dua", "--to", "s1", *at, "--max-late", "4h")
    cli.ok("post", "add", "Tiga", "--to", "s2", *at, "--expires", "2026-11-30 09:30")
    cli.ok("post", "add", "Empat", "--to", "s3", *at, "--max-late", "30m")
    cli.ok("post", "add", "Lima", "--to", "s1", *at, "--max-late", "none")
    cli.clock.now = wib("2026-11-30 11:00")  # two hours late
    cli("publish")
    assert statuses(cli) == [(1, "s1", "expired"), (1, "s2", "published"), (1, "s3", "published"),
                             (2, "s1", "published"), (3, "s2", "expired"), (4, "s3", "expired"),
                             (5, "s1", "published")]
    assert json.loads(cli.ok("account", "show", "s2", "--json").stdout)["max_late"] == "3h"
    cli.ok("account", "edit", "s2", "--max-late", "default")
    shown = json.loads(cli.ok("account", "show", "s2", "--json").stdout)
    assert (shown["max_late"], shown["max_late_from"]) == ("1h", "default")
    limit = json.loads(cli.ok("post", "show", "3", "--json").stdout)["deliveries"][0]["lateness_limit"]
    assert (limit["from"], limit["expires_at"], limit["until"]) == ("post", "2026-11-30T02:30:00Z",
                                                                    "2026-11-30T02:30:00Z")


def test_a_new_time_queues_an_expired_delivery_again(cli, engine):
    cli.ok("account", "add", "sandbox", "s1")
    cli.ok("post", "add", "Satu", "--to", "s1", "--at", "2026-11-30 09:00")
    cli.ok("post", "add", "Dua", "--to", "s1", "--at", "2026-11-30 09:00")
    cli.clock.now = wib("2026-11-30 16:00")
    cli.ok("publish")
    assert statuses(cli) == [(1, "s1", "expired"), (2, "s1", "expired")]
    r = cli.ok("post", "edit", "1", "--at", "2026-11-30 17:00")
    assert r.stdout == "Updated post 1:\nPost 1\n  s1               queued      2026-11-30 17:00 WIB\n"
    assert cli.ok("post", "cancel", "2").stdout == "Cancelled post 2 on s1.\n"
    cli.clock.now = wib("2026-11-30 17:00")
    assert cli.ok("publish").stdout.startswith("Published 1,")
    first = deliveries(engine)[0]
    assert (first.status, first.published_at, first.last_error) == (S.PUBLISHED, wib("2026-11-30 17:00"), None)
    assert json.loads(cli.ok("post", "show", "1", "--json").stdout)["deliveries"][0]["late_seconds"] == 0


def test_bad_limits_are_one_line_and_change_nothing(cli, home, tmp_path):
    cli.ok("account", "add", "sandbox", "s1")
    add = ("post", "add", "Satu", "--to", "s1", "--at", "2026-12-01 09:00")
    for extra, message in [
        (("--max-late", "-5m"), f"--max-late -5m is negative — {HINT}"),
        (("--max-late", "soon"), f"cannot read --max-late 'soon' — {HINT}"),
        (("--max-late", "0m"), f"--max-late 0m is no time at all — {HINT}"),
        (("--max-late", "400d"), "--max-late 400d is more than 365 days — give at most 365d, or none for no limit"),
        (("--expires", "2026-12-01 08:00"), "--expires 2026-12-01 08:00 WIB is not after the post's time "
                                            "2026-12-01 09:00 WIB on s1 — give a later --expires, or --max-late "
                                            "DURATION"),
        (("--expires", "2026-12-01 09:00"), "--expires 2026-12-01 09:00 WIB is not after the post's time "
                                            "2026-12-01 09:00 WIB on s1 — give a later --expires, or --max-late "
                                            "DURATION"),
        (("--expires", "lusa sore"), "--expires: cannot read the time of day in 'lusa sore' — use HH:MM, e.g. "
                                     "\"tomorrow 09:00\""),
        (("--expires", "2026-12-01 12:00", "--max-late", "6h"),
         "--expires and --max-late both set how late the post may go out — give one of them"),
    ]:
        r = cli(*add, *extra)
        assert (r.exit_code, r.stdout, r.stderr) == (1, "", f"Error: {message}\n"), extra
    assert statuses(cli) == []
    r = cli("account", "add", "sandbox", "s2", "--max-late", "-1h")
    assert (r.exit_code, r.stderr) == (1, f"Error: --max-late -1h is negative — {HINT}\n")
    r = cli("account", "edit", "s1", "--max-late", "kapan-kapan")
    assert (r.exit_code, r.stderr) == (1, f"Error: cannot read --max-late 'kapan-kapan' — {HINT}\n")
    assert [a["name"] for a in json.loads(cli.ok("account", "list", "--json").stdout)] == ["s1"]
    assert json.loads(cli.ok("account", "show", "s1", "--json").stdout)["max_late_from"] == "default"
    cli.ok(*add)
    r = cli("post", "edit", "1", "--max-late", "-5m")
    assert (r.exit_code, r.stderr) == (1, f"Error: --max-late -5m is negative — {HINT}\n")
    assert json.loads(cli.ok("post", "show", "1", "--json").stdout)["deliveries"][0]["lateness_limit"]["from"] == \
        "default"
    calendar = tmp_path / "kalender.csv"
    calendar.write_text("tanggal,jam,akun,teks,batas telat\n2026-12-02,09:00,s1,Dua,2h\n2026-12-02,10:00,s1,Tiga,"
                        "nanti\n", encoding="utf-8")
    r = cli("post", "import", str(calendar))
    assert r.stderr == (f"Error: kalender.csv line 3: cannot read max_late 'nanti' — {HINT}\n"
                        "Error: 1 bad row in kalender.csv, nothing was imported — fix the rows above and import "
                        "again\n")
    assert [p for p, _, _ in statuses(cli)] == [1]
    config = home / "config" / "campaigner.toml"
    config.write_text('max_late = "-5m"\n')
    r = cli("post", "list")
    assert (r.exit_code, r.stderr) == (1, f"Error: max_late -5m is negative in {config} — {HINT}\n")
    config.write_text("")
    r = cli("post", "list", env={"CAMPAIGNER_MAX_LATE": "lama"})
    assert (r.exit_code, r.stderr) == (1, f"Error: cannot read CAMPAIGNER_MAX_LATE 'lama' — {HINT}\n")


def test_the_calendar_carries_the_limit_both_ways(cli, tmp_path):
    cli.ok("account", "add", "sandbox", "s1")
    calendar = tmp_path / "kalender.csv"
    calendar.write_text("date,time,accounts,text,max_late\n2026-12-02,09:00,s1,Dua,90m\n2026-12-02,10:00,s1,Tiga,\n",
                        encoding="utf-8")
    cli.ok("post", "import", str(calendar))
    cli.ok("post", "add", "Empat", "--to", "s1", "--at", "2026-12-02 11:00", "--expires", "2026-12-02 13:30")
    limits = [json.loads(cli.ok("post", "show", str(i), "--json").stdout)["deliveries"][0]["lateness_limit"]
              for i in (1, 2)]
    assert [(x["from"], x["max_late_minutes"]) for x in limits] == [("post", 90), ("default", 360)]
    out = cli.ok("post", "export", "-").stdout
    assert out.splitlines()[0] == "date,time,accounts,text,link,campaign,media,max_late"
    assert out.splitlines()[1:] == ["2026-12-02,09:00,s1,Dua,,,,1h30m", "2026-12-02,10:00,s1,Tiga,,,,",
                                    "2026-12-02,11:00,s1,Empat,,,,2h30m"]


def test_the_migration_keeps_existing_deliveries(empty_db_url, cli):
    """0002 → 0004 on a database with a queued delivery (both backends): the new columns are empty,
    so the delivery follows the default limit, and the new status can be written and read."""
    from campaigner.db import make_engine
    from campaigner.migrate import upgrade

    engine = make_engine(empty_db_url)
    upgrade(engine, "0002_engine")
    t = "'2026-11-30 02:00:00+00:00'"
    with engine.begin() as c:
        c.execute(sql("INSERT INTO accounts (id, name, platform, status, created_at) "
                      f"VALUES (1, 's1', 'sandbox', 'active', {t})"))
        c.execute(sql(f"INSERT INTO posts (id, text, is_thread, variants, created_at, updated_at) "
                      f"VALUES (1, 'Lama', false, '{{}}', {t}, {t})"))
        c.execute(sql("INSERT INTO deliveries (id, post_id, account_id, status, due_at, slot_based, attempt_count, "
                      f"created_at, updated_at) VALUES (1, 1, 1, 'queued', {t}, false, 0, {t}, {t})"))
        c.execute(sql("INSERT INTO delivery_parts (delivery_id, position, text, idempotency_key) "
                      "VALUES (1, 0, 'Lama', 'k1')"))
    upgrade(engine)
    engine.dispose()
    limit = json.loads(cli.ok("--db", empty_db_url, "post", "show", "1", "--json").stdout)["deliveries"][0]
    assert (limit["status"], limit["intended_at"], limit["lateness_limit"]["from"]) == (
        "queued", "2026-11-30T02:00:00Z", "default")
    cli.clock.now = wib("2026-11-30 16:00")
    cli.ok("--db", empty_db_url, "publish")
    rows = json.loads(cli.ok("--db", empty_db_url, "post", "list", "--status", "expired", "--json").stdout)
    assert [(r["post_id"], r["status"]) for r in rows] == [(1, "expired")]


def test_a_post_waiting_on_a_paused_or_held_account_expires_when_its_limit_passes(cli, engine, app,
                                                                                  platform_account):
    """Not days later when the account comes back: at its limit it is expired, shown and alerted,
    by the worker's minute job (which runs when nothing can be sent) and by any publishing pass."""
    from scheduler.jobs import expiry_jobs

    m1 = platform_account("mastodon", "m1")
    cli.ok("account", "add", "sandbox", "s1")
    cli.clock.now = wib("2026-12-09 09:00")
    cli.ok("post", "add", "Aksi besok pagi", "--to", "m1", "--at", "2026-12-10 06:00")  # post 1
    cli.ok("post", "add", "Rapat akbar", "--to", "s1", "--at", "2026-12-10 06:00")      # post 2
    cli.ok("post", "add", "Siaran pers", "--to", "m1", "--at", "2026-12-10 12:00")      # post 3
    m1.expire_credentials()
    assert cli("account", "check", "m1").exit_code == 1  # paused
    with engine.begin() as c:  # s1 is held by a rate limit until the 11th
        c.execute(sql("UPDATE accounts SET held_until = :t, held_reason = 'rate limited' WHERE name = 's1'"),
                  {"t": wib("2026-12-11 00:00")})
    [job] = expiry_jobs(app)
    cli.clock.now = wib("2026-12-10 11:59")
    job.run(cli.clock.now)
    assert statuses(cli) == [(1, "m1", "queued"), (2, "s1", "queued"), (3, "m1", "queued")]  # within 6 hours
    cli.clock.now = wib("2026-12-10 12:01")
    job.run(cli.clock.now)  # the idle worker's minute job
    assert statuses(cli) == [(1, "m1", "expired"), (2, "s1", "expired"), (3, "m1", "queued")]
    expired = [a for a in alerts(engine) if a.kind == "expired"]
    assert sorted(a.delivery_id for a in expired) == [1, 2]
    assert expired[0].message.startswith("not sent: 6 h 1 min after its time 2026-12-10 06:00 WIB")
    job.run(cli.clock.now)
    assert len([a for a in alerts(engine) if a.kind == "expired"]) == 2  # never twice
    cli.clock.now = wib("2026-12-10 18:01")
    assert "expired 1" in cli.ok("publish").stdout  # a publishing pass does it too
    assert statuses(cli)[2] == (3, "m1", "expired")
    cli.clock.now = wib("2026-12-11 08:00")
    m1.renew_credentials()
    cli.ok("account", "resume", "m1")
    cli.ok("publish")
    assert m1.create_count() == 0  # the account came back; the posts whose moment passed did not go out
