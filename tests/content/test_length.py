"""Length counting per platform: twitter-text conformance for X, Mastodon's validator cases,
Bluesky's grapheme/byte pair, Telegram's UTF-16 units, and Indonesian campaign texts."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from content import PLATFORMS, LengthCheck, check_length, length, limit_for

DATA = json.loads((Path(__file__).parent / "data" / "twitter_text_weighted.json").read_text("utf-8"))

SAMPLE = "Tolak Tapera! Upah layak untuk semua buruh #UpahLayak"
LONG_URL = "https://www.kspi.or.id/berita/2026/12/01/tolak-tapera-upah-layak-untuk-semua-buruh-indonesia"


def _cases(section):
    return [pytest.param(c["text"], c["expected"], id=c["description"][:60]) for c in DATA[section]]


# --- X: official twitter-text conformance -------------------------------------------------------

@pytest.mark.parametrize("text,expected", _cases("WeightedTweetsWithDiscountedEmojiCounterTest"))
def test_x_weighted_length_matches_twitter_text_v3_conformance(text, expected):
    assert length(text, "x") == expected["weightedLength"]
    check = check_length(text, "x")
    assert check.ok is expected["valid"]
    assert check.over == max(0, expected["weightedLength"] - 280)


@pytest.mark.parametrize("text,expected", _cases("UnicodeDirectionalMarkerCounterTest"))
def test_x_directional_markers_and_invalid_characters(text, expected):
    assert length(text, "x") == expected["weightedLength"]
    assert check_length(text, "x").ok is expected["valid"]


@pytest.mark.parametrize("text,expected", _cases("WeightedTweetsCounterTest"))
def test_twitter_text_library_passes_v2_conformance(text, expected):
    # The library we rely on, with the v2 config (which lacks emoji_parsing_enabled: add False).
    from twitter_text import parse_tweet
    from twitter_text.config import config

    assert parse_tweet(text, dict(config["version2"], emoji_parsing_enabled=False)).asdict() == expected


def test_conformance_data_is_complete():
    assert len(DATA["WeightedTweetsCounterTest"]) == 20
    assert len(DATA["WeightedTweetsWithDiscountedEmojiCounterTest"]) == 21
    assert len(DATA["UnicodeDirectionalMarkerCounterTest"]) == 2


def test_x_counts_indonesian_post_with_long_url_and_emoji():
    text = f"{SAMPLE} ✊🏽 {LONG_URL}"
    # 53 characters + space + emoji with skin tone (2) + space + URL (23)
    assert length(text, "x") == 53 + 1 + 2 + 1 + 23


def test_x_normalises_nfd_before_counting():
    assert length("cafe\u0301", "x") == 4
    assert length("café", "x") == 4


def test_x_invalid_character_is_reported_with_its_code_point():
    check = check_length("Mogok nasional\ufeff", "x")
    assert check.invalid_chars == ("\ufeff",)
    assert not check.ok
    assert check.over == 0
    assert check.hint == "remove U+FEFF"


# --- Mastodon: StatusLengthValidator spec cases -----------------------------------------------

def test_mastodon_url_counts_23():
    text = "a" * 476 + " http://" + "b" * 30 + ".com/example"
    assert length(text, "mastodon") == 500
    assert check_length(text, "mastodon").ok


def test_mastodon_url_glued_to_text_is_not_shortened():
    text = "a" * 476 + "http://" + "b" * 30 + ".com/example"
    assert length(text, "mastodon") == len(text)
    assert not check_length(text, "mastodon").ok


def test_mastodon_overly_long_url_is_not_shortened():
    text = "http://example.com/valid?" + "#foo?" * 1000
    assert length(text, "mastodon") == len(text)


def test_mastodon_remote_mention_counts_as_local_username():
    text = "a" * 475 + " @alice@" + "b" * 30 + ".com"
    assert length(text, "mastodon") == 475 + 1 + len("@alice")
    assert check_length(text, "mastodon").ok


def test_mastodon_mention_with_overly_long_domain_counts_fully():
    text = "@alice@" + "b" * 500 + ".com"
    assert length(text, "mastodon") == len(text)


def test_mastodon_counts_graphemes():
    assert check_length("✨" * 500, "mastodon").ok
    trans_flag = "\U0001f3f3\ufe0f\u200d\u26a7\ufe0f"
    assert length(trans_flag * 500, "mastodon") == 500
    assert not check_length("a" * 501, "mastodon").ok


def test_mastodon_indonesian_post_with_url_and_mention():
    text = f"{SAMPLE} @kspi@mastodon.social {LONG_URL}"
    assert length(text, "mastodon") == 53 + 1 + len("@kspi") + 1 + 23


def test_mastodon_instance_limit_overrides_default():
    text = "x" * 600
    assert not check_length(text, "mastodon").ok
    check = check_length(text, "mastodon", limit=1000)
    assert (check.ok, check.limit, check.hint) == (True, 1000, "400 characters left")


# --- Bluesky: graphemes and bytes --------------------------------------------------------------

def test_bluesky_atproto_rich_text_examples():
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f467"
    assert (length("Hello!", "bluesky"), check_length("Hello!", "bluesky").bytes) == (6, 6)
    assert (length(family, "bluesky"), check_length(family, "bluesky").bytes) == (1, 25)
    mixed = family + "🔥 good!✅"
    assert (length(mixed, "bluesky"), check_length(mixed, "bluesky").bytes) == (9, 38)


def test_bluesky_counts_urls_in_full():
    text = f"{SAMPLE} {LONG_URL}"
    assert length(text, "bluesky") == 53 + 1 + len(LONG_URL)


def test_bluesky_nfd_is_counted_as_sent():
    check = check_length("cafe\u0301", "bluesky")
    assert (check.count, check.bytes, check.byte_limit) == (4, 6, 3000)


def test_bluesky_byte_limit_can_fail_alone():
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f467"
    check = check_length(family * 121, "bluesky")  # 121 graphemes, 3025 bytes
    assert (check.count, check.over, check.bytes, check.bytes_over) == (121, 0, 3025, 25)
    assert not check.ok
    assert check.hint == "cut 25 bytes (UTF-8)"


def test_bluesky_both_limits_in_hint():
    family = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f467"
    check = check_length(family * 312, "bluesky")
    assert check.hint == "cut 12 characters and cut 4800 bytes (UTF-8)"
    assert str(check) == "312/300 characters, 7800/3000 bytes — cut 12 characters and cut 4800 bytes (UTF-8)"


# --- Telegram, Facebook, sandbox -----------------------------------------------------------------

def test_telegram_counts_utf16_units():
    assert length("Mogok! 🔥", "telegram") == 9
    assert length("cafe\u0301", "telegram") == 5


def test_telegram_caption_limit_with_media():
    text = "a" * 1030
    assert check_length(text, "telegram").ok
    check = check_length(text, "telegram", has_media=True)
    assert (check.limit, check.over, check.hint) == (1024, 6, "cut 6 characters")


def test_facebook_and_sandbox_count_graphemes():
    assert length("Buruh 👨‍👩‍👧‍👧", "facebook") == 7
    assert limit_for("facebook") == 63206
    assert limit_for("sandbox") == 5000
    assert length("a\r\nb", "sandbox") == 3


# --- the check itself ---------------------------------------------------------------------------

def test_over_limit_hint_says_how_much_to_cut():
    check = check_length("x" * 292, "x")
    assert isinstance(check, LengthCheck)
    assert (check.count, check.limit, check.ok, check.over, check.unit) == (292, 280, False, 12, "weighted characters")
    assert check.hint == "cut 12 weighted characters"
    assert str(check) == "292/280 weighted characters — cut 12 weighted characters"


def test_check_is_frozen():
    check = check_length(SAMPLE, "x")
    with pytest.raises(AttributeError):
        check.count = 1


def test_limit_for_defaults_and_override():
    assert [limit_for(p) for p in ("x", "mastodon", "bluesky", "telegram")] == [280, 500, 300, 4096]
    assert limit_for("telegram", has_media=True) == 1024
    assert limit_for("x", has_media=True) == 280
    assert limit_for("mastodon", limit=5000) == 5000
    assert limit_for("Twitter") == 280


@pytest.mark.parametrize("bad", [0, -5, "500", True])
def test_limit_must_be_positive_int(bad):
    with pytest.raises(ValueError, match="limit must be a positive whole number"):
        limit_for("mastodon", limit=bad)


def test_unknown_platform_is_a_clear_error():
    with pytest.raises(ValueError) as err:
        length(SAMPLE, "myspace")
    assert str(err.value) == "unknown platform 'myspace' — use one of: " + ", ".join(sorted(PLATFORMS))
    assert "one of: bluesky, facebook, " in str(err.value) and str(err.value).endswith(", x")
    with pytest.raises(ValueError):
        check_length(SAMPLE, "")


def test_importing_length_is_cheap():
    code = ("import sys; from content import length; "
            "print(sorted(m for m in ('regex', 'twitter_text', 'campaigner', 'connectors') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=Path(__file__).resolve().parents[2])
    assert out.stdout.strip() == "[]"


def test_hints_count_one_as_one():
    """"cut 1 characters" read wrong to staff: one is singular, in every unit."""
    assert check_length("a" * 299, "bluesky").hint == "1 character left"
    assert check_length("a" * 301, "bluesky").hint == "cut 1 character"
    assert check_length("a" * 281, "x").hint == "cut 1 weighted character"
    assert check_length("a" * 298, "bluesky").hint == "2 characters left"
