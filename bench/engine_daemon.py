"""Lateness of the real daemon: ``campaigner run`` as a process, posts queued through the CLI while
it runs, on the real clock — printed beside ``bench/engine_lateness.py``'s in-process simulation.

Run: python bench/engine_daemon.py [--posts 60] [--rows 600] [--accounts 10] [--window 120]
                                   [--concurrency 4] [--tick 0.25] [--db URL] [--no-simulation]

What happens (real time, real processes, one SQLite file unless --db):
- ``campaigner init`` and ``account add sandbox …`` create the accounts; ``campaigner run`` starts
  as a separate process with every periodic job of a full worker (heartbeat, metrics, alerts,
  weekly report, credentials watch);
- while it runs, one CLI process per post queues ``--posts`` posts one by one (``post add … --at``,
  due at a random second 5 s to ``--window`` s ahead, each on a random account), and one
  ``post import`` queues ``--rows`` rows from a calendar CSV (its times are whole minutes in the
  accounts' zone, so they come in bursts at minute marks);
- after the last due time it waits until everything is published, then stops the worker (SIGTERM).

Lateness = published_at − due_at of each delivery (the sandbox records published_at on the real
clock when the call is made). The simulation line runs ``bench/engine_lateness.py`` with as many
deliveries over the same window and accounts: no periodic jobs, no other writers, a stepped clock.
Figures are printed, never asserted.
"""
from __future__ import annotations

import argparse
import csv
import math
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from campaigner import db
from campaigner.models import Delivery, DeliveryStatus as S, Worker

ZONE = ZoneInfo("Asia/Jakarta")
HERE = Path(__file__).resolve().parent


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def wait_for(predicate, timeout: float, every: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(every)
    return False


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--posts", type=int, default=60, help="posts queued one CLI process each")
    ap.add_argument("--rows", type=int, default=600, help="rows of one calendar CSV imported meanwhile")
    ap.add_argument("--accounts", type=int, default=10)
    ap.add_argument("--window", type=float, default=120, help="seconds over which the posts fall due")
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--tick", type=float, default=0.25)
    ap.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--no-simulation", action="store_true", help="skip the in-process simulation line")
    args = ap.parse_args()
    rng = random.Random(args.seed)

    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        cfg = tmp_path / "config.toml"
        cfg.write_text("")
        url = args.db or f"sqlite:///{tmp_path / 'daemon.db'}"
        env = {k: v for k, v in os.environ.items() if not k.startswith("CAMPAIGNER_")}
        env.update(CAMPAIGNER_DATABASE_URL=url, CAMPAIGNER_HOME=str(tmp_path / "data"), CAMPAIGNER_CONFIG=str(cfg))

        def cli(*argv: str) -> None:
            subprocess.run([sys.executable, "-m", "campaigner", "-q", *argv], env=env, check=True,
                           capture_output=True)

        cli("init")
        names = [f"s{i:02d}" for i in range(args.accounts)]
        for name in names:
            cli("account", "add", "sandbox", name)
        engine = db.make_engine(url)
        worker = subprocess.Popen([sys.executable, "-m", "campaigner", "run", "--name", "bench",
                                   "--tick", str(args.tick), "--concurrency", str(args.concurrency)],
                                  env=env, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "worker.log", "wb"))
        try:
            def started() -> bool:
                with db.read(engine) as s:
                    return bool(s.scalar(select(func.count()).select_from(Worker)))
            if not wait_for(started, 60):
                raise SystemExit("the worker did not start: " + (tmp_path / "worker.log").read_text()[-2000:])

            # the calendar: whole minutes from 2 minutes ahead, over the window
            first = (datetime.now(ZONE) + timedelta(minutes=2)).replace(second=0, microsecond=0)
            minutes = max(1, int(args.window // 60))
            calendar = tmp_path / "minggu-ini.csv"
            with calendar.open("w", newline="", encoding="utf-8") as f:
                w = csv.writer(f)
                w.writerow(["tanggal", "jam", "akun", "teks"])
                for i in range(args.rows):
                    at = first + timedelta(minutes=i % (minutes + 1))
                    w.writerow([at.strftime("%Y-%m-%d"), at.strftime("%H:%M"), names[i % len(names)],
                                f"Upah layak untuk semua buruh! (baris {i})"])
            importer = threading.Thread(target=cli, args=("post", "import", str(calendar)))
            importer.start()

            # posts one by one, each due a few seconds to the window ahead of the moment it is typed
            last_due = first + timedelta(minutes=minutes)
            for i in range(args.posts):
                due = datetime.now(timezone.utc) + timedelta(seconds=5 + (args.window - 5) * rng.random())
                last_due = max(last_due, due)
                cli("post", "add", f"Tolak outsourcing! #{i}", "--to", rng.choice(names),
                    "--at", due.isoformat(timespec="seconds").replace("+00:00", "Z"))
            importer.join()

            total = args.posts + args.rows

            def all_published() -> bool:
                with db.read(engine) as s:
                    return s.scalar(select(func.count()).where(Delivery.status == S.PUBLISHED)) == total
            left = (last_due - datetime.now(timezone.utc)).total_seconds()
            wait_for(all_published, max(0.0, left) + 60, every=0.5)
        finally:
            worker.send_signal(signal.SIGTERM)
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
        with db.read(engine) as s:
            rows = s.execute(select(Delivery.due_at, Delivery.published_at, Delivery.status)).all()
        engine.dispose()

    late = [(at - due).total_seconds() for due, at, st in rows if st == S.PUBLISHED]
    print(f"`campaigner run` as a process (tick {args.tick:g} s, concurrency {args.concurrency}, every periodic "
          f"job) on {args.accounts} sandbox accounts, {'SQLite file' if not args.db else db.safe_url(args.db)};")
    print(f"queued while it ran: {args.posts} posts by one `post add` process each (due 5-{args.window:g} s ahead) "
          f"and {args.rows} rows by one `post import` (due at whole minutes)")
    print(f"published {len(late)} of {len(rows)}")
    print(f"{'lateness (s)':44} {'p50':>7} {'p99':>7} {'max':>7}")
    if late:
        print(f"{'real daemon (process, CLI writers, real clock)':44} {percentile(late, 50):7.3f} "
              f"{percentile(late, 99):7.3f} {max(late):7.3f}")
    if not args.no_simulation:
        sim = subprocess.run([sys.executable, str(HERE / "engine_lateness.py"), "--deliveries", str(len(rows)),
                              "--minutes", f"{args.window / 60:g}", "--accounts", str(args.accounts),
                              "--tick", str(args.tick), "--concurrency", str(args.concurrency)],
                             capture_output=True, text=True, check=True).stdout
        for line in sim.splitlines():
            if line.startswith("engine (publish_tick"):
                print(f"{'simulation (bench/engine_lateness.py)':44} {line[41:]}")
            elif line.startswith("baseline: instant"):
                print(f"{'baseline: instant publish at each tick':44} {line[41:]}")


if __name__ == "__main__":
    main()
