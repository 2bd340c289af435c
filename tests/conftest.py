"""Shared fixtures: a real database per test (SQLite file, or PostgreSQL when
CAMPAIGNER_TEST_DATABASE_URL is set), and the real CLI run in-process with an injected clock."""
from __future__ import annotations

import os
import shutil
import sys
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import text

#: fixtures shared by several folders: a real SMTP server (``smtp_server``, ``tls_cert``) and
#: strangers' hostile replies (``hostile_replies``)
pytest_plugins = ["tests.smtp", "tests.hostile"]

PG_URL = os.environ.get("CAMPAIGNER_TEST_DATABASE_URL")
#: a fixed "now" for tests: Monday 2026-11-30 08:00 WIB
T0 = datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)


class Clock:
    """A clock tests move by hand."""

    def __init__(self, start: datetime = T0):
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kw) -> datetime:
        self.now += timedelta(**kw)
        return self.now


@dataclass
class Result:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def _migrated_sqlite_template(tmp_path_factory) -> Path:
    from campaigner.db import make_engine
    from campaigner.migrate import upgrade

    path = tmp_path_factory.mktemp("template") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    with engine.connect() as c:
        c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    return _migrated_sqlite_template(tmp_path_factory)


@pytest.fixture(scope="session")
def pg_migrated():
    """Drop and re-create the PostgreSQL test schema once per session."""
    if not PG_URL:
        return None
    from campaigner.db import make_engine
    from campaigner.migrate import upgrade

    engine = make_engine(PG_URL)
    with engine.begin() as c:
        c.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        c.execute(text("CREATE SCHEMA public"))
    upgrade(engine)
    return engine


def _truncate_pg(engine) -> None:
    from campaigner.tables import metadata

    names = ", ".join(t.name for t in metadata.sorted_tables)
    with engine.begin() as c:
        c.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


#: what chooses the language besides the config file: cleared before every test
LANGUAGE_VARS = ("CAMPAIGNER_LANG", "LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


@pytest.fixture(autouse=True)
def english(monkeypatch):
    """Every test starts in English whatever the machine's locale says (no LANGUAGE or LANG=id
    leaking in), and leaves campaigner speaking English again."""
    from campaigner import i18n

    for var in LANGUAGE_VARS:
        monkeypatch.delenv(var, raising=False)
    i18n.reset()
    yield
    i18n.reset()
    if "campaigner.cli.main" in sys.modules:  # help texts a test showed in Indonesian: English again
        from campaigner.cli.localize import localize_loaded

        localize_loaded()


@pytest.fixture
def db_url(request, tmp_path) -> str:
    """A migrated, empty database for this test."""
    if PG_URL:
        engine = request.getfixturevalue("pg_migrated")
        _truncate_pg(engine)
        return PG_URL
    path = tmp_path / "campaigner.db"
    shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
    return f"sqlite:///{path}"


@pytest.fixture
def empty_db_url(tmp_path):
    """A database with no tables at all (a fresh install), on the backend under test."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'fresh.db'}"
        return
    from campaigner.db import make_engine

    schema = "t_" + uuid.uuid4().hex[:12]
    admin = make_engine(PG_URL)
    with admin.begin() as c:
        c.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as c:
        c.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def home(tmp_path, monkeypatch) -> Path:
    """An isolated home: config, data and secrets under tmp_path; no CAMPAIGNER_* from outside."""
    for key in list(os.environ):
        if key.startswith("CAMPAIGNER_") and key != "CAMPAIGNER_TEST_DATABASE_URL":
            monkeypatch.delenv(key)
    h = tmp_path / "home"
    (h / "config").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(h))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(h / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(h / "data"))
    monkeypatch.setenv("CAMPAIGNER_CONFIG", str(h / "config" / "campaigner.toml"))
    (h / "config" / "campaigner.toml").write_text("")
    monkeypatch.setenv("CAMPAIGNER_HOME", str(h / "data"))
    return h


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def serve(clock):
    """``serve(fake)`` starts a fake on the test clock and stops it after the test."""
    started = []

    def _serve(fake):
        fake.clock = clock
        fake.start()
        started.append(fake)
        return fake

    yield _serve
    for fake in started:
        fake.stop()


class CLI:
    """Runs the real ``campaigner`` entry point in-process, as a user would type it."""

    def __init__(self, db_url: str, clock: Clock, home: Path):
        self.db_url, self.clock, self.home = db_url, clock, home
        self.env: dict[str, str] = {}

    def __call__(self, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        from campaigner.cli.main import main

        runner = CliRunner()
        with runner.isolation(input=input, env={"CAMPAIGNER_DATABASE_URL": self.db_url, **self.env, **(env or {})}) as (out, err, *_):
            try:
                main(list(args), now=self.clock)
                code = 0
            except SystemExit as e:
                code = e.code if isinstance(e.code, int) else (0 if e.code is None else 1)
            return Result(code, out.getvalue().decode(), err.getvalue().decode())

    def ok(self, *args: str, **kw) -> Result:
        r = self(*args, **kw)
        assert r.exit_code == 0, f"{args} failed ({r.exit_code}): {r.output}"
        return r


@pytest.fixture
def cli(db_url, clock, home) -> CLI:
    return CLI(db_url, clock, home)


@pytest.fixture
def engine(db_url):
    from campaigner.db import make_engine

    e = make_engine(db_url)
    yield e
    e.dispose()


@pytest.fixture
def app(db_url, home, clock):
    """The core objects on the test database, with the test clock."""
    from campaigner.app import App
    from campaigner.config import resolve

    a = App(resolve({"database_url": db_url}), now=clock)
    yield a
    a.close()


@pytest.fixture
def engine_for(app):
    """``engine_for("w1", **options)`` → a publishing engine on the test app (3 attempts, one thread)."""
    from scheduler.engine import Engine
    from scheduler.policy import RetryPolicy

    def make(worker: str = "w1", **kw) -> Engine:
        kw.setdefault("policy", RetryPolicy(max_attempts=3))
        kw.setdefault("concurrency", 1)
        return Engine(app, worker, **kw)
    return make


@pytest.fixture
def platform_account(cli, serve, monkeypatch):
    """``platform_account("mastodon", "name")`` → a started fake with an account pointed at it."""
    import importlib

    from campaigner.secrets import env_name

    def make(platform: str, name: str):
        fake = serve(importlib.import_module(f"tests.fakes.{platform}").Fake())
        cfg = fake.account_config()
        cli.ok("account", "add", platform, name, "--base-url", fake.base_url, "--daily-cap", "100")
        for field, value in cfg.secrets.items():
            monkeypatch.setenv(env_name(name, field), value)
        return fake
    return make
