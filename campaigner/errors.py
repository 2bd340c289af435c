"""The domain's errors: each carries what is wrong and how to fix it.

The CLI turns them into one line ``Error: what — how to fix it``; nothing else formats them.
"""
from __future__ import annotations


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


class SchemaOutdated(CampaignerError):
    """The database was made by an older campaigner and needs ``campaigner init``."""


class IllegalTransition(CampaignerError):
    """A delivery cannot move from its status to the one asked for."""
