"""The one place that reads the wall clock. Logic takes ``now`` as an argument."""
from __future__ import annotations

from datetime import datetime, timezone


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(timezone.utc)
