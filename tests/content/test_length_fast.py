"""X's fast length path (``content.length._x_fast``) against twitter-text's ``parse_tweet``.

Three kinds of evidence that the fast path never changes a result:

1. the two facts it rests on, re-derived from the installed twitter_text (the plain set weighs 1
   and holds no emoji; a URL needs "." directly followed by a letter);
2. every official conformance text, through both paths;
3. thousands of seeded random texts (ASCII, Indonesian, URLs with and without scheme, emoji with
   keycaps, flags, ZWJ and skin tones, (C)(R)TM, CJK, combining marks, NFD, CR/LF, direction marks).
"""

import importlib
import json
import random
import re
import unicodedata
from pathlib import Path

import pytest

from content import check_length, length
from content.length import _X_DOT_LETTER, _X_NOT_PLAIN, _x_fast, _x_parse_tweet, x_length

length_mod = importlib.import_module("content.length")  # the module (``content.length`` is also a function)

DATA = json.loads((Path(__file__).parent / "data" / "twitter_text_weighted.json").read_text("utf-8"))
V3_SECTIONS = ("WeightedTweetsWithDiscountedEmojiCounterTest", "UnicodeDirectionalMarkerCounterTest")
SECTIONS = ("WeightedTweetsCounterTest", *V3_SECTIONS)  # the v2 texts are compared with v3's own count


def reference(text: str) -> int:
    """twitter-text's own count, config v3, no cache, no fast path."""
    from twitter_text import parse_tweet
    from twitter_text.config import config

    return parse_tweet(text, config["version3"]).weightedLength


def plain_code_points() -> list[int]:
    return [c for c in range(0x110000) if _X_NOT_PLAIN.match(chr(c)) is None]


# --- 1. the facts the fast path rests on -------------------------------------------------------

def test_plain_set_is_exactly_the_weight_one_ranges_minus_copyright_and_registered():
    from twitter_text.config import config
    from twitter_text.get_character_weight import get_character_weight

    v3 = config["version3"]
    plain = plain_code_points()
    # Sound: twitter-text itself weighs every plain code point 1 (scale 100 = one character).
    assert [c for c in plain if get_character_weight(chr(c), v3) != v3["scale"]] == []
    # Complete: it is all of config v3's weight-1 ranges but (C) and (R).
    weight_one = [c for r in v3["ranges"] if r["weight"] == v3["scale"]
                  for c in range(r["start"], r["end"] + 1)]
    assert v3["default_weight"] == 2 * v3["scale"]
    assert plain == [c for c in weight_one if c not in (0xA9, 0xAE)]
    assert len(plain) == 0x1100 + 14 + 16 + 6 - 2


def _emoji_alternatives():
    """The emoji regex split into its literal multi-code-point sequences and its final class,
    checked to re-assemble into exactly the compiled pattern (so nothing is missed)."""
    from twitter_text.regexp.emoji import emoji

    assert not emoji.flags & re.IGNORECASE
    *multi, single_class = emoji.pattern.split("|")
    sequences = []
    for alt in multi:
        points = [int(h, 16) for h in re.findall(r"\\U([0-9A-Fa-f]{8})", alt)]
        assert "".join(f"\\U{p:08X}" for p in points) == alt.upper()
        assert len(points) >= 2
        sequences.append("".join(map(chr, points)))
    assert single_class.startswith("[") and single_class.endswith("]")
    return emoji, sequences


def test_no_emoji_can_be_made_of_plain_code_points():
    emoji, sequences = _emoji_alternatives()
    assert len(sequences) > 2000
    # Single code points: ask the compiled regex itself, for every plain code point.
    assert [c for c in plain_code_points() if emoji.search(chr(c))] == []
    # Sequences: each holds a code point outside the plain set, so cannot occur in a plain text.
    assert [s for s in sequences if _X_NOT_PLAIN.search(s) is None] == []
    # The regex's own view of the two excluded ones and the keycap starters:
    assert emoji.fullmatch("\u00a9") and emoji.fullmatch("\u00ae")
    assert emoji.fullmatch("1\ufe0f\u20e3") and emoji.fullmatch("#\u20e3")
    assert _X_NOT_PLAIN.match("\ufe0f") and _X_NOT_PLAIN.match("\u20e3")


def _tld_alternatives(pattern) -> list[str]:
    source = pattern.pattern
    assert source.startswith("(?:(?:") and ")(?=" in source
    alternatives = source[len("(?:(?:"):source.index(")(?=")].split("|")
    for alt in alternatives:  # plain literals, so the first character is what must follow the dot
        assert alt and not set(alt) & set("\\.^$*+?{}[]()|"), alt
    return alternatives


def test_every_url_needs_a_dot_directly_followed_by_a_letter():
    from twitter_text.regexp.extract_url import extract_url
    from twitter_text.regexp.valid_cctld import valid_cctld
    from twitter_text.regexp.valid_domain import valid_domain
    from twitter_text.regexp.valid_domain_name import valid_domain_name
    from twitter_text.regexp.valid_gtld import valid_gtld
    from twitter_text.regexp.valid_punycode import valid_punycode
    from twitter_text.regexp.valid_subdomain import valid_subdomain

    # The URL regex has one mandatory domain; a domain is subdomains, a name ending in a literal
    # "\.", then straight away a gTLD, ccTLD or punycode.
    assert "(" + valid_domain.pattern + ")" in extract_url.pattern
    assert extract_url.pattern.count(valid_domain.pattern) == 1
    assert valid_domain.pattern == (
        "(?:" + valid_subdomain.pattern + "*" + valid_domain_name.pattern
        + "(?:" + valid_gtld.pattern + "|" + valid_cctld.pattern + "|" + valid_punycode.pattern + "))")
    assert valid_domain_name.pattern.endswith("\\.)")
    assert valid_punycode.pattern == "(?:xn--[\\-0-9a-z]+)"

    first = {alt[0] for alt in _tld_alternatives(valid_gtld) + _tld_alternatives(valid_cctld)} | {"x"}
    # The URL regex is case-insensitive: find every code point that can match a first character
    # that way (the regex engine decides: K matches U+212A KELVIN SIGN, s matches U+017F, …).
    assert extract_url.flags & re.IGNORECASE
    can_start_tld = re.compile("[" + "".join(re.escape(c) for c in sorted(first)) + "]", re.IGNORECASE)
    starters = [chr(c) for c in range(0x110000) if can_start_tld.match(chr(c))]
    assert {"\u212a", "\u017f", "a", "Z"} <= set(starters)
    assert [c for c in starters if _X_DOT_LETTER.match("." + c) is None] == []
    # And what stays on the fast path without the URL extractor:
    assert _X_DOT_LETTER.search("Rp3.500.000, naik 6.5%. Ayo! ... #UpahLayak") is None


# --- 2. the conformance texts through both paths --------------------------------------------

ALL_CASES = [pytest.param(c["text"], section, c["expected"], id=f"{section[:12]}-{c['description'][:50]}")
             for section in SECTIONS for c in DATA[section]]


@pytest.mark.parametrize("text,section,expected", ALL_CASES)
def test_conformance_text_counts_the_same_on_both_paths(text, section, expected):
    want = reference(text)
    if section in V3_SECTIONS:
        assert want == expected["weightedLength"]
    assert _x_parse_tweet(text) == want
    assert x_length(text) == want
    assert length(text, "x") == check_length(text, "x").count == want
    fast = _x_fast(text)
    assert fast is None or fast == want


def test_conformance_texts_exercise_the_fast_path():
    texts = [c["text"] for section in SECTIONS for c in DATA[section]]
    assert sum(_x_fast(t) is not None for t in texts) >= 10


# --- 3. seeded random texts --------------------------------------------------------------------

WORDS = ["Tolak", "Tapera", "upah", "buruh", "layak", "mogok", "nasional", "pekerja", "outsourcing",
         "Hapus", "kontrak", "Ke-12", "Rp3.500.000", "3%", "#UpahLayak", "#1", "@kspi",
         "@kspi@mastodon.social", "pemerintah", "DPR", "UU", "Cipta", "Kerja", "serikat", "KSPI", "FSPMI",
         "2027", "x", "id", "co"]
ACCENTED = ["pekerjá", "Dwi\u0301", "café", "cafe\u0301", "Ñ", "ẞ", "ạ", "a\u0323", "Ā", "ǅ", "ɓ", "ʻ",
            "\u0301", "Ελλάδα", "Київ", "مصر", "भारत", "ไทย", "გე", "Ω", "İ", "ı", "ſ", "\u212a"]
URLS = ["https://www.kspi.or.id/berita/2026/12/01/tolak-tapera", "http://example.org/upah/12", "kspi.or.id",
        "www.kspi.or.id/berita?x=1&y=2", "KSPI.OR.ID", "example.com.", "t.co/abc", "https://t.co/abcDEF?x=1",
        "http://t.co/" + "a" * 45, "xn--wgv71a119e.jp", "日本語.jp", "https://日本語.jp/a", "a.b", "e.g", "i.e.",
        "kspi.id/", "-kspi.or.id", "_x.com", "$x.com", "@x.com", "#x.com", "https://x.co(m)/a_(b)", "v2.0",
        "ftp://kspi.or.id", "http://kspi", "ex.ample.co.uk/path/", "mastodon.social/@kspi", "x.com:8080/a",
        "https://" + "a" * 70 + ".com", "kspi.or.id\u202e", "\u200ekspi.or.id", "buruh.Indonesia",
        "Rp3.500.000.Upah", "x.coma", "x.co1", "x.ID.", "ke.xn--p1ai"]
EMOJI = ["💪", "✊🏽", "🔥", "1\ufe0f\u20e3", "1\u20e3", "#\ufe0f\u20e3", "#\u20e3", "*\ufe0f\u20e3", "🇮🇩",
         "🇮", "👨\u200d👩\u200d👧\u200d👧", "🏳\ufe0f\u200d⚧\ufe0f", "©", "®", "™", "©\ufe0f", "‼", "⁉", "ℹ",
         "↔", "↔\ufe0f", "☺", "☺\ufe0f", "\u200d", "\ufe0f", "\u20e3", "🏽", "👍🏿", "🧑\u200d🤝\u200d🧑",
         "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f", "❤", "❤\ufe0f"]
OTHER = ["日本語", "中文", "한국", "ポイント", "…", "—", "–", "“kutipan”", "‘x’", "′", "″", "‰", "€", "℃",
         "\u200b", "\u200e", "\u200f", "\u202a", "\u2066", "\u061c", "\ufeff", "\ufffe", "\u3000", "\xa0",
         "\U0001d400", "\ud7ff", "ᄀ", "\u10ff", "\u1100", "\u2037", "\u2038", "\u2031"]
SEPARATORS = ["", " ", " ", " ", ".", ". ", "\n", "\r\n", "\r", "/", ",", "!", "?", ":", "-", "(", ")",
              "#", "@", "\t", "..", "\u3002", "\uff0e"]
PLAIN_EXTRA = ["\u2010", "\u2013", "\u2014", "\u201c", "\u201d", "\u2018", "\u2019", "\u2032", "\u2036",
               "\u2000", "\u2009", "\u200c", "\u200d", "\xab", "\xbb", "\xb0", "\xa7", "\xb1", "\xbd"]


def random_text(rng: random.Random, pools: list[list[str] | None], separators: list[str] = SEPARATORS) -> str:
    out = []
    for _ in range(rng.randint(0, 14)):
        pool = rng.choice(pools)
        if pool is None:  # a random code point, mostly near the interesting ranges
            top = rng.choice([0x80, 0x250, 0x1100, 0x2100, 0x10000, 0x110000])
            c = rng.randrange(top)
            piece = "" if 0xD800 <= c <= 0xDFFF else chr(c)
        else:
            piece = rng.choice(pool)
        out.append(piece)
        out.append(rng.choice(separators))
    text = "".join(out)
    form = rng.random()
    if form < 0.15:
        text = unicodedata.normalize("NFD", text)
    elif form < 0.2:
        text = text.upper()
    return text


def test_random_mixed_texts_count_the_same_as_parse_tweet():
    rng = random.Random(20261201)
    pools = [WORDS, WORDS, ACCENTED, URLS, EMOJI, OTHER, PLAIN_EXTRA, None]
    fast_hits = url_hits = 0
    for _ in range(3000):
        text = random_text(rng, pools)
        want = reference(text)
        fast = _x_fast(text)
        assert fast is None or fast == want, text
        assert x_length(text) == want, text
        if fast is not None:
            fast_hits += 1
            url_hits += _X_DOT_LETTER.search(text) is not None
    assert fast_hits >= 200 and url_hits >= 50  # the fast path, with and without URLs, was exercised


def _plain_only(pool: list[str]) -> list[str]:
    return [t for t in pool if _X_NOT_PLAIN.search(unicodedata.normalize("NFC", t)) is None]


def test_random_plain_texts_take_the_fast_path_and_count_the_same():
    rng = random.Random(1912)
    pools = [WORDS, WORDS, WORDS, _plain_only(ACCENTED), _plain_only(URLS), PLAIN_EXTRA]
    separators = _plain_only(SEPARATORS)
    assert all(_plain_only(pool) == pool for pool in pools) and len(separators) == len(SEPARATORS) - 2
    slow = 0
    for _ in range(2000):
        text = random_text(rng, pools, separators)
        want = reference(text)
        fast = _x_fast(text)
        if fast is None:
            # only when NFC composes pieces into a non-plain code point ("p" + U+0301 -> U+1E55)
            assert _X_NOT_PLAIN.search(unicodedata.normalize("NFC", text)), text
            slow += 1
        else:
            assert fast == want, text
        assert x_length(text) == want, text
    assert slow < 100


# --- the fast path is taken where it matters --------------------------------------------------

INDONESIAN = [
    "Tolak Tapera! Upah layak untuk semua buruh #UpahLayak",
    "Tolak potongan Tapera dari upah buruh! Iuran wajib 3% memberatkan pekerja. #12 #UpahLayak",
    "Hapus outsourcing: buruh butuh kepastian kerja, bukan kontrak tanpa akhir. Ke-7",
    "Upah minimum 2027 harus naik 8,5% — bukan Rp3.500.000 lagi. Aksi 1 Mei di depan DPR RI.\n#MayDay",
    "Serikat pekerja menolak “fleksibilitas” tanpa perlindungan.\r\nSolidaritas!",
    unicodedata.normalize("NFD", "Pekerja café di Bandung menuntut kenaikan upah — ayo dukung!"),
    "Ελλάδα, Київ, مصر: solidaritas buruh sedunia",
]
WITH_URLS = [
    "Baca sikap KSPI: https://www.kspi.or.id/berita/2026/12/01/tolak-tapera #UpahLayak",
    "Info lengkap di kspi.or.id dan fspmi.or.id/aksi",
    "Tolak Tapera!\nhttps://example.org/upah/12",
]


@pytest.mark.parametrize("text", INDONESIAN)
def test_plain_indonesian_text_takes_the_fast_path(text):
    fast = _x_fast(text)
    assert isinstance(fast, int)
    assert fast == reference(text)


@pytest.mark.parametrize("text", WITH_URLS)
def test_plain_text_with_urls_avoids_parse_tweet(text, monkeypatch):
    want = reference(text)

    def refuse(_text):
        raise AssertionError("parse_tweet path taken")

    monkeypatch.setattr(length_mod, "_x_parse_tweet", refuse)
    assert _x_fast(text) == want
    assert x_length(text) == want
    assert check_length(text, "x").count == want


@pytest.mark.parametrize("text,want", [
    ("", 0), ("\r\n", 1), ("a\rb\nc\r\n", 6), ("1\ufe0f\u20e3 #\u20e3", 5), ("©®", 4), ("…", 2),
    ("cafe\u0301", 4), ("a\u0323", 2), ("kspi.or.id", 23), ("Rp3.500.000", 11), ("x.co1", 5),
])
def test_edge_cases(text, want):
    assert reference(text) == want
    assert x_length(text) == want
    fast = _x_fast(text)
    assert fast is None or fast == want


def test_emoji_and_cjk_leave_the_fast_path():
    for text in ("Mogok! 💪", "©", "日本語", "a\u0323", "#\u20e3", "1\ufe0f", "…"):
        assert _x_fast(text) is None, text


def test_slow_path_is_memoised_and_bounded():
    info = _x_parse_tweet.cache_info()
    assert info.maxsize is not None and info.maxsize <= 65536
    text = "Mogok nasional 💪 " + "z" * 13  # a text no other test counts
    x_length(text)
    before = _x_parse_tweet.cache_info()
    assert x_length(text) == reference(text)
    after = _x_parse_tweet.cache_info()
    assert after.hits == before.hits + 1 and after.misses == before.misses


def test_url_walk_matches_parse_tweet_for_any_entity_list(monkeypatch):
    """The URL count copies parse_tweet's walk. Feed both the same made-up entity lists (overlapping,
    same start twice, url strings shorter or longer than their span, starts past the end) in place of
    the extractor: the counts must agree on every one, not only on what the extractor yields today."""
    parse_module = importlib.import_module("twitter_text.parse_tweet")  # the module, not the function

    rng = random.Random(7)
    fake: list[dict] = []
    monkeypatch.setattr(parse_module, "extract_urls_with_indices", lambda text: fake)
    monkeypatch.setattr(length_mod, "_url_entities", lambda text, without_protocol: fake)
    walk = length_mod._x_plain_with_urls.__wrapped__  # bypass the cache: the fake changes per text
    for _ in range(2000):
        text = "".join(rng.choice("ab. /\n") for _ in range(rng.randint(0, 40)))
        fake[:] = []
        for _ in range(rng.randint(0, 4)):
            start = rng.randint(0, len(text) + 2)
            size = rng.randint(1, 12)
            fake.append({"url": "u" * size, "indices": [start, start + rng.randint(1, 12)]})
        assert walk(text) == reference(text), (text, fake)
