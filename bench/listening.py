"""Hashtag listening: one ``listen collect`` over many campaigns and tags, against the platform
fakes served over real HTTP on 127.0.0.1.

Run: python bench/listening.py [--campaigns 5] [--tags 2] [--compare 1] [--bluesky-posts 700]
                               [--x-posts 100] [--latency 0]

A fresh SQLite database gets ``--campaigns`` campaigns, each with ``--tags`` hashtags and
``--compare`` comparison tags (all different), a Bluesky account and an X account (its app Bearer
token set, ``x_counts = true``), and a Mastodon instance listened to without an account. The fakes
hold each tag's public posts of the last week: Mastodon's 7-day tag history, ``--bluesky-posts``
Bluesky posts per tag spread over the week (so busy days take more than one ``searchPosts`` page of
100) and ``--x-posts`` X posts per tag (counted by ``/2/tweets/counts/recent``). Then
``campaigner.services.listening.collect`` — what ``campaigner listen collect`` and the daemon's
daily job run — counts them all and stores the counts.

Figures, next to their baseline from the same run:
- requests per platform (the fakes' own logs). Baseline: the minimum the platforms allow — one
  Mastodon request and one X request per tag; for Bluesky one search per tag and local day plus one
  per further page of 100 posts that day — and one Bluesky login.
- wall seconds of the collection. Baseline: the very same requests (method, path, query, headers,
  body, read from the fakes' logs) replayed with a bare ``requests.Session`` one after another:
  what HTTP alone costs here; the rest is the connectors' parsing and the database. The time the
  fakes spend answering (their ``route``; Bluesky's search scans every post it holds) is shown
  apart, and both are compared besides it too.

Timing is printed, never asserted; the stored counts are checked against what was seeded, so a
fast-but-wrong collection cannot pass unnoticed.
"""
from __future__ import annotations

import argparse
import math
import os
import shutil
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # `tests.fakes` lives in the project root

import requests  # noqa: E402

from campaigner.secrets import env_name  # noqa: E402
from _common import time_route  # noqa: E402

WIB = ZoneInfo("Asia/Jakarta")
DAYS = 7
SESSION_PATHS = ("com.atproto.server.createSession", "com.atproto.server.refreshSession",
                 "com.atproto.server.getSession")


class FixedClock:
    """One "now" shared by the fakes and campaigner (nothing waits for real time)."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def tag_names(campaigns: int, tags: int, compare: int) -> list[tuple[str, list[str], list[str]]]:
    out = []
    for c in range(campaigns):
        out.append((f"kampanye{c}", [f"TolakPotongan{c}x{t}" for t in range(tags)],
                    [f"DukungTapera{c}x{t}" for t in range(compare)]))
    return out


def seed(fakes: dict, all_tags: list[str], now: datetime, bluesky_posts: int, x_posts: int) -> int:
    """The public's posts of the week for every tag; returns the fewest Bluesky searches that count
    them: one per tag and local (WIB) day, plus one per further page of 100 posts that day."""
    today = now.astimezone(timezone.utc).date()
    first = datetime.combine(now.astimezone(WIB).date() - timedelta(days=DAYS - 1), datetime.min.time(), tzinfo=WIB)
    span = (now - first).total_seconds()
    per_day: Counter = Counter()
    for i, tag in enumerate(all_tags):
        fakes["mastodon"].set_tag_history(tag, {today - timedelta(days=d): (10 + i + d, 5 + d) for d in range(DAYS)})
        for p in range(bluesky_posts):
            when = first + timedelta(seconds=span * (p + 0.5) / bluesky_posts)
            fakes["bluesky"].add_public_post(f"warga{p % 50}.bsky.social", f"Tolak! #{tag} ke-{p}", when)
            per_day[(tag, when.astimezone(WIB).date())] += 1
        for p in range(x_posts):
            when = first + timedelta(seconds=span * (p + 0.5) / x_posts)
            fakes["x"].add_public_post(f"#{tag} suara ke-{p}", when)
    days = [now.astimezone(WIB).date() - timedelta(days=d) for d in range(DAYS)]
    return sum(max(1, math.ceil(per_day[(tag, day)] / 100)) for tag in all_tags for day in days)


def fake_seconds(fakes: dict) -> float:
    total = 0.0
    for fake in fakes.values():
        with fake.lock:
            total, fake.route_seconds = total + fake.route_seconds, 0.0
    return total


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--campaigns", type=int, default=5)
    ap.add_argument("--tags", type=int, default=2, help="hashtags per campaign")
    ap.add_argument("--compare", type=int, default=1, help="comparison tags per campaign")
    ap.add_argument("--bluesky-posts", type=int, default=700, help="Bluesky posts per tag over the week")
    ap.add_argument("--x-posts", type=int, default=100, help="X posts per tag over the week")
    ap.add_argument("--latency", type=float, default=0.0, help="ms each fake waits before answering")
    args = ap.parse_args()

    from campaigner.app import App
    from campaigner.config import resolve
    from campaigner.models import Account, Campaign, TagCount
    from campaigner.services.listening import collect
    from tests.fakes import bluesky, mastodon, x

    clock = FixedClock(datetime.now(timezone.utc).replace(microsecond=0))
    fakes = {"mastodon": mastodon.Fake(), "bluesky": bluesky.Fake(), "x": x.Fake()}
    for fake in fakes.values():
        fake.clock = clock
        fake.start()
    folder = Path(tempfile.mkdtemp(prefix="bench-listening-"))
    try:
        plan = tag_names(args.campaigns, args.tags, args.compare)
        all_tags = [t for _, mine, theirs in plan for t in [*mine, *theirs]]
        t = time.perf_counter()
        b_minimum = seed(fakes, all_tags, clock(), args.bluesky_posts, args.x_posts)
        seed_seconds = time.perf_counter() - t

        (folder / "config.toml").write_text(
            f'[listening]\nx_counts = true\nbluesky_pages = 10\nmastodon_instances = ["{fakes["mastodon"].base_url}/"]\n')
        for field, value in fakes["bluesky"].account_config().secrets.items():
            os.environ[env_name("b1", field)] = value
        for field, value in fakes["x"].account_config().secrets.items():
            os.environ[env_name("x1", field)] = value
        os.environ[env_name("x1", "BEARER_TOKEN")] = fakes["x"].APP_BEARER  # the app's token, for counts
        app = App(resolve({"database_url": f"sqlite:///{folder / 'bench.db'}", "data_dir": str(folder)},
                          config_path=folder / "config.toml"), now=clock)
        at = clock() - timedelta(days=30)
        with app.engine.begin() as c:
            c.execute(Account.__table__.insert(), [
                dict(name="b1", platform="bluesky", status="active", base_url=fakes["bluesky"].base_url, created_at=at),
                dict(name="x1", platform="x", status="active", base_url=fakes["x"].base_url, created_at=at)])
            c.execute(Campaign.__table__.insert(), [
                dict(slug=slug, name=slug, hashtags=mine, compare_tags=theirs, auto_hashtags=True, created_at=at)
                for slug, mine, theirs in plan])
        for fake in fakes.values():
            with fake.lock:
                fake.requests.clear()
            fake.latency = args.latency / 1000
            time_route(fake)

        t = time.perf_counter()
        report = collect(app)
        wall = time.perf_counter() - t
        wall_fake = fake_seconds(fakes)

        made = {name: fake.calls() for name, fake in fakes.items()}
        with app.engine.connect() as c:
            stored = c.execute(TagCount.__table__.select()).all()
        app.close()

        # the same requests, bare
        replay = [(fakes[name].base_url, r) for name, items in made.items() for r in items]
        session = requests.Session()
        t = time.perf_counter()
        for base, r in replay:
            query = urlencode(r.query, doseq=True)
            headers = {k: v for k, v in r.headers.items() if k.lower() in ("authorization", "content-type")}
            resp = session.request(r.method, f"{base}{r.path}" + (f"?{query}" if query else ""), headers=headers,
                                   data=r.body or None, timeout=30)
            resp.content  # noqa: B018  (read the whole answer, as a client does)
        bare = time.perf_counter() - t
        bare_fake = fake_seconds(fakes)

        # checks: every tag counted on every source, no failure, X's counts as seeded
        check = "ok"
        failed = [f"{s.platform} {s.source}: {s.error}" for s in report.sources if s.error]
        by_source = Counter((row.platform, row.tag) for row in stored)
        if failed or report.not_counted:
            check = "FAILED: " + "; ".join(failed + [f"{p} not counted: {why}" for p, why in report.not_counted.items()])
        elif len({tag for (_, tag) in by_source}) != len(all_tags) or len({p for (p, _) in by_source}) != 3:
            check = f"WRONG: counts stored for {len(by_source)} (platform, tag) of {3 * len(all_tags)}"
        else:
            x_total = sum(row.posts for row in stored if row.platform == "x")
            b_total = sum(row.posts for row in stored if row.platform == "bluesky")
            if x_total != args.x_posts * len(all_tags) or b_total != args.bluesky_posts * len(all_tags):
                check = (f"WRONG: X counted {x_total} of {args.x_posts * len(all_tags)}, Bluesky {b_total} of "
                         f"{args.bluesky_posts * len(all_tags)}")

        requests_by = {name: len(items) for name, items in made.items()}
        logins = sum(1 for r in made["bluesky"] if any(p in r.path for p in SESSION_PATHS))
        searches = sum(1 for r in made["bluesky"] if "searchPosts" in r.path)
        print(f"listen collect: {args.campaigns} campaigns × ({args.tags} tags + {args.compare} comparison) = "
              f"{len(all_tags)} tags, {DAYS} days; seeded in {seed_seconds:.1f} s; latency {args.latency:g} ms")
        print(f"  stored {report.stored} day counts (check: {check})")
        print(f"  requests: mastodon {requests_by['mastodon']} (minimum {len(all_tags)}), "
              f"x {requests_by['x']} (minimum {len(all_tags)}), bluesky {requests_by['bluesky']} "
              f"= {searches} searches (minimum {b_minimum}) + {logins} session")
        total = sum(requests_by.values())
        print(f"  wall: collect {wall:.3f} s for {total} requests, of which the fakes answering {wall_fake:.3f} s: "
              f"{wall - wall_fake:.3f} s besides ({(wall - wall_fake) / max(total, 1) * 1000:.2f} ms/request)")
        print(f"  baseline: the same {len(replay)} requests with a bare requests.Session {bare:.3f} s, of which the "
              f"fakes {bare_fake:.3f} s: {bare - bare_fake:.3f} s besides "
              f"({(bare - bare_fake) / max(len(replay), 1) * 1000:.2f} ms/request) — collect is "
              f"{(wall - wall_fake) / max(bare - bare_fake, 1e-9):.2f}× that besides the fakes, {wall / bare:.2f}× in all")
    finally:
        for fake in fakes.values():
            fake.stop()
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
