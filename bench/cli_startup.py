"""How long campaigner takes to start: `--help`, and the commands staff run all day on a small
database, each next to a baseline measured in the same run.

Run: python bench/cli_startup.py [--runs 20]

Part 1, `--help`: next to `python -c pass` and another click tool (`sqlite-utils --help`). Goal:
under 100 ms on this machine class (2 cores).

Part 2, everyday commands (`post list`, `queue`, `status`, `post add … --at …`) on a small SQLite
database built once (init, 3 sandbox accounts, 20 posts), next to `sqlite-utils tables DB` on the
same file. Goal: within 1.3× of sqlite-utils, in CPU time (user + system, from
``resource.getrusage(RUSAGE_CHILDREN)`` deltas; wall time is printed too, but on a shared machine
it measures the neighbours). `post add` runs on a copy of the database, restored before each run,
so every run adds to the same 20 posts.

Part 3, warm (`campaigner warm start`, opt-in): the same everyday commands through a running warm
server, next to the same sqlite-utils baseline measured again in that part. Their CPU is the honest
total: the client process (RUSAGE_CHILDREN) + the child the server forked for the command (which
reports its own rusage; the client appends it to CAMPAIGNER_WARM_TRACE) + what the server itself
spent meanwhile (``/proc/PID/stat``: accepting, the code check, the fork).

Each command runs --runs times in a fresh process (after one untimed run that warms the file
cache); the median and min are printed. sqlite-utils is a bench-only tool, not a dependency of
campaigner: install it with `pip install sqlite-utils` (otherwise its lines say so and part 2
prints no ratios).
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

GOAL = 1.3  # everyday commands: at most this many times sqlite-utils' CPU time


def cpu_of_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd: list[str], runs: int, env: dict[str, str] | None = None,
          before=None) -> tuple[float, float, float, float]:
    """(median wall, min wall, median CPU, min CPU) in ms of ``runs`` fresh processes."""
    env = {**os.environ, **(env or {})}
    if before:
        before()
    subprocess.run(cmd, capture_output=True, check=True, env=env)  # warm the file cache
    walls, cpus = [], []
    for _ in range(runs):
        if before:
            before()
        c, t = cpu_of_children(), time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True, env=env)
        walls.append((time.perf_counter() - t) * 1000)
        cpus.append((cpu_of_children() - c) * 1000)
    return statistics.median(walls), min(walls), statistics.median(cpus), min(cpus)


def small_database(campaigner: list[str], folder: Path) -> Path:
    """init, 3 sandbox accounts (WIB and WITA), 20 posts over the next days."""
    db = folder / "campaigner.db"
    env = {**os.environ, "CAMPAIGNER_CONFIG": str(folder / "config.toml")}

    def run(*args: str) -> None:
        subprocess.run([*campaigner, "--db", str(db), *args], capture_output=True, check=True, env=env)

    run("init")
    run("account", "add", "sandbox", "serikat-a")
    run("account", "add", "sandbox", "serikat-b")
    run("account", "add", "sandbox", "serikat-c", "--timezone", "Asia/Makassar")
    soon = date.today() + timedelta(days=2)  # within `queue`'s week, never overdue
    for i in range(20):
        to = ("serikat-a", "serikat-b", "serikat-c")[i % 3]
        run("post", "add", f"Tolak potongan Tapera dari upah buruh! Aksi ke-{i + 1}", "--to", to,
            "--at", f"{soon + timedelta(days=i // 3):%Y-%m-%d} {8 + i % 10:02d}:00")
    return db


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument("--only", choices=["help", "everyday", "warm"], help="run one part only")
    args = ap.parse_args()
    bindir = Path(sys.executable).parent
    found = shutil.which("campaigner", path=str(bindir)) or shutil.which("campaigner")
    campaigner = [found] if found else [sys.executable, "-m", "campaigner"]
    su = shutil.which("sqlite-utils", path=str(bindir)) or shutil.which("sqlite-utils")
    missing = "not installed (pip install sqlite-utils for this baseline)"

    if args.only not in ("everyday", "warm"):
        rows: list[tuple] = [("python -c pass", [sys.executable, "-c", "pass"])]
        rows.append(("campaigner --help", [*campaigner, "--help"]))
        rows.append(("campaigner post add --help", [*campaigner, "post", "add", "--help"]))
        # in Indonesian: the catalog loaded; chosen by the environment, or by the config file's lang
        # (read before anything is shown)
        config = Path(tempfile.mkdtemp()) / "config.toml"
        config.write_text('lang = "id"\n')
        rows.append(("  … CAMPAIGNER_LANG=id", rows[1][1], {"CAMPAIGNER_LANG": "id"}))
        rows.append(("  … lang = \"id\" in the config", rows[1][1], {"CAMPAIGNER_CONFIG": str(config)}))
        if su:
            rows.append(("sqlite-utils --help", [su, "--help"]))
        print(f"{'--help':32} {'median ms':>10} {'min ms':>8}   ({args.runs} runs each, wall time)")
        for label, cmd, *env in rows:
            med, low, _, _ = timed(cmd, args.runs, *env)
            print(f"{label:32} {med:10.1f} {low:8.1f}")
        if not su:
            print(f"{'sqlite-utils --help':32} {missing}")
        print()

    if args.only == "help":
        return
    folder = Path(tempfile.mkdtemp(prefix="cli-startup-"))
    (folder / "config.toml").write_text("")  # an empty config: the user's own is not read
    db = small_database(campaigner, folder)
    copy = folder / "add.db"
    env = {"CAMPAIGNER_CONFIG": str(folder / "config.toml")}

    def restore() -> None:  # `post add` always adds to the same small database
        for suffix in ("-wal", "-shm"):
            Path(str(copy) + suffix).unlink(missing_ok=True)
        shutil.copyfile(db, copy)

    everyday: list[tuple] = []
    if su:
        everyday.append(("sqlite-utils tables DB", [su, "tables", str(db)], None))
    everyday += [
        ("campaigner post list", [*campaigner, "--db", str(db), "post", "list"], None),
        ("campaigner queue", [*campaigner, "--db", str(db), "queue"], None),
        ("campaigner status", [*campaigner, "--db", str(db), "status"], None),
        ("campaigner post add … --at …", [*campaigner, "--db", str(copy), "post", "add", "Upah layak untuk semua",
                                          "--to", "serikat-a", "--at", f"{date.today() + timedelta(days=3):%Y-%m-%d} 21:00"], restore),
    ]
    print(f"small database: 3 sandbox accounts, 20 posts ({db}); {args.runs} runs each")
    if args.only != "warm":
        print(f"{'command':32} {'wall median':>11} {'wall min':>9} {'CPU median':>11} {'CPU min':>8}   "
              "ratio (CPU median)")
    base = None
    for label, cmd, before in everyday if args.only != "warm" else []:
        wmed, wlow, cmed, clow = timed(cmd, args.runs, env, before)
        if label.startswith("sqlite-utils"):
            base, ratio = cmed, "baseline"
        else:
            ratio = f"{cmed / base:.2f}× (goal ≤ {GOAL}×)" if base else "—"
        print(f"{label:32} {wmed:9.1f}ms {wlow:7.1f}ms {cmed:9.1f}ms {clow:6.1f}ms   {ratio}")
    if not su:
        print(f"{'sqlite-utils tables DB':32} {missing}")
    if args.only in (None, "warm"):
        warm_part(campaigner, everyday, env, args.runs, folder)
    shutil.rmtree(folder, ignore_errors=True)


# --- part 3: through a warm server ------------------------------------------------------------


def server_cpu(pid: int) -> float:
    """The warm server's own CPU seconds so far (utime + stime of /proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def warm_part(campaigner: list[str], everyday: list[tuple], env: dict[str, str], runs: int, folder: Path) -> None:
    """The everyday commands through a warm server started for this run (in its own runtime
    folder), with the sqlite-utils baseline measured again next to them."""
    import json

    runtime = Path(tempfile.mkdtemp(prefix="cw", dir="/tmp"))  # short: a socket path is at most 107 bytes
    trace = folder / "warm-trace.jsonl"
    wenv = {**os.environ, **env, "XDG_RUNTIME_DIR": str(runtime), "CAMPAIGNER_HOME": str(folder / "data"),
            "CAMPAIGNER_WARM_TRACE": str(trace)}
    wenv.pop("CAMPAIGNER_WARM", None)
    subprocess.run([*campaigner, "warm", "start"], capture_output=True, check=True, env=wenv)
    pid = json.loads(next((runtime / "campaigner").glob("warm-*.pid")).read_text())["pid"]
    print()
    print(f"warm: everyday commands through a running warm server (pid {pid}); {runs} runs each")
    print(f"{'command':32} {'wall median':>11} {'wall min':>9} {'CPU median':>11} {'CPU min':>8}   ratio (CPU median)")
    base = None
    try:
        for label, cmd, before in everyday:
            if label.startswith("sqlite-utils"):
                wmed, wlow, cmed, clow = timed(cmd, runs, env, before)
                base = cmed
                print(f"{label:32} {wmed:9.1f}ms {wlow:7.1f}ms {cmed:9.1f}ms {clow:6.1f}ms   baseline")
                continue
            if before:
                before()
            subprocess.run(cmd, capture_output=True, check=True, env=wenv)  # warm the file cache
            walls, cpus = [], []
            for _ in range(runs):
                if before:
                    before()
                seen = len(trace.read_text().splitlines()) if trace.exists() else 0
                c, s, t = cpu_of_children(), server_cpu(pid), time.perf_counter()
                subprocess.run(cmd, capture_output=True, check=True, env=wenv)
                wall = (time.perf_counter() - t) * 1000
                client, server = cpu_of_children() - c, server_cpu(pid) - s
                lines = trace.read_text().splitlines()
                if len(lines) != seen + 1:
                    raise SystemExit(f"{label}: not run by the warm server (see {folder / 'data' / 'warm.log'})")
                child = sum(json.loads(lines[-1])["cpu"])
                walls.append(wall)
                cpus.append((client + child + server) * 1000)
            cmed = statistics.median(cpus)
            ratio = f"{cmed / base:.2f}× (goal ≤ {GOAL}×)" if base else "—"
            print(f"{'warm ' + label.removeprefix('campaigner '):32} {statistics.median(walls):9.1f}ms "
                  f"{min(walls):7.1f}ms {cmed:9.1f}ms {min(cpus):6.1f}ms   {ratio}")
    finally:
        subprocess.run([*campaigner, "warm", "stop"], capture_output=True, env=wenv)
        shutil.rmtree(runtime, ignore_errors=True)


if __name__ == "__main__":
    main()
