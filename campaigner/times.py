"""Reading times the way staff type them, and showing stored UTC times in local time.

Everything is stored in UTC. Input without an offset is read in the account's zone (default
Asia/Jakarta); a local time that does not exist (a daylight-saving gap) is refused, and an
ambiguous one (the repeated hour) takes its first occurrence.
"""
from __future__ import annotations

import functools
import re
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from campaigner.errors import InvalidInput

FORMAT_HINT = 'use "2026-12-01 09:00", ISO 8601 with an offset, "tomorrow 09:00" or "+2h"'

_RELATIVE = re.compile(r"^\+?\s*(\d+)\s*(m|min|mins|minutes?|h|hours?|jam|d|days?|hari|w|weeks?|minggu)$")
_DAY_WORDS = {"today": 0, "hari ini": 0, "tomorrow": 1, "besok": 1, "lusa": 2}
#: ``YYYY-MM-DD HH:MM[:SS]``, a local time
_PLAIN_LOCAL_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?::\d{2})?")
_UNIT_SECONDS = {"m": 60, "h": 3600, "j": 3600, "d": 86400, "w": 604800}


def zone_abbrev(dt: datetime) -> str:
    """The zone's short name at ``dt`` (WIB, WITA, CET…)."""
    return dt.tzname() or ""


def format_local(when: datetime, zone: ZoneInfo, *, seconds: bool = False) -> str:
    """``2026-12-01 09:00 WIB`` — a stored UTC time shown in ``zone``."""
    local = when.astimezone(zone)
    return local.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M") + f" {zone_abbrev(local)}"


def localize(naive: datetime, zone: ZoneInfo) -> datetime:
    """Attach ``zone`` to a wall-clock time; refuse times that the zone skips."""
    aware = naive.replace(tzinfo=zone, fold=0)
    if _steady_day(zone, naive.date()):  # no clock change that day: nothing skipped, nothing repeated
        return aware
    round_trip = aware.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None)
    if round_trip != naive:
        raise InvalidInput(f"{naive:%Y-%m-%d %H:%M} does not exist in {zone.key} (clocks jump forward then)",
                           "pick a time outside the gap")
    return aware


@functools.lru_cache(maxsize=4096)
def _steady_day(zone: ZoneInfo, day: date) -> bool:
    """Whether ``zone`` keeps one UTC offset all through local ``day`` (asked at its start, noon
    and end: a clock change and its reversal on the same half-day are not known to happen). Most
    days in every zone, and every day in Indonesia's, are steady; a big CSV asks per row."""
    offsets = {datetime.combine(day, t, tzinfo=zone).utcoffset() for t in (time(0), time(12), time(23, 59, 59))}
    return len(offsets) == 1


def parse_when(text: str, zone: ZoneInfo, now: datetime) -> datetime:
    """Parse a time typed by a person into an aware UTC datetime.

    Accepts ``YYYY-MM-DD HH:MM`` (and ``T``, seconds), ISO 8601 with ``Z`` or an offset,
    ``HH:MM`` (today), ``tomorrow HH:MM`` / ``besok HH:MM``, and ``+30m``/``+2h``/``+1d``.
    """
    if _PLAIN_LOCAL_TIME.fullmatch(text):  # the usual form (and the CSV's), without the search below
        try:
            naive = datetime.fromisoformat(text)
        except ValueError:  # e.g. 2026-02-30: said below
            pass
        else:
            return localize(naive, zone).astimezone(timezone.utc)
    raw = " ".join(text.strip().split())
    s = raw.lower()
    if not s:
        raise InvalidInput("no time given", FORMAT_HINT)
    m = _RELATIVE.match(s.removeprefix("in ").strip())
    if s.startswith(("+", "in ")) and m:
        return now + timedelta(seconds=int(m.group(1)) * _UNIT_SECONDS[m.group(2)[0]])
    for word, days in _DAY_WORDS.items():
        if s.startswith(word + " ") or s == word:
            rest = s[len(word):].strip() or "09:00"
            day = now.astimezone(zone).date() + timedelta(days=days)
            return localize(datetime.combine(day, _parse_clock(rest, raw)), zone).astimezone(timezone.utc)
    if re.fullmatch(r"\d{1,2}[:.]\d{2}", s):
        day = now.astimezone(zone).date()
        return localize(datetime.combine(day, _parse_clock(s, raw)), zone).astimezone(timezone.utc)
    iso = s.upper().replace(" ", "T", 1)
    if iso.endswith("Z"):
        iso = iso[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        raise InvalidInput(f"cannot read the time {raw!r}", FORMAT_HINT) from None
    if len(s) == 10:  # a bare date has no time of day
        raise InvalidInput(f"the time {raw!r} has a date but no time of day", 'add one, e.g. "' + raw + ' 09:00"')
    if parsed.tzinfo is not None:
        return parsed.astimezone(timezone.utc)
    return localize(parsed, zone).astimezone(timezone.utc)


def parse_date(text: str, what: str = "date") -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidInput(f"cannot read the {what} {text!r}", "use YYYY-MM-DD, e.g. 2026-12-01") from None


def _parse_clock(s: str, raw: str) -> time:
    m = re.fullmatch(r"(\d{1,2})[:.](\d{2})", s.strip())
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise InvalidInput(f"cannot read the time of day in {raw!r}", 'use HH:MM, e.g. "tomorrow 09:00"')
    return time(int(m.group(1)), int(m.group(2)))


def local_day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where local ``day`` starts and the next day starts."""
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(timezone.utc)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(timezone.utc)
    return start, end
