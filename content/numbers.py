"""How a number is written in a message: the caller (who knows the language) passes its own
``FormatNumber``; ``plain`` (English grouping, ``1,200`` and ``6.3``) is the default. ``content``
may not import campaigner, so the language's grouping (``campaigner.i18n.number``: ``1.200`` and
``6,3`` in Indonesian) is handed in, never guessed here."""
from __future__ import annotations

from typing import Protocol


class FormatNumber(Protocol):
    def __call__(self, n: float, digits: int = 0) -> str: ...


def plain(n: float, digits: int = 0) -> str:
    """``n`` with its thousands grouped by commas and ``digits`` decimals after a point."""
    return f"{n:,.{digits}f}"
