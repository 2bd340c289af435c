"""Building the weekly report on a big database: 50,000 deliveries and up to 1,000,000 metric
snapshots, on SQLite and (when reachable) PostgreSQL.

Run: python bench/report.py [--deliveries 50000] [--snapshots 100000,250000,500000,1000000]
                            [--weeks 12] [--pg URL] [--only sqlite|pg] [--no-alternatives]
                            [--runs 3] [--cases spread,week] [--keep DIR]

The deliveries are spread over ``--weeks`` weeks ending with the reported week (2026-W47), over
20 accounts on five platforms and four campaigns, with replies, a few failures and some posts gone
from their platform. Snapshots are added in steps (2, 5, 10, 20 per delivery for the default
steps), each one later than the last, as the poller would write them — so the report at each step
reads a bigger history.

Figures at each step, next to baselines measured in the same run on the same data:
- **raw SQL** — the baseline: one hand-written statement that picks the latest snapshot before the
  week's end for each delivery published in the week and sums the metrics per account (run through
  the bare DB-API driver), written the way the report's queries do it on that backend (a
  correlated ``ORDER BY … LIMIT 1`` sub-select on SQLite, a ``LATERAL`` join on PostgreSQL) and the
  other ways (``row_number()`` window, ``max(collected_at)`` join, the correlated sub-select on
  PostgreSQL) to show why. The report's data part does this for two weeks, for the 8-week history
  (8× the deliveries), and reads the week's delivery lines, hashtags, replies and attention.
- **build** — ``campaigner.services.report.build_weekly`` (median of 3), the goal: < 2 s; and
  **cpu**, this process's CPU time for it (on SQLite that includes the database's own work; a
  much larger wall time than CPU time means the machine was busy with something else).
- **render** — each format from the built report (HTML draws 4 SVG charts with pygal).

Then **the whole command**, as a user runs it: ``campaigner report weekly --week 2026-W47 --format
FORMAT --out FILE`` as a new process (median of ``--runs``), in HTML, CSV (what ``report deliver``
writes by default) and JSON, its wall time and its CPU time (user +
system: on a busy machine the wall time also counts the wait for a core), for two databases on
each backend: *spread* (the deliveries over ``--weeks`` weeks with the largest snapshot count: the
1,000,000-snapshot case) and *one week* (all the deliveries in the reported week, with as many
snapshots). Next to it, measured in the same run and in turn with the command (so both meet the
same load): Python's start-up with the imports the command needs (``campaigner.cli.main``, the
report's service and HTML renderer, pygal), which no report can go below, and the raw SQL
baseline above; and the figures of the issue before this work
(matplotlib PNG charts; CSV and JSON formatted cell by cell) for context. The goal: ≤ 2 s for both
cases on both backends, in every format.

``--keep DIR`` also writes the command's output in every format (text, markdown, html, csv, json)
and both languages (``CAMPAIGNER_LANG`` en and id) for each backend and case into DIR, to diff
two versions' reports byte for byte (``diff -r``).

The report's overall totals are checked against the baseline's at every step (a fast but wrong
report cannot pass unnoticed); timings are printed, never asserted.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import text  # noqa: E402

from campaigner.app import App  # noqa: E402
from campaigner.config import resolve  # noqa: E402
from campaigner.db import make_engine  # noqa: E402
from campaigner.migrate import upgrade  # noqa: E402
from campaigner.report_render import FORMATS, render  # noqa: E402
from campaigner.services.report import build_weekly, week_of  # noqa: E402
from _common import pg_admin, scratch_schema  # noqa: E402

ZONE = "Asia/Jakarta"
WEEK = (2026, 47)
NOW = datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)  # Monday of week 49, 08:00 WIB
PLATFORMS = ["x", "mastodon", "bluesky", "facebook", "telegram"]
#: the statement the report's own query matches, per backend (the others are the alternatives)
USED = {"sqlite": "correlated", "postgresql": "LATERAL"}
#: what each platform tells (the others stay NULL)
TELLS = {"x": ("likes", "reposts", "replies", "quotes", "impressions", "bookmarks"),
         "mastodon": ("likes", "reposts", "replies", "quotes"), "bluesky": ("likes", "reposts", "replies", "quotes"),
         "facebook": ("likes", "reposts", "replies", "impressions"), "telegram": ()}
METRICS = ("likes", "reposts", "replies", "quotes", "impressions", "bookmarks", "clicks")
#: snapshot ages, as the poller's schedule takes them (hourly, 3-hourly, 12-hourly, daily)
OFFSETS = [timedelta(hours=h) for h in (1, 2, 3, 4, 5, 6, 9, 12, 15, 18, 21, 24, 36, 48, 60, 72, 96, 120, 144, 168)]
TAGS = ["#TolakTapera", "#UpahLayak", "#HapusOutsourcing", "#Buruh", "#MayDay", "#UMP2027"]
TEXTS = ["Tolak potongan Tapera dari upah buruh! {t}", "Upah minimum 2027 harus naik sesuai KHL {t}",
         "Hapus outsourcing: buruh butuh kepastian kerja {t}", "Solidaritas untuk kawan-kawan di pabrik {t}"]


# --- data -----------------------------------------------------------------------------------------
def sqlite_ts(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


class Loader:
    """Bulk inserts through the bare driver: sqlite3 ``executemany``, psycopg ``COPY``."""

    def __init__(self, engine):
        self.engine = engine
        self.pg = engine.dialect.name == "postgresql"

    def ts(self, dt):
        return None if dt is None else (dt if self.pg else sqlite_ts(dt))

    def bool(self, v):
        return bool(v) if self.pg else int(v)

    def insert(self, table: str, columns: list[str], rows) -> int:
        raw = self.engine.raw_connection()
        n = 0
        try:
            cur = raw.cursor()
            if self.pg:
                with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                        n += 1
            else:
                rows = list(rows)
                cur.execute("BEGIN")
                cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                                rows)
                n = len(rows)
            raw.commit()
        finally:
            raw.close()
        return n


def seed(engine, deliveries: int, weeks: int, rng: random.Random) -> list[tuple[int, str, datetime]]:
    """Accounts, campaigns, posts, deliveries, parts, replies, attempts. Returns
    [(delivery id, platform, published_at)] of the published deliveries."""
    ld = Loader(engine)
    wk = week_of(*WEEK, ZoneInfo(ZONE))
    start = wk.end - timedelta(weeks=weeks)
    span = (wk.end - start).total_seconds()
    accounts = [(i + 1, f"akun-{i + 1:02d}-{PLATFORMS[i % 5]}", PLATFORMS[i % 5],
                 ["Asia/Jakarta", "Asia/Makassar", "Asia/Jayapura"][i % 3] if i % 4 else None) for i in range(20)]
    ld.insert("accounts", ["id", "name", "platform", "timezone", "status", "created_at"],
              [(a, n, p, z, "active", ld.ts(start)) for a, n, p, z in accounts])
    ld.insert("campaigns", ["id", "slug", "name", "hashtags", "auto_hashtags", "created_at"],
              [(i + 1, slug, name, json.dumps(tags), ld.bool(True), ld.ts(start)) for i, (slug, name, tags) in
               enumerate([("tapera", "Tolak Tapera", ["#TolakTapera"]), ("upah", "Upah Layak", ["#UpahLayak"]),
                          ("outsourcing", "Hapus Outsourcing", ["#HapusOutsourcing"]),
                          ("mayday", "May Day", ["#MayDay", "#Buruh"])])])
    posts, dels, parts, published = [], [], [], []
    for i in range(deliveries):
        at = start + timedelta(seconds=span * (i + rng.random()) / deliveries)
        at = min(at, wk.end - timedelta(seconds=1))
        acct = accounts[i % 20]
        campaign = (i % 5) or None  # campaigns 1-4, every fifth post none
        txt = TEXTS[i % 4].format(t=" ".join(rng.sample(TAGS, 2)))
        posts.append((i + 1, campaign, txt, ld.bool(False), "{}", ld.ts(at), ld.ts(at)))
        failed = rng.random() < 0.02
        status = "failed" if failed else "published"
        remote = None if failed else f"r{i + 1}"
        url = None if failed else f"https://example.org/{acct[1]}/{i + 1}"
        dels.append((i + 1, i + 1, acct[0], status, ld.ts(at), ld.bool(False), 1, remote, url,
                     None if failed else ld.ts(at), "refused" if failed else None, ld.ts(at), ld.ts(at)))
        parts.append((i + 1, i + 1, 0, txt, uuid.uuid4().hex))
        if not failed:
            published.append((i + 1, acct[2], at))
    ld.insert("posts", ["id", "campaign_id", "text", "is_thread", "variants", "created_at", "updated_at"], posts)
    ld.insert("deliveries", ["id", "post_id", "account_id", "status", "due_at", "slot_based", "attempt_count",
                             "remote_id", "remote_url", "published_at", "last_error", "created_at", "updated_at"], dels)
    ld.insert("delivery_parts", ["id", "delivery_id", "position", "text", "idempotency_key"], parts)
    ld.insert("attempts", ["id", "delivery_id", "part_position", "kind", "started_at", "outcome"],
              [(i + 1, d[0], 0, "publish", d[4], "permanent" if d[3] == "failed" else "ok")
               for i, d in enumerate(dels)])
    langs = ["id", "id", "id", "en", "jv", None]
    replies = []
    for j, (did, plat, at) in enumerate(published[::3]):
        label = rng.choice(["positive", "neutral", "negative", None])
        pol = {"positive": 0.6, "neutral": 0.0, "negative": -0.5, None: None}[label]
        replies.append((j + 1, did, f"rep{j}", f"warga{j % 500}", f"Balasan nomor {j} untuk unggahan ini",
                        ld.ts(at + timedelta(hours=2)), langs[j % 6], pol, label, ld.ts(at + timedelta(hours=3))))
    ld.insert("replies", ["id", "delivery_id", "remote_id", "author", "text", "created_at", "language", "polarity",
                          "sentiment", "collected_at"], replies)
    return published


def add_snapshots(engine, published, first: int, last: int, next_id: int, rng: random.Random) -> int:
    """Snapshots number ``first``..``last - 1`` of every published delivery; returns the next id."""
    ld = Loader(engine)

    def rows():
        nonlocal next_id
        for j in range(first, last):
            off = OFFSETS[j % len(OFFSETS)] + timedelta(days=7 * (j // len(OFFSETS)))
            grow = (j + 1) / last
            for did, plat, at in published:
                tells = TELLS[plat]
                gone = j == last - 1 and did % 97 == 0
                vals = [None] * 7 if gone else [
                    (int((did % 50 + 1) * grow * (3 if m == "likes" else 1) * (40 if m == "impressions" else 1))
                     if m in tells else None) for m in METRICS]
                next_id += 1
                yield (next_id, did, ld.ts(at + off), ld.bool(gone), *vals, "{}")

    ld.insert("metric_snapshots", ["id", "delivery_id", "collected_at", "missing", *METRICS, "raw"], rows())
    return next_id


# --- the baseline: one hand-written statement ----------------------------------------------------
BASELINES = {
    "LATERAL": """
        SELECT d.account_id, count(*), sum(s.likes), sum(s.impressions)
        FROM deliveries d
        LEFT JOIN LATERAL (SELECT s.likes, s.impressions FROM metric_snapshots s
                           WHERE s.delivery_id = d.id AND s.collected_at < :end
                           ORDER BY s.collected_at DESC, s.id DESC LIMIT 1) s ON true
        WHERE d.status = 'published' AND d.published_at >= :start AND d.published_at < :end
        GROUP BY d.account_id""",
    "correlated": """
        SELECT d.account_id, count(*), sum(s.likes), sum(s.impressions)
        FROM (SELECT d.id, d.account_id,
                     (SELECT s2.id FROM metric_snapshots s2 WHERE s2.delivery_id = d.id AND s2.collected_at < :end
                      ORDER BY s2.collected_at DESC, s2.id DESC LIMIT 1) AS snap_id
              FROM deliveries d
              WHERE d.status = 'published' AND d.published_at >= :start AND d.published_at < :end) d
        LEFT JOIN metric_snapshots s ON s.id = d.snap_id
        GROUP BY d.account_id""",
    "window": """
        SELECT d.account_id, count(*), sum(s.likes), sum(s.impressions)
        FROM deliveries d
        LEFT JOIN (SELECT s.*, row_number() OVER (PARTITION BY s.delivery_id
                                                  ORDER BY s.collected_at DESC, s.id DESC) AS rn
                   FROM metric_snapshots s JOIN deliveries d2 ON d2.id = s.delivery_id
                   WHERE s.collected_at < :end AND d2.status = 'published'
                     AND d2.published_at >= :start AND d2.published_at < :end) s
               ON s.delivery_id = d.id AND s.rn = 1
        WHERE d.status = 'published' AND d.published_at >= :start AND d.published_at < :end
        GROUP BY d.account_id""",
    "max()": """
        SELECT d.account_id, count(*), sum(s.likes), sum(s.impressions)
        FROM deliveries d
        LEFT JOIN (SELECT s.delivery_id, max(s.collected_at) AS at FROM metric_snapshots s
                   JOIN deliveries d2 ON d2.id = s.delivery_id
                   WHERE s.collected_at < :end AND d2.status = 'published'
                     AND d2.published_at >= :start AND d2.published_at < :end
                   GROUP BY s.delivery_id) m ON m.delivery_id = d.id
        LEFT JOIN metric_snapshots s ON s.delivery_id = m.delivery_id AND s.collected_at = m.at
        WHERE d.status = 'published' AND d.published_at >= :start AND d.published_at < :end
        GROUP BY d.account_id""",
}


def baseline(engine, sql: str) -> tuple[float, dict]:
    """Seconds and {account id: (posts, likes, impressions)} of one statement via the bare driver."""
    wk = week_of(*WEEK, ZoneInfo(ZONE))
    pg = engine.dialect.name == "postgresql"
    params = {"start": wk.start if pg else sqlite_ts(wk.start), "end": wk.end if pg else sqlite_ts(wk.end)}
    q = sql.replace(":start", "%(start)s" if pg else ":start").replace(":end", "%(end)s" if pg else ":end")
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        t = time.perf_counter()
        cur.execute(q, params)
        rows = cur.fetchall()
        took = time.perf_counter() - t
        raw.rollback()
    finally:
        raw.close()
    return took, {a: (n, int(l or 0), int(i or 0)) for a, n, l, i in rows}


# --- one backend ----------------------------------------------------------------------------------
def run(label: str, url: str, args, out, *, case: str, weeks: int, steps: list[int], alternatives: bool
        ) -> list[dict]:
    """One database: the report's data part at each snapshot step, then the whole command in each
    of ``WHOLE_FORMATS``."""
    rng = random.Random(47)
    engine = make_engine(url)
    upgrade(engine)
    t = time.perf_counter()
    published = seed(engine, args.deliveries, weeks, rng)
    seeded = time.perf_counter() - t
    app = App(resolve({"database_url": url, "timezone": ZONE}), now=lambda: NOW)
    print(f"\n== {label}, {case}: {args.deliveries:,} deliveries over {weeks} week{'s' if weeks > 1 else ''} "
          f"({len(published):,} published), seeded in {seeded:.1f} s", file=out)
    used = USED[engine.dialect.name]
    names = [used] + ([n for n in BASELINES if n != used and not (n == "LATERAL" and engine.dialect.name == "sqlite")]
                      if alternatives else [])
    header = (f"{'snapshots':>10} {'insert s':>8} | " + " ".join(f"{n:>10}" for n in names) + " | "
              f"{'build':>6} {'cpu':>6} {'÷used':>5} | " + " ".join(f"{f:>8}" for f in FORMATS))
    print(f"(raw SQL columns: the baseline statement written {len(names)} ways; '{used}' is how the report's "
          "own queries pick the latest snapshot here)", file=out)
    print(header, file=out)
    per, next_id, total = 0, 0, 0
    for target in steps:
        want = max(per, round(target / len(published)))
        t = time.perf_counter()
        next_id = add_snapshots(engine, published, per, want, next_id, rng)
        inserted = time.perf_counter() - t
        per, total = want, want * len(published)
        with engine.connect() as c:  # as a live database would be: statistics fresh, WAL checkpointed
            c.execute(text("ANALYZE" if engine.dialect.name == "postgresql" else "PRAGMA wal_checkpoint(TRUNCATE)"))
            c.commit()
        times = {}
        for name in names:
            runs = 1 if name == "window" and engine.dialect.name == "sqlite" else 3  # slow there: once is enough
            times[name], result = min((baseline(engine, BASELINES[name]) for _ in range(runs)), key=lambda r: r[0])
            if name == used:
                expect = result
            else:
                assert result == expect, f"{name} disagrees with {used}"
        builds, cpus = [], []
        for _ in range(3):
            t, c = time.perf_counter(), time.process_time()
            report = build_weekly(app, week=f"{WEEK[0]}-W{WEEK[1]}")
            builds.append(time.perf_counter() - t)
            cpus.append(time.process_time() - c)
        got = {}
        for b in report.overall.accounts:
            aid = int(b.key.split("-")[1])
            got[aid] = (b.current.published, b.current.totals.sums["likes"] or 0,
                        b.current.totals.sums["impressions"] or 0)
        assert got == expect, f"the report's totals differ from the raw SQL's: {got} vs {expect}"
        renders = {}
        for fmt in FORMATS:
            t = time.perf_counter()
            render(report, fmt, "id")
            renders[fmt] = time.perf_counter() - t
        build = statistics.median(builds)
        raw_t = times[used]
        print(f"{total:>10,} {inserted:>8.1f} | " + " ".join(f"{times[n]:>10.3f}" for n in names)
              + f" | {build:>6.3f} {statistics.median(cpus):>6.3f} {build / raw_t:>5.1f} | "
              + " ".join(f"{renders[f]:>8.3f}" for f in FORMATS),
              file=out)
        out.flush()
    print(f"(week {report.week.iso}: {report.overall.current.published:,} published, "
          f"{report.overall.current.failed:,} failed, {report.sentiment.counts.total:,} replies; "
          f"best times over {report.best_times.posts:,} measured posts; totals checked against raw SQL: OK)",
          file=out)
    app.close()
    engine.dispose()
    if args.keep:
        keep_outputs(url, Path(args.keep) / f"{label}-{case.replace(' ', '-')}")
    rows = []
    for fmt, (wall, cpu, start_wall, start_cpu) in whole_command(url, args.runs).items():
        print(f"whole command (report weekly --format {fmt}, a new process, median of {args.runs}): "
              f"{wall:.2f} s wall, {cpu:.2f} s CPU; start-up and imports alone: {start_wall:.2f} s wall, "
              f"{start_cpu:.2f} s CPU", file=out)
        out.flush()
        rows.append({"backend": label, "case": case, "format": fmt, "in_week": report.overall.current.published,
                     "snapshots": total, "raw": raw_t, "build": build, "wall": wall, "cpu": cpu,
                     "start_wall": start_wall, "start_cpu": start_cpu})
    return rows


# --- the whole command, as a new process ---------------------------------------------------------
COMMAND = ["-m", "campaigner", "report", "weekly", "--week", f"{WEEK[0]}-W{WEEK[1]}"]
#: the formats the whole command is timed in (``report deliver`` writes CSV by default)
WHOLE_FORMATS = ("html", "csv", "json")
#: what the command imports before it reads anything: no report can start faster than this
IMPORTS = ("import campaigner.cli.main, campaigner.cli.report, campaigner.services.report, "
           "campaigner.report_render.html, pygal")
#: issue 12's figures before this bench measured the whole command (matplotlib PNG charts)
BEFORE = {("spread", "html"): "3.5 s (2.4 s of it importing matplotlib, 1.5 s saving 4 charts)",
          ("one week", "html"): "3.85 s (the data part alone)",
          ("one week", "csv"): "1.7–3.2 s rendering CSV alone (cell by cell)",
          ("one week", "json"): "1.7–3.2 s rendering JSON alone (a dict per delivery)"}


def _timed(argv: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one child process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def whole_command(url: str, runs: int) -> dict[str, tuple[float, float, float, float]]:
    """Per format (``WHOLE_FORMATS``): medians of the command's wall and CPU seconds, and of the
    start-up baseline's, run in turn (start-up, command, start-up, command…) so both meet the same
    load on a shared machine."""
    out = {}
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "CAMPAIGNER_DATABASE_URL": url, "CAMPAIGNER_HOME": home, "CAMPAIGNER_TIMEZONE": ZONE}
        start = [sys.executable, "-c", IMPORTS]
        for fmt in WHOLE_FORMATS:
            command = [sys.executable, *COMMAND, "--format", fmt, "--out", str(Path(home) / f"report.{fmt}")]
            _timed(command, env)  # once to warm the file cache, as a machine that runs it weekly has it
            timed = [(_timed(start, env), _timed(command, env)) for _ in range(runs)]
            out[fmt] = (statistics.median(c[0] for _, c in timed), statistics.median(c[1] for _, c in timed),
                        statistics.median(s[0] for s, _ in timed), statistics.median(s[1] for s, _ in timed))
    return out


def keep_outputs(url: str, folder: Path) -> None:
    """The command's output in every format and both languages, as files in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as home:
        for lang in ("en", "id"):
            env = {**os.environ, "CAMPAIGNER_DATABASE_URL": url, "CAMPAIGNER_HOME": home, "CAMPAIGNER_TIMEZONE": ZONE,
                   "CAMPAIGNER_LANG": lang}
            for fmt in FORMATS:
                subprocess.run([sys.executable, *COMMAND, "--format", fmt, "--out", str(folder / f"report-{lang}.{fmt}")],
                               env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def summary(results: list[dict], runs: int, out) -> None:
    print(f"\n== The whole command: campaigner {' '.join(COMMAND[2:])} --format FORMAT --out FILE, a new process "
          f"(median of {runs}; goal ≤ 2 s)\nbaseline: Python start-up with the command's imports (no database, "
          "no report), run in turn with the command; raw SQL: the statement above on the same data.\n"
          "On a busy machine wall times also count the wait for a core: the CPU time and the ratio to the "
          "start-up are the steadier figures. Load average now: "
          f"{', '.join(f'{x:.2f}' for x in os.getloadavg())} (1, 5, 15 min; the machine has {os.cpu_count()} cores).",
          file=out)
    print(f"{'backend':<11} {'case':<9} {'format':<6} {'in week':>7} {'snapshots':>10} | {'wall':>5} {'cpu':>5} | "
          f"{'start-up':>8} {'cpu':>5} {'÷':>4} | {'raw SQL':>7} {'build':>6} | before", file=out)
    for r in results:
        print(f"{r['backend']:<11} {r['case']:<9} {r['format']:<6} {r['in_week']:>7,} {r['snapshots']:>10,} | {r['wall']:>5.2f} "
              f"{r['cpu']:>5.2f} | {r['start_wall']:>8.2f} {r['start_cpu']:>5.2f} {r['wall'] / r['start_wall']:>4.1f} | "
              f"{r['raw']:>7.3f} {r['build']:>6.3f} | {BEFORE.get((r['case'], r['format']), '')}", file=out)
    out.flush()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--deliveries", type=int, default=50_000)
    p.add_argument("--snapshots", default="100000,250000,500000,1000000",
                   help="total snapshot counts to measure at, comma separated")
    p.add_argument("--weeks", type=int, default=12, help="weeks the deliveries are spread over (1 = all in the week)")
    p.add_argument("--pg", default=os.environ.get("CAMPAIGNER_TEST_DATABASE_URL",
                                                  "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    p.add_argument("--only", choices=("sqlite", "pg"), help="run one backend only")
    p.add_argument("--no-alternatives", dest="alternatives", action="store_false",
                   help="time only the baseline as the report writes it (the window form takes minutes "
                        "on SQLite when the whole table is in the week; the one-week case never runs them)")
    p.add_argument("--runs", type=int, default=3, help="runs of the whole command (the median is shown)")
    p.add_argument("--cases", default="spread,week",
                   help="spread: the deliveries over --weeks weeks, each snapshot step; week: all of them in "
                        "the reported week, the largest snapshot count only")
    p.add_argument("--keep", metavar="DIR", help="also write the command's output in every format and both "
                                                 "languages into DIR (to diff two versions' reports)")
    args = p.parse_args()
    args.snapshots = [int(x) for x in args.snapshots.split(",")]
    args.cases = [c.strip() for c in args.cases.split(",")]
    out = sys.stdout
    print("Weekly report, times in seconds. Baseline: one raw SQL statement (latest snapshot before the week's end "
          "of each\ndelivery published in the week, summed per account) through the bare driver, written several "
          "ways;\nbuild = build_weekly, the report's data part (median of 3); then each format's rendering.", file=out)
    results: list[dict] = []
    with tempfile.TemporaryDirectory() as d:
        os.environ["CAMPAIGNER_CONFIG"] = str(Path(d) / "none.toml")
        Path(d, "none.toml").write_text("")
        if args.only in (None, "sqlite"):
            for case, kwargs in cases(args):
                results.extend(run("SQLite", f"sqlite:///{d}/bench-{case.replace(' ', '-')}.db", args, out,
                                   case=case, **kwargs))
        if args.only in (None, "pg"):
            postgres(args, out, results)
        summary(results, args.runs, out)


def cases(args) -> list[tuple[str, dict]]:
    out = []
    if "spread" in args.cases:
        out.append(("spread", dict(weeks=args.weeks, steps=args.snapshots, alternatives=args.alternatives)))
    if "week" in args.cases:
        out.append(("one week", dict(weeks=1, steps=args.snapshots[-1:], alternatives=False)))
    return out


def postgres(args, out, results: list[dict]) -> None:
    """The same on PostgreSQL, each case in a schema of its own that is dropped afterwards."""
    admin = pg_admin(args.pg, out)
    if admin is None:
        return
    for case, kwargs in cases(args):
        with scratch_schema(admin, args.pg, "bench_report_") as url:
            results.extend(run("PostgreSQL", url, args, out, case=case, **kwargs))
    admin.dispose()


if __name__ == "__main__":
    main()
