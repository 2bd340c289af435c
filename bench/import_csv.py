"""Importing a 100,000-row content calendar: rows per second, next to a raw sqlite3 executemany
of the same rows into the same tables, measured in the same run.

Run: python bench/import_csv.py [--rows 100000] [--repeat 3]
Goal: at least a third of the raw speed. The import checks every row (account, campaign, time
zone, length as each platform counts it, daily caps) and writes posts, deliveries and delivery
parts; the baseline writes the same three rows per CSV row with no checks at all. Each is run
``--repeat`` times, interleaved, on fresh databases; a shared machine's noise (single runs here
have ranged from 0.25 to 0.46) shows in the single-run ratios printed at the end.
"""
from __future__ import annotations

import argparse
import sqlite3
import statistics
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

from campaigner.app import App
from campaigner.config import resolve
from campaigner.services import accounts, campaigns
from campaigner.services.calendar import import_csv

ACCOUNTS = ["konfederasi-x", "konfederasi-mastodon", "fspmi-bsky"]
PLATFORMS = ["x", "mastodon", "bluesky"]
TEXTS = ["Tolak potongan Tapera dari upah buruh! Iuran wajib 3% memberatkan pekerja. #{i}",
         "Upah minimum 2027 harus naik sesuai kebutuhan hidup layak 💪 https://example.org/upah/{i}",
         "Hapus outsourcing: buruh butuh kepastian kerja, bukan kontrak tanpa akhir. Ke-{i}"]


def write_csv(path: Path, rows: int, start: date) -> None:
    with path.open("w", encoding="utf-8") as f:
        f.write("date,time,accounts,text,campaign\n")
        for i in range(rows):
            day = start + timedelta(days=i // 96)
            minute = (i % 96) * 15
            f.write(f"{day.isoformat()},{minute // 60:02d}:{minute % 60:02d},{ACCOUNTS[i % 3]},"
                    f"\"{TEXTS[i % 3].format(i=i)}\",upah\n")


def raw_baseline(db: Path, rows: int) -> float:
    """The same rows, inserted with sqlite3 executemany and no checks; returns seconds."""
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


def run_ours(tmp: Path, rows: int) -> tuple[float, int]:
    """A fresh install importing the calendar; returns (seconds, CSV bytes)."""
    cfg = tmp / "config.toml"
    cfg.write_text("")
    settings = resolve({"database_url": f"sqlite:///{tmp / 'bench.db'}", "data_dir": str(tmp / "data")},
                       env={}, config_path=cfg)
    app = App(settings)
    for name, platform in zip(ACCOUNTS, PLATFORMS):
        accounts.add(app, platform, name, daily_cap=1000)
    campaigns.add(app, "upah", "Upah Layak", hashtags=["UpahLayak"])
    csv_path = tmp / "cal.csv"
    write_csv(csv_path, rows, (app.now() + timedelta(days=2)).date())
    t = time.perf_counter()
    result = import_csv(app, csv_path)
    ours = time.perf_counter() - t
    assert result.written and result.posts == rows, result.errors[:3]
    app.close()
    return ours, csv_path.stat().st_size


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--repeat", type=int, default=3,
                    help="runs of each, interleaved, each on a fresh database (default 3)")
    args = ap.parse_args()
    ours, raw = [], []
    for _ in range(args.repeat):
        with tempfile.TemporaryDirectory() as tmp:
            seconds, size = run_ours(Path(tmp), args.rows)
            ours.append(seconds)
            raw.append(raw_baseline(Path(tmp) / "raw.db", args.rows))
    print(f"CSV: {args.rows:,} rows, {size / 1e6:.1f} MB, 3 accounts (x, mastodon, bluesky); "
          f"{args.repeat} interleaved runs of each, each on a fresh database")
    print(f"{'':34} {'best s':>8} {'rows/s':>10} {'median s':>9} {'rows/s':>10}")
    for label, times in (("campaigner post import (checked)", ours), ("raw sqlite3 executemany (no checks)", raw)):
        best, mid = min(times), statistics.median(times)
        print(f"{label:34} {best:8.2f} {args.rows / best:10,.0f} {mid:9.2f} {args.rows / mid:10,.0f}")
    print(f"ratio: campaigner runs at {min(raw) / min(ours):.2f} of raw speed, best against best "
          f"({statistics.median(raw) / statistics.median(ours):.2f} median against median; "
          f"single runs: {', '.join(f'{r / o:.2f}' for o, r in zip(ours, raw))}) (goal: at least 0.33)")


if __name__ == "__main__":
    main()
