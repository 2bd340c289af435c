"""Weekly slots: parsing (English and Indonesian), formatting back, and instants across DST."""

import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from content.slots import WeeklySlot, format_slots, next_slot_time, parse_slots, slot_times

JAKARTA = ZoneInfo("Asia/Jakarta")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")  # half-hour DST shift


def S(day, hhmm):
    h, m = map(int, hhmm.split(":"))
    return WeeklySlot(day, time(h, m))


def utc(*args):
    return datetime(*args, tzinfo=UTC)


# --- parsing ------------------------------------------------------------------------------------

def test_weekday_range_with_several_times():
    slots = parse_slots(["mon-fri 08:00,12:00,19:00"])
    assert len(slots) == 15
    assert slots[:4] == [S(0, "08:00"), S(0, "12:00"), S(0, "19:00"), S(1, "08:00")]
    assert slots[-1] == S(4, "19:00")


@pytest.mark.parametrize("spec,expected", [
    ("sat 09:00", [S(5, "09:00")]),
    ("daily 10:00", [S(d, "10:00") for d in range(7)]),
    ("harian 10:00", [S(d, "10:00") for d in range(7)]),
    ("setiap hari 10:00", [S(d, "10:00") for d in range(7)]),
    ("sat,sun 10:00", [S(5, "10:00"), S(6, "10:00")]),
    ("weekend 10:00", [S(5, "10:00"), S(6, "10:00")]),
    ("weekdays 07:30", [S(d, "07:30") for d in range(5)]),
    ("fri-mon 10:00", [S(0, "10:00"), S(4, "10:00"), S(5, "10:00"), S(6, "10:00")]),
    ("sen-jum 08.00", [S(d, "08:00") for d in range(5)]),
    ("Senin s/d Jumat 08:00", [S(d, "08:00") for d in range(5)]),
    ("senin sampai rabu 08:00", [S(d, "08:00") for d in range(3)]),
    ("sel,kam 19:00", [S(1, "19:00"), S(3, "19:00")]),
    ("Sabtu 9:00", [S(5, "09:00")]),
    ("minggu 06:00", [S(6, "06:00")]),
    ("jum'at 13:15", [S(4, "13:15")]),
    ("rab 12:00", [S(2, "12:00")]),
    ("MON - WED 08:00, 12:00", [S(d, t) for d in range(3) for t in ("08:00", "12:00")]),
    ("mon wed 08:00 12:00", [S(d, t) for d in (0, 2) for t in ("08:00", "12:00")]),
    ("Monday–Tuesday 23:59", [S(0, "23:59"), S(1, "23:59")]),
    ("sun-sun 00:00", [S(6, "00:00")]),
])
def test_spec_forms(spec, expected):
    assert parse_slots([spec]) == expected


def test_several_specs_are_merged_sorted_and_deduplicated():
    slots = parse_slots(["sat 09:00", "mon-fri 12:00,08:00", "mon 08:00", "daily 08:00"])
    assert slots == sorted(set(slots))
    assert len(slots) == 7 + 5 + 1  # daily 08:00, mon-fri 12:00, sat 09:00
    assert parse_slots([]) == []


def test_a_single_string_is_accepted():
    assert parse_slots("sat 09:00") == [S(5, "09:00")]


@pytest.mark.parametrize("spec,message", [
    ("mnday 08:00", "unknown day 'mnday' in \"mnday 08:00\" — use mon..sun or sen..min, e.g. \"mon-fri 08:00,12:00\""),
    ("mon-frii 08:00", "unknown day 'frii' in \"mon-frii 08:00\" — use mon..sun or sen..min, e.g. \"mon-fri 08:00,12:00\""),
    ("mon 25:00", "bad time '25:00' in \"mon 25:00\" — use 24-hour HH:MM, e.g. \"mon-fri 08:00,12:00\""),
    ("mon 8", "bad time '8' in \"mon 8\" — use 24-hour HH:MM, e.g. \"mon-fri 08:00,12:00\""),
    ("mon 08:60", "bad time '08:60' in \"mon 08:60\" — use 24-hour HH:MM, e.g. \"mon-fri 08:00,12:00\""),
    ("mon 8am", "bad time '8am' in \"mon 8am\" — use 24-hour HH:MM, e.g. \"mon-fri 08:00,12:00\""),
    ("mon 08:00 WIB", "time zone 'WIB' in \"mon 08:00 WIB\" — slots use the account's time zone; write only the times, e.g. \"mon-fri 08:00,12:00\""),
    ("mon-fri", "no time in \"mon-fri\" — add times after the days, e.g. \"mon-fri 08:00,12:00\""),
    ("08:00", "no day in \"08:00\" — start with days, e.g. \"mon-fri 08:00,12:00\""),
    ("   ", "empty slot spec — write days then times, e.g. \"mon-fri 08:00,12:00\""),
    ("mon- 08:00", "bad day range 'mon-' in \"mon- 08:00\" — write it as first-last, e.g. \"mon-fri 08:00,12:00\""),
    ("mon-wed-fri 08:00", "bad day range 'mon-wed-fri' in \"mon-wed-fri 08:00\" — write it as first-last, e.g. \"mon-fri 08:00,12:00\""),
])
def test_bad_specs_say_what_is_wrong_and_show_the_right_form(spec, message):
    with pytest.raises(ValueError) as err:
        parse_slots(["sat 09:00", spec])
    assert str(err.value) == message


def test_weekly_slot_validates():
    with pytest.raises(ValueError, match="weekday must be 0"):
        WeeklySlot(7, time(8))
    with pytest.raises(ValueError, match="naive datetime.time"):
        WeeklySlot(0, time(8, tzinfo=UTC))
    assert str(S(4, "19:00")) == "fri 19:00"


# --- formatting ---------------------------------------------------------------------------------

@pytest.mark.parametrize("specs,formatted", [
    (["mon-fri 08:00,12:00,19:00", "sat 09:00"], ["mon-fri 08:00,12:00,19:00", "sat 09:00"]),
    (["daily 10:00"], ["daily 10:00"]),
    (["sat,sun 10:00"], ["sat,sun 10:00"]),
    (["fri-mon 10:00"], ["fri-mon 10:00"]),
    (["sun,mon 10:00"], ["sun,mon 10:00"]),
    (["mon,wed,fri 07:00"], ["mon,wed,fri 07:00"]),
    (["mon-wed 08:00", "thu 08:00", "fri 08:00,17:00"], ["mon-thu 08:00", "fri 08:00,17:00"]),
    (["sen-jum 08.00", "sabtu 09.00"], ["mon-fri 08:00", "sat 09:00"]),
    ([], []),
])
def test_format_slots(specs, formatted):
    assert format_slots(parse_slots(specs)) == formatted


def test_format_then_parse_round_trips_random_slot_sets():
    rng = random.Random(20261201)
    pool = [time(h, m) for h in (6, 8, 12, 19, 23) for m in (0, 30)]
    for _ in range(300):
        slots = sorted({WeeklySlot(rng.randrange(7), rng.choice(pool)) for _ in range(rng.randrange(1, 20))})
        assert parse_slots(format_slots(slots)) == slots


# --- instants -----------------------------------------------------------------------------------

def test_jakarta_week_of_slots():
    slots = parse_slots(["mon-fri 08:00,19:00", "sat 09:00"])
    start = datetime(2026, 12, 7, tzinfo=JAKARTA)  # Monday 00:00 WIB
    got = list(slot_times(slots, JAKARTA, start, start + timedelta(days=7)))
    assert len(got) == 11
    assert got[:3] == [utc(2026, 12, 7, 1), utc(2026, 12, 7, 12), utc(2026, 12, 8, 1)]
    assert got[-1] == utc(2026, 12, 12, 2)
    assert all(t.tzinfo is UTC for t in got)
    assert got == sorted(got)


def test_interval_is_half_open():
    slots = parse_slots(["daily 08:00"])
    start = datetime(2026, 12, 7, 8, tzinfo=JAKARTA)
    end = datetime(2026, 12, 9, 8, tzinfo=JAKARTA)
    assert list(slot_times(slots, JAKARTA, start, end)) == [utc(2026, 12, 7, 1), utc(2026, 12, 8, 1)]
    assert list(slot_times(slots, JAKARTA, end, start)) == []
    assert list(slot_times([], JAKARTA, start, end)) == []


def test_start_and_end_in_other_zones_are_compared_as_instants():
    slots = parse_slots(["mon 08:00"])
    start = utc(2026, 12, 7, 0, 59)
    end = datetime(2026, 12, 7, 10, 1, tzinfo=ZoneInfo("Asia/Tokyo"))  # 01:01 UTC
    assert list(slot_times(slots, JAKARTA, start, end)) == [utc(2026, 12, 7, 1)]


def test_berlin_spring_forward_gap_moves_to_end_of_gap_once():
    # 2026-03-29: 02:00 CET jumps to 03:00 CEST (01:00 UTC)
    slots = parse_slots(["sun 01:30,02:00,02:30,03:00,03:30"])
    got = list(slot_times(slots, BERLIN, utc(2026, 3, 28), utc(2026, 3, 30)))
    assert got == [utc(2026, 3, 29, 0, 30), utc(2026, 3, 29, 1), utc(2026, 3, 29, 1, 30)]


def test_berlin_fall_back_uses_first_occurrence_once():
    # 2026-10-25: 03:00 CEST falls back to 02:00 CET; 02:00-03:00 happens twice
    slots = parse_slots(["sun 01:30,02:00,02:30,03:00"])
    got = list(slot_times(slots, BERLIN, utc(2026, 10, 24), utc(2026, 10, 26)))
    assert got == [utc(2026, 10, 24, 23, 30), utc(2026, 10, 25, 0), utc(2026, 10, 25, 0, 30),
                   utc(2026, 10, 25, 2)]


def test_new_york_transitions_over_a_season():
    slots = parse_slots(["daily 02:30"])
    got = list(slot_times(slots, NEW_YORK, utc(2026, 3, 6), utc(2026, 11, 4)))
    by_day = {t.astimezone(NEW_YORK).date().isoformat(): t for t in got}
    assert len(got) == len(by_day)  # one instant per local day
    assert by_day["2026-03-07"] == utc(2026, 3, 7, 7, 30)  # EST
    assert by_day["2026-03-08"] == utc(2026, 3, 8, 7)  # 02:30 does not exist: 03:00 EDT
    assert by_day["2026-03-09"] == utc(2026, 3, 9, 6, 30)  # EDT
    assert by_day["2026-11-01"] == utc(2026, 11, 1, 7, 30)  # 02:30 is after the repeat: EST
    assert got == sorted(got)


def test_new_york_ambiguous_hour_first_occurrence():
    slots = parse_slots(["sun 01:30"])
    got = list(slot_times(slots, NEW_YORK, utc(2026, 10, 31), utc(2026, 11, 2)))
    assert got == [utc(2026, 11, 1, 5, 30)]  # 01:30 EDT, not 01:30 EST (06:30 UTC)


def test_half_hour_dst_gap():
    # Lord Howe: 2026-10-04 02:00 (+10:30) jumps to 02:30 (+11:00), i.e. 15:30 UTC the day before
    slots = parse_slots(["sun 02:15"])
    got = list(slot_times(slots, LORD_HOWE, utc(2026, 10, 1), utc(2026, 10, 6)))
    assert got == [utc(2026, 10, 3, 15, 30)]


def test_naive_bounds_are_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        list(slot_times(parse_slots(["daily 08:00"]), JAKARTA, datetime(2026, 12, 7), utc(2026, 12, 8)))


def test_next_slot_time():
    slots = parse_slots(["mon-fri 08:00,19:00"])
    friday_evening = datetime(2026, 12, 11, 19, 0, 1, tzinfo=JAKARTA)
    assert next_slot_time(slots, JAKARTA, friday_evening) == utc(2026, 12, 14, 1)  # Monday 08:00
    assert next_slot_time(slots, JAKARTA, datetime(2026, 12, 11, 19, tzinfo=JAKARTA)) == utc(2026, 12, 11, 12)
    assert next_slot_time([], JAKARTA, friday_evening) is None
