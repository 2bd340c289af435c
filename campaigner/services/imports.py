"""The record of a CSV import written in chunks: begun with its first chunk, beaten with each
next one, finished by queueing every delivery it wrote in one statement, or discarded.

Why: a 300,000-row import in one transaction held SQLite's write lock for over 30 s, so every
other writer (``post add``, the daemon's heartbeat) timed out. Written in short transactions,
other writers wait only a moment between chunks; the deliveries stay ``importing`` (nothing
publishes, counts or shows them in the queue) until the import ends, so it stays all or nothing.
An import whose process died is abandoned: the next import or ``campaigner init`` deletes what
it wrote, after taking it first (an importer that was only stalled then fails at its next beat
instead of queueing posts being deleted).
"""
from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import Update, delete, select, update
from sqlalchemy.orm import Session

from campaigner import db
from campaigner.app import App
from campaigner.errors import CampaignerError
from campaigner.i18n import _
from campaigner.models import Approval, CalendarImport, Delivery, Post
from campaigner.models import DeliveryStatus as S

log = logging.getLogger(__name__)

#: an unfinished import of another host not heard from for this long is abandoned (a running one
#: beats with every chunk, every second or so); on this host its pid tells
STALE_AFTER = timedelta(minutes=10)
#: posts deleted per transaction when an import is discarded
DELETE_BATCH = 2000
#: the pid of an import taken to be discarded (no importer has it): its importer's beat fails
TAKEN = 0


def _host() -> str:
    """This machine's name as an import records it."""
    return socket.gethostname()[:255]


def begin(session: Session, source: str, now: datetime) -> int:
    """Record a new import by this process; returns its id."""
    record = CalendarImport(source=source[:255], host=_host(), pid=os.getpid(),
                            started_at=now, beat_at=now)
    session.add(record)
    session.flush()
    return record.id


def _owned(import_id: int) -> Update:
    """An UPDATE of import ``import_id`` that matches only while it is unfinished and still this
    process's (not taken to be discarded)."""
    return (update(CalendarImport).where(CalendarImport.id == import_id, CalendarImport.finished_at.is_(None),
                                         CalendarImport.pid == os.getpid())
            .execution_options(synchronize_session=False))


def beat(session: Session, import_id: int, now: datetime) -> None:
    """Say the import is alive (with each chunk); refuse to go on when it was taken for abandoned
    (it is being discarded, or was)."""
    if db.rowcount(session.execute(_owned(import_id).values(beat_at=now))) != 1:
        raise CampaignerError(_("the import was stopped for too long and what it wrote was removed as abandoned"),
                              _("run the import again"))


def finish(session: Session, import_id: int, now: datetime, *, drafts: bool = False) -> None:
    """Queue every delivery the import wrote, in one statement, and mark it finished; with
    ``drafts`` (some of its posts need approval) those posts' deliveries become drafts first."""
    beat(session, import_id, now)
    if drafts:
        session.execute(update(Delivery)
                        .where(Delivery.status == S.IMPORTING,
                               Delivery.post_id.in_(select(Post.id).where(Post.import_id == import_id,
                                                                         Post.approval == Approval.PENDING.value)))
                        .values(status=S.DRAFT, updated_at=now).execution_options(synchronize_session=False))
    session.execute(update(Delivery)
                    .where(Delivery.status == S.IMPORTING,
                           Delivery.post_id.in_(select(Post.id).where(Post.import_id == import_id)))
                    .values(status=S.QUEUED, updated_at=now).execution_options(synchronize_session=False))
    session.execute(update(CalendarImport).where(CalendarImport.id == import_id)
                    .values(finished_at=now).execution_options(synchronize_session=False))


def _take(app: App, import_id: int, seen: tuple[int, datetime] | None) -> bool:
    """Claim the unfinished import ``import_id`` for discarding, in a transaction of its own: its
    pid becomes ``TAKEN``, so the importer's next beat or finish fails and it stops. ``seen`` is
    the (pid, beat_at) for which a cleaner judged it abandoned: a beat since then means it is
    alive, and it is not taken. Without ``seen``, the importer takes its own import (not when a
    cleaner took it first). Whether it was taken."""
    if seen is None:
        claim = _owned(import_id)
    else:
        pid, beat_at = seen
        claim = (update(CalendarImport)
                 .where(CalendarImport.id == import_id, CalendarImport.finished_at.is_(None),
                        CalendarImport.pid == pid, CalendarImport.beat_at == beat_at)
                 .execution_options(synchronize_session=False))
    with db.write(app.engine) as s:
        return db.rowcount(s.execute(claim.values(pid=TAKEN, host=_host(), beat_at=app.now()))) == 1


def discard(app: App, import_id: int, seen: tuple[int, datetime] | None = None) -> bool:
    """Take the import (see ``_take``), then delete what it wrote (posts, and with them their
    deliveries, parts and media rows), a batch per transaction so other writers are not kept
    waiting, then its record. Whether it was discarded here (not when another took it first)."""
    if not _take(app, import_id, seen):
        return False
    while True:
        with db.write(app.engine) as s:
            ids = list(s.scalars(select(Post.id).where(Post.import_id == import_id).limit(DELETE_BATCH)))
            if ids:
                s.execute(delete(Post).where(Post.id.in_(ids)).execution_options(synchronize_session=False))
            else:
                s.execute(delete(CalendarImport).where(CalendarImport.id == import_id))
                return True


def clean_abandoned(app: App, now: datetime) -> int:
    """Discard the imports whose process is gone (on this host: its pid is not running; on
    another, or taken by a cleaner that may have died midway: no beat for ``STALE_AFTER``);
    returns how many."""
    host = _host()
    with db.read(app.engine) as s:
        running = s.execute(select(CalendarImport.id, CalendarImport.host, CalendarImport.pid,
                                   CalendarImport.beat_at).where(CalendarImport.finished_at.is_(None))).all()
    gone = [(i, pid, beat_at) for i, h, pid, beat_at in running
            if (not _alive(pid) if h == host and pid != TAKEN else beat_at < now - STALE_AFTER)]
    discarded = 0
    for import_id, pid, beat_at in gone:
        log.info("removing what the abandoned import %s wrote", import_id)
        if discard(app, import_id, seen=(pid, beat_at)):
            discarded += 1
    return discarded


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process
        return True
    return True
