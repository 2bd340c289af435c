"""``post import`` within bounds: bytes that are not text, files without end, memory that does not
grow with the file, and other writers that wait only a moment while a big import runs."""
from __future__ import annotations

import importlib.util
import json
import resource
import sqlite3
import subprocess
import sys
import textwrap
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigner.models import CalendarImport, Delivery, Post
from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parents[2]


def counts(engine) -> dict[str, int]:
    with Session(engine) as s:
        by_status = dict(s.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
        return {"posts": s.scalar(select(func.count()).select_from(Post)),
                "imports": s.scalar(select(func.count()).select_from(CalendarImport)),
                **{str(k): v for k, v in by_status.items()}}


def write_calendar(path: Path, rows: int, bad_at: int | None = None) -> Path:
    """``rows`` good rows on kspi-x from 2026-12-01, 96 a day; row ``bad_at`` (0-based) has a bad time."""
    with path.open("w", encoding="utf-8") as f:
        f.write("date,time,accounts,text\n")
        for i in range(rows):
            day = date(2026, 12, 1) + timedelta(days=i // 96)
            minute = (i % 96) * 15
            hhmm = "25:00" if i == bad_at else f"{minute // 60:02d}:{minute % 60:02d}"
            f.write(f"{day.isoformat()},{hhmm},kspi-x,Tolak outsourcing! Upah layak untuk buruh #{i}\n")
    return path


@pytest.fixture
def account(cli):
    cli.ok("account", "add", "x", "kspi-x", "--daily-cap", "200")


def run_cli(db_url: str, *args: str, limit_mb: int | None = None, **kw) -> subprocess.CompletedProcess:
    """``campaigner`` in its own process (with an address-space limit, so reading without end
    fails fast instead of filling the machine)."""
    def limit() -> None:
        if limit_mb:
            resource.setrlimit(resource.RLIMIT_AS, (limit_mb << 20, limit_mb << 20))
    return subprocess.run([sys.executable, "-m", "campaigner", "--db", db_url, *args], capture_output=True,
                          text=True, timeout=120, preexec_fn=limit, cwd=ROOT, **kw)


# --- bytes that are not text ------------------------------------------------------------------

def test_a_nul_byte_is_a_bad_row_on_every_database(cli, engine, account, tmp_path):
    csv = tmp_path / "cal.csv"
    csv.write_bytes(b"date,time,accounts,text\n"
                    b"2026-12-01,09:00,kspi-x,Baik\n"
                    b"2026-12-01,10:00,kspi-x,Halo\x00dunia\n")
    r = cli("post", "import", str(csv))
    assert r.exit_code == 1
    assert r.stderr.splitlines() == [
        'Error: cal.csv line 3: a NUL character (byte 0x00) in this row, which is not text — delete it in the '
        'sheet and save it as "CSV UTF-8" again',
        "Error: 1 bad row in cal.csv, nothing was imported — fix the rows above and import again"]
    assert counts(engine)["posts"] == 0


def test_a_nul_byte_in_a_post_file_is_one_error_line(cli, engine, account, tmp_path):
    text = tmp_path / "teks.txt"
    text.write_bytes(b"Tolak outsourcing!\x00")
    r = cli("post", "add", "--file", str(text), "--to", "kspi-x", "--at", "2026-12-02 09:00")
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == ("Error: the text holds a NUL character (byte 0x00), which is not text — remove it "
                        "(was the file saved as text?)\n")
    assert counts(engine)["posts"] == 0


def test_dev_zero_is_one_error_line_and_not_read_forever(db_url, account):
    r = run_cli(db_url, "post", "import", "/dev/zero", limit_mb=1500)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == ('Error: zero: line 1 is longer than 1,000,000 characters and holds NUL characters (byte 0x00), '
                        'so this is not a calendar CSV file — save the sheet as "CSV UTF-8"\n')


def test_a_multi_gigabyte_file_is_refused_before_reading(db_url, account, tmp_path):
    big = tmp_path / "besar.csv"
    with big.open("wb") as f:  # sparse: takes no disk
        f.write(b"date,time,accounts,text\n")
        f.truncate(3 * 10**9)
    r = run_cli(db_url, "post", "import", str(big), limit_mb=1500)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == ("Error: besar.csv is 3,000 MB, more than an import reads (200 MB) — split it into smaller "
                        "files, or give --max-size MB\n")


def test_a_stream_without_end_stops_at_the_size_cap(db_url, account):
    """Good rows forever on a pipe (no size known beforehand): reading stops at --max-size."""
    yes = subprocess.Popen(["sh", "-c", "echo date,time,accounts,text; exec yes 2027-01-01,09:00,kspi-x,Halo"],
                           stdout=subprocess.PIPE)
    try:
        r = run_cli(db_url, "post", "import", "/dev/stdin", "--max-size", "2", stdin=yes.stdout)
    finally:
        yes.kill()
        yes.wait()
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == ("Error: stdin is over 2 MB, more than an import reads (2 MB) — split it into smaller files, "
                        "or give --max-size MB\n")


# --- chunks: other writers wait only a moment; all or nothing still ---------------------------

def test_post_add_during_a_big_import_waits_and_succeeds(app, engine, db_url, account, tmp_path):
    """A ``post add`` in another process while an import is half written: it gets the lock between
    chunks (the old import held it throughout, so it failed after the 30 s busy timeout); meanwhile
    nothing of the import is queued, and at the end all of it is."""
    from campaigner.services.calendar import import_csv

    csv = write_calendar(tmp_path / "cal.csv", 3000)
    seen = []

    def meanwhile(done: int, total: int) -> None:
        if seen:
            return
        seen.append(counts(engine))
        seen.append(run_cli(db_url, "post", "add", "Aksi damai", "--to", "kspi-x", "--at", "2030-01-02 09:00"))
    result = import_csv(app, csv, progress=meanwhile, chunk_rows=200)
    assert (result.written, result.posts) == (True, 3000)
    during, added = seen
    assert added.returncode == 0 and "Error" not in added.stderr, added.stderr
    assert added.stdout.startswith("Queued post ")
    assert during["posts"] >= 800 and during.get("queued", 0) == 0  # written, not yet queued
    assert during["importing"] == during["posts"]
    assert counts(engine) == {"posts": 3001, "imports": 1, "queued": 3001}


def test_a_bad_row_after_written_chunks_leaves_nothing(app, engine, account, tmp_path):
    from campaigner.services.calendar import import_csv

    result = import_csv(app, write_calendar(tmp_path / "cal.csv", 2500, bad_at=2400), chunk_rows=300)
    assert result.written is False
    assert result.errors == ["line 2402: bad time '25:00' — write it as HH:MM or HH.MM, e.g. 08:00, 19.30 or 19.30 WITA"]
    assert counts(engine) == {"posts": 0, "imports": 0}


def killed_import(db_url: str, csv: Path) -> None:
    """An import whose process dies after a few chunks (as with kill -9 or a power cut)."""
    script = textwrap.dedent(f"""
        import os
        from datetime import datetime, timezone
        from pathlib import Path
        from campaigner.app import App
        from campaigner.config import resolve
        from campaigner.services.calendar import import_csv

        app = App(resolve({{"database_url": {db_url!r}}}), now=lambda: datetime(2026, 11, 30, 1, tzinfo=timezone.utc))
        import_csv(app, Path({str(csv)!r}), chunk_rows=100, progress=lambda done, total: os._exit(9))
    """)
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120, cwd=ROOT)
    assert r.returncode == 9, r.stderr


def test_an_import_killed_midway_is_never_queued_and_init_removes_it(cli, engine, db_url, account, tmp_path):
    killed_import(db_url, write_calendar(tmp_path / "cal.csv", 3000))
    left = counts(engine)
    assert left["posts"] >= 900 and left == {"posts": left["posts"], "imports": 1, "importing": left["posts"]}
    queue = json.loads(cli.ok("status", "--json").stdout)
    assert queue["queue"]["queued"] == 0
    refusal = ("Error: post 1 belongs to a CSV import that has not ended — wait for the import to end (if its "
               "process died, `campaigner init` removes what it wrote)\n")
    assert [cli("post", "cancel", "1").stderr, cli("post", "edit", "1", "Baru").stderr] == [refusal, refusal]
    assert cli.ok("init").stdout.splitlines()[-1] == ("Removed what 1 abandoned import had written (their process "
                                                        "stopped before the end; nothing of them was queued).")
    assert counts(engine) == {"posts": 0, "imports": 0}


def test_an_import_on_another_host_is_abandoned_when_it_stops_beating(cli, engine, db_url, account, clock, tmp_path):
    from sqlalchemy import update

    from campaigner.services.imports import STALE_AFTER

    killed_import(db_url, write_calendar(tmp_path / "cal.csv", 3000))
    with Session(engine) as s, s.begin():  # as if it ran on another machine sharing the database
        s.execute(update(CalendarImport).values(host="kantor-pusat", beat_at=clock.now))
    small = write_calendar(tmp_path / "small.csv", 10)
    cli.ok("post", "import", str(small))
    assert counts(engine)["importing"] >= 900  # it may still be running there: kept
    clock.advance(seconds=STALE_AFTER.total_seconds() + 1)
    cli.ok("post", "import", str(small))
    assert counts(engine) == {"posts": 20, "imports": 0, "queued": 20}


def test_a_stalled_import_taken_for_abandoned_stops_and_nothing_of_it_is_queued(app, engine, db_url, account,
                                                                                 clock, tmp_path):
    """An importer on another machine stalls past ``STALE_AFTER`` (alive), and ``post import`` here
    cleans it up meanwhile. The cleaner takes the import before deleting anything, so the moment
    its first transaction is committed the importer can no longer beat or finish (before, it could
    still queue what the cleaner then deleted); the importer stops, and nothing of it is left."""
    from sqlalchemy import event, update

    from campaigner import db
    from campaigner.app import App
    from campaigner.config import resolve
    from campaigner.errors import CampaignerError
    from campaigner.services import imports
    from campaigner.services.calendar import import_csv

    cleaner = App(resolve({"database_url": db_url}), now=clock)
    importer_beats: list[str] = []

    def importer_beats_meanwhile(_session) -> None:  # right after the cleaner's first commit
        if importer_beats:
            return
        importer_beats.append("")
        try:
            with db.write(app.engine) as s:
                imports.finish(s, import_id, clock.now)
            importer_beats[0] = "finished"
        except CampaignerError as exc:
            importer_beats[0] = str(exc)

    def stall(done: int, total: int) -> None:
        nonlocal import_id
        if importer_beats:
            return
        with Session(engine) as s, s.begin():  # as if it ran on another machine sharing the database
            import_id = s.scalar(select(CalendarImport.id))
            s.execute(update(CalendarImport).values(host="kantor-pusat"))
        clock.advance(seconds=imports.STALE_AFTER.total_seconds() + 1)
        event.listen(Session, "after_commit", importer_beats_meanwhile)
        try:
            assert imports.clean_abandoned(cleaner, clock.now) == 1
        finally:
            event.remove(Session, "after_commit", importer_beats_meanwhile)

    import_id = None
    with pytest.raises(CampaignerError, match="removed as abandoned"):
        import_csv(app, write_calendar(tmp_path / "cal.csv", 3000), progress=stall, chunk_rows=200)
    cleaner.close()
    assert importer_beats == ["the import was stopped for too long and what it wrote was removed as abandoned — "
                              "run the import again"]
    assert counts(engine) == {"posts": 0, "imports": 0}


# --- memory does not grow with the file ---------------------------------------------------------

def _peak_bytes(app, path: Path) -> int:
    from campaigner.services.calendar import import_csv

    tracemalloc.start()
    try:
        result = import_csv(app, path, dry_run=True)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
        assert result.posts > 0 and not result.errors


def test_memory_does_not_grow_with_the_number_of_rows(app, account, tmp_path):
    """Four times the rows, about the same peak: no row's plan is kept once it is checked (the old
    import held every plan, about 3 KB a row, until the end)."""
    small = _peak_bytes(app, write_calendar(tmp_path / "small.csv", 4000))
    large = _peak_bytes(app, write_calendar(tmp_path / "large.csv", 16000))
    assert large < small * 1.5, (small, large)


# --- a lock timeout is one line -----------------------------------------------------------------

@pytest.mark.skipif(bool(PG_URL), reason="SQLite's write lock")
def test_a_lock_timeout_is_one_error_line(cli, engine, account, monkeypatch):
    import campaigner.db

    monkeypatch.setattr(campaigner.db, "SQLITE_BUSY_TIMEOUT_MS", 200)  # not 30 s in a test
    holder = sqlite3.connect(engine.url.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        r = cli("post", "add", "Aksi damai", "--to", "kspi-x", "--at", "2026-12-02 09:00")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == "Error: the database is busy (another campaigner is writing to it) — try again in a moment\n"


@pytest.mark.skipif(bool(PG_URL), reason="SQLite's write lock")
def test_the_workers_heartbeat_behind_a_held_lock_logs_one_line(app, engine_for, engine, monkeypatch, caplog):
    import campaigner.db
    from scheduler.heartbeat import Heartbeat

    monkeypatch.setattr(campaigner.db, "SQLITE_BUSY_TIMEOUT_MS", 200)  # not 30 s in a test
    app.engine.dispose()  # new connections get the short timeout
    heartbeat = Heartbeat(engine_for("w-beat"))
    holder = sqlite3.connect(engine.url.database, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        heartbeat.beat_once()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert [(r.levelname, r.getMessage(), r.exc_info) for r in caplog.records if r.name == "scheduler.heartbeat"] == [
        ("WARNING", "heartbeat of worker w-beat: the database is busy (another campaigner is writing to it) — try "
                    "again in a moment", None)]


# --- the benchmark's calendar ------------------------------------------------------------------

def test_bench_calendar_of_a_million_rows_stays_within_ten_years():
    spec = importlib.util.spec_from_file_location("bench_import_csv", ROOT / "bench" / "import_csv.py")
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    start = date(2026, 12, 1)
    last_day, _ = bench.when(999_999, start)
    assert last_day < date(2036, 12, 1)


# --- numbers in the messages follow the language -------------------------------------------------

def test_the_numbers_of_a_file_problem_are_grouped_as_the_language_writes_them(cli, engine, account, tmp_path):
    """A line longer than a million characters, and a file too big to read, in both languages:
    Indonesian groups thousands with a point (``1.000.000``), English with a comma."""
    long = tmp_path / "panjang.csv"
    long.write_bytes(b"date,time,accounts,text\n2026-12-01,09:00,kspi-x," + b"a" * 1_100_000 + b"\n")
    big = tmp_path / "besar.csv"
    with big.open("wb") as f:  # sparse: takes no disk
        f.write(b"date,time,accounts,text\n")
        f.truncate(1_234_000_000)
    said = {}
    for lang in ("en", "id"):
        for name, path in (("long", long), ("big", big)):
            r = cli("post", "import", str(path), env={"CAMPAIGNER_LANG": lang})
            assert (r.exit_code, r.stdout) == (1, "")
            said[(lang, name)] = r.stderr
    assert said[("en", "long")] == ("Error: panjang.csv: line 2 is longer than 1,000,000 characters, so this is "
                                    'not a calendar CSV file — save the sheet as "CSV UTF-8"\n')
    assert said[("id", "long")] == ("Kesalahan: panjang.csv: baris 2 lebih panjang dari 1.000.000 karakter, jadi "
                                    'ini bukan berkas CSV kalender — simpan lembar kerjanya sebagai "CSV UTF-8"\n')
    assert said[("en", "big")] == ("Error: besar.csv is 1,234 MB, more than an import reads (200 MB) — split it "
                                   "into smaller files, or give --max-size MB\n")
    assert said[("id", "big")] == ("Kesalahan: besar.csv berukuran 1.234 MB, lebih besar dari yang dibaca impor (200 MB) "
                                   "— pecah menjadi berkas-berkas yang lebih kecil, atau berikan --max-size MB\n")
    assert counts(engine)["posts"] == 0
