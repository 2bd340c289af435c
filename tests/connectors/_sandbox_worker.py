"""A child process for the sandbox concurrency test; imports only what it needs (spawn is cheap)."""
from __future__ import annotations

import uuid
from datetime import datetime, timezone
from pathlib import Path

from connectors.base import AccountConfig, OutgoingPost
from connectors.sandbox import SandboxConnector


def publish_many(state_dir: str, n: int, worker: int) -> None:
    config = AccountConfig(name="spn-sandbox", platform="sandbox", state_dir=Path(state_dir))
    conn = SandboxConnector(config, clock=lambda: datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc))
    for i in range(n):
        conn.publish(OutgoingPost(text=f"worker {worker} post {i}", idempotency_key=str(uuid.uuid4())))


if __name__ == "__main__":
    import sys

    publish_many(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]))
