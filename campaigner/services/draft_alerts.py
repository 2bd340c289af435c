"""The ``draft_missed`` alert: a draft whose time passed unapproved was not sent, and the person who
was to approve it may not look at ``status`` in time.

One alert per delivery and missed time (a draft given a new time that passes again is alerted
again); drafts due within ``LOOK_BACK`` only (an upgrade does not flood the first digest with old
drafts), at most ``MAX_ALERTS`` per run. Once the draft is no longer a draft (approved, rejected,
cancelled) or has a new time still to come, its open alert is acknowledged by itself. Raised with the inbox's alerts (the worker's
alert job, ``campaigner alerts send``); one raiser at a time (PostgreSQL: a transaction-level
advisory lock; SQLite: the write lock), so several workers never raise the same alert twice.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, insert, or_, select, update

from campaigner import db
from campaigner.app import App
from campaigner.i18n import _
from campaigner.models import Account, Alert, Delivery, DeliveryStatus as S, Post
from campaigner.times import format_local
from content.untrusted import one_line

log = logging.getLogger(__name__)

KIND = "draft_missed"
#: drafts whose time passed longer ago than this raise no alert
LOOK_BACK = timedelta(days=7)
#: at most this many alerts per run (the rest come with the next)
MAX_ALERTS = 100
_LOCK = 724170017  # db.lock key of this module


#: how much of a text an alert quotes
QUOTE = 80


def raise_missed(app: App, now: datetime) -> int:
    """Raise a ``draft_missed`` alert for each draft whose time passed unapproved and has none
    since its time; acknowledge those whose draft was dealt with. How many were raised."""
    alerted = exists().where(Alert.kind == KIND, Alert.delivery_id == Delivery.id, Alert.created_at >= Delivery.due_at)
    #: the draft was approved, rejected or cancelled, or given a time after the alert
    settled_by = or_(Delivery.status != S.DRAFT, Delivery.due_at > Alert.created_at)
    missed = and_(Delivery.status == S.DRAFT, Delivery.due_at <= now, Delivery.due_at >= now - LOOK_BACK)
    with db.read(app.engine) as s:  # the common case takes no write lock
        due = s.scalar(select(Delivery.id).where(missed, ~alerted).limit(1)) is not None
        stale = s.scalar(select(Alert.id).join(Delivery, Delivery.id == Alert.delivery_id)
                         .where(Alert.kind == KIND, Alert.acked_at.is_(None), settled_by)
                         .limit(1)) is not None
    if not (due or stale):
        return 0
    with db.write(app.engine) as s:
        db.lock(s, _LOCK)
        settled = db.rowcount(s.execute(
            update(Alert).where(Alert.kind == KIND, Alert.acked_at.is_(None), exists().where(
                Delivery.id == Alert.delivery_id, settled_by))
            .values(acked_at=now).execution_options(synchronize_session=False)))
        rows = s.execute(
            select(Delivery.id, Delivery.post_id, Delivery.account_id, Delivery.due_at, Account.name, Account.timezone,
                   Post.text)
            .join(Account, Account.id == Delivery.account_id).join(Post, Post.id == Delivery.post_id)
            .where(missed, ~alerted).order_by(Delivery.due_at, Delivery.id).limit(MAX_ALERTS)).all()
        alerts = []
        for did, pid, account_id, due_at, account, zone_name, body in rows:
            when = format_local(due_at, app.zone_for(zone_name))
            message = _("draft post {post} on {account} was due {when} and is not approved: not sent "
                        "(\"{text}\") — campaigner post approve {post} --at TIME (or --now)").format(
                post=pid, account=account, when=when, text=one_line(body, QUOTE))
            alerts.append(dict(created_at=now, kind=KIND, account_id=account_id, delivery_id=did, message=message))
        if alerts:
            s.execute(insert(Alert), alerts)
    for a in alerts:
        log.warning("%s: %s", KIND, a["message"])
    if settled:
        log.info("%d %s alerts settled: their drafts were approved, rejected, cancelled or given a new time",
                 settled, KIND)
    return len(alerts)
