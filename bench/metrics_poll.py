"""One metrics poll of many published posts per platform, against the platform fakes.

Run: python bench/metrics_poll.py [--posts 10000] [--latency 50] [--platforms mastodon,bluesky,x,facebook,telegram]
                                  [--seed direct|connector] [--via connector|collect]

For each platform this starts the real fake server (``tests/fakes/<platform>.py``), puts ``--posts``
posts on it, builds the real connector (``connectors.registry.build_connector``), sets the fake's
latency to ``--latency`` ms per request, and calls ``connector.metrics(all_ids)`` once. With
``--via collect`` the poll is the scheduler's instead: the posts are published deliveries of one
account in a fresh SQLite database and ``campaigner.services.metrics.collect`` (what ``campaigner
metrics collect`` and the daemon's job run) picks the due ones, batches them and writes one
snapshot per delivery; the requests it made are counted the same way.

Figures, next to their baselines from the same run:
- requests: HTTP requests the poll made for metrics. Baseline: the minimum the platform's batch
  size allows, ceil(posts / batch). Goal: equal. Session requests (a Bluesky login on a cold
  connector) are shown apart as "+N session", and requests made while seeding are never counted.
- wall seconds of the poll. Baseline: the ideal sequential time, minimum × latency (connectors
  send their requests one after another). "fake CPU" is the time the fake itself spent answering
  (its ``route``), so what is left over is the client side plus HTTP plumbing.

Telegram's Bot API has no metrics endpoint: its line checks that the poll makes no request at all.
Timing is printed, never asserted; the found/missing counts and a spot check of the counters are
checked so a fast-but-wrong poll cannot pass unnoticed.
"""
from __future__ import annotations

import argparse
import importlib
import math
import shutil
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `tests.fakes` lives in the project root

from connectors.base import OutgoingPost  # noqa: E402
from connectors.registry import build_connector  # noqa: E402
from connectors.tid import new_tid  # noqa: E402
from _common import time_route  # noqa: E402

PLATFORMS = ("mastodon", "bluesky", "x", "facebook", "telegram")
#: requests that keep a session alive rather than read metrics (counted apart)
SESSION_PATHS = ("com.atproto.server.createSession", "com.atproto.server.refreshSession")
TEXT = "Tolak outsourcing, upah layak sekarang! #UpahLayak ke-{i}"


class FixedClock:
    """One "now" shared by the fake and the connector (nothing waits for real time)."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


# --- seeding --------------------------------------------------------------------------------------
def seed_direct(platform: str, fake, n: int, now: datetime) -> list[str]:
    """Put ``n`` posts of the fake's own account straight into its state (no HTTP, so no latency
    and no request counted): the same internal constructors the fake's create endpoints use."""
    ids: list[str] = []
    with fake.lock:
        for i in range(n):
            text = TEXT.format(i=i)
            created = now - timedelta(minutes=n - i)
            if platform == "mastodon":
                ids.append(fake._new_status(text, fake.account, created, language="id")["id"])
            elif platform == "bluesky":
                from tests.fakes.bluesky import POST
                rkey = new_tid(created, clock_id=i % 1024)   # one per minute: unique, sortable
                fake._put(fake.DID, rkey, {"$type": POST, "text": text, "langs": ["id"],
                                           "createdAt": created.strftime("%Y-%m-%dT%H:%M:%S.000Z")})
                fake.created += 1
                ids.append(fake._uri((fake.DID, POST, rkey)))
            elif platform == "x":
                ids.append(fake.add_own_post(text, created))
            elif platform == "facebook":
                ids.append(fake._new_post(text)["id"])
            elif platform == "telegram":
                ids.append(str(fake._new_message(None, text=text)["message_id"]))
            else:
                raise ValueError(platform)
    return ids


def seed_connector(platform: str, connector, n: int, now: datetime) -> list[str]:
    """Publish ``n`` posts through the connector's real HTTP path (call with the fake's latency at 0)."""
    ids = []
    for i in range(n):
        key = new_tid(now - timedelta(minutes=n - i), clock_id=i % 1024) if platform == "bluesky" \
            else f"bench-{i:08d}"
        ids.append(connector.publish(OutgoingPost(text=TEXT.format(i=i), idempotency_key=key)).remote_id)
    return ids


def set_counts(fake, ids: list[str]) -> None:
    """Give every post its own like/repost counts, so the poll's answers can be spot-checked."""
    for i, rid in enumerate(ids):
        fake.set_engagement(rid, likes=i % 97, reposts=i % 13)


def collect_poll(platform: str, fake, ids: list[str], clock, folder: Path):
    """The scheduler's poll: ``ids`` as published deliveries (an hour old, never polled) of one
    account in a fresh SQLite database, polled by ``services.metrics.collect``."""
    from campaigner.app import App
    from campaigner.config import resolve
    from campaigner.models import Account, Delivery, MetricSnapshot, Post

    (folder / "config.toml").write_text("")
    app = App(resolve({"database_url": f"sqlite:///{folder / 'bench.db'}", "data_dir": str(folder)}, env={},
                      config_path=folder / "config.toml"), now=clock)
    at = clock() - timedelta(hours=1)
    with app.engine.begin() as c:
        c.execute(Account.__table__.insert(), [dict(id=1, name=f"{platform}-1", platform=platform, status="active",
                                                    created_at=at)])
        c.execute(Post.__table__.insert(), [dict(id=i + 1, text=TEXT.format(i=i), is_thread=False, variants={},
                                                 created_at=at, updated_at=at) for i in range(len(ids))])
        c.execute(Delivery.__table__.insert(), [
            dict(id=i + 1, post_id=i + 1, account_id=1, status="published", due_at=at, slot_based=False,
                 attempt_count=1, remote_id=rid, published_at=at, created_at=at, updated_at=at)
            for i, rid in enumerate(ids)])
    connector = build_connector(fake.account_config(state_dir=None), clock=clock)
    from campaigner.services.metrics import collect

    def poll():
        report = collect(app, connector_for=lambda account: connector)
        with app.engine.connect() as c:
            rows = c.execute(MetricSnapshot.__table__.select().order_by(MetricSnapshot.delivery_id)).all()
        return report, rows
    return connector, poll, app


# --- one platform -----------------------------------------------------------------------------------
def run(platform: str, posts: int, latency: float, seed: str, via: str = "connector") -> dict:
    module = importlib.import_module(f"tests.fakes.{platform}")
    clock = FixedClock(datetime.now(timezone.utc).replace(microsecond=0))
    fake = module.Fake()
    fake.clock = clock
    fake.start()
    try:
        fake.latency = 0.0
        t = time.perf_counter()
        if seed == "connector":
            ids = seed_connector(platform, build_connector(fake.account_config(), clock=clock), posts, clock())
        else:
            ids = seed_direct(platform, fake, posts, clock())
        set_counts(fake, ids)
        seed_seconds = time.perf_counter() - t
        setup_requests = len(fake.requests)

        # a fresh connector, as a new `campaigner` process would have: no session kept from seeding
        if via == "collect":
            folder = Path(tempfile.mkdtemp(prefix="bench-collect-"))
            connector, poll, app = collect_poll(platform, fake, ids, clock, folder)
        else:
            connector = build_connector(fake.account_config(state_dir=None), clock=clock)
        batch = connector.metrics_batch_size
        with fake.lock:
            fake.requests.clear()
        time_route(fake)
        fake.latency = latency

        t = time.perf_counter()
        if via == "collect":
            report, rows = poll()
            wall = time.perf_counter() - t
            app.close()
            shutil.rmtree(folder)
            result = _as_result(ids, rows, report)
        else:
            result = connector.metrics(ids)
            wall = time.perf_counter() - t

        made = fake.calls()
        session = [r for r in made if any(p in r.path for p in SESSION_PATHS)]
        polls = [r for r in made if r not in session]
        check = "ok"
        if len(result.found) != len(set(ids)) or result.missing:
            check = f"found {len(result.found)}, missing {len(result.missing)} of {len(ids)}"
        elif platform != "telegram":
            wrong = [rid for i, rid in enumerate(ids)
                     if result.found[rid].likes != i % 97 or result.found[rid].reposts != i % 13]
            if wrong:
                check = f"{len(wrong)} posts with wrong counts, e.g. {wrong[0]}"
        return {"platform": platform, "posts": len(ids), "batch": batch, "requests": len(polls),
                "session": len(session), "minimum": 0 if platform == "telegram" else math.ceil(len(ids) / batch),
                "wall": wall, "fake_cpu": fake.route_seconds, "seed_seconds": seed_seconds,
                "setup_requests": setup_requests, "check": check,
                "paths": Counter(f"{r.method} {r.path}" for r in made)}
    finally:
        fake.stop()


def _as_result(ids: list[str], rows, report):
    """The snapshots ``collect`` wrote, in the shape of ``connector.metrics``' answer (checked the
    same way); delivery i + 1 is ``ids[i]``."""
    from connectors.base import Metrics, MetricsBatch

    found = {ids[r.delivery_id - 1]: Metrics(ids[r.delivery_id - 1], likes=r.likes, reposts=r.reposts)
             for r in rows if not r.missing}
    missing = {ids[r.delivery_id - 1] for r in rows if r.missing}
    if len(rows) != report.polled:
        missing.add(f"{report.polled} polled but {len(rows)} snapshots written")
    return MetricsBatch(found=found, missing=frozenset(missing))


# --- main -----------------------------------------------------------------------------------------
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--posts", type=int, default=10_000, help="published posts per platform (default 10000)")
    ap.add_argument("--latency", type=float, default=50.0, help="fake latency per request, ms (default 50)")
    ap.add_argument("--platforms", default=",".join(PLATFORMS),
                    help=f"comma-separated subset of {','.join(PLATFORMS)}")
    ap.add_argument("--seed", choices=("direct", "connector"), default="direct",
                    help="direct: posts go straight into the fake's state (fast, default); "
                         "connector: published one by one through connector.publish() at 0 latency")
    ap.add_argument("--via", choices=("connector", "collect"), default="connector",
                    help="connector: connector.metrics(all ids) (default); collect: the scheduler's poll "
                         "(services.metrics.collect over a database of published deliveries)")
    args = ap.parse_args()
    chosen = [p.strip() for p in args.platforms.split(",") if p.strip()]
    unknown = set(chosen) - set(PLATFORMS)
    if unknown:
        ap.error(f"unknown platform(s): {', '.join(sorted(unknown))}")
    latency = args.latency / 1000

    print(f"One metrics() poll per platform: {args.posts:,} posts, fake latency {args.latency:g} ms/request, "
          f"seeded {args.seed}, polled via {args.via}")
    print("minimum = ceil(posts / batch); ideal = minimum × latency (sequential requests)")
    head = (f"{'platform':9} {'posts':>6} {'batch':>5} {'requests':>16} {'minimum':>7} {'extra':>5} "
            f"{'wall s':>7} {'ideal s':>7} {'wall/ideal':>10} {'fake CPU s':>10} {'ms/req over':>11}  check")
    print(head)
    print("-" * len(head))
    results = []
    for platform in chosen:
        r = run(platform, args.posts, latency, args.seed, args.via)
        results.append(r)
        if platform == "telegram":
            print(f"{'telegram':9} {r['posts']:>6} {'-':>5} {r['requests'] + r['session']:>16} {0:>7} "
                  f"{r['requests'] + r['session']:>5} {r['wall']:7.3f} {0:7.3f} {'-':>10} {r['fake_cpu']:10.3f} "
                  f"{'-':>11}  {r['check']}")
            print("          the Bot API has no metrics endpoint: metrics() answers every count None "
                  "without a request")
            continue
        extra = r["requests"] - r["minimum"]
        shown = f"{r['requests']}" + (f" +{r['session']} session" if r["session"] else "")
        ideal = r["minimum"] * latency
        total = r["requests"] + r["session"]
        over = (r["wall"] - total * latency) / total * 1000 if total else 0.0
        ratio = f"{r['wall'] / ideal:10.2f}" if ideal else f"{'-':>10}"
        print(f"{platform:9} {r['posts']:>6} {r['batch']:>5} {shown:>16} {r['minimum']:>7} {extra:>+5} "
              f"{r['wall']:7.2f} {ideal:7.2f} {ratio} {r['fake_cpu']:10.2f} {over:11.1f}  {r['check']}")
        if extra:
            for path, count in r["paths"].most_common():
                print(f"          {count:>6} × {path}")
    print()
    print("setup (not counted above): " + "; ".join(
        f"{r['platform']} {r['seed_seconds']:.1f} s, {r['setup_requests']} requests" for r in results))
    print("ms/req over = (wall − all poll requests × latency) / requests: client + fake + HTTP cost per request")
    bad = [r["platform"] for r in results if r["requests"] != r["minimum"]]
    print("requests vs minimum: " + ("all equal (goal met)" if not bad else f"ABOVE the minimum for {', '.join(bad)}"))


if __name__ == "__main__":
    main()
