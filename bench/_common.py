"""What several bench scripts share: timing the answers of a platform fake, and a PostgreSQL
schema of a bench's own, dropped afterwards. (Imported by the scripts as ``_common``: each is run
as ``python bench/NAME.py``, which puts this folder first on the path.)"""
from __future__ import annotations

import tempfile
import time
import uuid
from contextlib import contextmanager
from typing import Callable, Iterator

from sqlalchemy import text
from sqlalchemy.engine import Engine


def time_route(fake) -> None:
    """Wrap the fake's ``route`` so the time the fake spends answering can be told apart."""
    original = fake.route
    fake.route_seconds = 0.0

    def timed(req):
        t = time.perf_counter()
        try:
            return original(req)
        finally:
            fake.route_seconds += time.perf_counter() - t

    fake.route = timed


def pg_admin(url: str, out=None) -> Engine | None:
    """An engine on the PostgreSQL database ``url``; None (said on ``out``) when no server answers."""
    from campaigner.db import make_engine

    try:
        admin = make_engine(url)
        admin.connect().close()
    except Exception as exc:  # noqa: BLE001 - no server: say so and stop
        print(f"\nPostgreSQL not reachable at {url.split('@')[-1]} ({type(exc).__name__}): skipped", file=out)
        return None
    return admin


@contextmanager
def scratch_schema(admin: Engine, url: str, prefix: str) -> Iterator[str]:
    """A new schema named ``prefix`` + a random tail, dropped afterwards: yields ``url`` with it as
    the search path."""
    schema = prefix + uuid.uuid4().hex[:8]
    with admin.begin() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))
    try:
        sep = "&" if "?" in url else "?"
        yield f"{url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as c:
            c.execute(text(f"DROP SCHEMA {schema} CASCADE"))


def on_each_backend(run: Callable[[str, str], None], only: str | None, pg_url: str, prefix: str) -> None:
    """``run(url, label)`` on a fresh SQLite file, then on a scratch PostgreSQL schema (``only``:
    "sqlite" or "pg" for one of them); PostgreSQL is skipped, said, when no server answers."""
    if only != "pg":
        with tempfile.TemporaryDirectory() as tmp:
            run(f"sqlite:///{tmp}/bench.db", "SQLite")
    if only != "sqlite":
        admin = pg_admin(pg_url)
        if admin is None:
            return
        try:
            with scratch_schema(admin, pg_url, prefix) as url:
                run(url, "PostgreSQL")
        finally:
            admin.dispose()
