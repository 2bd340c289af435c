"""One worker process against four, sharing one PostgreSQL database.

Run: python bench/engine_workers.py [--deliveries 800] [--accounts 40] [--tick 0.25]
                                   [--url postgresql+psycopg://postgres@127.0.0.1:5432/test]

Each configuration gets its own schema (``bench_<pid>_<n>``, dropped afterwards, so tests using the
same database are not disturbed), 40 sandbox accounts (offline, no latency) and the same
deliveries, all due now; then N ``campaigner run`` processes (``--concurrency 4``, default tick)
publish them. Configurations: 1 worker (the baseline) and 4 workers with the default
``--accounts-per-pass`` (= ``--concurrency``: each worker leases only the accounts it works on at
once), then 4 workers with ``--accounts-per-pass 50`` (the old default) for comparison.

Figures: seconds from the first to the last publish (process start-up excluded) and
deliveries/s, the speed-up over one worker, the share each worker published, and a check that
each delivery was published exactly once (one 'published' attempt each). Printed, never asserted.
Skipped, with a message, when PostgreSQL does not answer.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from sqlalchemy import create_engine, func, select, text

from campaigner import db
from campaigner.app import App
from campaigner.config import resolve
from campaigner.models import Attempt, Delivery, DeliveryStatus as S
from campaigner.services import accounts
from campaigner.services.planning import Draft, Planner, When
from campaigner.services.posts import write_plans

CONFIGS = [(1, None), (4, None), (4, 50)]  # (workers, --accounts-per-pass; None: the default)


def reachable(url: str) -> str | None:
    """None when PostgreSQL answers, else why not."""
    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as c:
            c.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "skip"
        return str(exc).splitlines()[0]


def run_config(base_url: str, schema: str, workers: int, per_pass: int | None, n_accounts: int, per_account: int,
               tick: float) -> dict:
    admin = create_engine(base_url)
    with admin.begin() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in base_url else "?"
    url = f"{base_url}{sep}options=-csearch_path%3D{schema}"
    try:
        with tempfile.TemporaryDirectory() as tmp:
            tmp = Path(tmp)
            cfg = tmp / "config.toml"
            cfg.write_text("")
            app = App(resolve({"database_url": url, "data_dir": str(tmp / "data")}, env={}, config_path=cfg))
            names = [f"s{i:02d}" for i in range(n_accounts)]
            for name in names:
                accounts.add(app, "sandbox", name)
            now = app.now()
            with db.write(app.engine) as s:
                planner = Planner(app, s, now)
                write_plans(app, s, [planner.plan(Draft(text=f"Tolak outsourcing! #{j}", accounts=names,
                                                        when=When("now"))) for j in range(per_account)], now)
            total = n_accounts * per_account
            env = {k: v for k, v in os.environ.items() if not k.startswith("CAMPAIGNER_")}
            env.update(CAMPAIGNER_DATABASE_URL=url, CAMPAIGNER_HOME=str(tmp / "data"), CAMPAIGNER_CONFIG=str(cfg))
            procs = [subprocess.Popen([sys.executable, "-m", "campaigner", "run", "--name", f"w{i}",
                                       "--tick", str(tick), "--concurrency", "4",
                                       *(["--accounts-per-pass", str(per_pass)] if per_pass else [])],
                                      env=env, stdout=subprocess.DEVNULL, stderr=open(tmp / f"w{i}.log", "wb"))
                     for i in range(workers)]
            started = time.perf_counter()
            try:
                while True:
                    with db.read(app.engine) as s:
                        done = s.scalar(select(func.count()).select_from(Delivery)
                                        .where(Delivery.status == S.PUBLISHED))
                    if done == total:
                        break
                    if any(p.poll() is not None for p in procs) or time.perf_counter() - started > 900:
                        raise SystemExit(f"a worker stopped or it took too long ({done}/{total}); see the logs")
                    time.sleep(0.2)
            finally:
                for p in procs:
                    if p.poll() is None:
                        p.send_signal(signal.SIGTERM)
                for p in procs:
                    p.wait(timeout=60)
            with db.read(app.engine) as s:
                first, last = s.execute(select(func.min(Attempt.started_at), func.max(Delivery.published_at))
                                        .select_from(Delivery).join(Attempt, Attempt.delivery_id == Delivery.id)).one()
                ok = s.execute(select(Attempt.worker, Attempt.delivery_id).where(Attempt.outcome == "published")).all()
            app.close()
            span = (last - first).total_seconds()
            return {"total": total, "span": span, "per_worker": Counter(w for w, _ in ok),
                    "once": len(ok) == total and len({d for _, d in ok}) == total}
    finally:
        with admin.begin() as c:
            c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--deliveries", type=int, default=800)
    ap.add_argument("--accounts", type=int, default=40)
    ap.add_argument("--tick", type=float, default=0.25, help="the workers' --tick (default: run's default)")
    ap.add_argument("--url", default=os.environ.get("CAMPAIGNER_TEST_DATABASE_URL")
                    or "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    args = ap.parse_args()
    why = reachable(args.url)
    if why:
        print(f"skipped: PostgreSQL does not answer at {db.safe_url(args.url)} ({why})")
        return
    per_account = args.deliveries // args.accounts
    total = per_account * args.accounts
    print(f"{total} sandbox deliveries on {args.accounts} accounts, all due; "
          f"`campaigner run --concurrency 4 --tick {args.tick:g}` processes on PostgreSQL "
          f"({db.safe_url(args.url)}, a fresh schema per configuration); {os.cpu_count()} CPUs")
    print(f"{'workers':>7} {'acc/pass':>8} {'seconds':>8} {'per s':>7} {'speed-up':>8}  once  published per worker")
    baseline = None
    for n, (workers, per_pass) in enumerate(CONFIGS):
        r = run_config(args.url, f"bench_{os.getpid()}_{n}", workers, per_pass, args.accounts, per_account, args.tick)
        rate = r["total"] / r["span"]
        baseline = baseline or rate
        shares = " ".join(f"{w}:{c}" for w, c in sorted(r["per_worker"].items()))
        print(f"{workers:>7} {per_pass or 'default':>8} {r['span']:8.1f} {rate:7.1f} {rate / baseline:7.2f}x  "
              f"{'yes' if r['once'] else 'NO':>4}  {shares}")
    print("seconds = first attempt to last publish (start-up excluded); baseline = the 1-worker line; "
          "default acc/pass = --concurrency (4)")


if __name__ == "__main__":
    main()
