"""Alert digests to a Telegram chat through a bot (``[alerts] telegram_chat`` in the config file).

The bot's token comes from ``CAMPAIGNER_ALERTS_TELEGRAM_BOT_TOKEN`` or ``telegram_bot_token`` in the
``[alerts]`` table of the secrets file (mode 0600), never from the config file, and never appears
in a log line or an error (the Telegram connector redacts it: it travels in the URL path). The
messages go through the Telegram connector, so every request has its deadline and every answer is
read bounded (``connectors.http``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence
from zoneinfo import ZoneInfo

from campaigner.app import App
from campaigner.config import TELEGRAM_TOKEN_ENV, TELEGRAM_TOKEN_KEY
from campaigner.errors import ConfigError
from campaigner.i18n import _, ngettext
from connectors.base import AccountConfig, ConnectorError
from content.untrusted import for_display

#: a message's text is at most 4096 UTF-16 code units; a digest is cut into messages below that
MESSAGE_LIMIT = 4000
#: an alert line longer than this is cut (the engine's messages are a few hundred characters)
LINE_LIMIT = 1500
TIMEOUT = 20.0


def token(app: App) -> str | None:
    """The bot's token: the environment, else the secrets file's ``[alerts]`` table."""
    value = app.secrets.env.get(TELEGRAM_TOKEN_ENV)
    if value:
        return value
    value = app.secrets.section("alerts").get(TELEGRAM_TOKEN_KEY)
    return value if isinstance(value, str) and value else None


class Bot:
    """The bot that writes to the alerts chat."""

    def __init__(self, app: App, secret: str):
        from connectors.telegram import TelegramConnector

        cfg = app.settings.alerts
        assert cfg.telegram_chat is not None
        self.chat = cfg.telegram_chat
        self._connector = TelegramConnector(AccountConfig(
            name="alerts", platform="telegram", base_url=cfg.telegram_api,
            secrets={"BOT_TOKEN": secret, "CHAT_ID": self.chat}, timeout=TIMEOUT))

    def send(self, text: str, *, what: str) -> None:
        try:
            self._connector.send_notice(text)
        except ConnectorError as exc:  # its message never holds the token
            said = str(exc)
            reason, sep, _how = said.rpartition(" — ")  # the connector's advice is for channel accounts
            raise ConfigError(_("could not send {what} to the Telegram chat {chat} ({reason})").format(
                what=what, chat=self.chat, reason=reason if sep else said),
                              _("check telegram_chat in [alerts] and the bot's token, and that the bot is a member of "
                                "the chat; they stay pending and are sent with the next digest")) from None


def bot(app: App) -> Bot:
    secret = token(app)
    if secret is None:
        raise ConfigError(_("the [alerts] table names the Telegram chat {chat} but no bot token is set").format(
            chat=app.settings.alerts.telegram_chat),
                          _("set {env} or put {key} = \"…\" in an [alerts] table of the secrets file {path} (mode "
                            "0600)").format(env=TELEGRAM_TOKEN_ENV, key=TELEGRAM_TOKEN_KEY, path=app.secrets.path))
    return Bot(app, secret)


@dataclass(frozen=True)
class Message:
    """One Telegram message of a digest: its text and how many alerts (in order) it carries."""

    text: str
    count: int


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def pack(alerts: Sequence, zone: ZoneInfo) -> list[Message]:
    """The digest of ``alerts`` (``services.alerts.PendingAlert``) as Telegram messages: a heading,
    the alerts' lines, what to do; each alert in exactly one message, each message below the limit."""
    from campaigner.services.alerts import ACK, ADVICE, alert_lines

    if not alerts:
        return []
    lines = [for_display(line)[:LINE_LIMIT] for line in alert_lines(alerts, zone)]
    kinds = sorted({a.kind for a in alerts})
    footer = ["", *(f"- {_(ADVICE[k])}" for k in kinds if k in ADVICE), "", _(ACK)]
    groups: list[list[str]] = [[]]
    budget = MESSAGE_LIMIT - 200  # the heading
    used = 0
    for line in lines:
        if groups[-1] and used + _units(line) + 1 > budget:
            groups.append([])
            used = 0
        groups[-1].append(line)
        used += _units(line) + 1
    tail = "\n".join(footer)
    if used + _units(tail) > budget:
        groups.append([])
    messages = []
    total = len(groups)
    for n, group in enumerate(groups, start=1):
        count = len(group)
        part = f" ({n}/{total})" if total > 1 else ""
        heading = ngettext("campaigner: {n} alert{part} (times in {zone})", "campaigner: {n} alerts{part} (times in "
                           "{zone})", len(alerts)).format(n=len(alerts), part=part, zone=zone.key)
        body = [heading, "", *group] + (footer if n == total else [])
        messages.append(Message("\n".join(body).strip("\n"), count))
    return messages
