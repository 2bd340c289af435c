"""The retry policy, in one place: how long to wait after a temporary failure, and when to stop;
how often to look for a post the platform says it already has, and when to ask a person."""
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
    #: the waits between looks for a post the platform says is there but no look shows yet (X's
    #: timeline lags behind new posts); the last one repeats
    looks: tuple[timedelta, ...] = (timedelta(seconds=30), timedelta(minutes=1), timedelta(minutes=2),
                                    timedelta(minutes=5), timedelta(minutes=10))
    #: how long to keep looking, from the first call whose outcome was unknown, before a person is asked
    look_for: timedelta = timedelta(hours=6)

    def delay(self, attempt: int, rng: random.Random) -> timedelta:
        """The wait after failed attempt number ``attempt`` (1-based)."""
        raw = min(self.cap, self.base * (2 ** max(0, attempt - 1)))
        return raw * (1 + rng.uniform(-self.jitter, self.jitter))

    def gives_up(self, attempt: int) -> bool:
        return attempt >= self.max_attempts

    def look_delay(self, looks: int) -> timedelta:
        """The wait before the next look, after ``looks`` looks that did not find the post."""
        return self.looks[min(looks, len(self.looks) - 1)]
