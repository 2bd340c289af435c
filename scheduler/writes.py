"""The publishing engine's write transactions, where a call's outcome rides with the thread's next write.

Each platform call needs its attempt row committed before it, and its outcome committed after
it. Written alone, that is two write transactions per delivery, and SQLite has one writer: with
ten threads, time goes to waiting in ``BEGIN IMMEDIATE``. So an outcome is not committed alone:
``later`` keeps it in memory (per thread) and the thread's next transaction (``begin``) writes it
first, the next delivery's attempt start or the batch's end, in one commit. On SQLite the
threads of one engine also take turns on a lock, not in SQLite's sleeping busy handler.

What keeps this safe is that nothing goes out between the two. The thread's next platform call
needs its attempt committed first, so that commit also carries the previous outcome, and the
engine flushes before it gives the account back or reads its counts. A crash in the moment
between leaves the attempt unfinished, which recovery already treats as outcome unknown: the
post is looked for on the platform and never re-sent blind.
"""
from __future__ import annotations

import contextlib
import logging
import threading
from typing import Callable, Iterator

from sqlalchemy.engine import Connection, Engine

from campaigner import db

log = logging.getLogger(__name__)
#: a deferred write: runs inside the transaction that carries it (what it returns is not used)
Write = Callable[[Connection], object]


class Writes:
    """Write transactions on ``engine`` (``BEGIN IMMEDIATE`` on SQLite, one of the engine's threads at
    a time), each thread with its own deferred writes."""

    def __init__(self, engine: Engine):
        self.engine = engine
        self._bind = db.writer(engine)
        self._local = threading.local()
        #: SQLite has one writer: the engine's threads wait for it here, each woken as soon as it is
        #: free, rather than in SQLite's busy handler, which sleeps 1, 2, 5, 10… ms between tries
        #: (re-entrant: a nested transaction fails in SQLite as before, instead of hanging here)
        self._lock: contextlib.AbstractContextManager = (
            threading.RLock() if engine.dialect.name == "sqlite" else contextlib.nullcontext())

    def _pending(self) -> list[Write]:
        try:
            return self._local.pending
        except AttributeError:
            self._local.pending, self._local.refused_once = [], set()
            return self._local.pending

    def later(self, write: Write) -> None:
        """Run ``write`` at the start of this thread's next transaction."""
        self._pending().append(write)

    @contextlib.contextmanager
    def begin(self) -> Iterator[Connection]:
        """A write transaction: this thread's deferred writes first, then the caller's; commits at
        the end, rolls back on error. Deferred writes rolled back with it (a lock timeout, a dropped
        connection, the caller's statement failing) are kept for the thread's next transaction: one
        may be a post that went out, which must not wait for a look on the platform (or a person, on
        Telegram). Rolled back, they are safe to run again. Only deferred writes refused twice — the
        one whose statement failed, or all of them when the commit did; not for a lock wait, a lost
        connection or the caller's own statement — are given up, logged, so a write the database
        refuses cannot block every later one."""
        pending = self._pending()
        refused_once: set[Write] = self._local.refused_once  # deferred writes that failed themselves once
        carried, pending[:] = pending[:], []
        running: Write | None = None  # the deferred write being run, if the failure is there
        committing = False  # the caller's part is done: a failure now is the commit's
        try:
            with self._lock, self._bind.begin() as conn:
                for running in carried:
                    running(conn)
                running = None
                yield conn
                committing = True
        except BaseException as exc:
            # a lock wait or a lost connection is no write's fault; nor is the caller's own failure
            blamed = [] if db.is_busy(exc) or getattr(exc, "connection_invalidated", False) else (
                [running] if running is not None else carried if committing else [])
            given_up = [w for w in blamed if w in refused_once]
            refused_once.difference_update(given_up)
            refused_once.update(w for w in blamed if w not in given_up)
            pending[:0] = [w for w in carried if w not in given_up]
            if given_up:
                log.error("%d deferred engine write(s) failed twice and were given up (%s); their deliveries "
                          "are settled when their claims are recovered", len(given_up), exc)
            raise
        refused_once.difference_update(carried)

    def flush(self) -> None:
        """Commit this thread's deferred writes now (nothing happens when there are none)."""
        if self._pending():
            with self.begin():
                pass
