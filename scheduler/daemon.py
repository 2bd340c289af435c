"""``campaigner run``: the worker daemon. The only module that imports APScheduler.

APScheduler 3 is the metronome, the database is the truth: each worker runs its own in-memory
scheduler with a few periodic jobs; posts are rows, never APScheduler jobs. The publish job
ticks often but only asks one cheap indexed question (``Engine.next_wake``) until something is
due, so a post queued from the CLI while the daemon runs goes out on time without a restart.
"""
from __future__ import annotations

import logging
import signal
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from campaigner.app import App
from campaigner.services import workers
from scheduler.engine import Engine

log = logging.getLogger(__name__)


@dataclass
class PeriodicJob:
    """A plain function of ``now`` run every ``every`` (metrics polling, the weekly report…)."""

    name: str
    every: timedelta
    run: Callable[[datetime], None]


@dataclass
class Daemon:
    app: App
    engine: Engine
    tick: timedelta = timedelta(milliseconds=250)
    heartbeat_every: timedelta = timedelta(seconds=15)
    jobs: list[PeriodicJob] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._started = self.app.now()
        self._next_wake: datetime | None = None

    # --- job bodies: plain functions of now, tested without a scheduler -----------------------
    def publish_tick(self, now: datetime) -> int:
        """Run a publishing pass when something is due; returns how many deliveries it handled."""
        wake = self.engine.next_wake()
        self._next_wake = wake
        if wake is None or wake > now:
            return 0
        report = self.engine.run_pass()
        return report.handled + report.recovered

    def beat(self, now: datetime) -> None:
        workers.heartbeat(self.app, self.engine.worker, now, started_at=self._started)

    # --- running ------------------------------------------------------------------------------
    def _guarded(self, name: str, body: Callable[[datetime], object]) -> Callable[[], None]:
        def run() -> None:
            if self._stop.is_set():
                return
            try:
                body(self.app.now())
            except Exception:  # one bad pass must not stop the worker; the next tick tries again
                log.exception("job %s failed", name)
        return run

    def run(self) -> None:
        """Run until SIGTERM/SIGINT: in-flight work finishes, leases are released, the heartbeat
        row is removed."""
        scheduler = BackgroundScheduler(executors={"default": ThreadPoolExecutor(4)},
                                        job_defaults={"coalesce": True, "max_instances": 1,
                                                      "misfire_grace_time": None})
        scheduler.add_job(self._guarded("publish", self.publish_tick), "interval",
                          seconds=self.tick.total_seconds(), id="publish")
        scheduler.add_job(self._guarded("heartbeat", self.beat), "interval",
                          seconds=self.heartbeat_every.total_seconds(), id="heartbeat")
        for job in self.jobs:
            scheduler.add_job(self._guarded(job.name, job.run), "interval", seconds=job.every.total_seconds(),
                              id=job.name)
        previous = {sig: signal.signal(sig, lambda *_: self._stop.set()) for sig in (signal.SIGTERM, signal.SIGINT)}
        self.beat(self.app.now())
        log.info("worker %s started", self.engine.worker)
        scheduler.start()
        try:
            while not self._stop.wait(1.0):
                pass
        finally:
            log.info("worker %s stopping", self.engine.worker)
            scheduler.shutdown(wait=True)  # a pass in flight finishes (its claims end properly)
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            workers.forget(self.app, self.engine.worker)
            log.info("worker %s stopped", self.engine.worker)

    def stop(self) -> None:
        self._stop.set()
