"""``campaigner run``: the worker daemon. The only module that imports APScheduler.

APScheduler 3 is the metronome, the database is the truth: each worker runs its own in-memory
scheduler with a few periodic jobs; posts are rows, never APScheduler jobs. The publish job
ticks often but only asks one cheap indexed question (``Engine.next_wake``) until something is
due, so a post queued from the CLI while the daemon runs goes out on time without a restart.
Between ticks it does not just wait for the next one: when the next due time falls before the
next tick it wakes exactly then, and after a pass that did work it goes again at once (a
backlog is worked off pass after pass, not one pass per tick).
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
from campaigner.errors import DatabaseBusy
from scheduler.engine import Engine
from scheduler.heartbeat import Heartbeat
from scheduler.jobs import PeriodicJob

log = logging.getLogger(__name__)


@dataclass
class Daemon:
    app: App
    engine: Engine
    tick: timedelta = timedelta(milliseconds=250)
    heartbeat_every: timedelta | None = None  # default: a third of the engine's lease term
    jobs: list[PeriodicJob] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._next_wake: datetime | None = None
        self._publishing = threading.Lock()

    # --- job bodies: plain functions of now, tested without a scheduler -----------------------
    def publish_tick(self, now: datetime) -> int:
        """Run a publishing pass when something is due; returns how many deliveries it handled.
        Afterwards ``_next_wake`` is when something next becomes due, as asked before the pass (after
        work the loop runs again at once; a pass that handled nothing changed nothing)."""
        wake = self.engine.next_wake()
        self._next_wake = wake
        if wake is None or wake > now:
            return 0
        report = self.engine.run_pass()
        return report.handled + report.recovered

    def next_publish(self, handled: int, now: datetime) -> datetime | None:
        """When the publish loop should run again after a tick that handled ``handled`` at ``now``:
        at once after a pass that did work (more may be due), exactly at the next due time when that
        comes before the next tick, else None (the next tick looks again; so does it for posts
        queued meanwhile by the CLI). Something due that could not be handled (e.g. its account is
        leased by another worker) waits for the next tick rather than spinning."""
        wake = self._next_wake
        if handled:
            return now
        if wake is None or wake <= now or wake >= now + self.tick:
            return None
        return wake

    def _publish_job(self) -> None:
        """The publish job: a tick, then more passes or a precise wait while that comes before the
        next tick. One loop at a time; a tick that fires while one runs returns at once."""
        if not self._publishing.acquire(blocking=False):
            return
        try:
            while not self._stop.is_set():
                now = self.app.now()
                when = self.next_publish(self.publish_tick(now), now)
                if when is None:
                    return
                delay = (when - self.app.now()).total_seconds()
                if delay > 0 and self._stop.wait(delay):
                    return
        finally:
            self._publishing.release()

    # --- running ------------------------------------------------------------------------------
    def _guarded(self, name: str, body: Callable[[datetime], object]) -> Callable[[], None]:
        def run() -> None:
            if self._stop.is_set():
                return
            try:
                body(self.app.now())
            except DatabaseBusy as exc:  # another writer held the lock: one line, the next tick tries again
                log.warning("job %s: %s", name, exc)
            except Exception:  # one bad pass must not stop the worker; the next tick tries again
                log.exception("job %s failed", name)
        return run

    def run(self) -> None:
        """Run until SIGTERM/SIGINT: in-flight work finishes, leases are released, the heartbeat
        row is removed. The heartbeat beats in a thread of its own (``Heartbeat``), never queued
        behind the jobs."""
        scheduler = BackgroundScheduler(executors={"default": ThreadPoolExecutor(4)},
                                        job_defaults={"coalesce": True, "max_instances": 1,
                                                      "misfire_grace_time": None})
        # max_instances=2: a tick that fires while the publish loop runs returns at once (no warning)
        scheduler.add_job(self._guarded("publish", lambda now: self._publish_job()), "interval",
                          seconds=self.tick.total_seconds(), id="publish", max_instances=2)
        for job in self.jobs:
            scheduler.add_job(self._guarded(job.name, job.run), "interval", seconds=job.every.total_seconds(),
                              id=job.name)
        previous = {sig: signal.signal(sig, lambda *_: self.stop()) for sig in (signal.SIGTERM, signal.SIGINT)}
        try:
            with Heartbeat(self.engine, self.heartbeat_every):
                log.info("worker %s started", self.engine.worker)
                scheduler.start()
                try:
                    while not self._stop.wait(1.0):
                        pass
                finally:
                    log.info("worker %s stopping", self.engine.worker)
                    self.engine.stopping.set()  # batches in hand stop after the delivery in flight
                    scheduler.shutdown(wait=True)  # a pass in flight finishes (its claims end properly)
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        log.info("worker %s stopped", self.engine.worker)

    def stop(self) -> None:
        self._stop.set()
        self.engine.stopping.set()
