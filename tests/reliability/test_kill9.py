"""``kill -9`` at random points: no delivery is lost and none goes out twice.

300 deliveries over six accounts (two fakes each of X, Mastodon and Bluesky, served here on
127.0.0.1 with 40 ms of latency so kills land during platform calls). A real ``campaigner run``
subprocess (real clock, short lease, fast tick) is SIGKILLed again and again — right after it
starts a call on a chosen platform, or after a random number of attempts — and restarted, until
every delivery is published. Then each fake must hold each delivery's text exactly once, every
delivery must have exactly one successful attempt, and the kills that landed mid-call must have
been reconciled (looked for on the platform) rather than re-sent blind.
"""
from __future__ import annotations

import random
import time
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigner.models import Account, Attempt, Delivery
from tests.reliability.conftest import (add_account, all_deliveries, attempt_count, queue_posts, status_counts,
                                        wait_for, wait_while_running)

SEED = 20261130
POSTS = 50
PLATFORMS = ("x", "mastodon", "bluesky")
KILLS = 6
LEASE_SECONDS = "2"
SUCCESS = {"published", "found"}


def _in_flight(engine, worker: str, platform: str | None = None) -> int:
    """Publish attempts of ``worker`` that have started and not finished (a platform call under way)."""
    q = (select(Attempt.id).join(Delivery, Delivery.id == Attempt.delivery_id)
         .join(Account, Account.id == Delivery.account_id)
         .where(Attempt.worker == worker, Attempt.kind == "publish", Attempt.finished_at.is_(None)))
    if platform:
        q = q.where(Account.platform == platform)
    with Session(engine) as s:
        return len(s.scalars(q).all())


def test_kill9_at_random_points_publishes_every_delivery_exactly_once(real_app, real_fakes, workers, engine,
                                                                       db_url, monkeypatch):
    rng = random.Random(SEED)
    fakes = {}
    for platform in PLATFORMS:
        for n in (1, 2):
            fake = real_fakes(platform, latency=0.04)
            name = f"{platform[0]}{n}"
            add_account(real_app, platform, name, base_url=fake.base_url,
                        secrets=dict(fake.account_config().secrets), monkeypatch=monkeypatch)
            fakes[name] = fake
    texts = [f"Aksi #{i:03d}: tolak Tapera, naikkan upah minimum! ({rng.getrandbits(32):08x})" for i in range(POSTS)]
    queue_posts(real_app, texts, list(fakes))
    total = POSTS * len(fakes)
    assert status_counts(engine) == {"queued": total}

    args = ("--lease-seconds", LEASE_SECONDS, "--tick", "0.05", "--concurrency", "4")
    started = time.monotonic()
    to_hit = list(PLATFORMS)       # platforms still waiting for a kill during one of their calls
    kills = mid_call_kills = 0
    for round_no in range(KILLS):
        w = workers.start(f"k{round_no}", db_url, *args)
        before = attempt_count(engine)
        platform = to_hit[0] if to_hit else None
        threshold = rng.randint(1, 12)
        if platform:   # kill right after it has started a call on this platform
            fired = wait_for(lambda: attempt_count(engine) >= before + threshold
                             and _in_flight(engine, w.name, platform) > 0, timeout=30, every=0.005)
        else:          # kill after a random number of attempts, wherever it is
            threshold = rng.randint(1, 25)
            fired = wait_for(lambda: attempt_count(engine) >= before + threshold, timeout=30, every=0.005)
        w.kill9()
        kills += 1
        assert w.proc.returncode == -9
        if _in_flight(engine, w.name) > 0:
            mid_call_kills += 1
        if platform and _in_flight(engine, w.name, platform) > 0:
            to_hit.remove(platform)
        if not fired and status_counts(engine).get("published") == total:
            break
    assert not to_hit, f"no kill landed during a call on {to_hit} (adjust latency/thresholds)"

    killing = time.monotonic() - started
    final = workers.start("final", db_url, *args)
    done = wait_while_running(lambda: status_counts(engine) == {"published": total}, [final], timeout=120)
    assert done, f"not all published: {status_counts(engine)}\n{final.log()[-3000:]}"
    assert final.stop() == 0

    ds = all_deliveries(engine)
    assert len(ds) == total
    # exactly once, seen from the platforms
    by_account = {name: [d for d in ds if d.account.name == name] for name in fakes}
    for name, fake in fakes.items():
        posts = fake.posts()
        assert fake.create_count() == POSTS, name
        assert sorted(Counter(posts.values()).values()) == [1] * POSTS, name
        assert {d.remote_id for d in by_account[name]} == set(posts), name
        assert all(posts[d.remote_id] == d.parts[0].text for d in by_account[name]), name
    # …and from the database: one successful attempt per delivery
    for d in ds:
        assert [a.outcome for a in d.attempts].count(None) == 0, d.id
        assert sum(a.outcome in SUCCESS for a in d.attempts) == 1, [(a.kind, a.outcome) for a in d.attempts]
    # the kills mid-call left unknown outcomes, and those were looked for, never re-sent blind
    unknown = [(d, a) for d in ds for a in d.attempts if a.outcome == "unknown"]
    assert len(unknown) >= mid_call_kills >= len(PLATFORMS)
    assert all("stopped during the call" in a.error for _, a in unknown)
    for d, a in unknown:
        later = [b for b in d.attempts if b.id > a.id]
        assert later and later[0].kind == "reconcile", [(b.kind, b.outcome) for b in d.attempts]
    reconciled = Counter(d.account.platform for d in ds if any(a.kind == "reconcile" for a in d.attempts))
    assert set(reconciled) == set(PLATFORMS), reconciled
    print(f"\n{killing:.1f} s of kills, {time.monotonic() - started - killing:.1f} s to finish; "
          f"{kills} kills ({mid_call_kills} mid-call), {len(unknown)} unknown outcomes, "
          f"reconciles by platform {dict(reconciled)}, "
          f"found after all: {sum(a.outcome == 'found' for d in ds for a in d.attempts)}")
