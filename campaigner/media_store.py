"""campaigner's own copy of every attached file, named by the hash of its content.

Why: a queued post must not change when its original is moved or edited later. And a file is
read exactly once: copied into a staging folder while its hash and first bytes are taken, and
every check runs on what that copy holds. Reading the original again (to check it, to hash it,
to copy it) would let a file swapped in between be stored under another file's hash — and every
later post of the first file would then publish the second.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from campaigner.config import Settings
from campaigner.errors import ConfigError, is_disk_full
from campaigner.i18n import _
from content.media import LARGEST, MediaFacts, cannot_read, no_such_file, not_a_file, sniff_bytes

CHUNK = 1 << 20
#: the name a prepared copy gets in the media folder, by its type
SUFFIXES = {"image/jpeg": ".jpg", "image/png": ".png", "image/webp": ".webp"}
#: the prefix of a staging folder in the media folder
STAGING = ".incoming-"
#: a staging folder untouched this long (seconds) was left by a command that was killed
#: (``close`` never ran): the next store that stages something removes it
STALE_STAGING = 24 * 3600


@dataclass(frozen=True)
class Staged:
    """A file read into the staging folder: its facts (for the checks), hash and copy. ``copy`` is
    None for a file already in the media folder, and for one bigger than any platform takes
    (never copied: the checks refuse it)."""

    facts: MediaFacts
    sha256: str
    suffix: str
    copy: Path | None

    @property
    def stored_path(self) -> Path:
        """Where it lives in the media folder, relative to it."""
        return Path(self.sha256[:2]) / (self.sha256 + self.suffix)


class MediaStore:
    """Stages files for one batch of posts (``stage``); the ones a post keeps are moved into place
    (``keep``), ``close`` removes the rest."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.folder = settings.media_dir
        self._staging: Path | None = None
        #: path as given → what it held when first read: a file given twice is read once
        self._staged: dict[str, Staged | str] = {}

    def stage(self, path: Path) -> Staged | str:
        """Read ``path`` once into the staging folder; or what is wrong with it as a file. A file
        of the media folder itself (a post edited, keeping its media) is not copied again."""
        name = str(path)
        if name not in self._staged:
            self._staged[name] = self._stored(path) or self._read(path, name)
        return self._staged[name]

    def _stored(self, path: Path) -> Staged | None:
        """``path`` as a file of the store (``ab/abcd….png``, never changed once written), or None."""
        sha = path.stem
        if (path.parent.parent != self.folder or path.parent.name != sha[:2] or len(sha) != 64
                or not all(c in "0123456789abcdef" for c in sha)):
            return None
        try:
            size = path.stat().st_size
            with open(path, "rb") as f:
                head = f.read(64)
        except OSError:
            return None  # read as any other file, which says what is wrong
        return Staged(MediaFacts(str(path), size, sniff_bytes(head)), sha, path.suffix, None)

    def _read(self, path: Path, name: str) -> Staged | str:
        try:
            # O_NONBLOCK: a named pipe must not hang the command (it is refused below)
            fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        except FileNotFoundError:
            return no_such_file(name)
        except OSError as exc:
            return cannot_read(name, exc)
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # a folder, a device (/dev/zero), a pipe
            os.close(fd)
            return not_a_file(name)
        with open(fd, "rb") as src:
            suffix = path.suffix.lower()
            try:
                head = src.read(CHUNK)
            except OSError as exc:
                return cannot_read(name, exc)
            if st.st_size > LARGEST:  # no platform takes it: not worth copying
                return Staged(MediaFacts(name, st.st_size, sniff_bytes(head)), "", suffix, None)
            return self._copy(src, head, name, suffix)

    def _copy(self, src, head: bytes, name: str, suffix: str) -> Staged | str:
        fd, tmp = tempfile.mkstemp(dir=self._staging_folder(), suffix=suffix)
        digest, size = hashlib.sha256(), 0
        try:
            with open(fd, "wb") as dst:
                chunk = head
                while chunk and size <= LARGEST:  # a file growing meanwhile stops at the limit
                    digest.update(chunk)
                    dst.write(chunk)
                    size += len(chunk)
                    try:
                        chunk = src.read(CHUNK)
                    except OSError as exc:
                        Path(tmp).unlink(missing_ok=True)
                        return cannot_read(name, exc)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise self._cannot_copy(name, exc) from None
        return Staged(MediaFacts(name, size, sniff_bytes(head)), digest.hexdigest(), suffix, Path(tmp))

    def read(self, staged: Staged) -> bytes:
        """The bytes of a staged file (its copy, or the media folder's file it is)."""
        path = staged.copy if staged.copy is not None else self.folder / staged.stored_path
        try:
            return path.read_bytes()
        except OSError as exc:
            raise self._cannot_copy(staged.facts.name, exc) from None

    def stage_bytes(self, data: bytes, mime: str, name: str) -> Staged:
        """Stage bytes made here (an image prepared for a platform) like a file read from outside."""
        suffix = SUFFIXES.get(mime, "")
        fd, tmp = tempfile.mkstemp(dir=self._staging_folder(), suffix=suffix)
        try:
            with open(fd, "wb") as dst:
                dst.write(data)
        except OSError as exc:
            Path(tmp).unlink(missing_ok=True)
            raise self._cannot_copy(name, exc) from None
        return Staged(MediaFacts(name, len(data), mime), hashlib.sha256(data).hexdigest(), suffix, Path(tmp))

    def _staging_folder(self) -> Path:
        if self._staging is None:
            self.settings.ensure_data_dir(self.folder)  # a bad data folder: one clear line
            _remove_stale_staging(self.folder)
            try:
                self._staging = Path(tempfile.mkdtemp(prefix=STAGING, dir=self.folder))
            except OSError as exc:
                raise self._cannot_copy(_("the file"), exc) from None
        return self._staging

    def _cannot_copy(self, name: str, exc: OSError) -> ConfigError:
        return cannot_copy(self.settings, name, exc)

    def close(self) -> None:
        """Remove what was staged and not kept."""
        if self._staging is not None:
            shutil.rmtree(self._staging, ignore_errors=True)
            self._staging = None
        self._staged.clear()


def _remove_stale_staging(folder: Path) -> None:
    """Remove the staging folders in ``folder`` not written to for ``STALE_STAGING`` (a killed
    command's); what cannot be removed stays, for the next try."""
    cutoff = time.time() - STALE_STAGING
    for old in folder.glob(STAGING + "*"):
        try:
            if not old.is_symlink() and old.is_dir() and old.stat().st_mtime < cutoff:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            continue


def keep(settings: Settings, staged: Staged) -> Path:
    """Move a staged copy to its place in the media folder (the same content is stored once);
    returns its path relative to the folder."""
    target = settings.media_dir / staged.stored_path
    if not target.exists():
        if staged.copy is None:
            raise ValueError(f"{staged.facts.name} was not copied: it is too big to be kept")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(staged.copy, target)
        except FileNotFoundError as exc:  # moved already for an earlier post of the same batch?
            if not target.exists():  # no: its staged copy is gone
                raise cannot_copy(settings, staged.facts.name, exc) from None
        except OSError as exc:
            raise cannot_copy(settings, staged.facts.name, exc) from None
    return staged.stored_path


def cannot_copy(settings: Settings, name: str, exc: OSError) -> ConfigError:
    """The one-line error for a file that cannot be copied into the media folder."""
    where, setting = settings.media_dir, settings.named_by("data_dir")
    if is_disk_full(exc):
        return ConfigError(_("cannot copy {file} into the media folder {folder}: the disk is full ({reason})")
                           .format(file=name, folder=where, reason=exc.strerror),
                           _("free some space on that disk and run again (or set {setting} to a folder on a disk with "
                             "room)").format(setting=setting))
    return ConfigError(_("cannot copy {file} into the media folder {folder}: {reason}")
                       .format(file=name, folder=where, reason=exc.strerror or exc),
                       _("make it writable or set {setting} to another folder").format(setting=setting))
