"""Leases and liveness. A holder's accounts and claims stay its own while it beats (a live slow
worker is never robbed); a holder that stopped beating loses them when its term runs out, and one
whose process has ended on this machine loses them at once — taken over and reconciled, never
re-sent blind. A claim that ran out during a call still gets its known outcome recorded (never
sent again). Claims given back unused keep an unknown outcome unconfirmed and never touch another
worker's claim."""
from __future__ import annotations

import logging
import os
import subprocess
import sys
from dataclasses import replace
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigner.models import Delivery, DeliveryStatus as S, Worker
from campaigner.processes import identify, this_process
from campaigner.services.accounts import connector_config
from connectors.registry import build_connector
from scheduler.daemon import Daemon
from scheduler.engine import LEASE, RECONCILE_DELAY
from tests.engine.conftest import account, deliveries
from tests.fakes.server import Failure

class SlowConnector:
    """The real sandbox connector whose publish call takes ``takes`` of (injected) time; ``during``
    runs in the middle of each call (another worker acting meanwhile), and ``heartbeat`` every
    ``every`` of it (what the holder's heartbeat thread does while its publishing thread waits)."""

    def __init__(self, inner, clock, takes: timedelta, during=None, heartbeat=None,
                 every: timedelta = LEASE / 3):
        self.inner, self.clock, self.takes, self.during = inner, clock, takes, during
        self.heartbeat, self.every = heartbeat, every
        self.calls = 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def publish(self, post):
        self.calls += 1
        self._wait(self.takes / 2)
        if self.during is not None:
            self.during(self.calls)
        self._wait(self.takes / 2)
        return self.inner.publish(post)

    def _wait(self, span: timedelta) -> None:
        end = self.clock.now + span
        while self.heartbeat is not None and self.clock.now + self.every <= end:
            self.clock.now += self.every
            self.heartbeat()
        self.clock.now = end


def _slow_factory(app, clock, made, **kw):
    def factory(acc):
        conn = SlowConnector(build_connector(connector_config(app, acc), clock=app.now), clock, **kw)
        made.append(conn)
        return conn
    return factory


def _queue(cli, n: int, account_name: str = "s1") -> None:
    cli.ok("account", "add", "sandbox", account_name)
    for i in range(n):
        cli.ok("post", "add", f"Pesan {i}", "--to", account_name, "--now")


def _workers(engine) -> dict[str, Worker]:
    with Session(engine) as s:
        return {w.name: w for w in s.scalars(select(Worker))}


def test_a_live_slow_worker_keeps_its_account_and_claims(cli, app, engine_for, engine):
    """Each call takes 40 s, longer than the 30 s term; A's heartbeat (every 10 s, whatever its
    publishing thread waits for) gives what it holds a new term, so worker B, passing in the middle
    of each call, never takes A's account or its claims."""
    _queue(cli, 4)
    other = engine_for("B")
    seen = []

    def meanwhile(call):
        report = other.run_pass()
        seen.append((cli.clock.now - start, report.recovered, report.handled, other.recover(cli.clock.now)))
        acc = account(engine, "s1")
        assert acc.lease_owner == "A" and acc.lease_until > cli.clock.now

    made = []
    a = engine_for("A", connector_factory=_slow_factory(app, cli.clock, made, takes=timedelta(seconds=40),
                                                        during=meanwhile, heartbeat=lambda: a.beat()))
    a.start()
    other.start()
    start = cli.clock.now
    report = a.run_pass()
    assert sorted(report.published) == [1, 2, 3, 4]
    assert [elapsed for elapsed, *_ in seen] == [timedelta(seconds=s) for s in (20, 60, 100, 140)]
    assert [counts for _, *counts in seen] == [[0, 0, 0]] * 4  # B never got in
    ds = deliveries(engine)
    assert all(d.status == S.PUBLISHED for d in ds)
    assert [[(x.worker, x.outcome) for x in d.attempts] for d in ds] == [[("A", "published")]] * 4
    assert made[0].calls == 4
    assert len(made[0].inner.store.posts()) == 4  # each sent once
    acc = account(engine, "s1")
    assert acc.lease_owner is None and acc.lease_until is None  # given back at the end


def _died_mid_batch(cli, engine_for, holder):
    """``holder`` leases s1 with its three deliveries and dies during the call for the first."""
    _queue(cli, 3)
    holder.start()
    batch = holder._take(set())
    first, *rest = [d.id for d in batch.deliveries]
    assert holder._start_attempt(first, 0, "publish") is not None
    return first, rest


def _taken_over(engine, clock, first, rest, report, dead: str) -> None:
    """The dead holder's un-started deliveries went out; the one whose call had started waits to be
    looked for (never re-sent blind)."""
    assert report.recovered == 3 and sorted(report.published) == rest
    by_id = {d.id: d for d in deliveries(engine)}
    d = by_id[first]
    assert (d.status, d.next_attempt_at, d.claimed_by) == (S.UNCONFIRMED, clock.now + RECONCILE_DELAY, None)
    assert [(x.worker, x.outcome, x.error) for x in d.attempts] == [
        (dead, "unknown", f"worker {dead} stopped during the call")]


def test_a_worker_on_another_machine_that_stopped_beating_loses_its_work_after_its_term(
        cli, app, engine_for, engine):
    """A's row says it runs on another machine, so only its heartbeat tells: B leaves A's account
    and claims alone until 30 s after A's last beat, then takes them over."""
    a = engine_for("A")
    a.process = replace(a.process, hostname="db2.example", machine="another-boot/pid:[4026531836]")
    first, rest = _died_mid_batch(cli, engine_for, a)
    cli.clock.advance(seconds=10)
    a.beat()  # its last beat
    b = engine_for("B")
    b.start()
    cli.clock.advance(seconds=29)
    assert b.next_wake() == cli.clock.now + timedelta(seconds=1)  # when A's term runs out
    assert (b.run_pass().handled, b.recover(cli.clock.now)) == (0, 0)
    cli.clock.advance(seconds=1, microseconds=1)
    _taken_over(engine, cli.clock, first, rest, b.run_pass(), "A")
    assert "A" in _workers(engine)  # its machine may be down: `status` shows it stale
    cli.clock.advance(seconds=RECONCILE_DELAY.total_seconds())
    assert b.run_pass().published == [first]  # the sandbox can look: not there, so sent once


@pytest.fixture
def child():
    """A real process of this machine, started for the test (ended at the latest after it)."""
    proc = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    yield proc
    if proc.poll() is None:
        proc.kill()
        proc.wait()


def test_a_worker_whose_process_ended_on_this_machine_loses_its_work_at_once(cli, app, engine_for, engine, child):
    """A is a real process of this machine. While it runs its claims are left alone (its term has
    not run out); once it has ended, B takes over at once — no clock moves — and forgets A's row."""
    a = engine_for("A")
    a.process = identify(child.pid)
    first, rest = _died_mid_batch(cli, engine_for, a)
    b = engine_for("B")
    b.start()
    assert b.next_wake() == cli.clock.now + LEASE
    assert (b.run_pass().handled, b.recover(cli.clock.now)) == (0, 0)  # alive: hands off
    child.kill()
    child.wait()
    assert b.next_wake() == cli.clock.now
    _taken_over(engine, cli.clock, first, rest, b.run_pass(), "A")
    assert sorted(_workers(engine)) == ["B"]  # A's row is gone with its process


def test_the_daemon_takes_over_from_an_ended_worker_at_its_next_tick(cli, app, engine_for, engine, child):
    """The daemon's tick asks ``next_wake`` after taking its own "now"; with a clock that moves on
    every reading (as the real one does), work held by an ended process is still due at once."""
    a = engine_for("A")
    a.process = identify(child.pid)
    first, rest = _died_mid_batch(cli, engine_for, a)
    child.kill()
    child.wait()
    app.now = lambda: cli.clock.advance(microseconds=1)
    daemon = Daemon(app, engine_for("B"))
    assert daemon.publish_tick(app.now()) == 3 + len(rest)  # recovered 3, then published the un-started
    assert sorted(d.id for d in deliveries(engine) if d.status == S.PUBLISHED) == rest


def test_a_pid_that_now_belongs_to_another_process_is_not_the_worker(cli, app, engine_for, engine):
    """A's row names this test's own pid, but a start time that is not this process's: the pid was
    reused after A died. A is dead; its work is taken over at once."""
    a = engine_for("A")
    a.process = replace(this_process(), start=this_process().start - 1)
    first, rest = _died_mid_batch(cli, engine_for, a)
    b = engine_for("B")
    b.start()
    _taken_over(engine, cli.clock, first, rest, b.run_pass(), "A")


def test_a_restarted_worker_takes_over_what_its_predecessor_of_the_same_name_held(cli, app, engine_for, engine,
                                                                                   child):
    """``run --name w`` crashed and was restarted under the same name: what the database says ``w``
    holds is the dead predecessor's, taken over as the new ``w`` starts."""
    old = engine_for("w")
    old.process = identify(child.pid)
    first, rest = _died_mid_batch(cli, engine_for, old)
    child.kill()
    child.wait()
    new = engine_for("w")
    new.start()
    assert _workers(engine)["w"].pid == os.getpid()
    [d] = [d for d in deliveries(engine) if d.id == first]
    assert (d.status, [(x.worker, x.outcome) for x in d.attempts]) == (S.UNCONFIRMED, [("w", "unknown")])
    assert sorted(new.run_pass().published) == rest


@pytest.fixture
def log_levels():
    """``run`` turns the root logger's level to INFO (a worker logs each publish): put it back."""
    loggers = [logging.getLogger(), logging.getLogger("apscheduler")]
    before = [x.level for x in loggers]
    yield
    for x, level in zip(loggers, before):
        x.setLevel(level)


def test_a_second_worker_of_the_same_name_on_this_machine_is_refused(cli, app, engine_for, engine, child, log_levels):
    """Two live workers may not share a name (each would take the other's claims for its own)."""
    other = engine_for("w")
    other.process = identify(child.pid)
    other.start()
    r = cli("run", "--name", "w")
    assert (r.exit_code, r.stderr) == (1, f"Error: a worker named 'w' is already running on this machine "
                                          f"(pid {child.pid}) — give this one another name with --name\n")
    assert _workers(engine)["w"].pid == child.pid  # untouched


def test_outcome_of_a_call_that_outlived_its_claim_is_still_recorded(cli, app, engine_for, engine):
    """Worker A's call stalls past its lease; B recovers the claim (the outcome is unknown to B, so
    the delivery becomes unconfirmed). A's call then succeeds: A records it as published, and
    nobody looks for it or sends it again."""
    cli.ok("account", "add", "sandbox", "s1")
    cli.ok("post", "add", "Rapat akbar Sabtu ini", "--to", "s1", "--now")
    lease = timedelta(minutes=1)
    b = engine_for("B", lease=lease)
    recovered = []
    made = []
    a = engine_for("A", lease=lease, connector_factory=_slow_factory(
        app, cli.clock, made, takes=timedelta(minutes=3), during=lambda call: recovered.append(b.run_pass())))
    report = a.run_pass()
    assert recovered[0].recovered == 1 and recovered[0].handled == 0  # B only waits to look later
    assert report.published == [1]
    [d] = deliveries(engine)
    assert d.status == S.PUBLISHED and d.remote_id is not None and d.claimed_by is None
    assert [(x.worker, x.kind, x.outcome) for x in d.attempts] == [("A", "publish", "published")]
    cli.clock.advance(minutes=5)
    assert b.run_pass().handled == 0 and a.run_pass().handled == 0
    assert made[0].calls == 1 and len(made[0].inner.store.posts()) == 1


def test_a_late_success_takes_the_delivery_from_a_new_owner(cli, app, engine_for, engine):
    """A's claim ran out during its call and worker B has claimed the delivery since. A's call then
    succeeds: "published" is the one outcome that takes the delivery (B's look would find it)."""
    cli.ok("account", "add", "sandbox", "s1")
    cli.ok("post", "add", "Rapat akbar Sabtu ini", "--to", "s1", "--now")

    def b_claims_it(call):
        with Session(engine) as s:  # as after B's recovery and new claim
            row = s.get(Delivery, 1)
            row.status, row.claimed_by = S.PUBLISHING, "B"
            s.commit()
    made = []
    a = engine_for("A", lease=timedelta(minutes=1), connector_factory=_slow_factory(
        app, cli.clock, made, takes=timedelta(minutes=3), during=b_claims_it))
    assert a.run_pass().published == [1]
    [d] = deliveries(engine)
    assert (d.status, d.claimed_by) == (S.PUBLISHED, None) and made[0].calls == 1


def test_a_late_failure_never_takes_a_delivery_from_its_new_owner(cli, app, engine_for, engine):
    """A's claim ran out during its call and worker B claimed the delivery since (B may be sending
    it right now). A's call then fails with a plain error: A must leave B's claim alone — putting
    the delivery back in the queue could have it sent a second time."""
    cli.ok("account", "add", "sandbox", "s1")
    cli.ok("post", "add", "Rapat akbar Sabtu ini", "--to", "s1", "--now")
    a = engine_for("A")
    batch = a._take(set())
    [d] = batch.deliveries
    with Session(engine) as s:  # as after recovery and B's new claim
        s.get(Delivery, d.id).claimed_by = "B"
        s.commit()
    assert a._retry(d, batch, "503 Service Unavailable") == "retrying"
    [row] = deliveries(engine)
    assert (row.status, row.claimed_by, row.attempt_count) == (S.PUBLISHING, "B", 0)


def test_claims_given_back_unused_keep_an_unknown_outcome_unconfirmed(cli, app, engine_for, engine, platform_account):
    """A batch stops early (a retry) with a delivery behind it whose last call's outcome is unknown:
    that claim goes back as unconfirmed, to be looked for later — never queued to be sent blind."""
    fake = platform_account("mastodon", "m1")
    cli.ok("post", "add", "Satu", "--to", "m1", "--now")
    fake.fail_next(Failure.DROP_AFTER, path_contains="/api/v1/statuses")
    e = engine_for()
    assert e.run_pass().unconfirmed == [1]
    cli.ok("post", "add", "Dua", "--to", "m1", "--now")
    with Session(engine) as s:  # due before the first one, so it leads the next batch
        s.get(Delivery, 2).due_at = cli.clock.now - timedelta(minutes=1)
        s.commit()
    cli.clock.advance(seconds=RECONCILE_DELAY.total_seconds())
    fake.server_error_next(503)
    report = e.run_pass()
    assert report.retrying == [2] and report.handled == 1  # the first was claimed, then given back unused
    d = deliveries(engine)[0]
    assert (d.status, d.next_attempt_at, d.claimed_by, d.claimed_at, d.lease_until, d.updated_at) == (
        S.UNCONFIRMED, cli.clock.now + RECONCILE_DELAY, None, None, None, cli.clock.now)
    assert [(x.kind, x.outcome) for x in d.attempts] == [("publish", "unknown")]  # not looked for yet
    assert fake.create_count() == 1


def test_claims_given_back_unused_leave_a_new_owners_claim_alone(cli, app, engine_for, engine):
    """Giving back unused claims only touches those still ours: one that ran out and was claimed
    by worker B since stays B's."""
    cli.ok("account", "add", "sandbox", "s1")
    cli.ok("post", "add", "Satu", "--to", "s1", "--now")
    cli.ok("post", "add", "Dua", "--to", "s1", "--now")
    a = engine_for("A")
    claimed_at = cli.clock.now
    batch = a._take(set())
    assert [d.id for d in batch.deliveries] == [1, 2]
    with Session(engine) as s:  # as after recovery and B's new claim
        s.get(Delivery, 2).claimed_by = "B"
        s.commit()
    cli.clock.advance(seconds=5)
    a._unclaim(batch.deliveries)
    mine, theirs = deliveries(engine)
    assert (mine.status, mine.claimed_by, mine.lease_until, mine.updated_at) == (S.QUEUED, None, None, cli.clock.now)
    assert (theirs.status, theirs.claimed_by, theirs.lease_until) == (S.PUBLISHING, "B", claimed_at + a.lease)
