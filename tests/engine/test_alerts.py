"""Alert digests e-mailed to a REAL SMTP server on 127.0.0.1 (aiosmtpd), one message for many
alerts, nothing sent twice, nothing lost on failure, and the password never shown or logged."""
from __future__ import annotations

import base64
import json
import logging
import threading
from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from campaigner.app import App
from scheduler.jobs import alert_jobs
from campaigner.config import resolve
from campaigner.services import alerts as svc
from tests.engine.conftest import alerts
from tests.fakes.server import Failure, Response

PASSWORD = "s3cret-SMTP-pa55word-7731"
TO = ["humas@kspi.example", "it@kspi.example"]


def _configure(home, port: int, **extra) -> None:
    lines = ["[smtp]", 'host = "127.0.0.1"', f"port = {port}", 'from = "campaigner@kspi.example"',
             f"to = {json.dumps(TO)}"]
    lines += [f"{k} = {json.dumps(v)}" for k, v in extra.items()]
    (home / "config" / "campaigner.toml").write_text("\n".join(lines) + "\n")


def _fresh_app(db_url, clock) -> App:
    """An App reading the config file as it is now (the ``app`` fixture read it before the test)."""
    return App(resolve({"database_url": db_url}), now=clock)


def _three_alerts(cli, engine_for, platform_account):
    """A failed delivery (08:00), a paused account (08:00) and a post a person must check (08:01)."""
    m1, m2, t1 = platform_account("mastodon", "m1"), platform_account("mastodon", "m2"), platform_account("telegram", "t1")
    cli.ok("post", "add", "Tolak Tapera!", "--to", "m1", "--now")
    m1.fail_next(Response(422, {"error": "Validation failed: Text can't be blank"}), path_contains="/statuses")
    cli.ok("post", "add", "Upah layak", "--to", "m2", "--now")
    m2.expire_credentials()
    cli.ok("post", "add", "Hapus outsourcing", "--to", "t1", "--now")
    t1.fail_next(Failure.DROP_AFTER, path_contains="sendMessage")
    e = engine_for()
    e.run_pass()
    cli.clock.advance(minutes=1)
    e.run_pass()
    return m1, m2, t1


def test_one_digest_for_several_alerts_and_nothing_twice(cli, engine, engine_for, platform_account, smtp_server,
                                                         home):
    inbox, port, _ = smtp_server()
    _configure(home, port, starttls=False)
    _three_alerts(cli, engine_for, platform_account)
    assert "Alerts:       3 pending, e-mailed to humas@kspi.example, it@kspi.example with the next digest" in (
        cli.ok("status").stdout.splitlines())
    r = cli.ok("alerts", "send")
    assert r.stdout == "E-mailed 3 alerts to humas@kspi.example, it@kspi.example.\n"
    [(mail_from, rcpt_tos, msg)] = inbox.messages
    assert (mail_from, rcpt_tos) == ("campaigner@kspi.example", TO)
    assert msg["From"] == "campaigner@kspi.example"
    assert msg["To"] == "humas@kspi.example, it@kspi.example"
    assert msg["Subject"] == "[campaigner] 3 alerts: 1 failed, 1 paused, 1 unconfirmed"
    assert msg["Date"] == "Mon, 30 Nov 2026 08:01:00 +0700"
    body = msg.get_content().splitlines()
    assert body[:6] == [
        "campaigner raised 3 alerts (times in Asia/Jakarta):",
        "",
        "#1  2026-11-30 08:00 WIB  failed  m1  post 1 (delivery 1)  mastodon POST /api/v1/statuses: Validation failed: Text can't be blank",
        "#2  2026-11-30 08:00 WIB  paused  m2  post 2 (delivery 2)  account m2 paused: the platform refused its "
        "credentials (mastodon POST /api/v1/statuses: The access token is invalid)",
        "#3  2026-11-30 08:01 WIB  unconfirmed  t1  post 3 (delivery 3)  telegram cannot be searched for it: check the "
        "channel, then run `campaigner post reconcile 3 --account t1 --found URL` or `--resend`",
        "",
    ]
    assert body[6:] == [
        "What to do:",
        "- failed: fix the cause, then `campaigner post retry POST_ID`",
        "- paused: fix the account's secrets, then `campaigner account resume NAME`",
        "- unconfirmed: look on the platform, then `campaigner post reconcile POST_ID --account NAME --found URL` "
        "(it is there) or `--resend` (it is not)",
        "",
        "Dealt with? `campaigner alerts ack ID…` (the #numbers above).",
        "`campaigner status` shows the current state.",
    ]
    assert all(a.notified_at == cli.clock.now for a in alerts(engine))
    assert cli.ok("alerts", "send").stdout == "No pending alerts.\n"
    assert cli.ok("-q", "alerts", "send").output == ""  # cron's form: nothing to say
    assert len(inbox.messages) == 1
    # e-mailed, they stay open until a person says they were dealt with
    listed = cli.ok("alerts", "list").stdout.splitlines()
    assert listed[0] == "3 open alerts (times in Asia/Jakarta):"
    assert listed[2].startswith("#1  2026-11-30 08:00 WIB  failed  m1  post 1 (delivery 1)  ")
    assert all(line.endswith("  [e-mailed]") for line in listed[2:5])
    assert ("Alerts:       none pending; 3 open until acknowledged (`campaigner alerts ack ID…`)"
            in cli.ok("status").stdout.splitlines())
    assert cli.ok("alerts", "ack", "1", "3").stdout == "Acknowledged 2 alerts.\n"
    assert cli.ok("alerts", "ack", "3", "2").stdout == "Acknowledged 1 alert (1 acknowledged already).\n"
    assert cli.ok("alerts", "list").stdout == "No open alerts.\n"
    assert "Alerts:       none pending" in cli.ok("status").stdout.splitlines()
    r = cli("alerts", "ack", "2", "9")
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", "Error: no alert with id 9 — see `campaigner alerts list`\n")


def test_daemon_job_sends_only_new_alerts(cli, engine, engine_for, platform_account, smtp_server, home, db_url):
    inbox, port, _ = smtp_server()
    _configure(home, port, starttls=False, every_minutes=2)
    app = _fresh_app(db_url, cli.clock)
    [job] = alert_jobs(app)
    assert (job.name, job.every) == ("alerts", timedelta(minutes=2))
    assert alert_jobs(app, 0.5)[0].every == timedelta(seconds=30)  # run --alerts-every
    job.run(cli.clock.now)
    assert inbox.messages == []  # nothing pending: no empty e-mail
    m1, _, _ = _three_alerts(cli, engine_for, platform_account)
    job.run(cli.clock.now)
    job.run(cli.clock.now)
    assert len(inbox.messages) == 1
    cli.clock.advance(minutes=2)
    cli.ok("post", "add", "Lagi", "--to", "m1", "--now")  # post 4 is refused too: one new alert
    m1.fail_next(Response(422, {"error": "Validation failed: Text can't be blank"}), path_contains="/statuses")
    assert engine_for().run_pass().failed == [4]
    job.run(cli.clock.now)
    assert len(inbox.messages) == 2
    msg = inbox.messages[1][2]
    assert msg["Subject"] == "[campaigner] 1 alert: 1 failed"
    assert msg.get_content().splitlines()[:3] == [
        "campaigner raised 1 alert (times in Asia/Jakarta):", "",
        "#4  2026-11-30 08:03 WIB  failed  m1  post 4 (delivery 4)  mastodon POST /api/v1/statuses: Validation failed: Text can't be blank"]
    app.close()


def test_workers_sending_at_once_send_one_digest(cli, engine_for, platform_account, smtp_server, home, db_url,
                                                 engine):
    inbox, port, _ = smtp_server()
    inbox.delay = 0.3  # a slow server: the others try while the first is sending
    _configure(home, port, starttls=False)
    _three_alerts(cli, engine_for, platform_account)
    apps = [_fresh_app(db_url, cli.clock) for _ in range(4)]
    barrier, sent = threading.Barrier(len(apps)), []

    def worker(app):
        barrier.wait()
        sent.append(svc.send_digest(app, cli.clock.now))
    threads = [threading.Thread(target=worker, args=(a,)) for a in apps]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(sent) == [0, 0, 0, 3] and len(inbox.messages) == 1
    assert all(a.notified_at == cli.clock.now for a in alerts(engine))
    for a in apps:
        a.close()


def test_a_slow_mail_server_does_not_hold_the_database(cli, engine_for, platform_account, smtp_server, home,
                                                      db_url, engine):
    """While the server takes its time answering, the alerts being sent can still be written to
    (on SQLite: the database's one write lock is free for the publisher)."""
    from sqlalchemy import text

    from campaigner.db import make_engine

    inbox, port, _ = smtp_server()
    _configure(home, port, starttls=False)
    _three_alerts(cli, engine_for, platform_account)
    other = make_engine(db_url)
    wrote = []

    def write_meanwhile():
        with other.begin() as c:
            c.execute(text("PRAGMA busy_timeout = 2000" if other.dialect.name == "sqlite"
                           else "SET LOCAL lock_timeout = '2s'"))
            wrote.append(c.execute(text("UPDATE alerts SET message = message")).rowcount)
    inbox.during = write_meanwhile
    app = _fresh_app(db_url, cli.clock)
    assert svc.send_digest(app, cli.clock.now) == 3
    assert wrote == [3] and len(inbox.messages) == 1
    other.dispose()
    app.close()


def test_without_smtp_nothing_is_sent_and_alerts_wait(cli, engine, engine_for, platform_account, db_url):
    _three_alerts(cli, engine_for, platform_account)
    app = _fresh_app(db_url, cli.clock)
    [job] = alert_jobs(app)  # the inbox's alerts are still raised; nothing is sent
    job.run(cli.clock.now)
    assert svc.send_digest(app, cli.clock.now) == 0
    assert all(a.notified_at is None for a in alerts(engine))
    r = cli("alerts", "send")
    config = app.settings.config_file
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", (
        f"Error: alerts have nowhere to go: no [smtp] table and no telegram_chat in an [alerts] table in the config "
        f"file {config} — add [smtp] with host, from and to, or [alerts] with telegram_chat and the bot's token in "
        "the secrets file (see README, Alerts)\n"))
    r = cli.ok("alerts", "list")
    assert r.stdout.splitlines()[2] == ("#1  2026-11-30 08:00 WIB  failed  m1  post 1 (delivery 1)  mastodon POST "
                                        "/api/v1/statuses: Validation failed: Text can't be blank")
    app.close()


def _leaks(text: str) -> list[str]:
    forms = [PASSWORD, base64.b64encode(PASSWORD.encode()).decode(),
             base64.b64encode(f"\0campaigner\0{PASSWORD}".encode()).decode()]
    return [f for f in forms if f in text]


def test_starttls_login_failure_and_recovery_never_show_the_password(cli, engine, engine_for, platform_account,
                                                                       smtp_server, home, db_url, tls_cert,
                                                                       caplog, monkeypatch):
    caplog.set_level(logging.DEBUG)
    inbox, port, stop_server = smtp_server(password="the-server-wants-another", tls=tls_cert)
    _configure(home, port, username="campaigner")
    monkeypatch.setenv("CAMPAIGNER_SMTP_PASSWORD", PASSWORD)
    _three_alerts(cli, engine_for, platform_account)
    app = _fresh_app(db_url, cli.clock)
    [job] = alert_jobs(app)

    job.run(cli.clock.now)  # the server refuses the login: logged, alerts stay pending
    [failure] = [r for r in caplog.records if r.name == "campaigner.services.alerts" and r.levelno == logging.ERROR]
    assert failure.getMessage() == (
        f"alert digest: could not e-mail 3 alerts via 127.0.0.1:{port} (535 5.7.8 Authentication credentials "
        "invalid) — check the [smtp] settings and the password; they stay pending and are sent with the next digest")
    assert inbox.messages == [] and all(a.notified_at is None for a in alerts(engine))
    r = cli("-vv", "alerts", "send")
    assert r.exit_code == 1 and r.stderr.splitlines()[-1].startswith(
        f"Error: could not e-mail 3 alerts via 127.0.0.1:{port} (535 ")

    stop_server()  # the server is gone: connection refused
    job.run(cli.clock.now)
    assert "(ConnectionRefusedError: [Errno 111] Connection refused)" in caplog.records[-1].getMessage()

    inbox, port, _ = smtp_server(password=PASSWORD, tls=tls_cert)
    _configure(home, port, username="campaigner")
    app2 = _fresh_app(db_url, cli.clock)
    alert_jobs(app2)[0].run(cli.clock.now)
    [(_, _, msg)] = inbox.messages
    assert msg["Subject"] == "[campaigner] 3 alerts: 1 failed, 1 paused, 1 unconfirmed"
    assert all(a.notified_at is not None for a in alerts(engine))

    out = cli.ok("-vv", "status", "--json").stdout + cli.ok("-vv", "config", "--json").stdout
    assert json.loads(cli.ok("status", "--json").stdout)["alerts"] == {
        "pending": 0, "open": 3, "emailed": True, "email_to": TO, "telegram_chat": None}
    ours = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records)
    assert _leaks(ours) == [] and _leaks(out) == [] and _leaks(r.output) == []
    app.close()
    app2.close()


def test_password_from_the_secrets_file(cli, engine_for, platform_account, smtp_server, home, db_url, tls_cert,
                                        engine):
    inbox, port, _ = smtp_server(password=PASSWORD, tls=tls_cert)
    _configure(home, port, username="campaigner")
    r = cli("alerts", "send")
    assert r.stdout == "No pending alerts.\n"  # nothing pending: the password is not even needed
    _three_alerts(cli, engine_for, platform_account)
    secrets = home / "config" / "secrets.toml"
    r = cli("alerts", "send")
    assert r.exit_code == 1 and r.stderr == (
        "Error: the SMTP user 'campaigner' has no password — set CAMPAIGNER_SMTP_PASSWORD or put password = \"…\" "
        f"in the [smtp] table of the secrets file {secrets} (mode 0600)\n")
    secrets.write_text(f'[smtp]\npassword = "{PASSWORD}"\n')
    secrets.chmod(0o644)
    r = cli("alerts", "send")
    assert r.exit_code == 1 and r.stderr == (f"Error: secrets file {secrets} can be read by other users (mode 644) — "
                                             f"run: chmod 600 {secrets}\n")
    secrets.chmod(0o600)
    assert cli.ok("alerts", "send").stdout == "E-mailed 3 alerts to humas@kspi.example, it@kspi.example.\n"
    assert len(inbox.messages) == 1


def test_smtp_config_is_checked(cli, home):
    cfg = home / "config" / "campaigner.toml"
    cfg.write_text('[smtp]\nhost = "127.0.0.1"\nfrom = "a@kspi.example"\nto = ["b@kspi.example"]\n'
                   f'password = "{PASSWORD}"\n')
    r = cli("status")
    assert r.exit_code == 1 and PASSWORD not in r.output
    assert r.stderr == (f"Error: the SMTP password must not be in the config file ({cfg}) — remove it there and set "
                        "CAMPAIGNER_SMTP_PASSWORD or put password = \"…\" in the [smtp] table of the secrets file "
                        "(mode 0600)\n")
    cfg.write_text('[smtp]\nhost = "127.0.0.1"\nfrom = "a@kspi.example"\n')
    assert cli("status").stderr == (f"Error: 'to' is missing in the [smtp] table of {cfg} — give host, from and to, "
                                    'e.g. to = ["humas@example.org"]\n')
    cfg.write_text('[smtp]\nhost = "127.0.0.1"\nfrom = "a@kspi.example"\nto = "b@kspi.example"\nport = "25"\n')
    assert cli("status").stderr == f"Error: 'port' has the wrong type in the [smtp] table of {cfg} — e.g. port = 587\n"
    cfg.write_text('[smtp]\nhost = "mail.kspi.example"\nfrom = "a@kspi.example"\nto = "b@kspi.example"\n'
                   'starttls = false\n')
    smtp = resolve({}, config_path=cfg).smtp
    assert (smtp.port, smtp.to, smtp.starttls, smtp.every_minutes) == (25, ("b@kspi.example",), False, 5)
    cfg.write_text('[smtp]\nhost = "mail.kspi.example"\nfrom = "a@kspi.example"\nto = ["b@kspi.example"]\n')
    assert resolve({}, config_path=cfg).smtp.port == 587  # STARTTLS by default


def test_plain_login_refused_off_loopback(db_url, clock, home, monkeypatch, engine):
    (home / "config" / "campaigner.toml").write_text(
        '[smtp]\nhost = "mail.kspi.example"\nfrom = "a@kspi.example"\nto = ["b@kspi.example"]\n'
        'starttls = false\nusername = "a"\n')
    monkeypatch.setenv("CAMPAIGNER_SMTP_PASSWORD", PASSWORD)
    app = _fresh_app(db_url, clock)
    from campaigner import db
    from campaigner.errors import ConfigError
    from campaigner.models import Alert

    with db.write(app.engine) as s:
        s.add(Alert(created_at=clock.now, kind="held", message="x"))
    with pytest.raises(ConfigError) as e:
        svc.send_digest(app, clock.now)
    assert str(e.value) == ("refusing to send the SMTP password unencrypted to mail.kspi.example — set starttls = "
                            "true in the [smtp] table (or leave out username)")
    app.close()


def test_digest_text_in_another_zone():
    from datetime import datetime, timezone

    items = [svc.PendingAlert(7, datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc), "held", "kspi-x", None, None,
                              "rate limited until 09:15 WITA")]
    subject, body = svc.digest(items, ZoneInfo("Asia/Makassar"))
    assert subject == "[campaigner] 1 alert: 1 held"
    assert body == ("campaigner raised 1 alert (times in Asia/Makassar):\n\n"
                    "#7  2026-11-30 09:00 WITA  held  kspi-x  -  rate limited until 09:15 WITA\n\n"
                    "Dealt with? `campaigner alerts ack ID…` (the #numbers above).\n"
                    "`campaigner status` shows the current state.\n")
