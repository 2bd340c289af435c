"""A delivery's status as people read it, in the language in use.

The stored values (``queued``, ``published``…) stay English in the database, in ``--status`` and
in ``--json``; tables and messages show these words instead.
"""
from __future__ import annotations

from campaigner.i18n import N_, _

_WORDS = {"queued": N_("queued"), "publishing": N_("publishing"), "published": N_("published"),
          "failed": N_("failed"), "cancelled": N_("cancelled"), "unconfirmed": N_("unconfirmed"),
          "expired": N_("expired"), "importing": N_("importing"), "deleted": N_("deleted"),
          "draft": N_("draft"), "rejected": N_("rejected")}


def status_word(status: str) -> str:
    """The status ``status`` (a delivery status's value) in the language in use."""
    return _(_WORDS[status]) if status in _WORDS else status
