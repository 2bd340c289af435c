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
from campaigner.i18n import N_, _
from content import datetext

FORMAT_HINT = N_('use "2026-12-07 09:00", "07/12/2026 09.00", "senin 10:00", "besok 09:00", ISO 8601 with an '
               'offset or "+2h" (dates day first)')

_RELATIVE = re.compile(r"^\+?\s*(\d+)\s*(m|min|mins|minutes?|h|hours?|jam|d|days?|hari|w|weeks?|minggu)$")
_DAY_WORDS = {"today": 0, "hari ini": 0, "tomorrow": 1, "besok": 1, "lusa": 2}
#: ``YYYY-MM-DD HH:MM[:SS]``, a local time
_PLAIN_LOCAL_TIME = re.compile(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}(?::\d{2})?")
#: what may be ISO 8601 (``datetime.fromisoformat`` is asked first)
_ISO_START = re.compile(r"\d{4}-\d{2}-\d{2}")
#: a zone label at the end: read by ``content.datetext``, not as ISO
_ZONE_END = re.compile(r"\s(?:wib|wita|wit|utc)$")
_UNIT_SECONDS = {"m": 60, "h": 3600, "j": 3600, "d": 86400, "w": 604800}
#: Indonesian units whose first letter is another unit's (hari: a day, not an hour; minggu: a week)
_WORD_UNIT = {"hari": "d", "minggu": "w"}


def _seconds(number: str, unit: str) -> int:
    return int(number) * _UNIT_SECONDS[_WORD_UNIT.get(unit, unit[0])]


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
        raise InvalidInput(_("{naive:%Y-%m-%d %H:%M} does not exist in {key} (clocks jump forward then)").format(naive=naive, key=zone.key),
                           _("pick a time outside the gap"))
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

    Accepts ``YYYY-MM-DD HH:MM`` (and ``T``, seconds), ISO 8601 with ``Z`` or an offset, ``+30m``
    / ``+2h`` / ``+1d``, and a date as people type it (``content.datetext``: day first
    ``07/12/2026``, ``8 Des 2026``, ``Senin, 7 Desember 2026``; or ``today``/``hari ini``,
    ``tomorrow``/``besok``, ``lusa``, a weekday name: the coming such day, never today) followed by a time of day (``10:00``, ``10.00``, ``pukul 19.30``, ``7:30 PM``), which
    alone means today. A zone label after the time (``WIB``, ``WITA``, ``WIT``, ``UTC``) reads it
    in that zone instead of ``zone``.
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
        raise InvalidInput(_("no time given"), _(FORMAT_HINT))
    m = _RELATIVE.match(s.removeprefix("in ").strip())
    if s.startswith(("+", "in ")) and m:
        return now + timedelta(seconds=_seconds(m.group(1), m.group(2)))
    if _ISO_START.match(s) and not _ZONE_END.search(s):
        iso = s.upper().replace(" ", "T", 1)
        if iso.endswith("Z"):
            iso = iso[:-1] + "+00:00"
        try:
            parsed = datetime.fromisoformat(iso)
        except ValueError:
            parsed = None
        if parsed is not None:
            if len(s) == 10:  # a bare date has no time of day
                raise InvalidInput(_("the time {raw!r} has a date but no time of day").format(raw=raw),
                                   'add one, e.g. "' + raw + ' 09:00"')
            if parsed.tzinfo is not None:
                return parsed.astimezone(timezone.utc)
            return localize(parsed, zone).astimezone(timezone.utc)
    return _people_when(raw, s, zone, now)


def _people_when(raw: str, s: str, zone: ZoneInfo, now: datetime) -> datetime:
    """A day as people name it and a time of day (see ``parse_when``)."""
    split = datetext.split_clock(s)
    head, clock_text = split if split else (s, "")
    days = _DAY_WORDS.get(head)
    named_day = datetext.weekday(head) if " " not in head else None
    if not clock_text:
        if days is not None or named_day is not None:
            clock_text = "09:00"  # "besok": the morning
        else:
            try:
                datetext.read_date(s)
            except datetext.DateTextError:
                first, _sep, rest = s.partition(" ")
                if any(s.startswith(word + " ") for word in _DAY_WORDS) or (rest and datetext.weekday(first)):
                    raise InvalidInput(_("cannot read the time of day in {raw!r}").format(raw=raw),
                                       _('use HH:MM, e.g. "tomorrow 09:00"')) from None
                raise InvalidInput(_("cannot read the time {raw!r}").format(raw=raw), _(FORMAT_HINT)) from None
            raise InvalidInput(_("the time {raw!r} has a date but no time of day").format(raw=raw), _('add one, e.g. "{raw} 09:00"').format(raw=raw))
    try:
        clock = datetext.read_clock(clock_text)
    except datetext.DateTextError:
        if days is not None or named_day is not None or not head:
            raise InvalidInput(_("cannot read the time of day in {raw!r}").format(raw=raw), _('use HH:MM, e.g. "tomorrow 09:00"')) from None
        raise InvalidInput(_("cannot read the time {raw!r}").format(raw=raw), _(FORMAT_HINT)) from None
    where = ZoneInfo(clock.zone) if clock.zone else zone
    today = now.astimezone(where).date()
    if not head or days is not None:
        day = today + timedelta(days=days or 0)
    elif named_day is not None:  # the coming such weekday, never today ("hari ini 10:00" is today)
        day = today + timedelta(days=(named_day[0] - today.weekday()) % 7 or 7)
    else:
        try:
            day = datetext.read_date(head)
        except datetext.DateTextError as exc:
            if exc.problem:
                raise InvalidInput(_("cannot read the date in {raw!r}: {problem}").format(raw=raw, problem=exc.problem), exc.fix) from None
            if "did you mean" in exc.fix:
                raise InvalidInput(_("cannot read the date in {raw!r}").format(raw=raw), exc.fix) from None
            raise InvalidInput(_("cannot read the time {raw!r}").format(raw=raw), _(FORMAT_HINT)) from None
    return localize(datetime.combine(day, clock.at), where).astimezone(timezone.utc)


def parse_date(text: str, what: str = "date") -> date:
    """A date typed by a person: ``2026-12-01``, or day first as ``content.datetext`` reads it."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        pass
    try:
        return datetext.read_date(text)
    except datetext.DateTextError as exc:
        problem = f": {exc.problem}" if exc.problem else ""
        raise InvalidInput(_("cannot read the {what} {value!r}{problem}").format(what=what, value=text.strip(), problem=problem),
                           exc.fix if exc.problem or "did you mean" in exc.fix
                           else _("use 2026-12-07, 07/12/2026 or 7 Des 2026 (day first)")) from None


def local_day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants where local ``day`` starts and the next day starts."""
    start = datetime.combine(day, time(0), tzinfo=zone).astimezone(timezone.utc)
    end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(timezone.utc)
    return start, end


_AGO = re.compile(r"^(?:-\s*(\d+)\s*([a-z]+)|(\d+)\s*([a-z]+)\s+(?:ago|lalu|yang lalu))$")


def parse_since(text: str, zone: ZoneInfo, now: datetime) -> datetime:
    """A moment in the past typed by a person (``--since``): ``-2h``, ``3 days ago`` (``2 hari lalu``),
    a date as ``parse_date`` reads it (its local midnight), ``today``/``hari ini`` (midnight), or any
    time ``parse_when`` reads."""
    s = " ".join(text.strip().lower().split())
    m = _AGO.match(s)
    if m:
        number, unit = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        rel = _RELATIVE.match(f"{number}{unit}")
        if rel is None:
            raise InvalidInput(_("cannot read the time {value!r}").format(value=text.strip()), _('use e.g. "-2h", "3 days ago" or "2026-12-01"'))
        return now - timedelta(seconds=_seconds(rel.group(1), rel.group(2)))
    if s in ("today", "hari ini"):
        return local_day_bounds(now.astimezone(zone).date(), zone)[0]
    try:
        day = parse_date(text)
    except InvalidInput:  # not a date alone: a time
        return parse_when(text, zone, now)
    return local_day_bounds(day, zone)[0]
