"""Weekly posting slots: "mon-fri 08:00,12:00,19:00" parsed, printed back, and turned into instants.

Why: staff plan in habits ("weekdays at 8, noon and 7 in the evening, Saturday at 9"), not in
timestamps. A slot is a local weekday and wall-clock time in the account's zone; turning it into
UTC instants must survive daylight-saving changes for affiliates or accounts outside Indonesia.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from gettext import gettext as _

EXAMPLE = '"mon-fri 08:00,12:00"'

#: Day names accepted, English and Indonesian (full and short), by weekday (0 = Monday).
DAY_NAMES: dict[int, tuple[str, ...]] = {
    0: ("mon", "monday", "sen", "senin"),
    1: ("tue", "tues", "tuesday", "sel", "selasa"),
    2: ("wed", "wednesday", "rab", "rabu"),
    3: ("thu", "thur", "thurs", "thursday", "kam", "kamis"),
    4: ("fri", "friday", "jum", "jumat", "jum'at"),
    5: ("sat", "saturday", "sab", "sabtu"),
    6: ("sun", "sunday", "min", "minggu", "ahad"),
}
#: Words for several days at once.
DAY_GROUPS: dict[str, tuple[int, ...]] = {
    "daily": tuple(range(7)), "everyday": tuple(range(7)), "harian": tuple(range(7)),
    "setiap-hari": tuple(range(7)), "tiap-hari": tuple(range(7)),
    "weekdays": (0, 1, 2, 3, 4), "weekend": (5, 6), "weekends": (5, 6),
}
SHORT = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_DAY_LOOKUP = {name: day for day, names in DAY_NAMES.items() for name in names}
_TIME_RE = re.compile(r"(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?")
_UTC = UTC
_ZONE_WORDS = {"WIB", "WITA", "WIT", "UTC", "GMT"}


@dataclass(frozen=True, order=True)
class WeeklySlot:
    """A weekly posting slot: ``weekday`` (0 = Monday … 6 = Sunday) at local wall-clock ``time``."""

    weekday: int
    time: time

    def __post_init__(self) -> None:
        if isinstance(self.weekday, bool) or not isinstance(self.weekday, int) \
                or not 0 <= self.weekday <= 6:
            raise ValueError(f"weekday must be 0 (Monday) to 6 (Sunday), not {self.weekday!r}")
        if not isinstance(self.time, time) or self.time.tzinfo is not None:
            raise ValueError(f"time must be a naive datetime.time, not {self.time!r}")

    def __str__(self) -> str:
        return f"{SHORT[self.weekday]} {_fmt_time(self.time)}"


def parse_slots(specs: Iterable[str]) -> list[WeeklySlot]:
    """Parse slot specs into sorted, de-duplicated ``WeeklySlot``s.

    A spec is days then times: ``"mon-fri 08:00,12:00,19:00"``, ``"sat 09:00"``, ``"daily 10:00"``,
    ``"sat,sun 10:00"``, ``"jum-sen 07.30"`` (ranges may wrap the week). Days: mon..sun, full
    English names, Indonesian sen/senin … min/minggu, and daily/harian, weekdays, weekend.
    Times: 24-hour ``HH:MM`` (``HH.MM`` too), separated by commas or spaces.
    Raises ValueError saying what is wrong, with an example of the right form.
    """
    if isinstance(specs, str):
        specs = [specs]
    found: set[WeeklySlot] = set()
    for spec in specs:
        days, times = _parse_spec(spec)
        found.update(WeeklySlot(d, t) for d in days for t in times)
    return sorted(found)


def format_slots(slots: Iterable[WeeklySlot]) -> list[str]:
    """Slots back in compact spec form: days sharing the same times are grouped
    (``["mon-fri 08:00,12:00", "sat 09:00"]``); ``parse_slots`` of the result gives the slots back."""
    by_day: dict[int, set[time]] = {}
    for slot in slots:
        by_day.setdefault(slot.weekday, set()).add(slot.time)
    groups: dict[tuple[time, ...], list[int]] = {}
    for day in sorted(by_day):
        groups.setdefault(tuple(sorted(by_day[day])), []).append(day)
    specs = []
    for times, days in sorted(groups.items(), key=lambda item: item[1][0]):
        specs.append(f"{_fmt_days(days)} {','.join(_fmt_time(t) for t in times)}")
    return specs


def slot_times(
    slots: Iterable[WeeklySlot], zone: tzinfo, start: datetime, end: datetime
) -> Iterator[datetime]:
    """Every slot instant in ``[start, end)``, in order, as aware UTC datetimes.

    Slots are read in ``zone``'s local time. A local time skipped by a DST change (spring forward)
    moves to the first valid instant after the gap; a repeated one (fall back) is used once, at its
    first occurrence (fold=0). Two slots that land on the same instant (e.g. 02:30 and 03:00 on a
    spring-forward night in Berlin) yield it once, so a slot never doubles a post.
    ``start`` and ``end`` must be aware.
    """
    if start.tzinfo is None or end.tzinfo is None:
        raise ValueError("start and end must be timezone-aware datetimes")
    by_day: dict[int, list[time]] = {}
    for slot in slots:
        by_day.setdefault(slot.weekday, []).append(slot.time)
    for times in by_day.values():
        times.sort()
    if not by_day or start >= end:
        return
    day = start.astimezone(zone).date() - timedelta(days=1)
    last_day = end.astimezone(zone).date() + timedelta(days=1)
    previous: datetime | None = None
    while day <= last_day:
        for t in by_day.get(day.weekday(), ()):
            instant = local_to_utc(day, t, zone)
            if start <= instant < end and instant != previous:
                previous = instant
                yield instant
        day += timedelta(days=1)


def next_slot_time(slots: Iterable[WeeklySlot], zone: tzinfo, after: datetime) -> datetime | None:
    """The first slot instant at or after ``after`` (aware), or None when there are no slots."""
    slots = list(slots)
    if not slots:
        return None
    return next(slot_times(slots, zone, after, after + timedelta(days=8)), None)


def local_to_utc(day: date, wall: time, zone: tzinfo) -> datetime:
    """The UTC instant of local ``day`` + ``wall`` in ``zone``: the first occurrence of a repeated
    time, and the end of the gap for a time skipped by a DST change."""
    naive = datetime.combine(day, wall)
    first = naive.replace(tzinfo=zone, fold=0).astimezone(_UTC)
    if first.astimezone(zone).replace(tzinfo=None) == naive:
        return first
    # ``naive`` falls in a gap. fold=0 maps it after the transition, fold=1 before it; the first
    # valid instant after the gap is the transition itself: search for it, to the second.
    before = int(naive.replace(tzinfo=zone, fold=1).astimezone(_UTC).timestamp())
    after = int(first.timestamp())
    low, high = min(before, after), max(before, after)
    while high - low > 1:
        mid = (low + high) // 2
        if datetime.fromtimestamp(mid, zone).replace(tzinfo=None) >= naive:
            high = mid
        else:
            low = mid
    return datetime.fromtimestamp(high, _UTC)


# --- parsing helpers -------------------------------------------------------------------------

def _parse_spec(spec: str) -> tuple[list[int], list[time]]:
    text = str(spec).strip()
    if not text:
        raise ValueError(_("empty slot spec — write days then times, e.g. {example}").format(example=EXAMPLE))
    digit = re.search(r"\d", text)
    if digit is None:
        raise ValueError(_('no time in "{spec}" — add times after the days, e.g. {example}')
                         .format(spec=text, example=EXAMPLE))
    days_part, times_part = text[: digit.start()], text[digit.start():]
    if not days_part.strip():
        raise ValueError(_('no day in "{spec}" — start with days, e.g. {example}').format(spec=text, example=EXAMPLE))
    return _parse_days(days_part, text), _parse_times(times_part, text)


def _parse_days(part: str, spec: str) -> list[int]:
    cleaned = part.lower().replace("\u2013", "-").replace("\u2014", "-")
    cleaned = re.sub(r"\b(setiap|tiap)\s+hari\b", r"\1-hari", cleaned)
    cleaned = re.sub(r"\s*(?:-|\bs/d\b|\bsampai\b)\s*", "-", cleaned)
    days: list[int] = []
    for item in re.split(r"[\s,;]+", cleaned.strip(" ,;")):
        if item in DAY_GROUPS:
            days.extend(DAY_GROUPS[item])
        elif "-" in item:
            first, _sep, last = item.partition("-")
            if not first or not last or "-" in last:
                raise ValueError(_("bad day range '{item}' in \"{spec}\" — write it as first-last, e.g. {example}")
                                 .format(item=item, spec=spec, example=EXAMPLE))
            a, b = _day(first, spec), _day(last, spec)
            days.extend((a + i) % 7 for i in range((b - a) % 7 + 1))
        else:
            days.append(_day(item, spec))
    return days


def _day(name: str, spec: str) -> int:
    day = _DAY_LOOKUP.get(name)
    if day is None:
        raise ValueError(_("unknown day '{day}' in \"{spec}\" — use mon..sun or sen..min, e.g. {example}")
                         .format(day=name, spec=spec, example=EXAMPLE))
    return day


def _parse_times(part: str, spec: str) -> list[time]:
    times = []
    for token in re.split(r"[\s,;]+", part.strip(" ,;\t")):
        if token.upper() in _ZONE_WORDS:
            raise ValueError(_("time zone '{zone}' in \"{spec}\" — slots use the account's time zone; write only "
                               "the times, e.g. {example}").format(zone=token, spec=spec, example=EXAMPLE))
        match = _TIME_RE.fullmatch(token)
        hour, minute, second = (int(g or 0) for g in match.groups()) if match else (99, 99, 99)
        if hour > 23 or minute > 59 or second > 59:
            raise ValueError(_("bad time '{time}' in \"{spec}\" — use 24-hour HH:MM, e.g. {example}")
                             .format(time=token, spec=spec, example=EXAMPLE))
        times.append(time(hour, minute, second))
    return times


def _fmt_time(t: time) -> str:
    return t.strftime("%H:%M:%S") if t.second else t.strftime("%H:%M")


def _fmt_days(days: list[int]) -> str:
    """Compact weekday list: ``daily``, ``mon-fri``, ``sat,sun``, ``fri-mon`` (runs wrap the week)."""
    present = set(days)
    if len(present) == 7:
        return "daily"
    # Start scanning right after a missing day so a run over Sunday→Monday stays whole.
    gap = next(d for d in range(7) if d not in present)
    runs: list[list[int]] = []
    for offset in range(1, 8):
        d = (gap + offset) % 7
        if d in present:
            if runs and (runs[-1][-1] + 1) % 7 == d:
                runs[-1].append(d)
            else:
                runs.append([d])
    runs.sort(key=lambda run: run[0])
    items = []
    for run in runs:
        if len(run) >= 3:
            items.append(f"{SHORT[run[0]]}-{SHORT[run[-1]]}")
        else:
            items.extend(SHORT[d] for d in run)
    return ",".join(items)
