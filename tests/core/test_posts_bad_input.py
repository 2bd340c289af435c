"""``campaigner post …`` given bad input, through the real CLI: each mistake is one line
``Error: what — how to fix it``, exit code 1 (2 for usage errors), and the database unchanged."""
import json
import os

import pytest
from sqlalchemy import select

from campaigner.models import Base, Delivery, DeliveryStatus
from tests.core.test_posts_cli import PNG

HUGE = "99999999999999999999999"


def snapshot(engine) -> dict:
    """Every row of every table: what "the database did not change" compares."""
    with engine.connect() as c:
        return {t.name: c.execute(select(t)).all() for t in Base.metadata.sorted_tables}


def refused(cli, engine, *args, code=1, input=None) -> str:
    """Run a command that must fail: one line on stderr, exit ``code``, nothing written; its line."""
    before = snapshot(engine)
    r = cli(*args, input=input)
    assert r.exit_code == code, r.output
    assert r.stderr.count("\n") == 1 and r.stderr.startswith("Error: ") and r.stderr.count(" — ") == 1, r.stderr
    assert "unexpected" not in r.stderr
    assert snapshot(engine) == before
    return r.stderr


@pytest.fixture
def setup(cli):
    cli.ok("account", "add", "sandbox", "sb1")
    cli.ok("account", "add", "sandbox", "sb2")
    cli.ok("account", "add", "x", "kx")
    cli.ok("account", "add", "sandbox", "ny", "--timezone", "America/New_York")
    cli.ok("post", "add", "Sudah ada", "--to", "sb1", "--at", "2026-12-01 09:00")  # post 1
    return cli


# --- F2: numbers and dates beyond what can exist ------------------------------------------------

@pytest.mark.parametrize("args", [
    ("post", "show", HUGE), ("post", "show", "9223372036854775808"), ("post", "edit", HUGE, "teks"),
    ("post", "cancel", HUGE), ("post", "retry", HUGE), ("post", "reconcile", HUGE, "--check"),
    ("post", "reconcile", HUGE, "--resend"),
])
def test_a_post_id_too_big_to_exist_is_no_such_post(setup, engine, args):
    assert refused(setup, engine, *args) == f"Error: no post with id {args[2]} — see `campaigner post list`\n"


@pytest.mark.parametrize("account,at,shown", [
    ("sb1", "+99999999d", "'+99999999d'"),  # beyond year 9999
    ("sb1", "+999999999999999999999999d", "'+999999999999999999999999d'"),  # beyond what a timedelta holds
    ("ny", "9999-12-31 23:59", "'9999-12-31 23:59'"),  # year 10000 in UTC, west of it
    ("sb1", "9999-12-31T23:59-05:00", "'9999-12-31T23:59-05:00'"),
    ("sb1", "9999-12-31 23:59", "9999-12-31 23:59 WIB"),  # a real datetime, still too far
    ("sb1", "2036-11-30 08:01", "2036-11-30 08:01 WIB"),  # now is 2026-11-30 08:00 WIB
    ("ny", "+3654d", "2036-11-30 20:00 EST"),
])
def test_a_time_too_far_ahead(setup, engine, account, at, shown):
    assert refused(setup, engine, "post", "add", "Jauh", "--to", account, "--at", at) == (
        f"Error: the time {shown} is too far ahead — queue posts at most 10 years ahead\n")


def test_ten_years_ahead_is_the_limit_and_edit_checks_it_too(setup, engine):
    setup.ok("post", "add", "Sepuluh tahun", "--to", "sb1", "--at", "2036-11-30 08:00")
    setup.ok("post", "add", "Sepuluh tahun", "--to", "ny", "--at", "+3653d")
    assert refused(setup, engine, "post", "edit", "1", "--at", "+99999999d") == (
        "Error: the time '+99999999d' is too far ahead — queue posts at most 10 years ahead\n")


def test_a_time_before_year_one_in_utc_is_in_the_past(setup, engine):
    assert refused(setup, engine, "post", "add", "Kuno", "--to", "sb1", "--at", "0001-01-01 00:00") == (
        "Error: the time '0001-01-01 00:00' is in the past — pick a later time, or use --now\n")


def test_csv_import_reports_a_time_too_far_ahead_on_its_line(setup, engine, tmp_path):
    f = tmp_path / "kalender.csv"
    f.write_text("date,time,accounts,text\n2026-12-02,09:00,sb1,Baik\n9999-12-31,23:59,ny,Jauh\n", encoding="utf-8")
    before = snapshot(engine)
    r = setup("post", "import", str(f))
    assert r.exit_code == 1
    assert ("Error: kalender.csv line 3: the time '9999-12-31 23:59' is too far ahead — queue posts at most 10 years "
            "ahead") in r.stderr.splitlines()
    assert "unexpected" not in r.stderr and snapshot(engine) == before


# --- F3, F4: the text from a file or standard input ---------------------------------------------

def test_a_folder_as_file(setup, engine, tmp_path):
    assert refused(setup, engine, "post", "add", "--file", str(tmp_path), "--to", "sb1", "--at", "+1h") == (
        f"Error: {tmp_path} is a folder, not a file — give --file the path of a text file\n")


def test_an_unreadable_or_missing_file(setup, engine, tmp_path):
    loop = tmp_path / "loop.txt"
    os.symlink(loop, loop)  # unreadable even for root (a mode of 000 is not)
    assert refused(setup, engine, "post", "add", "--file", str(loop), "--to", "sb1", "--at", "+1h") == (
        f"Error: cannot read file {loop} (Too many levels of symbolic links) — check the file and its permissions\n")
    missing = tmp_path / "tidak-ada.txt"
    assert refused(setup, engine, "post", "edit", "1", "--file", str(missing)) == (
        f"Error: file {missing} does not exist — check the path given to --file\n")


def test_latin1_on_standard_input_is_refused_like_in_a_file(setup, engine, tmp_path):
    assert refused(setup, engine, "post", "add", "--file", "-", "--to", "sb1", "--at", "+1h", input=b"\xe9t\xe9") == (
        "Error: standard input is not UTF-8 text — convert it to UTF-8 first, e.g. with iconv -t UTF-8\n")
    f = tmp_path / "latin1.txt"
    f.write_bytes(b"\xe9t\xe9")
    assert refused(setup, engine, "post", "add", "--file", str(f), "--to", "sb1", "--at", "+1h") == (
        f"Error: file {f} is not UTF-8 text — save it as UTF-8\n")
    # the same bytes typed on a command line arrive as lone surrogates
    assert refused(setup, engine, "post", "add", "\udce9t\udce9", "--to", "sb1", "--at", "+1h") == (
        "Error: the text is not UTF-8 — set your terminal to UTF-8, or give the text with --file F\n")
    setup.ok("post", "add", "--file", "-", "--to", "sb1", "--at", "+1h", input="été".encode())
    assert json.loads(setup.ok("post", "show", "2", "--json").stdout)["text"] == "été"


# --- F12: a variant whose platform has no account left ------------------------------------------

def test_a_variant_outliving_its_account_does_not_block_editing(setup, engine):
    setup.ok("post", "add", "v", "--to", "sb1,kx", "--at", "+1h", "--variant", "x=one")  # post 2
    setup.ok("post", "cancel", "2", "--account", "kx")
    r = setup.ok("post", "edit", "2", "new text")  # the x variant is kept, not used, and said so
    assert ("Note: the variant for x is kept but not used (no account on x is left in the post) — remove it with "
            "`campaigner post edit 2 --no-variant x`") in r.stderr.splitlines()
    shown = json.loads(setup.ok("post", "show", "2", "--json").stdout)
    assert (shown["text"], shown["variants"]) == ("new text", {"x": "one"})
    # kx back: the variant goes out there again
    setup.ok("post", "edit", "2", "--to", "sb1,kx", "--at", "+2h")
    parts = {d["account"]: d["parts"][0]["text"] for d in json.loads(setup.ok("post", "show", "2", "--json").stdout)[
        "deliveries"]}
    assert parts == {"sb1": "new text", "kx": "one"}
    r = setup.ok("post", "edit", "2", "--no-variant", "x")
    assert "Note:" not in r.stderr
    parts = {d["account"]: d["parts"][0]["text"] for d in json.loads(setup.ok("post", "show", "2", "--json").stdout)[
        "deliveries"]}
    assert parts == {"sb1": "new text", "kx": "new text"}


def test_no_variant_mistakes(setup, engine):
    setup.ok("post", "add", "v", "--to", "sb1,kx", "--at", "+1h", "--variant", "x=one")  # post 2
    assert refused(setup, engine, "post", "edit", "2", "--no-variant", "telegram") == (
        "Error: post 2 has no variant for telegram — leave out --no-variant telegram (it has variants for x)\n")
    assert refused(setup, engine, "post", "edit", "1", "--no-variant", "x") == (
        "Error: post 1 has no variant for x — leave out --no-variant x\n")
    assert refused(setup, engine, "post", "edit", "2", "--no-variant", "x", "--variant", "X=two", code=2) == (
        "Error: --variant x=… and --no-variant x contradict each other: give one — see `campaigner post edit --help`\n")
    from connectors.registry import PLATFORMS

    assert refused(setup, engine, "post", "edit", "2", "--no-variant", "tiktok") == (
        f"Error: unknown platform 'tiktok' — use one of {', '.join(PLATFORMS)}\n")
    # a NEW variant still needs an account on its platform
    assert refused(setup, engine, "post", "edit", "2", "--variant", "telegram=hai") == (
        "Error: there is a variant for telegram but no target account is on telegram — remove the variant or add "
        "such an account to --to\n")


# --- F13: contradictory input is refused, not partly dropped ------------------------------------

def test_more_alt_texts_than_files(setup, engine, tmp_path):
    img = tmp_path / "poster.png"
    img.write_bytes(PNG)
    assert refused(setup, engine, "post", "add", "a", "--to", "sb1", "--at", "+1h", "--media", str(img),
                   "--alt", "A1", "--alt", "A2", code=2) == (
        "Error: 2 --alt texts for 1 --media file: give at most one --alt per file, in the same order — see "
        "`campaigner post add --help`\n")
    assert refused(setup, engine, "post", "edit", "1", "--media", str(img), "--alt", "A1", "--alt", "A2", code=2) == (
        "Error: 2 --alt texts for 1 --media file: give at most one --alt per file, in the same order — see "
        "`campaigner post edit --help`\n")


def test_alt_text_without_media_is_refused_by_add_as_by_edit(setup, engine):
    assert refused(setup, engine, "post", "add", "b", "--to", "sb1", "--at", "+1h", "--alt", "lonely", code=2) == (
        "Error: --alt describes the files of --media: give them too — see `campaigner post add --help`\n")
    assert refused(setup, engine, "post", "edit", "1", "--alt", "lonely", code=2) == (
        "Error: --alt describes the files of --media: give them too — see `campaigner post edit --help`\n")


def test_two_variants_for_one_platform(setup, engine):
    assert refused(setup, engine, "post", "add", "v", "--to", "sb1,kx", "--at", "+1h", "--variant", "x=one",
                   "--variant", "X=two", code=2) == (
        "Error: two --variant texts for x: give one text per platform — see `campaigner post add --help`\n")
    assert refused(setup, engine, "post", "edit", "1", "--variant", "sandbox=one", "--variant", "sandbox=two",
                   code=2) == (
        "Error: two --variant texts for sandbox: give one text per platform — see `campaigner post edit --help`\n")


# --- F14: one what, one fix ----------------------------------------------------------------------

@pytest.mark.parametrize("text,message", [
    ("satu\n---\n", "thread part 2 of 2 is empty — remove the '---' line at the end"),
    ("---\nsatu", "thread part 1 of 2 is empty — remove the '---' line at the start"),
    ("satu\n---\n---\ntiga", "thread part 2 of 3 is empty — write its text between the two '---' lines, or remove "
                             "one of them"),
    ("\n---\n", "thread part 1 of 2 is empty — remove the '---' line at the start"),
])
def test_an_empty_thread_part(setup, engine, text, message):
    assert refused(setup, engine, "post", "add", "--to", "sb1", "--at", "+1h", "--thread", "--", text) == (
        f"Error: {message}\n")


def test_media_problems_say_one_fix(setup, engine, tmp_path):
    setup.ok("account", "add", "bluesky", "bsky")
    missing, pdf, big = tmp_path / "hilang.png", tmp_path / "selebaran.png", tmp_path / "besar.gif"
    pdf.write_bytes(b"%PDF-1.7\n" + b"\x00" * 64)
    with open(big, "wb") as fh:  # an animation is sent as it is (photos are made to fit instead)
        fh.write(b"GIF89a")
        fh.truncate(2_000_001)

    def add(path, to="sb1"):
        return refused(setup, engine, "post", "add", "m", "--to", to, "--at", "+1h", "--media", str(path))

    assert add(missing) == f"Error: cannot attach {missing}: no such file — check the path\n"
    assert add(tmp_path) == f"Error: cannot attach {tmp_path}: not a file — give the path of an image or video file\n"
    assert add(pdf, "kx") == (f"Error: media not accepted on x: {pdf}: unknown file type — use JPEG, PNG, WEBP, GIF "
                              "or MP4\n")
    assert add(big, "sb1,bsky") == (f"Error: media not accepted on bluesky: {big}: too big, 2,000,001 bytes (2.0 MB) — "
                                    "make it at most 2,000,000 bytes (2.0 MB), bluesky's limit for GIF\n")
    assert refused(setup, engine, "post", "edit", "1", "--media", str(missing)) == (
        f"Error: cannot attach {missing}: no such file — check the path\n")


# --- F16: cancelling what cannot be cancelled says why -------------------------------------------

def test_cancel_twice_says_it_is_already_cancelled(setup, engine):
    setup.ok("post", "add", "Dua akun", "--to", "sb1,sb2", "--at", "2026-12-02 09:00")  # post 2
    setup.ok("post", "cancel", "2")
    assert refused(setup, engine, "post", "cancel", "2") == (
        "Error: post 2 is already cancelled on sb1, sb2 — nothing left to cancel; see `campaigner post show 2`\n")
    assert refused(setup, engine, "post", "cancel", "2", "--account", "sb2") == (
        "Error: post 2 is already cancelled on sb2 — nothing left to cancel; see `campaigner post show 2`\n")


def test_cancel_published_and_mixed(setup, engine):
    setup.ok("post", "add", "Dua akun", "--to", "sb1,sb2", "--at", "2026-12-02 09:00")  # post 2, deliveries 2 and 3
    with engine.begin() as c:
        c.execute(Delivery.__table__.update().where(Delivery.id == 2).values(status=DeliveryStatus.PUBLISHED))
    assert refused(setup, engine, "post", "cancel", "2", "--account", "sb1") == (
        "Error: post 2 is already published on sb1 — it cannot be cancelled any more; to take it down: "
        "campaigner post delete 2 --account sb1\n")
    setup.ok("post", "cancel", "2")  # sb2 still could be
    assert refused(setup, engine, "post", "cancel", "2") == (
        "Error: post 2 is already published on sb1 and cancelled on sb2 — nothing left to cancel; to take the "
        "published post down: campaigner post delete 2\n")
