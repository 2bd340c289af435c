"""Numbers in the connectors' messages, written as the language of those messages writes them.

The connectors may import neither campaigner (whose ``i18n.number`` knows the language in use)
nor ``content``; their messages are translated through the standard library's gettext (the
global domain campaigner sets for the language in use), and so are a number's marks: the catalog
says how ``1,234.5`` is written in the language (Indonesian ``1.234,5``).
"""
from __future__ import annotations

from gettext import gettext as _


def _marks() -> tuple[str, str]:
    """The thousands mark and the decimal mark of the language the messages are in."""
    # TRANSLATORS: this number as your language writes it (its thousands and decimal marks)
    sample = _("1,234.5")
    if len(sample) != 7 or sample[1] == sample[5] or sample[1].isdigit() or sample[5].isdigit():
        return ",", "."  # a catalog that does not say: English
    return sample[1], sample[5]


def decimal(n: float, most: int = 1) -> str:
    """``n`` with at most ``most`` decimals, those ending in 0 left out, with the marks of the
    messages' language: English ``2.5`` and ``1,200``, Indonesian ``2,5`` and ``1.200``."""
    text = f"{n:,.{most}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    group, point = _marks()
    return text.replace(",", "\0").replace(".", point).replace("\0", group)
