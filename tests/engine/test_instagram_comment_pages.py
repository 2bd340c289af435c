"""Instagram comments on a busy media: a later page of them that fails, and more of them than one
poll reads (``COMMENT_PAGES`` × ``COMMENT_PAGE``).

A later page of ``GET /{media}/comments`` that fails keeps what was read, the other media of the
account go on, and the rest of that media's comments are read at the next poll from the cursor past
the last page read (kept in the account's state folder, read as untrusted); so are the comments past
the per-poll cap, a bounded number of pages a poll, until every one is stored exactly once — though
they are older than the newest reply stored. Against the Instagram fake over HTTP (newest first,
paged by ``after``), the real database (SQLite file; PostgreSQL in the second leg), the real CLI and
the test clock.
"""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigner.models import Reply
from campaigner.services.replies import collect_replies
from connectors.instagram import COMMENT_PAGE, COMMENT_PAGES, InstagramConnector
from connectors.unread import MAX_CURSOR, Rest
from tests.engine.conftest import deliveries
from tests.fakes.facebook import fail_page_once
from tests.fakes.instagram import jpeg_bytes

STATE = "instagram-unread-comments.json"


def publish(cli, engine, tmp_path, text: str) -> str:
    photo = tmp_path / f"{len(deliveries(engine))}.jpg"
    photo.write_bytes(jpeg_bytes(1080, 1080, (200, 30, 30)))
    cli.ok("post", "add", text, "--media", str(photo), "--to", "ig1", "--now")
    assert cli.ok("publish").stdout.startswith("Published 1,")
    return deliveries(engine)[-1].remote_id


def comment(ig, media: str, n: int, at) -> str:
    return ig.add_reply(media, f"buruh_{n}", f"Tolak Tapera! #{n}", at)


def stored(engine) -> list[str]:
    with Session(engine) as s:
        return list(s.scalars(select(Reply.remote_id)))


def comment_reads(ig, media: str, since: int = 0) -> list[str | None]:
    """The ``after`` of each read of the media's comments edge (None: from the top)."""
    return [(r.query.get("after") or [None])[0] for r in ig.calls("GET", f"/{media}/comments")[since:]]


def state(home) -> dict:
    """The state file's content ({} when there is none)."""
    paths = list(home.rglob(STATE))
    return json.loads(paths[0].read_text()) if paths else {}


def test_a_later_page_of_comments_that_fails_keeps_what_was_read_and_the_rest_comes_next_poll(
        ig, cli, app, engine, clock, tmp_path, home):
    media = publish(cli, engine, tmp_path, "Tolak Tapera!")
    other = publish(cli, engine, tmp_path, "Mogok nasional!")
    start = clock()
    ids = [comment(ig, media, n, start + timedelta(minutes=n)) for n in range(120)]  # 3 pages, newest first
    elsewhere = comment(ig, other, 0, start + timedelta(minutes=5))
    clock.advance(hours=3)
    failed = fail_page_once(ig, f"/{media}/comments", str(COMMENT_PAGE))  # the media's second page, once
    out = json.loads(cli.ok("metrics", "collect", "--json").stdout)
    assert failed and out["replies"]["skipped_accounts"] == {}
    # the first page (the 50 newest) is kept, and the other media goes on
    assert set(stored(engine)) == {*ids[-COMMENT_PAGE:], elsewhere} and out["replies"]["new"] == COMMENT_PAGE + 1
    assert list(state(home)) == [media]
    clock.advance(minutes=10)
    reads = len(ig.calls("GET", f"/{media}/comments"))
    again = collect_replies(app)  # the rest, from the kept cursor, though older than the newest stored
    assert again.new == 120 - COMMENT_PAGE and again.skipped_accounts == {}
    assert sorted(stored(engine)) == sorted({*ids, elsewhere}) and len(stored(engine)) == 121
    # the whole edge fits in a poll's pages from the top: those as old as the rest kept are returned
    assert comment_reads(ig, media, reads) == [None, "50", "100"]
    assert state(home) == {}  # nothing is left: the kept cursor is forgotten
    clock.advance(minutes=10)
    reads = len(ig.calls("GET", f"/{media}/comments"))
    assert collect_replies(app).new == 0 and len(stored(engine)) == 121
    assert comment_reads(ig, media, reads) == [None, "50", "100"]  # from the top only


def test_more_comments_than_a_poll_reads_are_all_stored_once_over_successive_polls(
        ig, cli, app, engine, clock, tmp_path, home):
    media = publish(cli, engine, tmp_path, "Tolak Tapera!")
    start = clock()
    cap = COMMENT_PAGE * COMMENT_PAGES
    ids = [comment(ig, media, n, start + timedelta(seconds=30 * n)) for n in range(cap + 150)]
    clock.advance(hours=4)
    report = collect_replies(app)
    assert report.new == cap and set(stored(engine)) == set(ids[-cap:])  # the newest, as many as a poll reads
    after_first = state(home)
    # new comments meanwhile, newer than every one stored
    clock.advance(minutes=10)
    new = [comment(ig, media, 1000 + n, clock() - timedelta(seconds=n)) for n in range(20)]
    clock.advance(minutes=10)
    reads = len(ig.calls("GET", f"/{media}/comments"))
    again = collect_replies(app)
    assert again.new == 150 + 20 and sorted(stored(engine)) == sorted([*ids, *new])
    assert after_first[media]["after"] == str(cap)  # where the first poll stopped, as kept
    # bounded: at most COMMENT_PAGES pages from the top and as many from the kept cursor
    assert len(comment_reads(ig, media, reads)) <= 2 * COMMENT_PAGES
    clock.advance(minutes=10)
    reads = len(ig.calls("GET", f"/{media}/comments"))
    assert collect_replies(app).new == 0 and len(stored(engine)) == len(ids) + 20
    # every one is read: the next polls read from the top only, down to where the rest was
    assert comment_reads(ig, media, reads) == [None, *(str(COMMENT_PAGE * n) for n in range(1, COMMENT_PAGES))]
    assert len(json.dumps(state(home))) < 300


def test_a_burst_bigger_than_a_poll_between_polls_is_read_down_through_the_rest_kept(
        ig, cli, app, engine, clock, tmp_path):
    media = publish(cli, engine, tmp_path, "Tolak Tapera!")
    start = clock()
    cap = COMMENT_PAGE * COMMENT_PAGES
    old = [comment(ig, media, n, start + timedelta(seconds=30 * n)) for n in range(cap + 100)]
    clock.advance(hours=5)
    collect_replies(app)
    burst_start = clock()
    burst = [comment(ig, media, 5000 + n, burst_start + timedelta(seconds=10 * n)) for n in range(cap + 50)]
    clock.advance(hours=2)
    polls = 0
    while len(stored(engine)) < len(old) + len(burst) and polls < 6:
        clock.advance(minutes=10)
        collect_replies(app)
        polls += 1
    everything = stored(engine)
    assert sorted(everything) == sorted([*old, *burst]) and len(everything) == len(set(everything))
    assert polls <= 3


def test_a_kept_cursor_is_read_as_untrusted(ig, cli, engine, clock, tmp_path):
    media = publish(cli, engine, tmp_path, "Tolak Tapera!")
    ids = [comment(ig, media, n, clock() + timedelta(seconds=n)) for n in range(3)]
    state_dir = tmp_path / "state"
    state_dir.mkdir(mode=0o700)
    kept = state_dir / STATE
    now = clock().isoformat()
    for content in ("{not json", '["a list"]', json.dumps({media: {"at": now, "after": "x" * (MAX_CURSOR + 1)}}),
                    json.dumps({media: {"at": now, "after": "../../etc&access_token=1", "start": now}}),
                    json.dumps({media: {"at": "yesterday", "after": "1"}}),
                    json.dumps({media: {"at": now, "after": None, "start": None}})):
        kept.write_text(content)
        conn = InstagramConnector(ig.account_config(state_dir), clock=clock)
        reads = len(ig.calls("GET", f"/{media}/comments"))
        assert sorted(r.remote_id for r in conn.replies(media)) == sorted(ids)
        assert comment_reads(ig, media, reads) == [None]  # from the top only: nothing was taken as a cursor
    conn.unread_comments.keep(media, Rest("QVFIUmFi", None))  # written whole, for the account alone
    assert json.loads(kept.read_text()) == {media: {"at": now, "after": "QVFIUmFi", "start": None}}
    assert kept.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in state_dir.iterdir()] == [kept.name]


def test_a_cursor_in_an_answer_that_is_not_one_is_never_kept(ig, cli, engine, clock, tmp_path):
    media = publish(cli, engine, tmp_path, "Tolak Tapera!")
    cap = COMMENT_PAGE * COMMENT_PAGES
    ids = [comment(ig, media, n, clock() + timedelta(seconds=n)) for n in range(cap + 10)]
    first = ig.route

    def hostile(req):  # every page's cursor is too long (its next link is still followed within the poll)
        answer = first(req)
        paging = answer.body.get("paging") if isinstance(answer.body, dict) else None
        if req.path.endswith(f"/{media}/comments") and paging and "next" in paging:
            paging["cursors"]["after"] = "Q" * (MAX_CURSOR + 1)
        return answer
    ig.route = hostile
    state_dir = tmp_path / "state"
    state_dir.mkdir(mode=0o700)
    conn = InstagramConnector(ig.account_config(state_dir), clock=clock)
    found = conn.replies(media)
    assert sorted(r.remote_id for r in found) == sorted(ids[-cap:])  # the pages read, followed by their links
    assert list(state_dir.iterdir()) == []  # nothing kept to send back to the platform
