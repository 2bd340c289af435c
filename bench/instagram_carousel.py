"""Publishing a 10-item Instagram carousel to the fake with API latency, the way the engine does it.

Run: python bench/instagram_carousel.py [--latency 200] [--runs 3]

The real fake (``tests/fakes/instagram.py``) answers each request after ``--latency`` ms and fetches
each media URL from a real local web server; the real connector publishes through
``connectors.meta.ContainerFlow``. When it raises ``NotReady`` (a video being processed) the bench
waits until ``check_at`` on the real clock and calls again with the progress kept, as the engine
does — the recommended polling (2 s, 5 s, … then once a minute).

Figures, each next to its baseline from the same run:
- 10 images: wall seconds. Baseline: the minimum, 3 × latency (all children at once, the carousel
  container, media_publish), plus one read of the new post's permalink shown apart; and the same
  connector with children created one after another (``parallel=1``), 12 × latency.
- 9 images + 1 video (the fake says FINISHED at the first status read): wall seconds and calls.
  Baseline: the minimum with the same first status check 2 s after the children were asked for
  (the schedule's first step; the creates take less), then 3 × latency (the status read, the
  carousel container, media_publish).

Timing is printed, never asserted; each run checks that exactly one post went out.
"""
from __future__ import annotations

import argparse
import dataclasses
import statistics
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `tests.fakes` lives in the project root

from connectors.base import NotReady, OutgoingPost  # noqa: E402
from connectors.instagram import InstagramConnector  # noqa: E402
from tests.fakes.instagram import Fake  # noqa: E402


def wall_clock() -> datetime:
    return datetime.now(timezone.utc)


def publish(kinds: tuple[str, ...], latency: float, parallel: int | None = None) -> tuple[float, int, int]:
    """One carousel on a fresh fake: (wall seconds, requests, NotReady rounds)."""
    fake = Fake()
    fake.processing_checks = 0
    fake.start()
    try:
        conn = InstagramConnector(fake.account_config(), clock=wall_clock)
        if parallel is not None:
            conn.flow.parallel = parallel
        post = OutgoingPost(text="Sepuluh poster aksi #UpahLayak", idempotency_key="bench",
                            media=fake.sample_media(*kinds))
        fake.latency = latency
        fake.requests.clear()
        rounds = 0
        start = time.perf_counter()
        while True:
            try:
                conn.publish(post)
                break
            except NotReady as exc:
                rounds += 1
                time.sleep(max(0.0, (exc.check_at - wall_clock()).total_seconds()))
                post = dataclasses.replace(post, progress=exc.progress)
        elapsed = time.perf_counter() - start
        assert fake.create_count() == 1 and len(fake.posts()) == 1
        return elapsed, len(fake.requests), rounds
    finally:
        fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--latency", type=float, default=200, help="ms per request (default 200)")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    latency = args.latency / 1000

    images = ("image",) * 10
    par = [publish(images, latency) for _ in range(args.runs)]
    seq = [publish(images, latency, parallel=1) for _ in range(args.runs)]
    median = statistics.median
    print(f"10-image carousel, {args.latency:g} ms per request, median of {args.runs} runs")
    print(f"  campaigner (children in parallel): {median(r[0] for r in par):6.2f} s, {par[0][1]} requests")
    print(f"  minimum 3 × latency:               {3 * latency:6.2f} s (+{latency:.2f} s: the permalink read, "
          f"{3 * latency + latency:.2f} s)")
    print(f"  children one after another:        {median(r[0] for r in seq):6.2f} s "
          f"(ideal 12 × latency = {12 * latency:.2f} s, +{latency:.2f} s permalink)")

    mixed = ("image",) * 9 + ("video",)
    runs = [publish(mixed, latency) for _ in range(args.runs)]
    print(f"9 images + 1 video (ready at the first status check), median of {args.runs} runs")
    print(f"  campaigner with the polling schedule: {median(r[0] for r in runs):6.2f} s, {runs[0][1]} requests, "
          f"{runs[0][2]} NotReady round(s)")
    print(f"  minimum 2 s + 3 × latency:            {max(2, latency) + 3 * latency:6.2f} s "
          f"(+{latency:.2f} s permalink)")


if __name__ == "__main__":
    main()
