"""The ``campaigner`` console script: hand an everyday command to a warm server, else run it here.

A warm server (``campaigner warm start``, ``campaigner.cli.warm_server``) has already imported the
CLI, SQLAlchemy and the models; it forks a child per command, so a short command like ``post list``
skips the ~0.3 s of imports a fresh process pays (the technique of Mercurial's ``chg``). It is
opt-in: with no server, or for any command outside ``EVERYDAY``, the command runs in this process
exactly as it always did (``campaigner.cli.main.main``).

This module is imported by every invocation, so it uses the standard library only (os, sys, socket,
struct, signal, json), imports those only when a server may answer, and nothing of campaigner.

What goes over the socket (a private folder, 0700; both ends check the other's uid with
SO_PEERCRED): one request — the arguments, the environment, the working folder, the umask, how
each standard stream is encoded — with file descriptors 0, 1 and 2 attached (SCM_RIGHTS); the child
answers ``{"pid": N}`` once it has taken them over (or ``{"refused": why}``: then the command runs
here), and ``{"exit": code, "cpu": [user, system]}`` when the command is done. SIGINT, SIGTERM and
SIGHUP received meanwhile are passed on to the child.

``CAMPAIGNER_WARM_TRACE=FILE`` (for bench/cli_startup.py and the tests): each command a server ran
appends one JSON line ``{"child": pid, "cpu": [user, system]}`` to FILE — the child's own CPU seconds,
which the parent's rusage cannot see.
"""
from __future__ import annotations

import os
import sys

#: the short everyday commands a warm server may run: command → its sub-commands (None: no
#: sub-command). Never the long-running or setup ones (run, publish, demo, init, warm, migrations).
EVERYDAY: dict[str, frozenset[str] | None] = {
    "queue": None,
    "status": None,
    "post": frozenset({"list", "show", "add", "edit", "cancel"}),
    "replies": frozenset({"list", "show"}),
    "campaign": frozenset({"list", "show"}),
    "account": frozenset({"list", "show"}),
    "group": frozenset({"list", "show"}),
    "slots": frozenset({"show"}),
}
#: root options that take a value, and root flags (campaigner.cli.main's root command)
_VALUED = ("--db", "--config", "--timezone")
_FLAGS = ("-v", "-vv", "-vvv", "--verbose", "-q", "--quiet")
#: the most one framed message may hold (a request carries the whole environment)
MAX_MESSAGE = 1 << 20
#: environment variables that shape the interpreter itself: a request whose values differ from the
#: server's runs cold (the server's imports were made under its own)
INTERPRETER_VARS = ("PYTHONPATH", "PYTHONHOME", "PYTHONUTF8", "PYTHONNOUSERSITE", "PYTHONUSERBASE",
                    "PYTHONSAFEPATH", "PYTHONDEVMODE", "PYTHONOPTIMIZE", "PYTHONWARNINGS", "PYTHONINSPECT")


def everyday(args: list[str]) -> list[str] | None:
    """The command words of ``args`` (``["post", "list"]``) when it is an everyday command, else None."""
    i = 0
    while i < len(args):
        arg = args[i]
        if arg in _VALUED:
            i += 2
        elif arg in _FLAGS or arg.startswith(("--db=", "--config=", "--timezone=")):
            i += 1
        else:
            break
    if i >= len(args) or args[i] not in EVERYDAY:
        return None
    subs = EVERYDAY[args[i]]
    if subs is None:
        return [args[i]]
    if i + 1 < len(args) and args[i + 1] in subs:
        return [args[i], args[i + 1]]
    return None


def _fnv(data: bytes) -> str:
    """FNV-1a, 64 bits: a stable name without importing hashlib."""
    h = 0xcbf29ce484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001b3) & 0xFFFFFFFFFFFFFFFF
    return f"{h:016x}"


def package_dir() -> str:
    """The installed ``campaigner`` package's folder."""
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def runtime_dir(env=os.environ) -> str:
    """The private folder of the warm sockets: ``$XDG_RUNTIME_DIR/campaigner``, else
    ``/tmp/campaigner-UID``."""
    base = env.get("XDG_RUNTIME_DIR", "")
    if base and os.path.isabs(base):
        return os.path.join(base, "campaigner")
    return f"/tmp/campaigner-{os.getuid()}"


def paths(env=os.environ) -> tuple[str, str]:
    """(socket, pid file) of the server for this interpreter and this installed package: two
    virtual environments (or two checkouts) never share a server."""
    key = _fnv(f"{sys.executable}\0{package_dir()}".encode("utf-8", "surrogateescape"))
    folder = runtime_dir(env)
    return os.path.join(folder, f"warm-{key}.sock"), os.path.join(folder, f"warm-{key}.pid")


def private(folder: str) -> bool:
    """Whether ``folder`` is a real folder of ours that nobody else may enter."""
    import stat

    try:
        st = os.lstat(folder)
    except OSError:
        return False
    return stat.S_ISDIR(st.st_mode) and st.st_uid == os.getuid() and not st.st_mode & 0o077


def send(sock, message: dict) -> None:
    import json
    import struct

    data = json.dumps(message).encode("utf-8", "surrogateescape")
    sock.sendall(struct.pack("!I", len(data)) + data)


def receive(sock, first: bytes = b"") -> dict | None:
    """One framed message; None at the end of the stream."""
    import json
    import struct

    head = _exactly(sock, 4, first)
    if head is None:
        return None
    (size,) = struct.unpack("!I", head)
    if size > MAX_MESSAGE:
        raise ValueError("message too long")
    body = _exactly(sock, size)
    if body is None:
        return None
    message = json.loads(body.decode("utf-8", "surrogateescape"))
    if not isinstance(message, dict):
        raise ValueError("not a message")
    return message


def _exactly(sock, n: int, first: bytes = b"") -> bytes | None:
    data = bytearray(first)
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            return None
        data += chunk
    return bytes(data)


def connect(path: str):
    """A connection to the server at ``path`` (checked to run as our uid), or None."""
    import socket
    import struct

    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(path)
        creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
        if struct.unpack("3i", creds)[1] != os.getuid():
            sock.close()
            return None
    except OSError:
        sock.close()
        return None
    return sock


def _stream(stream) -> list:
    return [stream.encoding, stream.errors, stream.line_buffering, stream.write_through]


def request(args: list[str]) -> dict:
    """What the child needs to run ``args`` as this process would."""
    mask = os.umask(0)
    os.umask(mask)
    return {"op": "run", "argv": ["campaigner", *args], "env": dict(os.environ), "cwd": os.getcwd(),
            "umask": mask, "stdio": [_stream(sys.stdin), _stream(sys.stdout), _stream(sys.stderr)],
            "encoding": locale_encoding()}


def locale_encoding() -> str:
    """The encoding ``open()`` uses by default in this process (UTF-8 mode, else the locale's)."""
    if sys.flags.utf8_mode:
        return "utf-8"
    import _locale

    return _locale.getencoding()


_FORWARDED = ("SIGINT", "SIGTERM", "SIGHUP")


def run_warm(args: list[str]) -> int | None:
    """Run ``args`` in a warm server's child: its exit code, or None when no server took it."""
    socket_path, _pid_file = paths()
    if not os.path.exists(socket_path) or not private(os.path.dirname(socket_path)):
        return None
    sock = connect(socket_path)
    if sock is None:
        return None
    import signal
    import socket

    state: dict = {"child": None, "signal": None}

    def forward(signum, _frame):
        state["signal"] = signum
        if state["child"]:
            try:
                os.kill(state["child"], signum)
            except OSError:
                pass

    with sock:
        if any(s is None for s in (sys.stdin, sys.stdout, sys.stderr)):
            return None
        # from here a signal is kept, and passed on as soon as the child is known
        old = {name: signal.signal(getattr(signal, name), forward) for name in _FORWARDED}
        try:
            try:
                import json
                import struct

                data = json.dumps(request(args)).encode("utf-8", "surrogateescape")
                socket.send_fds(sock, [struct.pack("!I", len(data))], [0, 1, 2])
                sock.sendall(data)
                answer = receive(sock)
            except (OSError, ValueError):
                answer = None
            if answer is None or "pid" not in answer:
                if state["signal"] is not None:  # interrupted before any child ran: as a cold start would be
                    signal.signal(state["signal"], signal.SIG_DFL)
                    os.kill(os.getpid(), state["signal"])
                return None  # refused (stale code, another interpreter), or the server went away
            state["child"] = int(answer["pid"])
            if state["signal"] is not None:
                forward(state["signal"], None)
            try:
                done = receive(sock)
            except (OSError, ValueError):
                done = None
        finally:
            for name, handler in old.items():
                signal.signal(getattr(signal, name), handler)
    if done is None or "exit" not in done:
        if state["signal"] is not None:  # the child died of the signal passed on: so does this process
            signal.signal(state["signal"], signal.SIG_DFL)
            os.kill(os.getpid(), state["signal"])
        return _lost()
    trace = os.environ.get("CAMPAIGNER_WARM_TRACE")
    if trace:
        import json

        with open(trace, "a", encoding="utf-8") as f:
            f.write(json.dumps({"child": state["child"], "cpu": done.get("cpu")}) + "\n")
    code = done["exit"]
    return code if isinstance(code, int) else 1


def _lost() -> int:
    """The child ended without an exit code (killed): say so, as the command would have."""
    from campaigner.cli.main import choose_language
    from campaigner.i18n import _

    choose_language(sys.argv[1:])
    message = _("the command ended in the warm server without an exit code — run it again, or stop the server "
                "with `campaigner warm stop`")
    print(_("Error: {message}").format(message=message), file=sys.stderr)
    return 1


def main() -> None:
    args = sys.argv[1:]
    if everyday(args) is not None and os.environ.get("CAMPAIGNER_WARM", "").strip().lower() != "off":
        code = run_warm(args)
        if code is not None:
            sys.exit(code)
    from campaigner.cli.main import main as cold

    cold()
