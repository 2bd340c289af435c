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
