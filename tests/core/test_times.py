"""``localize``: a wall-clock time in a zone, gaps refused, the first of a repeated hour taken.
Its shortcut for days without a clock change must agree with the full round trip everywhere."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from campaigner.errors import InvalidInput
from campaigner.times import localize


def _round_trip(naive: datetime, zone: ZoneInfo) -> datetime | None:
    aware = naive.replace(tzinfo=zone, fold=0)
    return aware if aware.astimezone(timezone.utc).astimezone(zone).replace(tzinfo=None) == naive else None


@pytest.mark.parametrize("name", ["Europe/Berlin", "America/Santiago", "Australia/Lord_Howe", "Africa/Casablanca",
                                  "Asia/Jakarta"])
def test_localize_agrees_with_the_round_trip_all_year(name):
    """Every 15 minutes of 2026, in zones whose clocks change at 02:00, at midnight, by half an
    hour, around Ramadan, and never."""
    zone = ZoneInfo(name)
    t = datetime(2026, 1, 1)
    while t.year == 2026:
        want = _round_trip(t, zone)
        try:
            got = localize(t, zone)
        except InvalidInput:
            got = None
        assert got == want and (got is None or got.utcoffset() == want.utcoffset()), t
        t += timedelta(minutes=15)


def test_gap_and_repeated_hour():
    berlin = ZoneInfo("Europe/Berlin")
    with pytest.raises(InvalidInput, match="2026-03-29 02:30 does not exist in Europe/Berlin"):
        localize(datetime(2026, 3, 29, 2, 30), berlin)
    first = localize(datetime(2026, 10, 25, 2, 30), berlin)  # the repeated hour: its first occurrence
    assert first.astimezone(timezone.utc) == datetime(2026, 10, 25, 0, 30, tzinfo=timezone.utc)
