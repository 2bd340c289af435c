"""How long `campaigner --help` takes, next to `python -c pass` and another click tool.

Run: python bench/cli_startup.py [--runs 20]
Goal: under 100 ms on this machine class (2 cores). Each command runs --runs times in a fresh
process; the median and min wall times are printed. sqlite-utils is the click baseline when it is
installed (pip install sqlite-utils); otherwise that line says so.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(cmd: list[str], runs: int, env: dict[str, str] | None = None) -> tuple[float, float]:
    env = {**os.environ, **(env or {})}
    subprocess.run(cmd, capture_output=True, check=True, env=env)  # warm the file cache
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, check=True, env=env)
        samples.append((time.perf_counter() - t) * 1000)
    return statistics.median(samples), min(samples)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    bindir = Path(sys.executable).parent
    campaigner = shutil.which("campaigner", path=str(bindir)) or shutil.which("campaigner")
    rows: list[tuple] = [("python -c pass", [sys.executable, "-c", "pass"])]
    rows.append(("campaigner --help", [campaigner, "--help"] if campaigner else
                 [sys.executable, "-m", "campaigner", "--help"]))
    rows.append(("campaigner post add --help", (rows[-1][1][:-1]) + ["post", "add", "--help"]))
    # in Indonesian: the catalog loaded; chosen by the environment, or by the config file's lang
    # (read before anything is shown)
    config = Path(tempfile.mkdtemp()) / "config.toml"
    config.write_text('lang = "id"\n')
    rows.append(("  … CAMPAIGNER_LANG=id", rows[1][1], {"CAMPAIGNER_LANG": "id"}))
    rows.append(("  … lang = \"id\" in the config", rows[1][1], {"CAMPAIGNER_CONFIG": str(config)}))
    su = shutil.which("sqlite-utils", path=str(bindir)) or shutil.which("sqlite-utils")
    if su:
        rows.append(("sqlite-utils --help", [su, "--help"]))
    print(f"{'command':32} {'median ms':>10} {'min ms':>8}   ({args.runs} runs each)")
    for label, cmd, *env in rows:
        med, low = timed(cmd, args.runs, *env)
        print(f"{label:32} {med:10.1f} {low:8.1f}")
    if not su:
        print("sqlite-utils --help                not installed (pip install sqlite-utils for this baseline)")


if __name__ == "__main__":
    main()
