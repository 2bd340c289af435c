"""The sandbox's cost per call as an account's posts grow: 10, 1,000 and 10,000 posts on one account.

Run: python bench/sandbox_calls.py [--sizes 10,1000,10000] [--calls 20] [--baseline-rev 6fd1dbf]

For each size the account is filled at once (a state file written directly, not N calls), then
``--calls`` calls of each kind are timed one by one: ``publish`` (a new post: a write),
``metrics`` of one post and ``find_existing`` (reads). Two stores side by side, in this process:
- **sqlite**: this checkout's ``connectors/sandbox.py`` (one SQLite file per account, WAL,
  ``synchronous=FULL``; it imports the filled JSON file on first open, outside the timing);
- **json (baseline)**: ``connectors/sandbox.py`` as of ``--baseline-rev`` (default ``6fd1dbf``,
  the last version with the JSON store: load the whole file, serialise it twice, rewrite it and
  fsync on every call), read with ``git show`` and loaded as a module of its own.
Figures are medians in milliseconds per call, printed, never asserted. Both stores fsync, so the
disk's flush time is in both.
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from connectors import sandbox as current  # noqa: E402
from connectors.base import AccountConfig, OutgoingPost  # noqa: E402

T0 = datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)
ACCOUNT = "spn-sandbox"


def baseline_module(rev: str, folder: Path) -> ModuleType:
    source = subprocess.run(["git", "-C", str(ROOT), "show", f"{rev}:connectors/sandbox.py"],
                            check=True, capture_output=True, text=True).stdout
    path = folder / "sandbox_json_baseline.py"
    path.write_text(source, encoding="utf-8")
    spec = importlib.util.spec_from_file_location("sandbox_json_baseline", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module          # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def fill(state_dir: Path, posts: int) -> None:
    """A JSON state file (the baseline's format, which the SQLite store imports) with ``posts`` posts."""
    state = {"version": 1, "account": ACCOUNT, "next_id": posts + 1, "overrides": {}, "extra_replies": {},
             "faults": [], "auth_expired": False,
             "posts": {f"{i:06d}": {"text": f"Tolak Tapera! post {i} #UpahLayak", "idempotency_key": f"key-{i}",
                                    "link": None, "media": [], "reply_to": None, "thread_root": None,
                                    "language": "id", "published_at": T0.isoformat()} for i in range(1, posts + 1)}}
    state_dir.mkdir(parents=True)
    (state_dir / f"sandbox-{ACCOUNT}.json").write_text(json.dumps(state, indent=1), encoding="utf-8")


def timed(calls: int, call) -> float:
    times = []
    for i in range(calls):
        start = time.perf_counter()
        call(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def measure(module: ModuleType, state_dir: Path, posts: int, calls: int) -> dict[str, float]:
    clock = lambda: T0 + timedelta(hours=6)  # noqa: E731
    conn = module.SandboxConnector(AccountConfig(name=ACCOUNT, platform="sandbox", state_dir=state_dir),
                                   clock=clock)
    conn.verify()                               # opens (and for sqlite imports) outside the timing
    mid = f"{max(posts // 2, 1):06d}"
    return {
        "publish": timed(calls, lambda i: conn.publish(OutgoingPost(text=f"baru {i}", idempotency_key=str(uuid.uuid4())))),
        "metrics": timed(calls, lambda i: conn.metrics([mid])),
        "find_existing": timed(calls, lambda i: conn.find_existing(
            OutgoingPost(text="x", idempotency_key=f"key-{posts}"), T0)),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10,1000,10000")
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--baseline-rev", default="6fd1dbf")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as tmp:
        folder = Path(tmp)
        old = baseline_module(args.baseline_rev, folder)
        print(f"Sandbox cost per call, median of {args.calls} calls each, ms "
              f"(json = connectors/sandbox.py at {args.baseline_rev}; sqlite = this checkout)")
        print(f"{'posts':>7}  {'call':<14}{'json (baseline)':>16}{'sqlite':>10}{'ratio':>9}")
        for n in sizes:
            results = {}
            for name, module in (("json", old), ("sqlite", current)):
                state_dir = folder / f"{name}-{n}"
                fill(state_dir, n)
                results[name] = measure(module, state_dir, n, args.calls)
            for call in ("publish", "metrics", "find_existing"):
                j, s = results["json"][call], results["sqlite"][call]
                print(f"{n:>7}  {call:<14}{j:>16.2f}{s:>10.2f}{j / s:>8.1f}x")


if __name__ == "__main__":
    main()
