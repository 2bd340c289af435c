"""A column of a report's values formatted at once, for the formats that write one row per
delivery (CSV, JSON): a week of 50,000 deliveries repeats its names, texts and figures over and
over, and its times fall in a few thousand minutes.

- ``each``: a function of each value, worked out once per distinct value;
- ``utc_column`` / ``local_column``: times as text, each UTC hour's part formatted once (local: in
  the zone, through its offset over that hour — a zone conversion per hour, not per cell — or a
  minute at a time where the offset is not whole hours or changes in that hour), instead of an
  ``isoformat``/``strftime`` per cell — the same text, which a value these tables cannot vouch for
  (not a ``datetime``, a year before 1000 where ``%Y`` does not pad, a minute in which its zone's
  offset changes or is not whole minutes) gets from ``slow``.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone, tzinfo
from typing import Any, Callable, Collection, Sequence

from campaigner.report_render.common import Memo

_UTC = timezone.utc
#: ``MM:SS`` of each second of an hour
_MIN_SEC = [f"{m:02d}:{s:02d}" for m in range(60) for s in range(60)]
_LAST = timedelta(seconds=59, microseconds=999_999)
_WHOLE_MINUTE = timedelta(minutes=1)
_WHOLE_HOUR = timedelta(hours=1)
_LAST_OF_HOUR = timedelta(minutes=59, seconds=59, microseconds=999_999)
#: ``MM`` of each minute of an hour
_MINUTES = [f"{m:02d}" for m in range(60)]
_UNSEEN: Any = object()


def each(fn: Callable[[Any], str], values: Sequence[Any], types: Collection[type]) -> list[str]:
    """``[fn(v) for v in values]``, ``fn`` called once per distinct value when every value's type
    is one of ``types`` (hashable, and never two equal values of different types that ``fn``
    writes differently: ``True == 1 == 1.0``); else once per value."""
    if set(map(type, values)) <= set(types):
        return list(map(Memo(fn).__getitem__, values))
    return list(map(fn, values))


def utc_column(values: Sequence[datetime | None], slow: Callable[[Any], str], hours: dict[int, str | None], *,
               none: str, start: str = "", end: str, micro: bool = False, min_year: int = 1) -> list[str]:
    """Each time as ``start``, then ``YYYY-MM-DDTHH:MM:SS`` in UTC (``.ffffff`` after it when ``micro`` and it has
    any), then ``end``; ``none`` for None; ``slow(value)`` for a value that is not a ``datetime`` or
    is before the year ``min_year``. ``hours``: the texts of the hours seen, kept for the next
    column of the same ``start`` and ``min_year``."""
    out: list[str] = []
    add = out.append
    for w in values:
        if w is None:
            add(none)
            continue
        if type(w) is not datetime:
            add(slow(w))
            continue
        if w.tzinfo is not _UTC:
            w = w.astimezone(_UTC)
        k = w.toordinal() * 24 + w.hour
        head = hours.get(k, _UNSEEN)
        if head is _UNSEEN:
            head = hours[k] = start + w.isoformat("T", "hours")[:13] + ":" if w.year >= min_year else None
        if head is None:
            add(slow(w))
        elif micro and (us := w.microsecond):
            add(f"{head}{_MIN_SEC[w.minute * 60 + w.second]}.{us:06d}{end}")
        else:
            add(head + _MIN_SEC[w.minute * 60 + w.second] + end)
    return out


def _local_minute(w: datetime, zone: tzinfo) -> str | None:
    """``YYYY-MM-DD HH:MM`` in ``zone`` of every instant of the UTC minute of ``w``; None when
    that is not one text (the zone's offset changes in that minute or has seconds) or the year is
    before 1000."""
    start = w.replace(second=0, microsecond=0)
    first, last = start.astimezone(zone), (start + _LAST).astimezone(zone)
    off = first.utcoffset()
    if off is None or off != last.utcoffset() or off % _WHOLE_MINUTE or first.year < 1000:
        return None
    return first.isoformat(" ", "minutes")[:16]


def _local_hour(w: datetime, zone: tzinfo) -> str | None:
    """``YYYY-MM-DD HH:`` in ``zone`` of every instant of the UTC hour of ``w`` (whose minutes are
    then the UTC ones); None when that is not one text (the zone's offset changes in that hour or
    is not whole hours: Asia/Kolkata's +05:30) or the year is before 1000."""
    start = w.replace(minute=0, second=0, microsecond=0)
    first, last = start.astimezone(zone), (start + _LAST_OF_HOUR).astimezone(zone)
    off = first.utcoffset()
    if off is None or off != last.utcoffset() or off % _WHOLE_HOUR or first.year < 1000:
        return None
    return first.isoformat(" ", "minutes")[:14]


def local_column(values: Sequence[datetime | None], zone: tzinfo, slow: Callable[[Any], str],
                 minutes: dict[int, str | None], hours: dict[int, str | None]) -> list[str]:
    """Each time as ``YYYY-MM-DD HH:MM`` in ``zone``; "" for None; ``slow(value)`` for one the
    per-hour and per-minute tables cannot vouch for (see the module's docstring). ``hours``: the
    local ``YYYY-MM-DD HH:`` of the UTC hours seen (None: an hour whose offset is not one whole
    number of hours, read a minute at a time); ``minutes``: the texts of the minutes seen; both kept
    for the next column in the same zone."""
    out: list[str] = []
    add = out.append
    for w in values:
        if w is None:
            add("")
            continue
        if type(w) is not datetime:
            add(slow(w))
            continue
        u = w if w.tzinfo is _UTC else w.astimezone(_UTC)
        k = u.toordinal() * 24 + u.hour
        head = hours.get(k, _UNSEEN)
        if head is _UNSEEN:
            head = hours[k] = _local_hour(u, zone)
        if head is not None:
            add(head + _MINUTES[u.minute])
            continue
        k = k * 60 + u.minute
        text = minutes.get(k, _UNSEEN)
        if text is _UNSEEN:
            text = minutes[k] = _local_minute(u, zone)
        add(slow(w) if text is None else text)
    return out
