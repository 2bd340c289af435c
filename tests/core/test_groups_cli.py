"""``campaigner group …`` and group names wherever account names go, through the real CLI, on the
database under test (SQLite, or PostgreSQL on the PG leg)."""
import json

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigner.models import Delivery, Group, GroupMember, PostingSlot


def rows(engine) -> tuple[int, int]:
    with Session(engine) as s:
        return (s.scalar(select(func.count()).select_from(Group)),
                s.scalar(select(func.count()).select_from(GroupMember)))


@pytest.fixture
def three(cli):
    cli.ok("account", "add", "x", "kspi-x")
    cli.ok("account", "add", "mastodon", "kspi-m", "--timezone", "Asia/Makassar")
    cli.ok("account", "add", "bluesky", "kspi-b")
    cli.ok("account", "add", "telegram", "kspi-tg")
    return cli


def test_add_list_show_and_grow(three):
    r = three.ok("group", "add", "semua", "kspi-x", "kspi-m,kspi-b")
    assert r.stdout == "Created group semua with 3 accounts: kspi-x, kspi-m, kspi-b.\n"
    r = three.ok("group", "add", "semua", "kspi-tg", "kspi-x")
    assert r.stdout == "Added kspi-tg to group semua (now 4 accounts: kspi-x, kspi-m, kspi-b, kspi-tg).\n"
    assert r.stderr == "Note: kspi-x was in it already.\n"
    three.ok("group", "add", "jateng", "kspi-tg")
    assert three.ok("group", "list").stdout == (
        "NAME    ACCOUNTS  MEMBERS\n"
        "jateng  1         kspi-tg\n"
        "semua   4         kspi-x, kspi-m, kspi-b, kspi-tg\n")
    assert json.loads(three.ok("group", "list", "--json").stdout) == [
        {"name": "jateng", "accounts": ["kspi-tg"]},
        {"name": "semua", "accounts": ["kspi-x", "kspi-m", "kspi-b", "kspi-tg"]}]
    assert three.ok("group", "show", "semua").stdout == (
        "Group semua:\n"
        "ACCOUNT  PLATFORM  ZONE           STATUS\n"
        "kspi-x   x         Asia/Jakarta   active\n"
        "kspi-m   mastodon  Asia/Makassar  active\n"
        "kspi-b   bluesky   Asia/Jakarta   active\n"
        "kspi-tg  telegram  Asia/Jakarta   active\n")
    shown = json.loads(three.ok("group", "show", "jateng", "--json").stdout)
    assert shown == {"name": "jateng", "accounts": [{"name": "kspi-tg", "platform": "telegram",
                                                      "timezone": "Asia/Jakarta", "status": "active"}]}


def test_a_group_among_the_accounts_adds_its_accounts(three):
    three.ok("group", "add", "pusat", "kspi-x", "kspi-m")
    r = three.ok("group", "add", "semua", "pusat", "kspi-tg", "kspi-x")
    assert r.stdout == "Created group semua with 3 accounts: kspi-x, kspi-m, kspi-tg.\n"


def test_take_out_and_remove(three, engine):
    three.ok("group", "add", "semua", "kspi-x", "kspi-m", "kspi-b")
    r = three.ok("group", "remove", "semua", "kspi-m", "kspi-tg")
    assert r.stdout == "Took kspi-m out of group semua (now 2 accounts: kspi-x, kspi-b).\n"
    assert r.stderr == "Note: kspi-tg was not in it.\n"
    assert three.ok("group", "remove", "semua", "kspi-x,kspi-b").stdout == (
        "Took kspi-x, kspi-b out of group semua (now empty).\n")
    assert three.ok("group", "show", "semua").stdout == (
        "Group semua has no accounts. Add some with: campaigner group add semua ACCOUNT…\n")
    assert three.ok("group", "remove", "semua").stdout == "Removed group semua (its accounts are kept).\n"
    assert rows(engine) == (0, 0)
    assert "kspi-x" in three.ok("account", "list").stdout
    assert three.ok("group", "list").stdout == "No groups yet. Make one with: campaigner group add NAME ACCOUNT…\n"


def test_mistakes_are_one_line_and_change_nothing(three, engine):
    three.ok("group", "add", "semua", "kspi-x")
    cases = [
        (("group", "add", "semua", "kspi-x"),
         "Error: kspi-x is already in group 'semua' — nothing to add (see `campaigner group show semua`)\n"),
        (("group", "add", "jateng", "kspi-x", "kspi-jt", "kspi-jb"),
         "Error: no accounts named 'kspi-jt', 'kspi-jb' — see `campaigner account list` (a group holds accounts "
         "that exist)\n"),
        (("group", "add", "Jateng!", "kspi-x"),
         "Error: group name 'Jateng!' is not allowed — use lower-case letters, digits, '-' and '_' (e.g. semua), "
         "up to 64 characters\n"),
        (("group", "remove", "semua", "kspi-m"),
         "Error: kspi-m is not in group 'semua' — nothing to take out (see `campaigner group show semua`)\n"),
        (("group", "remove", "jabar"), "Error: no group named 'jabar' — see `campaigner group list`\n"),
        (("group", "show", "kspi-x"),
         "Error: 'kspi-x' is an account, not a group — see `campaigner group list` for the groups\n"),
        (("account", "show", "semua"),
         "Error: 'semua' is a group, not an account — give one of its accounts (see `campaigner group show semua`)\n"),
        (("group", "add", "kosong"), "Error: Missing argument 'ACCOUNT...'. — see `campaigner group add --help`\n"),
    ]
    for args, message in cases:
        r = three(*args)
        assert (r.exit_code != 0, r.stdout, r.stderr) == (True, "", message), args
    assert rows(engine) == (1, 1)


def test_account_and_group_names_never_collide(three, engine):
    three.ok("group", "add", "semua", "kspi-x")
    r = three("account", "add", "sandbox", "semua")
    assert (r.exit_code, r.stderr) == (1, "Error: 'semua' is already a group's name — give the account another name "
                                          "(accounts and groups need different names)\n")
    r = three("group", "add", "kspi-m", "kspi-x")
    assert (r.exit_code, r.stderr) == (1, "Error: 'kspi-m' is already an account's name — give the group another "
                                          "name (accounts and groups need different names)\n")
    assert rows(engine) == (1, 1)
    assert "semua" not in three.ok("account", "list").stdout


def test_post_add_to_a_group_keeps_order_and_drops_repeats(three):
    three.ok("group", "add", "semua", "kspi-x", "kspi-m", "kspi-b")
    three.ok("group", "add", "pusat", "kspi-b", "kspi-x")
    r = three.ok("post", "add", "Tolak Tapera!", "--to", "kspi-tg,semua", "--to", "pusat,kspi-m",
                 "--at", "2026-12-01 09:00", "--json")
    got = [(d["account"], d["due_local"]) for d in json.loads(r.stdout)["deliveries"]]
    assert got == [("kspi-tg", "2026-12-01 09:00 WIB"), ("kspi-x", "2026-12-01 09:00 WIB"),
                   ("kspi-m", "2026-12-01 09:00 WITA"), ("kspi-b", "2026-12-01 09:00 WIB")]


def test_an_empty_group_is_refused_where_accounts_are_wanted(three, engine):
    three.ok("group", "add", "semua", "kspi-x")
    three.ok("group", "remove", "semua", "kspi-x")
    message = "Error: group 'semua' has no accounts — add some first: campaigner group add semua ACCOUNT…\n"
    for args in (("post", "add", "Halo", "--to", "semua", "--at", "2026-12-01 09:00"),
                 ("slots", "set", "semua", "mon 08:00"), ("post", "list", "--account", "semua"),
                 ("post", "check", "Halo", "--to", "semua")):
        r = three(*args)
        assert (r.exit_code, r.stderr) == (1, message), args
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Delivery)) == 0


def test_slots_for_a_group(three, engine):
    three.ok("group", "add", "semua", "kspi-x", "kspi-m")
    r = three.ok("slots", "set", "semua,kspi-tg", "mon-fri 08:00")
    assert r.stdout == "kspi-x: mon-fri 08:00\nkspi-m: mon-fri 08:00\nkspi-tg: mon-fri 08:00\n"
    r = three.ok("slots", "show", "semua")
    assert r.stdout.splitlines()[0] == "kspi-x (Asia/Jakarta): mon-fri 08:00"
    assert r.stdout.splitlines()[2] == "kspi-m (Asia/Makassar): mon-fri 08:00"
    shown = json.loads(three.ok("slots", "show", "semua", "--json").stdout)
    assert shown["group"] == "semua" and [a["account"] for a in shown["accounts"]] == ["kspi-x", "kspi-m"]
    assert json.loads(three.ok("slots", "show", "kspi-x", "--json").stdout)["account"] == "kspi-x"
    # one unknown name changes no account
    r = three("slots", "set", "semua,kspi-jt", "sat 09:00")
    assert r.stderr == "Error: no account named 'kspi-jt' — see `campaigner account list`\n"
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(PostingSlot)) == 15
    r = three.ok("post", "add", "Slot", "--to", "semua", "--next-slot", "--json")
    # now is Monday 08:00 WIB, 09:00 WITA: kspi-m's Monday slot has passed
    assert [d["due_local"] for d in json.loads(r.stdout)["deliveries"]] == ["2026-11-30 08:00 WIB",
                                                                            "2026-12-01 08:00 WITA"]


def test_list_edit_and_check_take_a_group(three):
    three.ok("group", "add", "semua", "kspi-m", "kspi-b")
    three.ok("post", "add", "Satu", "--to", "kspi-x", "--at", "2026-12-01 09:00")
    three.ok("post", "add", "Dua", "--to", "kspi-b", "--at", "2026-12-01 10:00")
    listed = json.loads(three.ok("post", "list", "--account", "semua", "--json").stdout)
    assert [(r["post_id"], r["account"]) for r in listed] == [(2, "kspi-b")]
    three.ok("post", "edit", "1", "--to", "semua")
    shown = json.loads(three.ok("post", "show", "1", "--json").stdout)
    assert {d["account"]: d["status"] for d in shown["deliveries"]} == {
        "kspi-x": "cancelled", "kspi-m": "queued", "kspi-b": "queued"}
    assert three.ok("post", "cancel", "1", "--account", "semua").stdout == "Cancelled post 1 on kspi-m, kspi-b.\n"
    r = three.ok("post", "check", "Upah layak!", "--to", "semua,kspi-b")
    assert r.stdout == ("kspi-m (mastodon): 11/500 characters — fits\n"
                        "kspi-b (bluesky): 11/300 characters — fits\n")


def test_calendar_accounts_column_takes_a_group(three, tmp_path):
    three.ok("group", "add", "semua", "kspi-x", "kspi-m")
    csv = tmp_path / "kalender.csv"
    csv.write_text("tanggal;jam;akun;teks\n01/12/2026;09:00;semua kspi-tg;Hidup buruh!\n", encoding="utf-8")
    assert three.ok("post", "import", str(csv)).stdout == "Queued 1 post (3 deliveries) from kalender.csv.\n"
    rows_ = json.loads(three.ok("post", "list", "--json").stdout)
    assert [(r["account"], r["due_local"]) for r in rows_] == [
        ("kspi-m", "2026-12-01 09:00 WITA"), ("kspi-x", "2026-12-01 09:00 WIB"), ("kspi-tg", "2026-12-01 09:00 WIB")]


def test_removing_an_account_takes_it_out_of_its_groups(three, engine):
    three.ok("group", "add", "semua", "kspi-x", "kspi-tg")
    three.ok("group", "add", "jateng", "kspi-tg")
    r = three.ok("account", "remove", "kspi-tg")
    assert r.stdout == ("Removed account kspi-tg.\n"
                        "It was taken out of group jateng (now empty).\n"
                        "It was taken out of group semua.\n")
    assert json.loads(three.ok("group", "list", "--json").stdout) == [
        {"name": "jateng", "accounts": []}, {"name": "semua", "accounts": ["kspi-x"]}]
    # a name freed by a removed account may become a group's
    assert three.ok("group", "add", "kspi-tg", "kspi-x").stdout == "Created group kspi-tg with 1 account: kspi-x.\n"
