"""``campaigner warm start|stop|status``: an opt-in server that makes everyday commands start fast.

The server (``campaigner.cli.warm_server``) is found by the console script
(``campaigner.cli.warm_client``) through a socket in a private folder named for this interpreter and
this installed package.
"""
from __future__ import annotations

import os
import subprocess
import sys
import time

import click

from campaigner.cli import warm_client as client
from campaigner.errors import CampaignerError
from campaigner.i18n import _

#: how long ``start`` waits for a new server to answer, and ``stop`` for one to end (seconds)
WAIT = 60.0
#: the interpreter-shaping and locale variables a server keeps; nothing else of the environment
#: (no CAMPAIGNER_* setting or secret) reaches it: each command brings its own
_KEPT = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "XDG_RUNTIME_DIR", *client.INTERPRETER_VARS)


@click.group()
def warm() -> None:
    """Keep a warm server that makes everyday commands start fast (opt-in).

    `campaigner warm start` starts it in the background: it loads campaigner once and then runs
    post list/show/add/edit/cancel, queue, status, replies, campaign, account, group and slots
    commands in a copy of itself, so they skip the start-up. Every other command, and every command
    when no server runs, starts as usual. The server stops after an idle time, when campaigner is
    updated, or with `campaigner warm stop`.
    """


def _folder() -> str:
    folder = client.runtime_dir()
    try:
        os.mkdir(folder, 0o700)
    except FileExistsError:
        pass
    except OSError as exc:
        raise CampaignerError(_("cannot create the folder {folder}: {reason}").format(folder=folder, reason=exc.strerror),
                              _("set XDG_RUNTIME_DIR to a folder of yours")) from None
    if not client.private(folder):
        raise CampaignerError(_("the folder {folder} is not private (another owner, or others may enter it)")
                              .format(folder=folder),
                              _("remove it, or make it yours with chmod 700")) from None
    return folder


def running() -> dict | None:
    """What the running server says of itself (pid, since, socket, idle, log), or None. A server
    that loaded code since changed ends when asked (once it has: None)."""
    socket_path, pid_file = client.paths()
    if not client.private(os.path.dirname(socket_path)):
        return None
    sock = client.connect(socket_path)
    if sock is None:
        return None
    with sock:
        try:
            sock.settimeout(10)
            client.send(sock, {"op": "ping"})
            info = client.receive(sock)
        except (OSError, ValueError):
            return None
    if info and info.get("stale"):
        _wait_unlocked(pid_file)
        return None
    return info


def _wait_unlocked(pid_file: str) -> None:
    deadline = time.monotonic() + WAIT
    while _locked(pid_file) and time.monotonic() < deadline:
        time.sleep(0.01)


def _locked(pid_file: str) -> bool:
    """Whether a server holds the pid file's lock (it may still be loading)."""
    import fcntl

    try:
        fd = os.open(pid_file, os.O_RDONLY | os.O_CLOEXEC)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


@warm.command("start")
@click.option("--idle", "idle", type=click.IntRange(1, 7 * 24 * 3600), default=3600, show_default=True,
              metavar="SECONDS", help="Stop after this many seconds without a command.")
@click.pass_obj
def start(flags, idle: int) -> None:
    """Start the warm server in the background (logs to warm.log in the data folder)."""
    info = running()
    if info:
        click.echo(_("A warm server is already running (pid {pid}, since {since}).")
                   .format(pid=info.get("pid"), since=info.get("since")))
        return
    from campaigner.config import resolve

    settings = resolve({"database_url": flags.db, "timezone": flags.timezone}, config_path=flags.config)
    settings.ensure_data_dir()
    log = settings.data_dir / "warm.log"
    _folder()
    socket_path, pid_file = client.paths()
    if len(os.fsencode(socket_path)) > 100:
        raise CampaignerError(_("the socket path {path} is too long for a Unix socket").format(path=socket_path),
                              _("set XDG_RUNTIME_DIR to a shorter folder"))
    try:
        if log.exists() and log.stat().st_size > 1_000_000:
            os.replace(log, f"{log}.1")
        out = open(log, "ab")
    except OSError as exc:
        raise CampaignerError(_("cannot write the log {path}: {reason}").format(path=log, reason=exc.strerror),
                              _("set data_dir to a folder campaigner can write to")) from None
    env = {k: os.environ[k] for k in _KEPT if k in os.environ}
    with out:
        proc = subprocess.Popen([sys.executable, "-P", "-m", "campaigner.cli.warm_server", "--socket", socket_path,
                                 "--pid-file", pid_file, "--idle", str(idle), "--log", str(log)],
                                stdin=subprocess.DEVNULL, stdout=out, stderr=out, cwd="/", env=env,
                                start_new_session=True, close_fds=True)
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        info = running()
        if info:
            click.echo(_("Warm server started (pid {pid}); everyday commands now start fast. "
                         "Stop it with `campaigner warm stop`.").format(pid=info.get("pid")))
            return
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    raise CampaignerError(_("the warm server did not start"), _("see the log {path}").format(path=log))


@warm.command("stop")
def stop() -> None:
    """Stop the warm server (commands then start as usual)."""
    socket_path, pid_file = client.paths()
    info = running()
    if not info:
        click.echo(_("No warm server is running."))
        return
    sock = client.connect(socket_path)
    if sock is not None:
        with sock:
            try:
                sock.settimeout(10)
                client.send(sock, {"op": "stop"})
                client.receive(sock)
            except (OSError, ValueError):
                pass
    _wait_unlocked(pid_file)
    if _locked(pid_file):
        raise CampaignerError(_("the warm server (pid {pid}) did not stop").format(pid=info.get("pid")),
                              _("end it with kill {pid}").format(pid=info.get("pid")))
    click.echo(_("Warm server stopped (pid {pid}).").format(pid=info.get("pid")))


@warm.command("status")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
def status(as_json: bool) -> None:
    """Whether the warm server runs, its pid and since when."""
    info = running()
    if as_json:
        from campaigner.cli.output import echo_json

        echo_json({"running": bool(info), **({k: info.get(k) for k in ("pid", "since", "socket", "idle")}
                                             if info else {})})
        return
    if not info:
        click.echo(_("No warm server is running."))
        return
    click.echo(_("Warm server running: pid {pid}, since {since}, idle timeout {idle} s.")
               .format(pid=info.get("pid"), since=info.get("since"), idle=int(info.get("idle") or 0)))
    click.echo(_("Socket: {path}").format(path=info.get("socket")))
    click.echo(_("Log: {path}").format(path=info.get("log")))
