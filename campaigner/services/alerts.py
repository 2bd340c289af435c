"""Alerts: what a person must know (a failed delivery, a paused account, an unconfirmed post, a
post that expired: too late to go out, a draft whose time passed unapproved, a burst of opposition,
a question left unanswered, hashtag counting that keeps failing).

The engine (and ``services.inbox_alerts``) writes an ``Alert`` row and a log line when something
needs a person. Each configured channel gets every alert once, in ONE digest per run: e-mail when
the config file has an ``[smtp]`` table (``notified_at``), a Telegram chat when ``[alerts]`` names
one (``telegram_at``; several messages when the digest is longer than Telegram takes, each alert
in one of them). An alert stays *open* until a person acknowledges it (``alerts ack``): an
acknowledged alert is no longer listed, nor sent anywhere it has not gone yet. Without any channel
nothing is sent and the alerts wait (``campaigner status`` counts them, ``alerts list`` shows them).

For each channel the alerts are taken (marked sent) in one short transaction and sent after it, so
a slow mail server or Bot API never holds the database (on SQLite its one write lock, which the
publisher needs); what could not be sent is given back for the next digest. Several workers may
run the digest at once: the rows are locked with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL and
marked at once (a second worker finds nothing to send); on SQLite that short transaction holds the
database's one write lock. Either way no alert goes out twice on a channel. A worker killed between
taking and sending loses that one digest on that channel (the alerts stay open in the database).

Sending is ``services.mail`` and ``services.telegram_chat`` (neither lets a secret into a message).
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select, update

from campaigner import db
from campaigner.app import App
from campaigner.errors import CampaignerError, ConfigError, InvalidInput, NotFound
from campaigner.i18n import N_, _, ngettext
from campaigner import tables
from campaigner.times import format_local
from campaigner.wording import plural

log = logging.getLogger(__name__)
#: the tables' own columns: every statement here is Core (``status`` counts alerts without the ORM)
_AL, _A, _D = tables.alerts.c, tables.accounts.c, tables.deliveries.c

#: what a person does about each kind of alert (printed under the list in the digest)
ADVICE = {
    "failed": N_("failed: fix the cause, then `campaigner post retry POST_ID`"),
    "paused": N_("paused: fix the account's secrets, then `campaigner account resume NAME`"),
    "expiring": N_("expiring: renew the token on the platform, then `campaigner account set-secret NAME FIELD`"),
    "expired": N_("expired: not sent, its moment had passed; to send it anyway: `campaigner post retry POST_ID "
                "--account NAME`, or give it a new time: `campaigner post edit POST_ID --at TIME`"),
    "unconfirmed": N_("unconfirmed: look on the platform, then `campaigner post reconcile POST_ID --account NAME "
                    "--found URL` (it is there) or `--resend` (it is not)"),
    "opposition": N_("opposition: read them with the `campaigner replies list` shown; answer what deserves an answer "
                   "(`campaigner replies answer ID TEXT`), dismiss the rest"),
    "draft_missed": N_("draft_missed: not sent, nobody approved it in time; approve it with a new time: "
                       "`campaigner post approve POST_ID --at TIME` (or `--now`), or `campaigner post reject POST_ID "
                       "--reason TEXT`"),
    "listening": N_("listening: hashtag counts could not be collected (tried again by itself, the wait growing to 2 "
                    "hours); check the network and the accounts named, or try now: `campaigner listen collect`"),
    "unanswered": N_("unanswered: `campaigner replies answer ID TEXT`, or `campaigner replies dismiss ID` if it needs "
                   "none"),
}
ACK = N_("Dealt with? `campaigner alerts ack ID…` (the #numbers above).")
#: channel → the column that says an alert went out there
EMAIL, TELEGRAM = "email", "telegram"
_SENT = {EMAIL: _AL.notified_at, TELEGRAM: _AL.telegram_at}


@dataclass(frozen=True)
class PendingAlert:
    """One alert, with the names a person needs."""

    id: int
    created_at: datetime
    kind: str
    account: str | None
    delivery_id: int | None
    post_id: int | None
    message: str
    #: when it was e-mailed / sent to the Telegram chat (None: not yet)
    emailed_at: datetime | None = None
    telegram_at: datetime | None = None


def _query():
    return (select(_AL.id, _AL.created_at, _AL.kind, _A.name, _AL.delivery_id, _D.post_id,
                   _AL.message, _AL.notified_at, _AL.telegram_at)
            .outerjoin(tables.accounts, _A.id == _AL.account_id)
            .outerjoin(tables.deliveries, _D.id == _AL.delivery_id)
            .where(_AL.acked_at.is_(None))
            .order_by(_AL.created_at, _AL.id))


def channels(app: App) -> list[str]:
    """The channels alerts go out on: ``email`` (an [smtp] table), ``telegram`` ([alerts] telegram_chat)."""
    return [c for c, on in ((EMAIL, app.settings.smtp is not None),
                            (TELEGRAM, app.settings.alerts.telegram_chat is not None)) if on]


def open_alerts(app: App) -> list[PendingAlert]:
    """Alerts not acknowledged yet, oldest first."""
    with db.read_core(app.engine) as s:
        return [PendingAlert(*row) for row in s.execute(_query())]


def _unsent(app: App):
    """SQL: an open alert not yet sent on some configured channel (every open one without channels)."""
    cols = [_SENT[c] for c in channels(app)]
    if not cols:
        return _AL.acked_at.is_(None)
    return and_(_AL.acked_at.is_(None), or_(*(c.is_(None) for c in cols)))


def pending_count(app: App) -> int:
    """Open alerts still to be sent on a configured channel (without channels: every open alert)."""
    with db.read_core(app.engine) as s:
        return s.scalar(select(func.count()).select_from(tables.alerts).where(_unsent(app))) or 0


def open_count(app: App) -> int:
    with db.read_core(app.engine) as s:
        return s.scalar(select(func.count()).select_from(tables.alerts).where(_AL.acked_at.is_(None))) or 0


def alert_lines(alerts: Sequence[PendingAlert], zone: ZoneInfo) -> list[str]:
    """One line per alert: its number, local time, kind, account, post and message."""
    lines = []
    for a in alerts:
        where = (_("post {id} (delivery {delivery})").format(id=a.post_id, delivery=a.delivery_id)
                 if a.delivery_id is not None else "-")
        lines.append(f"#{a.id}  {format_local(a.created_at, zone)}  {a.kind}  {a.account or '-'}  {where}  {a.message}")
    return lines


def digest(alerts: Sequence[PendingAlert], zone: ZoneInfo) -> tuple[str, str]:
    """(subject, plain-text body) of one message listing ``alerts`` in local time."""
    kinds = Counter(a.kind for a in alerts)
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    subject = "[campaigner] " + ngettext("{n} alert: {summary}", "{n} alerts: {summary}", len(alerts)).format(
        n=len(alerts), summary=summary)
    lines = [ngettext("campaigner raised {n} alert (times in {zone}):", "campaigner raised {n} alerts (times in "
                      "{zone}):", len(alerts)).format(n=len(alerts), zone=zone.key), "", *alert_lines(alerts, zone)]
    advice = [_(ADVICE[k]) for k in sorted(kinds) if k in ADVICE]
    if advice:
        lines += ["", _("What to do:"), *(f"- {line}" for line in advice)]
    lines += ["", _(ACK), _("`campaigner status` shows the current state.")]
    return subject, "\n".join(lines) + "\n"


def _take(app: App, channel: str, now: datetime) -> list[PendingAlert]:
    """The open alerts not yet sent on ``channel``, marked sent now (one short transaction)."""
    column = _SENT[channel]
    with db.write_core(app.engine) as s:
        alerts = [PendingAlert(*row) for row in s.execute(
            _query().where(column.is_(None)).with_for_update(of=tables.alerts, skip_locked=True))]
        ids = [a.id for a in alerts]
        if ids:
            s.execute(update(tables.alerts).where(_AL.id.in_(ids)).values({column.key: now})
                      .execution_options(synchronize_session=False))
    return alerts


def _give_back(app: App, channel: str, ids: Sequence[int], now: datetime) -> None:
    column = _SENT[channel]
    with db.write_core(app.engine) as s:
        s.execute(update(tables.alerts).where(_AL.id.in_(list(ids)), column == now).values({column.key: None})
                  .execution_options(synchronize_session=False))


def _waiting(app: App, channel: str) -> bool:
    """A cheap read first: no write lock when there is nothing to send."""
    with db.read_core(app.engine) as s:
        return s.scalar(select(_AL.id).where(_AL.acked_at.is_(None), _SENT[channel].is_(None)).limit(1)) is not None


def _plural(n: int) -> str:
    return f"{n} alert{'s' if n != 1 else ''}"


def send_digest(app: App, now: datetime) -> int:
    """E-mail every alert not e-mailed yet in one message; how many (0: nothing pending or no SMTP
    configured). Raises ``ConfigError`` when sending fails; the alerts then stay pending."""
    smtp = app.settings.smtp
    if smtp is None or not _waiting(app, EMAIL):
        return 0
    alerts = _take(app, EMAIL, now)
    if not alerts:
        return 0
    subject, body = digest(alerts, app.settings.zone)
    try:
        from campaigner.services import mail  # smtplib and ssl: only when mail goes out

        mail.send(app, smtp, mail.message(smtp, subject, body, now, app.settings.zone), what=plural(len(alerts), "alert"),
                  then=_("they stay pending and are sent with the next digest"))
    except BaseException:
        _give_back(app, EMAIL, [a.id for a in alerts], now)
        raise
    log.info("e-mailed %s to %s", _plural(len(alerts)), ", ".join(smtp.to))
    return len(alerts)


def send_telegram(app: App, now: datetime) -> int:
    """Send every alert not sent to the Telegram chat yet, as one digest (in as many messages as
    it takes); how many. Raises ``ConfigError`` when a message cannot be sent: its alerts and those
    of the messages after it stay pending."""
    from campaigner.services import telegram_chat

    chat = app.settings.alerts.telegram_chat
    if chat is None or not _waiting(app, TELEGRAM):
        return 0
    bot = telegram_chat.bot(app)  # a missing token is said before anything is taken
    alerts = _take(app, TELEGRAM, now)
    sent = 0
    for part in telegram_chat.pack(alerts, app.settings.zone):
        try:
            bot.send(part.text, what=plural(len(alerts) - sent, "alert"))
        except BaseException:
            _give_back(app, TELEGRAM, [a.id for a in alerts[sent:]], now)
            raise
        sent += part.count
    if sent:
        log.info("sent %s to the Telegram chat %s", _plural(sent), chat)
    return sent


@dataclass
class Sent:
    """What ``send`` did on each configured channel (None: not configured)."""

    email: int | None = None
    telegram: int | None = None
    #: raised now by the replies inbox, and for drafts whose time passed unapproved
    raised: int = 0
    drafts_missed: int = 0
    errors: list[CampaignerError] | None = None


def send(app: App, now: datetime) -> Sent:
    """Raise the inbox's alerts due now (and those of drafts whose time passed unapproved), then send every pending alert on each configured channel.
    A channel that fails does not stop the other; its error is in ``errors``."""
    from campaigner.services.draft_alerts import raise_missed
    from campaigner.services.inbox_alerts import raise_alerts

    result = Sent(raised=raise_alerts(app, now), drafts_missed=raise_missed(app, now), errors=[])
    for channel, run in ((EMAIL, send_digest), (TELEGRAM, send_telegram)):
        if channel not in channels(app):
            continue
        try:
            setattr(result, channel, run(app, now))
        except CampaignerError as exc:
            assert result.errors is not None
            result.errors.append(exc)
    return result


def ack(app: App, alert_ids: Sequence[int]) -> tuple[list[int], int]:
    """Acknowledge alerts (dealt with): (the ids acknowledged now, how many were already). Every
    id is checked before anything changes."""
    if not alert_ids:
        raise InvalidInput(_("no alert id given"), _("give one or more ids from `campaigner alerts list`"))
    now = app.now()
    with db.write_core(app.engine) as s:
        wanted = list(dict.fromkeys(alert_ids))
        found: dict[int, Any] = dict(s.execute(select(_AL.id, _AL.acked_at).where(
            _AL.id.in_([i for i in wanted if 0 < i <= 2**31 - 1]))).all())
        missing = [i for i in wanted if i not in found]
        if missing:
            raise NotFound(_("no alert with id {id}").format(id=missing[0]), _("see `campaigner alerts list`"))
        todo = [i for i in wanted if found[i] is None]
        if todo:
            s.execute(update(tables.alerts).where(_AL.id.in_(todo), _AL.acked_at.is_(None)).values(acked_at=now)
                      .execution_options(synchronize_session=False))
    return todo, len(wanted) - len(todo)


def digest_job(app: App, now: datetime) -> None:
    """The daemon's periodic job: raise the inbox's alerts and send the digests; a failure is one
    log line (no secret, no traceback) and the alerts wait for the next run."""
    try:
        result = send(app, now)
    except CampaignerError as exc:
        log.error("alert digest: %s", exc)
        return
    for error in result.errors or []:
        log.error("alert digest: %s", error)


def not_configured(app: App) -> ConfigError:
    """What ``alerts send`` says without any channel."""
    return ConfigError(_("alerts have nowhere to go: no [smtp] table and no telegram_chat in an [alerts] table in "
                         "the config file {path}").format(path=app.settings.config_file),
                       _("add [smtp] with host, from and to, or [alerts] with telegram_chat and the bot's token in "
                         "the secrets file (see README, Alerts)"))
