"""Turning a ``WeeklyReport`` into text, Markdown, HTML, CSV or JSON, in English or Indonesian.

``render(report, "html", "id")`` returns the whole document as a string. Only the HTML format
imports pygal (for its SVG charts), and only when it is called.
"""
from __future__ import annotations

import importlib

from campaigner.report_render.i18n import LANGS, Lang

#: format → module (each has ``render(report, lang: Lang) -> str``)
FORMATS = {"text": "text", "markdown": "markdown", "html": "html", "csv": "csvfile", "json": "jsonfile"}

__all__ = ["FORMATS", "LANGS", "Lang", "render"]


def render(report, fmt: str = "text", lang: str = "en", dialect: str | None = None) -> str:
    """The report as ``fmt`` in ``lang``; a CSV in ``dialect`` (``standard`` or ``excel-id``;
    default: the language's, ``content.csv_cells.dialect_for``)."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown report format {fmt!r}; one of {', '.join(FORMATS)}")
    module = importlib.import_module(f"campaigner.report_render.{FORMATS[fmt]}")
    if fmt == "csv":
        from content.csv_cells import dialect_for

        return module.render(report, Lang(lang), dialect_for(lang, dialect))
    return module.render(report, Lang(lang))
