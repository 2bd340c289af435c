"""The retry policy, in one place: how long to wait after a temporary failure, and when to stop."""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with jitter: ``base × 2^(n-1)``, at most ``cap``, ±``jitter``.

    After ``max_attempts`` temporary failures a delivery fails for good, with the last reason.
    Rate limits and paused accounts never spend an attempt.
    """

    max_attempts: int = 6
    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)
    jitter: float = 0.2

    def delay(self, attempt: int, rng: random.Random) -> timedelta:
        """The wait after failed attempt number ``attempt`` (1-based)."""
        raw = min(self.cap, self.base * (2 ** max(0, attempt - 1)))
        return raw * (1 + rng.uniform(-self.jitter, self.jitter))

    def gives_up(self, attempt: int) -> bool:
        return attempt >= self.max_attempts
