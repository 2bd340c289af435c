"""Each reply's kind toward its campaign (issue 12, item 3), stored when replies are collected,
classified again when the campaign's targets change, given to replies stored before schema 0011;
shown by metrics and campaign commands. Real database, Mastodon fake over HTTP, the real CLI."""
from __future__ import annotations

import json

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from campaigner.db import make_engine
from campaigner.models import Campaign, Reply
from tests.engine.conftest import deliveries

REPLIES = {
    "gak setuju sama pemerintah, upah udah kecil malah dipotong lagi": "support",
    "Tapera bagus kok": "oppose",
    "Aksinya kumpul di mana?": "question",
    "nyimak": "other",
}


def _kinds(engine) -> dict[str, tuple[str | None, str | None]]:
    with Session(engine) as s:
        return {r.text: (r.kind, r.kind_reason) for r in s.scalars(select(Reply))}


def _published_with_replies(cli, engine_for, engine, platform_account, replies=REPLIES):
    fake = platform_account("mastodon", "m1")
    cli.ok("campaign", "add", "tapera", "--name", "Tolak Tapera", "--against", "Tapera", "--against",
           "potongan upah", "--for", "upah layak")
    cli.ok("post", "add", "Tolak potongan Tapera!", "--to", "m1", "--now", "--campaign", "tapera")
    engine_for().publish_all_due()
    [d] = deliveries(engine)
    for n, body in enumerate(replies):
        fake.add_reply(d.remote_id, f"user{n}@buruh.social", body, cli.clock.now)
    cli.clock.advance(minutes=5)
    return fake, d


def test_replies_get_their_kind_toward_the_campaign_and_again_when_its_targets_change(
        cli, engine_for, engine, platform_account):
    _published_with_replies(cli, engine_for, engine, platform_account)
    lines = cli.ok("metrics", "collect").stdout.splitlines()
    assert "New replies by kind: 1 question, 1 support, 1 oppose, 1 other." in lines
    got = _kinds(engine)
    assert {t: k for t, (k, _) in got.items()} == REPLIES
    assert got["Tapera bagus kok"][1] == "oppose: learned: praise at against +1.2, 'kok' +1.0, cue praise +0.6"
    assert "  replies stored: 1 question, 1 support, 1 oppose, 1 other" in cli.ok("metrics", "show", "1").stdout
    [row] = json.loads(cli.ok("metrics", "show", "1", "--json").stdout)
    assert row["replies"] == {"question": 1, "support": 1, "oppose": 1, "other": 1}

    # the campaign is no longer against Tapera by name: praise of it is no stance any more
    r = cli.ok("campaign", "edit", "tapera", "--against", "potongan upah")
    assert r.stdout == ("Updated campaign tapera. Its 4 replies were classified again toward its new targets "
                        "(1 changed kind).\n")
    assert _kinds(engine)["Tapera bagus kok"] == ("other", "other: learned: a short reply +1.3, praise at none +0.8, 'bagus' +0.3")
    show = cli.ok("campaign", "show", "tapera").stdout
    assert "against:        potongan upah\n" in show and "for:            upah layak\n" in show
    assert "replies:        1 question, 1 support, 2 other\n" in show
    data = json.loads(cli.ok("campaign", "show", "tapera", "--json").stdout)
    assert (data["against"], data["for"], data["replies"]) == (["potongan upah"], ["upah layak"],
                                                              {"question": 1, "support": 1, "other": 2})
    # an edit that leaves the targets as they are classifies nothing again
    assert cli.ok("campaign", "edit", "tapera", "--name", "Tolak Tapera 2027").stdout == "Updated campaign tapera.\n"
    assert "against potongan upah; for upah layak" in cli.ok("campaign", "list").stdout


def test_a_reason_longer_than_its_column_is_cut_and_stored(cli, engine_for, engine, platform_account):
    long_word = "Tolak" + "k" * 400
    _published_with_replies(cli, engine_for, engine, platform_account, {f"{long_word} Tapera!!": "support"})
    cli.ok("metrics", "collect")
    [(kind, reason)] = _kinds(engine).values()
    assert kind == "support" and reason.startswith("support: learned: ") and len(reason) <= 255


def test_campaign_targets_bad_input_is_one_line_and_changes_nothing(cli, engine):
    cli.ok("campaign", "add", "tapera", "--name", "Tolak Tapera", "--against", "Tapera")
    cases = [
        (["campaign", "add", "upah", "--name", "Upah", "--against", " "],
         'Error: one --against target is empty — give a word or phrase, e.g. --against "Tapera"\n', 1),
        (["campaign", "add", "upah", "--name", "Upah", "--for", "x" * 101],
         f"Error: the --for target '{'x' * 39}…' is too long (101 characters; at most 100) — give the word or "
         "short phrase people write\n", 1),
        (["campaign", "add", "upah", "--name", "Upah", "--against", "Upah murah", "--for", "upah MURAH"],
         "Error: 'Upah murah' is both --against and --for — keep it on one side\n", 1),
        (["campaign", "add", "upah", "--name", "Upah", "--against", "51"],
         "Error: the --against target '51' has no word in it — give a word or phrase, e.g. --against \"Tapera\"\n", 1),
        (["campaign", "add", "upah", "--name", "Upah", *sum((["--against", f"t{i}a"] for i in range(21)), [])],
         "Error: too many --against targets (21; at most 20) — keep the main ones\n", 1),
        (["campaign", "edit", "tapera"],
         "Error: nothing to change: give --name, --issue, --hashtag, --start, --end, --against, --for or "
         "--compare-tag — see "
         "`campaigner campaign edit --help`\n", 2),
        (["campaign", "edit", "tapera", "--against", "x", "--no-against"],
         "Error: --against and --no-against contradict each other — see `campaigner campaign edit --help`\n", 2),
        (["campaign", "edit", "tapera", "--for", "Tapera"],
         "Error: 'Tapera' is both --against and --for — keep it on one side\n", 1),
        (["campaign", "edit", "tapera", "--name", "New", "--start", "2027-02-01", "--end", "2027-01-01"],
         "Error: campaign ends (2027-01-01) before it starts (2027-02-01) — check --start and --end\n", 1),
        (["campaign", "edit", "nope", "--name", "x"], "Error: no campaign 'nope' — see `campaigner campaign list`\n", 1),
    ]
    for args, message, code in cases:
        r = cli(*args)
        assert (r.exit_code, r.stdout, r.stderr) == (code, "", message), args
    with Session(engine) as s:
        [c] = s.scalars(select(Campaign))
        assert (c.name, c.targets_against, c.targets_for, c.start_date) == ("Tolak Tapera", ["Tapera"], [], None)


def test_campaign_edit_changes_and_clears_fields(cli, engine):
    cli.ok("campaign", "add", "tapera", "--name", "Tolak Tapera", "--hashtag", "TolakTapera", "--issue", "iuran",
           "--against", "Tapera", "--for", "rumah layak")
    cli.ok("campaign", "edit", "tapera", "--hashtag", "#BatalkanTapera", "--issue", "", "--start", "2027-01-01",
           "--no-auto-hashtags", "--no-for", "--against", "Tapera", "--against", "  potongan   upah ")
    data = json.loads(cli.ok("campaign", "show", "tapera", "--json").stdout)
    assert {k: data[k] for k in ("hashtags", "issue", "start", "auto_hashtags", "against", "for")} == {
        "hashtags": ["#BatalkanTapera"], "issue": None, "start": "2027-01-01", "auto_hashtags": False,
        "against": ["Tapera", "potongan upah"], "for": []}
    cli.ok("campaign", "edit", "tapera", "--no-hashtags", "--start", "", "--no-against")
    data = json.loads(cli.ok("campaign", "show", "tapera", "--json").stdout)
    assert (data["hashtags"], data["start"], data["against"]) == ([], None, [])


def test_replies_stored_before_schema_0011_are_classified(cli, empty_db_url):
    """A database at 0010 with replies: ``init`` upgrades it and gives each reply its kind toward
    its campaign (which has no targets yet: the government and employers still are)."""
    from campaigner.migrate import upgrade

    engine = make_engine(empty_db_url)
    upgrade(engine, "0010_meta")
    t = "'2026-11-30 02:00:00+00:00'"
    rows = [f"INSERT INTO accounts (id, name, platform, status, created_at) VALUES (1, 'm1', 'mastodon', 'active', {t})",
            f"INSERT INTO campaigns (id, slug, name, hashtags, auto_hashtags, created_at) "
            f"VALUES (1, 'tapera', 'Tolak Tapera', '[]', true, {t})",
            f"INSERT INTO posts (id, campaign_id, text, is_thread, variants, created_at, updated_at) "
            f"VALUES (1, 1, 'Tolak Tapera', false, '{{}}', {t}, {t})",
            f"INSERT INTO posts (id, text, is_thread, variants, created_at, updated_at) "
            f"VALUES (2, 'Tanpa kampanye', false, '{{}}', {t}, {t})"]
    for post in (1, 2):
        rows.append(f"INSERT INTO deliveries (id, post_id, account_id, status, due_at, slot_based, attempt_count, "
                    f"created_at, updated_at) VALUES ({post}, {post}, 1, 'published', {t}, false, 0, {t}, {t})")
    for rid, (did, body) in enumerate([(1, "gak setuju sama pemerintah"), (1, "kapan aksinya?"),
                                       (2, "serikat cuma cari duit")], 1):
        rows.append(f"INSERT INTO replies (id, delivery_id, remote_id, author, text, created_at, collected_at) "
                    f"VALUES ({rid}, {did}, 'r{rid}', 'a', '{body}', {t}, {t})")
    with engine.begin() as c:
        for row in rows:
            c.execute(text(row))
    r = cli.ok("--db", empty_db_url, "init")
    assert "Classified 3 stored replies by kind (question, support, oppose, other).\n" in r.stdout
    with engine.connect() as c:
        got = c.execute(text("SELECT id, kind, kind_reason FROM replies ORDER BY id")).all()
    assert [tuple(g) for g in got] == [
        (1, "support", "support: learned: names adversary +0.7, 'pemerintah' +0.6, '^tidak' +0.5"),
        (2, "question", "question: learned: '?' +2.2, 'kapan' +1.0, 'aksinya' +0.5"),
        (3, "oppose", "oppose: learned: cue attack +1.4, names union +1.3, '^serikat' +0.8")]
    assert "Classified" not in cli.ok("--db", empty_db_url, "init").stdout  # nothing left to do
    engine.dispose()


def test_collecting_replies_classifies_those_left_without_a_kind(cli, app, engine_for, engine, platform_account):
    from campaigner.services.replies import collect_replies

    _published_with_replies(cli, engine_for, engine, platform_account)
    collect_replies(app)
    with engine.begin() as c:
        c.execute(text("UPDATE replies SET kind = NULL, kind_reason = NULL"))
    # this process found none left to judge at the first collection: it looks again once a reply
    # is stored, or after RECHECK_AFTER (the kinds were dropped behind its back, with no new reply)
    cli.clock.advance(hours=1)
    report = collect_replies(app)
    assert (report.new, report.classified) == (0, 4)
    assert {t: k for t, (k, _) in _kinds(engine).items()} == REPLIES
