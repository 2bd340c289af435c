"""Facebook comments and Threads conversations on a busy post: a later page that fails, and more
of them than one poll reads (``MAX_PAGES`` × ``PAGE_SIZE``, newest first down to ``since``).

As for Instagram (tests/engine/test_instagram_comment_pages.py): a later page that fails keeps what
was read while the account's other posts go on, and what is left — past that page, or past the
per-poll cap — is read at the next polls from the cursor kept in the account's state folder, a
bounded number of pages a poll, until each is stored exactly once, though older than the newest
stored. Against each fake over HTTP, the real database (SQLite file; PostgreSQL in the second leg),
the real CLI and the test clock.
"""
from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigner.models import Reply
from campaigner.services.replies import collect_replies
from connectors import facebook, threads
from tests.engine.conftest import deliveries
from tests.fakes.facebook import fail_page_once

#: platform → (its connector module, the edge read, the state file)
PLATFORMS = {"facebook": (facebook, "comments", "facebook-unread-comments.json"),
             "threads": (threads, "conversation", "threads-unread-replies.json")}


@pytest.fixture(params=sorted(PLATFORMS))
def platform(request, platform_account):
    name = request.param
    return name, platform_account(name, "akun1")


def publish(cli, engine, text: str) -> str:
    cli.ok("post", "add", text, "--to", "akun1", "--now")
    assert cli.ok("publish").stdout.startswith("Published 1,")
    return deliveries(engine)[-1].remote_id


def stored(engine) -> list[str]:
    with Session(engine) as s:
        return list(s.scalars(select(Reply.remote_id)))


def reads(fake, edge: str, post: str, since: int = 0) -> list[str | None]:
    """The ``after`` of each read of the post's edge (None: from the top)."""
    return [(r.query.get("after") or [None])[0] for r in fake.calls("GET", f"/{post}/{edge}")[since:]]


def kept(home, name: str) -> dict:
    """The state file's content ({} when there is none)."""
    paths = list(home.rglob(name))
    return json.loads(paths[0].read_text()) if paths else {}


def test_a_later_page_that_fails_keeps_what_was_read_and_the_rest_comes_next_poll(
        platform, cli, app, engine, clock, home):
    name, fake = platform
    module, edge, state = PLATFORMS[name]
    page = module.PAGE_SIZE
    post = publish(cli, engine, "Tolak Tapera!")
    other = publish(cli, engine, "Mogok nasional!")
    start = clock()
    ids = [fake.add_reply(post, f"buruh{n}", f"Setuju {n}", start + timedelta(minutes=n)) for n in range(250)]
    elsewhere = fake.add_reply(other, "agus", "Kami ikut", start + timedelta(minutes=5))
    clock.advance(hours=5)
    failed = fail_page_once(fake, f"/{post}/{edge}", str(page))  # the post's second page, once
    out = json.loads(cli.ok("metrics", "collect", "--json").stdout)
    assert failed and out["replies"]["skipped_accounts"] == {}
    assert set(stored(engine)) == {*ids[-page:], elsewhere} and out["replies"]["new"] == page + 1
    assert list(kept(home, state)) == [post]
    clock.advance(minutes=10)
    before = len(fake.calls("GET", f"/{post}/{edge}"))
    again = collect_replies(app)
    assert again.new == 250 - page and again.skipped_accounts == {}
    assert sorted(stored(engine)) == sorted([*ids, elsewhere])
    # from the top down to `since` (one page), then from the kept cursor to the end
    assert reads(fake, edge, post, before) == [None, str(page), str(2 * page)]
    clock.advance(minutes=10)
    before = len(fake.calls("GET", f"/{post}/{edge}"))
    assert collect_replies(app).new == 0 and len(stored(engine)) == 251
    assert reads(fake, edge, post, before) == [None]


def test_more_than_a_poll_reads_are_all_stored_once_over_successive_polls(platform, cli, app, engine, clock, home):
    name, fake = platform
    module, edge, state = PLATFORMS[name]
    cap = module.PAGE_SIZE * module.MAX_PAGES
    post = publish(cli, engine, "Tolak Tapera!")
    start = clock()
    ids = [fake.add_reply(post, f"buruh{n}", f"Setuju {n}", start + timedelta(seconds=30 * n))
           for n in range(cap + 150)]
    clock.advance(hours=6)
    assert collect_replies(app).new == cap and set(stored(engine)) == set(ids[-cap:])
    after_first = kept(home, state)
    clock.advance(minutes=10)
    new = [fake.add_reply(post, f"warga{n}", f"Hidup buruh {n}", clock() - timedelta(seconds=n)) for n in range(20)]
    clock.advance(minutes=10)
    before = len(fake.calls("GET", f"/{post}/{edge}"))
    again = collect_replies(app)
    assert again.new == 150 + 20 and sorted(stored(engine)) == sorted([*ids, *new])
    assert len(reads(fake, edge, post, before)) <= 2 * module.MAX_PAGES  # bounded work a poll
    assert after_first[post]["after"] == str(cap)  # where the first poll stopped, as kept
    clock.advance(minutes=10)
    before = len(fake.calls("GET", f"/{post}/{edge}"))
    assert collect_replies(app).new == 0 and len(stored(engine)) == len(ids) + 20
    assert reads(fake, edge, post, before) == [None]  # all read: from the top down to `since` only
