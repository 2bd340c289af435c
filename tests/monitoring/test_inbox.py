"""The replies inbox (issue 12, item 1): ``replies list`` most urgent first with its filters,
``replies show`` in context, ``dismiss``/``reopen``, and a reply marked answered by itself when the
account answers it on the platform. Real database (SQLite, or PostgreSQL for the PG leg), the
Mastodon fake over HTTP, the real CLI."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigner.models import Post, Reply
from campaigner.times import FORMAT_HINT
from tests.engine.conftest import deliveries


def _replies(engine) -> dict[str, Reply]:
    with Session(engine) as s:
        return {r.text: r for r in s.scalars(select(Reply))}


def _two_posts(cli, engine, platform_account):
    """An old post (published 4 days ago) with a question, and a new one with one reply of each kind;
    replies collected. Returns the fake and the two deliveries."""
    fake = platform_account("mastodon", "m1")
    cli.ok("campaign", "add", "tapera", "--name", "Tolak Tapera", "--against", "Tapera")
    cli.ok("post", "add", "Kabar lama soal Tapera", "--to", "m1", "--now", "--campaign", "tapera")
    cli.ok("publish")
    [old] = deliveries(engine)
    fake.add_reply(old.remote_id, "lama", "Formulir daftar anggota di mana", cli.clock.now + timedelta(minutes=1))
    cli.clock.advance(minutes=5)
    cli.ok("metrics", "collect")
    cli.clock.advance(days=4)
    cli.ok("post", "add", "Tolak potongan Tapera! Aksi Kamis di DPR.", "--to", "m1", "--now", "--campaign", "tapera")
    cli.ok("publish")
    new = deliveries(engine)[1]
    start = cli.clock.now
    for minutes, (who, body) in enumerate([("rina", "Aksinya kumpul di mana?"), ("budi", "Tapera bagus kok"),
                                           ("sari", "nyimak"), ("ujang", "setuju, tolak Tapera!")], start=1):
        fake.add_reply(new.remote_id, who, body, start + timedelta(minutes=minutes))
    cli.clock.advance(minutes=10)
    cli.ok("metrics", "collect")
    return fake, old, new


def test_list_shows_urgent_replies_first_with_what_each_answers(cli, engine, platform_account):
    fake, old, new = _two_posts(cli, engine, platform_account)
    r = _replies(engine)
    out = cli.ok("replies", "list").stdout.splitlines()
    ids = [line.split()[0] for line in out[0::3]]
    # new questions and opposition on the recent post first (newest first), then the rest
    assert ids == [f"#{r[t].id}" for t in ("Tapera bagus kok", "Aksinya kumpul di mana?", "setuju, tolak Tapera!",
                                            "nyimak", "Formulir daftar anggota di mana")]
    q = r["Aksinya kumpul di mana?"]
    i = out.index(next(line for line in out if line.startswith(f"#{q.id} ")))
    assert out[i:i + 3] == [
        f"#{q.id}  new       question neutral  2026-12-04 08:06 WIB  rina@mastodon.other on m1 (mastodon)  [urgent]",
        "    Aksinya kumpul di mana?",
        f"    {fake.base_url}/@rina@mastodon.other/{q.remote_id} — on post 2: Tolak potongan Tapera! Aksi Kamis di "
        "DPR."]
    # the old post's question is no longer urgent (its post is 4 days old), and not marked so
    assert out[12].endswith("on m1 (mastodon)")

    data = json.loads(cli.ok("replies", "list", "--json").stdout)
    first = data[1]
    assert {k: first[k] for k in ("id", "state", "kind", "author", "account", "platform", "text", "post_id",
                                  "campaign", "urgent", "in_reply_to")} == {
        "id": q.id, "state": "new", "kind": "question", "author": "rina@mastodon.other", "account": "m1",
        "platform": "mastodon", "text": "Aksinya kumpul di mana?", "post_id": 2, "campaign": "tapera",
        "urgent": True, "in_reply_to": None}
    assert first["url"].endswith(f"/@rina@mastodon.other/{q.remote_id}") and first["created_at"].endswith("Z")

    def listed(*args):
        return [d["text"] for d in json.loads(cli.ok("replies", "list", "--json", *args).stdout)]

    assert listed("--kind", "question") == ["Aksinya kumpul di mana?", "Formulir daftar anggota di mana"]
    assert listed("--post", "1") == ["Formulir daftar anggota di mana"]
    assert listed("--since", "-1h", "--kind", "oppose") == ["Tapera bagus kok"]
    assert listed("--since", "2026-12-04", "--kind", "question") == ["Aksinya kumpul di mana?"]
    assert listed("--campaign", "tapera", "--account", "m1", "--limit", "2") == [
        "Tapera bagus kok", "Aksinya kumpul di mana?"]
    cli.ok("group", "add", "pusat", "m1")  # a group works wherever an account name does
    assert len(listed("--account", "pusat", "--all")) == 5
    assert listed("--state", "answered") == []
    assert cli.ok("replies", "list", "--limit", "2").stdout.splitlines()[-1] == \
        "(the first 2: more with --limit N or --all)"
    assert len(listed("--all")) == 5


def test_dismiss_reopen_and_the_state_filter(cli, engine, platform_account):
    _two_posts(cli, engine, platform_account)
    r = _replies(engine)
    a, b = r["nyimak"].id, r["setuju, tolak Tapera!"].id
    assert cli.ok("replies", "dismiss", str(a), str(b)).stdout == "Dismissed 2 replies.\n"
    assert cli.ok("replies", "dismiss", str(a)).stdout == "Dismissed 0 replies (1 dismissed already).\n"
    states = [(d["text"], d["state"]) for d in json.loads(cli.ok("replies", "list", "--json",
                                                                 "--state", "dismissed").stdout)]
    assert states == [("setuju, tolak Tapera!", "dismissed"), ("nyimak", "dismissed")]
    assert len(json.loads(cli.ok("replies", "list", "--json", "--state", "new").stdout)) == 3
    assert cli.ok("replies", "reopen", str(a)).stdout == "Reopened 1 reply.\n"
    assert _replies(engine)["nyimak"].state.value == "new"


def test_a_reply_answered_on_the_platform_is_answered_by_itself(cli, engine, platform_account):
    fake, old, new = _two_posts(cli, engine, platform_account)
    q = _replies(engine)["Aksinya kumpul di mana?"]
    cli.clock.advance(minutes=20)
    fake.add_own_reply(q.remote_id, "@rina Di depan DPR, jam 09.00", cli.clock.now)
    fake.add_reply(new.remote_id, "rina", "makasih, saya datang", cli.clock.now + timedelta(minutes=1))
    cli.clock.advance(hours=1)
    assert "New replies: 1 (1 request)." in cli.ok("metrics", "collect").stdout
    got = _replies(engine)
    assert got["Aksinya kumpul di mana?"].state.value == "answered"
    assert got["Aksinya kumpul di mana?"].state_at == cli.clock.now - timedelta(hours=1)
    ours = got["@rina Di depan DPR, jam 09.00"]
    assert ours.ours and ours.kind is None and ours.parent_remote_id == q.remote_id
    # the account's own answer is in no list, count or kind
    assert all(d["text"] != ours.text for d in json.loads(cli.ok("replies", "list", "--json", "--all").stdout))
    assert "replies:        2 question, 1 support, 1 oppose, 2 other\n" in cli.ok("campaign", "show", "tapera").stdout

    shown = cli.ok("replies", "show", str(q.id)).stdout
    assert f"Reply #{q.id} by rina@mastodon.other, 2026-12-04 08:06 WIB — answered 2026-12-04 08:35 WIB, " \
           "question, neutral\n" in shown
    assert "Our answers:\n  on mastodon itself, 2026-12-04 08:35 WIB — " in shown
    assert "    @rina Di depan DPR, jam 09.00\n" in shown
    # a reply to our answer shows the chain above it
    follow = got["makasih, saya datang"]
    assert follow.parent_remote_id == new.remote_id  # the fake's follow-up answers the post itself
    # the account answers a second time: nothing changes, nothing is stored twice
    cli.clock.advance(hours=1)
    cli.ok("metrics", "collect")
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Reply)) == 7


def test_show_gives_the_post_the_chain_above_and_the_answers_below(cli, engine, platform_account):
    fake, old, new = _two_posts(cli, engine, platform_account)
    q = _replies(engine)["Aksinya kumpul di mana?"]
    ours = fake.add_own_reply(q.remote_id, "@rina Di depan DPR jam 09.00", cli.clock.now)
    fake.add_reply(ours, "rina", "oke, kalau hujan aksinya tetap jalan gak?", cli.clock.now + timedelta(minutes=2))
    cli.clock.advance(hours=1)
    cli.ok("metrics", "collect")
    follow = _replies(engine)["oke, kalau hujan aksinya tetap jalan gak?"]
    out = cli.ok("replies", "show", str(follow.id)).stdout.splitlines()
    assert out[0].startswith("Post 2 on m1 (mastodon), published 2026-12-04 08:05 WIB: ")
    assert out[1] == "  Tolak potongan Tapera! Aksi Kamis di DPR."
    assert out[2].startswith(f"  #{q.id} rina@mastodon.other, 2026-12-04 08:06 WIB: Aksinya kumpul di mana?")
    assert out[3].startswith("  #") and "(ours)" in out[3] and out[3].endswith("@rina Di depan DPR jam 09.00")
    assert out[4].startswith(f"Reply #{follow.id} by rina@mastodon.other, ") and "— new, question," in out[4]
    assert out[-1] == f'No answer yet: campaigner replies answer {follow.id} "…"  (or: campaigner replies dismiss ' \
                      f'{follow.id})'
    data = json.loads(cli.ok("replies", "show", str(follow.id), "--json").stdout)
    assert [a["text"] for a in data["above"]] == ["Aksinya kumpul di mana?", "@rina Di depan DPR jam 09.00"]
    assert data["post"]["text"] == "Tolak potongan Tapera! Aksi Kamis di DPR." and data["answers"] == []
    # ``list`` says what a nested reply answers
    [row] = [d for d in json.loads(cli.ok("replies", "list", "--json").stdout) if d["id"] == follow.id]
    assert row["in_reply_to"] == "spn_pusat"


def test_hostile_text_is_shown_safely(cli, engine, platform_account):
    fake = platform_account("mastodon", "m1")
    cli.ok("post", "add", "Tolak potongan upah", "--to", "m1", "--now")
    cli.ok("publish")
    [d] = deliveries(engine)
    fake.add_reply(d.remote_id, "jahat", "halo \u202eevil\u202c\nbaris dua", cli.clock.now)
    cli.clock.advance(minutes=5)
    cli.ok("metrics", "collect")
    [r] = _replies(engine).values()
    out = cli.ok("replies", "list").stdout
    assert "\u202e" not in out and "    halo evil baris dua\n" in out
    shown = cli.ok("replies", "show", str(r.id)).stdout
    assert "  > halo evil\n  > baris dua\n" in shown


def test_bad_input_is_one_line_and_changes_nothing(cli, engine, platform_account):
    _two_posts(cli, engine, platform_account)
    r = _replies(engine)
    new = r["nyimak"].id
    with Session(engine) as s:
        before = sorted((x.id, x.state.value) for x in s.scalars(select(Reply)))
    cases = [
        (["replies", "show", "999"], "Error: no reply with id 999 — see `campaigner replies list`\n"),
        (["replies", "dismiss", str(new), "999"], "Error: no reply with id 999 — see `campaigner replies list`\n"),
        (["replies", "show", "99999999999"], "Error: no reply with id 99999999999 — see `campaigner replies list`\n"),
        (["replies", "list", "--post", "77"], "Error: no post with id 77 — see `campaigner post list`\n"),
        (["replies", "list", "--campaign", "nope"], "Error: no campaign 'nope' — see `campaigner campaign list`\n"),
        (["replies", "list", "--account", "nope"], "Error: no account named 'nope' — see `campaigner account list`\n"),
        (["replies", "list", "--since", "kemarin dulu"], f"Error: cannot read the time 'kemarin dulu' — {FORMAT_HINT}\n"),
        (["replies", "list", "--limit", "0"], "Error: --limit 0 is not a number of replies — give 1 or more (or --all)\n"),
        (["replies", "list", "--limit", "3", "--all"],
         "Error: give --limit N or --all, not both — see `campaigner replies list --help`\n"),
    ]
    for args, message in cases:
        got = cli(*args)
        assert (got.exit_code, got.stdout, got.stderr) == (1 if "--help" not in message else 2, "", message), args
    with Session(engine) as s:
        assert sorted((x.id, x.state.value) for x in s.scalars(select(Reply))) == before
        assert s.scalar(select(func.count()).select_from(Post)) == 2
