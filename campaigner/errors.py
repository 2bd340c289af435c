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


class ConfigError(CampaignerError):
    """A configuration or secrets problem."""


class SchemaOutdated(CampaignerError):
    """The database was made by an older campaigner and needs ``campaigner init``."""


class IllegalTransition(CampaignerError):
    """A delivery cannot move from its status to the one asked for."""
