"""What a poll of the engine costs in judging replies again when none are left (every stored reply
judged by this version of the classifier), on SQLite and (when reachable) PostgreSQL.

Run: python bench/reclassify_idle.py [--replies 300000] [--pg URL] [--only sqlite|pg] [--runs 5]

Figures (median of ``--runs``), each next to the baseline measured in the same run on the same data:
- **baseline**: ``SELECT max(id) FROM replies`` through the bare driver (the least a poll can ask);
- **search** — ``replies.reclassify(limit=RECLASSIFY_PER_RUN)``: what every poll did before (it
  looks through the replies for one judged by another version, and finds none);
- **indexed** — the same search's statement with an index on (kind_version, kind), and that
  statement rewritten so each of its conditions is a range of that index (``kind_version IS
  NULL OR kind_version < :v OR kind_version > :v OR (kind_version = :v AND kind IS NULL)``);
- **remembered** — ``replies.reclassify_some``, the poll's call now: after one search found none,
  it reads the newest reply's id and searches only when that changed (or the version, or after
  ``RECHECK_AFTER``).
Timings are printed, never asserted.
"""
from __future__ import annotations

import argparse
import logging
import os
import random
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from sqlalchemy import event, text  # noqa: E402

from campaigner.app import App  # noqa: E402
from campaigner.config import resolve  # noqa: E402
from campaigner.db import make_engine  # noqa: E402
from campaigner.migrate import upgrade  # noqa: E402
from _common import on_each_backend  # noqa: E402
from content import classifier_version  # noqa: E402
from report import NOW, Loader, seed  # noqa: E402



def median_ms(call, runs: int) -> float:
    times = []
    for _run in range(runs):
        t = time.perf_counter()
        call()
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def raw(engine, sql: str, params=()):
    conn = engine.raw_connection()
    try:
        cur = conn.cursor()
        cur.execute(sql, params)
        return cur.fetchall()
    finally:
        conn.rollback()
        conn.close()


def run(url: str, label: str, args) -> None:
    from campaigner.services import replies

    engine = make_engine(url)
    upgrade(engine)
    published = seed(engine, 5000, 2, random.Random(7))
    version = classifier_version.current()
    ld = Loader(engine)
    with engine.begin() as c:
        start = c.execute(text("SELECT coalesce(max(id), 0) FROM replies")).scalar_one()
        c.execute(text("UPDATE replies SET kind = 'other', kind_reason = 'other', kind_version = :v"), {"v": version})
    ld.insert("replies", ["id", "delivery_id", "remote_id", "author", "text", "created_at", "collected_at", "kind",
                          "kind_reason", "kind_version", "ours", "state"],
              ((start + i + 1, published[i % len(published)][0], f"x{i}", f"warga{i % 700}", f"Balasan {i}",
                ld.ts(NOW - timedelta(minutes=i)), ld.ts(NOW), "other", "other", version, ld.bool(i % 10 == 0), "new")
               for i in range(args.replies)))
    with engine.begin() as c:
        total = c.execute(text("SELECT count(*) FROM replies")).scalar_one()
    app = App(resolve({"database_url": url}), now=lambda: NOW)
    try:
        statements: list[tuple[str, object]] = []

        def listen(conn, cursor, statement, parameters, context, executemany):
            if statement.lstrip().startswith("SELECT") and "kind_version" in statement:
                statements.append((statement, parameters))

        event.listen(app.engine, "before_cursor_execute", listen)
        assert replies.reclassify(app, limit=replies.RECLASSIFY_PER_RUN).done == 0
        event.remove(app.engine, "before_cursor_execute", listen)
        [(search, params)] = statements
        pg = engine.dialect.name == "postgresql"

        base = median_ms(lambda: raw(engine, "SELECT max(id) FROM replies"), args.runs)
        old = median_ms(lambda: replies.reclassify(app, limit=replies.RECLASSIFY_PER_RUN), args.runs)
        raw(engine, "SELECT 1")
        with engine.begin() as c:
            c.execute(text("CREATE INDEX ix_bench_kind_version ON replies (kind_version, kind)"))
            if pg:
                c.execute(text("ANALYZE replies"))
        indexed = median_ms(lambda: raw(engine, search, params), args.runs)
        if pg:
            rewritten_sql = search.replace(
                "replies.kind_version IS NULL OR replies.kind_version != %(kind_version_1)s::VARCHAR OR "
                "replies.kind IS NULL",
                "replies.kind_version IS NULL OR replies.kind_version < %(kind_version_1)s::VARCHAR OR "
                "replies.kind_version > %(kind_version_1)s::VARCHAR OR "
                "(replies.kind_version = %(kind_version_1)s::VARCHAR AND replies.kind IS NULL)")
            rewritten_params = params
        else:
            rewritten_sql = search.replace(
                "replies.kind_version IS NULL OR replies.kind_version != ? OR replies.kind IS NULL",
                "replies.kind_version IS NULL OR replies.kind_version < ? OR replies.kind_version > ? OR "
                "(replies.kind_version = ? AND replies.kind IS NULL)")
            i = list(params).index(version)
            rewritten_params = (*params[:i], version, version, version, *params[i + 1:])
        assert rewritten_sql != search, "the search's statement changed: update the rewrite"
        rewritten = median_ms(lambda: raw(engine, rewritten_sql, rewritten_params), args.runs)
        plan = raw(engine, ("EXPLAIN " if pg else "EXPLAIN QUERY PLAN ") + rewritten_sql, rewritten_params)
        with engine.begin() as c:
            c.execute(text("DROP INDEX ix_bench_kind_version"))
        replies.reclassify_some(app)  # the first poll searches, and remembers none are left
        remembered = median_ms(lambda: replies.reclassify_some(app), args.runs)

        print(f"\n== {label}: {total} replies, none left to judge again (median of {args.runs})")
        print(f"  baseline  SELECT max(id) FROM replies (bare driver)        {base:9.2f} ms")
        print(f"  search    reclassify(limit={replies.RECLASSIFY_PER_RUN}), every poll before     {old:9.2f} ms")
        print(f"  indexed   its statement, index (kind_version, kind)       {indexed:9.2f} ms")
        print(f"  indexed   the statement rewritten as index ranges          {rewritten:9.2f} ms")
        print(f"  remembered reclassify_some, the poll now                  {remembered:9.2f} ms")
        print("  the rewritten statement's plan: " + " | ".join(str(r[-1] if not pg else r[0]).strip() for r in plan
                                                                if "replies" in str(r)))
    finally:
        app.close()
        engine.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--replies", type=int, default=300_000)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--pg", default=os.environ.get("CAMPAIGNER_TEST_DATABASE_URL"),
                    help="a PostgreSQL URL (default: CAMPAIGNER_TEST_DATABASE_URL; none: SQLite only)")
    ap.add_argument("--only", choices=["sqlite", "pg"])
    args = ap.parse_args()
    logging.disable(logging.WARNING)
    # without a PostgreSQL URL, SQLite only
    on_each_backend(lambda url, label: run(url, label, args), args.only if args.pg else "sqlite", args.pg,
                    "bench_recl_")


if __name__ == "__main__":
    main()
