"""Publishing throughput against a platform with 50 ms of latency per request.

Run: python bench/engine_throughput.py [--deliveries 500] [--accounts 10] [--latency 50]
                                       [--concurrency 4,10] [--db URL]

10 Mastodon accounts, each on its own fake instance (``tests/fakes/mastodon.py``, the real HTTP
fake on 127.0.0.1, ``--latency`` ms per request), 50 deliveries each, all due (a second apart,
so each account has an order to keep). Half the accounts have a daily cap of 40: their last 10
deliveries must be moved to the next day, not published. ``Engine.publish_all_due()`` runs in
this process on the real clock, once per ``--concurrency`` value, on a fresh SQLite file.

Figures, next to baselines from the same run:
- wall seconds and deliveries/s. Baselines: the ideal N × latency / concurrency (per-account
  order makes one account's deliveries sequential, so the ideal is also at least
  per-account N × latency), and the same number of plain ``requests`` POSTs to the same fakes
  from a thread pool of the same size (what the HTTP stack alone allows).
- SQL statements and write transactions per handled delivery (counted with SQLAlchemy's
  ``before_cursor_execute`` event; SQLite only shows write transactions as ``BEGIN IMMEDIATE``).
- checks (printed, not asserted): per-account order held (published_at order == due order on
  every account), caps held (no account above its cap on any local day), exactly once (each
  fake's create count == its published deliveries).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `tests.fakes` lives in the project root

import requests  # noqa: E402
from sqlalchemy import event, select, update  # noqa: E402

from campaigner import db  # noqa: E402
from campaigner.app import App  # noqa: E402
from campaigner.config import resolve  # noqa: E402
from campaigner.models import Account, Delivery, DeliveryStatus as S  # noqa: E402
from campaigner.secrets import env_name  # noqa: E402
from campaigner.services import accounts  # noqa: E402
from campaigner.services.planning import Draft, Planner, When  # noqa: E402
from campaigner.services.posts import write_plans  # noqa: E402
from scheduler.engine import Engine  # noqa: E402
from tests.fakes.mastodon import Fake  # noqa: E402

CAP = 40


def run_engine(tmp: Path, url: str | None, n_accounts: int, per_account: int, latency: float,
               concurrency: int) -> dict:
    cfg = tmp / "config.toml"
    cfg.write_text("")
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
    engine = Engine(app, f"bench-c{concurrency}", concurrency=concurrency)
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
            "writes": (statements["BEGIN IMMEDIATE"] or None) and statements["BEGIN IMMEDIATE"] / handled}


def raw_requests(n_accounts: int, per_account: int, latency: float, concurrency: int) -> float:
    """The same number of creates as plain ``requests`` POSTs, from a pool of ``concurrency``."""
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
                   headers={"Authorization": f"Bearer {Fake.TOKEN}", "Idempotency-Key": f"k{i}"}, timeout=10)
        r.raise_for_status()

    t = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(post, range(n_accounts * per_account)))
    wall = time.perf_counter() - t
    for fake in fakes:
        fake.stop()
    return wall


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--deliveries", type=int, default=500)
    ap.add_argument("--accounts", type=int, default=10)
    ap.add_argument("--latency", type=float, default=50, help="ms per request")
    ap.add_argument("--concurrency", default="4,10")
    ap.add_argument("--db", help="database URL (default: a fresh SQLite file per run)")
    args = ap.parse_args()
    per_account = args.deliveries // args.accounts
    n = per_account * args.accounts
    latency = args.latency / 1000
    capped = sum(1 for i in range(args.accounts) if i % 2)
    expected = n - capped * max(0, per_account - CAP)
    print(f"{n} deliveries on {args.accounts} Mastodon accounts (one fake each, {args.latency:g} ms per request), "
          f"{per_account} per account, all due; {capped} accounts capped at {CAP}/day "
          f"→ {expected} to publish, {n - expected} to defer; engine on "
          f"{'a fresh SQLite file' if not args.db else db.safe_url(args.db)}")
    print(f"{'concurrency':>11} {'published':>9} {'deferred':>8} {'seconds':>8} {'per s':>7} | {'ideal s':>7} "
          f"{'ideal/s':>7} | {'raw HTTP s':>10} {'raw/s':>7} | order caps once | SQL/d writes/d")
    for c in (int(x) for x in args.concurrency.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            r = run_engine(Path(tmp), args.db, args.accounts, per_account, latency, c)
        ideal = max(expected * latency / c, per_account * latency)  # uncapped accounts publish all theirs
        raw = raw_requests(args.accounts, per_account, latency, c)
        # the raw baseline sends all n (no caps): scale to the same number of creates
        raw_same = raw * expected / n
        print(f"{c:>11} {r['published']:>9} {r['deferred']:>8} {r['wall']:8.2f} {r['published'] / r['wall']:7.1f} | "
              f"{ideal:7.2f} {expected / ideal:7.1f} | {raw_same:10.2f} {expected / raw_same:7.1f} | "
              f"{'held' if r['order'] else 'BROKEN':>5} {'held' if r['caps'] else 'BROKEN':>4} "
              f"{'yes' if r['once'] else 'NO':>4} | {r['sql']:5.1f} {r['writes'] or float('nan'):8.2f}")
    print("ideal = max(N × latency / concurrency, per-account N × latency): one account's posts go out in order,")
    print("one after another; raw HTTP = the same creates as plain requests POSTs from a pool of the same size;")
    print("SQL/d = SQL statements the engine sent per handled delivery (BEGIN included), writes/d = write "
          "transactions (BEGIN IMMEDIATE) per handled delivery (SQLite)")


if __name__ == "__main__":
    main()
