"""``campaigner slots`` and ``campaigner queue``, and --next-slot, through the real CLI."""
import json


def test_slots_set_show_and_next_slot(cli):
    cli.ok("account", "add", "sandbox", "a1")
    cli.ok("account", "add", "sandbox", "a2", "--timezone", "Asia/Jayapura")
    r = cli.ok("slots", "set", "a1,a2", "mon-fri 08:00,12:00,19:00", "sat 09:00")
    assert r.stdout == "a1: mon-fri 08:00,12:00,19:00; sat 09:00\na2: mon-fri 08:00,12:00,19:00; sat 09:00\n"
    shown = json.loads(cli.ok("slots", "show", "a1", "--json").stdout)
    # now is Monday 08:00 WIB exactly: that slot counts as the next one
    assert [n["local"] for n in shown["next"][:3]] == ["2026-11-30 08:00 WIB", "2026-11-30 12:00 WIB",
                                                      "2026-11-30 19:00 WIB"]
    dues = []
    for i in range(4):
        r = cli.ok("post", "add", f"Pesan {i}", "--to", "a1,a2", "--next-slot", "--json")
        dues.append({d["account"]: d["due_local"] for d in json.loads(r.stdout)["deliveries"]})
    assert [d["a1"] for d in dues] == ["2026-11-30 08:00 WIB", "2026-11-30 12:00 WIB", "2026-11-30 19:00 WIB",
                                       "2026-12-01 08:00 WIB"]
    # a2 lives in WIT (UTC+9): its 08:00 Monday has already passed
    assert [d["a2"] for d in dues] == ["2026-11-30 12:00 WIT", "2026-11-30 19:00 WIT", "2026-12-01 08:00 WIT",
                                       "2026-12-01 12:00 WIT"]


def test_next_slot_skips_days_at_cap(cli):
    cli.ok("account", "add", "sandbox", "a1", "--daily-cap", "1")
    cli.ok("slots", "set", "a1", "daily 09:00,15:00")
    d1 = json.loads(cli.ok("post", "add", "1", "--to", "a1", "--next-slot", "--json").stdout)["deliveries"][0]
    d2 = json.loads(cli.ok("post", "add", "2", "--to", "a1", "--next-slot", "--json").stdout)["deliveries"][0]
    assert (d1["due_local"], d2["due_local"]) == ("2026-11-30 09:00 WIB", "2026-12-01 09:00 WIB")


def test_slot_errors(cli):
    cli.ok("account", "add", "sandbox", "a1")
    r = cli("slots", "set", "a1", "mnday 08:00")
    assert r.exit_code == 1
    assert r.stderr == "Error: unknown day 'mnday' in \"mnday 08:00\" — use mon..sun or sen..min, e.g. \"mon-fri 08:00,12:00\"\n"
    r = cli("post", "add", "x", "--to", "a1", "--next-slot")
    assert r.stderr == ('Error: account \'a1\' has no posting slots — set them with: campaigner slots set a1 '
                        '"mon-fri 08:00,12:00,19:00"\n')


def test_slots_in_a_dst_zone(cli):
    """Europe/Berlin leaves summer time on 2026-10-25; slots stay at 09:00 local on both sides."""
    cli.clock.now = cli.clock.now.replace(year=2026, month=10, day=23, hour=12)  # 14:00 CEST
    cli.ok("account", "add", "sandbox", "eu", "--timezone", "Europe/Berlin")
    cli.ok("slots", "set", "eu", "daily 09:00")
    shown = json.loads(cli.ok("slots", "show", "eu", "--json").stdout)
    assert [(n["at"], n["local"]) for n in shown["next"][:4]] == [
        ("2026-10-24T07:00:00Z", "2026-10-24 09:00 CEST"),
        ("2026-10-25T08:00:00Z", "2026-10-25 09:00 CET"),
        ("2026-10-26T08:00:00Z", "2026-10-26 09:00 CET"),
        ("2026-10-27T08:00:00Z", "2026-10-27 09:00 CET"),
    ]


def test_dst_gap_time_is_refused(cli):
    cli.clock.now = cli.clock.now.replace(year=2026, month=3, day=1)
    cli.ok("account", "add", "sandbox", "eu", "--timezone", "Europe/Berlin")
    r = cli("post", "add", "x", "--to", "eu", "--at", "2026-03-29 02:30")
    assert r.stderr == ("Error: 2026-03-29 02:30 does not exist in Europe/Berlin (clocks jump forward then) — "
                        "pick a time outside the gap\n")
    r = cli.ok("post", "add", "x", "--to", "eu", "--at", "2026-10-25 02:30", "--json")  # ambiguous: first one
    assert json.loads(r.stdout)["deliveries"][0]["due_at"] == "2026-10-25T00:30:00Z"


def test_queue_agenda_grouped_by_local_day(cli):
    cli.ok("account", "add", "sandbox", "a1")
    cli.ok("account", "add", "sandbox", "a2", "--timezone", "Asia/Makassar")
    cli.ok("post", "add", "Besok pagi", "--to", "a1,a2", "--at", "2026-12-01 07:30")
    cli.ok("post", "add", "Malam ini", "--to", "a1", "--at", "2026-11-30 21:00")
    cli.ok("post", "add", "Jauh", "--to", "a1", "--at", "2026-12-20 21:00")
    r = cli.ok("queue", "--days", "3")
    assert r.stdout.splitlines() == [
        "Monday 2026-11-30",
        "  21:00 WIB  a1               #2     Malam ini",
        "Tuesday 2026-12-01",
        "  07:30 WITA a2               #1     Besok pagi",
        "  07:30 WIB  a1               #1     Besok pagi",
    ]
    data = json.loads(cli.ok("queue", "--json").stdout)
    assert [g["day"] for g in data] == ["2026-11-30", "2026-12-01"]
    assert data[1]["deliveries"][0]["due_at"] == "2026-11-30T23:30:00Z"
    cli.clock.advance(hours=14)  # Monday 22:00 WIB: the 21:00 post is overdue
    assert "OVERDUE" in cli.ok("queue").stdout.splitlines()[1]
    assert cli.ok("queue", "--days", "1").stdout.count("#") == 3


def test_queue_empty(cli):
    assert cli.ok("queue").stdout == "Nothing queued in the next 7 days.\n"


def test_queue_puts_each_post_under_its_accounts_local_day(cli):
    cli.ok("account", "add", "sandbox", "ber", "--timezone", "Europe/Berlin")
    cli.ok("account", "add", "sandbox", "nyc", "--timezone", "America/New_York")
    cli.ok("account", "add", "sandbox", "jkt")
    cli.ok("post", "add", "Rapat akbar", "--to", "ber,nyc,jkt", "--at", "2026-12-01 20:00")
    assert cli.ok("queue", "--days", "4").stdout == (
        "Tuesday 2026-12-01\n"
        "  20:00 WIB  jkt              #1     Rapat akbar\n"
        "  20:00 CET  ber              #1     Rapat akbar\n"
        "  20:00 EST  nyc              #1     Rapat akbar\n")
