"""A post has a moment: how late a delivery may still go out, and how late it went.

A delivery's limit is the first one set of: its own (``post add --expires TIME``, an absolute
time, or ``--max-late DURATION`` after its moment), its account's (``account edit --max-late``),
the configured default (``max_late``, 6 hours). A limit in minutes of 0 means "no limit". The
moment is the time the delivery was queued for; a daily cap or spacing that moves ``due_at``
later keeps it (``Delivery.intended_at``), so a deferral never stretches the limit.
"""
from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from campaigner.errors import InvalidInput
from campaigner.i18n import N_, _
from campaigner.times import format_local

if TYPE_CHECKING:  # only their attributes are read: the config reads limits without SQLAlchemy
    from campaigner.models import Account, Delivery

#: the configured default when nothing else is set
DEFAULT_MAX_LATE_MINUTES = 6 * 60
#: a limit in minutes that means "no limit"
NO_LIMIT = 0
#: the longest limit accepted (a bound, not a policy: "none" is there for longer)
MOST_MINUTES = 365 * 24 * 60
#: published this much later than its moment or more: listed as late in the weekly report
LATE_LISTED = timedelta(minutes=15)

DURATION_HINT = N_("give a duration such as 30m, 6h or 2d, or none for no limit")
_UNITS = {"m": 1, "min": 1, "mins": 1, "minute": 1, "minutes": 1, "menit": 1,
          "h": 60, "hour": 60, "hours": 60, "jam": 60,
          "d": 1440, "day": 1440, "days": 1440, "hari": 1440,
          "w": 10080, "week": 10080, "weeks": 10080, "minggu": 10080}
_PART = re.compile(r"(\d+)\s*([a-z]+)")
_DURATION = re.compile(r"(?:\d+\s*[a-z]+\s*)+")


def parse_max_late(text: str, what: str = "--max-late") -> int:
    """``30m``, ``6h``, ``2d``, ``1h30m``, ``6 jam`` → minutes; ``none`` → ``NO_LIMIT``. ``what``
    names where it was given, for the error."""
    raw = " ".join(str(text).split())
    s = raw.lower()
    if not s:
        raise InvalidInput(_("{what} is empty").format(what=what), _(DURATION_HINT))
    if s in ("none", "no", "never", "tidak ada"):
        return NO_LIMIT
    if s.startswith("-"):
        raise InvalidInput(_("{what} {value} is negative").format(what=what, value=raw), _(DURATION_HINT))
    if not _DURATION.fullmatch(s) or any(unit not in _UNITS for _n, unit in _PART.findall(s)):
        raise InvalidInput(_("cannot read {what} {value!r}").format(what=what, value=raw), _(DURATION_HINT))
    minutes = sum(int(n) * _UNITS[unit] for n, unit in _PART.findall(s))
    if minutes == 0:
        raise InvalidInput(_("{what} {value} is no time at all").format(what=what, value=raw), _(DURATION_HINT))
    if minutes > MOST_MINUTES:
        raise InvalidInput(_("{what} {value} is more than 365 days").format(what=what, value=raw),
                           _("give at most 365d, or none for no limit"))
    return minutes


def format_minutes(minutes: int) -> str:
    """A limit as ``parse_max_late`` reads it back: ``6h``, ``1d6h30m``, ``none``."""
    if minutes == NO_LIMIT:
        return "none"
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    return "".join(f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (mins, "m")) if n) or "0m"


def format_late(late: timedelta) -> str:
    """How late, for people: ``12 min``, ``3 h 5 min``, ``2 d 1 h``."""
    minutes = int(late.total_seconds() // 60)
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    if days:
        return (_("{days} d {hours} h") if hours else _("{days} d")).format(days=days, hours=hours)
    if hours:
        return (_("{hours} h {mins} min") if mins else _("{hours} h")).format(hours=hours, mins=mins)
    return _("{mins} min").format(mins=mins)


def moment(d: Delivery) -> datetime:
    """When ``d`` was meant to go out (before any cap or spacing deferral)."""
    return d.intended_at or d.due_at


def limit_minutes(d: Delivery, account: Account, default: int) -> tuple[int, str]:
    """(minutes, whose: "post", "account" or "default") of ``d``'s limit when it has no
    ``expires_at``."""
    if d.max_late_minutes is not None:
        return d.max_late_minutes, "post"
    if account.max_late_minutes is not None:
        return account.max_late_minutes, "account"
    return default, "default"


def deadline(d: Delivery, account: Account, default: int) -> datetime | None:
    """The last moment ``d`` may go out (None: no limit)."""
    if d.expires_at is not None:
        return d.expires_at
    minutes, _whose = limit_minutes(d, account, default)
    return None if minutes == NO_LIMIT else moment(d) + timedelta(minutes=minutes)


def describe_limit(d: Delivery, account: Account, default: int, zone: ZoneInfo) -> str:
    """``the default limit of 6h``, ``the account's limit of 30m``, ``the post's expiry time
    2026-12-10 12:00 WIB``, ``no limit (the post's)``."""
    if d.expires_at is not None:
        return _("the post's expiry time {time}").format(time=format_local(d.expires_at, zone))
    minutes, whose = limit_minutes(d, account, default)
    if minutes == NO_LIMIT:
        return {"post": _("no limit (the post's)"), "account": _("no limit (the account's)"),
                "default": _("no limit (the default)")}[whose]
    return {"post": _("the post's limit of {limit}"), "account": _("the account's limit of {limit}"),
            "default": _("the default limit of {limit}")}[whose].format(limit=format_minutes(minutes))


def past_limit(d: Delivery, account: Account, default: int, at: datetime, zone: ZoneInfo,
               because: str | None = None) -> str | None:
    """Why ``d`` may not go out at ``at`` (None: it may, and always once a part of it is out: a
    thread under way is finished), for its ``last_error`` and its alert; ``because`` says why it
    would go out that late (a cap or spacing deferral). The engine asks before it sends, and
    ``services.expiry`` for the queued deliveries waiting on an account that cannot send; an
    unconfirmed delivery is looked for first, never expired blind."""
    end = deadline(d, account, default)
    if end is None or at <= end or any(p.remote_id is not None for p in d.parts):
        return None
    said = (_("not sent: {because}, {late} after its time {time}, past {limit}") if because else
            _("not sent: {late} after its time {time}, past {limit}"))
    return (said.format(because=because, late=format_late(at - moment(d)), time=format_local(moment(d), zone),
                        limit=describe_limit(d, account, default, zone)) + " — "
            + _("send it anyway with `campaigner post retry {id} --account {account}`, or give it a new time with "
                "`campaigner post edit {id} --at TIME`").format(id=d.post_id, account=account.name))


def late_by(d: Delivery) -> timedelta | None:
    """How much later than its moment ``d`` went out (None: not published; never negative)."""
    if d.published_at is None:
        return None
    return max(d.published_at - moment(d), timedelta(0))
