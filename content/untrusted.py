"""Rules for text that comes from outside (platforms, strangers' replies): bound and normalise it
before it is stored, and make it harmless before it is shown.

Storing keeps the text truthful: NFC, line ends as ``\\n``, and only what a database cannot hold
or no reader needs is taken out (NUL, terminal escape sequences, the other C0/C1 controls but
newline and tab, lone surrogates), then cut to the column's length. Showing (a terminal, a text
or Markdown report, an e-mail, HTML) drops escape sequences and control characters again (rows
stored by an older campaigner have them) and the bidi controls that reorder what a reader sees
(Trojan Source, CVE-2021-42574); Markdown for a chat also defuses mentions that ping a whole room.
"""
from __future__ import annotations

import hashlib
import re
import unicodedata

#: a reply's text is kept up to this many characters: the longest any platform allows (X Premium's
#: long posts; Facebook comments 8,000, Bluesky 3,000 bytes, Mastodon 500 by default)
MAX_TEXT = 25_000
#: RFC 5646 §4.4.1: a language tag buffer should hold at least 35 characters
MAX_LANGUAGE_TAG = 35
ELLIPSIS = "…"

#: C0 and C1 controls but tab and newline, DEL, and lone surrogates (no encoding can write them)
_UNSTORABLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_LINE_ENDS = re.compile("\r\n?|[\x0b\x0c\x85\u2028\u2029]")
#: ANSI/ECMA-48 sequences: CSI (``ESC [`` or 0x9B … final byte), OSC/DCS/PM/APC strings up to
#: BEL or ST, and two-character escapes
_ESCAPES = re.compile(r"(?:\x1b\[|\x9b)[0-?]*[ -/]*[@-~]?"
                      r"|(?:\x1b[\]PX^_]|[\x90\x98\x9d\x9e\x9f])[^\x07\x1b\x9c]*(?:\x07|\x1b\\|\x9c)?"
                      r"|\x1b[ -/]*[0-~]?")
#: bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069)
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_UNSHOWABLE = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff{_BIDI}]")
#: whole-room pings: Discord/Slack @everyone @here, Slack/Mattermost @channel, Mattermost @all,
#: Matrix (Element) @room
_ROOM_MENTION = re.compile(r"@(everyone|here|channel|all|room)\b", re.IGNORECASE)
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*")


def _text(value: object) -> str:
    """Whatever a platform sent for a text field, as text (None: empty)."""
    return value if isinstance(value, str) else "" if value is None else str(value)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + ELLIPSIS


def storable(value: object, limit: int = MAX_TEXT) -> str:
    """Multi-line text from outside as it may be stored: NFC, ``\\n`` line ends, no escape
    sequences, no control characters but newline and tab, no lone surrogates, at most ``limit``
    characters (cut with "…")."""
    text = _text(value)
    text = text[:limit * 4]  # NFC shortens decomposed text; bound the work on a huge answer first
    text = _UNSTORABLE.sub("", _ESCAPES.sub("", _LINE_ENDS.sub("\n", text)))
    return _cut(unicodedata.normalize("NFC", text), limit)


def storable_line(value: object, limit: int) -> str:
    """A name or handle from outside: like ``storable``, on one line (whitespace runs as one
    space, trimmed)."""
    text = _text(value)
    return _cut(" ".join(storable(text[:limit * 4], limit * 4).split()), limit)


def storable_id(value: object, limit: int) -> str:
    """A remote id as it may be stored and compared: itself when it is at most ``limit`` plain
    characters; else (a hostile server's 10 kB id, control bytes) its start and a SHA-256 digest,
    so the same id always maps to the same stored value and two ids never to one."""
    text = _text(value)
    if len(text) <= limit and not _UNSTORABLE.search(text):
        return text
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
    keep = limit - len(digest) - 1  # the columns are far longer than a digest
    return _UNSTORABLE.sub("", text[:keep * 4])[:keep] + "#" + digest


def language_tag(value: object) -> str | None:
    """A platform's language tag if it is shaped like a BCP-47 tag (``_`` read as ``-``), cut to
    ``MAX_LANGUAGE_TAG`` by RFC 5646 §4.4.2 (whole subtags off the end, never a dangling
    singleton); None when it is missing or not a tag at all."""
    if not isinstance(value, str):
        return None
    tag = value.strip().replace("_", "-")
    if len(tag) > 4 * MAX_LANGUAGE_TAG or not _LANGUAGE_TAG.fullmatch(tag):
        return None
    subtags = tag.split("-")
    while len("-".join(subtags)) > MAX_LANGUAGE_TAG or (len(subtags) > 1 and len(subtags[-1]) == 1):
        subtags.pop()
    return "-".join(subtags) or None


def one_line(text: str, width: int) -> str:
    """``text`` on one line (whitespace folded) of at most ``width`` characters, cut with an
    ellipsis when it goes on: a reply or a post quoted in a table, an alert or a summary."""
    one = " ".join(text.split())
    return one if len(one) <= width else one[:width - 1] + ELLIPSIS


def for_display(text: str) -> str:
    """``text`` safe to show on a terminal, in a report or an e-mail: escape sequences, control
    characters (but newline and tab) and bidi embeddings/overrides/isolates removed."""
    if text.isprintable():  # the common case: nothing to look for
        return text
    return _UNSHOWABLE.sub("", _ESCAPES.sub("", text))


def defuse_mentions(text: str) -> str:
    """``text`` with whole-room mentions (``@everyone``, ``@here``, ``@channel``, ``@all``,
    ``@room``) broken by a zero-width space after the ``@``: they read the same and ping no one
    when pasted into a chat (the way Discord's own bots escape them)."""
    return _ROOM_MENTION.sub("@\u200b\\1", text)
