"""Threads' text count (the Meta app, not a thread of posts): 500 characters, where "Emojis are
counted as the number of UTF-8 bytes" (developers.facebook.com/docs/threads/posts). Boundaries
on both sides of 500, each kind of emoji sequence, and the fast path against the cluster walk."""

import random

import pytest

from content import check_length, length
from content.length import _threads_slow, threads_length
from content.media import check_facts, MediaFacts
from content.platforms import check_platform, platform_record

SAMPLE = "Tolak Tapera! Upah layak untuk semua buruh #UpahLayak"


@pytest.mark.parametrize("text,count", [
    ("", 0),
    ("a", 1),
    ("Upah layak", 10),
    ("\U0001F44D", 4),                                   # 👍 one code point, 4 bytes
    ("\u270A\U0001F3FD", 7),                              # ✊🏽 fist (3) + skin tone (4)
    ("\U0001F1EE\U0001F1E9", 8),                          # 🇮🇩 two regional indicators
    ("1\uFE0F\u20E3", 7),                                 # 1️⃣ digit + VS16 + keycap
    ("\u2764\uFE0F", 6),                                  # ❤️ heart + VS16
    ("\U0001F468\u200D\U0001F469\u200D\U0001F467\u200D\U0001F466", 25),  # family: 4×4 + 3 ZWJ×3
    ("\U0001F3F3\uFE0F\u200D\U0001F308", 14),             # 🏳️‍🌈
    ("e\u0301", 2),                                       # é as e + combining acute: two code points
    ("\u00e9", 1),                                        # é precomposed
    ("\u6f22\u5b57", 2),                                  # CJK: one each, not their bytes
    ("Rp3.500.000 \u2014 \u201cadil\u201d", 20),          # dashes and quotes are not emoji
])
def test_each_kind_of_text(text, count):
    assert threads_length(text) == count == length(text, "threads")
    assert _threads_slow(text) == count


def test_indonesian_post_with_emoji():
    text = f"{SAMPLE} \u270A\U0001F3FD\U0001F525"  # ✊🏽🔥
    assert length(text, "threads") == len(SAMPLE) + 1 + 7 + 4
    assert length(text, "bluesky") == len(SAMPLE) + 1 + 2   # the same text is 3 characters shorter elsewhere


@pytest.mark.parametrize("text,ok", [
    ("a" * 500, True),
    ("a" * 501, False),
    ("\U0001F44D" * 125, True),                 # 125 × 4 = 500
    ("\U0001F44D" * 125 + "a", False),          # 501
    ("a" * 496 + "\U0001F44D", True),           # 500
    ("a" * 497 + "\U0001F44D", False),          # 501: a text of 498 symbols refused
    ("a" * 493 + "\u270A\U0001F3FD", True),     # 493 + 7 = 500
    ("a" * 494 + "\u270A\U0001F3FD", False),    # 501
])
def test_the_500_boundary(text, ok):
    check = check_length(text, "threads")
    assert check.ok is ok
    assert check.limit == 500 and check.unit == "characters"
    assert check.over == max(0, threads_length(text) - 500)


def test_the_hint_says_how_much_to_cut_in_threads_terms():
    check = check_length("a" * 490 + "\U0001F44D" * 3, "threads")
    assert (check.count, check.over) == (502, 2)
    assert str(check) == "502/500 characters — cut 2 characters"
    assert check_length("a" * 488 + "\U0001F44D" * 3, "threads").hint == "0 characters left"


def test_the_fast_path_agrees_with_the_cluster_walk():
    rng = random.Random(11)
    pieces = ["a", "Upah ", "layak", "\u00e9", "e\u0301", "\u6f22", "\n", "\r\n", "\U0001F44D", "\u270A\U0001F3FD",
              "\U0001F1EE\U0001F1E9", "1\uFE0F\u20E3", "\u2764\uFE0F", "\u200D", "\uFE0F", "#UpahLayak "]
    for _ in range(2000):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 12)))
        assert threads_length(text) == _threads_slow(text), text


def test_the_record():
    assert check_platform("TH") == "threads" and check_platform("Threads") == "threads"
    record = platform_record("threads")
    assert (record.limit, record.count, record.default_daily_cap, record.threads) == (500, "threads", None, True)
    assert record.media.max_count == 20 and not record.media.required


def test_media_rules():
    ok = [MediaFacts("poster.jpg", 8 * 1024 * 1024, "image/jpeg"), MediaFacts("aksi.mov", 900_000_000, "video/quicktime"),
          MediaFacts("orasi.mp4", 1_000_000_000, "video/mp4"), MediaFacts("spanduk.png", 100, "image/png")]
    assert check_facts(ok, "threads") == []
    problems = check_facts([MediaFacts("poster.jpg", 8 * 1024 * 1024 + 1, "image/jpeg"),
                            MediaFacts("anim.gif", 100, "image/gif")], "threads")
    assert len(problems) == 2 and problems[0].startswith("poster.jpg: ") and problems[1].startswith("anim.gif: ")
    assert len(check_facts([MediaFacts(f"{i}.jpg", 100, "image/jpeg") for i in range(21)], "threads")) == 1
