"""Chaos: platforms that fail a share of creates in every way they can, and nothing goes out twice.

Six accounts (two fakes each of X, Mastodon and Bluesky) and 300 deliveries. Each fake draws, for
every create, from a seeded RNG: ~10 % server errors (500/502/503/504 — 503 means "not done",
the others leave the outcome unknown), ~5 % timeouts (the fake answers only after the
connector's 0.3 s timeout, and does the work then), ~3 % connections dropped before the work and
~3 % after it, ~2 % a refusal (the platform's own "invalid request" answer), and ~2 % the
start of a 429 burst (every create until the window's reset gets a 429 with the platform's reset
headers). The engine runs in this process with the injected clock,
pass after pass, the clock jumping to ``next_wake()`` in between (past backoffs, holds and
reconcile delays) — no real waiting, except for the fakes to finish answering slow requests
(what a platform would have done by the time the clock says).

At the end every delivery is ``published`` or ``failed`` with a reason, each fake holds exactly
one post per published delivery, and no failed delivery is secretly on a platform.
"""
from __future__ import annotations

import importlib
import random
from collections import Counter
from datetime import datetime, timedelta

from campaigner.models import DeliveryStatus as S
from campaigner.services.accounts import connector_config
from connectors.registry import build_connector
from scheduler.engine import Engine
from scheduler.policy import RetryPolicy
from tests.engine.conftest import alerts
from tests.fakes import bluesky as bsky_fake, x as x_fake
from tests.fakes.server import Failure, Response
from tests.reliability.conftest import add_account, all_deliveries, queue_posts

SEED = 4242
POSTS = 50
CREATE_PATHS = {"x": "/2/tweets", "mastodon": "/api/v1/statuses", "bluesky": "createRecord"}
TIMEOUT = 0.3
#: each platform's own "this request is invalid" answer (a permanent failure)
REFUSALS = {
    "x": lambda: x_fake.invalid_request("The text of your Tweet is invalid."),
    "mastodon": lambda: Response(422, {"error": "Validation failed: Text is not allowed here"}),
    "bluesky": lambda: bsky_fake.xrpc_error(400, "InvalidRequest", "Invalid app.bsky.feed.post record"),
}


class Chaos:
    """The ``on_request`` hook of one fake: decides, for each create, how it fails (if at all)."""

    def __init__(self, fake, platform: str, rng: random.Random):
        self.fake, self.platform, self.path, self.rng = fake, platform, CREATE_PATHS[platform], rng
        self.limited_until: datetime | None = None
        self.injected: Counter = Counter()

    def __call__(self, req) -> None:
        if req.method != "POST" or not req.path.endswith(self.path):
            return
        now = self.fake.clock()
        if self.limited_until is not None and now < self.limited_until:
            self._rate_limited()
            return
        r = self.rng.random()
        if r < 0.10:
            status = self.rng.choice([500, 502, 503, 504])
            self.fake.server_error_next(status)
            self.injected[f"http {status}"] += 1
        elif r < 0.15:
            self.fake.fail_next(Failure.SLOW, path_contains=req.path)
            self.injected["timeout"] += 1
        elif r < 0.18:
            self.fake.fail_next(Failure.DROP, path_contains=req.path)
            self.injected["dropped before"] += 1
        elif r < 0.21:
            self.fake.fail_next(Failure.DROP_AFTER, path_contains=req.path)
            self.injected["dropped after"] += 1
        elif r < 0.23:
            self.fake.fail_next(REFUSALS[self.platform](), path_contains=req.path)
            self.injected["refused"] += 1
        elif r < 0.25:
            minutes = self.rng.choice([1, 5, 15])
            # whole seconds: the reset headers of X and Bluesky carry epoch seconds
            until = now + timedelta(minutes=minutes)
            self.limited_until = until.replace(microsecond=0) + timedelta(seconds=1)
            self.injected["429 bursts"] += 1
            self._rate_limited()

    def _rate_limited(self) -> None:
        self.fake.rate_limit_next(self.limited_until)
        self.injected["429"] += 1


def test_flaky_platforms_every_delivery_published_once_or_failed_with_reason(app, serve, clock, engine,
                                                                             monkeypatch):
    rng = random.Random(SEED)
    fakes, chaos = {}, {}
    for platform in CREATE_PATHS:
        for n in (1, 2):
            fake = serve(importlib.import_module(f"tests.fakes.{platform}").Fake())
            fake.slow_seconds = 2 * TIMEOUT
            name = f"{platform[0]}{n}"
            add_account(app, platform, name, base_url=fake.base_url, secrets=dict(fake.account_config().secrets),
                        monkeypatch=monkeypatch)
            chaos[name] = fake.on_request = Chaos(fake, platform, random.Random(rng.getrandbits(64)))
            fakes[name] = fake
    texts = [f"Mogok nasional #{i:03d}: upah layak sekarang! ({rng.getrandbits(32):08x})" for i in range(POSTS)]
    queue_posts(app, texts, list(fakes))

    def factory(account):  # a short timeout, so a SLOW answer is a real client timeout
        return build_connector(connector_config(app, account, timeout=TIMEOUT), clock=app.now)

    e = Engine(app, "chaos", policy=RetryPolicy(max_attempts=4), concurrency=4, connector_factory=factory,
               rng=random.Random(SEED))
    passes = idle_passes = 0
    start = clock.now
    while passes < 3000:
        report = e.run_pass()
        passes += 1
        for fake in fakes.values():   # a slow answer still on its way does its work first
            assert fake.wait_idle(timeout=10)
        wake = e.next_wake()
        if wake is None:
            break
        if report.handled == 0 and report.recovered == 0:
            idle_passes += 1
            assert wake > clock.now, f"next_wake() says {wake} but a pass at {clock.now} found nothing to do"
        clock.now = max(clock.now, wake)
    assert e.next_wake() is None, f"still waiting after {passes} passes"

    ds = all_deliveries(engine)
    assert len(ds) == POSTS * len(fakes)
    statuses = Counter(d.status for d in ds)
    assert set(statuses) <= {S.PUBLISHED, S.FAILED}, statuses
    failed = [d for d in ds if d.status == S.FAILED]
    assert all(d.last_error for d in failed)
    assert sorted(a.delivery_id for a in alerts(engine) if a.kind == "failed") == [d.id for d in failed]
    for name, fake in fakes.items():
        mine = [d for d in ds if d.account.name == name]
        published = [d for d in mine if d.status == S.PUBLISHED]
        posts = fake.posts()
        assert fake.create_count() == len(published) == len(posts), name
        assert {d.remote_id: d.parts[0].text for d in published} == posts, name
        assert not {d.parts[0].text for d in mine if d.status == S.FAILED} & set(posts.values()), name
    injected = sum((c.injected for c in chaos.values()), Counter())
    for kind in ("http 500", "http 503", "timeout", "dropped before", "dropped after", "refused", "429 bursts"):
        assert injected[kind] > 0, injected
    # a 429 holds the account until its reset: no create is sent into a rate-limit window again
    assert injected["429"] == injected["429 bursts"], injected
    assert statuses[S.FAILED] > 0  # the refusals
    outcomes = Counter(a.outcome for d in ds for a in d.attempts)
    assert outcomes["unknown"] > 0 and outcomes["found"] > 0 and outcomes["not_found"] > 0, outcomes
    assert outcomes["rate_limited"] > 0 and outcomes["transient"] > 0, outcomes
    hours = (clock.now - start).total_seconds() / 3600
    print(f"\n{passes} passes ({idle_passes} idle) over {hours:.1f} h of engine time; "
          f"{ {k.value: v for k, v in statuses.items()} }; "
          f"injected {dict(injected)}; attempt outcomes {dict(outcomes)}")
