"""Leases during long batches: the account lease is renewed as deliveries finish, and a claim that
ran out during a call still gets its known outcome recorded (never sent again). Claims given back
unused keep an unknown outcome unconfirmed and never touch another worker's claim."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from campaigner.models import Delivery, DeliveryStatus as S
from campaigner.services.accounts import connector_config
from connectors.registry import build_connector
from scheduler.engine import RECONCILE_DELAY
from tests.engine.conftest import account, deliveries
from tests.fakes.server import Failure


class SlowConnector:
    """The real sandbox connector whose publish call takes ``takes`` of (injected) time; ``during``
    runs in the middle of each call (another worker acting meanwhile)."""

    def __init__(self, inner, clock, takes: timedelta, during=None):
        self.inner, self.clock, self.takes, self.during = inner, clock, takes, during
        self.calls = 0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def publish(self, post):
        self.calls += 1
        self.clock.now += self.takes / 2
        if self.during is not None:
            self.during(self.calls)
        self.clock.now += self.takes / 2
        return self.inner.publish(post)


def _slow_factory(app, clock, made, **kw):
    def factory(acc):
        conn = SlowConnector(build_connector(connector_config(app, acc), clock=app.now), clock, **kw)
        made.append(conn)
        return conn
    return factory


def test_account_lease_is_renewed_while_a_long_batch_runs(cli, app, engine_for, engine):
    cli.ok("account", "add", "sandbox", "s1")
    for i in range(4):
        cli.ok("post", "add", f"Pesan {i}", "--to", "s1", "--now")
    lease = timedelta(minutes=1)
    other = engine_for("B", lease=lease)
    seen = []

    def meanwhile(call):
        # by the 3rd and 4th calls the batch has run longer than one lease term (40 s per call)
        report = other.run_pass()
        seen.append((cli.clock.now - start, report.recovered, report.handled, other.recover(cli.clock.now)))
        acc = account(engine, "s1")  # A's account lease itself was renewed, not only its claims
        assert acc.lease_owner == "A" and acc.lease_until > cli.clock.now

    made = []
    a = engine_for("A", lease=lease, connector_factory=_slow_factory(app, cli.clock, made,
                                                                     takes=timedelta(seconds=40), during=meanwhile))
    start = cli.clock.now
    report = a.run_pass()
    assert sorted(report.published) == [1, 2, 3, 4]
    assert [elapsed for elapsed, *_ in seen] == [timedelta(seconds=s) for s in (20, 60, 100, 140)]
    # the lease (and the waiting claims) got a new term as deliveries finished: B never got in
    assert [counts for _, *counts in seen] == [[0, 0, 0]] * 4
    ds = deliveries(engine)
    assert all(d.status == S.PUBLISHED for d in ds)
    assert [[(x.worker, x.outcome) for x in d.attempts] for d in ds] == [[("A", "published")]] * 4
    assert made[0].calls == 4
    assert len(made[0].inner.store.read()["posts"]) == 4  # each sent once
    acc = account(engine, "s1")
    assert acc.lease_owner is None and acc.lease_until is None  # given back at the end


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
    assert made[0].calls == 1 and len(made[0].inner.store.read()["posts"]) == 1


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
    batch = a._take(set())
    assert [d.id for d in batch.deliveries] == [1, 2]
    with Session(engine) as s:  # as after recovery and B's new claim
        s.get(Delivery, 2).claimed_by = "B"
        s.commit()
    cli.clock.advance(seconds=5)
    a._unclaim(batch.deliveries)
    mine, theirs = deliveries(engine)
    assert (mine.status, mine.claimed_by, mine.lease_until, mine.updated_at) == (S.QUEUED, None, None, cli.clock.now)
    assert (theirs.status, theirs.claimed_by, theirs.lease_until) == (S.PUBLISHING, "B", batch.renewed_at + a.lease)
