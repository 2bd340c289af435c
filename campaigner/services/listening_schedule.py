"""When the daemon's daily listening (``services.listening_daily``) runs again, and the names of
its ``job_runs`` rows: what both the job and ``campaigner status`` (``services.listening_status``,
which loads no ORM) need, with nothing heavier than the standard library — and what to tell a
person when a platform refuses the credentials it counts with (``Refused``; kept in the
``listening_refusals`` table while the platform's counting fails)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from campaigner.i18n import _

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


@dataclass(frozen=True)
class Refused:
    """The account whose credentials a platform refused, and the secret field it counts with."""

    account: str
    field: str

    def advice(self) -> str:
        """What a person must do: waiting changes nothing."""
        return _("renew the credentials of {account}: campaigner account set-secret {account} {field}, then "
                 "campaigner account test {account}").format(account=self.account, field=self.field)
