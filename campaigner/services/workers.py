"""Worker heartbeats and once-only periodic work shared by several workers."""
from __future__ import annotations

import os
import socket
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from campaigner import db
from campaigner.app import App
from campaigner.models import JobRun, Worker


def heartbeat(app: App, name: str, now: datetime, *, started_at: datetime | None = None) -> None:
    """Record that worker ``name`` is alive (one row per worker)."""
    with db.write(app.engine) as s:
        done = s.execute(update(Worker).where(Worker.name == name).values(last_seen_at=now)).rowcount
        if not done:
            s.add(Worker(name=name, hostname=socket.gethostname(), pid=os.getpid(),
                         started_at=started_at or now, last_seen_at=now))


def forget(app: App, name: str) -> None:
    with db.write(app.engine) as s:
        s.execute(delete(Worker).where(Worker.name == name))


def workers(app: App) -> list[Worker]:
    with db.read(app.engine) as s:
        return list(s.scalars(select(Worker).order_by(Worker.name)))


def claim_period(app: App, job: str, period: str, worker: str, now: datetime) -> bool:
    """True for exactly one caller per (job, period), however many workers ask at once:
    a conditional update on the job's row (``… WHERE period < :period``), rowcount 1 wins."""
    with db.write(app.engine) as s:
        try:
            with s.begin_nested():
                s.execute(insert(JobRun).values(name=job, period="", ran_at=None, ran_by=None))
        except IntegrityError:
            pass  # the row exists already
    with db.write(app.engine) as s:
        won = s.execute(update(JobRun).where(JobRun.name == job, JobRun.period < period)
                        .values(period=period, ran_at=now, ran_by=worker)).rowcount
    return won == 1


def job_state(app: App, job: str) -> tuple[str, datetime | None, str | None]:
    """(period, ran_at, ran_by) of a once-per-period job; ("", None, None) before its first run.
    ``ran_by`` None with a ``ran_at``: the last try failed at ``ran_at`` (see ``release_period``)."""
    with db.read(app.engine) as s:
        row = s.execute(select(JobRun.period, JobRun.ran_at, JobRun.ran_by).where(JobRun.name == job)).first()
    return (row.period, row.ran_at, row.ran_by) if row else ("", None, None)


def release_period(app: App, job: str, period: str, worker: str, back_to: str, now: datetime) -> None:
    """Give back a period won by ``claim_period`` whose work failed: the row returns to
    ``back_to`` and records the failed try's time (``ran_at``, no ``ran_by``), so the work is
    done again later instead of never."""
    with db.write(app.engine) as s:
        s.execute(update(JobRun).where(JobRun.name == job, JobRun.period == period, JobRun.ran_by == worker)
                  .values(period=back_to, ran_at=now, ran_by=None))
