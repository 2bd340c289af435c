"""Posts waiting on an account that cannot send (paused for its credentials, held by a rate
limit) expire at their lateness limit like any other: shown and alerted when the limit passes,
not days later when the account comes back.

The engine decides for the deliveries it is about to send; these it never reaches, so this sweep
runs at the start of every publishing pass and, in the worker, every minute. Only ``queued``
deliveries are expired here: an unconfirmed one is looked for first, never expired blind.
"""
from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Connection, insert, not_, select
from sqlalchemy.orm import Session, selectinload

from campaigner import db, lateness, states
from campaigner.app import App
from campaigner.models import Account, Alert, Delivery, DeliveryStatus as S

log = logging.getLogger(__name__)


def expire_waiting(app: App, now: datetime) -> list[int]:
    """Expire the queued deliveries past their limit on accounts that cannot send at ``now``;
    their ids. Rows another worker holds are skipped (PostgreSQL), so each is expired and alerted
    once."""
    waiting = (Delivery.status == S.QUEUED, Delivery.due_at <= now, not_(states.can_send(now)))
    with db.read(app.engine) as s:  # the common case, nothing waiting, takes no write lock
        if s.scalar(select(Delivery.id).join(Account, Account.id == Delivery.account_id).where(*waiting)
                    .limit(1)) is None:
            return []
    blocked = (select(Delivery).join(Account, Account.id == Delivery.account_id).where(*waiting)
               .options(selectinload(Delivery.parts), selectinload(Delivery.account))
               .with_for_update(of=Delivery, skip_locked=True))
    expired = []
    with db.write(app.engine) as s:
        for d in s.scalars(blocked):
            why = lateness.past_limit(d, d.account, app.settings.max_late_minutes, now,
                                      app.zone_for(d.account.timezone))
            if why is None:
                continue
            states.move(d, S.EXPIRED)
            d.intended_at, d.last_error, d.next_attempt_at, d.updated_at = lateness.moment(d), why, None, now
            alert_expired(s, d, why, now)
            expired.append(d.id)
    return expired


def alert_expired(s: Connection | Session, d: Delivery, why: str, now: datetime) -> None:
    """The "expired" alert of ``d`` and its log line, in the caller's transaction: this sweep's and
    the engine's (for the deliveries it was about to send)."""
    s.execute(insert(Alert).values(created_at=now, kind="expired", account_id=d.account_id, delivery_id=d.id,
                                   message=why))
    log.warning("expired: delivery %d on %s: %s", d.id, d.account.name, why)
