"""Who this process is, and whether another process on the same machine has ended.

A worker that holds accounts and claims is recorded with its host name, pid and — on Linux — the
machine it runs on (the boot id and the pid namespace: processes with equal values see the same
pids) and its start time (from ``/proc/<pid>/stat``), so a pid reused by an unrelated process
after a crash is not taken for the worker. Without ``/proc`` nothing is known about the machine,
and only heartbeats tell whether a worker lives.
"""
from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from pathlib import Path

_PROC = Path("/proc")


@dataclass(frozen=True)
class ProcessId:
    """One process, told apart from any later one that gets the same pid."""

    hostname: str
    pid: int
    machine: str | None  # "<boot id>/<pid namespace>"; None where /proc is not available
    start: int | None    # start time in clock ticks since boot (``/proc/<pid>/stat`` field 22)


def this_process() -> ProcessId:
    return identify(os.getpid())


def identify(pid: int) -> ProcessId:
    """The process ``pid`` of this machine, as it is now."""
    stat = _stat(pid)
    return ProcessId(socket.gethostname(), pid, machine(), stat[1] if stat else None)


def machine() -> str | None:
    """This machine's boot and pid namespace, or None when /proc does not say."""
    try:
        boot = (_PROC / "sys/kernel/random/boot_id").read_text().strip()
        namespace = os.readlink(_PROC / "self/ns/pid")
    except OSError:
        return None
    return f"{boot}/{namespace}" if boot else None


def has_ended(pid: int, start: int | None) -> bool:
    """True when the process ``pid`` that started at ``start`` (on this machine) has surely ended:
    no such pid, a zombie, or a pid that now belongs to a process started at another time. False
    whenever it cannot be told (e.g. another user's process whose /proc entry is hidden)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)  # signal 0: only asks whether the pid exists
    except ProcessLookupError:
        return True
    except PermissionError:
        pass  # it exists, and belongs to another user
    stat = _stat(pid)
    if stat is None:
        return False
    state, started = stat
    return state in ("Z", "X") or (start is not None and started != start)


def _stat(pid: int) -> tuple[str, int] | None:
    """(state, start time) of ``pid`` from /proc, or None when it cannot be read."""
    try:
        text = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'
    fields = text[text.rfind(")") + 2:].split()
    try:
        return fields[0], int(fields[19])
    except (IndexError, ValueError):
        return None
