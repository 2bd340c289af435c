"""When a platform token counts as expiring: ``services.credentials`` raises its alert, ``status``
and the weekly report list it (without loading the connectors)."""
from __future__ import annotations

from datetime import datetime, timedelta

#: warn about a token expiring this soon
TOKEN_WARNING = timedelta(days=14)


def expires_soon(expires_at: datetime | None, now: datetime) -> bool:
    """Whether a token expiring at ``expires_at`` is within ``TOKEN_WARNING`` (or past it)."""
    return expires_at is not None and expires_at <= now + TOKEN_WARNING
