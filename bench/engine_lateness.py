"""Publishing lateness: how long after its due time a delivery goes out, for 10,000 deliveries due
over 10 minutes on 20 sandbox accounts (offline, zero latency), SQLite file.

Run: python bench/engine_lateness.py [--deliveries 10000] [--minutes 10] [--accounts 20] [--tick 0.25]
                                     [--concurrency 4] [--db URL]

Method (compressed time, stated in the output): the real ``Daemon.publish_tick`` and the real
``Engine`` (as ``campaigner run`` builds it: ``--accounts-per-pass`` = ``--concurrency``) run in
this process on a stepped clock. The clock runs at real speed while the daemon works (so every
query, file write and commit of a pass counts toward lateness), and jumps forward only while the
daemon would be idle, to where the daemon's own publish loop would run next:
- a daemon with ``Daemon.next_publish`` (it runs again at once after a pass that did work, and
  waits exactly for the next due time when that comes before the next tick): at once, or to that
  due time plus the measured overshoot of a real ``threading.Event.wait`` on this machine, or to the
  next tick of the ``--tick`` grid;
- an older daemon without it (a pass per tick of APScheduler's interval job): to the next tick
  after a pass ends, or straight to the tick at which ``next_wake()`` says something is due.
So 10 minutes of schedule take only the processing time.

Lateness = published_at − due_at, both on that clock. Baseline, from the same due times: a
daemon that publishes instantly at each tick (lateness from the tick grid alone).
Figures are printed, never asserted.
"""
from __future__ import annotations

import argparse
import math
import random
import statistics
import tempfile
import threading
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import select, update

from campaigner import db
from campaigner.app import App
from campaigner.config import resolve
from campaigner.models import Delivery, DeliveryStatus as S
from campaigner.services import accounts
from campaigner.services.planning import Draft, Planner, When
from campaigner.services.posts import write_plans
from scheduler.daemon import Daemon
from scheduler.engine import Engine


class SteppedClock:
    """Real speed while working; jumps forward (never back) while idle."""

    def __init__(self, start: datetime):
        self.base, self.mark = start, time.perf_counter()

    def __call__(self) -> datetime:
        return self.base + timedelta(seconds=time.perf_counter() - self.mark)

    def jump(self, to: datetime) -> None:
        now = self()
        self.base, self.mark = max(now, to), time.perf_counter()


def timer_overshoot(samples: int = 50, wait: float = 0.005) -> float:
    """Median seconds a real ``threading.Event.wait(timeout)`` sleeps past its timeout here."""
    event, late = threading.Event(), []
    for _ in range(samples):
        t = time.perf_counter()
        event.wait(wait)
        late.append(time.perf_counter() - t - wait)
    return max(0.0, statistics.median(late))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--deliveries", type=int, default=10_000)
    ap.add_argument("--minutes", type=float, default=10)
    ap.add_argument("--accounts", type=int, default=20)
    ap.add_argument("--tick", type=float, default=0.25)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    tick = timedelta(seconds=args.tick)
    window = timedelta(minutes=args.minutes)

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cfg = tmp / "config.toml"
        cfg.write_text("")
        url = args.db or f"sqlite:///{tmp / 'bench.db'}"
        start = datetime.now(timezone.utc).replace(microsecond=0) + timedelta(minutes=1)
        clock = SteppedClock(start - timedelta(minutes=1))
        app = App(resolve({"database_url": url, "data_dir": str(tmp / "data")}, env={}, config_path=cfg),
                  now=clock)
        names = [f"s{i:02d}" for i in range(args.accounts)]
        for name in names:
            accounts.add(app, "sandbox", name)
        dues = sorted(start + window * rng.random() for _ in range(args.deliveries))
        t = time.perf_counter()
        with db.write(app.engine) as s:
            planner = Planner(app, s, clock())
            plans = [planner.plan(Draft(text=f"Tolak PHK sepihak! #{i}", accounts=[names[i % len(names)]],
                                        when=When("now"))) for i in range(args.deliveries)]
            write_plans(app, s, plans, clock())
            ids = list(s.scalars(select(Delivery.id).order_by(Delivery.id)))
            s.execute(update(Delivery), [{"id": i, "due_at": due} for i, due in zip(ids, dues)])
        queued_in = time.perf_counter() - t

        engine = Engine(app, "bench", concurrency=args.concurrency, accounts_per_pass=args.concurrency)
        daemon = Daemon(app, engine, tick=tick)
        precise = hasattr(daemon, "next_publish")
        overshoot = timedelta(seconds=timer_overshoot())
        clock.jump(start)
        passes = 0
        real = time.perf_counter()

        def next_tick() -> datetime:  # the next tick on the grid after now
            return start + math.ceil((clock() - start) / tick + 1e-9) * tick

        while True:
            handled = daemon.publish_tick(clock())
            passes += handled > 0
            wake = daemon._next_wake
            if precise:
                when = daemon.next_publish(handled, clock())
                if when is not None:  # at once after work, else a precise wait for the due time
                    if when > clock():
                        clock.jump(when + overshoot)
                    continue
                if wake is None:
                    break
                grid = next_tick()  # the next tick looks again; it waits exactly if wake comes first
                clock.jump(grid if wake <= grid else wake + overshoot)
                continue
            wake = wake if handled == 0 else clock()
            if wake is None:
                break
            # the next tick on the grid after now (and not before the next due time, when idle)
            target = max(clock(), wake)
            k = math.ceil((target - start) / tick + 1e-9)
            clock.jump(start + k * tick)
        busy = time.perf_counter() - real

        with db.read(app.engine) as s:
            rows = s.execute(select(Delivery.due_at, Delivery.published_at, Delivery.status)).all()
        app.close()

    published = [(due, at) for due, at, st in rows if st == S.PUBLISHED]
    late = [(at - due).total_seconds() for due, at in published]
    base = []
    for due in dues:
        k = math.ceil((due - start) / tick - 1e-12)
        base.append(((start + k * tick) - due).total_seconds())

    print(f"{args.deliveries:,} deliveries due at random over {args.minutes:g} min on {args.accounts} sandbox "
          f"accounts; {'SQLite file' if not args.db else db.safe_url(args.db)}; tick {args.tick:g} s; "
          f"concurrency {args.concurrency}")
    if precise:
        print("method: real Daemon.publish_tick + Engine on a stepped clock — real speed while a pass runs; while "
              "idle it jumps to where the daemon's loop runs next (Daemon.next_publish: at once after work, the next "
              f"due time + {overshoot.total_seconds() * 1000:.2f} ms measured timer overshoot, or the next tick);")
    else:
        print("method: real Daemon.publish_tick + Engine on a stepped clock — real speed while a pass runs, "
              "jumps to the next tick while idle;")
    print("        lateness = published_at - due_at on that clock (tick wait + real processing)")
    print(f"published {len(published):,} of {len(rows):,}; {passes} passes; processing took {busy:.1f} s real "
          f"for {args.minutes * 60:.0f} s of schedule ({len(published) / busy:.0f} deliveries/s while busy); "
          f"queueing them took {queued_in:.1f} s")
    print(f"{'lateness (s)':40} {'p50':>7} {'p99':>7} {'max':>7}")
    print(f"{'engine (publish_tick + run_pass)':40} {percentile(late, 50):7.3f} {percentile(late, 99):7.3f} "
          f"{max(late):7.3f}")
    print(f"{'baseline: instant publish at each tick':40} {percentile(base, 50):7.3f} {percentile(base, 99):7.3f} "
          f"{max(base):7.3f}")


if __name__ == "__main__":
    main()
