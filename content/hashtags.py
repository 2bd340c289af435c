"""Hashtags: one spelling for a tag, and appending a campaign's tags to a post only where they fit.

Why: each campaign carries tags (``#TolakTapera``, ``#UpahLayak``) that should ride along on every
post without the writer retyping them — but never push a post over the platform's limit, and never
repeat a tag the text already has.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from gettext import gettext as _
from typing import Any

from content.length import LengthCheck, check_length

#: Longest tag body accepted (Bluesky's tag facet allows 64 graphemes).
MAX_TAG_LENGTH = 64

_EXAMPLE = '"#UpahLayak"'
_cache: dict[str, Any] = {}


def tag_key(tag: str) -> str:
    """How a tag is stored and compared (hashtag counts, share of voice): lower case, without "#"."""
    return tag.lstrip("#\uff03").lower()


def normalize_tag(tag: str) -> str:
    """``"upah"``, ``"#Upah2026"``, ``" #upah "`` → ``"#upah"``/``"#Upah2026"``/``"#upah"``.

    Letters of any script (with their marks), digits and ``_`` only, at least one letter (an
    all-digit tag is not linked by the platforms), at most 64 characters. The case is kept as
    written. Raises ValueError saying what is wrong.
    """
    body = str(tag).strip()
    if body[:1] in ("#", "\uff03"):
        body = body[1:]
    if not body:
        raise ValueError(_("empty hashtag {tag!r} — write a word after '#', e.g. {example}")
                         .format(tag=tag, example=_EXAMPLE))
    if not _body_re().fullmatch(body):
        if body[:1] in ("#", "\uff03") and _body_re().fullmatch(body.lstrip("#\uff03")):
            raise ValueError(_("bad hashtag {tag!r} — write a single '#' before the word, e.g. {example}")
                             .format(tag=tag, example=_EXAMPLE))
        raise ValueError(_("bad hashtag {tag!r} — use letters, digits and _ only (no spaces, punctuation or "
                           "emoji), e.g. {example}").format(tag=tag, example=_EXAMPLE))
    if not _letter_re().search(body):
        raise ValueError(_("hashtag {tag!r} has no letter, and platforms do not link a tag of digits only — "
                           'add a word, e.g. "#Upah2026"').format(tag=tag))
    if len(body) > MAX_TAG_LENGTH:
        raise ValueError(_("hashtag {tag!r} is {n} characters long after '#' — shorten it to at most {max}")
                         .format(tag=tag, n=len(body), max=MAX_TAG_LENGTH))
    return "#" + body


def hashtags_in(text: str) -> list[str]:
    """The hashtags written in ``text`` (whole tags, as written, in order; ``#`` included)."""
    return ["#" + m.group(1) for m in _tag_in_text_re().finditer(text)]


@dataclass(frozen=True)
class HashtagPlan:
    """The outcome of appending tags: the new ``text``, the tags ``added``, those ``present``
    already in the text, and those ``skipped`` because they would not fit."""

    text: str
    added: tuple[str, ...]
    present: tuple[str, ...]
    skipped: tuple[str, ...]


def plan_hashtags(
    text: str, tags: Iterable[str], platform: str, *, limit: int | None = None,
    has_media: bool = False,
) -> HashtagPlan:
    """Work out which of ``tags`` to append to ``text`` for ``platform`` (see ``append_hashtags``)."""
    composed, added, present, skipped, _check = _plan(text, tags, platform, limit, has_media)
    return HashtagPlan(composed, tuple(added), tuple(present), tuple(skipped))


def fit_hashtags(
    text: str, tags: Iterable[str], platform: str, *, limit: int | None = None,
    has_media: bool = False,
) -> tuple[str, LengthCheck | None]:
    """``append_hashtags``, plus the ``check_length`` verdict on the returned text (with the same
    ``limit`` and ``has_media``) when it was worked out on the way — that is, when a tag was
    added; ``None`` otherwise. Saves a caller that checks the result anyway a second count."""
    composed, _added, _present, _skipped, check = _plan(text, tags, platform, limit, has_media)
    return composed, check


def _plan(text: str, tags: Iterable[str], platform: str, limit: int | None, has_media: bool
          ) -> tuple[str, list[str], list[str], list[str], LengthCheck | None]:
    """(new text, added, present, skipped, the check of the new text if a tag was added)."""
    # "#" or its full-width form starts every tag: without one the text has none
    folded = text.casefold() if ("#" in text or "\uff03" in text) else ""
    in_text: set[str] | None = None  # the text's own tags, found when first needed
    seen: set[str] = set()
    base = text.rstrip()
    added: list[str] = []
    present: list[str] = []
    skipped: list[str] = []
    nothing_fits = limit is not None and not isinstance(limit, bool) and isinstance(limit, int) \
        and limit <= 0  # a caller's budget can run out (e.g. after reserving room for a link)
    composed = text
    composed_check = None
    for raw in tags:
        tag = _normalized(raw) if type(raw) is str else normalize_tag(raw)
        key = tag.casefold()
        if key in seen:  # the same tag twice in ``tags``
            continue
        seen.add(key)
        # casefold maps character by character, so a tag in the text has its folded body in the
        # folded text: without that the (slower) tag search is not needed
        if key[1:] in folded:
            if in_text is None:
                in_text = {t.casefold() for t in hashtags_in(text)}
            if key in in_text:
                present.append(tag)
                continue
        if not nothing_fits:
            candidate = _compose(base, [*added, tag])
            check = check_length(candidate, platform, limit=limit, has_media=has_media)
            if check.ok:
                added.append(tag)
                composed = candidate  # == _compose(base, added)
                composed_check = check
                continue
        skipped.append(tag)
    return composed, added, present, skipped, composed_check


@functools.lru_cache(maxsize=1024)
def _normalized(tag: str) -> str:
    """``normalize_tag`` for a ``str``, remembered (a campaign's tags recur on every post; a bad tag
    raises every time, as exceptions are not cached)."""
    return normalize_tag(tag)


def append_hashtags(
    text: str, tags: Iterable[str], platform: str, *, limit: int | None = None,
    has_media: bool = False,
) -> str:
    """``text`` with those of ``tags`` appended that it lacks and that still fit ``platform``.

    - Tags are normalised (``normalize_tag``); one already in the text (compared case-insensitively,
      as a whole tag: ``#UpahLayak2026`` does not contain ``#UpahLayak``) is not repeated.
    - They go in the given order, separated by spaces: on the text's last line if that line holds
      only hashtags, otherwise on a new paragraph (a blank line after the text).
    - Greedy fit: a tag that would push the post over the limit is skipped and the later (maybe
      shorter) tags still get their chance; a text already over the limit (or a ``limit`` of 0 or
      less, a budget already spent) gets no tags.
    """
    return plan_hashtags(text, tags, platform, limit=limit, has_media=has_media).text


def _compose(base: str, tags: list[str]) -> str:
    if not tags:
        return base
    joined = " ".join(tags)
    if not base:
        return joined
    last_line = base.rsplit("\n", 1)[-1].strip()
    # a line of tags starts with "#" (or its full-width form): only then ask the pattern
    if last_line[:1] in ("#", "\uff03") and _tag_line_re().fullmatch(last_line):
        return f"{base} {joined}"
    return f"{base}\n\n{joined}"


# --- lazily compiled patterns (``regex`` for Unicode letter/mark classes) --------------------

_WORD = r"[\p{L}\p{M}\p{Nd}_]"


def _compiled(name: str, pattern: str) -> Any:
    compiled = _cache.get(name)
    if compiled is None:
        import regex

        compiled = _cache[name] = regex.compile(pattern)
    return compiled


def _body_re() -> Any:
    return _compiled("body", f"{_WORD}+")


def _letter_re() -> Any:
    return _compiled("letter", r"[\p{L}\p{M}]")


def _tag_in_text_re() -> Any:
    # A tag starts after a non-word character (not inside "abc#x", "&#38;" or a URL's "/#x").
    return _compiled("in_text", rf"(?<![\p{{L}}\p{{M}}\p{{Nd}}_&/]|#)[#\uff03]({_WORD}+)")


def _tag_line_re() -> Any:
    return _compiled("line", rf"[#\uff03]{_WORD}+(?:[ \t]+[#\uff03]{_WORD}+)*")
