"""Opening the database: a wrong database (a mistyped path, a file that is not a database, another
program's tables, a newer campaigner's schema) or a bad data folder gets one line, exit 1, and is
left exactly as it was. Only ``campaigner init`` creates a database the user named; the default one
(in the data folder) is still created on first use."""
import sqlite3
from pathlib import Path

from sqlalchemy import inspect, text

from campaigner.db import HEAD_REVISION, current_revision, describe, make_engine

NO_DB = "Error: there is no campaigner database at {} — check {}, or create it with `campaigner init`\n"
NOT_A_FILE = ("Error: {} is not a database file — check --db / CAMPAIGNER_DATABASE_URL: it must name campaigner's "
              "SQLite database\n")
NOT_OURS = ("Error: the database {} is not a campaigner database ({}) — give the right --db / "
            "CAMPAIGNER_DATABASE_URL (a new or empty database is set up by `campaigner init`)\n")
HOME_FIX = "set CAMPAIGNER_HOME to a folder campaigner can create and write to\n"


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def _refused(r, message: str) -> None:
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", message)


# F6: a file that is not a database

def test_file_that_is_not_a_database_is_refused(cli, tmp_path):
    folder = tmp_path / "files"
    folder.mkdir()
    (folder / "notadb.db").write_text("hello\n")
    (folder / "img.png").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200))
    before = _files(folder)
    _refused(cli("--db", str(folder / "notadb.db"), "status"), NOT_A_FILE.format(folder / "notadb.db"))
    _refused(cli("post", "list", env={"CAMPAIGNER_DATABASE_URL": f"sqlite:///{folder / 'img.png'}"}),
             NOT_A_FILE.format(folder / "img.png"))
    _refused(cli("--db", str(folder / "notadb.db"), "init"), NOT_A_FILE.format(folder / "notadb.db"))
    assert _files(folder) == before  # not changed, and no -wal / -shm beside them


def test_folder_given_as_database(cli, tmp_path):
    folder = tmp_path / "somefolder"
    folder.mkdir()
    r = cli("--db", str(folder), "status")
    _refused(r, f"Error: cannot open the database sqlite:///{folder}: unable to open database file — "
                "check --db / CAMPAIGNER_DATABASE_URL\n")
    assert list(folder.iterdir()) == []


# F7: a data folder that cannot be created

def test_data_folder_that_cannot_be_created(cli, tmp_path, home):
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder\n")
    default = {"CAMPAIGNER_DATABASE_URL": None}  # the default database, in the data folder
    r = cli("status", env={**default, "CAMPAIGNER_HOME": str(a_file)})
    _refused(r, f"Error: the data folder {a_file} is a file, not a folder — {HOME_FIX}")
    r = cli("status", env={**default, "CAMPAIGNER_HOME": str(a_file / "sub")})
    _refused(r, f"Error: cannot create the data folder {a_file / 'sub'}: Not a directory — {HOME_FIX}")
    cfg = home / "config" / "campaigner.toml"
    cfg.write_text(f'data_dir = "{a_file}"\n')
    r = cli("account", "add", "sandbox", "a1", env={**default, "CAMPAIGNER_HOME": None})
    _refused(r, f"Error: the data folder {a_file} is a file, not a folder — set data_dir in {cfg} to a folder "
                "campaigner can create and write to\n")
    # init checks the data folder before it creates the database it was given
    r = cli("--db", str(tmp_path / "new.db"), "init", env={"CAMPAIGNER_HOME": str(a_file)})
    _refused(r, f"Error: the data folder {a_file} is a file, not a folder — {HOME_FIX}")
    assert not (tmp_path / "new.db").exists() and a_file.read_text() == "not a folder\n"
    # with a database of its own, a command that stores media still needs the data folder
    from tests.core.test_posts_cli import PNG

    (tmp_path / "poster.png").write_bytes(PNG)
    cli.ok("account", "add", "sandbox", "s1")
    r = cli("post", "add", "Halo", "--to", "s1", "--at", "+1h", "--media", str(tmp_path / "poster.png"),
            env={"CAMPAIGNER_HOME": str(a_file)})
    _refused(r, f"Error: the data folder {a_file} is a file, not a folder — {HOME_FIX}")
    assert cli.ok("post", "list", "--json").stdout == "[]\n"


# F8: a database the user named must exist; only init creates it

def test_named_database_that_does_not_exist_is_refused(cli, tmp_path, home):
    typo = tmp_path / "typo" / "dir" / "campaigner.db"
    _refused(cli("--db", str(typo), "post", "list"), NO_DB.format(typo, "--db"))
    _refused(cli("status", env={"CAMPAIGNER_DATABASE_URL": f"sqlite:///{typo}"}),
             NO_DB.format(typo, "CAMPAIGNER_DATABASE_URL"))
    cfg = home / "config" / "campaigner.toml"
    cfg.write_text(f'database_url = "sqlite:///{typo}"\n')
    _refused(cli("account", "add", "sandbox", "a1", env={"CAMPAIGNER_DATABASE_URL": None}),
             NO_DB.format(typo, f"database_url in {cfg}"))
    assert not (tmp_path / "typo").exists()
    # init creates it, and from then on it is used
    assert "created (schema" in cli.ok("--db", str(typo), "init").stdout
    cli.ok("--db", str(typo), "account", "add", "sandbox", "a1")
    assert "a1" in cli.ok("--db", str(typo), "account", "list").stdout


def test_default_database_is_created_on_first_use(cli, home):
    data = home / "data"
    r = cli.ok("account", "add", "sandbox", "a1", env={"CAMPAIGNER_DATABASE_URL": None})
    assert "a1" in r.stdout
    assert current_revision(make_engine(f"sqlite:///{data / 'campaigner.db'}")) == HEAD_REVISION


# A database URL SQLAlchemy cannot read: its passwords are masked in the message

UNREADABLE = ("Error: cannot read the database URL {!r} — use sqlite:///path/to/file.db or "
              "postgresql+psycopg://user@host/db\n")


def test_unreadable_database_url_is_one_line_without_its_passwords(cli, home):
    _refused(cli("status", env={"CAMPAIGNER_DATABASE_URL": "://u:pw-Zq81x@h/db"}), UNREADABLE.format("h/db"))
    _refused(cli("post", "list", env={"CAMPAIGNER_DATABASE_URL": "://u@h/db?sslPassword=Zq81x&sslmode=require"}),
             UNREADABLE.format("h/db?sslPassword=***&sslmode=require"))
    assert not (home / "data").exists()  # nothing created


# F9: another program's database

def _tables(url: str) -> list[str]:
    engine = make_engine(url)
    try:
        return sorted(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_another_programs_database_is_refused(cli, empty_db_url):
    engine = make_engine(empty_db_url)
    with engine.begin() as c:
        c.execute(text("CREATE TABLE invoices (x INTEGER)"))
    where = describe(engine)
    engine.dispose()
    for args in (("status",), ("account", "list"), ("init",)):
        _refused(cli("--db", empty_db_url, *args), NOT_OURS.format(where, "it has other tables: invoices"))
    assert _tables(empty_db_url) == ["invoices"]


def test_another_programs_sqlite_file_is_left_byte_for_byte(cli, tmp_path):
    other = tmp_path / "other.db"
    conn = sqlite3.connect(other)
    conn.execute("CREATE TABLE invoices (x)")
    conn.commit()
    conn.close()
    before = _files(tmp_path)
    for args in (("status",), ("init",)):
        _refused(cli("--db", str(other), *args), NOT_OURS.format(f"sqlite:///{other}", "it has other tables: invoices"))
    assert _files(tmp_path) == before  # not even switched to WAL


def test_another_programs_alembic_database_is_refused(cli, empty_db_url):
    engine = make_engine(empty_db_url)
    with engine.begin() as c:
        c.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
        c.execute(text("INSERT INTO alembic_version VALUES ('ae1027a6acf')"))
        c.execute(text("CREATE TABLE orders (x INTEGER)"))
    where = describe(engine)
    engine.dispose()
    for args in (("status",), ("init",)):
        _refused(cli("--db", empty_db_url, *args), NOT_OURS.format(where, "it has other tables: orders"))
    assert current_revision(make_engine(empty_db_url)) == "ae1027a6acf"


# F10: a database from a newer campaigner

def test_newer_campaigners_database_is_refused_with_upgrade_advice(cli, db_url):
    engine = make_engine(db_url)
    with engine.begin() as c:
        c.execute(text("UPDATE alembic_version SET version_num = '0003_future'"))
    try:
        message = (f"Error: the database {describe(engine)} was written by a newer campaigner (schema 0003_future; "
                   f"this campaigner 0.1.0 knows up to {HEAD_REVISION}) — upgrade campaigner "
                   "(pip install -U campaigner), then run the command again\n")
        for args in (("status",), ("post", "list"), ("init",)):
            _refused(cli(*args), message)
        assert current_revision(engine) == "0003_future"
    finally:
        with engine.begin() as c:
            c.execute(text(f"UPDATE alembic_version SET version_num = '{HEAD_REVISION}'"))
        engine.dispose()


def test_known_revisions_are_the_migrations():
    from alembic.script import ScriptDirectory

    from campaigner.db import REVISIONS
    from campaigner.migrate import MIGRATIONS

    scripts = ScriptDirectory(str(MIGRATIONS))
    assert list(REVISIONS) == [s.revision for s in reversed(list(scripts.walk_revisions()))]
