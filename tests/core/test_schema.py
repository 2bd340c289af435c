"""Migrations: applied by init, idempotent, equal to the models; old databases get a clear instruction."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from campaigner.db import HEAD_REVISION, current_revision, describe, make_engine
from campaigner.migrate import head_revision
from campaigner.models import Base


def test_head_constant_matches_migrations():
    assert head_revision() == HEAD_REVISION


def test_init_creates_and_is_idempotent(cli, empty_db_url):
    r = cli.ok("--db", empty_db_url, "init")
    assert r.stdout.startswith("Database ") and f"created (schema {HEAD_REVISION})" in r.stdout
    r = cli.ok("--db", empty_db_url, "init")
    assert f"is up to date (schema {HEAD_REVISION})" in r.stdout


def test_migrated_schema_equals_models(empty_db_url, cli):
    cli.ok("--db", empty_db_url, "init")
    engine = make_engine(empty_db_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}), Base.metadata)
    engine.dispose()
    assert diff == []


def test_empty_database_is_set_up_on_first_use(cli, empty_db_url, tmp_path):
    """An existing database with no tables at all (an empty SQLite file, a new PostgreSQL database) is
    set up by the first command; a named SQLite file that does not exist is not (see
    test_database_open.py)."""
    if empty_db_url.startswith("sqlite"):
        (tmp_path / "fresh.db").write_bytes(b"")
    cli.ok("--db", empty_db_url, "account", "add", "sandbox", "a1")
    assert current_revision(make_engine(empty_db_url)) == HEAD_REVISION


def test_older_database_gets_instruction(cli, db_url):
    # an older revision this campaigner knows (an unknown one is a newer campaigner's: test_database_open.py)
    engine = make_engine(db_url)
    with engine.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = '0001_initial'"))
    r = cli("account", "list")
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == (f"Error: the database {describe(engine)} is at schema 0001_initial, this campaigner needs "
                        f"{HEAD_REVISION} — back it up, then run `campaigner init` to upgrade it\n")
    with engine.begin() as c:
        c.execute(text(f"UPDATE alembic_version SET version_num = '{HEAD_REVISION}'"))
    engine.dispose()


def test_sqlite_pragmas(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'p.db'}")
    with engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert c.exec_driver_sql("PRAGMA busy_timeout").scalar() == 30000
    engine.dispose()


def test_upgrade_from_first_schema_keeps_data(cli, empty_db_url):
    from campaigner.migrate import upgrade

    engine = make_engine(empty_db_url)
    upgrade(engine, "0001_initial")
    with engine.begin() as c:
        c.execute(text("INSERT INTO accounts (name, platform, status, created_at) "
                       "VALUES ('lama', 'sandbox', 'active', '2026-01-01 00:00:00')"))
    engine.dispose()
    r = cli("--db", empty_db_url, "account", "list")
    assert r.exit_code == 1 and "is at schema 0001_initial" in r.stderr
    assert "upgraded" in cli.ok("--db", empty_db_url, "init").stdout
    assert "lama" in cli.ok("--db", empty_db_url, "account", "list").stdout
