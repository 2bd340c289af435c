"""``campaigner replies list`` over a big inbox: 1,000,000 stored replies, on SQLite and (when
reachable) PostgreSQL.

Run: python bench/replies_list.py [--replies 1000000] [--posts 20000] [--pg URL] [--only sqlite|pg]

20 accounts on five platforms, four campaigns, ``--posts`` published posts over 60 days, and the
replies spread over them (each written within three days of its post), and ``VIRAL`` more on the
newest post: a mix of kinds, most of the older ones answered or dismissed. For each filter set (the inbox's common uses) it prints, next
to baselines measured in the same run on the same data (median of 5; the raw SQL and the list
median of 11, run in turns so that both see the same load on a shared machine):

- **raw SQL** — the baseline: the statements the command runs (``inbox.list_statements``: the
  urgent replies, then the rest when they leave room, each ``… ORDER BY created_at DESC LIMIT
  50``; for one post, its replies ordered by urgency), compiled to SQL with the parameters the
  command binds and run through the bare DB-API driver, rows fetched and nothing else done;
- **one statement** — the naive way, one query ordered by urgency (``ORDER BY CASE … END,
  created_at DESC LIMIT 50``), also through the bare driver: it sorts every matching reply;
- **list** — ``campaigner.services.inbox.list_replies`` (what the command calls), and its ratio to
  the raw SQL (goal: ≤ 2×, and under 1 s);
- **process** — ``campaigner replies list`` as a subprocess (Python, imports, the database opened,
  the lines printed), median of 3, next to the same command on an empty database (**startup**:
  what any command costs before it reads a row).

Each list's first ids are checked against the raw SQL's (a fast but wrong list cannot pass
unnoticed). Timings are printed, never asserted.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import case, text  # noqa: E402

from campaigner.app import App  # noqa: E402
from campaigner.config import resolve  # noqa: E402
from campaigner.db import make_engine  # noqa: E402
from campaigner.migrate import upgrade  # noqa: E402
from campaigner.models import Reply  # noqa: E402
from campaigner.services import inbox  # noqa: E402
from _common import on_each_backend  # noqa: E402

NOW = datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)  # Monday 08:00 WIB
PLATFORMS = ["x", "mastodon", "bluesky", "facebook", "sandbox"]
KINDS = ["question"] * 15 + ["support"] * 35 + ["oppose"] * 15 + ["other"] * 35
TEXTS = {"question": "Aksinya kumpul di mana? ({n})", "support": "Setuju, tolak Tapera! ({n})",
         "oppose": "demo mulu, bikin macet ({n})", "other": "nyimak ({n})"}
_WEEK_AGO, _DAY_AGO = NOW - timedelta(days=7), NOW - timedelta(days=1)
#: the filter sets measured: (label, list_replies keyword arguments, the command's flags)
CASES = [
    ("no filter", {}, []),
    ("--state new --kind question", {"state": "new", "kind": "question"}, ["--state", "new", "--kind", "question"]),
    ("--campaign upah --since -7d", {"campaign": "upah", "since": _WEEK_AGO},
     ["--campaign", "upah", "--since", _WEEK_AGO.isoformat()]),
    ("--account akun-03 --state new", {"account": "akun-03-bluesky", "state": "new"},
     ["--account", "akun-03-bluesky", "--state", "new"]),
    ("--kind oppose --since -1d", {"kind": "oppose", "since": _DAY_AGO},
     ["--kind", "oppose", "--since", _DAY_AGO.isoformat()]),
    ("--post 7 (an old post)", {"post": 7}, ["--post", "7"]),
]


def ts(dt: datetime, pg: bool):
    return dt if pg else dt.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")


def insert(engine, table: str, columns: list[str], rows) -> None:
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "postgresql":
            with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            cur.execute("BEGIN")
            cur.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})",
                            rows)
        raw.commit()
    finally:
        raw.close()


def seed(engine, posts: int, replies: int, rng: random.Random) -> None:
    pg = engine.dialect.name == "postgresql"
    start = NOW - timedelta(days=60)
    insert(engine, "accounts", ["id", "name", "platform", "status", "created_at"],
           [(i + 1, f"akun-{i + 1:02d}-{PLATFORMS[i % 5]}", PLATFORMS[i % 5], "active", ts(start, pg))
            for i in range(20)])
    insert(engine, "campaigns", ["id", "slug", "name", "hashtags", "auto_hashtags", "created_at"],
           [(i + 1, slug, slug.title(), "[]", True if pg else 1, ts(start, pg))
            for i, slug in enumerate(["tapera", "upah", "outsourcing", "mayday"])])
    when = [start + timedelta(seconds=60 * 86400 * (i + rng.random()) / posts) for i in range(posts)]
    insert(engine, "posts", ["id", "campaign_id", "text", "is_thread", "variants", "created_at", "updated_at"],
           [(i + 1, (i % 5) or None, f"Unggahan {i}", False if pg else 0, "{}", ts(at, pg), ts(at, pg))
            for i, at in enumerate(when)])
    insert(engine, "deliveries", ["id", "post_id", "account_id", "status", "due_at", "slot_based", "attempt_count",
                                  "remote_id", "remote_url", "published_at", "created_at", "updated_at"],
           [(i + 1, i + 1, i % 20 + 1, "published", ts(at, pg), False if pg else 0, 1, f"r{i + 1}",
             f"https://example.org/p/{i + 1}", ts(at, pg), ts(at, pg), ts(at, pg)) for i, at in enumerate(when)])
    insert(engine, "delivery_parts", ["id", "delivery_id", "position", "text", "idempotency_key"],
           [(i + 1, i + 1, 0, f"Unggahan {i}", uuid.uuid4().hex) for i in range(posts)])

    def rows():
        for n in range(replies + VIRAL):
            # the last VIRAL replies all answer the newest post
            did = rng.randrange(posts) + 1 if n < replies else posts
            at = min(when[did - 1] + timedelta(minutes=rng.randrange(3 * 24 * 60)), NOW - timedelta(minutes=1))
            kind = rng.choice(KINDS)
            old = NOW - at > timedelta(days=3)
            state = rng.choice(["answered", "dismissed", "new"]) if old else rng.choice(["new", "new", "answered"])
            yield (n + 1, did, f"reply-{n}", f"warga{n % 5000}", TEXTS[kind].format(n=n), ts(at, pg), "id", 0.0,
                   "neutral", ts(at, pg), kind, f"{kind}: benchmark", None, None, False if pg else 0, state)
    batch: list[tuple] = []
    for row in rows():
        batch.append(row)
        if len(batch) == 100_000:
            insert(engine, "replies", REPLY_COLUMNS, batch)
            batch = []
    if batch:
        insert(engine, "replies", REPLY_COLUMNS, batch)
    with engine.begin() as c:
        c.execute(text("ANALYZE"))


#: replies to one post (the newest) on top of the rest: a post that drew a crowd
VIRAL = 20_000
REPLY_COLUMNS = ["id", "delivery_id", "remote_id", "author", "text", "created_at", "language", "polarity", "sentiment",
                 "collected_at", "kind", "kind_reason", "parent_remote_id", "url", "ours", "state"]


def statements(app: App, case_kwargs: dict) -> tuple[list, object]:
    """The statements ``list_replies`` runs for ``case_kwargs`` (the urgent replies, then the rest:
    ``inbox.list_statements``, bound as it binds them), and the naive one-statement version made of
    the same parts, as SQLAlchemy selects with their parameters bound."""
    from sqlalchemy import bindparam

    params = {**inbox.list_params(app, **case_kwargs), "limit": 50}
    filters = frozenset(params) - {"recent", "limit"}
    listed = inbox.list_statements(filters, True)
    base, where, urgent, _not_urgent = inbox.list_parts(filters)
    naive = (base.where(*where).order_by(case((urgent, 0), else_=1), Reply.created_at.desc(),
                                         Reply.id.desc()).limit(bindparam("limit")))
    return [(stmt, params) for stmt in listed], (naive, params)


def driver_sql(engine, stmt, params: dict) -> tuple[str, object]:
    """``stmt`` with ``params`` as the driver receives them: its SQL (lists expanded) and its
    parameters, bound the way SQLAlchemy binds them (times as stored), so the database plans it
    exactly as it plans the command's."""
    c = stmt.compile(engine)
    state = c.construct_expanded_state(params)
    processors = state.processors
    values = {k: processors[k](v) if k in processors else v for k, v in state.parameters.items()}
    values = {k: v.value if hasattr(v, "value") else v for k, v in values.items()}  # str enums, as bound
    return state.statement, ([values[k] for k in state.positiontup] if c.positional else values)


def raw(engine, stmts: list) -> tuple[float, list[int]]:
    """Run the statements (with their parameters) through the bare driver; (seconds, the ids, in
    order, up to 50)."""
    compiled = [driver_sql(engine, s, params) for s, params in stmts]
    conn = engine.raw_connection()
    try:
        cur = conn.cursor()
        started = time.perf_counter()
        ids: list[int] = []
        for sql, params in compiled:
            if len(ids) >= 50:
                break
            cur.execute(sql, params)
            ids += [row[0] for row in cur.fetchall()]
        return time.perf_counter() - started, ids[:50]
    finally:
        conn.close()


def median(run, n: int = 5):
    times, result = [], None
    for _ in range(n):
        started = time.perf_counter()
        result = run()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def raw_median(engine, stmts: list, n: int = 5) -> tuple[float, list[int]]:
    runs = [raw(engine, stmts) for _ in range(n)]
    return statistics.median(t for t, _ in runs), runs[-1][1]


def in_turns(engine, stmts: list, run_list, n: int = 11) -> tuple[float, list[int], float, object]:
    """The raw SQL and the list, each run ``n`` times in turns (one, then the other): the median
    of each (seconds) with the ids of the last raw run and the last list."""
    raws, lists, ids, result = [], [], [], None
    for _ in range(n):
        t, ids = raw(engine, stmts)
        raws.append(t)
        started = time.perf_counter()
        result = run_list()
        lists.append(time.perf_counter() - started)
    return statistics.median(raws), ids, statistics.median(lists), result


def bench(url: str, label: str, posts: int, replies: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    started = time.perf_counter()
    seed(engine, posts, replies, random.Random(20261130))
    print(f"\n{label}: {replies:,} replies on {posts:,} posts and {VIRAL:,} more on the newest, "
          f"seeded in {time.perf_counter() - started:.1f} s")
    home = tempfile.mkdtemp(prefix="bench-replies-home-")
    env = {**os.environ, "CAMPAIGNER_DATABASE_URL": url, "CAMPAIGNER_HOME": home,
           "CAMPAIGNER_CONFIG": str(Path(home) / "none.toml")}
    Path(home, "none.toml").write_text("")
    os.environ.update({k: env[k] for k in ("CAMPAIGNER_HOME", "CAMPAIGNER_CONFIG")})
    app = App(resolve({"database_url": url}), now=lambda: NOW)
    empty = f"sqlite:///{home}/empty.db"
    upgrade(make_engine(empty))
    startup, _ = median(lambda: subprocess.run([sys.executable, "-m", "campaigner", "replies", "list"],
                                               env={**env, "CAMPAIGNER_DATABASE_URL": empty}, capture_output=True), 3)
    print(f"  startup (the command on an empty database): {startup * 1000:.0f} ms")
    print(f"  {'filters':<32} {'raw SQL':>9} {'one stmt':>9} {'list':>9} {'ratio':>6} {'process':>9}")
    viral = (f"--post {posts} ({VIRAL:,} replies)", {"post": posts}, ["--post", str(posts)])
    for name, kwargs, args in [*CASES, viral]:
        stmts, naive = statements(app, kwargs)
        t_raw, ids, t_list, rows = in_turns(app.engine, stmts, lambda: inbox.list_replies(app, **kwargs))
        t_naive, naive_ids = raw_median(app.engine, [naive])
        got = [r.id for r in rows]
        assert got == ids, f"{name}: the list differs from the raw SQL's"
        assert naive_ids == got, f"{name}: the one-statement order differs"
        t_proc, proc = median(lambda: subprocess.run([sys.executable, "-m", "campaigner", "replies", "list", *args],
                                                     env=env, capture_output=True, text=True), 3)
        assert proc.returncode == 0, proc.stderr
        print(f"  {name:<32} {t_raw * 1000:>7.1f}ms {t_naive * 1000:>7.1f}ms {t_list * 1000:>7.1f}ms "
              f"{t_list / t_raw:>5.1f}× {t_proc * 1000:>7.0f}ms")
    app.close()
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--replies", type=int, default=1_000_000)
    parser.add_argument("--posts", type=int, default=20_000)
    parser.add_argument("--pg", default=os.environ.get("CAMPAIGNER_TEST_DATABASE_URL",
                                                       "postgresql+psycopg://postgres@127.0.0.1:5432/test"),
                        help="a PostgreSQL database to bench in (a schema of its own, dropped after)")
    parser.add_argument("--only", choices=["sqlite", "pg"])
    args = parser.parse_args()
    on_each_backend(lambda url, label: bench(url, label, args.posts, args.replies), args.only, args.pg, "bench_replies_")


if __name__ == "__main__":
    main()
