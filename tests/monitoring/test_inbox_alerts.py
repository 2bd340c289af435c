"""The inbox's alerts (issue 12, item 5): a burst of opposition on one campaign, and questions left
unanswered; raised once each, settled when the question is answered, thresholds from the config
file. Real database, Mastodon fake over HTTP, the real CLI."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigner.models import Alert, Reply
from tests.engine.conftest import alerts, deliveries

OPPOSE = ["demo mulu, bikin macet", "serikat cuma cari duit", "Tapera bagus kok", "hoax, demo bayaran", "kerja aja yg bener",
          "demo ditunggangi", "serikat cari panggung", "pengurus serikat makan iuran"]


def _config(home, **alerts_table) -> None:
    lines = ["[alerts]"] + [f"{k} = {json.dumps(v)}" for k, v in alerts_table.items()]
    (home / "config" / "campaigner.toml").write_text("\n".join(lines) + "\n")


def _campaign_post(cli, engine, platform_account, text="Tolak potongan Tapera!"):
    fake = platform_account("mastodon", "m1")
    cli.ok("campaign", "add", "tapera", "--name", "Tolak Tapera", "--against", "Tapera")
    cli.ok("post", "add", text, "--to", "m1", "--now", "--campaign", "tapera")
    cli.ok("publish")
    return fake, deliveries(engine)[-1]


def test_a_burst_of_opposition_raises_one_alert_per_burst(cli, engine, platform_account, home):
    _config(home, opposition_burst=5, opposition_window_minutes=30)
    fake, d = _campaign_post(cli, engine, platform_account)
    start = cli.clock.now
    # four in 30 minutes, then a lull: no burst
    for n, body in enumerate(OPPOSE[:4]):
        fake.add_reply(d.remote_id, f"u{n}", body, start + timedelta(minutes=n * 5))
    fake.add_reply(d.remote_id, "late", OPPOSE[4], start + timedelta(minutes=50))
    cli.clock.advance(hours=1)
    cli.ok("metrics", "collect")
    assert alerts(engine) == []
    # four more within 30 minutes of the one at +50: five oppose replies in 20 minutes (one burst)
    fake.add_reply(d.remote_id, "u5", OPPOSE[5], start + timedelta(minutes=62))
    fake.add_reply(d.remote_id, "u6", OPPOSE[6], start + timedelta(minutes=64))
    fake.add_reply(d.remote_id, "u7", OPPOSE[7], start + timedelta(minutes=66))
    fake.add_reply(d.remote_id, "fan", "setuju, tolak Tapera!", start + timedelta(minutes=66))
    fake.add_reply(d.remote_id, "u8", OPPOSE[3], start + timedelta(minutes=70))
    cli.clock.advance(hours=1)
    cli.ok("metrics", "collect")
    [a] = alerts(engine)
    assert (a.kind, a.delivery_id, a.campaign_id) == ("opposition", d.id, 1)
    with Session(engine) as s:
        kinds = sorted(r.kind for r in s.scalars(select(Reply)))
    assert kinds.count("oppose") == 9
    assert a.message == ("5 oppose replies to campaign tapera within 30 min (2026-11-30 08:50 WIB – 09:10 WIB), "
                         "5 of them on post 1 — campaigner replies list --kind oppose --campaign tapera")
    assert a.burst_end == start + timedelta(minutes=70)
    # the same burst is never alerted again, however often it is looked at
    cli.ok("metrics", "collect")
    cli.clock.advance(minutes=10)
    cli.ok("alerts", "list")
    assert len(alerts(engine)) == 1
    listed = cli.ok("alerts", "list").stdout
    assert "#1  2026-11-30 10:00 WIB  opposition  m1  post 1 (delivery 1)  5 oppose replies" in listed
    assert "- opposition: read them with the `campaigner replies list` shown;" in listed


def test_a_question_left_unanswered_raises_one_alert_settled_by_the_answer(cli, engine, platform_account, home):
    _config(home, unanswered_hours=2)
    fake, d = _campaign_post(cli, engine, platform_account)
    fake.add_reply(d.remote_id, "rina", "Aksinya kumpul di mana?", cli.clock.now + timedelta(minutes=1))
    fake.add_reply(d.remote_id, "budi", "Formulir daftar anggota di mana", cli.clock.now + timedelta(minutes=2))
    cli.clock.advance(minutes=5)
    cli.ok("metrics", "collect")
    with Session(engine) as s:
        rina, budi = s.scalars(select(Reply).order_by(Reply.id)).all()
    cli.ok("replies", "dismiss", str(budi.id))  # no answer needed: no alert
    r = cli("alerts", "send")  # nothing configured to send with; the alerts are still raised below
    assert r.exit_code == 1
    from campaigner.app import App
    from campaigner.config import resolve
    from campaigner.services.inbox_alerts import raise_alerts

    app = App(resolve({"database_url": cli.db_url}), now=cli.clock)
    assert raise_alerts(app, cli.clock.now) == 0  # not 2 hours yet
    cli.clock.advance(hours=2)
    assert raise_alerts(app, cli.clock.now) == 1
    assert raise_alerts(app, cli.clock.now) == 0  # once
    [a] = alerts(engine)
    assert (a.kind, a.reply_id) == ("unanswered", rina.id)
    assert a.message == (f'question from rina@mastodon.other unanswered for 2 h: "Aksinya kumpul di mana?" '
                         f'{fake.base_url}/@rina@mastodon.other/{rina.remote_id} — campaigner replies answer '
                         f'{rina.id} "…"')
    assert "Alerts:       1 pending, not sent" in cli.ok("status").stdout
    # answered: the alert is settled by itself (and not sent if it was not yet)
    cli.ok("replies", "answer", str(rina.id), "Di depan DPR jam 09.00")
    cli.ok("publish")
    raise_alerts(app, cli.clock.now)
    [a] = alerts(engine)
    assert a.acked_at == cli.clock.now
    assert cli.ok("alerts", "list").stdout == "No open alerts.\n"
    app.close()


def test_thresholds_of_zero_raise_nothing(cli, engine, platform_account, home):
    _config(home, unanswered_hours=0, opposition_burst=0)
    fake, d = _campaign_post(cli, engine, platform_account)
    for n, body in enumerate(OPPOSE + ["Aksinya kumpul di mana?"]):
        fake.add_reply(d.remote_id, f"u{n}", body, cli.clock.now)
    cli.clock.advance(hours=30)
    cli.ok("metrics", "collect")
    cli.ok("alerts", "list")
    assert alerts(engine) == []


def test_alert_settings_mistakes_are_one_line(cli, home):
    cases = [
        ({"opposition_burst": -1}, "'opposition_burst' must be a whole number, at least 0, in the [alerts] table of "
                                   "{cfg} — e.g. opposition_burst = 10 (oppose replies to one campaign within the "
                                   "window; 0: no alert)"),
        ({"unanswered_hours": "4"}, "'unanswered_hours' must be a number, at least 0, in the [alerts] table of {cfg} "
                                    "— e.g. unanswered_hours = 4 (0: no alert for questions left unanswered)"),
        ({"telegram_chat": "humas kspi"}, "'telegram_chat' is not a Telegram chat in the [alerts] table of {cfg} — "
                                          "give the chat's id, e.g. telegram_chat = -1001234567890, or a public @name"),
        ({"telegram_bot_token": "123:abc"}, "the Telegram bot token must not be in the config file ({cfg}) — remove "
                                            "it there and set CAMPAIGNER_ALERTS_TELEGRAM_BOT_TOKEN or put "
                                            "telegram_bot_token = \"…\" in the [alerts] table of the secrets file "
                                            "(mode 0600)"),
        ({"telegram_api": "http://api.example"}, "'telegram_api' must be an https:// address in the [alerts] table of "
                                                 "{cfg} — e.g. telegram_api = \"https://api.telegram.org\" (or your own "
                                                 "Bot API server) (http only for localhost or 127.0.0.1, for tests)"),
        ({"chat": 1}, "unknown setting 'chat' in the [alerts] table of {cfg} — known: telegram_chat, telegram_api, "
                      "opposition_burst, opposition_window_minutes, unanswered_hours"),
    ]
    cfg = home / "config" / "campaigner.toml"
    for table, message in cases:
        _config(home, **table)
        r = cli("alerts", "list")
        assert (r.exit_code, r.stdout, r.stderr) == (1, "", f"Error: {message.format(cfg=cfg)}\n"), table
    with Session(cli_engine(cli)) as s:
        assert s.scalars(select(Alert)).all() == []


def cli_engine(cli):
    from campaigner.db import make_engine

    return make_engine(cli.db_url)
