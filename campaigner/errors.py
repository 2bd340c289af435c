"""The domain's errors: each carries what is wrong and how to fix it.

The CLI turns them into one line ``Error: what — how to fix it``; nothing else formats them.
"""
from __future__ import annotations
from campaigner.i18n import N_, _

import errno
from typing import TypeGuard

#: what a write says when the disk (or the user's quota, or the file size limit) is full
DISK_FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
FREE_SPACE = N_("free some space on that disk and run again")


class CampaignerError(Exception):
    """A mistake the user can fix. ``str()`` is the full one-line message."""

    exit_code = 1

    def __init__(self, what: str, fix: str | None = None):
        self.what = what
        self.fix = fix
        super().__init__(f"{what} — {fix}" if fix else what)


class NotFound(CampaignerError):
    """An account, campaign, post or delivery that does not exist."""


class InvalidInput(CampaignerError):
    """Input that cannot be accepted as it is (bad time, text too long, bad CSV row…)."""

    @classmethod
    def from_message(cls, message: str, *, prefix: str = "", fix: str | None = None) -> "InvalidInput":
        """The error for a ``content`` message, which already says ``what — how to fix it``: its
        two halves are kept (``prefix`` goes before the what; ``fix`` when it has no how half),
        never given a second fix. Split at the last " — ": the what may quote the user's text."""
        what, sep, how = message.rpartition(" — ")
        return cls(prefix + what, how) if sep else cls(prefix + message, fix)


class ConfigError(CampaignerError):
    """A configuration or secrets problem."""


class MissingSecret(ConfigError):
    """An account lacks a secret its platform needs (it cannot publish until one is set)."""


class DatabaseBusy(CampaignerError):
    """Another writer held the database longer than the busy timeout."""


class SchemaOutdated(CampaignerError):
    """The database was made by an older campaigner and needs ``campaigner init``."""


class IllegalTransition(CampaignerError):
    """A delivery cannot move from its status to the one asked for."""


def is_disk_full(exc: BaseException) -> TypeGuard[OSError]:
    return isinstance(exc, OSError) and exc.errno in DISK_FULL


def environment_error(exc: BaseException) -> CampaignerError | None:
    """The user's error for a problem of the machine, not of campaigner, that reached the top
    without one: a full disk, under a file write or under the database. None for anything else."""
    if is_disk_full(exc):
        if exc.filename:
            return CampaignerError(_("the disk is full writing {path} ({strerror})").format(
                path=exc.filename, strerror=exc.strerror), _(FREE_SPACE))
        return CampaignerError(_("the disk is full ({strerror})").format(strerror=exc.strerror), _(FREE_SPACE))
    orig = getattr(exc, "orig", None)  # the driver's error under SQLAlchemy's
    if orig is None:
        return None
    if type(orig).__module__ == "sqlite3" and str(orig).startswith("database or disk is full"):
        return CampaignerError(_("the database's disk is full (SQLite: database or disk is full)"),
                               _("free some space on the disk that holds the database and run again"))
    if getattr(orig, "sqlstate", None) == "53100":  # PostgreSQL disk_full
        return CampaignerError(_("the database server's disk is full (PostgreSQL: disk full)"),
                               _("free some space on the database server's disk and run again"))
    return None
