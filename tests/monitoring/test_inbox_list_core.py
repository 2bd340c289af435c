"""``replies list`` read through Core with statements built once (issue 12's benchmark goal): the
edges of the shortcuts it takes — a post checked only when nothing is found, the rest read only
when the urgent replies leave room — and SQLAlchemy's compiled cache found at the second call.
Real database (SQLite, or PostgreSQL for the PG leg), the Mastodon fake, the real CLI."""
from __future__ import annotations

import json
import logging

from sqlalchemy import event, update

from campaigner.app import App
from campaigner.config import resolve
from campaigner.models import Reply, ReplyState
from campaigner.services import inbox
from tests.monitoring.test_inbox import _replies, _two_posts


def test_a_post_without_replies_matches_none_and_a_missing_post_is_refused(cli, engine, platform_account):
    _two_posts(cli, engine, platform_account)
    cli.ok("post", "add", "Belum ada balasan", "--to", "m1", "--now")
    cli.ok("publish")
    assert cli.ok("replies", "list", "--post", "3").stdout == "No replies match.\n"
    assert cli.ok("replies", "list", "--post", "3", "--json").stdout.strip() == "[]"
    for post in ("4", "0", str(2**31)):
        r = cli("replies", "list", "--post", post)
        assert (r.exit_code, r.output) == (1, f"Error: no post with id {post} — see `campaigner post list`\n")


def test_a_limit_filled_by_urgent_replies_or_across_them_cuts_the_whole_list(cli, engine, platform_account):
    _two_posts(cli, engine, platform_account)
    every = json.loads(cli.ok("replies", "list", "--all", "--json").stdout)
    assert [d["urgent"] for d in every] == [True, True, False, False, False]
    for n in range(1, 6):
        page = json.loads(cli.ok("replies", "list", "--limit", str(n), "--json").stdout)
        assert page == every[:n]
    out = cli.ok("replies", "list", "--limit", "2").stdout.splitlines()
    assert out[-1] == "(the first 2: more with --limit N or --all)" and len(out) == 7


def test_one_posts_replies_come_urgent_first_and_cut_at_the_limit(cli, engine, platform_account):
    """One post's replies are one statement sorted by urgency: the same order and the same pages
    as the whole list's, restricted to that post."""
    _two_posts(cli, engine, platform_account)
    every = [d for d in json.loads(cli.ok("replies", "list", "--all", "--json").stdout) if d["post_id"] == 2]
    assert [d["urgent"] for d in every] == [True, True, False, False]
    for n in range(1, 5):
        page = json.loads(cli.ok("replies", "list", "--post", "2", "--limit", str(n), "--json").stdout)
        assert page == every[:n]
    assert json.loads(cli.ok("replies", "list", "--post", "2", "--state", "new", "--kind", "oppose", "--json").stdout) \
        == [d for d in every if d["kind"] == "oppose"]


def test_the_statements_are_built_once_and_compiled_once(cli, engine, platform_account, db_url, clock, caplog):
    _two_posts(cli, engine, platform_account)
    r = _replies(engine)
    filters = frozenset({"state", "kind"})
    assert inbox.list_statements(filters, True) is inbox.list_statements(filters, True)
    app = App(resolve({"database_url": db_url}), now=clock)
    try:
        inbox.list_replies(app, state="new", kind="question")
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="sqlalchemy.engine.Engine"):
            rows = inbox.list_replies(app, state="new", kind="oppose", limit=1)
        assert [x.id for x in rows] == [r["Tapera bagus kok"].id]
        compiled = [m for m in caplog.messages if m.startswith(("[generated in", "[cached since"))]
        assert compiled and all(m.startswith("[cached since") for m in compiled), caplog.messages
    finally:
        app.close()


def test_a_reply_answered_between_the_two_selects_is_listed_once(cli, engine, platform_account, db_url, clock):
    """The urgent replies and the rest are two selects; on PostgreSQL each sees its own snapshot.
    A reply answered by another process between them is in both results, and is listed once (as
    the first select found it). On SQLite both selects see one snapshot: there it is simply urgent."""
    _two_posts(cli, engine, platform_account)
    question = _replies(engine)["Aksinya kumpul di mana?"]
    app = App(resolve({"database_url": db_url}), now=clock)
    selects = []

    @event.listens_for(app.engine, "after_cursor_execute")
    def answer_after_the_first(conn, cursor, statement, *_):
        if statement.lstrip().startswith("SELECT") and "replies" in statement:
            selects.append(statement)
            if len(selects) == 1:
                with engine.begin() as other:
                    other.execute(update(Reply).where(Reply.id == question.id).values(state=ReplyState.ANSWERED))
    try:
        rows = inbox.list_replies(app, limit=10)
    finally:
        app.close()
    assert len(selects) >= 2
    assert [r.id for r in rows].count(question.id) == 1
    assert len(rows) == len({r.id for r in rows}) == 5
    assert next(r for r in rows if r.id == question.id).urgent
