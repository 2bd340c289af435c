"""The warm server: imports the CLI, SQLAlchemy and the models once, then forks a child per command.

Started by ``campaigner warm start`` (``python -P -m campaigner.cli.warm_server``, in its own
session, its output to a log file). It opens no database connection and starts no thread: each
child reads the config, the secrets and the language for its own command, from the environment the
client sent, exactly as a fresh process would (``campaigner.cli.main.main``), so nothing about a
user's settings outlives a command.

The server holds an exclusive lock on its pid file for its whole life (so two never serve one
socket) and writes there its pid, since when it runs, its socket, its idle timeout and its log. It
ends after ``--idle`` seconds without a request, on SIGTERM/SIGINT/SIGHUP or a ``stop`` request,
and — checked at every request — as soon as the installed code differs from the code it loaded
(the modification times and sizes of our packages' files, and the distributions installed beside
the libraries): that request is refused, the client runs it cold, and the next ``warm start`` loads
the new code.

The log gets one line per event and, per command, only its command words (``post list``): never an
argument or an environment value, which may hold a secret.
"""
from __future__ import annotations

import argparse
import fcntl
import importlib
import importlib.util
import io
import json
import os
import signal
import socket
import struct
import sys
import time
import traceback
from datetime import datetime, timezone

from campaigner.cli import warm_client as client

#: what the everyday commands import: loaded once, before the first request
PRELOAD = ("campaigner.cli.main", "campaigner.cli.posts", "campaigner.cli.queue", "campaigner.cli.status",
           "campaigner.cli.replies", "campaigner.cli.campaigns", "campaigner.cli.accounts", "campaigner.cli.groups",
           "campaigner.cli.slots", "campaigner.cli.output", "campaigner.app", "campaigner.config", "campaigner.db",
           "campaigner.models", "campaigner.tables", "campaigner.secrets", "campaigner.times",
           "campaigner.services.agenda", "campaigner.services.delivery_list", "campaigner.services.posts",
           "campaigner.services.status", "sqlalchemy", "sqlalchemy.orm",
           "sqlalchemy.dialects.sqlite", "resource", "locale", "atexit", "logging")
#: our packages, whose every file counts in the code stamp
PACKAGES = ("campaigner", "scheduler", "connectors", "content")
#: libraries whose folder's installed distributions count (pip changes them when it installs)
LIBRARIES = ("sqlalchemy", "click")
#: a log grown past this is moved to ``<log>.1`` when a server starts
MAX_LOG = 1_000_000


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def log(line: str) -> None:
    sys.stderr.write(f"{_now()} warm[{os.getpid()}] {line}\n")
    sys.stderr.flush()


def code_stamp() -> list:
    """What identifies the installed code: (path, mtime, size) of every file in our packages
    (``__pycache__`` aside), and the installed distributions (``*.dist-info``: names and versions)
    beside the libraries."""
    found: list = []
    for name in PACKAGES:
        spec = importlib.util.find_spec(name)
        for root in (spec.submodule_search_locations or []) if spec else []:
            _walk(root, found)
    for name in LIBRARIES:
        spec = importlib.util.find_spec(name)
        for root in (spec.submodule_search_locations or []) if spec else []:
            parent = os.path.dirname(root)
            found.append((parent, sorted(n for n in os.listdir(parent) if n.endswith(".dist-info"))))
    return found


def _walk(folder: str, found: list) -> None:
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        found.append((folder, None))
        return
    for entry in entries:
        if entry.name == "__pycache__":
            continue
        if entry.is_dir(follow_symlinks=False):
            _walk(entry.path, found)
        else:
            try:
                st = entry.stat()
                found.append((entry.path, st.st_mtime_ns, st.st_size))
            except OSError:
                found.append((entry.path, None))


def preload() -> None:
    for name in PRELOAD:
        importlib.import_module(name)
    from sqlalchemy.orm import configure_mappers

    configure_mappers()


class Server:
    """The accept loop. ``clock`` (seconds, monotonic) is injectable for tests."""

    def __init__(self, listener: socket.socket, *, idle: float, stamp: list, info: dict, clock=time.monotonic,
                 keep: tuple[int, ...] = ()):
        self.listener, self.idle, self.stamp, self.info, self.clock = listener, idle, stamp, info, clock
        self.keep = keep  # descriptors the children close (the lock)
        self.reason = ""

    def serve(self) -> str:
        """Serve until idle, stopped, or stale; the reason."""
        last = self.clock()
        while True:
            self._reap()
            left = self.idle - (self.clock() - last)
            if left <= 0:
                return "idle"
            self.listener.settimeout(left)
            try:
                conn, _ = self.listener.accept()
            except (socket.timeout, InterruptedError):
                continue
            last = self.clock()
            with conn:
                outcome = self.handle(conn)
            if outcome:
                return outcome

    @staticmethod
    def _reap() -> None:
        try:
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            pass

    def handle(self, conn: socket.socket) -> str | None:
        """One connection: run, ping or stop. Returns a reason to end, or None."""
        conn.settimeout(10)
        fds: list[int] = []
        try:
            uid = struct.unpack("3i", conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED,
                                                      struct.calcsize("3i")))[1]
            if uid != os.getuid():
                log(f"refused a connection from uid {uid}")
                return None
            head, fds, _flags, _addr = socket.recv_fds(conn, 4, 3)
            message = client.receive(conn, head)
            if message is None:
                return None
            op = message.get("op")
            if op == "ping":  # a server whose code is out of date says so, and ends
                stale = code_stamp() != self.stamp
                client.send(conn, {**self.info, "stale": stale})
                return "the installed code changed" if stale else None
            if op == "stop":
                client.send(conn, {"stopping": os.getpid()})
                return "stopped"
            if op != "run" or len(fds) != 3:
                return None
            words = client.everyday([a for a in message.get("argv", [])[1:] if isinstance(a, str)])
            if words is None:
                client.send(conn, {"refused": "not an everyday command"})
                return None
            if code_stamp() != self.stamp:
                client.send(conn, {"refused": "stale"})
                return "the installed code changed"
            env = message.get("env")
            if (not isinstance(env, dict)
                    or any(env.get(k) != os.environ.get(k) for k in client.INTERPRETER_VARS)):
                client.send(conn, {"refused": "another interpreter setup"})
                return None
            log(f"{' '.join(words)}")
            pid = os.fork()
            if pid == 0:
                child(conn, fds, message, self.listener, self.keep)  # never returns
        except (OSError, ValueError, UnicodeError) as exc:
            log(f"bad request: {type(exc).__name__}")
        finally:
            for fd in fds:
                os.close(fd)
        return None


def _stdio(fd: int, mode: str, encoding: str, errors: str, line_buffering: bool, write_through: bool):
    """A standard stream as Python's start-up makes it (newline "\\n", the client's encoding)."""
    raw = io.FileIO(fd, mode, closefd=False)
    buffered = io.BufferedReader(raw) if mode == "r" else io.BufferedWriter(raw)
    return io.TextIOWrapper(buffered, encoding=encoding, errors=errors, newline="\n", line_buffering=line_buffering,
                            write_through=write_through)


def _codec(name: str) -> str:
    import codecs

    return codecs.lookup(name).name


def child(conn: socket.socket, fds: list[int], message: dict, listener: socket.socket, keep: tuple[int, ...]) -> None:
    """In the forked child: become the client's process, run the command, report, exit."""
    try:
        listener.close()
        for fd in keep:
            os.close(fd)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        for name in ("SIGTERM", "SIGHUP", "SIGCHLD"):
            signal.signal(getattr(signal, name), signal.SIG_DFL)
        conn.settimeout(None)
        os.chdir(message["cwd"])
        os.umask(int(message["umask"]))
        os.environ.clear()
        os.environ.update({str(k): str(v) for k, v in message["env"].items()})
        time.tzset()
        import locale

        try:
            locale.setlocale(locale.LC_CTYPE, "")
        except locale.Error:
            pass
        if _codec(client.locale_encoding()) != _codec(str(message["encoding"])):
            raise ValueError("another locale encoding")  # open()'s default would differ from a cold start
        for target, fd in zip((0, 1, 2), fds):
            os.dup2(fd, target)
        for fd in fds:
            os.close(fd)
        fds.clear()
        (ie, ierr, ilb, iwt), (oe, oerr, olb, owt), (ee, eerr, elb, ewt) = message["stdio"]
        sys.stdin = sys.__stdin__ = _stdio(0, "r", ie, ierr, ilb, iwt)
        sys.stdout = sys.__stdout__ = _stdio(1, "w", oe, oerr, olb, owt)
        sys.stderr = sys.__stderr__ = _stdio(2, "w", ee, eerr, elb, ewt)
        sys.argv = [str(a) for a in message["argv"]]
    except Exception:
        try:
            client.send(conn, {"refused": "setup"})
        finally:
            os._exit(0)
    code = 1
    try:
        client.send(conn, {"pid": os.getpid()})
        from campaigner.cli.main import main

        main(sys.argv[1:])
        code = 0
    except SystemExit as exc:
        if exc.code is None or isinstance(exc.code, int):
            code = exc.code or 0
        else:
            print(exc.code, file=sys.stderr)
    except BaseException:
        traceback.print_exc()
    try:
        import atexit

        atexit._run_exitfuncs()
    except BaseException:
        pass
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass
    try:
        import resource

        own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
        client.send(conn, {"exit": code, "cpu": [own.ru_utime + kids.ru_utime, own.ru_stime + kids.ru_stime]})
    finally:
        os._exit(0)


def _stop(signum, _frame):
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="campaigner.cli.warm_server")
    ap.add_argument("--socket", required=True)
    ap.add_argument("--pid-file", required=True)
    ap.add_argument("--idle", type=float, required=True)
    ap.add_argument("--log", required=True)
    args = ap.parse_args(argv)
    lock = os.open(args.pid_file, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        log("another warm server holds the pid file: exiting")
        return 3
    for name in ("SIGTERM", "SIGINT", "SIGHUP"):
        signal.signal(getattr(signal, name), _stop)
    reason = "stopped by a signal"
    listener, ino = None, None
    try:
        stamp = code_stamp()  # before the imports: a change made while they run is seen
        preload()
        if os.path.lexists(args.socket):  # left by a server that crashed (we hold the lock)
            os.unlink(args.socket)
        listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o077)
        try:
            listener.bind(args.socket)
        finally:
            os.umask(old)
        listener.listen(64)
        ino = os.stat(args.socket).st_ino
        info = {"pid": os.getpid(), "since": _now(), "socket": args.socket, "idle": args.idle, "log": args.log}
        os.ftruncate(lock, 0)
        os.pwrite(lock, json.dumps(info).encode(), 0)
        log(f"started (idle timeout {args.idle:g} s)")
        reason = Server(listener, idle=args.idle, stamp=stamp, info=info, keep=(lock,)).serve()
    except SystemExit:
        pass
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if listener is not None:
            try:
                if os.stat(args.socket).st_ino == ino:
                    os.unlink(args.socket)
            except OSError:
                pass
            listener.close()
        os.ftruncate(lock, 0)
        log(f"exiting: {reason}")
    return 0  # the lock goes with the process


if __name__ == "__main__":
    code = main()
    os._exit(code)  # nothing left to finalise: the lock is released as the process ends
