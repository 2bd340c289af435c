"""A reply answered in the platform's own app is marked answered even when the platform shows the
answer only after newer replies were collected (the regular poll reads from the newest stored
reply, less 10 minutes, so it never sees an answer older than that): replies still new from
before the poll's window are looked up for the account's answer — X: one conversation search
``from:`` the account; Facebook: the comment's ``/comments`` edge; Threads: the reply's
``/replies`` edge — within a bounded number of extra requests a run. Through the real CLI, the
fakes over HTTP, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigner.models import Reply
from campaigner.services.replies import ANSWER_CHECKS
from tests.engine.conftest import deliveries

def _replies(engine) -> dict[str, Reply]:
    with Session(engine) as s:
        return {r.text: r for r in s.scalars(select(Reply))}


def _answer_reads(fake, platform: str) -> int:
    """The requests that looked for the account's answers (not the regular conversation reads)."""
    if platform == "x":
        return sum(" from:" in (req.query.get("query") or [""])[0]
                   for req in fake.calls("GET", "/2/tweets/search/recent"))
    if platform == "facebook":  # the regular read is the post's stream (filter=stream)
        return sum("filter" not in req.query for req in fake.calls("GET", "/comments"))
    return sum(req.path.endswith("/replies") for req in fake.calls("GET"))  # the regular read: /conversation


def _publish_one(cli, engine, platform_account, platform: str, text: str):
    """One post on a new ``platform`` account "akun", published now: (the fake, its delivery)."""
    fake = platform_account(platform, "akun")
    cli.ok("post", "add", text, "--to", "akun", "--now")
    cli.ok("publish")
    [d] = deliveries(engine)
    return fake, d


@pytest.fixture(params=["x", "facebook", "threads"])
def published(request, cli, engine, platform_account):
    """A post on the platform, published now; returns (platform, fake, its delivery)."""
    return (request.param, *_publish_one(cli, engine, platform_account, request.param,
                                         "Aksi Kamis di DPR. Ada pertanyaan?"))


def test_an_answer_the_platform_shows_late_marks_the_question_answered(cli, engine, published):
    platform, fake, d = published
    start = cli.clock.now
    fake.add_reply(d.remote_id, "rina", "Aksinya kumpul di mana?", start + timedelta(minutes=1))
    cli.clock.advance(minutes=5)
    cli.ok("metrics", "collect")
    q = _replies(engine)["Aksinya kumpul di mana?"]
    assert q.state.value == "new"
    # a day later the conversation goes on, and its newer replies are collected …
    fake.add_reply(d.remote_id, "budi", "Saya ikut!", start + timedelta(days=1, hours=1))
    cli.clock.now = start + timedelta(days=1, hours=2)
    cli.ok("metrics", "collect")
    assert _answer_reads(fake, platform) == 0  # the question was inside the poll's window: no extra read
    # … while the answer written in the app at 1 day after the question shows up on the platform's API
    # only now: older than what the poll reads from
    fake.add_own_reply(q.remote_id, "@rina Di depan DPR, jam 09.00", start + timedelta(days=1))
    cli.clock.advance(hours=12)
    cli.ok("metrics", "collect")
    got = _replies(engine)
    assert got["Aksinya kumpul di mana?"].state.value == "answered"
    assert got["Aksinya kumpul di mana?"].state_at == start + timedelta(days=1)
    assert got["Saya ikut!"].state.value == "new"
    ours = got["@rina Di depan DPR, jam 09.00"]
    assert ours.ours and ours.parent_remote_id == q.remote_id
    # one extra request: X asks for the account's posts in the conversation, the others the question's replies
    assert _answer_reads(fake, platform) == 1
    assert "Aksinya kumpul di mana?" not in cli.ok("replies", "list", "--state", "new").stdout
    # the alert raised when the question had waited a day is settled by itself
    assert cli.ok("alerts", "list").stdout == "No open alerts.\n"
    # answered, it is not looked up again (the reply still new is inside the poll's window)
    cli.clock.advance(hours=12)
    cli.ok("metrics", "collect")
    assert _answer_reads(fake, platform) == 1
    assert len(_replies(engine)) == 3


def test_the_extra_requests_of_a_run_are_bounded(cli, engine, published):
    platform, fake, d = published
    start = cli.clock.now
    for i in range(ANSWER_CHECKS + 15):
        fake.add_reply(d.remote_id, f"warga{i}", f"Kapan aksinya? ({i})", start + timedelta(minutes=1, seconds=i))
    fake.add_reply(d.remote_id, "budi", "nanti saya kabari", start + timedelta(hours=3))
    cli.clock.advance(hours=4)
    cli.ok("metrics", "collect")
    cli.clock.advance(hours=3)
    cli.ok("metrics", "collect")
    reads = _answer_reads(fake, platform)
    # X: one search for them all; Facebook and Threads: one read per question, at most ANSWER_CHECKS a run
    assert reads == (1 if platform == "x" else ANSWER_CHECKS)


@pytest.mark.parametrize("platform", ["facebook", "threads"])
def test_hostile_or_missing_answers_change_nothing(cli, engine, platform_account, platform):
    """The lookup's answer is a stranger's too: items that are not the account's answers (no id,
    another author, not an object) are passed over; a reply deleted meanwhile is skipped, and the
    next one is still looked up (and found answered)."""
    from tests.fakes.facebook import _not_found
    from tests.fakes.server import Response

    fake, d = _publish_one(cli, engine, platform_account, platform, "Aksi Kamis di DPR.")
    start = cli.clock.now
    fake.add_reply(d.remote_id, "tono", "Titik kumpulnya di mana?", start + timedelta(seconds=30))
    fake.add_reply(d.remote_id, "rina", "Kumpul jam berapa?", start + timedelta(minutes=1))
    fake.add_reply(d.remote_id, "budi", "Bawa apa saja?", start + timedelta(minutes=2))
    fake.add_reply(d.remote_id, "sari", "Ikut!", start + timedelta(hours=3))
    cli.clock.advance(hours=4)
    cli.ok("metrics", "collect")
    got = _replies(engine)
    first, second = got["Bawa apa saja?"], got["Kumpul jam berapa?"]  # looked up newest first
    fake.add_own_reply(got["Titik kumpulnya di mana?"].remote_id, "Di depan DPR", start + timedelta(hours=1))
    author = {"from": {"id": "999", "name": "orang lain"}} if platform == "facebook" else {"username": "orang.lain"}
    hostile = {"data": ["teks", None, {"id": None, **author}, {"id": "123", **author, "message": "palsu", "text": "palsu"},
                        {"no": "id"}]}
    edge = "comments" if platform == "facebook" else "replies"
    fake.fail_next(Response(200, hostile), f"/{first.remote_id}/{edge}")
    status, body, _ = _not_found(second.remote_id)
    fake.fail_next(Response(status, body), f"/{second.remote_id}/{edge}")
    cli.clock.advance(hours=3)
    cli.ok("metrics", "collect")
    assert {text: (r.state.value, r.ours) for text, r in _replies(engine).items()} == {
        "Titik kumpulnya di mana?": ("answered", False), "Di depan DPR": ("answered", True),
        "Kumpul jam berapa?": ("new", False), "Bawa apa saja?": ("new", False), "Ikut!": ("new", False)}
    assert _answer_reads(fake, platform) == 3


@pytest.mark.parametrize("platform", ["facebook", "threads"])
def test_the_bound_is_shared_by_the_posts_of_a_run(cli, engine, platform_account, platform):
    """Two posts with 15 questions each waiting: one run looks up ``ANSWER_CHECKS`` of them in all,
    not that many per post."""
    fake = platform_account(platform, "akun")
    cli.ok("post", "add", "Aksi Kamis di DPR.", "--to", "akun", "--now")
    cli.ok("post", "add", "Aksi Jumat di Istana.", "--to", "akun", "--now")
    cli.ok("publish")
    start = cli.clock.now
    for d in deliveries(engine):
        for i in range(15):
            fake.add_reply(d.remote_id, f"warga{i}", f"Kapan aksinya? ({d.id}.{i})", start + timedelta(minutes=1, seconds=i))
        fake.add_reply(d.remote_id, "budi", f"nanti saya kabari ({d.id})", start + timedelta(hours=3))
    cli.clock.advance(hours=4)
    cli.ok("metrics", "collect")
    cli.clock.advance(hours=3)
    cli.ok("metrics", "collect")
    assert _answer_reads(fake, platform) == ANSWER_CHECKS


@pytest.mark.parametrize("platform", ["facebook", "threads"])
def test_questions_are_looked_up_first(cli, engine, platform_account, platform):
    """More replies wait than a run may look up: the questions go first, however old, so the
    oldest question's answer in the app is found while newer remarks wait."""
    fake, d = _publish_one(cli, engine, platform_account, platform, "Aksi Kamis di DPR.")
    start = cli.clock.now
    fake.add_reply(d.remote_id, "rina", "Titik kumpulnya di mana?", start + timedelta(minutes=1))
    for i in range(ANSWER_CHECKS):
        fake.add_reply(d.remote_id, f"warga{i}", f"Saya ikut, mantap sekali ({i})", start + timedelta(minutes=2, seconds=i))
    fake.add_reply(d.remote_id, "budi", "nanti saya kabari", start + timedelta(hours=3))
    cli.clock.advance(hours=4)
    cli.ok("metrics", "collect")
    got = _replies(engine)
    assert got["Titik kumpulnya di mana?"].kind == "question"
    assert all(got[f"Saya ikut, mantap sekali ({i})"].kind != "question" for i in range(ANSWER_CHECKS))
    fake.add_own_reply(got["Titik kumpulnya di mana?"].remote_id, "@rina Di depan DPR", start + timedelta(hours=1))
    cli.clock.advance(hours=3)
    cli.ok("metrics", "collect")
    assert _replies(engine)["Titik kumpulnya di mana?"].state.value == "answered"
    assert _answer_reads(fake, platform) == ANSWER_CHECKS
