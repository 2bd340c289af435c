"""Small text rules the connectors share: how a link joins the text, and how two texts are
compared when looking for a post on a timeline that rewrites URLs (X turns every URL into a
t.co link and escapes ``&``, ``<`` and ``>`` as HTML entities in what it returns)."""
from __future__ import annotations

import html
import re
import unicodedata

LINK_SEPARATOR = "\n\n"
_URL_RE = re.compile(r"https?://\S+", re.IGNORECASE)


def compose_text(text: str, link: str | None) -> str:
    """The text as published: ``link`` appended after a blank line unless the text already has it."""
    if not link or link in text:
        return text
    body = text.rstrip()
    return f"{body}{LINK_SEPARATOR}{link}" if body else link


def match_key(text: str) -> str:
    """A form of ``text`` that survives the platform's rewriting: HTML entities decoded, NFC,
    URLs removed, whitespace collapsed."""
    text = unicodedata.normalize("NFC", html.unescape(text))
    text = _URL_RE.sub(" ", text)
    return " ".join(text.split())
