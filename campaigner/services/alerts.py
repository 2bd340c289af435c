"""Alerts: what a person must know (a failed delivery, a paused account, an unconfirmed post, a
post that expired: too late to go out).

The engine writes an ``Alert`` row (and a log line) when something needs a person. When the
config file has an ``[smtp]`` table, ``send_digest`` e-mails every alert not yet sent in ONE
message (taken in a short transaction first, given back on any SMTP failure for the next try).
Without SMTP nothing is sent and the alerts stay pending (``campaigner status`` counts them).

Several workers may run the digest at once: the pending rows are locked with ``FOR UPDATE SKIP
LOCKED`` on PostgreSQL and marked notified at once (a second worker finds nothing to send); on
SQLite that short transaction holds the database's one write lock. Either way no alert goes out
twice.

Sending (and keeping the SMTP password out of every message) is ``services.mail``.
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import func, select, update

from campaigner import db
from campaigner.app import App
from campaigner.errors import CampaignerError
from campaigner.models import Account, Alert, Delivery
from campaigner.services import mail
from campaigner.times import format_local

log = logging.getLogger(__name__)

#: what a person does about each kind of alert (printed under the list in the digest)
ADVICE = {
    "failed": "failed: fix the cause, then `campaigner post retry POST_ID`",
    "paused": "paused: fix the account's secrets, then `campaigner account resume NAME`",
    "expiring": "expiring: renew the token on the platform, then `campaigner account set-secret NAME FIELD`",
    "expired": ("expired: not sent, its moment had passed; to send it anyway: `campaigner post retry POST_ID "
                "--account NAME`, or give it a new time: `campaigner post edit POST_ID --at TIME`"),
    "unconfirmed": ("unconfirmed: look on the platform, then `campaigner post reconcile POST_ID --account NAME "
                    "--found URL` (it is there) or `--resend` (it is not)"),
}


@dataclass(frozen=True)
class PendingAlert:
    """One alert not yet e-mailed, with the names a person needs."""

    id: int
    created_at: datetime
    kind: str
    account: str | None
    delivery_id: int | None
    post_id: int | None
    message: str


def _pending_query():
    return (select(Alert.id, Alert.created_at, Alert.kind, Account.name, Alert.delivery_id, Delivery.post_id,
                   Alert.message)
            .outerjoin(Account, Account.id == Alert.account_id)
            .outerjoin(Delivery, Delivery.id == Alert.delivery_id)
            .where(Alert.notified_at.is_(None))
            .order_by(Alert.created_at, Alert.id))


def pending(app: App) -> list[PendingAlert]:
    """Alerts not yet e-mailed, oldest first."""
    with db.read(app.engine) as s:
        return [PendingAlert(*row) for row in s.execute(_pending_query())]


def pending_count(app: App) -> int:
    with db.read(app.engine) as s:
        return s.scalar(select(func.count()).select_from(Alert).where(Alert.notified_at.is_(None))) or 0


def digest(alerts: Sequence[PendingAlert], zone: ZoneInfo) -> tuple[str, str]:
    """(subject, plain-text body) of one e-mail listing ``alerts`` in local time."""
    kinds = Counter(a.kind for a in alerts)
    summary = ", ".join(f"{n} {kind}" for kind, n in sorted(kinds.items()))
    subject = f"[campaigner] {len(alerts)} alert{'s' if len(alerts) != 1 else ''}: {summary}"
    lines = [f"campaigner raised {len(alerts)} alert{'s' if len(alerts) != 1 else ''} "
             f"(times in {zone.key}):", ""]
    for a in alerts:
        where = f"post {a.post_id} (delivery {a.delivery_id})" if a.delivery_id is not None else "-"
        lines.append(f"{format_local(a.created_at, zone)}  {a.kind}  {a.account or '-'}  {where}  {a.message}")
    advice = [ADVICE[k] for k in sorted(kinds) if k in ADVICE]
    if advice:
        lines += ["", "What to do:", *(f"- {line}" for line in advice)]
    lines += ["", "`campaigner status` shows the current state."]
    return subject, "\n".join(lines) + "\n"


def send_digest(app: App, now: datetime) -> int:
    """E-mail every pending alert in one message; returns how many were sent (0: nothing pending
    or no SMTP configured). Raises ``ConfigError`` when sending fails; the alerts then stay
    pending.

    The alerts are taken (marked notified) in one short transaction and the e-mail is sent after
    it, so a slow mail server never holds the database (on SQLite its one write lock, which the
    publisher needs); when sending fails they are given back. A worker killed between the two
    loses that one e-mail (the alerts stay in the database, marked notified)."""
    smtp = app.settings.smtp
    if smtp is None or pending_count(app) == 0:  # a cheap read first: no write lock when idle
        return 0
    zone = app.settings.zone
    with db.write(app.engine) as s:
        alerts = [PendingAlert(*row) for row in s.execute(_pending_query().with_for_update(of=Alert,
                                                                                            skip_locked=True))]
        ids = [a.id for a in alerts]
        if ids:
            s.execute(update(Alert).where(Alert.id.in_(ids)).values(notified_at=now)
                      .execution_options(synchronize_session=False))
    if not alerts:
        return 0
    subject, body = digest(alerts, zone)
    try:
        mail.send(app, smtp, mail.message(smtp, subject, body, now, zone),
                  what=f"{len(alerts)} alert{'s' if len(alerts) != 1 else ''}",
                  then="they stay pending and are sent with the next digest")
    except BaseException:
        with db.write(app.engine) as s:
            s.execute(update(Alert).where(Alert.id.in_(ids), Alert.notified_at == now).values(notified_at=None)
                      .execution_options(synchronize_session=False))
        raise
    log.info("e-mailed %d alert%s to %s", len(alerts), "s" if len(alerts) != 1 else "", ", ".join(smtp.to))
    return len(alerts)


def digest_job(app: App, now: datetime) -> None:
    """The daemon's periodic job: send the digest; a failure is one log line (no password, no
    traceback) and the alerts wait for the next run."""
    try:
        send_digest(app, now)
    except CampaignerError as exc:
        log.error("alert digest: %s", exc)
