"""Account secrets: from environment variables or a 0600 TOML file, never from flags or the database.

Environment: ``CAMPAIGNER_SECRET_<NAME>_<FIELD>`` (account name upper-cased, '-' → '_').
File: ``[accounts.<name>]`` tables of ``FIELD = "value"``. The environment wins over the file.
Values are only ever handed to connectors; everything shown to people is masked.

The file is read again when it changes (a long-running worker sees a token another process
renewed or a person set). A write holds a lock beside the file (``<file>.lock``), reads the file
afresh under it, and replaces it whole (a temporary file of mode 0600 renamed into place, synced
to disk): two writers — the credentials watch renewing a token while someone runs ``account
set-secret`` — never lose each other's change, and no reader ever sees half a file.
"""
from __future__ import annotations

import contextlib
import os
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from campaigner.errors import ConfigError
from campaigner.i18n import _

MASK = "********"


def _user(uid: int) -> str:
    """A user's name (its number when it has none)."""
    import pwd

    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def env_name(account: str, field: str) -> str:
    return f"CAMPAIGNER_SECRET_{account.upper().replace('-', '_')}_{field.upper()}"


@dataclass(frozen=True)
class SecretStatus:
    """Whether a field is set and where from — never the value."""

    field: str
    required: bool
    source: str | None  # "environment CAMPAIGNER_SECRET_…" | "secrets file …" | None

    @property
    def is_set(self) -> bool:
        return self.source is not None


class SecretStore:
    """Reads (and writes) secrets for accounts."""

    def __init__(self, path: Path, env: Mapping[str, str] | None = None):
        self.path = path
        self.env = os.environ if env is None else env
        self._file: dict | None = None
        #: (inode, size, modification time) of the file when it was read; None: no file
        self._seen: tuple[int, int, int] | None = None

    def _file_table(self) -> dict:
        if self._file is None or self._changed():
            self._file = self._read_file()
        return self._file

    def _changed(self) -> bool:
        """Whether the file is not the one read last (renewed by another process, or by a person)."""
        try:
            st = self.path.stat()
        except OSError:
            return self._seen is not None
        return (st.st_ino, st.st_size, st.st_mtime_ns) != self._seen

    def _read_file(self) -> dict:
        try:
            st = self.path.stat()
        except FileNotFoundError:
            self._seen = None
            return {}
        except OSError as exc:
            raise self._unreadable(exc) from None
        self._seen = (st.st_ino, st.st_size, st.st_mtime_ns)
        if not stat.S_ISREG(st.st_mode):
            raise ConfigError(_("secrets file {path} is not a file").format(path=self.path),
                              _("point CAMPAIGNER_SECRETS_FILE at a file (it is created by `campaigner account set-secret`)"))
        if os.name == "posix" and st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
            raise ConfigError(_("secrets file {path} can be read by other users "
                                "(mode {value:o})").format(path=self.path, value=stat.S_IMODE(st.st_mode)), _("run: chmod 600 {path}").format(path=self.path))
        try:
            table = tomllib.loads(self.path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise self._unreadable(exc, st.st_uid) from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError):
            # The parser's message may quote a line of the file, i.e. a secret: don't repeat it.
            raise ConfigError(_("secrets file {path} is not valid TOML").format(path=self.path),
                              _("fix it by hand or remove it and use `campaigner account set-secret`")) from None
        if not isinstance(table.get("accounts", {}), dict):
            raise ConfigError(_("'accounts' in the secrets file {path} is not a table").format(path=self.path),
                              _('write each account as its own table: [accounts.NAME] with FIELD = "…" lines below it'))
        return table

    def _unreadable(self, exc: OSError, owner: int | None = None) -> ConfigError:
        """The error for a secrets file that cannot be read: most often one that belongs to another
        user (written by ``sudo campaigner …``, or another service account's)."""
        if owner is not None and isinstance(exc, PermissionError) and owner != os.geteuid():
            me = _user(os.geteuid())
            return ConfigError(_("cannot read the secrets file {path}: it belongs to user {value}, "
                                 "not to {me}").format(path=self.path, value=_user(owner), me=me),
                               _("run campaigner as {value}, or give the file to {me} "
                                 "(as root: chown {me} {path})").format(value=_user(owner), me=me, path=self.path))
        return ConfigError(_("cannot read the secrets file {path}: {value}").format(path=self.path, value=exc.strerror or exc),
                           _("check its permissions and those of its folder (or set CAMPAIGNER_SECRETS_FILE)"))

    def section(self, name: str) -> dict:
        """A top-level table of the secrets file other than the accounts (e.g. ``smtp``)."""
        table = self._file_table().get(name, {})
        return table if isinstance(table, dict) else {}

    def get(self, account: str, field: str) -> tuple[str | None, str | None]:
        """(value, source) for one field; (None, None) when unset."""
        name = env_name(account, field)
        if self.env.get(name):
            return self.env[name], f"environment {name}"
        entry = self._file_table().get("accounts", {}).get(account, {})
        if not isinstance(entry, dict):  # e.g. ``[accounts]`` then ``kspi-x = "token"``: never show it
            raise ConfigError(_("the entry for account {account} in the secrets file {path} is not a table").format(account=account, path=self.path),
                              _('write it as [accounts.{account}] with FIELD = "…" lines below it '
                                "(or run `campaigner account set-secret {account} FIELD`)").format(account=account))
        value = entry.get(field.upper())
        if type(value) is int:  # e.g. a Telegram CHAT_ID written without quotes
            value = str(value)
        elif value is not None and not isinstance(value, str):  # never show it: it is a secret
            raise ConfigError(_("{value} of account {account} in the secrets file {path} is not text").format(value=field.upper(), account=account, path=self.path),
                              _('write it in quotes: {value} = "…"').format(value=field.upper()))
        if value:
            return value, f"secrets file {self.path}"
        return None, None

    def values(self, account: str, fields: tuple[str, ...]) -> dict[str, str]:
        """Every set field among ``fields``, for building a connector."""
        out = {}
        for f in fields:
            value, _ = self.get(account, f)
            if value is not None:
                out[f] = value
        return out

    def status(self, account: str, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> list[SecretStatus]:
        return [SecretStatus(f, f in required, self.get(account, f)[1]) for f in (*required, *optional)]

    def source(self, account: str, field: str) -> str | None:
        """Where ``field`` of ``account`` comes from (``environment …`` / ``secrets file …``), or None."""
        return self.get(account, field)[1]

    def from_environment(self, account: str, field: str) -> str | None:
        """The variable ``field`` of ``account`` is read from, when it is set there (a value
        campaigner cannot rewrite); else None."""
        name = env_name(account, field)
        return name if self.env.get(name) else None

    def set(self, account: str, field: str, value: str) -> None:
        """Write one field to the secrets file (created with mode 0600, replaced atomically)."""
        with self._locked():
            table = dict(self._file_table())
            accounts = dict(table.get("accounts", {}))
            entry = accounts.get(account, {})
            accounts[account] = {**(entry if isinstance(entry, dict) else {}), field.upper(): value}
            table["accounts"] = accounts
            self._write(table)

    def forget(self, account: str) -> bool:
        """Remove an account's table from the file; True if there was one."""
        with self._locked():
            table = dict(self._file_table())
            accounts = dict(table.get("accounts", {}))
            if accounts.pop(account, None) is None:
                return False
            table["accounts"] = accounts
            self._write(table)
            return True

    @contextlib.contextmanager
    def _locked(self):
        """Hold the lock beside the file, with the file read afresh (what another writer wrote
        since it was last read is kept)."""
        from campaigner.files import cannot_write

        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock_path = self.path.with_name(self.path.name + ".lock")
        try:
            fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as exc:
            raise cannot_write(lock_path, exc) from None
        try:
            try:
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX)
            except ImportError:  # not POSIX: one writer at a time is then the user's to keep
                pass
            self._file = None  # read under the lock
            yield
        finally:
            os.close(fd)  # releases the lock

    def _write(self, table: dict) -> None:
        import tomli_w

        from campaigner.files import write_file

        write_file(self.path, tomli_w.dumps(table), mode=0o600, durable=True)
        self._file = table
        st = self.path.stat()
        self._seen = (st.st_ino, st.st_size, st.st_mtime_ns)
