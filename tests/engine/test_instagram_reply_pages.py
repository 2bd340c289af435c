"""Instagram replies under a busy comment: every page of them is read, each reply stored once.

A page of them that fails partway keeps what was read, and the rest of that comment's replies are
read at the next poll, while the other comments and media go on; past ``instagram.REPLY_COMMENTS``
busy comments a poll, the others are read first at the next poll (``connectors.unread``) — never
dropped, even when they are older than the newest reply stored.

A comment's nested ``replies{…}`` field shows only the first page of its replies, with that page's
own paging (cursors, and a ``next`` link on the comment's replies edge while there are more); the
rest is read on ``GET /{comment}/replies`` from the ``after`` cursor, at most
``instagram.REPLY_PAGES`` pages of ``REPLY_PAGE``. A ``next`` link to another host (a hostile or
broken answer: it would carry the token there) is never followed. Against the Instagram fake over
HTTP (which pages nested replies and checks the fields asked on the replies edge), the real
database (SQLite file; PostgreSQL in the second leg) and the test clock.
"""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigner.models import Reply
from campaigner.services.replies import collect_replies
from connectors.instagram import REPLY_COMMENTS, REPLY_FIELDS, InstagramConnector
from tests.engine.conftest import deliveries
from tests.fakes.facebook import fail_page_once
from tests.fakes.instagram import GRAPH_API_VERSION, NESTED_REPLY_PAGE, TOKEN, Fake, jpeg_bytes

CAPTION = "Tolak Tapera! Upah buruh bukan tabungan paksa. #TolakTapera"


@pytest.fixture
def busy(ig, cli, engine, clock, tmp_path):
    """A published post with a busy comment (120 replies) and a quiet one (2 replies):
    (media id, busy comment id, its reply ids oldest first, {quiet comment and its replies})."""
    photo = tmp_path / "aksi.jpg"
    photo.write_bytes(jpeg_bytes(1080, 1080, (200, 30, 30)))
    cli.ok("post", "add", CAPTION, "--media", str(photo), "--to", "ig1", "--now")
    assert cli.ok("publish").stdout.startswith("Published 1,")
    [d] = deliveries(engine)
    media, start = d.remote_id, clock()
    comment = ig.add_reply(media, "rina_buruh", "Aksinya kapan?", start + timedelta(minutes=1))
    answers = [ig.add_reply(media, f"buruh_{i}", f"Ikut! #{i}", start + timedelta(minutes=2, seconds=i),
                            parent=comment) for i in range(120)]
    quiet = ig.add_reply(media, "sari_pekerja", "Potongan 3% itu berat", start + timedelta(minutes=3))
    small = {quiet, *(ig.add_reply(media, f"ujang_{i}", "Setuju", start + timedelta(minutes=4, seconds=i),
                                   parent=quiet) for i in range(2))}
    clock.advance(minutes=10)
    return media, comment, answers, small


def stored(engine) -> dict[str, str | None]:
    """Instagram id → the id it answers, of every stored reply."""
    with Session(engine) as s:
        return {r.remote_id: r.parent_remote_id for r in s.scalars(select(Reply))}


def test_120_replies_under_one_comment_are_all_stored_once(ig, busy, app, engine, clock):
    media, comment, answers, small = busy
    report = collect_replies(app)
    assert report.new == 1 + 120 + 3 and report.refused == 0
    rows = stored(engine)
    assert len(rows) == 124 and rows[comment] == media
    assert {a: rows.get(a) for a in answers} == {a: comment for a in answers}
    assert small <= rows.keys()
    # the nested field's first page (25), then the comment's replies edge from its cursor: 50, then 45
    reads = ig.calls("GET", f"/{comment}/replies")
    assert [(r.query["after"], r.query["limit"], r.query["fields"]) for r in reads] == [
        ([str(NESTED_REPLY_PAGE)], ["50"], [REPLY_FIELDS]), (["75"], ["50"], [REPLY_FIELDS])]
    assert all(r.query["access_token"] == [TOKEN] for r in reads)
    assert ig.calls("GET", "/replies") == reads  # the quiet comment's replies all came nested
    clock.advance(minutes=5)
    again = collect_replies(app)
    assert again.new == 0 and again.refused == 0 and len(stored(engine)) == 124


def test_a_next_page_of_replies_on_another_host_is_not_followed(ig, busy, serve, app, engine):
    media, comment, answers, _ = busy
    elsewhere = serve(Fake())
    ig.replies_next_answer = (f"{elsewhere.base_url}/{GRAPH_API_VERSION}/{comment}/replies"
                              f"?access_token={TOKEN}&after=25")
    report = collect_replies(app)
    assert elsewhere.requests == [] and ig.calls("GET", "/replies") == []
    rows = stored(engine)
    assert report.new == len(rows) == 1 + NESTED_REPLY_PAGE + 3  # what the answer itself showed
    assert {a for a in answers if a in rows} == set(answers[:NESTED_REPLY_PAGE])


def test_a_later_page_on_another_host_is_not_followed_either(ig, busy, serve, app, engine):
    media, comment, answers, _ = busy
    elsewhere = serve(Fake())
    first = ig.route  # the replies edge answers its first page with a next link to another host

    def hostile(req):
        answer = first(req)
        if req.path.endswith(f"/{comment}/replies"):
            answer.body["paging"]["next"] = f"{elsewhere.base_url}/{GRAPH_API_VERSION}/{comment}/replies?after=75"
        return answer
    ig.route = hostile
    collect_replies(app)
    assert elsewhere.requests == [] and len(ig.calls("GET", f"/{comment}/replies")) == 1
    rows = stored(engine)
    assert {a for a in answers if a in rows} == set(answers[:75])


def test_a_later_page_that_fails_keeps_what_was_read_and_the_rest_comes_at_the_next_poll(
        ig, busy, cli, app, engine, clock, tmp_path):
    media, comment, answers, small = busy
    photo = tmp_path / "mogok.jpg"
    photo.write_bytes(jpeg_bytes(1080, 1080, (30, 30, 200)))
    cli.ok("post", "add", "Mogok nasional!", "--media", str(photo), "--to", "ig1", "--now")
    assert cli.ok("publish").stdout.startswith("Published 1,")
    other = deliveries(engine)[1].remote_id
    clock.advance(hours=1)  # newer replies: the next poll reads from an hour after the busy comment's
    newest = ig.add_reply(media, "dewi_buruh", "Hidup buruh!", clock())
    elsewhere = ig.add_reply(other, "agus_pekerja", "Kami ikut", clock())
    failed = fail_page_once(ig, f"/{comment}/replies", "75")  # the comment's second page of replies, once
    report = collect_replies(app)
    assert failed and report.skipped_accounts == {}
    rows = stored(engine)
    # what was read is kept, the other comments and the other media go on
    assert {comment, newest, elsewhere, *answers[:75], *small} == rows.keys()
    assert report.new == len(rows) == 3 + 75 + 3
    clock.advance(minutes=10)
    again = collect_replies(app)  # the comment's later replies are read again: the 45 not read are stored
    assert again.new == 45 and again.skipped_accounts == {}
    rows = stored(engine)
    assert {a: rows.get(a) for a in answers} == {a: comment for a in answers} and len(rows) == 3 + 120 + 3
    assert [r.query["after"] for r in ig.calls("GET", f"/{comment}/replies")] == [["25"], ["75"], ["25"], ["75"]]
    clock.advance(minutes=10)
    assert collect_replies(app).new == 0 and len(stored(engine)) == 3 + 120 + 3


def test_busy_comments_past_the_bound_are_read_first_at_the_next_poll(ig, busy, app, engine, clock):
    media, comment, answers, small = busy
    start = clock()
    newer = {}
    for n in range(REPLY_COMMENTS + 1):  # newer busy comments, each with one reply more than the nested page
        c = ig.add_reply(media, f"warga_{n}", f"Komentar {n}", start + timedelta(minutes=n + 1))
        newer[c] = [ig.add_reply(media, f"balas_{n}_{i}", "Ya", start + timedelta(minutes=n + 1, seconds=i + 1),
                                 parent=c) for i in range(NESTED_REPLY_PAGE + 1)]
    clock.advance(minutes=30)
    everything = {comment, *answers, *small, *newer, *(r for rs in newer.values() for r in rs)}

    def followed(since: int = 0) -> list[str]:  # the comments whose replies edge was read, in order, each once
        return list(dict.fromkeys(r.path.split("/")[-2] for r in ig.calls("GET", "/replies")[since:]))
    collect_replies(app)
    first = followed()
    assert len(first) == REPLY_COMMENTS and comment not in first  # the 10 newest busy comments
    left = {c for c in newer if c not in first} | {comment}
    assert len(left) == 2 and not left & set(first)
    rows = stored(engine)
    assert everything - rows.keys() == {*answers[NESTED_REPLY_PAGE:], *(newer[c][-1] for c in left if c in newer)}
    clock.advance(minutes=10)
    reads = len(ig.calls("GET", "/replies"))
    collect_replies(app)  # a new connector, as every poll: it reads what the last one left from the state folder
    second = followed(reads)
    assert set(second[:2]) == left and len(second) == REPLY_COMMENTS  # those left first, then the newest
    assert stored(engine).keys() == everything  # none dropped, though older than the newest reply stored


# --- the connector's own bounds, straight against the fake ------------------------------------------


@pytest.fixture
def conn(ig, clock):
    return InstagramConnector(ig.account_config(), clock=clock)


def test_a_reply_the_edge_shows_again_is_returned_once(ig, busy, conn):
    media, comment, answers, _ = busy
    first = ig.route  # the replies edge starts 10 replies early: those are on the nested page too

    def overlapping(req):
        if req.path.endswith(f"/{comment}/replies") and req.query.get("after") == [str(NESTED_REPLY_PAGE)]:
            req.query["after"] = [str(NESTED_REPLY_PAGE - 10)]
        return first(req)
    ig.route = overlapping
    found = conn.replies(media)
    ids = [r.remote_id for r in found]
    assert len(ids) == len(set(ids)) == 1 + 120 + 3
    assert [r.remote_id for r in found if r.in_reply_to == comment] == answers


def test_later_replies_are_read_for_at_most_reply_comments_comments_a_call(ig, busy, conn, clock):
    media, comment, answers, _ = busy
    start = clock()
    for n in range(REPLY_COMMENTS):  # newer comments, each with one page more than the nested field shows
        other = ig.add_reply(media, f"warga_{n}", f"Komentar {n}", start + timedelta(minutes=n + 1))
        for i in range(NESTED_REPLY_PAGE + 1):
            ig.add_reply(media, f"balas_{n}_{i}", "Ya", start + timedelta(minutes=n + 1, seconds=i + 1), parent=other)
    found = conn.replies(media)
    assert len(ig.calls("GET", "/replies")) == REPLY_COMMENTS  # one each for the 10 newest comments
    assert ig.calls("GET", f"/{comment}/replies") == []  # the oldest busy one waits for a later poll
    assert len([r for r in found if r.in_reply_to == comment]) == NESTED_REPLY_PAGE
    assert len(found) == REPLY_COMMENTS * (NESTED_REPLY_PAGE + 2) + 1 + NESTED_REPLY_PAGE + 3
    again = conn.replies(media, since=clock())  # the next call (no state folder: kept in memory) reads it first
    assert [r.path for r in ig.calls("GET", "/replies")][REPLY_COMMENTS:REPLY_COMMENTS + 2] == [
        f"/{GRAPH_API_VERSION}/{comment}/replies"] * 2
    assert [r.remote_id for r in again if r.in_reply_to == comment] == answers[NESTED_REPLY_PAGE:]


def test_a_broken_or_hostile_list_of_unread_replies_is_read_as_untrusted(ig, busy, clock, tmp_path):
    media, comment, answers, _ = busy
    state = tmp_path / "state"
    state.mkdir(mode=0o700)
    kept = state / "instagram-unread-replies.json"
    conn = InstagramConnector(ig.account_config(state), clock=clock)
    for content in ("{not json", '["a list"]', json.dumps({media: {"at": "yesterday", "comments": [comment]}}),
                    json.dumps({media: {"at": clock().isoformat(), "comments": ["../../me", 7, "1" * 40]}})):
        kept.write_text(content)
        conn.unread._posts = None  # as a new connector reads it
        assert [r.remote_id for r in conn.replies(media) if r.in_reply_to == comment] == answers
    assert {r.path for r in ig.calls("GET", "/replies")} == {f"/{GRAPH_API_VERSION}/{comment}/replies"}
    conn.unread.keep(media, [comment])  # written whole, for the account alone
    assert json.loads(kept.read_text()) == {media: {"at": clock().isoformat(), "comments": [comment]}}
    assert kept.stat().st_mode & 0o777 == 0o600 and [p.name for p in state.iterdir()] == [kept.name]
