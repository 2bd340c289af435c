"""Migrations: applied by init, idempotent, equal to the models; old databases get a clear instruction."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

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


def test_every_migration_keeps_the_rows_that_point_at_an_altered_table(empty_db_url):
    """SQLite alters a table by copying it and dropping the old one; with foreign keys on, that drop
    cascaded and deleted every delivery of every post (0008 added a column to posts). From the
    first schema to the head and back, every row of every table survives, on both backends."""
    from alembic import command

    from campaigner.migrate import alembic_config, upgrade

    engine = make_engine(empty_db_url)
    upgrade(engine, "0002_engine")
    t = "'2026-11-30 02:00:00+00:00'"
    rows = [
        f"INSERT INTO accounts (id, name, platform, status, created_at) VALUES (1, 's1', 'sandbox', 'active', {t})",
        f"INSERT INTO campaigns (id, slug, name, hashtags, auto_hashtags, created_at) "
        f"VALUES (1, 'upah', 'Upah', '[]', true, {t})",
        f"INSERT INTO posts (id, campaign_id, text, is_thread, variants, created_at, updated_at) "
        f"VALUES (1, 1, 'Lama', false, '{{}}', {t}, {t})",
        "INSERT INTO post_media (id, post_id, position, stored_path, original_name, mime_type, size_bytes, sha256, "
        "alt_text) VALUES (1, 1, 0, 'ab/ab.png', 'a.png', 'image/png', 10, 'ab', '')",
        f"INSERT INTO deliveries (id, post_id, account_id, status, due_at, slot_based, attempt_count, created_at, "
        f"updated_at) VALUES (1, 1, 1, 'published', {t}, false, 1, {t}, {t})",
        "INSERT INTO delivery_parts (id, delivery_id, position, text, idempotency_key) VALUES (1, 1, 0, 'Lama', 'k1')",
        f"INSERT INTO attempts (id, delivery_id, part_position, kind, started_at) VALUES (1, 1, 0, 'publish', {t})",
        f"INSERT INTO metric_snapshots (id, delivery_id, collected_at, missing, raw) VALUES (1, 1, {t}, false, '{{}}')",
        f"INSERT INTO replies (id, delivery_id, remote_id, author, text, created_at, collected_at) "
        f"VALUES (1, 1, 'r1', 'a', 'Setuju', {t}, {t})",
        f"INSERT INTO alerts (id, created_at, kind, account_id, delivery_id, message) "
        f"VALUES (1, {t}, 'failed', 1, 1, 'm')",
    ]
    with engine.begin() as c:
        for row in rows:
            c.execute(text(row))
    tables = [row.split()[2] for row in rows]

    def counts() -> list[int]:
        with engine.connect() as c:
            return [c.execute(text(f"SELECT count(*) FROM {name}")).scalar_one() for name in tables]

    upgrade(engine)
    assert counts() == [1] * len(tables)
    command.downgrade(alembic_config(engine), "0002_engine")
    assert counts() == [1] * len(tables)
    upgrade(engine)
    assert counts() == [1] * len(tables)
    if engine.dialect.name == "sqlite":
        with engine.connect() as c:
            assert c.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1  # on again after migrating
    engine.dispose()


def test_upgrade_rewrites_the_prose_outcomes_as_codes(cli, db_url):
    cli.ok("account", "add", "sandbox", "s1")
    cli.ok("post", "add", "Satu", "--to", "s1", "--now")
    engine = make_engine(db_url)
    old = ["unknown", "resolved by hand: resend", "resolved by hand: found"]
    if engine.dialect.name == "sqlite":  # 41 characters: PostgreSQL refused to store it
        old.append("published (found after duplicate refusal)")
    from alembic import command

    from campaigner.migrate import alembic_config

    command.downgrade(alembic_config(engine), "0003_liveness")  # the one before
    with engine.begin() as c:
        for outcome in old:
            c.execute(text("INSERT INTO attempts (delivery_id, part_position, kind, started_at, outcome) "
                           "VALUES (1, 0, 'publish', '2026-11-30 01:00:00', :outcome)"), {"outcome": outcome})
    assert "upgraded" in cli.ok("init").stdout
    with engine.connect() as c:
        stored = list(c.scalars(text("SELECT outcome FROM attempts ORDER BY id")))
    engine.dispose()
    assert stored == ["unknown", "resolved_resend", "resolved_found", "already_published"][:len(old)]
    assert "s1 part 1: resolved_found" in cli.ok("post", "show", "1").stdout


def test_downgrading_imports_removes_what_unfinished_imports_wrote(empty_db_url):
    """Code older than 0007 cannot read an ``importing`` delivery: downgrading 0007 deletes what
    unfinished imports wrote (posts, media, deliveries, parts, attempts) and keeps the rest — the
    posts of a finished import and those never imported — on both backends."""
    from alembic import command

    from campaigner.migrate import alembic_config, upgrade

    engine = make_engine(empty_db_url)
    upgrade(engine, "0007_import")
    t = "'2026-11-30 02:00:00+00:00'"
    rows = [f"INSERT INTO accounts (id, name, platform, status, created_at) VALUES (1, 's1', 'sandbox', 'active', {t})",
            f"INSERT INTO imports (id, source, host, pid, started_at, beat_at, finished_at) "
            f"VALUES (1, 'done.csv', 'h', 1, {t}, {t}, {t})",
            f"INSERT INTO imports (id, source, host, pid, started_at, beat_at) VALUES (2, 'cut.csv', 'h', 2, {t}, {t})"]
    for post, import_id, status in ((1, "1", "queued"), (2, "2", "importing"), (3, "NULL", "queued")):
        rows += [
            f"INSERT INTO posts (id, text, is_thread, variants, created_at, updated_at, import_id) "
            f"VALUES ({post}, 'Tolak Tapera', false, '{{}}', {t}, {t}, {import_id})",
            f"INSERT INTO post_media (id, post_id, position, stored_path, original_name, mime_type, size_bytes, "
            f"sha256, alt_text) VALUES ({post}, {post}, 0, 'ab/ab.png', 'a.png', 'image/png', 10, 'ab', '')",
            f"INSERT INTO deliveries (id, post_id, account_id, status, due_at, slot_based, attempt_count, "
            f"created_at, updated_at) VALUES ({post}, {post}, 1, '{status}', {t}, false, 0, {t}, {t})",
            f"INSERT INTO delivery_parts (id, delivery_id, position, text, idempotency_key) "
            f"VALUES ({post}, {post}, 0, 'Tolak Tapera', 'k{post}')",
            f"INSERT INTO attempts (id, delivery_id, part_position, kind, started_at) "
            f"VALUES ({post}, {post}, 0, 'publish', {t})",
        ]
    with engine.begin() as c:
        for row in rows:
            c.execute(text(row))
    command.downgrade(alembic_config(engine), "0004_expired")
    with engine.connect() as c:
        assert current_revision(engine) == "0004_expired"
        for table in ("posts", "post_media", "deliveries", "delivery_parts", "attempts"):
            assert c.execute(text(f"SELECT id FROM {table} ORDER BY id")).scalars().all() == [1, 3], table
        assert c.execute(text("SELECT count(*) FROM deliveries WHERE status = 'importing'")).scalar_one() == 0
    engine.dispose()


def test_downgrading_groups_gives_older_code_what_it_can_read(cli, empty_db_url):
    """Code older than 0013 has no groups and cannot read a ``deleted`` delivery or a delete
    attempt's outcome: downgrading drops the groups, turns a deleted delivery back into a published
    one (it did go out) and removes the delete attempts; the rest is kept, on both backends."""
    from alembic import command

    from campaigner.migrate import alembic_config

    cli.ok("--db", empty_db_url, "init")
    cli.ok("--db", empty_db_url, "account", "add", "sandbox", "s1")
    cli.ok("--db", empty_db_url, "group", "add", "semua", "s1")
    cli.ok("--db", empty_db_url, "post", "add", "Satu", "--to", "s1", "--now")
    cli.ok("--db", empty_db_url, "post", "add", "Dua", "--to", "s1", "--now")
    cli.ok("--db", empty_db_url, "publish")
    cli.ok("--db", empty_db_url, "post", "delete", "1")
    engine = make_engine(empty_db_url)
    command.downgrade(alembic_config(engine), "0010_meta")
    with engine.connect() as c:
        assert c.execute(text("SELECT status FROM deliveries ORDER BY id")).scalars().all() == ["published"] * 2
        assert c.execute(text("SELECT kind, outcome FROM attempts ORDER BY id")).all() == [
            ("publish", "published"), ("publish", "published")]
    assert "account_groups" not in inspect(engine).get_table_names()
    command.upgrade(alembic_config(engine), "head")
    engine.dispose()
    assert "published" in cli.ok("--db", empty_db_url, "post", "show", "1").stdout


def test_downgrading_processing_rewrites_it_as_transient(cli, db_url):
    """Older code does not know the outcome ``processing`` (a post the platform was still preparing):
    downgrading 0014 makes it ``transient`` (nothing is out, asked again later) and drops the
    account's platform quota, on both backends."""
    from alembic import command

    from campaigner.migrate import alembic_config

    cli.ok("account", "add", "sandbox", "s1")
    cli.ok("post", "add", "Satu", "--to", "s1", "--now")
    engine = make_engine(db_url)
    with engine.begin() as c:
        for outcome in ("processing", "published"):
            c.execute(text("INSERT INTO attempts (delivery_id, part_position, kind, started_at, outcome) "
                           "VALUES (1, 0, 'publish', '2026-11-30 01:00:00', :outcome)"), {"outcome": outcome})
        c.execute(text("UPDATE accounts SET quota_total = 50"))
    command.downgrade(alembic_config(engine), "0012_drafts")
    with engine.connect() as c:
        assert list(c.scalars(text("SELECT outcome FROM attempts ORDER BY id"))) == ["transient", "published"]
        assert "quota_total" not in [col["name"] for col in inspect(c).get_columns("accounts")]
    assert "upgraded" in cli.ok("init").stdout
    engine.dispose()
