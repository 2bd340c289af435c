"""Engines, sessions and the schema check.

SQLite (the embedded default) gets WAL, a busy timeout and foreign keys, and its write
transactions start with ``BEGIN IMMEDIATE`` so two processes never deadlock on lock upgrade.
PostgreSQL is used as it is. Schema changes go through Alembic (``campaigner.migrate``); opening
a database only compares one revision string, so Alembic stays off the common path. Before anything
is written, a database is checked to be campaigner's: another program's tables, a file that is not
a database, or a schema from a newer campaigner are refused in one line.
"""
from __future__ import annotations

import contextlib
import re
import shutil
from pathlib import Path
from urllib.parse import urlencode
from typing import TYPE_CHECKING, Any, Callable, Iterable, Iterator, TypeVar, cast

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import URL, Connection, CursorResult, Engine, Result, make_url
from sqlalchemy.exc import (ArgumentError, DatabaseError, InterfaceError, NoSuchModuleError, OperationalError,
                            ProgrammingError, StatementError)

if TYPE_CHECKING:  # the ORM is imported where a session is made: the everyday commands use Core alone
    from sqlalchemy.orm import Session, sessionmaker

from campaigner import __version__
from campaigner.errors import ConfigError, DatabaseBusy, SchemaOutdated
from campaigner.i18n import _

#: Every Alembic revision this code knows, oldest first; a test checks them against the migrations.
REVISIONS = ("0001_initial", "0002_engine", "0006_strangers", "0008_renditions", "0004_expired", "0007_import",
             "0009_media_host", "0003_liveness", "0005_outcomes",
             "0010_meta", "0011_stance", "0013_groups", "0015_listening", "0012_drafts", "0014_processing", "0016_inbox",
             "0017_snapshot_order", "0018_kind_version", "0019_refusals")
#: The Alembic revision this code expects; a test checks it is the migrations' head.
HEAD_REVISION = REVISIONS[-1]
#: Tables every campaigner schema has had: they tell a newer campaigner's database (an unknown
#: revision) from another program's Alembic database.
CORE_TABLES = frozenset({"accounts", "posts", "deliveries"})

SQLITE_BUSY_TIMEOUT_MS = 30_000

T = TypeVar("T")


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (pysqlite's own is broken)
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
    # WAL is a lasting change to the file: made in an empty database or campaigner's own, never in
    # another program's (which the schema check then refuses)
    if cur.execute("SELECT count(*) = 0 OR sum(name = 'alembic_version') > 0 FROM sqlite_master "
                   "WHERE type = 'table'").fetchall()[0][0]:
        cur.execute("PRAGMA journal_mode = WAL")
    cur.execute("PRAGMA synchronous = NORMAL")
    cur.execute("PRAGMA foreign_keys = ON")
    cur.close()


def _sqlite_begin(conn) -> None:
    conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("immediate") else "BEGIN")


def _parse(url: str) -> URL:
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(_("cannot read the database URL {value!r}").format(value=safe_url(url)),
                          _("use sqlite:///path/to/file.db or postgresql+psycopg://user@host/db")) from None
    if parsed.get_backend_name() == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    path = sqlite_file(parsed)
    return parsed.set(database=str(path)) if path is not None else parsed


def sqlite_file(url: URL) -> Path | None:
    """The file an SQLite URL opens (``~`` expanded); None for other databases, in-memory ones and
    URI filenames."""
    if (url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:"
            or url.query.get("uri")):
        return None
    return Path(url.database).expanduser()


def require_existing(url: str, named_by: str) -> None:
    """Refuse an SQLite file that does not exist: a mistyped path must not become a new, empty
    database. ``named_by`` says where the URL came from (``--db``, ``CAMPAIGNER_DATABASE_URL``…)."""
    path = sqlite_file(_parse(url))
    if path is None:
        return
    try:
        path.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise ConfigError(_("there is no campaigner database at {path}").format(path=path),
                          _("check {named_by}, or create it with `campaigner init`").format(named_by=named_by)) from None
    except OSError:
        pass  # SQLite says what is wrong when it opens it


def make_engine(url: str) -> Engine:
    """An engine for ``url``; for SQLite the parent folder is created and pragmas set."""
    parsed = _parse(url)
    try:
        if parsed.get_backend_name() == "sqlite":
            path = sqlite_file(parsed)
            if path is not None:
                _make_parent(path)
            engine = create_engine(parsed, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "begin", _sqlite_begin)
        else:
            engine = create_engine(parsed, pool_pre_ping=True)
    except (NoSuchModuleError, ImportError) as exc:
        raise ConfigError(_("database driver for {drivername!r} is not available ({exc})").format(drivername=parsed.drivername, exc=exc),
                          _("use sqlite:/// or postgresql+psycopg://")) from None
    return engine


def _make_parent(path: Path) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(_("cannot create the folder {parent} for the database {path}: {strerror}").format(parent=path.parent, path=path, strerror=exc.strerror),
                          _("check --db / CAMPAIGNER_DATABASE_URL")) from None


#: a query parameter that holds a secret: libpq's ``password`` and ``sslpassword``, and the like
_SECRET_PARAM = re.compile(r"[^&=?]*(?:password|secret|token)[^&=]*", re.IGNORECASE)


def safe_url(url: str) -> str:
    """The URL without its passwords (``user:***@`` and ``?password=***``), for messages."""
    try:
        return _masked(make_url(url))
    except ArgumentError:  # not a URL: keep what follows the last "@", and mask query secrets
        return re.sub(rf"({_SECRET_PARAM.pattern}=)[^&]*", r"\1***", url.split("@")[-1], flags=re.IGNORECASE)


def describe(engine: Engine) -> str:
    return _masked(engine.url)


def _query(url: URL) -> list[tuple[str, str, bool]]:
    """(key, value, whether it is a secret) for each value of the URL's query (a key may repeat)."""
    return [(key, value, bool(_SECRET_PARAM.fullmatch(key)))
            for key, values in url.query.items() for value in (values if isinstance(values, tuple) else (values,))]


def _masked(url: URL) -> str:
    base = url.set(query={}).render_as_string(hide_password=True)
    pairs = [(key, "***" if secret else value) for key, value, secret in _query(url)]
    return base + ("?" + urlencode(pairs, safe="*/:,") if pairs else "")


def _secrets_of(url: URL) -> list[str]:
    """Every password in ``url``, longest first (one inside another is masked whole), to scrub
    from a driver's message."""
    found = [str(url.password)] if url.password else []
    found += [str(value) for _, value, secret in _query(url) if secret and value]
    return sorted(found, key=len, reverse=True)


def current_revision(engine: Engine) -> str | None:
    """The database's Alembic revision, or None when it has no ``alembic_version`` table."""
    try:
        with engine.connect() as conn:
            return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except DatabaseError as exc:  # also: a file that is not a database, or a server not answering
        if isinstance(exc, (OperationalError, ProgrammingError)) and "alembic_version" in str(exc):
            return None
        raise _cannot_open(engine, exc) from None


def _cannot_open(engine: Engine, exc: Exception) -> ConfigError:
    reason = _first_line(exc)
    for secret in _secrets_of(engine.url):  # a driver may quote its connection string
        reason = reason.replace(secret, "***")
    path = sqlite_file(engine.url)
    if path is None:
        return ConfigError(_("cannot open the database {value}: {reason}").format(value=describe(engine), reason=reason),
                           _("check --db / CAMPAIGNER_DATABASE_URL and that the server is running"))
    if "file is not a database" in reason:
        return ConfigError(_("{path} is not a database file").format(path=path),
                           _("check --db / CAMPAIGNER_DATABASE_URL: it must name campaigner's SQLite database"))
    if "disk I/O error" in reason and _nearly_full(path.parent):  # SQLite cannot make its -shm file
        return ConfigError(_("cannot open the database {path}: the disk is full ({reason})").format(path=path, reason=reason),
                           _("free some space on the disk that holds the database and run again"))
    return ConfigError(_("cannot open the database {value}: {reason}").format(value=describe(engine), reason=reason), _("check --db / CAMPAIGNER_DATABASE_URL"))


def _nearly_full(folder: Path) -> bool:
    """Whether the disk holding ``folder`` has too little room left to open a database."""
    try:
        return shutil.disk_usage(folder).free < (1 << 20)
    except OSError:
        return False


def _first_line(exc: Exception) -> str:
    return str(getattr(exc, "orig", exc)).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


def schema_revision(engine: Engine) -> str | None:
    """The database's campaigner schema revision, None for an empty database (no tables at all).

    Refuses, changing nothing, another program's database (tables but no campaigner schema) and
    one written by a newer campaigner (a revision this code does not know)."""
    rev = current_revision(engine)
    if rev in REVISIONS:
        return rev
    tables = sorted(set(inspect(engine).get_table_names()) - {"alembic_version"})
    if rev is None and not tables:
        return None
    if rev is None or not CORE_TABLES <= set(tables):
        detail = (f"it has other tables: {', '.join(tables[:3])}{', …' if len(tables) > 3 else ''}" if tables
                  else f"its schema {rev} is not campaigner's")
        raise ConfigError(_("the database {value} is not a campaigner database ({detail})").format(value=describe(engine), detail=detail),
                          _("give the right --db / CAMPAIGNER_DATABASE_URL (a new or empty database is set up by "
                            "`campaigner init`)"))
    raise ConfigError(_("the database {value} was written by a newer campaigner (schema {rev}; this "
                        "campaigner {version} knows up to {HEAD_REVISION})").format(value=describe(engine), rev=rev, version=__version__, HEAD_REVISION=HEAD_REVISION),
                      _("upgrade campaigner (pip install -U campaigner), then run the command again"))


def check_schema(engine: Engine, *, create_if_empty: bool = True) -> None:
    """Make sure the schema is current: an empty database is created, an older one refused (as are
    another program's database and a newer campaigner's)."""
    rev = schema_revision(engine)
    if rev == HEAD_REVISION:
        return
    if rev is None and create_if_empty:
        from campaigner.migrate import upgrade

        upgrade(engine)
        return
    raise SchemaOutdated(_("the database {value} is at schema {value2}, "
                           "this campaigner needs {HEAD_REVISION}").format(value=describe(engine), value2=rev or 'none', HEAD_REVISION=HEAD_REVISION),
                         _("back it up, then run `campaigner init` to upgrade it"))


def session_factory(engine: Engine) -> sessionmaker[Session]:
    from sqlalchemy.orm import sessionmaker

    return sessionmaker(engine, expire_on_commit=False)


def writer(engine: Engine) -> Engine:
    """``engine`` as write transactions use it: on SQLite they begin with ``BEGIN IMMEDIATE`` (the
    write lock taken at once; a deferred BEGIN that writes later can fail at once with "database is
    locked" when another process wrote meanwhile). A new object each call: keep it to reuse it."""
    return engine.execution_options(immediate=True) if engine.dialect.name == "sqlite" else engine


@contextlib.contextmanager
def write(engine: Engine) -> Iterator[Session]:
    """A session whose transaction takes the write lock at once (SQLite) and commits at the end,
    or rolls back entirely on any error — nothing is ever half-written. A lock not had within the
    busy timeout is ``DatabaseBusy`` (one line, not a bug)."""
    from sqlalchemy.orm import Session

    try:
        with Session(writer(engine), expire_on_commit=False) as session, session.begin():
            yield session
    except OperationalError as exc:
        if is_busy(exc):
            raise busy_error() from None
        raise


@contextlib.contextmanager
def write_core(engine: Engine) -> Iterator[Connection]:
    """``write`` for Core statements: a connection, not a session (no ORM imported), in a
    transaction that takes the write lock at once (SQLite) and commits at the end, or rolls back
    entirely on any error. A lock not had within the busy timeout is ``DatabaseBusy``."""
    try:
        with writer(engine).begin() as conn:
            yield conn
    except OperationalError as exc:
        if is_busy(exc):
            raise busy_error() from None
        raise


#: ``lock_names``' PostgreSQL advisory lock key (any fixed 64-bit number; "NAMES" in ASCII)
NAMES_LOCK = 0x4E414D4553


def dialect_of(conn: Session | Connection) -> str:
    """The database's dialect name ("sqlite", "postgresql") of a session or a connection."""
    return conn.dialect.name if isinstance(conn, Connection) else conn.get_bind().dialect.name


def lock(session: Session | Connection, key: int) -> None:
    """Serialise, until the transaction ends, the writers that take the lock ``key`` (a fixed
    64-bit number per purpose). PostgreSQL: a transaction-level advisory lock; SQLite needs none (a
    write transaction there already holds the only write lock)."""
    if dialect_of(session) == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def lock_names(session: Session | Connection) -> None:
    """Serialise the writers that give out account and group names: the two live in different
    tables, so no unique index can stop an account and a group being created with one name at the
    same moment."""
    lock(session, NAMES_LOCK)


def is_busy(exc: BaseException) -> bool:
    """Whether ``exc`` is a lock wait that timed out: SQLite's "database is locked" (after the busy
    timeout) or PostgreSQL's lock_not_available, or our own ``DatabaseBusy`` made from one."""
    if isinstance(exc, DatabaseBusy):
        return True
    orig = getattr(exc, "orig", exc)
    return ("database is locked" in str(orig) or "database table is locked" in str(orig)
            or getattr(orig, "sqlstate", None) == "55P03")


def busy_error() -> DatabaseBusy:
    return DatabaseBusy(_("the database is busy (another campaigner is writing to it)"), _("try again in a moment"))


@contextlib.contextmanager
def read(engine: Engine) -> Iterator[Session]:
    from sqlalchemy.orm import Session

    with Session(engine, expire_on_commit=False) as session:
        yield session


@contextlib.contextmanager
def read_core(engine: Engine) -> Iterator[Connection]:
    """``read`` for Core selects: a connection, not a session, so no ORM is imported (what the
    commands staff run all day use)."""
    with engine.connect() as conn:
        yield conn


def rowcount(result: Result[Any]) -> int:
    """The rows an UPDATE/DELETE (``Session.execute(update(…))``) matched: a conditional update's
    "did I win". SQLAlchemy types ``Session.execute`` as returning ``Result``; for these statements
    it is a ``CursorResult``, which has ``rowcount``."""
    return cast(CursorResult[Any], result).rowcount


def refused_data(exc: BaseException) -> bool:
    """Whether the database refused a statement for the data it was given (a value too long or out
    of range, a broken constraint, a value the driver cannot send), not for a problem of its own (a
    full disk, a lost connection, an I/O error: ``OperationalError``/``InterfaceError``), which no
    retry row by row would help and which must reach the user as one error."""
    return isinstance(exc, StatementError) and not isinstance(exc, (OperationalError, InterfaceError))


def insert_each(session: Session, items: Iterable[T], insert: Callable[[T], object]) -> list[tuple[T, StatementError]]:
    """Write each item with ``insert`` in its own savepoint of ``session``: one the database
    refuses for its data is rolled back alone, and the others are kept. Returns the refused items
    with the database's error; any other error (see ``refused_data``) is raised."""
    refused: list[tuple[T, StatementError]] = []
    for item in items:
        try:
            with session.begin_nested():
                insert(item)
        except StatementError as exc:
            if not refused_data(exc):
                raise
            refused.append((item, exc))
    return refused
