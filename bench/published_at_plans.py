"""Which frequent queries filter deliveries by ``published_at``, and what an index changes: the
plans (SQLite ``EXPLAIN QUERY PLAN``, PostgreSQL ``EXPLAIN``) and the time of each statement with
no such index (the baseline: schema 0018), with one on ``published_at`` and with one on (status,
published_at) (``ix_deliveries_status_published``, schema 0019), each alone, in the same run on
the same data.

Run: python bench/published_at_plans.py [--deliveries 50000] [--weeks 12] [--pg URL] [--only sqlite|pg]
                                        [--no-analyze]

campaigner never runs ANALYZE on SQLite, so ``--no-analyze`` is how SQLite plans there;
PostgreSQL's autovacuum analyses the tables, as the default (ANALYZE after loading) does.

The data is ``bench/report.py``'s (deliveries spread over ``--weeks`` weeks ending with 2026-W47,
two snapshots each). The statements are the ones campaigner really sends, captured while it runs:
the weekly report (``build_weekly``), the engine's metric poll (``metrics.collect``: which
deliveries are due), the replies poll (``collect_replies``) and ``campaigner status``. Only those
whose SQL names ``published_at`` in a WHERE are shown. Timings are printed, never asserted.
"""
from __future__ import annotations

import argparse
import logging
import os
import random
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import event, text  # noqa: E402

from campaigner.app import App  # noqa: E402
from campaigner.config import resolve  # noqa: E402
from campaigner.db import make_engine  # noqa: E402
from campaigner.migrate import upgrade  # noqa: E402
from _common import on_each_backend  # noqa: E402
from report import NOW, WEEK, add_snapshots, seed  # noqa: E402

#: the indexes tried, each alone, against none
CANDIDATES = {"ix_deliveries_published_at": "published_at", "ix_deliveries_status_published": "status, published_at"}


def capture(app: App) -> list[tuple[str, object, str]]:
    """(sql, parameters, who) of each statement naming published_at in a WHERE, as campaigner sends them."""
    from campaigner.services import metrics, replies, report, status

    seen: list[tuple[str, object, str]] = []
    who = [""]

    def listen(conn, cursor, statement, parameters, context, executemany):
        if not executemany and re.search(r"WHERE.*published_at\s*(>=|<|>|<=|IS)", statement, re.S):
            seen.append((statement, parameters, who[0]))

    event.listen(app.engine, "before_cursor_execute", listen)
    try:
        for name, call in [("report", lambda: report.build_weekly(app, week=f"{WEEK[0]}-W{WEEK[1]}")),
                           ("metrics poll", lambda: metrics.collect(app)),
                           ("replies poll", lambda: replies.collect_replies(app)),
                           ("status", lambda: status.status(app, NOW))]:
            who[0] = name
            try:
                call()
            except Exception as exc:  # noqa: BLE001 - a bench: say it and go on
                print(f"  ({name}: {type(exc).__name__}: {exc})")
    finally:
        event.remove(app.engine, "before_cursor_execute", listen)
    return seen


def plan(engine, sql: str, params) -> list[str]:
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "sqlite":
            cur.execute("EXPLAIN QUERY PLAN " + sql, params)
            return [f"{'  ' * 0}{row[-1]}" for row in cur.fetchall()]
        cur.execute("EXPLAIN " + sql, params)
        return [row[0] for row in cur.fetchall()]
    finally:
        raw.rollback()
        raw.close()


def shape(lines: list[str]) -> list[str]:
    """A plan without PostgreSQL's cost and row estimates (they move with the statistics)."""
    return [re.sub(r"\s+\(cost=[^)]*\)", "", line) for line in lines]


def timed(engine, sql: str, params, runs: int = 5) -> float:
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        times = []
        for _run in range(runs):
            t = time.perf_counter()
            cur.execute(sql, params)
            cur.fetchall()
            times.append(time.perf_counter() - t)
        return statistics.median(times)
    finally:
        raw.rollback()
        raw.close()


def _lines(p: list[str]) -> str:
    return "\n".join("       " + line.strip() for line in p
                     if "deliveries" in line or "published_at" in line or line.strip().startswith(("SCAN", "Seq")))


def run(url: str, label: str, args) -> None:
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as c:  # the baseline: as at schema 0018
        c.execute(text("DROP INDEX ix_deliveries_status_published"))
    published = seed(engine, args.deliveries, args.weeks, random.Random(7))
    add_snapshots(engine, published, 0, 2, 0, random.Random(7))
    if args.analyze:
        with engine.begin() as c:
            c.execute(text("ANALYZE"))
    app = App(resolve({"database_url": url}), now=lambda: NOW)
    try:
        statements = capture(app)
        print(f"\n== {label}: {args.deliveries} deliveries over {args.weeks} weeks, "
              f"{'with' if args.analyze else 'without'} ANALYZE; {len(statements)} statements filter by published_at")
        figures = {"none (baseline)": [(shape(plan(engine, s, p)), timed(engine, s, p)) for s, p, _ in statements]}
        for name, columns in CANDIDATES.items():
            with engine.begin() as c:
                c.execute(text(f"CREATE INDEX {name} ON deliveries ({columns})"))
                if args.analyze:
                    c.execute(text("ANALYZE"))
            figures[f"{name} ({columns})"] = [(shape(plan(engine, s, p)), timed(engine, s, p))
                                              for s, p, _ in statements]
            with engine.begin() as c:
                c.execute(text(f"DROP INDEX {name}"))
        for i, (sql, _p, who) in enumerate(statements):
            print(f"\n-- {who}: {' '.join(sql.split())[:110]}…")
            base = figures["none (baseline)"][i][0]
            for index, rows in figures.items():
                p, t = rows[i]
                print(f"   {index}: {t * 1000:.1f} ms{'' if p != base or index.startswith('none') else ' (same plan)'}")
                if index.startswith("none") or p != base:
                    print(_lines(p))
    finally:
        app.close()
        engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--deliveries", type=int, default=50_000)
    ap.add_argument("--weeks", type=int, default=12)
    ap.add_argument("--pg", default=os.environ.get("CAMPAIGNER_TEST_DATABASE_URL"),
                    help="a PostgreSQL URL (default: CAMPAIGNER_TEST_DATABASE_URL; none: SQLite only)")
    ap.add_argument("--only", choices=["sqlite", "pg"])
    ap.add_argument("--no-analyze", dest="analyze", action="store_false",
                    help="no ANALYZE (campaigner never runs it on SQLite; PostgreSQL's autovacuum does)")
    args = ap.parse_args()
    logging.disable(logging.WARNING)  # the metric poll's "no secret" lines
    # without a PostgreSQL URL, SQLite only
    on_each_backend(lambda url, label: run(url, label, args), args.only if args.pg else "sqlite", args.pg,
                    "bench_pub_")


if __name__ == "__main__":
    main()
