"""Publishing passes with several threads: nothing the threads share breaks under real contention.

``campaigner publish`` once crashed with "dictionary changed size during iteration" (1 run in
about 45, with Facebook, X, Telegram and sandbox accounts): building a connector registers its
token with ``connectors.logsafe``, which walked the logging module's table of loggers while
another thread created a logger (a library imported lazily: tweepy by the first X connector,
or a module that a worker's other job imports when it first runs). Here passes with four threads
run again and again over sixteen accounts on fakes served over HTTP, while another thread keeps
creating loggers, with Python switching threads as often as it can (so a race that needs an
unlucky switch gets thousands of chances). Every pass must finish and every post go out once.
"""
from __future__ import annotations

import contextlib
import importlib
import logging
import sys
import threading
from collections import Counter
from typing import Iterator

import pytest

from campaigner.models import DeliveryStatus as S
from scheduler.engine import Engine
from tests.reliability.conftest import add_account, all_deliveries, queue_posts

PLATFORMS = ("x", "facebook", "telegram", "sandbox")
PER_PLATFORM = 4
ROUNDS = 6


@pytest.fixture
def busy_switching():
    """Threads switch every microsecond (CPython's default is 5 ms) for the test's duration."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(before)


@contextlib.contextmanager
def lazy_imports() -> Iterator[None]:
    """A thread that keeps creating loggers, as modules imported lazily in other threads do (only
    inside the test body: pytest itself walks the loggers between a test's phases)."""
    stop = threading.Event()

    def run() -> None:
        n = 0
        while not stop.is_set():
            logging.getLogger(f"tests.lazily_imported.module{n}")
            n += 1
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
        manager = logging.root.manager
        for name in [n for n in list(manager.loggerDict) if n.startswith("tests.lazily_imported")]:
            manager.loggerDict.pop(name, None)


def test_passes_with_four_threads_over_many_accounts_never_trip_over_shared_state(
        app, clock, serve, monkeypatch, busy_switching):
    fakes = {}
    for platform in PLATFORMS:
        fake = None
        if platform != "sandbox":
            fake = serve(importlib.import_module(f"tests.fakes.{platform}").Fake())
        for n in range(PER_PLATFORM):
            name = f"{platform[:2]}{n}"
            add_account(app, platform, name, base_url=fake.base_url if fake else None,
                        secrets=dict(fake.account_config().secrets) if fake else None, monkeypatch=monkeypatch)
            fakes[name] = fake
    for round_no in range(ROUNDS):
        for name in fakes:  # one text per account and round (X refuses the same text twice)
            queue_posts(app, [f"Putaran {round_no}: tolak upah murah! ({name})"], [name])
        # a new engine each round, as each cron ``publish`` is a new process: connectors built afresh
        with lazy_imports():
            report = Engine(app, f"w{round_no}", concurrency=4).run_pass()
        assert len(report.published) == len(fakes), (round_no, report)
        clock.advance(minutes=1)
    ds = all_deliveries(app.engine)
    assert Counter(d.status for d in ds) == {S.PUBLISHED: ROUNDS * len(fakes)}
    for platform in PLATFORMS[:-1]:
        fake = fakes[f"{platform[:2]}0"]
        assert fake.create_count() == ROUNDS * PER_PLATFORM, platform
        assert sorted(Counter(fake.posts().values()).values()) == [1] * (ROUNDS * PER_PLATFORM), platform
