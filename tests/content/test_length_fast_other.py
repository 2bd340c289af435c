"""The grapheme and Mastodon fast paths (``content.length._grapheme_simple``, ``mastodon_length``)
against the slow paths they stand in for (``regex``'s ``\\X``; countable_text with the URL extractor
always run), and ``plan_hashtags`` with the fast counters against the slow ones.

As for X (test_length_fast.py): the facts each fast path rests on, re-derived from the installed
libraries; seeded random texts through both paths; and the fast path taken for campaign texts.
"""

import importlib
import inspect
import random
import unicodedata

import pytest

from content import check_length, length
from content.hashtags import HashtagPlan, _compose, hashtags_in, normalize_tag, plan_hashtags
from content.length import (
    _GRAPHEME_NOT_SIMPLE, _grapheme_reference, _grapheme_simple, _grapheme_slow,
    _mastodon_countable, _mastodon_length_reference, _mastodon_may_have_url, _mastodon_slow,
    grapheme_count, mastodon_countable_text, mastodon_length,
)

from .test_length_fast import ACCENTED, EMOJI, INDONESIAN, OTHER, PLAIN_EXTRA, SEPARATORS, URLS, WORDS, random_text

length_mod = importlib.import_module("content.length")  # the module (``content.length`` is also a function)

GCB_VALUES = ("Other", "Control", "CR", "LF", "Extend", "ZWJ", "Regional_Indicator", "Prepend",
              "SpacingMark", "L", "V", "T", "LV", "LVT")
SIMPLE_VALUES = ("Other", "Control", "CR", "LF")


# --- 1. graphemes: the facts -----------------------------------------------------------------

def test_every_ascii_pair_splits_as_the_fast_path_says():
    x = _grapheme_reference
    for a in range(128):
        for b in range(128):
            text = chr(a) + chr(b)
            want = 1 if text == "\r\n" else 2
            assert x(text) == want and _grapheme_simple(text) == want, text


def test_simple_class_is_exactly_grapheme_break_other_control_cr_lf():
    import regex

    everything = "".join(chr(c) for c in range(0x110000))
    # Every code point has exactly one of the 14 Grapheme_Cluster_Break values ...
    members_of = {v: regex.sub(rf"\P{{Grapheme_Cluster_Break={v}}}", "", everything) for v in GCB_VALUES}
    assert sum(map(len, members_of.values())) == 0x110000 and all(members_of.values())
    # ... and the fast path's class refuses exactly the ten that can join code points into a cluster.
    not_simple = regex.compile(_GRAPHEME_NOT_SIMPLE)
    for value, members in members_of.items():
        kept = not_simple.sub("", members)
        assert len(kept) == (len(members) if value in SIMPLE_VALUES else 0), value
    for c in ("\u0301", "\u200d", "\ufe0f", "\U0001f3fd", "\U0001f1ee", "\u1100", "\u1161", "\u11a8",
              "\uac00", "\uac01", "\u0903", "\u0600", "\u094d", "\u0e33", "\U000e0067"):
        assert _grapheme_simple("a" + c) is None, hex(ord(c))


def test_simple_code_points_are_each_their_own_cluster():
    """All ~1.1 million simple code points (surrogates and unassigned ones included), in code point
    order and in two shuffles, with CR/LF/controls among them: ``\\X`` cuts between every two
    except CR LF."""
    import regex

    simple = regex.compile(_GRAPHEME_NOT_SIMPLE).sub("", "".join(chr(c) for c in range(0x110000)))
    assert len(simple) > 1_000_000 and "\U0001f4aa" in simple and "\u0915" in simple
    pieces = list(simple) + ["\r\n"] * 500 + ["\r", "\n", "\x00", "\x7f", "\u200b"] * 500
    rng = random.Random(29)
    texts = [simple]
    for _ in range(2):
        rng.shuffle(pieces)
        texts.append("".join(pieces))
    for text in texts:
        clusters = regex.findall(r"\X", text)
        assert [c for c in clusters if len(c) > 1 and c != "\r\n"] == []
        assert len(clusters) == _grapheme_simple(text) == len(text) - text.count("\r\n")


# --- 2. Mastodon: the facts ------------------------------------------------------------------

def test_mastodon_urls_need_a_protocol_with_colon_slash_slash():
    from twitter_text import extract_urls_with_indices
    from twitter_text.regexp.extract_url import extract_url

    # Group 4 is the protocol, a literal "https?://" (":" and "/" have no case variants).
    assert "((https?:\\/\\/)?(" in extract_url.pattern
    match = extract_url.search(" https://kspi.or.id/a")
    assert match.group(4) == "https://"
    assert extract_url.search(" kspi.or.id/a").group(4) is None
    # Without extract_urls_without_protocol, a match whose protocol did not take part is dropped.
    source = inspect.getsource(extract_urls_with_indices)
    assert "if protocol is None:\n            if not extract_urls_without_protocol" in source
    assert extract_urls_with_indices("kspi.or.id www.kspi.or.id/x", False) == []
    # Either test alone rules out every URL (the dot-letter one is proven in test_length_fast.py).
    for text in ("https://kspi", "kspi.or.id", "http:/kspi.or.id", "https:/ /kspi.or.id", "Rp3.500://"):
        assert not _mastodon_may_have_url(text)
        assert extract_urls_with_indices(text, False) == []
    assert _mastodon_may_have_url("lihat https://kspi.or.id")


def test_mastodon_mentions_change_the_text_only_with_a_second_at_sign():
    pattern = length_mod._mention_re().pattern
    # One literal "@" before the username, one before the optional domain; no other way to an "@".
    assert pattern == r"(?<![=/\w])@(([a-z0-9_]+(?:[a-z0-9_.-]+[a-z0-9_]+)?)(?:@[\w.-]+\w)?)"
    assert pattern.count("@") == 2
    for text in ("@kspi", "@kspi halo", "x @a_b.c-d", "@kspi:", "(@kspi)", "@kspi.", "=@kspi", "@"):
        assert _mastodon_countable(text, False) == text
    assert _mastodon_countable("@kspi@mastodon.social", False) == "@kspi"


# --- 3. seeded random texts ------------------------------------------------------------------

MENTIONS = ["@kspi@mastodon.social", "@kspi", "@a@b", "@user@localhost", "@@", "@", "@x@" + "d" * 260,
            "@kspi@https://x.com", "https://mastodon.social/@kspi", "buruh@kspi.or.id", "@kspi@kspi.or.id:443",
            "@KSPI@Mastodon.Social", "@ka\u0301@x.id", "@kspi@mastodon.social/x", "=@a@b", "@a.@b.c", "\uff20a@b"]
COMBINING = ["\u0301", "\u0323", "e\u0301", "\u200d", "\u200c", "\ufe0f", "\U0001f3fd", "\u094d", "\u0915\u094d\u0937",
             "\u1100\u1161\u11a8", "\uac00\u11a8", "\u0600", "\u0903", "\U0001f1ee\U0001f1e9\U0001f1ee", "\r\n\u0301"]
CRLF = ["\r\n", "\r\n\r\n", "\r", "\n", "\r\r\n", "\n\r"]


def _check_text(text: str) -> None:
    want_graphemes = _grapheme_reference(text)
    assert grapheme_count(text) == want_graphemes, ascii(text)
    fast = _grapheme_simple(text)
    assert fast is None or fast == want_graphemes, ascii(text)
    want = _mastodon_length_reference(text)
    assert mastodon_length(text) == want, ascii(text)
    assert length(text, "mastodon") == check_length(text, "mastodon").count == want, ascii(text)
    assert mastodon_countable_text(text) == _mastodon_countable(text, True), ascii(text)
    check = check_length(text, "bluesky")
    assert (check.count, check.bytes) == (want_graphemes, len(text.encode("utf-8", "surrogatepass")))


def test_random_texts_count_the_same_on_both_paths():
    rng = random.Random(20261202)
    pools = [WORDS, WORDS, ACCENTED, URLS, MENTIONS, EMOJI, OTHER, PLAIN_EXTRA, COMBINING, CRLF, None]
    separators = SEPARATORS + ["@", "://", ":", "\r\n"]
    simple = mastodon_plain = 0
    for _ in range(4000):
        text = random_text(rng, pools, separators)
        if any(0xD800 <= ord(c) <= 0xDFFF for c in text):
            continue
        _check_text(text)
        simple += _grapheme_simple(text) is not None and not text.isascii()
        mastodon_plain += not _mastodon_may_have_url(text) and text.count("@") < 2
    assert simple >= 300 and mastodon_plain >= 1000  # both fast paths were exercised


def test_random_campaign_texts_count_the_same_on_both_paths():
    rng = random.Random(1905)
    pools = [WORDS, WORDS, WORDS, URLS, MENTIONS, ["💪", "✊", "🔥", "✊🏽", "🇮🇩"], CRLF, PLAIN_EXTRA]
    for _ in range(3000):
        text = random_text(rng, pools)  # 15% NFD, 5% upper case
        _check_text(text)
        _check_text(unicodedata.normalize("NFD", text))


@pytest.mark.parametrize("text,want", [
    ("", 0), ("\r\n", 1), ("\r\r\n\n", 3), ("a\u0301", 1), ("\r\n\u0301", 2), ("💪🏽", 1), ("🇮🇩🇮", 2),
    ("\u1100\u1161\u11a8", 1), ("Tolak Tapera 💪", 14), ("kspi.or.id", 10), ("https://kspi.or.id", 23),
    ("@kspi@mastodon.social", 5), ("@kspi@mastodon.social://", 24), ("@a@b https://t.co", 4 + 1 + 23), ("@a@bc https://t.co", 2 + 1 + 23),
    ("https://mastodon.social/@kspi@x.id", 23), ("buruh@kspi.or.id", 16),
])
def test_edge_cases(text, want):
    assert _mastodon_length_reference(text) == want
    assert mastodon_length(text) == want


# --- the fast paths are taken where they matter ------------------------------------------------

def _refuse(*_args):
    raise AssertionError("slow path taken")


@pytest.mark.parametrize("text", INDONESIAN)
def test_plain_indonesian_text_takes_the_mastodon_fast_path(text, monkeypatch):
    want = _mastodon_length_reference(text)
    monkeypatch.setattr(length_mod, "_mastodon_slow", _refuse)
    monkeypatch.setattr(length_mod, "_twitter_text_urls", _refuse)
    if unicodedata.is_normalized("NFC", text):  # NFD text has combining marks: \X counts those
        monkeypatch.setattr(length_mod, "_grapheme_slow", _refuse)
    assert mastodon_length(text) == want
    assert check_length(text, "mastodon").count == want
    assert check_length(text + " 💪 #UpahLayak", "mastodon").count == want + 13


@pytest.mark.parametrize("text", [t for t in INDONESIAN if unicodedata.is_normalized("NFC", t)])
def test_plain_indonesian_text_takes_the_grapheme_fast_path(text, monkeypatch):
    want = _grapheme_reference(text)
    monkeypatch.setattr(length_mod, "_grapheme_slow", _refuse)
    monkeypatch.setattr(length_mod, "_grapheme_re", _refuse)
    assert _grapheme_simple(text) == grapheme_count(text) == want
    for platform in ("bluesky", "facebook", "sandbox"):
        assert check_length(text, platform).count == want
    assert check_length(text, "bluesky").bytes == len(text.encode("utf-8"))


def test_mastodon_text_with_url_skips_the_extractor_only_when_it_cannot_match(monkeypatch):
    monkeypatch.setattr(length_mod, "_twitter_text_urls", _refuse)
    assert mastodon_length("Info di kspi.or.id dan @kspi@mastodon.social") == len("Info di kspi.or.id dan @kspi")
    # a plain https://host/path URL is told without the extractor (tests/content/test_length_urls.py)
    assert _mastodon_slow.__wrapped__("Baca https://kspi.or.id/a", True) == len("Baca ") + 23
    with pytest.raises(AssertionError, match="slow path"):
        _mastodon_slow.__wrapped__("Baca https://kspi.or.id/a?b=1.", True)


def test_slow_paths_are_memoised_and_bounded():
    for cached in (_mastodon_slow, _grapheme_slow):
        info = cached.cache_info()
        assert info.maxsize is not None and info.maxsize <= 65536
    text = "Mogok nasional 💪 https://kspi.or.id/mogok " + "q" * 17  # a text no other test counts
    mastodon_length(text)
    before = _mastodon_slow.cache_info()
    assert mastodon_length(text) == _mastodon_length_reference(text)
    after = _mastodon_slow.cache_info()
    assert after.hits == before.hits + 1 and after.misses == before.misses


# --- plan_hashtags with the fast counters equals plan_hashtags with the slow ones --------------

TAGS = ["UpahLayak", "#TolakTapera", "upahlayak", "#MayDay", "Buruh2026", "#Solidaritas", "#HapusOutsourcing",
        "#" + "a" * 64, "Pekerjá", "#Mogok_Nasional"]


def _plan_reference(text, tags, platform, *, limit=None, has_media=False) -> HashtagPlan:
    """plan_hashtags as it was before the fast paths (no tag cache, the text composed again)."""
    in_text = {t.casefold() for t in hashtags_in(text)}
    seen: set[str] = set()
    base = text.rstrip()
    added: list[str] = []
    present: list[str] = []
    skipped: list[str] = []
    nothing_fits = limit is not None and not isinstance(limit, bool) and isinstance(limit, int) \
        and limit <= 0
    for raw in tags:
        tag = normalize_tag(raw)
        key = tag.casefold()
        if key in seen:
            continue
        seen.add(key)
        if key in in_text:
            present.append(tag)
        elif not nothing_fits and check_length(_compose(base, [*added, tag]), platform,
                                               limit=limit, has_media=has_media).ok:
            added.append(tag)
        else:
            skipped.append(tag)
    new_text = _compose(base, added) if added else text
    return HashtagPlan(new_text, tuple(added), tuple(present), tuple(skipped))


def _plans(rng: random.Random, pools, plan=plan_hashtags) -> list:
    out = []
    for _ in range(200):
        text = random_text(rng, pools)
        text = text * rng.choice([1, 1, 2, 6, 12])
        tags = rng.sample(TAGS, rng.randint(0, len(TAGS)))
        if rng.random() < 0.1:
            tags.insert(rng.randint(0, len(tags)), rng.choice(["#", "bad tag", "2026", 7, "#UpahLayak!"]))
        for platform in ("x", "mastodon", "bluesky", "telegram", "facebook", "sandbox"):
            limit = rng.choice([None, None, 1, 50, 120, 300, 500])
            try:
                out.append(plan(text, tags, platform, limit=limit, has_media=rng.random() < 0.2))
            except ValueError as exc:
                out.append(str(exc))
    return out


def test_plan_hashtags_is_the_same_with_the_slow_counters(monkeypatch):
    pools = [WORDS, WORDS, URLS, MENTIONS, EMOJI, COMBINING, CRLF, ["#UpahLayak", "#upahlayak"]]
    fast = _plans(random.Random(501), pools)
    slow_counters = dict(length_mod._COUNTERS, mastodon=_mastodon_length_reference, bluesky=_grapheme_reference,
                         facebook=_grapheme_reference, sandbox=_grapheme_reference)
    monkeypatch.setattr(length_mod, "_COUNTERS", slow_counters)
    slow = _plans(random.Random(501), pools, _plan_reference)
    assert fast == slow
    assert sum(bool(p.added) for p in fast if not isinstance(p, str)) > 300
    assert sum(bool(p.skipped) for p in fast if not isinstance(p, str)) > 300
    assert sum(isinstance(p, str) for p in fast) > 50


def test_check_platform_answers_canonical_names_at_once_and_reads_the_rest():
    from content.platforms import PLATFORMS, check_platform

    class Name(str):  # not a plain str: read the long way, to the same answer
        pass

    assert [check_platform(p) for p in PLATFORMS] == list(PLATFORMS)
    assert [check_platform(Name(p)) for p in PLATFORMS] == list(PLATFORMS)
    assert all(type(check_platform(Name(p))) is str for p in PLATFORMS)
    for other, name in (("X", "x"), (" mastodon", "mastodon"), ("bsky", "bluesky"), ("twitter", "x"), ("TG", "telegram")):
        assert check_platform(other) == name
        assert check_length("a", other) == check_length("a", name)
    for bad in ("myspace", ["x"], None, 1):
        with pytest.raises(ValueError, match="unknown platform"):
            check_length("a", bad)
