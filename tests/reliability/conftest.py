"""Reliability tests: workers killed with SIGKILL, flaky platforms, several workers at once.

What they share: an App on the real clock (the ``campaigner run`` subprocesses use the real
clock, so what they find due must be due in real time), a bulk queue helper (one transaction
for hundreds of deliveries), fakes started on the real clock, worker subprocesses whose output
goes to a file (a pipe nobody reads would fill up and stall the worker), and read-only queries
on the database the workers write to.
"""
from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterable, Sequence

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from campaigner import db
from campaigner.app import App
from campaigner.config import resolve
from campaigner.models import Attempt, Delivery, DeliveryStatus as S
from campaigner.secrets import env_name
from campaigner.services import accounts as accounts_svc
from campaigner.services.planning import Draft, Planner, When
from campaigner.services.posts import write_plans


def real_now() -> datetime:
    return datetime.now(timezone.utc)


@pytest.fixture
def real_app(db_url, home):
    """An App on the real clock (what a ``campaigner run`` subprocess sees)."""
    a = App(resolve({"database_url": db_url}), now=real_now)
    yield a
    a.close()


def add_account(app: App, platform: str, name: str, *, base_url: str | None = None,
                secrets: dict[str, str] | None = None, monkeypatch=None, daily_cap: int | None = 10_000) -> None:
    """An account with a high daily cap (X's default of 17 would defer most of a big batch);
    its secrets go into the environment, where worker subprocesses find them too."""
    accounts_svc.add(app, platform, name, base_url=base_url, daily_cap=daily_cap)
    for field, value in (secrets or {}).items():
        monkeypatch.setenv(env_name(name, field), value)


def queue_posts(app: App, texts: Iterable[str], accounts: Sequence[str], *, when: When = When("now")) -> list[int]:
    """Queue one post per text on every account in ``accounts``, all in one transaction."""
    now = app.now()
    with db.write(app.engine) as s:
        planner = Planner(app, s, now)
        plans = [planner.plan(Draft(text=t, accounts=list(accounts), when=when)) for t in texts]
        return write_plans(app, s, plans, now)


@pytest.fixture
def real_fakes():
    """``real_fakes("x", latency=0.03)`` → a started fake on the real clock, stopped after the test."""
    started = []

    def make(platform: str, *, latency: float = 0.0):
        fake = importlib.import_module(f"tests.fakes.{platform}").Fake()
        fake.latency = latency
        fake.start()
        started.append(fake)
        return fake

    yield make
    for fake in started:
        fake.stop()


# --- reading the database the workers write ---------------------------------------------------
def status_counts(engine) -> Counter:
    with Session(engine) as s:
        return Counter({S(k).value: v for k, v in s.execute(select(Delivery.status, func.count())
                                                            .group_by(Delivery.status)).all()})


def attempt_count(engine, **where) -> int:
    q = select(func.count()).select_from(Attempt)
    for k, v in where.items():
        q = q.where(getattr(Attempt, k).is_(None) if v is None else getattr(Attempt, k) == v)
    with Session(engine) as s:
        return s.scalar(q) or 0


def all_deliveries(engine) -> list[Delivery]:
    with Session(engine) as s:
        return list(s.scalars(select(Delivery).options(
            selectinload(Delivery.parts), selectinload(Delivery.attempts), selectinload(Delivery.account))
            .order_by(Delivery.id)))


def wait_for(predicate: Callable[[], bool], timeout: float, every: float = 0.02) -> bool:
    """Poll ``predicate`` (observable progress of another process) until true or ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(every)


def wait_while_running(predicate: Callable[[], bool], procs: Sequence["WorkerProcess"], timeout: float,
                       every: float = 0.1) -> bool:
    """``wait_for``, failing at once (with its log) if a worker exits on its own meanwhile."""
    def check() -> bool:
        for w in procs:
            if w.proc.poll() is not None:
                raise AssertionError(f"worker {w.name} exited with {w.proc.returncode}:\n{w.log()[-3000:]}")
        return predicate()
    return wait_for(check, timeout, every)


# --- worker subprocesses ----------------------------------------------------------------------
@dataclass
class WorkerProcess:
    """One ``python -m campaigner run`` subprocess; its log goes to a file (see ``log``)."""

    name: str
    proc: subprocess.Popen
    log_path: Path

    def kill9(self) -> None:
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)

    def stop(self, timeout: float = 60) -> int:
        """SIGTERM, then wait: in-flight work finishes and leases are released."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


@pytest.fixture
def workers(tmp_path):
    """``workers.start(name, db_url, *args)`` → a running worker; every one still running is killed
    at the end of the test."""
    started: list[WorkerProcess] = []

    class Starter:
        def start(self, name: str, db_url: str, *args: str) -> WorkerProcess:
            log_path = tmp_path / f"worker-{name}.log"
            env = {**os.environ, "CAMPAIGNER_DATABASE_URL": db_url, "PYTHONUNBUFFERED": "1"}
            with open(log_path, "wb") as log:
                proc = subprocess.Popen([sys.executable, "-m", "campaigner", "run", "--name", name, *args],
                                        env=env, stdout=log, stderr=subprocess.STDOUT)
            w = WorkerProcess(name, proc, log_path)
            started.append(w)
            return w

    yield Starter()
    for w in started:
        if w.proc.poll() is None:
            w.proc.kill()
            w.proc.wait()
