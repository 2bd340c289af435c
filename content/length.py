"""Text length as each platform counts it, and the check of a text against the platform's limit.

Why per platform: "280 characters" on X is a weighted count (URLs 23, emoji 2, CJK 2), Mastodon
counts graphemes but shortens URLs and remote mentions, Bluesky counts graphemes *and* UTF-8 bytes
with URLs in full, Telegram counts UTF-16 code units, Threads counts each emoji as its UTF-8 bytes.
A post that fits one can be refused by another.

Heavy libraries (``twitter_text`` ~0.6 s, ``regex``) are imported on first use, so
``from content import length`` stays cheap for the CLI.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from gettext import gettext as _
from gettext import ngettext
from typing import Any

from content.platforms import BY_NAME, check_platform

#: Every URL on Mastodon counts this many characters (characters_reserved_per_url).
MASTODON_URL_LENGTH = 23


@dataclass(frozen=True, slots=True)
class LengthCheck:
    """The verdict on one text for one platform: the count, the limit, and what to cut.

    ``over`` is in ``unit`` (0 when the text fits). For Bluesky ``bytes``/``byte_limit`` carry the
    second (UTF-8) limit and ``bytes_over`` how many bytes to cut; they are ``None``/0 elsewhere.
    ``invalid_chars`` lists code points the platform refuses outright (X: U+FFFE, U+FEFF, U+FFFF).
    (``over``, ``bytes_over`` and ``ok`` are worked out when asked: an import makes one of these
    per row.)
    """

    platform: str
    count: int
    limit: int
    unit: str
    bytes: int | None = None
    byte_limit: int | None = None
    invalid_chars: tuple[str, ...] = ()

    @property
    def over(self) -> int:
        return max(0, self.count - self.limit)

    @property
    def bytes_over(self) -> int:
        if self.bytes is None or self.byte_limit is None:
            return 0
        return max(0, self.bytes - self.byte_limit)

    @property
    def ok(self) -> bool:
        return self.count <= self.limit and not self.invalid_chars and (
            self.bytes is None or self.byte_limit is None or self.bytes <= self.byte_limit)

    @property
    def hint(self) -> str:
        """A short human instruction: ``"cut 12 characters"``, or ``"8 characters left"`` when it fits."""
        if self.ok:
            return _("{counted} left").format(counted=_counted(self.limit - self.count, self.unit))
        parts = []
        if self.over:
            parts.append(_("cut {counted}").format(counted=_counted(self.over, self.unit)))
        if self.bytes_over:
            parts.append(_("cut {counted} (UTF-8)").format(counted=_counted(self.bytes_over, "bytes")))
        if self.invalid_chars:
            parts.append(_("remove {chars}").format(chars=", ".join(f"U+{ord(c):04X}" for c in self.invalid_chars)))
        return _(" and ").join(parts)

    def __str__(self) -> str:
        text = f"{self.count}/{self.limit} {self.unit}"
        if self.bytes is not None:
            text += f", {self.bytes}/{self.byte_limit} bytes"
        return f"{text} — {self.hint}"


def _counted(n: int, unit: str) -> str:
    """``n`` with its unit: "1 character", "12 characters", "1 weighted character"."""
    if unit == "characters":
        return ngettext("{n} character", "{n} characters", n).format(n=n)
    if unit == "weighted characters":
        return ngettext("{n} weighted character", "{n} weighted characters", n).format(n=n)
    if unit == "bytes":
        return ngettext("{n} byte", "{n} bytes", n).format(n=n)
    return f"{n} {unit[:-1] if n == 1 and unit.endswith('s') else unit}"


def unit_label(unit: str) -> str:
    """A platform's unit (``LengthCheck.unit``) as people read it, in the language in use."""
    return {"characters": _("characters"), "weighted characters": _("weighted characters"),
            "bytes": _("bytes")}.get(unit, unit)


def limit_for(platform: str, *, limit: int | None = None, has_media: bool = False) -> int:
    """The length limit for ``platform``: ``limit`` if given (e.g. a Mastodon instance's
    ``max_characters``), else the Telegram caption limit when media is attached, else the default."""
    return _limit(check_platform(platform), limit, has_media)


def _limit(name: str, limit: int | None, has_media: bool) -> int:
    """``limit_for`` for a canonical platform ``name``."""
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit <= 0:
            raise ValueError(f"limit must be a positive whole number, not {limit!r}")
        return limit
    record = BY_NAME[name]
    if has_media and record.limit_with_media is not None:
        return record.limit_with_media
    return record.limit


def length(text: str, platform: str) -> int:
    """The length of ``text`` as ``platform`` counts it (the number compared with its limit).

    x: twitter-text weighted length (config v3, NFC first); mastodon: graphemes with each URL as 23
    and ``@user@domain`` as ``@user``; bluesky, facebook, sandbox: graphemes (Bluesky's byte limit
    is in ``check_length``); telegram: UTF-16 code units; threads: code points, each emoji as its
    UTF-8 bytes (``threads_length``). Unknown platform → ValueError.
    """
    return _COUNTERS[BY_NAME[check_platform(platform)].count](text)


def check_length(
    text: str, platform: str, *, limit: int | None = None, has_media: bool = False
) -> LengthCheck:
    """Check ``text`` against ``platform``'s limit (``limit`` overrides it; ``has_media`` selects
    Telegram's caption limit). See ``LengthCheck`` for the result."""
    name = check_platform(platform)
    record = BY_NAME[name]
    cap = _limit(name, limit, has_media)
    count = _COUNTERS[record.count](text)
    bad = tuple(c for c in record.invalid_chars if c in text) if record.invalid_chars else ()
    if record.byte_limit is not None:
        return LengthCheck(name, count, cap, record.unit, bytes=len(text.encode("utf-8")),
                           byte_limit=record.byte_limit, invalid_chars=bad)
    return LengthCheck(name, count, cap, record.unit, invalid_chars=bad)


def grapheme_count(text: str) -> int:
    """Number of extended grapheme clusters (user-perceived characters) in ``text``.

    Equal to the number of ``regex`` ``\\X`` matches for every text. Texts of simple characters
    (see ``_grapheme_simple``: ASCII, Latin, Indonesian, most emoji without modifiers …) are
    counted without the regex; the rest are matched, with the last few thousand remembered.
    """
    count = _grapheme_simple(text)
    return count if count is not None else _grapheme_slow(text)


# --- graphemes: the fast path -------------------------------------------------------------------
#
# Extended grapheme clusters (UAX #29) only join code points in these cases: GB3 CR × LF; GB6-8
# Hangul L/V/T/LV/LVT; GB9 × Extend|ZWJ; GB9a × SpacingMark; GB9b Prepend ×; GB9c (Indic conjunct:
# a Linker, which is Extend, between two consonants); GB11 (emoji ZWJ sequences: needs ZWJ);
# GB12/13 Regional_Indicator pairs. Every other boundary breaks (GB4/5 around Control/CR/LF, GB999).
# So in a text whose every code point has Grapheme_Cluster_Break Other, Control, CR or LF, each
# code point is its own cluster except LF after CR: the count is ``len(text)`` minus the "\r\n"
# pairs. ASCII is such a text (its only non-Other classes are Control, CR and LF).
# The class below asks the ``regex`` module itself for the property, so it is the same Unicode
# version as its ``\X``; tests/content/test_length_fast_other.py checks the rule against ``\X``.
_GRAPHEME_NOT_SIMPLE = (r"[^\p{Grapheme_Cluster_Break=Other}\p{Grapheme_Cluster_Break=Control}"
                        r"\p{Grapheme_Cluster_Break=CR}\p{Grapheme_Cluster_Break=LF}]")
_GRAPHEME_CACHE_SIZE = 4096


def _grapheme_simple(text: str) -> int | None:
    """The grapheme count of ``text`` if every code point is a cluster of its own (CR LF aside),
    else ``None``."""
    if not text.isascii() and _grapheme_not_simple_re().search(text) is not None:
        return None
    return len(text) - text.count("\r\n")


@functools.lru_cache(maxsize=_GRAPHEME_CACHE_SIZE)
def _grapheme_slow(text: str) -> int:
    """The ``regex`` module's count of ``\\X`` matches (the slow path, for combining marks, …)."""
    return _grapheme_reference(text)


def _grapheme_reference(text: str) -> int:
    """Grapheme clusters as ``regex``'s ``\\X`` finds them: no fast path, no cache."""
    return len(_grapheme_re().findall(text))


def utf16_length(text: str) -> int:
    """Number of UTF-16 code units in ``text`` (characters outside the BMP count 2)."""
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le")) // 2


def x_length(text: str) -> int:
    """X's weighted length of ``text`` (twitter-text config v3).

    Equal to ``twitter_text.parse_tweet(text, config v3).weightedLength`` for every text. Texts of
    plain characters (see ``_x_fast``) are counted here in microseconds; the rest go to
    twitter-text's ``parse_tweet`` (about a millisecond each), with the last few thousand remembered.
    """
    count = _x_fast(text)
    return count if count is not None else _x_parse_tweet(text)


# --- X: the fast path ---------------------------------------------------------------------------
#
# parse_tweet(text) works on ``t = convert_line_ending(NFC(text))`` (every CR LF, CR and LF becomes
# one LF) and sums, over ``t``: 23 per URL that twitter-text extracts, 2 (default_weight) per emoji
# its emoji regex matches, and for every other code point its config v3 weight (1 inside 0-0x10FF,
# 0x2000-0x200D, 0x2010-0x201F, 0x2032-0x2037; 2 elsewhere). So when every code point of ``t`` is in
# a set that (a) weighs 1 and (b) holds no complete emoji, the count is ``len(t)`` plus 22 per URL.
#
# (b): the emoji regex (twitter_text/regexp/emoji.py) is an alternation of literal code point
# sequences from emoji-test.txt plus one class of single code points. Within the weight-1 ranges the
# single ones are only (C) U+00A9 and (R) U+00AE (excluded below); every multi-code-point sequence
# holds at least one code point outside the set (keycaps: digit/#/* + U+FE0F and/or U+20E3; ZWJ
# sequences: emoji around U+200D), so no sequence can occur in a text made of the set.
# tests/content/test_length_fast.py re-derives both facts from the installed twitter_text.
_X_NOT_PLAIN = re.compile(r"[^\x00-\xa8\xaa-\xad\xaf-\u10ff\u2000-\u200d\u2010-\u201f\u2032-\u2037]")

# URLs: twitter-text's URL regex needs a domain, ``valid_domain_name`` ends in a literal ``\.`` and
# is followed directly by a gTLD, ccTLD or ``xn--`` punycode; all of those begin with a letter (also
# under its IGNORECASE: K, s, i match U+212A, U+017F, U+0130/U+0131, all letters). So a text with no
# "." directly followed by a letter has no URL (schemes included: "https://x.id" has ".i").
# ``[^\W\d_]`` is "word character but not a decimal digit or underscore": every letter, so prices
# like "Rp3.500.000" and sentence ends ". " stay on the fast path.
_X_DOT_LETTER = re.compile(r"\.[^\W\d_]")

_X_LINE_ENDING = re.compile(r"\r\n|\r|\n")  # twitter-text convert_line_ending
_X_URL_LENGTH = 23  # config v3 transformed_url_length
_X_CACHE_SIZE = 4096


def _x_fast(text: str) -> int | None:
    """X's weighted length of ``text`` if it is made of plain characters, else ``None``.

    Plain: after NFC every code point weighs 1 and cannot be part of an emoji — all of ASCII,
    Latin, Greek, Cyrillic, Arabic, Indic scripts …, minus (C) and (R). Texts that may hold a URL
    additionally run twitter-text's URL extractor (about a tenth of ``parse_tweet``'s cost).
    Equal to ``parse_tweet(text, v3).weightedLength`` whenever it returns a number.
    """
    if not text.isascii():
        text = unicodedata.normalize("NFC", text)
        if _X_NOT_PLAIN.search(text) is not None:
            return None
    if "\r" in text:
        text = _X_LINE_ENDING.sub("\n", text)
    if "." in text and _X_DOT_LETTER.search(text) is not None:
        return _x_plain_with_urls(text)
    return len(text)


@functools.lru_cache(maxsize=_X_CACHE_SIZE)
def _x_plain_with_urls(text: str) -> int:
    """The weighted length of a plain, NFC, LF-only ``text`` that may contain URLs.

    Walks the URL entities exactly as parse_tweet's loop does: entities keyed by start index (a
    later one with the same start wins), a URL counted 23 where the walk lands on its start, the
    walk then skipping ``len(url)`` code points; every other code point counts 1."""
    spans = {entity["indices"][0]: len(entity["url"]) for entity in _url_entities(text, True)}
    count = pos = 0
    end = len(text)
    for start in sorted(spans):
        if start >= end:  # the walk stops at the end of the text
            break
        if start < pos:  # inside a URL already counted: the walk never lands here
            continue
        count += start - pos + _X_URL_LENGTH
        pos = start + spans[start]
    return count + max(0, end - pos)


@functools.lru_cache(maxsize=_X_CACHE_SIZE)
def _x_parse_tweet(text: str) -> int:
    """twitter-text's own count (the slow path, for texts with emoji, CJK, (C)/(R), …)."""
    parse_tweet, config = _twitter_text()
    return parse_tweet(text, config).weightedLength


def threads_length(text: str) -> int:
    """Threads' count: "Text posts are limited to 500 characters. Emojis are counted as the number
    of UTF-8 bytes" (Meta, developers.facebook.com/docs/threads/posts). An emoji is a grapheme
    cluster holding an Extended_Pictographic or Regional_Indicator code point or a keycap (U+20E3),
    and counts every UTF-8 byte of the cluster: 👍 4, ✊🏽 7, 🇮🇩 8, 1️⃣ 7, a ZWJ family 25. Meta does
    not say how other text is counted; each other code point counts 1 (our choice: never fewer than
    the graphemes a person sees, so a text that fits here is not refused for length).

    Texts without an emoji (all ASCII, most Indonesian) are counted as ``len(text)``; the rest walk
    their clusters, the last few thousand remembered.
    """
    if text.isascii() or _threads_emoji_re().search(text) is None:
        return len(text)
    return _threads_slow(text)


@functools.lru_cache(maxsize=_GRAPHEME_CACHE_SIZE)
def _threads_slow(text: str) -> int:
    emoji = _threads_emoji_re()
    count = 0
    for cluster in _grapheme_re().findall(text):
        count += len(cluster.encode("utf-8")) if emoji.search(cluster) else len(cluster)
    return count


def mastodon_length(text: str) -> int:
    """Mastodon's count: graphemes of the text after URLs become 23 characters and remote
    mentions ``@user@domain`` become ``@user`` (mastodon StatusLengthValidator#countable_text).

    A text that can hold neither a URL nor a remote mention (see ``_mastodon_may_have_url``) is
    counted as it stands; the rest go through ``mastodon_countable_text``, the last few thousand
    remembered.
    """
    may_have_url = _mastodon_may_have_url(text)
    if not may_have_url and text.count("@") < 2:
        return grapheme_count(text)
    return _mastodon_slow(text, may_have_url)


def mastodon_countable_text(text: str) -> str:
    """The text Mastodon counts: each URL with a protocol replaced by 23 ``x`` and each
    ``@user@domain`` mention by ``@user``; URLs and mentions that Mastodon would not link stay."""
    return _mastodon_countable(text, _mastodon_may_have_url(text))


# --- Mastodon: the fast path ----------------------------------------------------------------
#
# countable_text replaces two kinds of entity:
# - URLs: twitter-text's extractor with extract_url_without_protocol false keeps only matches whose
#   protocol group ``(https?:\/\/)`` took part, so each one has "://" in the text; and every match
#   has a domain, so a "." directly followed by a letter (the fact X's fast path rests on,
#   ``_X_DOT_LETTER``). Lacking either, the extractor returns nothing and is not run.
# - mentions: each match of MENTION_RE is replaced by "@" + its username; that differs from the
#   matched text only when the optional ``@domain`` part took part, i.e. when the text holds a
#   second "@" (MENTION_RE's "@" is a literal, it has no case variants). With fewer than two "@"
#   every mention is replaced by itself, and with no URL no mention can lose an overlap to one, so
#   countable_text(text) == text and the count is ``grapheme_count(text)``.
# tests/content/test_length_fast_other.py checks both facts and compares against the slow path.

_MASTODON_CACHE_SIZE = 4096


def _mastodon_may_have_url(text: str) -> bool:
    """False when twitter-text cannot find a URL with a protocol in ``text``."""
    return "://" in text and _X_DOT_LETTER.search(text) is not None


@functools.lru_cache(maxsize=_MASTODON_CACHE_SIZE)
def _mastodon_slow(text: str, may_have_url: bool) -> int:
    return grapheme_count(_mastodon_countable(text, may_have_url))


def _mastodon_length_reference(text: str) -> int:
    """Mastodon's count with no fast path and no cache: the URL extractor runs whenever the text
    has a ":", mentions are always matched, graphemes always by ``\\X``."""
    return _grapheme_reference(_mastodon_countable(text, True))


def _mastodon_countable(text: str, find_urls: bool) -> str:
    """countable_text; ``find_urls=False`` skips the URL extractor (only when it cannot match)."""
    if "@" not in text and ":" not in text:
        return text
    entities: list[tuple[int, int, str]] = []
    if find_urls and ":" in text:
        for entity in _url_entities(text, False):
            start, end = entity["indices"]
            entities.append((start, end, "x" * MASTODON_URL_LENGTH))
    if "@" in text:
        for match in _mention_re().finditer(text):
            if _END_MENTION_RE.match(text, match.end()):
                continue
            username, _sep, domain = match.group(1).partition("@")
            if domain and len(domain) > _MAX_DOMAIN_LENGTH:
                continue
            entities.append((match.start(1) - 1, match.end(1), "@" + username))
    if not entities:
        return text
    entities.sort(key=lambda e: e[0])
    out: list[str] = []
    pos = 0
    for start, end, replacement in entities:
        if start < pos:  # overlapping entity: the earlier one wins (remove_overlapping_entities)
            continue
        out.append(text[pos:start])
        out.append(replacement)
        pos = end
    out.append(text[pos:])
    return "".join(out)


# --- URLs: what twitter-text's extractor finds, without it where that can be told -------------
#
# ``extract_urls_with_indices`` runs one big regex (``extract_url``: a preceding character, then
# protocol, domain, port, path and query) over the text; importing twitter-text compiles it and the
# emoji regex (~0.6 s), and a run costs ~25 µs on a short post. Two facts about that regex, both
# checked against the installed twitter-text by tests/content/test_length_urls.py:
#
# 1. No part of a URL (protocol, domain, port, path, query, and no TLD of its lists) can hold a
#    character of its ``spaces_group``, and every URL holds a "." directly followed by a letter (the
#    dot before its TLD, ``_X_DOT_LETTER``). So every match lies in one run of non-space characters
#    that holds a dot-letter, apart from its preceding character, which may be the space before it.
#    Hence no match starts before the last space ahead of the text's first dot-letter: the
#    extractor may start there (``_url_entities`` does, the same result at a fraction of the cost).
# 2. A run ("token") of the form ``http(s)://`` + ASCII labels (letters, digits, inner hyphens, at
#    most 63 each) + a TLD from ``_SIMPLE_TLDS`` + optionally a path of letters, digits, ``_``, ``-``
#    and ``/``, that starts the text or follows a space, is extracted whole, as one URL: the
#    preceding space (or ``^``) starts the match, the greedy protocol, labels and TLD (its lookahead
#    holds at a "/" or space or the end) take the host, every path character is a path character and
#    may end a path, and a space or the end stops it. Its domain passes the IDNA check (ASCII labels
#    of 1..63 characters) and is not ``t.co`` (whose URLs are cut short). So when every token with a
#    dot-letter is such a URL, the extractor returns exactly those tokens, and it need not run.

_URL_SPACES = "\t-\r \x85\xa0\u1680\u180e\u2000-\u200a\u2028\u2029\u202f\u205f\u3000"  # spaces_group
#: a run of non-space characters with a dot-letter in it (found from its first character on)
_URL_TOKEN = re.compile(rf"[^{_URL_SPACES}]*\.[^\W\d_][^{_URL_SPACES}]*")
_LAST_SPACE = re.compile(rf"[{_URL_SPACES}][^{_URL_SPACES}]*\Z")
_SIMPLE_URL = re.compile(r"https?://((?:[a-z0-9]+(?:-[a-z0-9]+)*\.)+([a-z]+))(?:/[a-z0-9_/-]*)?",
                         re.IGNORECASE | re.ASCII)
#: TLDs the simple form accepts; each is in twitter-text's gTLD or ccTLD list (a test checks)
_SIMPLE_TLDS = frozenset({
    "id", "com", "org", "net", "info", "io", "co", "me", "app", "dev", "news", "social", "online", "site",
    "edu", "gov", "int", "biz", "asia", "my", "sg", "uk", "us", "au", "de", "nl", "fr", "jp", "tv", "ly", "be",
    "ch", "eu", "in", "ph", "th", "vn", "tl", "pg", "nz",
})


def _simple_url_spans(text: str) -> list[tuple[int, int]] | None:
    """The (start, end) of every URL twitter-text extracts from ``text`` (with or without the
    protocol-less ones: there are none), when each token holding a dot-letter is a simple URL
    (fact 2 above); else None."""
    spans = []
    for token in _URL_TOKEN.finditer(text):
        url = _SIMPLE_URL.fullmatch(token.group())
        if url is None or url.group(2).lower() not in _SIMPLE_TLDS or url.group(1).lower() == "t.co" \
                or len(token.group()) > 2000 or any(len(label) > 63 for label in url.group(1).split(".")):
            return None
        spans.append(token.span())
    return spans


def _url_entities(text: str, without_protocol: bool) -> list[dict[str, Any]]:
    """``twitter_text.extract_urls_with_indices(text, without_protocol)``: from ``_simple_url_spans``
    when it can tell, else the extractor, run from the last space before the first dot-letter."""
    spans = _simple_url_spans(text)
    if spans is not None:
        return [{"url": text[start:end], "indices": [start, end]} for start, end in spans]
    extract_urls = _twitter_text_urls()
    first = _X_DOT_LETTER.search(text)
    space = _LAST_SPACE.search(text, 0, first.start()) if first is not None else None
    if space is None:
        return extract_urls(text, without_protocol)
    offset = space.start()
    entities = extract_urls(text[offset:], without_protocol)
    for entity in entities:
        entity["indices"] = [entity["indices"][0] + offset, entity["indices"][1] + offset]
    return entities


# --- lazy helpers ---------------------------------------------------------------------------

_MAX_DOMAIN_LENGTH = 253  # mastodon Extractor::MAX_DOMAIN_LENGTH
_cache: dict[str, Any] = {}

# twitter-text end_mention_match: a mention followed by another @, a Latin accent or :// is not one.
_END_MENTION_RE = re.compile(
    "[@\uff20\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0100-\u024f\u0253\u0254\u0256\u0257\u0259"
    "\u025b\u0263\u0268\u026f\u0272\u0289\u028b\u02bb\u0300-\u036f\u1e00-\u1eff]|://"
)


def _grapheme_re() -> Any:
    pattern = _cache.get("grapheme")
    if pattern is None:
        import regex

        pattern = _cache["grapheme"] = regex.compile(r"\X")
    return pattern


def _grapheme_not_simple_re() -> Any:
    pattern = _cache.get("grapheme_not_simple")
    if pattern is None:
        import regex

        pattern = _cache["grapheme_not_simple"] = regex.compile(_GRAPHEME_NOT_SIMPLE)
    return pattern


def _threads_emoji_re() -> Any:
    pattern = _cache.get("threads_emoji")
    if pattern is None:
        import regex

        pattern = _cache["threads_emoji"] = regex.compile(
            r"[\p{Extended_Pictographic}\p{Regional_Indicator}\u20e3]")
    return pattern


def _mention_re() -> Any:
    # mastodon Account::MENTION_RE (USERNAME_RE = [a-z0-9_]+([a-z0-9_.-]+[a-z0-9_]+)?, case-insensitive)
    pattern = _cache.get("mention")
    if pattern is None:
        pattern = _cache["mention"] = re.compile(
            r"(?<![=/\w])@(([a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?)(?:@[\w.-]+\w)?)", re.IGNORECASE
        )
    return pattern


def _twitter_text() -> tuple[Callable[..., Any], dict[str, Any]]:
    loaded = _cache.get("twitter_text")
    if loaded is None:
        from twitter_text import parse_tweet
        from twitter_text.config import config

        loaded = _cache["twitter_text"] = (parse_tweet, config["version3"])
    return loaded


def _twitter_text_urls() -> Callable[..., list[dict[str, Any]]]:
    fn = _cache.get("extract_urls")
    if fn is None:
        from twitter_text import extract_urls_with_indices

        fn = _cache["extract_urls"] = extract_urls_with_indices
    return fn


#: how each record's ``count`` is worked out
_COUNTERS: dict[str, Callable[[str], int]] = {
    "x-weighted": x_length,
    "mastodon": mastodon_length,
    "graphemes": grapheme_count,
    "utf16": utf16_length,
    "threads": threads_length,
}
