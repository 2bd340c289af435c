"""A child process for the memory tests: checks a Mastodon account against a hostile server and
prints, as JSON, what it raised and how much its peak memory grew during the call.

Its address space is capped (a few hundred MB over what it has after start-up), so a client that
reads without a bound fails with ``MemoryError`` instead of taking the machine's memory.
"""
from __future__ import annotations

import json
import resource
import sys

from connectors.base import AccountConfig
from connectors.mastodon import MastodonConnector

HEADROOM = 768 * 1024 * 1024


def _virtual_size() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmSize")


def main(base_url: str) -> None:
    config = AccountConfig(name="m-hostile", platform="mastodon", base_url=base_url,
                           secrets={"ACCESS_TOKEN": "mstdn-memory-test-token"}, timeout=30.0)
    connector = MastodonConnector(config)
    limit = _virtual_size() + HEADROOM
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        connector.verify()
        raised, message = None, ""
    except (Exception, MemoryError) as exc:
        raised, message = type(exc).__name__, str(exc)
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    print(json.dumps({"raised": raised, "message": message, "grown_mb": grown_kb / 1024}))


if __name__ == "__main__":
    main(sys.argv[1])
