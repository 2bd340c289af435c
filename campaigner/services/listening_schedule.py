"""When the daemon's daily listening (``services.listening_daily``) runs again, and the names of
its ``job_runs`` rows: what both the job and ``campaigner status`` (``services.listening_status``,
which loads no ORM) need, with nothing heavier than the standard library."""
from __future__ import annotations

from datetime import datetime, timedelta

JOB = "listening"
#: the day whose counting keeps failing (``period``) and since when (``ran_at``)
FAILING = "listening_failing"
#: the wait after a failed try: the time the failures have lasted, within these bounds
FIRST_RETRY = timedelta(minutes=15)
LONGEST_WAIT = timedelta(hours=2)


def failing_row(platform: str) -> str:
    """The name of ``platform``'s ``job_runs`` row while its counting fails."""
    return f"{FAILING}:{platform}"


def wait_after(first_failure: datetime, last_failure: datetime) -> timedelta:
    """How long after ``last_failure`` the day is tried again: as long as the failures have lasted,
    at least ``FIRST_RETRY``, at most ``LONGEST_WAIT``."""
    return min(max(last_failure - first_failure, FIRST_RETRY), LONGEST_WAIT)
