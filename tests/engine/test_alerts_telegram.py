"""Alert digests to a Telegram chat through a bot (issue 12, item 5), against the Telegram fake (a
real HTTP server on 127.0.0.1 answering the Bot API's wire format): every alert once, a long digest
cut into messages, what could not be sent given back, a hostile or failing server one error line,
and the bot's token never in a log, an error, ``status`` or ``config``."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert
from sqlalchemy.orm import Session

from campaigner.app import App
from campaigner.config import resolve
from campaigner.models import Alert
from scheduler.jobs import alert_jobs
from tests.engine.conftest import alerts
from tests.engine.test_alerts import TO, _three_alerts
from tests.fakes.server import Failure, Response
from tests.fakes.telegram import Fake

CHAT = "-1001987654321"


class AlertBot(Fake):
    """Another bot than the channels' (its own token), writing to the team's chat."""

    BOT_ID = 7099887766
    TOKEN = f"{BOT_ID}:AAE-alerts-9fQpXzKk2LmNoPqRsTuVwXyZ01234"

    def __init__(self):
        super().__init__(chat_username=None)
        self.bot["id"], self.bot["username"] = self.BOT_ID, "kspi_alerts_bot"


def _configure(home, bot, *, token=True, smtp_port=None):
    lines = ["[alerts]", f"telegram_chat = {CHAT}", f'telegram_api = "{bot.base_url}"']
    if smtp_port:
        lines += ["[smtp]", 'host = "127.0.0.1"', f"port = {smtp_port}", 'from = "campaigner@kspi.example"',
                  f"to = {json.dumps(TO)}", "starttls = false"]
    (home / "config" / "campaigner.toml").write_text("\n".join(lines) + "\n")
    secrets = home / "config" / "secrets.toml"
    if token:
        secrets.write_text(f'[alerts]\ntelegram_bot_token = "{bot.TOKEN}"\n')
        secrets.chmod(0o600)
    return secrets


def _sent(bot) -> list[dict]:
    return [r.json() for r in bot.calls("POST", "sendMessage")]


def test_alerts_go_to_the_chat_once(cli, engine, engine_for, platform_account, serve, home, smtp_server):
    inbox, port, _ = smtp_server()
    bot = serve(AlertBot())
    _configure(home, bot, smtp_port=port)
    _three_alerts(cli, engine_for, platform_account)
    assert ("Alerts:       3 pending, e-mailed to humas@kspi.example, it@kspi.example and sent to the Telegram chat "
            f"{CHAT} with the next digest") in cli.ok("status").stdout.splitlines()
    r = cli.ok("alerts", "send")
    assert r.stdout == ("E-mailed 3 alerts to humas@kspi.example, it@kspi.example.\n"
                        f"Sent 3 alerts to the Telegram chat {CHAT}.\n")
    [message] = _sent(bot)
    assert message["chat_id"] == CHAT and message["link_preview_options"] == {"is_disabled": True}
    lines = message["text"].splitlines()
    assert lines[0] == "campaigner: 3 alerts (times in Asia/Jakarta)"
    assert [line[:40] for line in lines[2:5]] == [
        "#1  2026-11-30 08:00 WIB  failed  m1  po", "#2  2026-11-30 08:00 WIB  paused  m2  po",
        "#3  2026-11-30 08:01 WIB  unconfirmed  t"]
    assert lines[-1] == "Dealt with? `campaigner alerts ack ID…` (the #numbers above)."
    assert "- paused: fix the account's secrets, then `campaigner account resume NAME`" in lines
    assert len(inbox.messages) == 1
    assert all(a.telegram_at == cli.clock.now and a.notified_at == cli.clock.now for a in alerts(engine))
    assert cli.ok("alerts", "send").stdout == "No pending alerts.\n"
    assert len(_sent(bot)) == 1
    listed = cli.ok("alerts", "list").stdout.splitlines()
    assert all(line.endswith("  [e-mailed, sent to Telegram]") for line in listed[2:5])
    # an acknowledged alert goes nowhere it has not gone yet
    cli.clock.advance(minutes=5)
    cli.ok("post", "add", "Lagi", "--to", "m1", "--now")
    engine_for().run_pass()  # m1's fake refused nothing this time: published, no alert
    with Session(engine) as s, s.begin():
        s.execute(insert(Alert).values(created_at=cli.clock.now, kind="failed", message="boom"))
    cli.ok("alerts", "ack", "4")
    assert cli.ok("alerts", "send").stdout == "No pending alerts.\n"


def _forty_long_alerts(engine, now):
    """More alerts than one Telegram message takes: 40 of some 370 characters each."""
    with Session(engine) as s, s.begin():
        s.execute(insert(Alert), [dict(created_at=now, kind="failed", message=f"alert {n}: " + "gagal kirim " * 30)
                                  for n in range(40)])


def test_a_long_digest_is_cut_into_messages_each_alert_in_one(cli, engine, serve, home, db_url):
    bot = serve(AlertBot())
    _configure(home, bot)
    now = cli.clock.now
    _forty_long_alerts(engine, now)
    assert cli.ok("alerts", "send").stdout == f"Sent 40 alerts to the Telegram chat {CHAT}.\n"
    texts = [m["text"] for m in _sent(bot)]
    assert len(texts) > 1 and all(len(t.encode("utf-16-le")) // 2 <= 4096 for t in texts)
    ids = [line.split()[0] for t in texts for line in t.splitlines() if line.startswith("#")]
    assert ids == [f"#{n}" for n in range(1, 41)]
    assert texts[0].startswith(f"campaigner: 40 alerts (1/{len(texts)}) ")
    assert texts[-1].endswith("(the #numbers above).")


def test_what_could_not_be_sent_waits_for_the_next_digest(cli, engine, serve, home, caplog):
    bot = serve(AlertBot())
    _configure(home, bot)
    now = cli.clock.now
    _forty_long_alerts(engine, now)
    bot.fail_next(Response(200, {"ok": True, "result": {"message_id": 1, "date": int(now.timestamp()),
                                                         "chat": bot.chat}}), path_contains="sendMessage")
    bot.fail_next(Response(502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}),
                  path_contains="sendMessage")
    r = cli("alerts", "send")
    assert r.exit_code == 1 and r.stdout == ""
    assert r.stderr.startswith("Error: could not send ") and "to the Telegram chat -1001987654321 (" in r.stderr
    assert r.stderr.endswith("— check telegram_chat in [alerts] and the bot's token, and that the bot is a member of "
                             "the chat; they stay pending and are sent with the next digest\n")
    got = alerts(engine)
    sent_first = [a for a in got if a.telegram_at is not None]
    assert 0 < len(sent_first) < 40 and all(a.id <= len(sent_first) for a in sent_first)
    cli.clock.advance(minutes=5)
    before = len(_sent(bot))  # the message that went, and the one refused
    assert cli.ok("alerts", "send").stdout == f"Sent {40 - len(sent_first)} alerts to the Telegram chat {CHAT}.\n"
    later = [line.split()[0] for m in _sent(bot)[before:] for line in m["text"].splitlines() if line.startswith("#")]
    assert later == [f"#{n}" for n in range(len(sent_first) + 1, 41)]


def test_a_server_that_drops_or_stalls_is_one_line_and_nothing_is_lost(cli, engine, serve, home, monkeypatch):
    from campaigner.services import telegram_chat

    bot = serve(AlertBot())
    _configure(home, bot)
    with Session(engine) as s, s.begin():
        s.execute(insert(Alert).values(created_at=cli.clock.now, kind="failed", message="boom"))
    bot.fail_next(Failure.DROP, path_contains="sendMessage")
    r = cli("alerts", "send")
    assert r.exit_code == 1 and r.stderr.startswith(f"Error: could not send 1 alert to the Telegram chat {CHAT} (")
    monkeypatch.setattr(telegram_chat, "TIMEOUT", 0.3)  # the fake answers after 3 s
    bot.fail_next(Failure.SLOW, path_contains="sendMessage")
    started = datetime.now(timezone.utc)
    r = cli("alerts", "send")
    assert r.exit_code == 1 and datetime.now(timezone.utc) - started < timedelta(seconds=2.5)
    assert [a.telegram_at for a in alerts(engine)] == [None]
    assert cli.ok("alerts", "send").stdout == f"Sent 1 alert to the Telegram chat {CHAT}.\n"


def test_the_token_is_never_shown_or_logged(cli, engine, serve, home, db_url, caplog, clock, monkeypatch):
    bot = serve(AlertBot())
    secrets = _configure(home, bot, token=False)
    with Session(engine) as s, s.begin():
        s.execute(insert(Alert).values(created_at=cli.clock.now, kind="failed", message="boom"))
    r = cli("alerts", "send")
    assert (r.exit_code, r.stderr) == (1, f"Error: the [alerts] table names the Telegram chat {CHAT} but no bot token "
                                          "is set — set CAMPAIGNER_ALERTS_TELEGRAM_BOT_TOKEN or put telegram_bot_token "
                                          f"= \"…\" in an [alerts] table of the secrets file {secrets} (mode 0600)\n")
    outputs = []
    caplog.set_level(logging.DEBUG)
    r = cli("-vv", "alerts", "send", env={"CAMPAIGNER_ALERTS_TELEGRAM_BOT_TOKEN": bot.TOKEN})
    assert r.exit_code == 0, r.output
    outputs.append(r.output)
    bot.expire_credentials()
    with Session(engine) as s, s.begin():
        s.execute(insert(Alert).values(created_at=cli.clock.now, kind="failed", message="boom again"))
    r = cli("-vv", "alerts", "send", env={"CAMPAIGNER_ALERTS_TELEGRAM_BOT_TOKEN": bot.TOKEN})
    assert r.exit_code == 1 and r.stderr.endswith(
        f"Error: could not send 1 alert to the Telegram chat {CHAT} (telegram sendMessage: the bot token was refused "
        "(Unauthorized)) — check telegram_chat in [alerts] and the bot's token, and that the bot is a member of the "
        "chat; they stay pending and are sent with the next digest\n")
    outputs.append(r.output)
    monkeypatch.setenv("CAMPAIGNER_ALERTS_TELEGRAM_BOT_TOKEN", bot.TOKEN)
    app = App(resolve({"database_url": db_url}), now=clock)
    [job] = alert_jobs(app)
    job.run(clock.now)  # logged, one line
    app.close()
    assert any("alert digest: could not send 1 alert to the Telegram chat" in rec.getMessage() for rec in caplog.records)
    outputs += [cli.ok("-vv", "status", "--json").stdout, cli.ok("-vv", "config", "--json").stdout,
                cli.ok("alerts", "list", "--json").stdout]
    logged = "\n".join(rec.getMessage() for rec in caplog.records)
    secret = bot.TOKEN.split(":", 1)[1]
    assert all(secret not in text for text in [*outputs, logged])
    assert json.loads(outputs[2])["alerts"]["telegram_chat"] == CHAT
