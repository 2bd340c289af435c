"""Hashtag normalisation and appending campaign tags within the platform's limit."""

import pytest

from content import length
from content.hashtags import append_hashtags, hashtags_in, normalize_tag, plan_hashtags

SAMPLE = "Tolak Tapera! Upah layak untuk semua buruh"


@pytest.mark.parametrize("raw,tag", [
    ("upah", "#upah"),
    ("#Upah2026", "#Upah2026"),
    ("  #UpahLayak ", "#UpahLayak"),
    ("＃TolakTapera", "#TolakTapera"),
    ("buruh_bersatu", "#buruh_bersatu"),
    ("1Mei", "#1Mei"),
    ("ДеньТруда", "#ДеньТруда"),
    ("हड़ताल", "#हड़ताल"),  # letters with combining marks
])
def test_normalize_tag(raw, tag):
    assert normalize_tag(raw) == tag


@pytest.mark.parametrize("raw,message", [
    ("", "empty hashtag '' — write a word after '#', e.g. \"#UpahLayak\""),
    ("#", "empty hashtag '#' — write a word after '#', e.g. \"#UpahLayak\""),
    ("upah layak", "bad hashtag 'upah layak' — use letters, digits and _ only (no spaces, punctuation or emoji), "
                   "e.g. \"#UpahLayak\""),
    ("#Tapera!", "bad hashtag '#Tapera!' — use letters, digits and _ only (no spaces, punctuation or emoji), "
                 "e.g. \"#UpahLayak\""),
    ("#\u270a", "bad hashtag '#\u270a' — use letters, digits and _ only (no spaces, punctuation or emoji), "
                "e.g. \"#UpahLayak\""),
    ("##upah", "bad hashtag '##upah' — write a single '#' before the word, e.g. \"#UpahLayak\""),
    ("#2026", "hashtag '#2026' has no letter, and platforms do not link a tag of digits only — add a word, "
              "e.g. \"#Upah2026\""),
    ("a" * 65, f"hashtag '{'a' * 65}' is 65 characters long after '#' — shorten it to at most 64"),
])
def test_normalize_tag_errors(raw, message):
    with pytest.raises(ValueError) as err:
        normalize_tag(raw)
    assert str(err.value) == message


def test_hashtags_in_finds_whole_tags_only():
    text = "Baca https://kspi.or.id/#Upah dan email a#b &#38; #UpahLayak, #TolakTapera. ##x"
    assert hashtags_in(text) == ["#UpahLayak", "#TolakTapera"]


def test_tags_go_on_a_new_paragraph():
    assert append_hashtags(SAMPLE, ["UpahLayak", "#TolakTapera"], "x") == (
        SAMPLE + "\n\n#UpahLayak #TolakTapera")


def test_tags_join_an_existing_tag_line():
    text = SAMPLE + "\n\n#MayDay"
    assert append_hashtags(text, ["#UpahLayak"], "mastodon") == text + " #UpahLayak"


def test_present_tags_are_not_repeated_case_insensitively():
    text = SAMPLE + " #upahlayak"
    plan = plan_hashtags(text, ["#UpahLayak", "#TolakTapera", "tolaktapera"], "x")
    assert plan.text == text + "\n\n#TolakTapera"
    assert (plan.added, plan.present, plan.skipped) == (("#TolakTapera",), ("#UpahLayak",), ())


def test_a_longer_tag_in_the_text_does_not_count_as_present():
    text = "Aksi #UpahLayak2026"
    assert append_hashtags(text, ["#UpahLayak"], "x") == text + "\n\n#UpahLayak"


def test_tags_that_do_not_fit_are_skipped_and_shorter_later_ones_still_tried():
    text = "a" * 260
    plan = plan_hashtags(text, ["#TolakTaperaSekarangJuga", "#Upah", "#Buruh"], "x")
    # 260 + "\n\n" + "#Upah" = 267; + " #Buruh" = 274; the long tag (24) would make 286
    assert plan.added == ("#Upah", "#Buruh")
    assert plan.skipped == ("#TolakTaperaSekarangJuga",)
    assert plan.text == text + "\n\n#Upah #Buruh"
    assert length(plan.text, "x") == 274


def test_fit_uses_the_platform_count_and_limit():
    text = "✊" * 137  # 274 weighted on X, 137 graphemes on Mastodon
    assert append_hashtags(text, ["#Upah"], "x") == text
    assert append_hashtags(text, ["#Upah"], "mastodon") == text + "\n\n#Upah"
    assert append_hashtags("a" * 495, ["#Upah"], "mastodon", limit=1000) == "a" * 495 + "\n\n#Upah"
    assert append_hashtags("a" * 1020, ["#Upah"], "telegram", has_media=True) == "a" * 1020


def test_text_already_over_limit_is_returned_unchanged():
    text = "a" * 300 + "  "
    assert append_hashtags(text, ["#Upah"], "x") == text


def test_spent_budget_adds_nothing():
    assert append_hashtags(SAMPLE, ["#Upah"], "x", limit=0) == SAMPLE
    assert plan_hashtags(SAMPLE, ["#Upah"], "x", limit=-3).skipped == ("#Upah",)


def test_empty_text_gets_just_the_tags():
    assert append_hashtags("", ["upah", "buruh"], "bluesky") == "#upah #buruh"


def test_nothing_to_add_keeps_text_exactly():
    text = "Aksi damai #UpahLayak\n"
    assert append_hashtags(text, [], "x") == text
    assert append_hashtags(text, ["#upahlayak"], "x") == text


def test_bad_tag_raises():
    with pytest.raises(ValueError, match="bad hashtag 'upah layak'"):
        append_hashtags(SAMPLE, ["upah layak"], "x")
