"""The heartbeat of a publishing worker, in a thread of its own.

Every holder of accounts and claims beats — ``campaigner run`` and the one-shot ``publish`` alike —
from before it takes anything until it has given everything back. The beat runs beside the
publishing threads, so a worker waiting minutes for a slow platform still proves it is alive
and keeps what it holds; a worker that dies stops beating, and what it held is taken over when
its term runs out (at once by a worker on the same machine, which sees its process has ended).
"""
from __future__ import annotations

import logging
import threading
from datetime import timedelta
from types import TracebackType

from campaigner import db
from campaigner.services import workers
from scheduler.engine import Engine

log = logging.getLogger(__name__)


class Heartbeat:
    """``with Heartbeat(engine): …`` registers the worker, beats every ``every`` (default: a third
    of the engine's lease term) until the block ends, then removes the worker's row."""

    def __init__(self, engine: Engine, every: timedelta | None = None):
        self.engine = engine
        self.every = every or engine.lease / 3
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"heartbeat-{engine.worker}", daemon=True)

    def __enter__(self) -> "Heartbeat":
        self.engine.start()
        self._thread.start()
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._stop.set()
        self._thread.join()
        workers.forget(self.engine.app, self.engine.worker)

    def _run(self) -> None:
        while not self._stop.wait(self.every.total_seconds()):
            self.beat_once()

    def beat_once(self) -> None:
        """One beat; a failure is logged and the next beat tries again."""
        try:
            self.engine.beat()
        except Exception as exc:
            if db.is_busy(exc):  # another writer held the lock: one line
                log.warning("heartbeat of worker %s: %s", self.engine.worker, db.busy_error())
            else:  # the database may be away for a moment
                log.exception("heartbeat of worker %s failed", self.engine.worker)
