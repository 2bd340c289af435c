"""Worker heartbeats and liveness, and once-only periodic work shared by several workers.

Every process that holds accounts or claims (``campaigner run`` and the one-shot ``publish``) has
a row here, made when it starts (``register``) and touched by each heartbeat (``beat``). The
row's host name, machine, pid and process start time let a worker on the same machine see at
once that a holder's process has ended (``ended_here``); elsewhere only the heartbeat tells.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, exists, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from campaigner import db
from campaigner.app import App
from campaigner.errors import InvalidInput
from campaigner.i18n import _
from campaigner.models import Account, Delivery, DeliveryStatus, JobRun, Worker
from campaigner.processes import ProcessId, has_ended, this_process


def register(conn: Connection, name: str, me: ProcessId, now: datetime) -> None:
    """Make ``name``'s row this process's, before it takes anything. A row of that name left by a
    process that has ended (a crashed run, a one-shot ``publish`` whose pid came back) is replaced;
    one whose process still runs on this machine is refused: two workers may not share a name."""
    row = conn.execute(select(Worker.hostname, Worker.machine, Worker.pid, Worker.process_start)
                       .where(Worker.name == name)).first()
    if row is not None and _here(row, me) and (row.pid, row.process_start) != (me.pid, me.start) \
            and not has_ended(row.pid, row.process_start):
        raise InvalidInput(_("a worker named {name!r} is already running on this machine (pid {pid})").format(name=name, pid=row.pid),
                           _("give this one another name with --name"))
    values = dict(hostname=me.hostname, pid=me.pid, machine=me.machine, process_start=me.start,
                  started_at=now, last_seen_at=now)
    if row is None:
        conn.execute(insert(Worker).values(name=name, **values))
    else:
        conn.execute(update(Worker).where(Worker.name == name).values(**values))


def beat(conn: Connection, name: str, me: ProcessId, now: datetime) -> None:
    """Record that worker ``name`` (this process) is alive: one row's ``last_seen_at``. A row that
    was removed meanwhile (a worker that took this one for dead) is made again."""
    if not conn.execute(update(Worker).where(Worker.name == name).values(last_seen_at=now)).rowcount:
        conn.execute(insert(Worker).values(name=name, hostname=me.hostname, pid=me.pid, machine=me.machine,
                                           process_start=me.start, started_at=now, last_seen_at=now))


def heartbeat(app: App, name: str, now: datetime) -> None:
    """``beat`` in a transaction of its own, for this process."""
    with db.write(app.engine) as s:
        beat(s.connection(), name, this_process(), now)


def ended_here(s: Session | Connection, me: ProcessId) -> list[tuple[str, int, int | None]]:
    """(name, pid, process start) of the workers recorded on this machine whose process has ended."""
    if me.machine is None:
        return []
    rows = s.execute(select(Worker.name, Worker.pid, Worker.process_start)
                     .where(Worker.hostname == me.hostname, Worker.machine == me.machine)).all()
    return [(n, pid, start) for n, pid, start in rows if has_ended(pid, start)]


def forget_ended(conn: Connection, ended: list[tuple[str, int, int | None]]) -> None:
    """Remove the rows of ended workers that no longer hold anything (each row only while it is
    still the ended process's: a new process of the same name keeps its own)."""
    for name, pid, start in ended:
        conn.execute(delete(Worker).where(
            Worker.name == name, Worker.pid == pid,
            Worker.process_start.is_(None) if start is None else Worker.process_start == start,
            ~exists().where(Account.lease_owner == name),
            ~exists().where(Delivery.claimed_by == name, Delivery.status == DeliveryStatus.PUBLISHING)))


def _here(row, me: ProcessId) -> bool:
    return me.machine is not None and row.hostname == me.hostname and row.machine == me.machine


def forget(app: App, name: str) -> None:
    with db.write(app.engine) as s:
        s.execute(delete(Worker).where(Worker.name == name))


def workers(app: App) -> list[Worker]:
    with db.read(app.engine) as s:
        return list(s.scalars(select(Worker).order_by(Worker.name)))


def ensure_job_row(s: Session, job: str) -> None:
    """Add ``job``'s row (no period yet) unless it is there; in a savepoint, so a worker adding it
    at the same moment costs nothing but the savepoint."""
    try:
        with s.begin_nested():
            s.execute(insert(JobRun).values(name=job, period="", ran_at=None, ran_by=None))
    except IntegrityError:
        pass  # the row exists already


def claim_period(app: App, job: str, period: str, worker: str, now: datetime) -> bool:
    """True for exactly one caller per (job, period), however many workers ask at once:
    a conditional update on the job's row (``… WHERE period < :period``), rowcount 1 wins."""
    with db.write(app.engine) as s:
        ensure_job_row(s, job)
    with db.write(app.engine) as s:
        won = db.rowcount(s.execute(update(JobRun).where(JobRun.name == job, JobRun.period < period)
                                    .values(period=period, ran_at=now, ran_by=worker)))
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
