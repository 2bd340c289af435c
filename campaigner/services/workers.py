"""Worker heartbeats and liveness, and once-only periodic work shared by several workers.

Every process that holds accounts or claims (``campaigner run`` and the one-shot ``publish``) has
a row here, made when it starts (``register``) and touched by each heartbeat (``beat``). The
row's host name, machine, pid and process start time let a worker on the same machine see at
once that a holder's process has ended (``ended_here``); elsewhere only the heartbeat tells.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import delete, exists, insert, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from campaigner import db, tables
from campaigner.app import App
from campaigner.errors import InvalidInput
from campaigner.i18n import _
from campaigner.processes import ProcessId, has_ended, this_process
from campaigner.tables import DeliveryStatus

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from campaigner.models import Worker

#: the tables' own columns: the statements here are Core (``status`` reads a job's state without the ORM)
_W, _J, _A, _D = tables.workers.c, tables.job_runs.c, tables.accounts.c, tables.deliveries.c


def register(conn: Connection, name: str, me: ProcessId, now: datetime) -> None:
    """Make ``name``'s row this process's, before it takes anything. A row of that name left by a
    process that has ended (a crashed run, a one-shot ``publish`` whose pid came back) is replaced;
    one whose process still runs on this machine is refused: two workers may not share a name."""
    row = conn.execute(select(_W.hostname, _W.machine, _W.pid, _W.process_start)
                       .where(_W.name == name)).first()
    if row is not None and _here(row, me) and (row.pid, row.process_start) != (me.pid, me.start) \
            and not has_ended(row.pid, row.process_start):
        raise InvalidInput(_("a worker named {name!r} is already running on this machine (pid {pid})").format(name=name, pid=row.pid),
                           _("give this one another name with --name"))
    values = dict(hostname=me.hostname, pid=me.pid, machine=me.machine, process_start=me.start,
                  started_at=now, last_seen_at=now)
    if row is None:
        conn.execute(insert(tables.workers).values(name=name, **values))
    else:
        conn.execute(update(tables.workers).where(_W.name == name).values(**values))


def beat(conn: Connection, name: str, me: ProcessId, now: datetime) -> None:
    """Record that worker ``name`` (this process) is alive: one row's ``last_seen_at``. A row that
    was removed meanwhile (a worker that took this one for dead) is made again."""
    if not conn.execute(update(tables.workers).where(_W.name == name).values(last_seen_at=now)).rowcount:
        conn.execute(insert(tables.workers).values(name=name, hostname=me.hostname, pid=me.pid, machine=me.machine,
                                           process_start=me.start, started_at=now, last_seen_at=now))


def heartbeat(app: App, name: str, now: datetime) -> None:
    """``beat`` in a transaction of its own, for this process."""
    with db.write(app.engine) as s:
        beat(s.connection(), name, this_process(), now)


def ended_here(s: Session | Connection, me: ProcessId) -> list[tuple[str, int, int | None]]:
    """(name, pid, process start) of the workers recorded on this machine whose process has ended."""
    if me.machine is None:
        return []
    rows = s.execute(select(_W.name, _W.pid, _W.process_start)
                     .where(_W.hostname == me.hostname, _W.machine == me.machine)).all()
    return [(n, pid, start) for n, pid, start in rows if has_ended(pid, start)]


def forget_ended(conn: Connection, ended: list[tuple[str, int, int | None]]) -> None:
    """Remove the rows of ended workers that no longer hold anything (each row only while it is
    still the ended process's: a new process of the same name keeps its own)."""
    for name, pid, start in ended:
        conn.execute(delete(tables.workers).where(
            _W.name == name, _W.pid == pid,
            _W.process_start.is_(None) if start is None else _W.process_start == start,
            ~exists().where(_A.lease_owner == name),
            ~exists().where(_D.claimed_by == name, _D.status == DeliveryStatus.PUBLISHING)))


def _here(row, me: ProcessId) -> bool:
    return me.machine is not None and row.hostname == me.hostname and row.machine == me.machine


def forget(app: App, name: str) -> None:
    with db.write(app.engine) as s:
        s.execute(delete(tables.workers).where(_W.name == name))


def workers(app: App) -> list[Worker]:
    from campaigner.models import Worker

    with db.read(app.engine) as s:
        return list(s.scalars(select(Worker).order_by(Worker.name)))


def ensure_job_row(s: Session, job: str) -> None:
    """Add ``job``'s row (no period yet) unless it is there; in a savepoint, so a worker adding it
    at the same moment costs nothing but the savepoint."""
    try:
        with s.begin_nested():
            s.execute(insert(tables.job_runs).values(name=job, period="", ran_at=None, ran_by=None))
    except IntegrityError:
        pass  # the row exists already


def claim_period(app: App, job: str, period: str, worker: str, now: datetime) -> bool:
    """True for exactly one caller per (job, period), however many workers ask at once:
    a conditional update on the job's row (``… WHERE period < :period``), rowcount 1 wins."""
    with db.write(app.engine) as s:
        ensure_job_row(s, job)
    with db.write(app.engine) as s:
        won = db.rowcount(s.execute(update(tables.job_runs).where(_J.name == job, _J.period < period)
                                    .values(period=period, ran_at=now, ran_by=worker)))
    return won == 1


def job_state(app: App, job: str) -> tuple[str, datetime | None, str | None]:
    """(period, ran_at, ran_by) of a once-per-period job; ("", None, None) before its first run.
    ``ran_by`` None with a ``ran_at``: the last try failed at ``ran_at`` (see ``release_period``)."""
    with db.read_core(app.engine) as s:
        row = s.execute(select(_J.period, _J.ran_at, _J.ran_by).where(_J.name == job)).first()
    return (row.period, row.ran_at, row.ran_by) if row else ("", None, None)


def release_period(app: App, job: str, period: str, worker: str, back_to: str, now: datetime) -> None:
    """Give back a period won by ``claim_period`` whose work failed: the row returns to
    ``back_to`` and records the failed try's time (``ran_at``, no ``ran_by``), so the work is
    done again later instead of never."""
    with db.write(app.engine) as s:
        s.execute(update(tables.job_runs).where(_J.name == job, _J.period == period, _J.ran_by == worker)
                  .values(period=back_to, ran_at=now, ran_by=None))
