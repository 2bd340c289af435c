"""``kill -9`` at random points while posts go out to Instagram: none is lost, none goes out twice.

Instagram has no idempotency key: a post is media containers made first, prepared by Meta (a video
for a few seconds), then published with ``media_publish``. Two Instagram accounts on the fake (40 ms
of latency; it downloads every file from the ``[media]`` folder over real HTTP, as Meta does) get
images, carousels, reels and mixed carousels. A real ``campaigner run`` subprocess (real clock,
short lease, fast tick) is SIGKILLed again and again — during a call to Instagram, while a post
waits for Meta to finish preparing it, or after a random number of attempts — and restarted, until
every delivery is published. Then each caption is on Instagram exactly once, each delivery has
exactly one successful attempt, and every unknown outcome was looked for before anything was sent
again.
"""
from __future__ import annotations

import random
from collections import Counter

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigner import db
from campaigner.models import Attempt, Delivery, DeliveryPart, DeliveryStatus as S
from campaigner.services.planning import Draft, Planner, When
from campaigner.services.posts import write_plans
from tests.fakes.instagram import MP4_BYTES, Fake, jpeg_bytes
from tests.reliability.conftest import add_account, all_deliveries, attempt_count, status_counts, wait_for, \
    wait_while_running

SEED = 20261206
PER_ACCOUNT = 12
KILLS = 5
LEASE_SECONDS = "2"
SUCCESS = {"published", "found"}


@pytest.fixture
def meta_fakes(home):
    """Two Instagram fakes on the real clock; ``[media]`` is the first one's web folder (the second
    downloads from it too). Listed before ``real_app``, so the app reads this config."""
    fakes = []
    for _ in range(2):
        fake = Fake()
        fake.latency = 0.04
        fake.processing_checks = 0  # a video is FINISHED at the first status read, two seconds on
        fake.start()
        fakes.append(fake)
    web = fakes[0].web
    (home / "config" / "campaigner.toml").write_text(
        f'[media]\npublic_url = "{web.base_url}/"\npublic_dir = "{web.folder}"\n')
    yield fakes
    for fake in fakes:
        fake.stop()


def _in_flight(engine, worker: str) -> int:
    with Session(engine) as s:
        return len(s.scalars(select(Attempt.id).where(Attempt.worker == worker, Attempt.finished_at.is_(None))).all())


def _waiting_on_meta(engine) -> int:
    """Deliveries queued while Meta prepares their containers (their progress kept)."""
    with Session(engine) as s:
        return len(s.scalars(select(Delivery.id).join(DeliveryPart, DeliveryPart.delivery_id == Delivery.id)
                             .where(Delivery.status == S.QUEUED, DeliveryPart.progress.is_not(None))).all())


def test_kill9_while_publishing_to_instagram_posts_each_exactly_once(meta_fakes, real_app, workers, engine, db_url,
                                                                     monkeypatch, tmp_path):
    rng = random.Random(SEED)
    images = []
    for i, color in enumerate([(200, 30, 30), (30, 160, 30), (30, 30, 200)]):
        path = tmp_path / f"foto{i}.jpg"
        path.write_bytes(jpeg_bytes(1080, 1080, color))
        images.append(path)
    video = tmp_path / "klip.mp4"
    video.write_bytes(MP4_BYTES)
    kinds = [[images[0]], [images[1], images[2]], [video], [images[0], video]]
    names = []
    for n, fake in enumerate(meta_fakes, start=1):
        name = f"ig{n}"
        add_account(real_app, "instagram", name, base_url=fake.base_url, secrets=dict(fake.account_config().secrets),
                    monkeypatch=monkeypatch, daily_cap=None)
        names.append(name)
    now = real_app.now()
    with db.write(real_app.engine) as s:
        planner = Planner(real_app, s, now)
        plans = [planner.plan(Draft(text=f"Aksi #{i:02d} di {name}: tolak Tapera! ({rng.getrandbits(32):08x})",
                                    accounts=[name], when=When("now"), media=kinds[i % len(kinds)]))
                 for name in names for i in range(PER_ACCOUNT)]
        write_plans(real_app, s, plans, now)
    total = PER_ACCOUNT * len(names)
    assert status_counts(engine) == {"queued": total}

    args = ("--lease-seconds", LEASE_SECONDS, "--tick", "0.05", "--concurrency", "2")
    aims = ["call", "waiting", "call", "random", "waiting"][:KILLS]
    landed = Counter()
    for round_no, aim in enumerate(aims):
        w = workers.start(f"k{round_no}", db_url, *args)
        before = attempt_count(engine)
        threshold = rng.randint(1, 8)
        if aim == "call":        # right after it has started a call to Instagram
            fired = wait_for(lambda: attempt_count(engine) >= before + threshold and _in_flight(engine, w.name) > 0,
                             timeout=30, every=0.005)
        elif aim == "waiting":   # while posts wait for Meta to finish preparing them
            fired = wait_for(lambda: attempt_count(engine) >= before + threshold and _waiting_on_meta(engine) > 0,
                             timeout=30, every=0.005)
        else:
            fired = wait_for(lambda: attempt_count(engine) >= before + threshold, timeout=30, every=0.005)
        if fired and aim == "call" and _in_flight(engine, w.name) > 0:
            landed["call"] += 1
        if fired and aim == "waiting" and _waiting_on_meta(engine) > 0:
            landed["waiting"] += 1
        w.kill9()
        assert w.proc.returncode == -9
        if not fired and status_counts(engine).get("published") == total:
            break
    assert landed["call"] >= 1 and landed["waiting"] >= 1, landed

    final = workers.start("final", db_url, *args)
    done = wait_while_running(lambda: status_counts(engine) == {"published": total}, [final], timeout=120)
    assert done, f"not all published: {status_counts(engine)}\n{final.log()[-3000:]}"
    assert final.stop() == 0

    ds = all_deliveries(engine)
    for name, fake in zip(names, meta_fakes):
        mine = [d for d in ds if d.account.name == name]
        posts = fake.posts()
        assert fake.create_count() == PER_ACCOUNT, name
        assert sorted(Counter(posts.values()).values()) == [1] * PER_ACCOUNT, name
        assert {d.remote_id for d in mine} == set(posts), name
        assert all(posts[d.remote_id] == d.parts[0].text for d in mine), name
        # a container is published at most once, and a carousel's children belong to one post
        with fake.lock:
            children = [c for m in fake.media.values() for c in m["children"]]
        assert len(children) == len(set(children)), name
    for d in ds:
        outcomes = [a.outcome for a in d.attempts]
        assert None not in outcomes, d.id
        assert sum(o in SUCCESS for o in outcomes) == 1, [(a.kind, a.outcome) for a in d.attempts]
        assert all(p.progress is None for p in d.parts), d.id  # cleared once out
        for a in d.attempts:  # an unknown outcome is looked for before anything is sent again
            if a.outcome == "unknown":
                later = [b for b in d.attempts if b.id > a.id]
                assert later and later[0].kind == "reconcile", [(b.kind, b.outcome) for b in d.attempts]
    processing = sum(a.outcome == "processing" for d in ds for a in d.attempts)
    unknown = sum(a.outcome == "unknown" for d in ds for a in d.attempts)
    assert processing >= total // 2  # the reels and mixed carousels waited for Meta
    print(f"\nkills landing: {dict(landed)}; {unknown} unknown outcomes, {processing} processing waits")
