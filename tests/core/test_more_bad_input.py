"""Bad input found by an audit of the real CLI: each mistake is one line ``Error: what — how``, the
right exit code, no traceback, and the database exactly as it was."""
from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigner.models import Base

WIB = ZoneInfo("Asia/Jakarta")
ACCEPTED = ("date/tanggal/tgl, time/jam/waktu/pukul, accounts/account/akun, text/teks/isi/konten/content, "
            "link/tautan/url, campaign/kampanye, media/gambar/foto/image/images, "
            "max_late/max-late/max late/batas_telat/batas telat, status")


def wib(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB).astimezone(timezone.utc)


def everything(engine) -> dict[str, list[tuple]]:
    """Every row of every table: what "the database did not change" compares."""
    with Session(engine) as s:
        return {t.name: sorted(map(tuple, s.execute(select(t))), key=repr) for t in Base.metadata.sorted_tables}


def refused(cli, engine, *args: str, code: int = 1) -> str:
    """Run a command that must fail; check the one-line error, the exit code and that nothing
    changed; return the line."""
    before = everything(engine)
    r = cli(*args)
    assert (r.exit_code, r.stdout) == (code, ""), r.output
    assert r.stderr.startswith("Error: ") and r.stderr.count("\n") == 1 and r.stderr.count(" — ") == 1, r.stderr
    assert "Traceback" not in r.stderr and "unexpected" not in r.stderr
    assert everything(engine) == before
    return r.stderr.rstrip("\n")


@pytest.fixture
def two(cli):
    cli.ok("account", "add", "sandbox", "sb1")
    cli.ok("account", "add", "sandbox", "sb2")
    return cli


# --- F1: slots set on several accounts is all or nothing --------------------------------------------
def test_slots_set_with_an_unknown_account_changes_no_account(two, engine):
    two.ok("slots", "set", "sb1", "mon 08:00")
    assert refused(two, engine, "slots", "set", "sb1,nope", "tue 10:00") == (
        "Error: no account named 'nope' — see `campaigner account list`")
    assert refused(two, engine, "slots", "set", "sb2,nope,sb1,nah", "tue 10:00") == (
        "Error: no accounts named 'nope', 'nah' — see `campaigner account list`")
    assert two.ok("slots", "show", "sb1").stdout.splitlines()[0] == "sb1 (Asia/Jakarta): mon 08:00"
    assert two.ok("slots", "show", "sb2").stdout.startswith("sb2 has no slots.")
    # all known: every account is set, in one go
    assert two.ok("slots", "set", "sb1,sb2,sb1", "tue 10:00").stdout == "sb1: tue 10:00\nsb2: tue 10:00\n"


# --- F2: numbers out of range --------------------------------------------------------------------------
@pytest.mark.parametrize("days", ["3661", "99999999", "99999999999999999999"])
def test_queue_days_has_an_upper_bound(two, engine, days):
    assert refused(two, engine, "queue", "--days", days) == (
        f"Error: --days must be at most 3660 (ten years), got {days} — e.g. --days 366 for a year ahead")


def test_queue_days_at_the_bound_works(two):
    assert two.ok("queue", "--days", "3660").stdout == "Nothing queued in the next 3,660 days.\n"


@pytest.mark.parametrize("week", ["9999-W52", "0001-W01", "1999-W52", "2101-W01"])
def test_report_week_out_of_range(two, engine, week):
    assert refused(two, engine, "report", "weekly", "--week", week, code=2) == (
        f"Error: the week '{week}' is out of range — use a week of the years 2000 to 2100, e.g. 2026-W48")


# --- F5: export into a folder that does not exist --------------------------------------------------
def test_export_into_a_missing_folder(two, engine, tmp_path):
    two.ok("post", "add", "Halo", "--to", "sb1", "--at", "2026-12-01 09:00")
    out = tmp_path / "nofolder" / "out.csv"
    assert refused(two, engine, "post", "export", str(out)) == (
        f"Error: cannot write {out}: No such file or directory — check the folder exists and is writable")
    assert not (tmp_path / "nofolder").exists()


# --- F14: content's "what — how" passed on as is, not wrapped a second time ----------------------
@pytest.mark.parametrize("tag, message", [
    ("Tolak-Tapera", "bad hashtag 'Tolak-Tapera' — use letters, digits and _ only (no spaces, punctuation or emoji), "
                     "e.g. \"#UpahLayak\""),
    ("bad tag", "bad hashtag 'bad tag' — use letters, digits and _ only (no spaces, punctuation or emoji), "
                "e.g. \"#UpahLayak\""),
    ("##double", "bad hashtag '##double' — write a single '#' before the word, e.g. \"#UpahLayak\""),
    ("#", "empty hashtag '#' — write a word after '#', e.g. \"#UpahLayak\""),
    ("#123", "hashtag '#123' has no letter, and platforms do not link a tag of digits only — add a word, "
             "e.g. \"#Upah2026\""),
    ("#\u270a", "bad hashtag '#\u270a' — use letters, digits and _ only (no spaces, punctuation or emoji), "
                "e.g. \"#UpahLayak\""),
])
def test_bad_hashtag_is_said_once(two, engine, tag, message):
    assert refused(two, engine, "campaign", "add", "c1", "--name", "C", "--hashtag", "Upah", "--hashtag", tag) == (
        f"Error: {message}")


@pytest.mark.parametrize("spec, message", [
    ("mon 25:00", "bad time '25:00' in \"mon 25:00\" — use 24-hour HH:MM, e.g. \"mon-fri 08:00,12:00\""),
    ("mnday 08:00", "unknown day 'mnday' in \"mnday 08:00\" — use mon..sun or sen..min, e.g. \"mon-fri 08:00,12:00\""),
    ("mon 08:00 WIB", "time zone 'WIB' in \"mon 08:00 WIB\" — slots use the account's time zone; write only the "
                      "times, e.g. \"mon-fri 08:00,12:00\""),
])
def test_bad_slot_is_said_once(two, engine, spec, message):
    two.ok("slots", "set", "sb1", "mon 08:00")
    assert refused(two, engine, "slots", "set", "sb1,sb2", spec) == f"Error: {message}"


# --- F15: a file or header problem is one line, not "N bad rows" ---------------------------------
@pytest.mark.parametrize("content, message", [
    (b"2026-12-05,09:00,sb1,teks\n",
     "cal.csv line 1: this line holds data ('2026-12-05', '09:00'), not column names — add a line naming the "
     f"columns above it, e.g. date,time,accounts,text,link,campaign,media; accepted names: {ACCEPTED}"),
    (b"",
     "cal.csv: the file is empty — the first line must be the header, e.g. date,time,accounts,text,link,campaign,media"),
    ("date,time,accounts,text\n2026-12-05,09:00,sb1,teks\n".encode("utf-16"),
     'cal.csv: the file is UTF-16, not UTF-8 — save it as "CSV UTF-8" (Excel: Save As → CSV UTF-8 (Comma delimited))'),
    (b"date,time,accounts,text,date\n2026-12-05,09:00,sb1,teks,2026-12-06\n",
     "cal.csv line 1: columns 'date' and 'date' are both the date column — keep one"),
    (b"tangal,time,akun,teks,prioritas\n2026-12-05,09:00,sb1,teks,1\n",
     "cal.csv line 1: missing column date in the header; unknown columns 'tangal' (did you mean 'tanggal'?), "
     f"'prioritas' — accepted names: {ACCEPTED}"),
])
def test_import_file_and_header_problems_are_one_line(two, engine, tmp_path, content, message):
    csv = tmp_path / "cal.csv"
    csv.write_bytes(content)
    assert refused(two, engine, "post", "import", str(csv)) == f"Error: {message}"
    assert refused(two, engine, "post", "import", str(csv), "--dry-run") == f"Error: {message}"


def test_import_bad_rows_are_still_each_reported_then_counted(two, engine, tmp_path):
    csv = tmp_path / "cal.csv"
    csv.write_text("date,time,accounts,text\n2026-12-05,29:00,sb1,a\n2026-12-05,09:00,nope,b\n", encoding="utf-8")
    before = everything(engine)
    r = two("post", "import", str(csv))
    assert r.exit_code == 1 and r.stderr.splitlines() == [
        "Error: cal.csv line 2: bad time '29:00' — write it as HH:MM or HH.MM, e.g. 08:00, 19.30 or 19.30 WITA",
        "Error: cal.csv line 3: no account named 'nope' — see `campaigner account list`",
        "Error: 2 bad rows in cal.csv, nothing was imported — fix the rows above and import again"]
    assert everything(engine) == before


# --- F18: "the last full week" means the same to report weekly and report deliver -----------------
def _markdown_only(home) -> None:
    (home / "config" / "campaigner.toml").write_text('[report]\nformats = ["markdown"]\n')


def test_report_deliver_before_monday_seven_says_when_last_week_is_due(two, engine, home):
    _markdown_only(home)
    folder = home / "data" / "reports"
    two.clock.now = wib("2026-11-24 10:00")  # Tuesday of week 48: week 47's report is due
    assert two.ok("report", "deliver").stdout == f"Wrote {folder / 'weekly-2026-W47.md'}\n"
    two.clock.now = wib("2026-11-30 05:49")  # Monday of week 49, before 07:00
    assert two.ok("report", "weekly").stdout.startswith("Weekly report — Week 48, 2026\n")
    before = everything(engine)
    assert two.ok("report", "deliver").stdout == (
        "The 2026-W47 report was delivered already (or its last try failed minutes ago).\n"
        "The 2026-W48 report is due at 2026-11-30 07:00 WIB; `campaigner report weekly` shows it now.\n")
    assert everything(engine) == before and sorted(p.name for p in folder.iterdir()) == ["weekly-2026-W47.md"]
    two.clock.now = wib("2026-11-30 07:00")
    assert two.ok("report", "deliver").stdout == f"Wrote {folder / 'weekly-2026-W48.md'}\n"
    assert two.ok("report", "deliver").stdout == (
        "The 2026-W48 report was delivered already (or its last try failed minutes ago).\n")


def test_report_deliver_before_monday_seven_catches_up_a_missed_week(two, home):
    _markdown_only(home)
    folder = home / "data" / "reports"
    two.clock.now = wib("2026-11-30 05:49")
    assert two.ok("report", "deliver").stdout == (
        f"Wrote {folder / 'weekly-2026-W47.md'}\n"
        "The 2026-W48 report is due at 2026-11-30 07:00 WIB; `campaigner report weekly` shows it now.\n")


@pytest.mark.parametrize("week, begins", [("2027-W48", "Mon 29 Nov 2027"), ("2026-W50", "Mon 07 Dec 2026")])
def test_report_weekly_refuses_a_week_that_has_not_started(two, engine, week, begins):
    assert refused(two, engine, "report", "weekly", "--week", week) == (
        f"Error: the week {week} has not started yet (it begins {begins}) — pick a week up to 2026-W49, the current one")
    # the current week is fine: its report says it is not over yet
    assert "This week is not over yet" in two.ok("report", "weekly", "--week", "2026-W49").stdout
