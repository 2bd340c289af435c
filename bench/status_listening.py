"""``campaigner status`` with listening: what its listening lines cost next to the rest of status.

Run: python bench/status_listening.py [--campaigns 20] [--tags 3] [--sources 4] [--days 365]
                                      [--pg URL] [--only sqlite|pg]

A fresh database (SQLite, then PostgreSQL in a schema of its own, dropped after) gets
``--campaigns`` campaigns with ``--tags`` hashtags each, and ``--days`` days of hashtag counts per
tag on ``--sources`` sources (each day counted on seven daily collections, as the daemon does), one
platform failing. Then ``services.status.status`` — what ``campaigner status`` reads — is timed.

Figures (median of 20), next to their baseline from the same run: the whole ``status`` read, and
``listening_status`` alone inside a read; the baseline is the same ``status`` read on the same
database with no campaign having hashtags (its listening part reads the campaigns and the job rows
only, so the difference is what the counts cost). Timing is printed, never asserted; the listening
result is checked (every campaign with every platform, the failing one), so a fast-but-wrong read
cannot pass unnoticed.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, text, update  # noqa: E402

from _common import on_each_backend  # noqa: E402
from campaigner import db  # noqa: E402
from campaigner.app import App  # noqa: E402
from campaigner.config import resolve  # noqa: E402
from campaigner.db import make_engine  # noqa: E402
from campaigner.migrate import upgrade  # noqa: E402
from campaigner.models import Campaign, JobRun, TagCount  # noqa: E402
from campaigner.services.listening_daily import FAILING, JOB, failing_row, period_of  # noqa: E402
from campaigner.services.listening_status import listening_status  # noqa: E402
from campaigner.services.status import status  # noqa: E402

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)
PLATFORMS = ("mastodon", "bluesky", "x", "sandbox")


def seed(app: App, campaigns: int, tags: int, sources: int, days: int) -> int:
    today = date(2026, 11, 30)
    rows = []
    for c in range(campaigns):
        for t in range(tags):
            for src in range(sources):
                for d in range(days):
                    day = today - timedelta(days=d)
                    rows.append(dict(tag=f"c{c}t{t}", platform=PLATFORMS[src % len(PLATFORMS)], source=f"s{src}",
                                     day=day, day_zone="UTC", posts=d, own=0, accounts=None, at_least=False,
                                     collected_at=datetime.combine(day, datetime.min.time(), timezone.utc)
                                     + timedelta(days=min(d, 6), hours=1)))
    with db.write(app.engine) as s:
        s.execute(insert(Campaign), [dict(slug=f"c{c}", name=f"C {c}", hashtags=[f"#c{c}t{t}" for t in range(tags)], created_at=NOW,
                                          compare_tags=[]) for c in range(campaigns)])
        for i in range(0, len(rows), 5000):
            s.execute(insert(TagCount), rows[i:i + 5000])
        period = period_of(NOW)
        s.execute(insert(JobRun), [dict(name=JOB, period=period_of(NOW - timedelta(days=1)), ran_at=NOW, ran_by=None),
                                   dict(name=FAILING, period=period, ran_at=NOW - timedelta(hours=2), ran_by=None),
                                   dict(name=failing_row("x"), period=period, ran_at=NOW - timedelta(hours=2),
                                        ran_by="api.x.com: rate limited")])
    return len(rows)


def median(run, n: int = 20) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def bench(url: str, label: str, args) -> None:
    upgrade(make_engine(url))
    app = App(resolve({"database_url": url}), now=lambda: NOW)
    n = seed(app, args.campaigns, args.tags, args.sources, args.days)
    if app.engine.dialect.name == "postgresql":  # as autovacuum would soon: the planner's statistics
        with app.engine.connect() as c:
            c.execute(text("ANALYZE tag_counts"))
            c.commit()
    zone = app.settings.zone

    def listening_only():
        with db.read_core(app.engine) as s:
            return listening_status(s, NOW, zone)

    got = listening_only()
    assert len(got.campaigns) == args.campaigns and [f.platform for f in got.failing] == ["x"]
    assert all(len(c.platforms) == min(args.sources, len(PLATFORMS)) for c in got.campaigns)
    whole = median(lambda: status(app, NOW))
    alone = median(listening_only)
    with db.write(app.engine) as s:
        s.execute(update(Campaign).values(hashtags=[]))
    baseline = median(lambda: status(app, NOW))
    print(f"\n{label}: {args.campaigns} campaigns × {args.tags} tags × {args.sources} sources × {args.days} days "
          f"= {n:,} counts")
    print(f"  status, no campaign with hashtags (baseline): {baseline * 1000:7.2f} ms")
    print(f"  status, with listening:                       {whole * 1000:7.2f} ms")
    print(f"  listening_status alone:                       {alone * 1000:7.2f} ms")
    app.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--campaigns", type=int, default=20)
    parser.add_argument("--tags", type=int, default=3)
    parser.add_argument("--sources", type=int, default=4)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--pg", default=os.environ.get("CAMPAIGNER_TEST_DATABASE_URL",
                                                       "postgresql+psycopg://postgres@127.0.0.1:5432/test"))
    parser.add_argument("--only", choices=["sqlite", "pg"])
    args = parser.parse_args()
    on_each_backend(lambda url, label: bench(url, label, args), args.only, args.pg, "bench_status_")


if __name__ == "__main__":
    main()
