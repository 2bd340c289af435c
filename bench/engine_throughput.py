"""Publishing throughput against a platform with 50 ms of latency per request.

Run: python bench/engine_throughput.py [--deliveries 500] [--accounts 10] [--latency 50]
                                       [--concurrency 4,10] [--rounds 3] [--against DIR] [--db URL]

10 Mastodon accounts, each on its own fake instance (``tests/fakes/mastodon.py``, the real HTTP
fake on 127.0.0.1, ``--latency`` ms per request), 50 deliveries each, all due (a second apart,
so each account has an order to keep). Half the accounts have a daily cap of 40: their last 10
deliveries must be moved to the next day, not published. ``Engine.publish_all_due()`` runs on
the real clock, once per ``--concurrency`` value and round, each run in a fresh process on a
fresh SQLite file. The runs are interleaved (round 1: every concurrency, then round 2…), so a
machine whose load changes during the benchmark weighs on every figure alike; the summary gives
each concurrency's median over the rounds. ``--against DIR`` runs the same benchmark on the code
of another checkout too (e.g. ``/work/main``), interleaved with this one's, for an old-vs-new
comparison taken under the same load.

Figures, next to baselines from the same run:
- wall seconds and deliveries/s, and the ratio to the ideal: N × latency / concurrency, or the
  per-account N × latency when that is longer (per-account order makes one account's deliveries
  sequential; the uncapped accounts publish all of theirs). The same number of plain ``requests``
  POSTs to the same fakes from a thread pool of the same size shows what the HTTP stack alone
  allows (its ratio to the same ideal).
- SQL statements and write transactions per handled delivery (counted with SQLAlchemy's
  ``before_cursor_execute`` event; SQLite only shows write transactions as ``BEGIN IMMEDIATE``),
  and the engine's own time on one account between one platform call's end and the next call's
  start (the connector's ``publish`` timed): less noisy than wall seconds on a busy machine.
- checks (printed, not asserted): per-account order held (published_at order == due order on
  every account), caps held (no account above its cap on any local day), exactly once (each
  fake's create count == its published deliveries).
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _use_code(root: Path) -> None:
    """Import campaigner, the engine and the fakes from ``root`` (this checkout or ``--against``)."""
    sys.path.insert(0, str(root))  # also where `tests.fakes` lives
    import scheduler.engine

    engine_file = Path(scheduler.engine.__file__).resolve()
    if not engine_file.is_relative_to(root.resolve()):
        sys.exit(f"Error: the engine came from {engine_file}, not from {root} — run with a venv whose "
                 "campaigner is not installed from elsewhere in a way that wins over sys.path")


CAP = 40


def _empty(url: str) -> None:
    """A database given with ``--db``: its campaigner tables emptied, so every run starts alike."""
    from sqlalchemy import inspect, text

    from campaigner import db
    from campaigner.models import Base

    engine = db.make_engine(url)
    existing = set(inspect(engine).get_table_names())
    names = [t.name for t in Base.metadata.sorted_tables if t.name in existing]
    if names:
        with engine.begin() as c:
            if engine.dialect.name == "postgresql":
                c.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
            else:
                for name in reversed(names):
                    c.execute(text(f"DELETE FROM {name}"))
    engine.dispose()


def run_engine(tmp: Path, url: str | None, n_accounts: int, per_account: int, latency: float,
               concurrency: int) -> dict:
    """One engine run (in a child process); its figures and checks."""
    from sqlalchemy import event, select, update

    from campaigner import db
    from campaigner.app import App
    from campaigner.config import resolve
    from campaigner.models import Account, Delivery, DeliveryStatus as S
    from campaigner.secrets import env_name
    from campaigner.services import accounts
    from campaigner.services.accounts import connector as account_connector
    from campaigner.services.planning import Draft, Planner, When
    from campaigner.services.posts import write_plans
    from scheduler.engine import Engine
    from tests.fakes.mastodon import Fake

    cfg = tmp / "config.toml"
    cfg.write_text("")
    if url:
        _empty(url)
    url = url or f"sqlite:///{tmp / 'bench.db'}"
    app = App(resolve({"database_url": url, "data_dir": str(tmp / "data")}, env={}, config_path=cfg))
    fakes = {}
    for i in range(n_accounts):
        fake = Fake()
        fake.latency = latency
        fake.start()
        name = f"m{i:02d}"
        accounts.add(app, "mastodon", name, base_url=fake.base_url)
        os.environ[env_name(name, "ACCESS_TOKEN")] = Fake.TOKEN
        fakes[name] = fake
    now = app.now()
    with db.write(app.engine) as s:
        planner = Planner(app, s, now)
        plans = [planner.plan(Draft(text=f"Kawal upah minimum 2027! Seruan ke-{j} untuk {name}", accounts=[name],
                                    when=When("now")))
                 for j in range(per_account) for name in fakes]
        write_plans(app, s, plans, now)
        # due a second apart, oldest first, so every account has an order to keep
        rows = s.execute(select(Delivery.id, Delivery.account_id).order_by(Delivery.id)).all()
        seen: Counter = Counter()
        changes = []
        for did, acc in rows:
            changes.append({"id": did, "due_at": now - timedelta(seconds=per_account - seen[acc])})
            seen[acc] += 1
        s.execute(update(Delivery), changes)
    for i, name in enumerate(fakes):  # capped after queueing, as when a cap is lowered (queueing checks caps)
        if i % 2:
            accounts.edit(app, name, daily_cap=CAP)
    calls: dict[int, list[tuple[float, float]]] = defaultdict(list)  # account → (start, end) of each create

    def timed_connector(account):
        connector = account_connector(app, account)
        publish = connector.publish

        def timed_publish(post):
            start = time.perf_counter()
            try:
                return publish(post)
            finally:
                calls[account.id].append((start, time.perf_counter()))
        connector.publish = timed_publish
        return connector
    engine = Engine(app, f"bench-c{concurrency}", concurrency=concurrency, connector_factory=timed_connector)
    statements: Counter = Counter()

    def count(conn, cursor, statement, *_):  # SQL sent by the engine (BEGIN included; COMMIT is not a statement)
        statements["BEGIN IMMEDIATE" if statement.startswith("BEGIN IMMEDIATE") else statement.split()[0].upper()] += 1
    event.listen(app.engine, "before_cursor_execute", count)
    t = time.perf_counter()
    report = engine.publish_all_due()
    wall = time.perf_counter() - t
    event.remove(app.engine, "before_cursor_execute", count)
    with db.read(app.engine) as s:
        ds = s.execute(select(Delivery.id, Account.name, Account.daily_cap, Delivery.status, Delivery.due_at,
                              Delivery.published_at).join(Account, Account.id == Delivery.account_id)).all()
    # the engine's own time on one account between one call's end and the next call's start
    gaps = [1000 * (b[0] - a[1]) for mine in calls.values() for a, b in zip(mine, mine[1:])]
    zone = app.zone_for(None)
    order_ok, caps_ok, once_ok = True, True, True
    by_account = defaultdict(list)
    for row in ds:
        by_account[row.name].append(row)
    for name, mine in by_account.items():
        published = [r for r in mine if r.status == S.PUBLISHED]
        if [r.id for r in sorted(published, key=lambda r: r.published_at)] != \
                [r.id for r in sorted(published, key=lambda r: (r.due_at, r.id))]:
            order_ok = False
        per_day = Counter(r.published_at.astimezone(zone).date() for r in published)
        if mine[0].daily_cap and any(c > mine[0].daily_cap for c in per_day.values()):
            caps_ok = False
        if fakes[name].create_count() != len(published):
            once_ok = False
    deferred = sum(1 for r in ds if r.status == S.QUEUED and r.due_at > datetime.now(timezone.utc))
    for fake in fakes.values():
        fake.stop()
    app.close()
    handled = max(1, report.handled)
    return {"wall": wall, "published": len(report.published), "deferred": deferred, "order": order_ok,
            "caps": caps_ok, "once": once_ok, "sql": sum(statements.values()) / handled,
            "gap50": statistics.median(gaps) if gaps else float("nan"),
            "gap": statistics.mean(gaps) if gaps else float("nan"),
            "writes": (statements["BEGIN IMMEDIATE"] or None) and statements["BEGIN IMMEDIATE"] / handled}


def raw_requests(n_accounts: int, per_account: int, latency: float, concurrency: int) -> float:
    """The same number of creates as plain ``requests`` POSTs, from a pool of ``concurrency``."""
    import requests

    from tests.fakes.mastodon import Fake

    fakes = []
    for _ in range(n_accounts):
        fake = Fake()
        fake.latency = latency
        fakes.append(fake.start())
    local = threading.local()

    def post(i: int) -> None:
        fake = fakes[i % n_accounts]
        if not hasattr(local, "session"):
            local.session = requests.Session()
        r = local.session.post(f"{fake.base_url}/api/v1/statuses", json={"status": f"Seruan ke-{i}"},
                               headers={"Authorization": f"Bearer {Fake.TOKEN}", "Idempotency-Key": f"k{i}"},
                               timeout=10)
        r.raise_for_status()

    t = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(post, range(n_accounts * per_account)))
    wall = time.perf_counter() - t
    for fake in fakes:
        fake.stop()
    return wall


def child(args: argparse.Namespace) -> None:
    """One run, in this fresh process: its figures as one JSON line."""
    _use_code(Path(args.code))
    per_account = args.deliveries // args.accounts
    latency = args.latency / 1000
    c = int(args.concurrency)
    if args.child == "raw":
        print(json.dumps({"wall": raw_requests(args.accounts, per_account, latency, c)}))
        return
    with tempfile.TemporaryDirectory() as tmp:
        print(json.dumps(run_engine(Path(tmp), args.db, args.accounts, per_account, latency, c)))


def describe_code(root: Path) -> str:
    """``root`` and its commit (and whether it has uncommitted changes)."""
    def git(*a: str) -> str:
        return subprocess.run(["git", "-C", str(root), *a], capture_output=True, text=True).stdout.strip()
    head = git("rev-parse", "--short", "HEAD") or "no git"
    dirty = ", with uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else ""
    return f"{root} ({head}{dirty})"


def run_child(args: argparse.Namespace, kind: str, code: Path, concurrency: int) -> dict:
    cmd = [sys.executable, __file__, "--child", kind, "--code", str(code), "--deliveries", str(args.deliveries),
           "--accounts", str(args.accounts), "--latency", str(args.latency), "--concurrency", str(concurrency)]
    if args.db:
        cmd += ["--db", args.db]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"Error: a {kind} run of {code} at concurrency {concurrency} failed:\n{done.stderr.strip()}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--deliveries", type=int, default=500)
    ap.add_argument("--accounts", type=int, default=10)
    ap.add_argument("--latency", type=float, default=50, help="ms per request")
    ap.add_argument("--concurrency", default="4,10")
    ap.add_argument("--rounds", type=int, default=3, help="runs per concurrency (and code), interleaved")
    ap.add_argument("--against", type=Path, help="another checkout whose engine runs too, interleaved (old vs new)")
    ap.add_argument("--db", help="database URL (default: a fresh SQLite file per run); its campaigner tables "
                                 "are emptied before each run")
    ap.add_argument("--child", choices=("engine", "raw"), help=argparse.SUPPRESS)
    ap.add_argument("--code", default=str(ROOT), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(args)
        return
    per_account = args.deliveries // args.accounts
    n = per_account * args.accounts
    latency = args.latency / 1000
    capped = sum(1 for i in range(args.accounts) if i % 2)
    expected = n - capped * max(0, per_account - CAP)
    codes = {"new": ROOT} if args.against is None else {"new": ROOT, "old": args.against.resolve()}
    concurrencies = [int(x) for x in args.concurrency.split(",")]
    sys.path.insert(0, str(ROOT))
    from campaigner.db import safe_url

    print(f"{n} deliveries on {args.accounts} Mastodon accounts (one fake each, {args.latency:g} ms per request), "
          f"{per_account} per account, all due; {capped} accounts capped at {CAP}/day "
          f"→ {expected} to publish, {n - expected} to defer; engine on "
          f"{'a fresh SQLite file' if not args.db else safe_url(args.db)}; {args.rounds} rounds, interleaved, "
          "each run in a fresh process")
    for label, root in codes.items():
        print(f"code {label}: {describe_code(root)}")
    print(f"{'round':>5} {'code':>4} {'concurrency':>11} {'published':>9} {'deferred':>8} {'seconds':>7} "
          f"{'per s':>6} | {'ideal s':>7} {'ratio':>5} | {'raw HTTP s':>10} {'ratio':>5} | order caps once | "
          f"{'SQL/d':>5} {'writes/d':>8} {'gap ms p50 mean':>15}")
    results: dict[tuple[str, int], list[dict]] = defaultdict(list)
    raws: dict[int, list[float]] = defaultdict(list)
    for rnd in range(1, args.rounds + 1):
        for c in concurrencies:
            ideal = max(expected * latency / c, per_account * latency)  # uncapped accounts publish all theirs
            # the raw baseline sends all n (no caps): scaled to the same number of creates
            raw = run_child(args, "raw", ROOT, c)["wall"] * expected / n
            raws[c].append(ideal / raw)
            order = list(codes.items()) if rnd % 2 else list(reversed(codes.items()))
            for label, root in order:
                r = run_child(args, "engine", root, c)
                r["ratio"] = ideal / r["wall"]
                results[label, c].append(r)
                print(f"{rnd:>5} {label:>4} {c:>11} {r['published']:>9} {r['deferred']:>8} {r['wall']:7.2f} "
                      f"{r['published'] / r['wall']:6.1f} | {ideal:7.2f} {r['ratio']:5.2f} | {raw:10.2f} "
                      f"{ideal / raw:5.2f} | {'held' if r['order'] else 'BROKEN':>5} "
                      f"{'held' if r['caps'] else 'BROKEN':>4} {'yes' if r['once'] else 'NO':>4} | "
                      f"{r['sql']:5.1f} {r['writes'] or float('nan'):8.2f} {r['gap50']:10.1f} {r['gap']:4.1f}",
                      flush=True)
    print(f"\nmedian over {args.rounds} rounds (min–max):")
    print(f"{'code':>4} {'concurrency':>11} | {'ratio to ideal':>17} | {'raw HTTP ratio':>14} | order caps once | "
          f"{'SQL/d':>5} {'writes/d':>8} {'gap ms p50 mean':>15}")
    for c in concurrencies:
        for label in codes:
            rs = results[label, c]
            ratios = [r["ratio"] for r in rs]
            print(f"{label:>4} {c:>11} | {statistics.median(ratios):5.2f} ({min(ratios):.2f}–{max(ratios):.2f}) | "
                  f"{statistics.median(raws[c]):14.2f} | {'held' if all(r['order'] for r in rs) else 'BROKEN':>5} "
                  f"{'held' if all(r['caps'] for r in rs) else 'BROKEN':>4} "
                  f"{'yes' if all(r['once'] for r in rs) else 'NO':>4} | "
                  f"{statistics.median(r['sql'] for r in rs):5.1f} "
                  f"{statistics.median(r['writes'] or float('nan') for r in rs):8.2f} "
                  f"{statistics.median(r['gap50'] for r in rs):10.1f} {statistics.median(r['gap'] for r in rs):4.1f}")
    print("ideal = max(N × latency / concurrency, per-account N × latency): one account's posts go out in order,")
    print("one after another; ratio = ideal seconds / seconds taken; raw HTTP = the same creates as plain requests")
    print("POSTs from a pool of the same size; SQL/d = SQL statements the engine sent per handled delivery (BEGIN")
    print("included), writes/d = write transactions (BEGIN IMMEDIATE) per handled delivery (SQLite); gap ms = the")
    print("engine's own time on one account between one call's end and the next call's start (median and mean; the")
    print("mean includes an account's wait for a thread between two of its batches)")


if __name__ == "__main__":
    main()
