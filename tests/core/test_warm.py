"""``campaigner warm start``: everyday commands run in a warm server's child give what a fresh
process gives (output, exit code, language, stdin, working folder, environment), and every other
case starts cold. Real console script, real server process, real socket; each server a test starts
is stopped by the ``warm`` fixture (and checked gone)."""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from campaigner.cli import warm as warm_cli
from campaigner.cli import warm_client

SCRIPT = str(Path(sys.executable).parent / "campaigner")
#: the installed package the console script and its server run from (which the server watches for
#: changes): in a checkout, this test process may import the source tree instead
PACKAGE = Path(subprocess.run(
    [sys.executable, "-P", "-c", "from campaigner.cli import warm_client; print(warm_client.package_dir())"],
    capture_output=True, text=True, check=True, cwd="/").stdout.strip())
#: bounded waits on a process or a file (never to let time pass)
WAIT = 60.0
#: a file of the installed package that every install has and nothing caches by its time (a
#: ``.py`` would make Python rewrite its ``__pycache__``)
CHANGED = PACKAGE / "locale" / "id" / "LC_MESSAGES" / "campaigner.mo"


@contextlib.contextmanager
def _code_changed():
    """The installed code as if changed: a file of the package the server runs from gets a later
    modification time, which its code stamp (path, time and size of each file) sees; the file's
    own times are put back afterwards. Nothing is written into the package, nothing is added to
    it. A package this user may not change (a read-only install) skips the test."""
    st = CHANGED.stat()
    try:
        os.utime(CHANGED, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    except OSError as exc:
        pytest.skip(f"cannot make the installed package look changed: {CHANGED} may not be touched "
                    f"({exc.strerror}; a read-only install)")
    try:
        yield
    finally:
        os.utime(CHANGED, ns=(st.st_atime_ns, st.st_mtime_ns))


def _poll(done, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not done():
        assert time.monotonic() < deadline, what
        time.sleep(0.01)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] if Path(f"/proc/{pid}").exists() else "X"
    return state != "Z"


class Warm:
    """The console script in an isolated environment: its own runtime folder (so the socket is
    this test's), data folder, empty config, and a trace file counting the commands a server ran."""

    def __init__(self, folder: Path, db_url: str):
        self.folder = folder
        self.runtime = Path(tempfile.mkdtemp(prefix="cw", dir="/tmp"))  # short: a socket path is ≤ 107 bytes
        self.trace = folder / "trace.jsonl"
        (folder / "config.toml").write_text("")
        self.env = {k: v for k, v in os.environ.items()
                    if not k.startswith("CAMPAIGNER_") and k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")}
        self.env.update({"XDG_RUNTIME_DIR": str(self.runtime), "CAMPAIGNER_HOME": str(folder / "data"),
                         "CAMPAIGNER_CONFIG": str(folder / "config.toml"), "CAMPAIGNER_DATABASE_URL": db_url,
                         "CAMPAIGNER_WARM_TRACE": str(self.trace), "COLUMNS": "120"})
        self.started: list[int] = []

    def __call__(self, *args: str, env: dict | None = None, cold: bool = False, **kw) -> subprocess.CompletedProcess:
        full = {**self.env, **(env or {})}
        if cold:
            full["CAMPAIGNER_WARM"] = "off"
        kw.setdefault("cwd", self.folder)
        return subprocess.run([SCRIPT, *args], capture_output=True, text=True, env=full, **kw)

    def served(self) -> int:
        """How many commands a server has run so far."""
        return len(self.trace.read_text().splitlines()) if self.trace.exists() else 0

    @property
    def pid_file(self) -> Path:
        """(The name hashes the script's interpreter path, not this process's.)"""
        found = list((self.runtime / "campaigner").glob("warm-*.pid"))
        assert len(found) <= 1, found
        return found[0] if found else self.runtime / "campaigner" / "none.pid"

    @property
    def socket(self) -> str:
        return str(self.pid_file.with_suffix(".sock"))

    def start(self, *extra: str) -> int:
        r = self("warm", "start", *extra)
        assert r.returncode == 0, r.stderr
        pid = json.loads(self.pid_file.read_text())["pid"]
        self.started.append(pid)
        return pid

    def locked(self) -> bool:
        return warm_cli._locked(str(self.pid_file))

    def log(self) -> str:
        path = self.folder / "data" / "warm.log"
        return path.read_text() if path.exists() else ""


@pytest.fixture
def warm(tmp_path, db_url, cli):
    """The isolated console script; any server it started is stopped (and must be gone) after."""
    w = Warm(tmp_path, db_url)
    yield w
    try:
        w("warm", "stop")
        for pid in w.started:
            deadline = time.monotonic() + WAIT
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.01)
            if _alive(pid):  # did not stop: end it, and fail the test
                os.kill(pid, signal.SIGKILL)
                pytest.fail(f"warm server {pid} was still running after `warm stop`")
    finally:
        shutil.rmtree(w.runtime, ignore_errors=True)


@pytest.fixture
def posts(cli):
    cli.ok("account", "add", "sandbox", "serikat-a")
    cli.ok("account", "add", "sandbox", "serikat-b", "--timezone", "Asia/Makassar")
    cli.ok("post", "add", "Tolak potongan Tapera dari upah buruh!", "--to", "serikat-a,serikat-b",
           "--at", "2027-01-05 09:00")
    cli.ok("post", "add", "Upah layak untuk semua", "--to", "serikat-a", "--at", "2027-01-06 10:00")


SAME = [
    ("post", "list"),
    ("post", "list", "--json"),
    ("post", "show", "1"),
    ("post", "show", "99"),              # an error: exit 1, one line on stderr
    ("post", "list", "--status", "bogus"),  # a usage error: exit 2
    ("queue", "--days", "3"),
    ("account", "list"),
    ("campaign", "list"),
    ("slots", "show", "serikat-a"),
]


def test_everyday_commands_give_the_same_warm_and_cold(warm, posts):
    cold = [warm(*args, cold=True) for args in SAME]
    cold_id = warm("post", "show", "99", env={"CAMPAIGNER_LANG": "id"}, cold=True)
    assert warm.served() == 0
    warm.start()
    for args, before in zip(SAME, cold):
        now = warm(*args)
        assert (now.returncode, now.stdout, now.stderr) == (before.returncode, before.stdout, before.stderr), args
    assert cold[3].returncode == 1 and cold[3].stderr == "Error: no post with id 99 — see `campaigner post list`\n"
    assert cold[4].returncode == 2 and "bogus" in cold[4].stderr
    # Indonesian, asked for only in this client's environment
    now = warm("post", "show", "99", env={"CAMPAIGNER_LANG": "id"})
    assert (now.returncode, now.stdout, now.stderr) == (1, "", cold_id.stderr)
    assert cold_id.stderr == "Kesalahan: tidak ada postingan dengan id 99 — lihat `campaigner post list`\n"
    assert warm.served() == len(SAME) + 1
    # and English again for the next command: nothing of the language stayed in the server
    assert warm("post", "show", "99").stderr == cold[3].stderr


def test_stdin_and_paths_relative_to_the_clients_folder(warm, posts, tmp_path):
    warm.start()
    r = warm("post", "add", "--file", "-", "--to", "serikat-a", "--at", "2027-01-07 08:00",
             input="Dari standar masukan: upah layak!\n")
    assert r.returncode == 0, r.stderr
    here = tmp_path / "sub"
    here.mkdir()
    (here / "teks.txt").write_text("Dari berkas relatif\n", encoding="utf-8")
    r = warm("post", "add", "--file", "teks.txt", "--to", "serikat-b", "--at", "2027-01-07 09:00", cwd=here)
    assert r.returncode == 0, r.stderr
    assert warm.served() == 2
    listing = warm("post", "list").stdout
    assert "Dari standar masukan: upah layak!" in listing and "Dari berkas relatif" in listing
    r = warm("post", "add", "--file", "missing.txt", "--to", "serikat-b", "--at", "2027-01-07 09:00", cwd=here)
    assert (r.returncode, r.stderr) == (1, "Error: file missing.txt does not exist — check the path given to --file\n")


def test_each_command_reads_its_own_environment(warm, posts, tmp_path, sqlite_template):
    other = tmp_path / "other.db"
    shutil.copyfile(sqlite_template, other)
    warm.start()
    assert "Tolak potongan Tapera" in warm("post", "list").stdout
    empty = warm("post", "list", env={"CAMPAIGNER_DATABASE_URL": f"sqlite:///{other}"})
    assert empty.returncode == 0 and "Tolak" not in empty.stdout
    assert "Tolak potongan Tapera" in warm("post", "list").stdout  # the first database again
    # the config file, named per request: its language
    (tmp_path / "id.toml").write_text('lang = "id"\n')
    r = warm("post", "show", "99", env={"CAMPAIGNER_CONFIG": str(tmp_path / "id.toml")})
    assert r.stderr == "Kesalahan: tidak ada postingan dengan id 99 — lihat `campaigner post list`\n"
    assert warm.served() == 4


def test_without_a_server_or_outside_the_everyday_commands_it_starts_cold(warm, posts):
    r = warm("post", "list")
    assert r.returncode == 0 and "Tolak potongan Tapera" in r.stdout
    warm.start()
    assert warm("config").returncode == 0            # not an everyday command
    assert warm("post", "list", env={"CAMPAIGNER_WARM": "off"}).returncode == 0
    assert warm.served() == 0
    assert warm("post", "list").returncode == 0
    assert warm.served() == 1


def test_the_server_holds_no_database_and_no_thread(warm, posts, db_url):
    pid = warm.start()
    assert warm("post", "list").returncode == 0
    assert warm("status").returncode == 0
    assert os.listdir(f"/proc/{pid}/task") == [str(pid)]
    targets = [os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")]
    if db_url.startswith("sqlite"):
        assert not any(t.startswith(db_url.removeprefix("sqlite:///")) for t in targets), targets
    tcp = set()  # the inodes of this machine's TCP sockets: a PostgreSQL connection would be one
    for table in ("tcp", "tcp6"):
        for line in Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]:
            tcp.add(line.split()[9])
    assert not [t for t in targets if t.startswith("socket:[") and t[8:-1] in tcp], targets
    log = warm.log()
    assert "post list" in log and "status" in log
    assert "Tolak" not in log and db_url not in log and "CAMPAIGNER" not in log


def test_changed_code_makes_the_server_exit_and_the_command_run_cold(warm, posts):
    warm.start()
    assert warm("post", "list").returncode == 0 and warm.served() == 1
    with _code_changed():
        r = warm("post", "list")
        assert r.returncode == 0 and "Tolak potongan Tapera" in r.stdout
        assert warm.served() == 1  # run cold
        _poll(lambda: not warm.locked(), "the server did not exit after the code changed")
        assert "exiting: the installed code changed" in warm.log()
        assert warm("warm", "status").stdout == "No warm server is running.\n"
    warm.start()  # loads the code as it is now
    assert warm("post", "list").returncode == 0 and warm.served() == 2


def test_start_replaces_a_server_whose_code_changed(warm, posts):
    """`warm start` asks the running server first: one loaded from code since changed ends, and a
    new one starts on the code as it is."""
    first = warm.start()
    with _code_changed():
        second = warm.start()
        assert second != first and not _alive(first)
        assert "exiting: the installed code changed" in warm.log()
        assert warm("post", "list").returncode == 0 and warm.served() == 1


def test_start_status_stop(warm):
    assert warm("warm", "status").stdout == "No warm server is running.\n"
    assert json.loads(warm("warm", "status", "--json").stdout) == {"running": False}
    r = warm("warm", "start", "--idle", "120")
    pid = json.loads(warm.pid_file.read_text())["pid"]
    warm.started.append(pid)
    assert r.stdout == (f"Warm server started (pid {pid}); everyday commands now start fast. "
                        "Stop it with `campaigner warm stop`.\n")
    status = warm("warm", "status").stdout.splitlines()
    assert status[0].startswith(f"Warm server running: pid {pid}, since 20") and status[0].endswith(
        "idle timeout 120 s.")
    assert status[1] == f"Socket: {warm.socket}"
    assert json.loads(warm("warm", "status", "--json").stdout)["pid"] == pid
    assert warm("warm", "start").stdout.startswith(f"A warm server is already running (pid {pid}, since ")
    folder = warm.runtime / "campaigner"
    assert folder.stat().st_mode & 0o777 == 0o700
    assert Path(warm.socket).stat().st_mode & 0o077 == 0
    assert warm("warm", "stop").stdout == f"Warm server stopped (pid {pid}).\n"
    _poll(lambda: not _alive(pid), "the server did not end")
    assert not Path(warm.socket).exists()
    assert warm("warm", "stop").stdout == "No warm server is running.\n"
    assert warm("warm", "status", env={"CAMPAIGNER_LANG": "id"}).stdout == "Tidak ada server hangat yang berjalan.\n"


def test_a_folder_others_may_enter_is_refused(warm):
    folder = warm.runtime / "campaigner"
    folder.mkdir(mode=0o755)
    folder.chmod(0o755)
    r = warm("warm", "start")
    assert (r.returncode, r.stderr) == (1, f"Error: the folder {folder} is not private (another owner, or others "
                                           "may enter it) — remove it, or make it yours with chmod 700\n")


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to connect as another uid")
def test_another_uid_is_refused(warm, posts):
    pid = warm.start()
    path = warm.socket
    folders = (warm.runtime, warm.runtime / "campaigner")
    # open the way on purpose (the folder is 0700 and the socket 0600): SO_PEERCRED still refuses
    for folder in folders:
        folder.chmod(0o711)
    os.chmod(warm.socket, 0o666)
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # nobody (uid 65534) knocks: a ping would be answered with the server's pid
        code = 1
        try:
            os.close(read)
            os.setgid(65534)
            os.setuid(65534)
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.connect(path)
                try:
                    warm_client.send(s, {"op": "ping"})
                    os.write(write, s.recv(100) or b"closed")
                except (BrokenPipeError, ConnectionResetError):
                    os.write(write, b"closed")
            code = 0
        finally:
            os._exit(code)
    os.close(write)
    try:
        with os.fdopen(read, "rb") as f:
            answer = f.read()
        assert os.waitpid(child, 0)[1] == 0
    finally:
        for folder in folders:
            folder.chmod(0o700)
        os.chmod(warm.socket, 0o600)
    assert answer == b"closed"
    assert "refused a connection from uid 65534" in warm.log()
    assert _alive(pid)
    assert warm("post", "list").returncode == 0 and warm.served() == 1  # still serving its own user


def _children(pid: int) -> list[int]:
    return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]


def test_interrupt_is_passed_to_the_child(warm, posts):
    """Ctrl-C reaches the client (the terminal's foreground group), which passes it on to the child
    the server forked: the command stops as it does in a cold start."""
    add = [SCRIPT, "post", "add", "--file", "-", "--to", "serikat-a", "--at", "2027-01-07 08:00"]

    def interrupted(env: dict, reader) -> tuple:
        proc = subprocess.Popen(add, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=env, cwd=warm.folder)
        # the command is blocked reading the client's standard input (kernel: pipe_read / pipe_wait)
        _poll(lambda: reader(proc) and "pipe" in Path(f"/proc/{reader(proc)}/wchan").read_text(),
              "the command did not read standard input")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=WAIT)
        return proc.returncode, out, err

    cold = interrupted({**warm.env, "CAMPAIGNER_WARM": "off"}, lambda proc: proc.pid)
    assert cold == (1, "", "\nError: aborted\n")  # click turns Ctrl-C into Abort
    server = warm.start()
    assert interrupted(warm.env, lambda _proc: next(iter(_children(server)), None)) == cold
    assert warm("post", "list").stdout.count("serikat-a") == 2  # nothing added
    assert warm.served() == 2


def test_everyday_allowlist():
    assert warm_client.everyday(["post", "list"]) == ["post", "list"]
    assert warm_client.everyday(["--db", "x.db", "-v", "--config=c.toml", "queue", "--days", "3"]) == ["queue"]
    assert warm_client.everyday(["-q", "status"]) == ["status"]
    for args in (["run"], ["publish"], ["demo"], ["warm", "start"], ["init"], ["post", "delete", "1"], ["post"],
                 ["--version"], [], ["--db"], ["report", "weekly"], ["replies", "answer", "1"]):
        assert warm_client.everyday(args) is None, args


def test_idle_server_ends(tmp_path):
    """The accept loop, in this process with a hand-moved clock: a request is served before the
    idle time is up, and the loop ends once it is."""
    from campaigner.cli.warm_server import Server, code_stamp

    now = [0.0]
    folder = Path(tempfile.mkdtemp(prefix="cw", dir="/tmp"))
    try:
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        listener.bind(str(folder / "s"))
        listener.listen(4)
        ping = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        ping.connect(str(folder / "s"))
        warm_client.send(ping, {"op": "ping"})
        seen = []

        class Probe(Server):
            def handle(self, conn):
                seen.append(super().handle(conn))
                now[0] = 3600.0  # the hour passes after this request
                return None

        server = Probe(listener, idle=3600, stamp=code_stamp(), info={"pid": 1}, clock=lambda: now[0])
        assert server.serve() == "idle"
        assert seen == [None] and warm_client.receive(ping) == {"pid": 1, "stale": False}
        ping.close()
        listener.close()
    finally:
        shutil.rmtree(folder)
