"""Strangers' replies and platforms' answers are hostile: bounded and normalised before they are
stored (on PostgreSQL too, where a value longer than its column stops the transaction), one bad
item never stops the others, and what is shown (terminal, reports, e-mail) is harmless."""
from __future__ import annotations

import json
import logging
import unicodedata
from contextlib import contextmanager
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select, text
from sqlalchemy.pool import Pool
from sqlalchemy.orm import Session

from campaigner.models import MetricSnapshot, Reply
from content.untrusted import MAX_LANGUAGE_TAG, MAX_TEXT
from tests.engine.conftest import deliveries
from tests.hostile import LONGEST

WIB = ZoneInfo("Asia/Jakarta")
BIDI = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
PLATFORMS = ("x", "mastodon", "bluesky", "facebook")


def controls(value: str) -> set[str]:
    """The control characters in ``value`` other than newline and tab."""
    return {c for c in value if unicodedata.category(c) in ("Cc", "Cs") and c not in "\n\t"}


def stored_replies(engine) -> dict[int, list[Reply]]:
    """delivery id → its replies, in the order stored."""
    out: dict[int, list[Reply]] = {}
    with Session(engine) as s:
        for r in s.scalars(select(Reply).order_by(Reply.id)):
            out.setdefault(r.delivery_id, []).append(r)
    return out


def shown_author(platform: str, author: str, domain: str | None) -> str:
    """How each platform names a replier (what campaigner stores, before cutting it)."""
    if platform == "mastodon":
        return f"{author}@{domain or 'mastodon.other'}"
    if platform == "bluesky" and "." not in author:
        return f"{author}.bsky.social"
    return " ".join(author.split())


@contextmanager
def refusing(engine, table: str, condition: str):
    """While inside, the database refuses a row of ``table`` for which the SQL ``condition`` (on
    ``NEW``) holds: a trigger stands in for any refusal nobody foresaw."""
    pg = engine.dialect.name == "postgresql"
    with engine.begin() as c:
        if pg:
            c.execute(text(f"CREATE FUNCTION refuse_row() RETURNS trigger AS $$ BEGIN IF {condition} THEN "
                           "RAISE EXCEPTION 'refused by a test trigger' USING ERRCODE = 'check_violation'; "
                           "END IF; RETURN NEW; END $$ LANGUAGE plpgsql"))
            c.execute(text(f"CREATE TRIGGER refuse_row BEFORE INSERT ON {table} FOR EACH ROW "
                           "EXECUTE FUNCTION refuse_row()"))
        else:
            c.execute(text(f"CREATE TRIGGER refuse_row BEFORE INSERT ON {table} WHEN {condition} "
                           "BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END"))
    try:
        yield
    finally:
        with engine.begin() as c:
            c.execute(text("DROP TRIGGER refuse_row" + (f" ON {table}" if pg else "")))
            if pg:
                c.execute(text("DROP FUNCTION refuse_row()"))


@contextmanager
def disk_full(engine, table: str):
    """While inside, inserting into ``table`` finds the database's disk full: on PostgreSQL a
    trigger raises its disk_full error; on SQLite a trigger writes a large blob into a database
    every connection caps at its current size (``max_page_count``), which SQLite reports as full."""
    pg = engine.dialect.name == "postgresql"
    with engine.begin() as c:
        if pg:
            c.execute(text("CREATE FUNCTION fill_disk() RETURNS trigger AS $$ BEGIN "
                           "RAISE EXCEPTION 'could not extend file: No space left on device' "
                           "USING ERRCODE = 'disk_full'; END $$ LANGUAGE plpgsql"))
            c.execute(text(f"CREATE TRIGGER fill_disk BEFORE INSERT ON {table} FOR EACH ROW "
                           "EXECUTE FUNCTION fill_disk()"))
        else:
            c.execute(text("CREATE TABLE filler (b BLOB)"))
            c.execute(text(f"CREATE TRIGGER fill_disk BEFORE INSERT ON {table} "
                           "BEGIN INSERT INTO filler VALUES (randomblob(1000000)); END"))

    def cap(dbapi_conn, _record) -> None:
        pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
        dbapi_conn.execute(f"PRAGMA max_page_count = {pages}")

    if not pg:
        event.listen(Pool, "connect", cap)
    try:
        yield
    finally:
        if not pg:
            event.remove(Pool, "connect", cap)
        with engine.begin() as c:
            c.execute(text("DROP TRIGGER fill_disk" + (f" ON {table}" if pg else "")))
            c.execute(text("DROP FUNCTION fill_disk()" if pg else "DROP TABLE filler"))


def two_posts(cli, engine_for, engine, platform_account, platform: str):
    """An account on ``platform`` and, added after it, a Mastodon account; one post published on
    each. Returns (fake, delivery) of both."""
    first = platform_account(platform, "p1")
    second = platform_account("mastodon", "p2")
    cli.ok("post", "add", "Tolak Tapera!", "--to", "p1", "--now")
    cli.ok("post", "add", "Upah layak untuk buruh!", "--to", "p2", "--now")
    engine_for().publish_all_due()
    d1, d2 = deliveries(engine)
    return (first, d1), (second, d2)


@pytest.mark.parametrize("platform", PLATFORMS)
def test_hostile_replies_are_stored_bounded_and_the_next_account_still_collected(
        platform, cli, engine_for, engine, platform_account, hostile_replies):
    """The longest values each platform allows fit (on PostgreSQL too), values beyond them are cut,
    controls and escapes are gone, X's entities are decoded — and the account after is collected."""
    (fake, d1), (plain, d2) = two_posts(cli, engine_for, engine, platform_account, platform)
    sent = hostile_replies(fake, d1.remote_id)
    plain.add_reply(d2.remote_id, "budi", "Setuju, upah harus naik!", cli.clock.now)
    r = cli.ok("metrics", "collect", "--json")
    assert json.loads(r.stdout)["replies"]["new"] == len(sent) + 1
    got = stored_replies(engine)
    assert [x.text for x in got[d2.id]] == ["Setuju, upah harus naik!"]
    by_id = {row.remote_id: row for row in got[d1.id]}
    rows = {h.key: by_id[remote_id] for h, remote_id in sent}
    for row in got[d1.id]:
        assert len(row.author) <= 255 and len(row.text) <= MAX_TEXT
        assert row.language is None or len(row.language) <= MAX_LANGUAGE_TAG
        assert not controls(row.author + row.text)
        assert "\n" not in row.author
    top = LONGEST[platform]
    full = shown_author(platform, top["author"], top.get("domain"))
    assert rows["longest"].author == (full if len(full) <= 255 else full[:254] + "…")
    assert rows["longest"].text == top["text"]  # X: "&" again, not "&amp;"
    assert rows["beyond"].text == ("tolak " * 6000)[:MAX_TEXT - 1] + "…"
    assert len(rows["beyond"].author) == 255 and rows["beyond"].author.endswith("…")
    assert rows["controls"].text == "Setuju upah naik \u202egnp.exe\u202c!\nbaris dua"  # bidi kept, shown stripped
    assert rows["controls"].author.startswith("budi santoso")
    assert rows["entities"].text == 'Upah & harga <naik> &amp; "Tapera" — setuju!'
    assert rows["mentions"].text == "@everyone @here @channel tolak Tapera, setuju banget!"
    assert rows["bad tag"].language in (None, "id", "en")
    if platform != "facebook":  # a long BCP-47 tag is kept whole; a longer one is cut at a subtag
        assert rows["long tag"].language == top["language"]
        assert rows["beyond tag"].language == "zh-Hant-TW-abcdefgh-abcdefgh"


def test_a_reply_the_database_refuses_is_skipped_and_the_others_stored(
        cli, engine_for, engine, platform_account, caplog):
    """A reply the database still refuses (here a trigger stands in for any unforeseen refusal) is
    logged and skipped; the same post's other replies and the next account's are stored."""
    (m1, d1), (m2, d2) = two_posts(cli, engine_for, engine, platform_account, "mastodon")
    m1.add_reply(d1.remote_id, "ana", "TOLAK-DB bukan balasan biasa", cli.clock.now)
    m1.add_reply(d1.remote_id, "budi", "Setuju, tolak Tapera!", cli.clock.now)
    m2.add_reply(d2.remote_id, "sari", "Upah harus naik!", cli.clock.now)
    with refusing(engine, "replies", "NEW.text LIKE '%TOLAK-DB%'"), caplog.at_level(logging.WARNING,
                                                                                    logger="campaigner"):
        r = cli("metrics", "collect")
    assert r.exit_code == 0, r.output
    assert r.stdout.splitlines()[1] == "New replies: 2 (2 requests); 1 refused by the database (see the log)."
    got = stored_replies(engine)
    assert [x.text for x in got[d1.id]] == ["Setuju, tolak Tapera!"]
    assert [x.text for x in got[d2.id]] == ["Upah harus naik!"]
    [warning] = [rec.getMessage() for rec in caplog.records if "not stored" in rec.getMessage()]
    assert warning.startswith(f"a reply to p1's post (delivery {d1.id}) was not stored: refused by a test trigger")


def test_a_snapshot_the_database_refuses_is_skipped_and_the_others_stored(
        cli, engine_for, engine, platform_account, caplog):
    (m1, d1), (m2, d2) = two_posts(cli, engine_for, engine, platform_account, "mastodon")
    cli.ok("post", "add", "Satu lagi", "--to", "p1", "--now")
    engine_for().publish_all_due()
    d3 = deliveries(engine)[2]
    for fake, d, likes in ((m1, d1, 13), (m2, d2, 4), (m1, d3, 5)):
        fake.set_engagement(d.remote_id, likes=likes)
    with refusing(engine, "metric_snapshots", "NEW.likes = 13"), caplog.at_level(logging.WARNING,
                                                                                 logger="campaigner"):
        r = cli("metrics", "collect", "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.stdout)
    assert (out["polled"], out["refused"]) == (2, 1)
    with Session(engine) as s:
        assert {sn.delivery_id: sn.likes for sn in s.scalars(select(MetricSnapshot))} == {d2.id: 4, d3.id: 5}
    [warning] = [rec.getMessage() for rec in caplog.records if "not stored" in rec.getMessage()]
    assert warning.startswith(f"the metrics of delivery {d1.id} were not stored: refused by a test trigger")


@pytest.mark.parametrize("table", ["metric_snapshots", "replies"])
def test_a_full_disk_is_one_error_not_a_retry_row_by_row(table, cli, engine_for, engine, platform_account, caplog):
    """A full disk (or a lost connection) is no refusal of one row: it is not retried row by row
    and logged as rows "not stored", it ends the command with the one-line disk-full error."""
    (m1, d1), (m2, d2) = two_posts(cli, engine_for, engine, platform_account, "mastodon")
    for fake, d in ((m1, d1), (m2, d2)):
        fake.set_engagement(d.remote_id, likes=3)
        fake.add_reply(d.remote_id, "ana", "Tolak Tapera!", cli.clock.now)
    with disk_full(engine, table), caplog.at_level(logging.WARNING, logger="campaigner"):
        r = cli("metrics", "collect")
    assert r.exit_code == 1
    where = "server's disk is full (PostgreSQL" if engine.dialect.name == "postgresql" else "disk is full (SQLite"
    assert r.output.startswith(f"Error: the database's {where}".replace("database's server's", "database server's"))
    assert len(r.output.splitlines()) == 1, r.output
    assert not [rec for rec in caplog.records if "not stored" in rec.getMessage()]
    with Session(engine) as s:
        assert s.scalars(select(Reply if table == "replies" else MetricSnapshot)).all() == []


def test_hostile_metric_values_are_stored_as_unknown_and_the_next_account_still_polled(
        cli, engine_for, engine, platform_account, hostile_replies):
    """Counts beyond PostgreSQL's integer, negative, fractional or not numbers are unknown (None);
    the raw payload stays small; the next account's snapshot is written."""
    (x, d1), (m, d2) = two_posts(cli, engine_for, engine, platform_account, "x")
    hostile_replies(x, d1.remote_id)
    m.set_engagement(d2.remote_id, likes=4)
    x.tweet(d1.remote_id)["metrics"].update({
        "like_count": 10**12, "retweet_count": -5, "reply_count": "7", "quote_count": True,
        "impression_count": 2**70, "bookmark_count": 3,
        **{f"metric_{i}_" + "n" * 100: i for i in range(200)}})
    r = cli.ok("metrics", "collect", "--json")
    assert json.loads(r.stdout)["polled"] == 2
    with Session(engine) as s:
        snaps = {sn.delivery_id: sn for sn in s.scalars(select(MetricSnapshot))}
    x_snap = snaps[d1.id]
    assert (x_snap.likes, x_snap.reposts, x_snap.replies, x_snap.quotes, x_snap.impressions, x_snap.bookmarks) == (
        None, None, None, None, None, 3)
    assert len(x_snap.raw) <= 32 and all(len(k) <= 64 for k in x_snap.raw)
    assert snaps[d2.id].likes == 4
    assert len(stored_replies(engine)[d1.id]) == 8  # the replies of the polled post were collected too


def test_reports_and_email_show_strangers_text_harmless(cli, engine_for, engine, platform_account, hostile_replies,
                                                        home, smtp_server):
    """Text, Markdown and HTML reports and the report e-mail carry no escape sequence, control
    character or bidi override (not even from a row an older campaigner stored raw), Markdown
    pings no whole room, and X's entities are shown once escaped, never twice."""
    inbox, port, _ = smtp_server()
    (home / "config" / "campaigner.toml").write_text(
        f'[smtp]\nhost = "127.0.0.1"\nport = {port}\nfrom = "c@kspi.example"\nto = ["h@kspi.example"]\n'
        'starttls = false\n')
    cli.clock.now = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)  # Wednesday of week 48
    (x, d1), (m, d2) = two_posts(cli, engine_for, engine, platform_account, "x")
    sent = hostile_replies(x, d1.remote_id, keys=("controls", "entities", "mentions"))
    cli.ok("metrics", "collect")
    assert len(stored_replies(engine)[d1.id]) == len(sent)
    with Session(engine) as s, s.begin():  # as an older campaigner stored it: escapes and all
        s.add(Reply(delivery_id=d2.id, remote_id="old-1", author="lama\x1b[5m", language="id",
                    text="Setuju \x1b]0;judul\x07banget \x1b[41mTOLAK\x1b[0m \u2066upah\u2069 naik!",
                    created_at=cli.clock.now, collected_at=cli.clock.now, polarity=-0.9, sentiment="negative"))
    outputs = {fmt: cli.ok("report", "weekly", "--week", "2026-W48", "--format", fmt).stdout
               for fmt in ("text", "markdown", "html")}
    cli.clock.now = datetime(2026, 11, 30, 0, 0, tzinfo=timezone.utc)  # Monday 07:00 WIB
    cli.ok("report", "deliver")
    [(_, _, msg)] = inbox.messages
    outputs["e-mail"] = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")  # SMTP's line ends
    for fmt, out in outputs.items():
        assert "\x1b" not in out and not (BIDI & set(out)), fmt
        assert not controls(out), fmt
        assert "banget TOLAK upah naik!" in out, fmt  # the old row, shown cleaned
    for fmt in ("text", "e-mail"):
        assert 'Upah & harga <naik> &amp; "Tapera" — setuju!' in outputs[fmt]
        assert "Setuju upah naik gnp.exe!" in outputs[fmt]
    assert "Upah &amp; harga &lt;naik&gt; &amp;amp; &quot;Tapera&quot; — setuju!" in outputs["html"]
    md = outputs["markdown"]
    assert "@\u200beveryone @\u200bhere @\u200bchannel tolak Tapera" in md
    assert "@everyone" not in md and "@here" not in md and "@channel" not in md


def test_malformed_replies_are_passed_over_and_an_unreadable_answer_stops_only_its_account(
        cli, engine_for, engine, platform_account, caplog):
    """A reply without an id is passed over, one without a readable time counts as seen now; an
    answer the connector cannot read at all skips that account (said in one line), not the next."""
    from tests.fakes.server import Response

    (m1, d1), (m2, d2) = two_posts(cli, engine_for, engine, platform_account, "mastodon")

    def status(sid, content, account, created_at="2026-11-30T00:30:00.000Z", parent=d2.remote_id):
        return {"id": sid, "in_reply_to_id": parent, "created_at": created_at, "content": f"<p>{content}</p>",
                "account": account, "language": "id"}

    m1.fail_next(Response(200, {"ancestors": [], "descendants": [
        status("801", "Setuju!", "bukan-objek", parent=d1.remote_id)]}), path_contains="/context")
    m2.fail_next(Response(200, {"ancestors": [], "descendants": [
        {k: v for k, v in status("", "tanpa id", {"id": "7", "acct": "x"}).items() if k != "id"},
        status("901", "Setuju, upah harus naik!", {"id": "8", "acct": "budi@buruh.social"}, created_at="kemarin"),
        status("902", "Tolak Tapera!", {"id": "9", "acct": "sari@buruh.social"})]}), path_contains="/context")
    with caplog.at_level(logging.ERROR, logger="campaigner"):
        r = cli.ok("metrics", "collect", "--json")
    replies = json.loads(r.stdout)["replies"]
    why = "its answer could not be read (AttributeError: 'str' object has no attribute 'get')"
    assert (replies["new"], replies["skipped_accounts"]) == (2, {"p1": why})
    assert [rec.getMessage() for rec in caplog.records] == [f"a platform's answer could not be read: {why}"]
    got = stored_replies(engine)
    assert d1.id not in got
    assert {(x.remote_id, x.author, x.created_at) for x in got[d2.id]} == {
        ("901", "budi@buruh.social", cli.clock.now),
        ("902", "sari@buruh.social", datetime(2026, 11, 30, 0, 30, tzinfo=timezone.utc))}


def test_account_test_shows_the_platforms_names_harmless(cli, platform_account):
    """The names a server sends back about the account are shown without escapes or bidi controls."""
    fake = platform_account("mastodon", "m1")
    fake.account["display_name"] = "Serikat\x1b]0;judul palsu\x07 \x1b[8mPekerja\x1b[0m \u202eatnusuN\u202c"
    out = cli.ok("account", "test", "m1").stdout
    assert out == "m1: OK — signed in as @spn_pusat (Serikat Pekerja atnusuN), https://sosial.example/@spn_pusat\n"
