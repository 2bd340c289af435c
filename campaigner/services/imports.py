"""The record of a CSV import written in chunks: begun with its first chunk, beaten with each
next one, finished by queueing every delivery it wrote in one statement, or discarded.

Why: a 300,000-row import in one transaction held SQLite's write lock for over 30 s, so every
other writer (``post add``, the daemon's heartbeat) timed out. Written in short transactions,
other writers wait only a moment between chunks; the deliveries stay ``importing`` (nothing
publishes, counts or shows them in the queue) until the import ends, so it stays all or nothing.
An import whose process died is abandoned: the next import or ``campaigner init`` deletes what
it wrote.
"""
from __future__ import annotations

import logging
import os
import socket
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import CursorResult, delete, select, update
from sqlalchemy.orm import Session

from campaigner import db
from campaigner.app import App
from campaigner.errors import CampaignerError
from campaigner.models import CalendarImport, Delivery, Post
from campaigner.models import DeliveryStatus as S

log = logging.getLogger(__name__)

#: an unfinished import of another host not heard from for this long is abandoned (a running one
#: beats with every chunk, every second or so); on this host its pid tells
STALE_AFTER = timedelta(minutes=10)
#: posts deleted per transaction when an import is discarded
DELETE_BATCH = 2000


def begin(session: Session, source: str, now: datetime) -> int:
    """Record a new import by this process; returns its id."""
    record = CalendarImport(source=source[:255], host=socket.gethostname()[:255], pid=os.getpid(),
                            started_at=now, beat_at=now)
    session.add(record)
    session.flush()
    return record.id


def beat(session: Session, import_id: int, now: datetime) -> None:
    """Say the import is alive (with each chunk); refuse to go on when it was taken for abandoned
    and discarded meanwhile."""
    alive = (update(CalendarImport).where(CalendarImport.id == import_id, CalendarImport.finished_at.is_(None))
             .values(beat_at=now).execution_options(synchronize_session=False))
    if cast(CursorResult, session.execute(alive)).rowcount != 1:
        raise CampaignerError("the import was stopped for too long and what it wrote was removed as abandoned",
                              "run the import again")


def finish(session: Session, import_id: int, now: datetime) -> None:
    """Queue every delivery the import wrote, in one statement, and mark it finished."""
    beat(session, import_id, now)
    session.execute(update(Delivery)
                    .where(Delivery.status == S.IMPORTING,
                           Delivery.post_id.in_(select(Post.id).where(Post.import_id == import_id)))
                    .values(status=S.QUEUED, updated_at=now).execution_options(synchronize_session=False))
    session.execute(update(CalendarImport).where(CalendarImport.id == import_id)
                    .values(finished_at=now).execution_options(synchronize_session=False))


def discard(app: App, import_id: int) -> None:
    """Delete what the import wrote (posts, and with them their deliveries, parts and media rows),
    a batch per transaction so other writers are not kept waiting, then its record."""
    while True:
        with db.write(app.engine) as s:
            ids = list(s.scalars(select(Post.id).where(Post.import_id == import_id).limit(DELETE_BATCH)))
            if ids:
                s.execute(delete(Post).where(Post.id.in_(ids)).execution_options(synchronize_session=False))
            else:
                s.execute(delete(CalendarImport).where(CalendarImport.id == import_id))
                return


def clean_abandoned(app: App, now: datetime) -> int:
    """Discard the imports whose process is gone (on this host: its pid is not running; on
    another: no beat for ``STALE_AFTER``); returns how many."""
    host = socket.gethostname()[:255]
    with db.read(app.engine) as s:
        running = s.execute(select(CalendarImport.id, CalendarImport.host, CalendarImport.pid,
                                   CalendarImport.beat_at).where(CalendarImport.finished_at.is_(None))).all()
    gone = [i for i, h, pid, beat_at in running
            if (not _alive(pid) if h == host else beat_at < now - STALE_AFTER)]
    for import_id in gone:
        log.info("removing what the abandoned import %s wrote", import_id)
        discard(app, import_id)
    return len(gone)


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
