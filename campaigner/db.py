"""Engines, sessions and the schema check.

SQLite (the embedded default) gets WAL, a busy timeout and foreign keys, and its write
transactions start with ``BEGIN IMMEDIATE`` so two processes never deadlock on lock upgrade.
PostgreSQL is used as it is. Schema changes go through Alembic (``campaigner.migrate``); opening
a database only compares one revision string, so Alembic stays off the common path.
"""
from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from campaigner.errors import ConfigError, SchemaOutdated

#: The Alembic revision this code expects; a test checks it is the migrations' head.
HEAD_REVISION = "0002_engine"

SQLITE_BUSY_TIMEOUT_MS = 30_000


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (pysqlite's own is broken)
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.close()


def _sqlite_begin(conn) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("immediate") else "BEGIN")


def make_engine(url: str) -> Engine:
    """An engine for ``url``; for SQLite the parent folder is created and pragmas set."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(f"cannot read the database URL {safe_url(url)!r}",
                          "use sqlite:///path/to/file.db or postgresql+psycopg://user@host/db") from None
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        if parsed.get_backend_name() == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        else:
            engine = create_engine(parsed, pool_pre_ping=True)
    except (NoSuchModuleError, ImportError) as exc:
        raise ConfigError(f"database driver for {parsed.drivername!r} is not available ({exc})",
                          "use sqlite:/// or postgresql+psycopg://") from None
    return engine


def safe_url(url: str) -> str:
    """The URL without its password, for messages."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url.split("@")[-1]


def describe(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def current_revision(engine: Engine) -> str | None:
    """The database's Alembic revision, or None for an empty database."""
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except (OperationalError, ProgrammingError) as exc:
        if "alembic_version" in str(exc):
            return None
        raise ConfigError(f"cannot open the database {describe(engine)}: {_first_line(exc)}",
                          "check --db / CAMPAIGNER_DATABASE_URL and that the server is running") from None


def _first_line(exc: Exception) -> str:
    return str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def check_schema(engine: Engine, *, create_if_empty: bool = True) -> None:
    """Make sure the schema is current: an empty database is created, an older one refused."""
    rev = current_revision(engine)
    if rev == HEAD_REVISION:
        return
    if rev is None and create_if_empty:
        from campaigner.migrate import upgrade

        upgrade(engine)
        return
    raise SchemaOutdated(f"the database {describe(engine)} is at schema {rev or 'none'}, "
                         f"this campaigner needs {HEAD_REVISION}",
                         "back it up, then run `campaigner init` to upgrade it")


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def writer(engine: Engine) -> Engine:
    """``engine`` as write transactions use it: on SQLite they begin with ``BEGIN IMMEDIATE`` (the
    write lock taken at once; a deferred BEGIN that writes later can fail at once with "database is
    locked" when another process wrote meanwhile). A new object each call: keep it to reuse it."""
    return engine.execution_options(immediate=True) if engine.dialect.name == "sqlite" else engine


@contextlib.contextmanager
def write(engine: Engine) -> Iterator[Session]:
    """A session whose transaction takes the write lock at once (SQLite) and commits at the end,
    or rolls back entirely on any error — nothing is ever half-written."""
    with Session(writer(engine), expire_on_commit=False) as session, session.begin():
        yield session


@contextlib.contextmanager
def read(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session
