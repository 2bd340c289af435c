"""Importing a 100,000-row content calendar: rows per second, next to a raw sqlite3 executemany
of the same rows, measured in the same run, and the import's peak memory (the CLI process's
largest resident set: it should not grow with the rows).

Run: python bench/import_csv.py [--rows 100000] [--repeat 3]
Goal: at least a third of the raw speed. The import checks every row (account, campaign, time
zone, length as each platform counts it, daily caps) and writes posts, deliveries and delivery
parts. Two baselines write the same three rows per CSV row with no checks at all:

- raw, same file and tables (the goal's baseline): the same CSV file read with the ``csv`` module
  and inserted with ``sqlite3`` executemany into a database set up exactly like campaigner's own
  (its migrated schema with every index and foreign key, the same pragmas, the same accounts and
  campaign), times written as they stand (no time zone), random keys from ``uuid4``;
- raw, minimal schema: the rows built in Python (no file) into three bare tables with three
  indexes and no foreign keys, the cheapest insert there is (shown for comparison).

Each is run ``--repeat`` times, interleaved, on fresh databases; a shared machine's noise (single
runs here have ranged from 0.25 to 0.46 of the same baseline) shows in the single-run ratios.
"""
from __future__ import annotations

import argparse
import csv
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from campaigner.app import App
from campaigner.config import resolve
from campaigner.services import accounts, campaigns

ACCOUNTS = ["konfederasi-x", "konfederasi-mastodon", "fspmi-bsky"]
PLATFORMS = ["x", "mastodon", "bluesky"]
TEXTS = ["Tolak potongan Tapera dari upah buruh! Iuran wajib 3% memberatkan pekerja. #{i}",
         "Upah minimum 2027 harus naik sesuai kebutuhan hidup layak 💪 https://example.org/upah/{i}",
         "Hapus outsourcing: buruh butuh kepastian kerja, bukan kontrak tanpa akhir. Ke-{i}"]


def when(i: int, start: date) -> tuple[date, int]:
    """Row ``i``'s day and minute of the day: one row a minute (480 a day on each account, under
    its cap), so 1,000,000 rows span under two years (campaigner refuses times over 10 years ahead)."""
    return start + timedelta(days=i // 1440), i % 1440


def write_csv(path: Path, rows: int, start: date) -> None:
    with path.open("w", encoding="utf-8") as f:
        f.write("date,time,accounts,text,campaign\n")
        for i in range(rows):
            day, minute = when(i, start)
            f.write(f"{day.isoformat()},{minute // 60:02d}:{minute % 60:02d},{ACCOUNTS[i % 3]},"
                    f"\"{TEXTS[i % 3].format(i=i)}\",upah\n")


def raw_same_schema(db: Path, csv_path: Path) -> float:
    """The CSV's rows read with the ``csv`` module and inserted with sqlite3 executemany into
    ``db``, a database prepared like campaigner's (see ``prepare``); returns seconds."""
    con = sqlite3.connect(db, isolation_level=None)
    con.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;")
    account_ids = dict(con.execute("SELECT name, id FROM accounts"))
    campaign_ids = dict(con.execute("SELECT slug, id FROM campaigns"))
    now = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    t = time.perf_counter()
    with open(csv_path, encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    con.execute("BEGIN IMMEDIATE")
    con.executemany("INSERT INTO posts (id, campaign_id, text, is_thread, link, variants, source, created_at, "
                    "updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
                    ((i, campaign_ids[r["campaign"]], r["text"], 0, r.get("link") or None, "{}",
                      f"cal.csv:{i + 1}", now, now) for i, r in enumerate(rows, 1)))
    con.executemany("INSERT INTO deliveries (id, post_id, account_id, status, due_at, slot_based, attempt_count, "
                    "created_at, updated_at) VALUES (?,?,?,?,?,?,?,?,?)",
                    ((i, i, account_ids[r["accounts"]], "queued", f"{r['date']} {r['time']}:00.000000", 0, 0,
                      now, now) for i, r in enumerate(rows, 1)))
    con.executemany("INSERT INTO delivery_parts (id, delivery_id, position, text, idempotency_key) "
                    "VALUES (?,?,?,?,?)", ((i, i, 0, r["text"], uuid.uuid4().hex) for i, r in enumerate(rows, 1)))
    con.execute("COMMIT")
    elapsed = time.perf_counter() - t
    con.close()
    return elapsed


def raw_minimal(db: Path, rows: int) -> float:
    """The rows built in Python, inserted with sqlite3 executemany into bare tables; returns seconds."""
    con = sqlite3.connect(db)
    con.executescript("""
        PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;
        CREATE TABLE posts(id INTEGER PRIMARY KEY, campaign_id INT, text TEXT, is_thread INT, link TEXT,
                           variants TEXT, source TEXT, created_at TEXT, updated_at TEXT);
        CREATE TABLE deliveries(id INTEGER PRIMARY KEY, post_id INT, account_id INT, status TEXT, due_at TEXT,
                                slot_based INT, attempt_count INT, created_at TEXT, updated_at TEXT);
        CREATE INDEX ix_d_status_due ON deliveries(status, due_at);
        CREATE INDEX ix_d_account_due ON deliveries(account_id, due_at);
        CREATE INDEX ix_d_post ON deliveries(post_id);
        CREATE TABLE delivery_parts(id INTEGER PRIMARY KEY, delivery_id INT, position INT, text TEXT,
                                    idempotency_key TEXT UNIQUE);
    """)
    now = datetime.now(timezone.utc).isoformat()
    t = time.perf_counter()
    with con:
        con.executemany("INSERT INTO posts VALUES (?,?,?,?,?,?,?,?,?)",
                        ((i + 1, 1, TEXTS[i % 3].format(i=i), 0, None, "{}", f"cal.csv:{i + 2}", now, now)
                         for i in range(rows)))
        con.executemany("INSERT INTO deliveries VALUES (?,?,?,?,?,?,?,?,?)",
                        ((i + 1, i + 1, i % 3 + 1, "queued", now, 0, 0, now, now) for i in range(rows)))
        con.executemany("INSERT INTO delivery_parts VALUES (?,?,?,?,?)",
                        ((i + 1, i + 1, 0, TEXTS[i % 3].format(i=i), uuid.uuid4().hex) for i in range(rows)))
    elapsed = time.perf_counter() - t
    con.close()
    return elapsed


def prepare(folder: Path) -> App:
    """A fresh install in ``folder`` with the calendar's three accounts and its campaign."""
    folder.mkdir()
    cfg = folder / "config.toml"
    cfg.write_text("")
    settings = resolve({"database_url": f"sqlite:///{folder / 'bench.db'}", "data_dir": str(folder / "data")},
                       env={}, config_path=cfg)
    app = App(settings)
    for name, platform in zip(ACCOUNTS, PLATFORMS):
        accounts.add(app, platform, name, daily_cap=1000)
    campaigns.add(app, "upah", "Upah Layak", hashtags=["UpahLayak"])
    return app


#: runs a command and answers with its exit status, peak resident memory (kB) and output's end.
#: The CLI is started from this small process, not from the benchmark: a child's ``ru_maxrss``
#: counts the memory of the process it was forked from, and the baselines leave the benchmark big.
LAUNCHER = """
import json, os, subprocess, sys
for line in sys.stdin:
    cmd, env = json.loads(line)
    child = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = child.stdout.read()
    _, status, usage = os.wait4(child.pid, 0)
    print(json.dumps([status, usage.ru_maxrss, out.decode(errors="replace")[-2000:]]), flush=True)
"""


def run_ours(launcher: subprocess.Popen, app: App, csv_path: Path, rows: int) -> tuple[float, float]:
    """``campaigner post import`` of the calendar, run as the CLI in its own process; returns
    (seconds, its peak resident memory in MB). The seconds include the CLI's start-up (about
    0.3 s here)."""
    env = {**os.environ, "CAMPAIGNER_CONFIG": str(app.settings.config_file),
           "CAMPAIGNER_HOME": str(app.settings.data_dir)}
    cmd = [sys.executable, "-m", "campaigner", "--db", app.settings.database_url, "post", "import", str(csv_path)]
    t = time.perf_counter()
    launcher.stdin.write(json.dumps([cmd, env]) + "\n")
    launcher.stdin.flush()
    status, maxrss, out = json.loads(launcher.stdout.readline())
    ours = time.perf_counter() - t
    assert status == 0 and out.startswith(f"Queued {rows:,} posts"), out
    return ours, maxrss / 1024  # kilobytes on Linux


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of each, interleaved, each on a fresh database (default 3)")
    args = ap.parse_args()
    ours, same, minimal, peaks = [], [], [], []
    launcher = subprocess.Popen([sys.executable, "-c", LAUNCHER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                text=True)
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            app = prepare(Path(tmp) / "ours")
            csv_path = Path(tmp) / "cal.csv"
            write_csv(csv_path, args.rows, (app.now() + timedelta(days=2)).date())
            seconds, peak = run_ours(launcher, app, csv_path, args.rows)
            ours.append(seconds)
            peaks.append(peak)
            app.close()
            raw_app = prepare(Path(tmp) / "raw")
            raw_app.close()
            same.append(raw_same_schema(Path(tmp) / "raw" / "bench.db", csv_path))
            minimal.append(raw_minimal(Path(tmp) / "minimal.db", args.rows))
            size = csv_path.stat().st_size
    launcher.stdin.close()
    launcher.wait()
    print(f"CSV: {args.rows:,} rows, {size / 1e6:.1f} MB, 3 accounts (x, mastodon, bluesky); "
          f"{args.repeat} interleaved runs of each, each on a fresh database")
    print(f"{'':46} {'best s':>7} {'rows/s':>9} {'median s':>9} {'rows/s':>9} {'peak MB':>8}")
    for label, times in (("campaigner post import (every row checked)", ours),
                         ("raw, same file and tables (no checks)", same),
                         ("raw, minimal schema, rows from memory", minimal)):
        best, mid = min(times), statistics.median(times)
        peak = f"{max(peaks):8,.0f}" if times is ours else ""
        print(f"{label:46} {best:7.2f} {args.rows / best:9,.0f} {mid:9.2f} {args.rows / mid:9,.0f} {peak}")
    for label, raw in (("raw, same file and tables", same), ("raw, minimal schema", minimal)):
        print(f"ratio to {label}: {min(raw) / min(ours):.2f} best against best, "
              f"{statistics.median(raw) / statistics.median(ours):.2f} median against median "
              f"(single runs: {', '.join(f'{r / o:.2f}' for o, r in zip(ours, raw))})")
    print("goal: at least 0.33 of raw speed, against the same file and tables; peak MB: the CLI process's "
          "largest resident memory (ru_maxrss), which should not grow with the rows")


if __name__ == "__main__":
    main()
