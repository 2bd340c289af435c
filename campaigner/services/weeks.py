"""ISO weeks in a zone: what the weekly report covers, and the week it is due for (``status``
reads this without loading the report's queries)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from campaigner.times import local_day_bounds


@dataclass(frozen=True)
class Week:
    """An ISO week in a zone: local Monday 00:00 (``start``, UTC) to the next Monday (``end``)."""

    year: int
    week: int
    zone: str
    first_day: date  # Monday
    last_day: date   # Sunday
    start: datetime
    end: datetime

    @property
    def iso(self) -> str:
        return f"{self.year}-W{self.week:02d}"

    def previous(self) -> "Week":
        y, w, _ = (self.first_day - timedelta(days=7)).isocalendar()
        return week_of(y, w, ZoneInfo(self.zone))


def week_of(year: int, week: int, zone: ZoneInfo) -> Week:
    monday = date.fromisocalendar(year, week, 1)
    start, _ = local_day_bounds(monday, zone)
    _, end = local_day_bounds(monday + timedelta(days=6), zone)
    return Week(year, week, zone.key, monday, monday + timedelta(days=6), start, end)


def default_week(now: datetime, zone: ZoneInfo) -> Week:
    """The last full ISO week before ``now`` (local): on any day of week 49, week 48."""
    today = now.astimezone(zone).date()
    y, w, _ = (today - timedelta(days=today.weekday() + 7)).isocalendar()
    return week_of(y, w, zone)
