"""The weekly report uses the inbox (issue 12, item 4): replies per kind per campaign, the week's
questions still unanswered with their links, the most-replied posts, examples without repeats, and
answers sent from the inbox counted as answers, not as posts. Every format. Real database, the
Mastodon fake over HTTP, the real CLI."""
from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigner.models import Reply
from tests.engine.conftest import deliveries

CHEER = "Setuju! Hidup buruh, kita menang!"


def _week_of_replies(cli, engine, platform_account):
    """Week 2026-W49: two campaigns' posts and one without, replies of every kind (one cheer three
    times), a question answered from the inbox, one dismissed, two left open; the report is built
    the Monday after."""
    fake = platform_account("mastodon", "m1")
    cli.ok("campaign", "add", "tapera", "--name", "Tolak Tapera", "--against", "Tapera")
    cli.ok("campaign", "add", "upah", "--name", "Upah Layak", "--for", "upah layak")
    cli.ok("post", "add", "Tolak potongan Tapera!", "--to", "m1", "--now", "--campaign", "tapera")
    cli.ok("post", "add", "Naikkan upah minimum 2027!", "--to", "m1", "--now", "--campaign", "upah")
    cli.ok("post", "add", "Selamat Hari Guru", "--to", "m1", "--now")
    cli.ok("publish")
    tapera, upah, plain = deliveries(engine)
    at = cli.clock.now
    said = [(tapera, "rina", "Aksinya kumpul di mana?"), (tapera, "budi", "Tapera bagus kok"),
            (tapera, "ani", CHEER), (tapera, "eko", CHEER), (tapera, "sri", CHEER),
            (tapera, "joko", "Formulir daftar anggota di mana"), (tapera, "tono", "nyimak"),
            (upah, "dewi", "Berapa upah minimum tahun depan?"), (upah, "agus", "setuju upah layak!"),
            (plain, "yanti", "Terima kasih bu guru 🙏")]
    for n, (d, who, body) in enumerate(said):
        fake.add_reply(d.remote_id, who, body, at + timedelta(minutes=n + 1))
    cli.clock.advance(minutes=30)
    cli.ok("metrics", "collect")
    with Session(engine) as s:
        ids = {r.text + r.author: r.id for r in s.scalars(select(Reply))}
    cli.ok("replies", "answer", str(ids["Aksinya kumpul di mana?rina@mastodon.other"]), "Di depan DPR jam 09.00")
    cli.ok("replies", "dismiss", str(ids["nyimakmono@mastodon.other".replace("mono", "tono")]))
    cli.ok("publish")
    cli.clock.advance(days=7)  # Monday 2026-12-07
    return fake, ids


def test_every_format_has_the_inbox(cli, engine, platform_account):
    fake, ids = _week_of_replies(cli, engine, platform_account)
    text = cli.ok("report", "weekly").stdout
    block = text[text.index("Replies inbox\n"):text.index("Needs attention")]
    lines = block.splitlines()
    assert lines[:5] == [
        "Replies inbox", "=============",
        "All:                3 questions, 4 support, 1 opposition, 2 other; 1 answered, 1",
        "                    dismissed",
        "  tapera: 2 questions, 3 support, 1 opposition, 1 other"]
    assert "  upah: 1 question, 1 support, 0 opposition, 0 other" in lines
    assert "  (no campaign): 0 questions, 0 support, 0 opposition, 1 other" in lines
    assert "Answers sent from the inbox: 1" in lines
    start = lines.index("Questions still unanswered")
    assert lines[start + 1].startswith("  - “Formulir daftar anggota di mana” — joko@mastodon.other, m1 (mastodon), ")
    joko = ids["Formulir daftar anggota di manajoko@mastodon.other"]
    assert lines[start + 1].endswith(f"#{joko}") or f"#{joko}" in lines[start + 2]
    assert any(line.strip().endswith(f"/@joko@mastodon.other/{_remote(engine, joko)}") for line in lines)
    top = lines.index("Most replied posts")
    assert lines[top + 1] == " 1. 7 replies (2 questions, 3 support, 1 opposition, 1 other) · m1 (mastodon)"
    # the answer is no post of the report: three published, not four
    assert "Published:          3 posts (last week 0)" in text
    # examples: the cheer said three times is one example
    replies = text[text.index("\nReplies\n"):text.index("Replies inbox")]
    assert replies.count(CHEER) == 1

    md = cli.ok("report", "weekly", "--format", "markdown").stdout
    assert "**Replies inbox**" in md and "_Questions still unanswered_" in md and md.count(CHEER) == 1
    html = cli.ok("report", "weekly", "--format", "html").stdout
    assert "<h2>Replies inbox</h2>" in html and "Formulir daftar anggota di mana" in html and html.count(CHEER) == 1
    idn = cli.ok("report", "weekly", "--lang", "id").stdout
    assert "Kotak balasan" in idn and "Pertanyaan yang belum dijawab" in idn

    data = json.loads(cli.ok("report", "weekly", "--format", "json").stdout)["inbox"]
    assert (data["total"], data["answered"], data["dismissed"], data["answers_sent"]) == (10, 1, 1, 1)
    assert [(c["campaign"], c["by_kind"]["question"]) for c in data["campaigns"]] == [
        ("tapera", 2), ("upah", 1), (None, 0)]
    assert data["open_questions"]["total"] == len(data["open_questions"]["listed"])
    assert data["open_questions"]["listed"][0]["reply_id"] == joko
    assert data["most_replied"][0]["replies"] == 7 and data["most_replied"][0]["post_id"] == 1
    rows = list(csv.DictReader(io.StringIO(cli.ok("report", "weekly", "--format", "csv").stdout)))
    assert [r["post_id"] for r in rows] == ["1", "2", "3"]
    assert (rows[0]["replies_question"], rows[0]["replies_support"], rows[0]["replies_oppose"],
            rows[0]["replies_other"]) == ("2", "3", "1", "1")
    assert rows[2]["replies_question"] == "" and rows[2]["replies_other"] == "1"
    # one campaign's report has its own inbox only
    scoped = json.loads(cli.ok("report", "weekly", "--format", "json", "--campaign", "tapera").stdout)["inbox"]
    assert scoped["total"] == 7 and scoped["answers_sent"] == 1 and [c["campaign"] for c in scoped["campaigns"]] == [
        "tapera"]


def _remote(engine, reply_id: int) -> str:
    with Session(engine) as s:
        return s.get(Reply, reply_id).remote_id


def test_more_than_ten_open_questions_list_the_oldest_ten_and_count_the_rest(cli, engine, platform_account):
    """Fourteen questions in the week, one of them answered: the ten open ones asked first are
    listed, oldest first (not in the order they were fetched), and the other three are counted
    with how to see them — in text, Markdown, HTML and Indonesian; JSON gives the total and the
    ten. A question of the week before and a reply of another kind are not counted."""
    fake = platform_account("mastodon", "m1")
    cli.ok("post", "add", "Tolak potongan Tapera!", "--to", "m1", "--now")
    cli.ok("publish")
    [d] = deliveries(engine)
    at = cli.clock.now
    fake.add_reply(d.remote_id, "lama", "Kapan aksinya dimulai?", at - timedelta(days=7))  # last week
    minutes = [13, 2, 9, 5, 11, 1, 14, 7, 3, 12, 6, 10, 4, 8]  # when each was asked: not the fetch order
    for m in minutes:
        fake.add_reply(d.remote_id, f"warga{m:02}", f"Di mana titik kumpul nomor {m}?", at + timedelta(minutes=m))
    fake.add_reply(d.remote_id, "ani", "Setuju! Hidup buruh!", at + timedelta(minutes=15))
    cli.clock.advance(minutes=30)
    cli.ok("metrics", "collect")
    with Session(engine) as s:
        ids = {r.author.split("@")[0]: r.id for r in s.scalars(select(Reply))}
        assert {r.kind for r in s.scalars(select(Reply)) if r.author.startswith(("warga", "lama"))} == {"question"}
    cli.ok("replies", "answer", str(ids["warga01"]), "Di depan DPR jam 09.00")  # the first one asked
    cli.ok("publish")
    cli.clock.advance(days=7)
    listed = [f"warga{m:02}" for m in range(2, 12)]  # the ten open ones asked first
    rest = ["warga12", "warga13", "warga14"]

    text = cli.ok("report", "weekly").stdout
    block = text[text.index("Questions still unanswered\n"):text.index("Most replied posts")]
    shown = [line.split("” — ")[1].split("@")[0] for line in block.splitlines() if line.startswith("  - “")]
    assert shown == listed
    assert block.splitlines()[-2:] == ["  …and 3 more: campaigner replies list --kind question --state new", ""]
    assert not any(who + "@" in text for who in rest) and "lama@" not in text and "warga01@" not in text
    md = cli.ok("report", "weekly", "--format", "markdown").stdout
    assert [who for who in listed + rest if who + "@" in md] == listed
    assert "…and 3 more: campaigner replies list --kind question --state new" in md
    html = cli.ok("report", "weekly", "--format", "html").stdout
    assert [who for who in listed + rest if who + "@" in html] == listed
    assert "…and 3 more: campaigner replies list --kind question --state new" in html
    assert html.index("warga02@") < html.index("warga03@") < html.index("warga11@")
    idn = cli.ok("report", "weekly", "--lang", "id").stdout
    assert "  …dan 3 lagi: campaigner replies list --kind question --state new\n" in idn
    data = json.loads(cli.ok("report", "weekly", "--format", "json").stdout)["inbox"]["open_questions"]
    assert data["total"] == 13
    assert [q["reply_id"] for q in data["listed"]] == [ids[who] for who in listed]
