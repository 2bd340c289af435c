"""Thread splitting on '---' lines."""

import pytest

from content.threads import join_thread, split_thread


def test_single_post_is_a_thread_of_one():
    assert split_thread("  Tolak Tapera!\n") == ["Tolak Tapera!"]


def test_parts_are_split_and_stripped():
    text = "1/3 Tapera memotong upah buruh.\n---\n2/3 Pekerja tidak diajak bicara.\n\n---\n\n3/3 #TolakTapera"
    assert split_thread(text) == [
        "1/3 Tapera memotong upah buruh.",
        "2/3 Pekerja tidak diajak bicara.",
        "3/3 #TolakTapera",
    ]


def test_separator_may_have_surrounding_whitespace():
    assert split_thread("satu\n   ---  \t\ndua") == ["satu", "dua"]


def test_crlf_and_cr_line_endings():
    assert split_thread("satu\r\nbaris dua\r\n---\r\ntiga") == ["satu\nbaris dua", "tiga"]
    assert split_thread("satu\r---\rdua") == ["satu", "dua"]


def test_dashes_inside_a_line_or_longer_rules_do_not_split():
    text = "Upah --- bukan angka\n----\nmasih bagian satu"
    assert split_thread(text) == [text]


def test_inner_blank_lines_are_kept():
    assert split_thread("Paragraf satu.\n\nParagraf dua.\n---\nDua") == ["Paragraf satu.\n\nParagraf dua.", "Dua"]


@pytest.mark.parametrize("text,message", [
    ("satu\n---\n\n---\ntiga", "thread part 2 of 3 is empty — write its text between the two '---' lines, or remove "
                                 "one of them"),
    ("---\nsatu", "thread part 1 of 2 is empty — remove the '---' line at the start"),
    ("satu\n---\n   \n", "thread part 2 of 2 is empty — remove the '---' line at the end"),
    ("  \n ", "the thread is empty — write the text of at least one post"),
])
def test_empty_part_names_its_number(text, message):
    with pytest.raises(ValueError) as err:
        split_thread(text)
    assert str(err.value) == message


def test_join_round_trips():
    parts = ["satu", "dua\nbaris", "tiga"]
    assert split_thread(join_thread(parts)) == parts
