"""What an idle worker costs: CPU and resident memory of ``campaigner run`` with nothing due.

Run: python bench/engine_idle.py [--seconds 20] [--tick 0.25] [--db URL]

The worker runs on a fresh SQLite file holding one sandbox account and one post due in a week
(so every tick asks ``next_wake()`` and finds nothing due). After it has started (its heartbeat
row appears) CPU time (user + system, from /proc/<pid>/stat) is measured over ``--seconds`` and
RSS (VmRSS from /proc/<pid>/status) is sampled every 0.5 s. Baseline, measured the same way in the
same run: ``python -c "import time; time.sleep(N)"``. Printed, never asserted. Linux only.
"""
from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from campaigner import db
from campaigner.app import App
from campaigner.config import resolve
from campaigner.models import Worker
from campaigner.services import accounts
from campaigner.services.planning import Draft, Planner, When
from campaigner.services.posts import write_plans

TICKS_PER_SECOND = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS_PER_SECOND  # utime, stime


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def measure(proc: subprocess.Popen, seconds: float) -> tuple[float, float, float]:
    """(CPU % of one core, mean RSS MB, max RSS MB) over ``seconds``."""
    c0, t0 = cpu_seconds(proc.pid), time.perf_counter()
    samples = []
    while time.perf_counter() - t0 < seconds:
        samples.append(rss_mb(proc.pid))
        time.sleep(0.5)
    cpu = (cpu_seconds(proc.pid) - c0) / (time.perf_counter() - t0) * 100
    return cpu, sum(samples) / len(samples), max(samples)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--tick", type=float, default=0.25)
    ap.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        cfg = tmp / "config.toml"
        cfg.write_text("")
        url = args.db or f"sqlite:///{tmp / 'idle.db'}"
        app = App(resolve({"database_url": url, "data_dir": str(tmp / "data")}, env={}, config_path=cfg))
        accounts.add(app, "sandbox", "s1")
        now = app.now()
        with db.write(app.engine) as s:
            write_plans(app, s, [Planner(app, s, now).plan(Draft(text="Minggu depan: aksi damai", accounts=["s1"],
                                                                 when=When("at", "+7d")))], now)
        env = {k: v for k, v in os.environ.items() if not k.startswith("CAMPAIGNER_")}
        env.update(CAMPAIGNER_DATABASE_URL=url, CAMPAIGNER_HOME=str(tmp / "data"), CAMPAIGNER_CONFIG=str(cfg))
        worker = subprocess.Popen([sys.executable, "-m", "campaigner", "run", "--name", "idle",
                                   "--tick", str(args.tick)], env=env, stdout=subprocess.DEVNULL,
                                  stderr=open(tmp / "worker.log", "wb"))
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                with db.read(app.engine) as s:
                    if s.scalar(select(func.count()).select_from(Worker)):
                        break
                time.sleep(0.1)
            time.sleep(1)  # let the scheduler settle after start-up (imports, first heartbeat)
            ours = measure(worker, args.seconds)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=30)
        app.close()
        sleeper = subprocess.Popen([sys.executable, "-c", f"import time; time.sleep({args.seconds + 5})"])
        try:
            time.sleep(1)
            base = measure(sleeper, args.seconds)
        finally:
            sleeper.kill()
            sleeper.wait()
    print(f"idle `campaigner run` (tick {args.tick:g} s, nothing due, "
          f"{'SQLite file' if not args.db else db.safe_url(args.db)}) over {args.seconds:g} s")
    print(f"{'':40} {'CPU % (one core)':>16} {'RSS MB mean':>12} {'RSS MB max':>11}")
    print(f"{'campaigner run':40} {ours[0]:16.2f} {ours[1]:12.1f} {ours[2]:11.1f}")
    print(f"{'baseline: python -c time.sleep()':40} {base[0]:16.2f} {base[1]:12.1f} {base[2]:11.1f}")


if __name__ == "__main__":
    main()
