"""URLs without twitter-text: ``content.length._url_entities`` must equal twitter-text's
``extract_urls_with_indices`` on every text, whether it answers from the simple form or runs the
extractor from the last space before the first dot-letter.

1. the facts it rests on (see the comment above ``_URL_SPACES``), re-derived from the installed
   twitter-text: its space class, which parts of a URL can hold no space, the TLDs;
2. differential checks on many generated texts (simple URLs, near misses, mentions, odd spaces),
   for both extractor modes and for the counts built on them.
"""
from __future__ import annotations

import importlib
import random
import re
import sys

import pytest

from content.length import (
    _SIMPLE_TLDS, _URL_SPACES, _mastodon_length_reference, _simple_url_spans, _url_entities, check_length,
    mastodon_length, x_length,
)

length_mod = importlib.import_module("content.length")  # the module (``content.length`` is also a function)
SPACES = [chr(c) for c in range(sys.maxunicode + 1) if re.fullmatch(f"[{_URL_SPACES}]", chr(c))]


def _extract(text: str, without_protocol: bool):
    from twitter_text import extract_urls_with_indices

    return extract_urls_with_indices(text, without_protocol)


def _x_reference(text: str) -> int:
    from twitter_text import parse_tweet
    from twitter_text.config import config

    return parse_tweet(text, config["version3"]).weightedLength


# --- 1. the facts ------------------------------------------------------------------------------

def test_space_class_is_twitter_texts():
    from twitter_text.regexp.spaces_group import spaces_group

    theirs = re.compile(f"[{spaces_group}]")
    assert SPACES == [chr(c) for c in range(sys.maxunicode + 1) if theirs.fullmatch(chr(c))]


def test_no_part_of_a_url_can_hold_a_space():
    from twitter_text.regexp.valid_domain_chars import valid_domain_chars
    from twitter_text.regexp.valid_general_url_path_chars import valid_general_url_path_chars
    from twitter_text.regexp.valid_port_number import valid_port_number
    from twitter_text.regexp.valid_url_path_ending_chars import valid_url_path_ending_chars
    from twitter_text.regexp.valid_url_query_chars import valid_url_query_chars
    from twitter_text.regexp.valid_url_query_ending_chars import valid_url_query_ending_chars

    classes = [valid_domain_chars, valid_general_url_path_chars, valid_url_path_ending_chars,
               valid_url_query_chars, valid_url_query_ending_chars, valid_port_number]
    for space in SPACES:
        for cls in classes:
            pattern = cls if isinstance(cls, re.Pattern) else re.compile(cls, re.IGNORECASE)
            assert pattern.search(space) is None, (ascii(space), pattern.pattern[:40])


def _tld_words():
    from twitter_text.regexp.valid_cctld import valid_cctld
    from twitter_text.regexp.valid_gtld import valid_gtld

    words = []
    for pattern in (valid_gtld, valid_cctld):
        body = re.fullmatch(r"\(\?:\(\?:(.*)\)\(\?=.*\)\)", pattern.pattern, re.DOTALL)
        assert body, pattern.pattern[:60]
        words += body.group(1).split("|")
    return words


def test_every_tld_starts_with_a_letter_and_holds_no_space():
    words = _tld_words()
    assert len(words) > 1000
    for word in words:
        assert re.match(r"[^\W\d_]", word), word
        assert not any(space in word for space in SPACES), word


def test_simple_tlds_are_twitter_text_tlds():
    from twitter_text.regexp.valid_cctld import valid_cctld
    from twitter_text.regexp.valid_gtld import valid_gtld

    # extract_url, which holds them, is compiled IGNORECASE: so are they here
    gtld, cctld = (re.compile(p.pattern, re.IGNORECASE) for p in (valid_gtld, valid_cctld))
    words = _tld_words()
    for tld in _SIMPLE_TLDS:
        assert tld == tld.lower() and tld in words
        for spelling in (tld, tld.upper(), tld.title()):
            assert gtld.fullmatch(spelling) or cctld.fullmatch(spelling), spelling


# --- 2. differential checks ---------------------------------------------------------------------

LABELS = ["kspi", "or", "fspmi", "a", "x1", "buruh-kita", "mastodon", "t", "co", "b" * 63, "c" * 64, "UPAH", "-x",
          "x-", "a_b", "xn--wgv71a119e"]
TLDS = sorted(_SIMPLE_TLDS) + ["zz", "ORG", "Com", "xyz", "travel", "co.id", "1a", "i"]
PATHS = ["", "/", "/upah", "/upah/2027", "/a-b_c/", "/upah.", "/a?b=1", "/a#x", "/(a)", "/a:b", "/é", "/a/b/c/d-e_f",
         "?q=1", ":8080", ":8080/x", ".", ",", ")", "/%20", "/@kspi"]
WORDS = ["Tolak", "Tapera", "upah", "layak", "💪", "#UpahLayak", "@kspi", "@kspi@mastodon.social", "buruh@kspi.or.id",
         "Rp3.500.000", "3.5", "a.b", "kspi.or.id", "(", ")", "“", "—", "é", "Ke-12", "www.kspi.or.id", "x.com/a",
         "t.co/abc", "://", "http://", "https://", "@", "#", "$", "日本語.jp"]
SEPARATORS = [" ", " ", " ", "\n", "\n\n", "\t", "\xa0", "\u3000", "\u2028", "\u200a", "", ".", ",", "(", "/", "@", "“"]


def _url(rng: random.Random) -> str:
    scheme = rng.choice(["https://", "http://", "HTTPS://", "", "ftp://", "https:/"])
    host = ".".join(rng.choice(LABELS) for _ in range(rng.randint(1, 3))) + "." + rng.choice(TLDS)
    if rng.random() < 0.05:
        host = rng.choice(["t.co", "T.CO", "kspi.or.id"])
    return scheme + host + "".join(rng.choice(PATHS) for _ in range(rng.choice([0, 1, 1, 2])))


def _texts(seed: int, n: int):
    rng = random.Random(seed)
    for _ in range(n):
        pieces = []
        for _ in range(rng.randint(1, 9)):
            pieces.append(_url(rng) if rng.random() < 0.35 else rng.choice(WORDS))
            pieces.append(rng.choice(SEPARATORS))
        yield "".join(pieces).strip(" ") if rng.random() < 0.5 else "".join(pieces)


@pytest.mark.parametrize("seed", range(4))
def test_url_entities_equal_the_extractor(seed):
    simple = 0
    for text in _texts(seed, 1500):
        for without_protocol in (True, False):
            assert _url_entities(text, without_protocol) == _extract(text, without_protocol), ascii(text)
        spans = _simple_url_spans(text)
        if spans is not None:
            simple += 1
            assert [tuple(e["indices"]) for e in _extract(text, True)] == spans, ascii(text)
            assert [tuple(e["indices"]) for e in _extract(text, False)] == spans, ascii(text)
    assert simple > 100  # the generator reaches the simple form often enough to mean something


@pytest.mark.parametrize("seed", range(2))
def test_counts_equal_the_references(seed):
    for text in _texts(100 + seed, 800):
        assert mastodon_length(text) == _mastodon_length_reference(text), ascii(text)
        assert x_length(text) == _x_reference(text), ascii(text)


def _refuse(*_args):
    raise AssertionError("extractor run")


@pytest.mark.parametrize("text", [
    "Upah minimum 2027 harus naik 💪 https://example.org/upah/12\n\n#UpahLayak",
    "https://kspi.or.id",
    "Baca: https://www.fspmi.or.id/berita/tolak-tapera/ dan http://kspi.or.id/a_b\u3000ya",
    "Rp3.500.000 itu kurang. https://kspi.or.id/upah @kspi",
])
def test_simple_urls_need_no_extractor(text, monkeypatch):
    mastodon, x = _mastodon_length_reference(text), _x_reference(text)
    monkeypatch.setattr(length_mod, "_twitter_text_urls", _refuse)
    assert length_mod._mastodon_slow.__wrapped__(text, True) == mastodon
    assert check_length(text, "mastodon").count == mastodon
    if text.isascii():
        assert length_mod._x_plain_with_urls.__wrapped__(text) == x


@pytest.mark.parametrize("text", [
    "Baca https://kspi.or.id/upah.", "https://t.co/abc", "kspi.or.id", "https://kspi.or.id/a?b=1",
    "https://kspi.zz/a", "https://a_b.org", "https://kspi.or.id:8080/", "https://kspi.or.id @kspi@mastodon.social",
])
def test_other_urls_go_to_the_extractor(text):
    assert _simple_url_spans(text) is None
    for without_protocol in (True, False):
        assert _url_entities(text, without_protocol) == _extract(text, without_protocol)
