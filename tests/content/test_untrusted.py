"""The rules for text from outside: what is stored and what is shown."""
from __future__ import annotations

import pytest

from content.untrusted import (MAX_LANGUAGE_TAG, defuse_mentions, for_display, language_tag, storable,
                               storable_id, storable_line)


def test_storable_keeps_the_text_and_drops_what_no_database_or_reader_needs():
    assert storable("Setuju\x00 upah\x1b[2J naik\r\nbaris\rdua\ttab e\u0301 \ud800", 100) == (
        "Setuju upah naik\nbaris\ndua\ttab \u00e9 ")
    assert storable("\u202egnp.exe\u202c", 100) == "\u202egnp.exe\u202c"  # bidi kept (truthful), shown stripped
    assert storable("x" * 20, 10) == "x" * 9 + "…"
    assert storable(None, 10) == ""


def test_storable_line_is_one_line():
    assert storable_line(" budi\n\t\x1b[31msantoso\x00 ", 255) == "budi santoso"
    assert storable_line("a" * 300, 255) == "a" * 254 + "…"


def test_storable_id_is_itself_or_a_stable_distinct_digest():
    assert storable_id("12345", 512) == "12345"
    long_a, long_b = "at://did:web:" + "a" * 600, "at://did:web:" + "a" * 599 + "b"
    assert len(storable_id(long_a, 512)) == 512 and storable_id(long_a, 512) == storable_id(long_a, 512)
    assert storable_id(long_a, 512) != storable_id(long_b, 512)
    assert "\x00" not in storable_id("1\x002", 512) and storable_id("1\x002", 512) != storable_id("12", 512)


@pytest.mark.parametrize("tag, stored", [
    ("id", "id"), ("zh-Hant-TW", "zh-Hant-TW"), ("en_US", "en-US"), (" in ", "in"),
    ("zh-Hant-TW-" + "-".join(["abcdefgh"] * 6), "zh-Hant-TW-abcdefgh-abcdefgh"),
    ("en-" + "a" * 8 + "-" + "b" * 8 + "-" + "c" * 8 + "-x-" + "d" * 8, "en-aaaaaaaa-bbbbbbbb-cccccccc"),  # no dangling x
    ("'; DROP TABLE replies; --", None), ("", None), (None, None), ("abcdefghi", None), (7, None),
])
def test_language_tag(tag, stored):
    assert language_tag(tag) == stored
    assert stored is None or len(stored) <= MAX_LANGUAGE_TAG


def test_for_display_removes_escapes_controls_and_bidi_but_keeps_lines():
    hostile = ("a\x1b[31mred\x1b[0m \x1b]8;;https://evil.example\x07link\x1b]8;;\x1b\\ "
               "\u202egnp.exe\u202c \u2066iso\u2069 bell\x07 \x9b2J c1 ESC\x1bc reset\nline2\ttab")
    assert for_display(hostile) == "ared link gnp.exe iso bell  c1 ESC reset\nline2\ttab"
    assert for_display("Biasa saja, tidak ada apa-apa.") == "Biasa saja, tidak ada apa-apa."


def test_defuse_mentions_breaks_only_whole_room_pings():
    assert defuse_mentions("@everyone @Here @channel @all @room: tolak!") == (
        "@\u200beveryone @\u200bHere @\u200bchannel @\u200ball @\u200broom: tolak!")
    assert defuse_mentions("@hereafter @allan @budi me@example.org") == "@hereafter @allan @budi me@example.org"


def test_one_line_folds_whitespace_and_cuts_with_an_ellipsis():
    from content.untrusted import one_line

    assert one_line("Aksi\n  kumpul\tdi DPR", 40) == "Aksi kumpul di DPR"
    assert one_line("Aksi kumpul di DPR", 18) == "Aksi kumpul di DPR"
    assert one_line("Aksi kumpul di DPR", 10) == "Aksi kump…" and len(one_line("Aksi kumpul di DPR", 10)) == 10
