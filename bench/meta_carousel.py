"""A 10-image Instagram carousel through the publishing engine, next to the least it can cost.

Run: python bench/meta_carousel.py [--latency 200] [--prepare 30] [--rounds 5] [--db URL]

The Instagram fake (``tests/fakes/instagram.py``, the real HTTP fake on 127.0.0.1, ``--latency`` ms
per request) downloads each image from a real web server serving the ``[media]`` folder, as Meta
does. Here Meta also prepares the carousel container for ``--prepare`` seconds after it is made
(``media_publish`` refuses it until then with ``9007/2207027``, its status reads ``IN_PROGRESS``).
Time is injected: the preparation and the status polling schedule Meta recommends (the
connector's: 2, 5, 10, 20, 30 s, then once a minute) run on a clock the benchmark moves from one
check to the next, so nothing waits for them; what is measured is the real wall time of the
work — the engine's passes (database, putting the ten photos on the ``[media]`` host, the
connector) and the HTTP round trips.

Figures, from the same run:
- engine: wall seconds of ``Engine.run_pass`` and ``next_wake`` from the post being due until it
  is published (a ``post add`` of ten 1080×1350 photos, prepared at queue time, not timed), and
  the requests it made;
- minimum: the same carousel published with plain ``requests`` against a fresh fake of the same
  latency: the ten item containers created at once (10 threads), the carousel container, the
  status reads the recommended schedule needs until it is ``FINISHED``, ``media_publish`` — the
  round trips nothing can avoid, in sequence where they must be;
- the ratio, each as the median of ``--rounds`` rounds; and the requests the engine made beyond the
  minimum, by kind.
"""
from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # tests.fakes

ITEMS = 10
T0 = datetime(2026, 12, 7, 2, 0, tzinfo=timezone.utc)


class Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> datetime:
        return self.now


def preparing_fake(prepare: timedelta, latency: float, clock: Clock):
    """The Instagram fake, with Meta preparing a carousel container for ``prepare`` after it is made."""
    from tests.fakes.instagram import Fake

    class PreparingFake(Fake):
        def _create(self, params):
            answer = super()._create(params)
            if answer.status == 200 and str(params.get("media_type") or "").upper() == "CAROUSEL":
                container = self.containers[answer.body["id"]]
                container["status"], container["checks"] = "IN_PROGRESS", 10 ** 9
            return answer

        def _status_of(self, container):
            if (container["kind"] == "CAROUSEL" and container["status"] == "IN_PROGRESS"
                    and self.clock() - container["created"] >= prepare):
                container["status"] = "FINISHED"
            return super()._status_of(container)

    fake = PreparingFake()
    fake.latency = latency
    fake.clock = clock
    fake.start()
    return fake


def photos(folder: Path) -> list[Path]:
    """Ten phone-like photos (1080×1350, noisy, so their JPEGs weigh what real ones do)."""
    from PIL import Image

    paths = []
    for i in range(ITEMS):
        image = Image.effect_noise((1080, 1350), 40 + i).convert("RGB")
        out = io.BytesIO()
        image.save(out, "JPEG", quality=88)
        path = folder / f"foto{i:02d}.jpg"
        path.write_bytes(out.getvalue())
        paths.append(path)
    return paths


def kinds(fake) -> Counter:
    """The fake's requests by kind."""
    out: Counter = Counter()
    for r in fake.calls():
        if r.path.endswith("/content_publishing_limit"):
            out["quota"] += 1
        elif r.path.endswith("/media_publish"):
            out["media_publish"] += 1
        elif r.method == "POST" and r.path.endswith("/media"):
            out["create"] += 1
        elif r.method == "GET" and "status_code" in str(r.query.get("fields", "")):
            out["status"] += 1
        else:
            out[f"{r.method} other"] += 1
    return out


def engine_round(tmp: Path, url: str | None, files: list[Path], latency: float, prepare: timedelta) -> dict:
    from sqlalchemy import inspect, text

    from campaigner import db
    from campaigner.app import App
    from campaigner.config import resolve
    from campaigner.models import Base, Delivery, DeliveryStatus as S
    from campaigner.secrets import env_name
    from campaigner.services import accounts
    from campaigner.services.planning import Draft, Planner, When
    from campaigner.services.posts import write_plans
    from scheduler.engine import Engine

    clock = Clock()
    fake = preparing_fake(prepare, latency, clock)
    try:
        cfg = tmp / "config.toml"
        cfg.write_text(f'[media]\npublic_url = "{fake.web.base_url}/"\npublic_dir = "{fake.web.folder}"\n')
        if url:  # emptied, so every round starts alike
            engine = db.make_engine(url)
            names = [t.name for t in Base.metadata.sorted_tables if t.name in set(inspect(engine).get_table_names())]
            with engine.begin() as c:
                for name in reversed(names):
                    c.execute(text(f"DELETE FROM {name}"))
            engine.dispose()
        url = url or f"sqlite:///{tmp / 'bench.db'}"
        app = App(resolve({"database_url": url, "data_dir": str(tmp / "data")}, env={}, config_path=cfg), now=clock)
        accounts.add(app, "instagram", "ig", base_url=fake.base_url)
        for field, value in fake.account_config().secrets.items():
            os.environ[env_name("ig", field)] = value
        with db.write(app.engine) as s:
            planner = Planner(app, s, clock.now)
            write_plans(app, s, [planner.plan(Draft(text="Tolak Tapera! Upah buruh bukan tabungan paksa. #TolakTapera",
                                                    accounts=["ig"], when=When("now"), media=files))], clock.now)
        engine = Engine(app, "bench", concurrency=1)
        before = len(fake.calls())
        wall, passes, waits, per_pass, asked = 0.0, 0, [], [], []
        while True:
            started, calls = time.perf_counter(), len(fake.calls())
            engine.run_pass()
            wake = engine.next_wake()
            per_pass.append(time.perf_counter() - started)
            asked.append(len(fake.calls()) - calls)
            wall += per_pass[-1]
            passes += 1
            if wake is None or passes > 50:
                break
            waits.append((wake - clock.now).total_seconds())
            clock.now = wake
        with db.read(app.engine) as s:
            [d] = s.query(Delivery).all()
            ok = d.status == S.PUBLISHED and fake.create_count() == 1
        app.close()
        return {"wall": wall, "per_pass": per_pass, "asked": asked, "requests": len(fake.calls()) - before, "kinds": kinds(fake),
                "ok": ok,
                "passes": passes, "waits": waits, "simulated": (clock.now - T0).total_seconds()}
    finally:
        fake.stop()


def minimum_round(files: list[Path], latency: float, prepare: timedelta) -> dict:
    """The carousel with plain requests: what cannot be avoided, and nothing else."""
    import requests

    from connectors.meta import POLL_EVERY, POLL_SCHEDULE
    from tests.fakes.instagram import GRAPH_API_VERSION, TOKEN, USER_ID

    clock = Clock()
    fake = preparing_fake(prepare, latency, clock)
    try:
        urls = [fake.web.put(f"min-{p.name}", p.read_bytes()) for p in files]
        base = f"{fake.base_url}/{GRAPH_API_VERSION}"
        session = requests.Session()
        session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=ITEMS))

        def post(path: str, **data: str) -> dict:
            return session.post(f"{base}{path}", data={**data, "access_token": TOKEN}, timeout=30).json()

        started = time.perf_counter()
        with ThreadPoolExecutor(ITEMS) as pool:
            children = list(pool.map(lambda u: post(f"/{USER_ID}/media", image_url=u, is_carousel_item="true")["id"],
                                     urls))
        parent = post(f"/{USER_ID}/media", media_type="CAROUSEL", children=",".join(children),
                      caption="Tolak Tapera! Upah buruh bukan tabungan paksa. #TolakTapera")["id"]
        polls = 0
        while True:  # the recommended schedule: sooner first, then once a minute
            clock.now += timedelta(seconds=POLL_SCHEDULE[polls] if polls < len(POLL_SCHEDULE) else POLL_EVERY)
            polls += 1
            status = session.get(f"{base}/{parent}", params={"fields": "status_code", "access_token": TOKEN},
                                 timeout=30).json()["status_code"]
            if status == "FINISHED":
                break
        media = post(f"/{USER_ID}/media_publish", creation_id=parent)
        wall = time.perf_counter() - started
        assert "id" in media, media
        return {"wall": wall, "requests": len(fake.calls()), "kinds": kinds(fake), "round_trips": 2 + polls + 1,
                "simulated": (clock.now - T0).total_seconds()}
    finally:
        fake.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--latency", type=float, default=200, help="ms per request (default 200)")
    parser.add_argument("--prepare", type=float, default=30, help="seconds Meta prepares the carousel (simulated)")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--db", help="a database URL (e.g. PostgreSQL); default a fresh SQLite file per round")
    args = parser.parse_args()
    latency, prepare = args.latency / 1000, timedelta(seconds=args.prepare)
    import logging

    logging.basicConfig(level=logging.ERROR)
    from campaigner.migrate import upgrade
    from campaigner import db

    with tempfile.TemporaryDirectory(prefix="bench-meta-") as tmp_name:
        tmp = Path(tmp_name)
        files = photos(tmp)
        if args.db:
            upgrade(db.make_engine(args.db))
        engine_runs, minimum_runs = [], []
        for n in range(args.rounds):  # interleaved: a machine whose load changes weighs on both alike
            minimum_runs.append(minimum_round(files, latency, prepare))
            round_dir = tmp / f"round{n}"
            round_dir.mkdir()
            engine_runs.append(engine_round(round_dir, args.db, files, latency, prepare))
    e, m = engine_runs[-1], minimum_runs[-1]
    e_wall = statistics.median(r["wall"] for r in engine_runs)
    m_wall = statistics.median(r["wall"] for r in minimum_runs)
    print(f"10-image Instagram carousel, {args.latency:g} ms per request, Meta prepares it for {args.prepare:g} s "
          f"(simulated; checks at the recommended 2, 5, 10, 20, 30 s, then every 60 s); median of {args.rounds} "
          f"rounds, {'SQLite' if not args.db else args.db.split(':')[0]}")
    print(f"{'':34}{'wall s':>8}{'requests':>10}   simulated s")
    print(f"{'minimum (requests, 10 at once)':34}{m_wall:8.2f}{m['requests']:10d}   {m['simulated']:.0f}  "
          f"({m['round_trips']} round trips in sequence = {m['round_trips'] * latency:.2f} s of latency)")
    print(f"{'engine (run_pass + next_wake)':34}{e_wall:8.2f}{e['requests']:10d}   {e['simulated']:.0f}  "
          f"({e['passes']} passes; waits {', '.join(f'{w:g}' for w in e['waits'])} s)")
    passes = [statistics.median(r["per_pass"][i] for r in engine_runs) for i in range(e["passes"])]
    print("engine passes: " + ", ".join(f"{p:.2f} s ({n} requests)" for p, n in zip(passes, e["asked"])))
    print(f"ratio engine / minimum: {e_wall / m_wall:.2f}; "
          f"engine's work beyond the round trips: {e_wall - m_wall:+.2f} s")
    extra = e["kinds"] - m["kinds"]
    print("requests beyond the minimum: " + (", ".join(f"{k} {v}" for k, v in sorted(extra.items())) or "none"))
    print("checks: published once in every round" if all(r["ok"] for r in engine_runs)
          else "CHECK FAILED: not published exactly once")


if __name__ == "__main__":
    main()
