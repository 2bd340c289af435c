"""Migrations: applied by init, idempotent, equal to the models; old databases get a clear instruction."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from campaigner.db import HEAD_REVISION, current_revision, make_engine
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


def test_fresh_database_is_created_on_first_use(cli, empty_db_url):
    cli.ok("--db", empty_db_url, "account", "add", "sandbox", "a1")
    assert current_revision(make_engine(empty_db_url)) == HEAD_REVISION


def test_older_database_gets_instruction(cli, db_url):
    engine = make_engine(db_url)
    with engine.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = '0000_older'"))
    r = cli("account", "list")
    assert r.exit_code == 1
    assert r.stderr.startswith("Error: the database ")
    assert r.stderr.endswith(f"is at schema 0000_older, this campaigner needs {HEAD_REVISION} — back it up, "
                             "then run `campaigner init` to upgrade it\n")
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
