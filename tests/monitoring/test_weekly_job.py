"""The weekly report written and e-mailed by the daemon every Monday 07:00 local time: exactly once
with several workers, to a REAL SMTP server on 127.0.0.1, and never lost when a step fails."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from campaigner.app import App
from scheduler.jobs import report_jobs
from campaigner.config import resolve
from campaigner.services import weekly_report
from campaigner.services.weekly_report import due_week

WIB = ZoneInfo("Asia/Jakarta")
PASSWORD = "weekly-SMTP-pa55word-4410"
TO = ["pimpinan@kspi.example"]


def wib(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB).astimezone(timezone.utc)


def _config(home, *, port: int | None = None, **report) -> None:
    lines = []
    if port is not None:
        lines += ["[smtp]", 'host = "127.0.0.1"', f"port = {port}", 'from = "campaigner@kspi.example"',
                  'to = ["humas@kspi.example"]', "starttls = false"]
        if report.pop("auth", False):
            lines.append('username = "campaigner"')
    if report:
        lines.append("[report]")
        lines += [f"{k} = {json.dumps(v)}" for k, v in report.items()]
    (home / "config" / "campaigner.toml").write_text("\n".join(lines) + "\n")


def _app(db_url, clock) -> App:
    """An App reading the config file as it is now."""
    return App(resolve({"database_url": db_url}), now=clock)


def _week48(cli, engine_for) -> None:
    """One post published on Wednesday of week 48 (2026-11-25)."""
    cli.ok("account", "add", "sandbox", "s1")
    cli.clock.now = wib("2026-11-25 09:00")
    cli.ok("post", "add", "Tolak Tapera! Upah buruh bukan tabungan paksa", "--to", "s1", "--now")
    engine_for().publish_all_due()


@pytest.mark.parametrize("local, week", [
    ("2026-11-30 06:59", "2026-W47"),   # Monday before 07:00: last week's report is not due yet
    ("2026-11-30 07:00", "2026-W48"),
    ("2026-12-06 23:59", "2026-W48"),   # Sunday night
    ("2027-01-04 07:00", "2026-W53"),   # 2026 has 53 ISO weeks
])
def test_due_week_turns_at_monday_seven_local(local, week):
    assert due_week(wib(local), WIB).iso == week
    # Monday 06:59 WIB is still Sunday in UTC: the local time decides
    assert wib("2026-11-30 06:59").weekday() == 6


def test_due_week_in_a_daylight_saving_zone():
    berlin = ZoneInfo("Europe/Berlin")
    at = datetime(2026, 3, 30, 7, 0, tzinfo=berlin)  # the Monday after the clocks went forward
    assert due_week(at, berlin).iso == "2026-W13"
    assert due_week(at - timedelta(minutes=1), berlin).iso == "2026-W12"


def test_workers_write_and_email_the_report_once(cli, engine_for, home, db_url, smtp_server, caplog):
    inbox, port, _ = smtp_server()
    _config(home, port=port, lang="id", formats=["html", "markdown", "csv"], to=TO)
    _week48(cli, engine_for)
    cli.clock.now = wib("2026-11-30 06:59")
    apps = [_app(db_url, cli.clock) for _ in range(3)]
    jobs = [report_jobs(a, f"w{i}")[0] for i, a in enumerate(apps)]
    assert (jobs[0].name, jobs[0].every) == ("weekly_report", timedelta(minutes=1))
    apps[0].settings.reports_dir.mkdir(parents=True)
    (apps[0].settings.reports_dir / "weekly-2026-W47.html").write_text("written last week")
    # week 47 was done last week by another worker; until 07:00 nothing is due
    from campaigner.services.workers import claim_period
    assert claim_period(apps[0], "weekly_report", "2026-W47", "old", wib("2026-11-23 07:00"))
    assert claim_period(apps[0], "weekly_report_mail", "2026-W47", "old", wib("2026-11-23 07:00"))
    for job in jobs:
        job.run(cli.clock.now)
    assert inbox.messages == [] and sorted(p.name for p in apps[0].settings.reports_dir.iterdir()) == [
        "weekly-2026-W47.html"]

    cli.clock.now = wib("2026-11-30 07:00")
    caplog.set_level(logging.INFO, logger="campaigner")
    with caplog.at_level(logging.DEBUG):
        outcomes = [weekly_report.run(a, f"w{i}", cli.clock.now) for i, a in enumerate(apps)]
        for job in jobs:  # and again a minute later: nothing more
            job.run(cli.clock.now + timedelta(minutes=1))
    folder = apps[0].settings.reports_dir
    assert [o.week for o in outcomes] == ["2026-W48"] * 3
    assert [len(o.written) for o in outcomes] == [3, 0, 0]
    assert sorted(p.name for p in folder.iterdir()) == [
        "weekly-2026-W47.html", "weekly-2026-W48.csv", "weekly-2026-W48.html", "weekly-2026-W48.md"]
    # the files are the report the command line makes at the same moment, in the configured language
    for fmt, ext in (("markdown", "md"), ("csv", "csv"), ("html", "html")):
        want = cli.ok("report", "weekly", "--week", "2026-W48", "--format", fmt, "--lang", "id").stdout
        with open(folder / f"weekly-2026-W48.{ext}", encoding="utf-8", newline="") as f:  # CRLF in the CSV
            assert f.read() == want
    assert "- Terbit: **1 postingan** (pekan lalu 0)" in (folder / "weekly-2026-W48.md").read_text().splitlines()

    assert len(inbox.messages) == 1 and outcomes[0].emailed_to == tuple(TO)
    sender, rcpt, msg = inbox.messages[0]
    assert (sender, rcpt) == ("campaigner@kspi.example", TO)  # [report] to, not the alerts' list
    assert msg["Subject"] == "[campaigner] Laporan mingguan — Pekan ke-48 tahun 2026"
    body = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert body == cli.ok("report", "weekly", "--week", "2026-W48", "--lang", "id").stdout
    attached = {p.get_filename(): p for p in msg.iter_attachments()}
    assert sorted(attached) == ["weekly-2026-W48.csv", "weekly-2026-W48.html", "weekly-2026-W48.md"]
    assert attached["weekly-2026-W48.html"].get_content_type() == "text/html"
    assert attached["weekly-2026-W48.html"].get_content().replace("\r\n", "\n") == (
        folder / "weekly-2026-W48.html").read_text()
    assert [r.getMessage() for r in caplog.records if r.name.startswith("campaigner")] == [
        f"wrote the 2026-W48 weekly report to {folder / 'weekly-2026-W48.html'}, "
        f"{folder / 'weekly-2026-W48.md'}, {folder / 'weekly-2026-W48.csv'}",
        "e-mailed the 2026-W48 weekly report to pimpinan@kspi.example"]
    for a in apps:
        a.close()


def test_without_smtp_the_report_is_only_written(cli, engine_for, home, db_url):
    _week48(cli, engine_for)
    cli.clock.now = wib("2026-11-30 07:05")
    app = _app(db_url, cli.clock)
    out = weekly_report.run(app, "w1", cli.clock.now)
    assert [p.name for p in out.written] == ["weekly-2026-W48.html", "weekly-2026-W48.md", "weekly-2026-W48.csv"]
    assert out.written[0].parent == home / "data" / "reports" and out.emailed_to == ()
    assert weekly_report.run(app, "w1", cli.clock.now).written == []
    app.close()


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")  # a loopback test server
def test_a_failed_email_is_sent_later_once_and_the_password_never_shows(cli, engine_for, home, db_url,
                                                                        smtp_server, caplog, monkeypatch):
    inbox, port, stop = smtp_server(password=PASSWORD)
    stop()  # the mail server is down at 07:00
    monkeypatch.setenv("CAMPAIGNER_SMTP_PASSWORD", PASSWORD)
    _config(home, port=port, auth=True)
    _week48(cli, engine_for)
    cli.clock.now = wib("2026-11-30 07:00")
    app = _app(db_url, cli.clock)
    with caplog.at_level(logging.DEBUG):
        out = weekly_report.run(app, "w1", cli.clock.now)
    assert len(out.written) == 3 and out.emailed_to == ()
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert errors == [f"weekly report 2026-W48: could not e-mail the 2026-W48 weekly report via 127.0.0.1:{port} "
                      "(ConnectionRefusedError: [Errno 111] Connection refused) — check the [smtp] settings and "
                      "the password; it is tried again in 15 minutes"]

    assert cli.ok("status").stdout.splitlines()[-1] == (
        "Report:       2026-W48 written 2026-11-30 07:00 WIB by w1, not e-mailed yet; the last try failed at "
        "2026-11-30 07:00 WIB (the worker's log says why)")
    # the server is back, on the same port; the next tries wait 15 minutes and do not rewrite the files
    inbox, _, _ = smtp_server(password=PASSWORD, port=port)
    cli.clock.advance(minutes=14)
    assert weekly_report.run(app, "w2", cli.clock.now).emailed_to == ()
    cli.clock.advance(minutes=1)
    again = weekly_report.run(app, "w2", cli.clock.now)
    assert (again.written, again.emailed_to) == ([], ("humas@kspi.example",))
    weekly_report.run(app, "w1", cli.clock.now + timedelta(minutes=30))
    assert len(inbox.messages) == 1
    assert cli.ok("status").stdout.splitlines()[-1] == (
        "Report:       2026-W48 written 2026-11-30 07:00 WIB by w1, e-mailed")
    assert PASSWORD not in caplog.text
    app.close()


def test_a_report_that_cannot_be_written_is_written_later(cli, engine_for, home, db_url, tmp_path, caplog):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the reports folder should be")
    _config(home, dir=str(blocked), formats=["markdown"])
    _week48(cli, engine_for)
    cli.clock.now = wib("2026-11-30 07:00")
    app = _app(db_url, cli.clock)
    with caplog.at_level(logging.ERROR):
        assert weekly_report.run(app, "w1", cli.clock.now).written == []
    assert [r.getMessage() for r in caplog.records] == [
        f"weekly report 2026-W48: cannot create the reports folder {blocked}: File exists — make it writable "
        "or set dir in the [report] table of the config file"]
    assert cli.ok("status").stdout.splitlines()[-1] == (
        "Report:       2026-W48 not written yet (due 2026-11-30 07:00 WIB: `campaigner run` writes it, or run "
        "`campaigner report deliver`); the last try failed at 2026-11-30 07:00 WIB (the worker's log says why)")
    blocked.unlink()
    cli.clock.advance(minutes=15)
    assert [p.name for p in weekly_report.run(app, "w1", cli.clock.now).written] == ["weekly-2026-W48.md"]
    assert cli.ok("status").stdout.splitlines()[-1] == "Report:       2026-W48 written 2026-11-30 07:15 WIB by w1"
    app.close()


def test_report_deliver_for_cron(cli, engine_for, home):
    _week48(cli, engine_for)
    cli.clock.now = wib("2026-12-02 10:00")  # Wednesday of week 49
    folder = home / "data" / "reports"
    r = cli.ok("report", "deliver")
    assert r.stdout == "".join(f"Wrote {folder / f'weekly-2026-W48.{ext}'}\n" for ext in ("html", "md", "csv"))
    assert cli.ok("report", "deliver").stdout == (
        "The 2026-W48 report was delivered already (or its last try failed minutes ago).\n")
    cli.clock.now = wib("2026-12-07 07:00")  # cron's -q form: the next week is written, and nothing said
    assert cli.ok("-q", "report", "deliver").output == ""
    assert (folder / "weekly-2026-W49.html").exists()


def test_report_deliver_says_what_failed(cli, home, tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("")
    _config(home, dir=str(blocked))
    r = cli("report", "deliver")
    assert r.exit_code == 1
    assert r.stderr == (f"Error: cannot create the reports folder {blocked}: File exists — make it writable or "
                        "set dir in the [report] table of the config file\n")
    # given back: after the retry wait the next try writes it
    blocked.unlink()
    cli.clock.advance(minutes=15)
    assert cli.ok("report", "deliver").stdout.startswith("Wrote ")


@pytest.mark.parametrize("table, message", [
    ('formats = ["pdf"]', "Error: 'formats' must list report formats in the [report] table of {cfg} — choose from "
                          'text, markdown, html, csv, json, e.g. formats = ["html", "csv"]'),
    ('lang = "fr"', "Error: 'lang' must be \"en\" or \"id\" in the [report] table of {cfg} — e.g. lang = \"id\" "
                    "for Bahasa Indonesia"),
    ('to = ["pimpinan"]', "Error: 'to' must list e-mail addresses in the [report] table of {cfg} — e.g. "
                          'to = ["pimpinan@example.org"]'),
    ('when = "monday"', "Error: unknown setting 'when' in the [report] table of {cfg} — known: dir, formats, "
                        "lang, to"),
])
def test_report_table_is_checked(cli, home, table, message):
    cfg = home / "config" / "campaigner.toml"
    cfg.write_text(f"[report]\n{table}\n")
    r = cli("report", "deliver")
    assert r.exit_code != 0 and r.stderr == message.format(cfg=cfg) + "\n"
