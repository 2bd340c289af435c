"""Writing a file whole or not at all — unless it is not a file.

A regular file (or a new path) is written to a temporary file renamed into place, so a reader
never sees half of it; a symbolic link keeps pointing where it did (its target is replaced). A
device, a pipe or a socket (``/dev/null``, ``/dev/stdout``, a FIFO) is written in place: a rename
would put a plain file in its stead (as root) or fail (as anyone else).
"""
from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from campaigner.errors import FREE_SPACE, InvalidInput, is_disk_full
from campaigner.i18n import _


def _read_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


#: read once, at import: reading it means setting it, which must not happen while the daemon's
#: threads may be creating files
_UMASK = _read_umask()


def is_stream(path: Path) -> bool:
    """Whether ``path`` is a device, pipe or socket (``/dev/stdout``…): a command that writes to it
    says so on standard error, so its note does not end up in the stream."""
    try:
        mode = os.stat(path.expanduser()).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def write_file(path: Path, text: str, *, encoding: str = "utf-8", mode: int | None = None,
               durable: bool = False) -> None:
    """Write ``text`` to ``path`` (see the module docstring). A file replaced keeps its mode (and,
    when root writes it, its owner); a new one gets ``mode`` (given: always that mode), by default
    0666 less the umask. ``durable``: on disk before this returns (the file and the folder's entry
    synced), so a power cut cannot leave the old file after a caller acted on the new one (a
    renewed token). Any failure is one ``InvalidInput`` naming the path, and leaves no temporary
    file behind."""
    path = path.expanduser()
    try:
        st: os.stat_result | None = os.stat(path)
    except FileNotFoundError:  # a new file (or a link to one)
        st = None
    except OSError as exc:
        raise cannot_write(path, exc) from None
    if st is not None and stat.S_ISDIR(st.st_mode):
        raise InvalidInput(_("cannot write {path}: it is a folder").format(path=path), _("give the path of a file"))
    if st is not None and not stat.S_ISREG(st.st_mode):
        try:
            with open(path, "w", encoding=encoding, newline="") as f:
                f.write(text)
        except OSError as exc:
            raise cannot_write(path, exc) from None
        return
    _replace(Path(os.path.realpath(path)) if path.is_symlink() else path, text, encoding, st, mode, durable)


def _replace(path: Path, text: str, encoding: str, old: os.stat_result | None, mode: int | None,
             durable: bool = False) -> None:
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)  # mode 0600 until written
    except OSError as exc:
        raise cannot_write(path, exc) from None
    try:
        with os.fdopen(fd, "w", encoding=encoding, newline="") as f:
            f.write(text)
            if durable:
                f.flush()
                os.fsync(f.fileno())
        if mode is not None:
            os.chmod(tmp, mode)
        else:
            os.chmod(tmp, stat.S_IMODE(old.st_mode) if old else 0o666 & ~_UMASK)
        if old is not None and os.geteuid() == 0 and (old.st_uid, old.st_gid) != (0, 0):
            os.chown(tmp, old.st_uid, old.st_gid)  # `sudo campaigner …` must not take a user's file
        os.replace(tmp, path)
        if durable:
            _sync_folder(folder)
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise cannot_write(path, exc) from None
        raise


def _sync_folder(folder: Path) -> None:
    """Make a rename in ``folder`` durable (POSIX: fsync the directory)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return  # not a folder that can be opened (e.g. some network mounts): the rename is done
    try:
        os.fsync(fd)
    except OSError:
        pass  # some file systems refuse fsync on a directory; the rename itself happened
    finally:
        os.close(fd)


def cannot_write(path: Path, exc: OSError) -> InvalidInput:
    """The one-line error for a failed write of ``path``."""
    if is_disk_full(exc):
        return InvalidInput(_("cannot write {path}: the disk is full ({strerror})").format(path=path, strerror=exc.strerror), _(FREE_SPACE))
    return InvalidInput(_("cannot write {path}: {value}").format(path=path, value=exc.strerror or exc),
                        _("check the folder exists and is writable"))
