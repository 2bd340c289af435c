"""A new release's reply classifier judges again the replies an older one judged: each reply's kind
keeps the version of the classifier that decided it (``content.classifier_version``, schema
0018); ``campaigner replies reclassify``, the engine's polls (a batch, the newest first) and
collecting replies judge again those of another version, keeping their inbox state. Real
database (SQLite, and PostgreSQL with CAMPAIGNER_TEST_DATABASE_URL), the Mastodon fake over HTTP,
the real CLI."""
from __future__ import annotations

import shutil
from importlib import resources
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from campaigner.db import make_engine
from content import classifier_version
from tests.monitoring.test_stance_replies import REPLIES, _published_with_replies

OLD = "0ld0ld0ld0ld"
ID = {"CAMPAIGNER_LANG": "id"}


def _rows(engine) -> dict[str, tuple]:
    with engine.connect() as c:
        return {t: (k, v, st) for t, k, v, st in c.execute(text("SELECT text, kind, kind_version, state FROM replies"))}


def _judged_by_an_old_classifier(engine, texts: dict[str, str]) -> None:
    """What an older release left: ``texts`` with the kind it gave them, and its version."""
    with engine.begin() as c:
        for body, kind in texts.items():
            c.execute(text("UPDATE replies SET kind = :kind, kind_reason = :reason, kind_version = :v "
                           "WHERE text = :text"), {"kind": kind, "reason": f"{kind}: old rules", "v": OLD, "text": body})


def test_the_version_is_a_hash_of_the_classifiers_files_read_at_run_time(tmp_path):
    copy = tmp_path / "content"
    shutil.copytree(Path(str(resources.files("content"))), copy, ignore=shutil.ignore_patterns("__pycache__"))
    assert classifier_version.version_of(copy) == classifier_version.current()
    seen = {classifier_version.current()}
    for part in ("data/stance_weights.tsv", "data/stance_lexicon.tsv", "stance.py"):
        path = copy / part
        path.write_bytes(path.read_bytes() + b"\n")  # a retrained weight, a new word, a new rule
        seen.add(classifier_version.version_of(copy))
    assert len(seen) == 4 and all(len(v) == 12 for v in seen)
    (copy / "data" / "stance_weights.tsv").unlink()
    assert classifier_version.version_of(copy) not in seen  # missing is a version of its own, not an error


def test_reclassify_judges_again_what_another_classifier_judged_and_keeps_the_inbox_state(
        cli, engine_for, engine, platform_account):
    _published_with_replies(cli, engine_for, engine, platform_account)
    cli.ok("metrics", "collect")
    version = classifier_version.current()
    assert {t: (k, v) for t, (k, v, _) in _rows(engine).items()} == {t: (k, version) for t, k in REPLIES.items()}
    assert cli.ok("replies", "reclassify").stdout == (
        "Every reply was judged by this version of the classifier: nothing to do.\n")

    # an older release called praise of Tapera support and "nyimak" other (as this one does)
    _judged_by_an_old_classifier(engine, {"Tapera bagus kok": "support", "nyimak": "other"})
    with engine.connect() as c:
        ids = dict(c.execute(text("SELECT text, id FROM replies")).all())
    cli.ok("replies", "dismiss", str(ids["Tapera bagus kok"]))
    with engine.connect() as c:
        before = c.execute(text("SELECT state_at FROM replies WHERE text = 'Tapera bagus kok'")).scalar_one()

    assert cli.ok("replies", "reclassify").stdout == "Judged 2 replies again: 1 changed kind.\n"
    rows = _rows(engine)
    assert {t: k for t, (k, _, _) in rows.items()} == REPLIES
    assert {v for _, v, _ in rows.values()} == {version}
    assert rows["Tapera bagus kok"][2] == "dismissed"  # a person handled it: that stays
    with engine.connect() as c:
        assert c.execute(text("SELECT state_at FROM replies WHERE text = 'Tapera bagus kok'")).scalar_one() == before
        assert c.execute(text("SELECT kind_reason FROM replies WHERE text = 'nyimak'")).scalar_one() != "other: old rules"
    assert "nothing to do" in cli.ok("replies", "reclassify").stdout


def test_reclassify_judges_the_sentiment_again_too(cli, engine_for, engine, platform_account):
    """The version covers the sentiment lexicon: a reply an older release judged gets this one's
    tone as well as its kind (as if it had been stored today)."""
    _published_with_replies(cli, engine_for, engine, platform_account)
    cli.ok("metrics", "collect")
    tone = "SELECT text, language, polarity, sentiment FROM replies WHERE NOT ours ORDER BY id"
    with engine.connect() as c:
        today = c.execute(text(tone)).all()
        c.execute(text("UPDATE replies SET polarity = 0.99, sentiment = 'positive', kind_version = :v"), {"v": OLD})
        c.commit()
    assert cli.ok("replies", "reclassify").stdout == f"Judged {len(today)} replies again: 0 changed kind.\n"
    with engine.connect() as c:
        assert c.execute(text(tone)).all() == today
    assert {s for *_, s in today} != {"positive"}  # the test would prove nothing otherwise


def test_reclassify_of_one_campaign_and_bad_input(cli, engine_for, engine, platform_account):
    _published_with_replies(cli, engine_for, engine, platform_account)
    cli.ok("metrics", "collect")
    cli.ok("campaign", "add", "upah", "--name", "Upah Layak")
    _judged_by_an_old_classifier(engine, {"Tapera bagus kok": "support"})
    assert "nothing to do" in cli.ok("replies", "reclassify", "--campaign", "upah").stdout
    assert _rows(engine)["Tapera bagus kok"][:2] == ("support", OLD)
    assert cli.ok("replies", "reclassify", "--campaign", "Tolak Tapera").stdout == (
        "Judged 1 reply again: 1 changed kind.\n")
    assert _rows(engine)["Tapera bagus kok"][:2] == ("oppose", classifier_version.current())
    with engine.connect() as c:
        kept = c.execute(text("SELECT id, kind, kind_reason, kind_version, state FROM replies ORDER BY id")).all()
    r = cli("replies", "reclassify", "--campaign", "nope")
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", "Error: no campaign 'nope' — see `campaigner campaign list`\n")
    with engine.connect() as c:
        assert c.execute(text("SELECT id, kind, kind_reason, kind_version, state FROM replies ORDER BY id")).all() == kept


def test_reclassify_in_indonesian(cli, engine_for, engine, platform_account):
    _published_with_replies(cli, engine_for, engine, platform_account)
    cli.ok("metrics", "collect")
    _judged_by_an_old_classifier(engine, {"Tapera bagus kok": "support", "nyimak": "other"})
    out = cli.ok("replies", "reclassify", env=ID).stdout
    assert out == "2 balasan dinilai ulang: 1 berganti jenis.\n"
    assert cli.ok("replies", "reclassify", env=ID).stdout == (
        "Semua balasan sudah dinilai oleh versi pengklasifikasi ini: tidak ada yang perlu dikerjakan.\n")


def test_the_engine_judges_again_a_batch_per_poll_the_newest_first(cli, app, engine_for, engine, platform_account,
                                                                    monkeypatch):
    from campaigner.services import replies
    from scheduler.jobs import monitoring_jobs

    _published_with_replies(cli, engine_for, engine, platform_account)
    cli.ok("metrics", "collect")
    _judged_by_an_old_classifier(engine, {t: "other" for t in REPLIES})
    monkeypatch.setattr(replies, "RECLASSIFY_PER_RUN", 3)  # a small batch, to see which go first
    assert replies.judged_elsewhere_count(app) == 4

    # the metrics are not due again yet: the poll collects nothing, and judges a batch again
    [job] = monitoring_jobs(app, "w1")
    job.run(cli.clock.now)
    with engine.connect() as c:
        got = c.execute(text("SELECT id, kind_version FROM replies ORDER BY id")).all()
    version = classifier_version.current()
    assert [v for _, v in got] == [OLD, version, version, version]  # the newest three
    assert replies.judged_elsewhere_count(app) == 1

    # collecting replies (nothing new) judges the rest
    report = replies.collect_replies(app)
    assert (report.new, report.classified) == (0, 1)
    assert {t: k for t, (k, _, _) in _rows(engine).items()} == REPLIES
    assert replies.judged_elsewhere_count(app) == 0


def test_replies_stored_before_0018_are_judged_again_and_downgrading_keeps_them(cli, empty_db_url):
    """A database at 0017 with replies judged by the classifier of its day: ``init`` upgrades it
    and says how many are to be judged again; ``replies reclassify`` does it. Downgrading to 0017
    drops the version and keeps every reply, on both backends."""
    from alembic import command

    from campaigner.migrate import alembic_config, upgrade

    engine = make_engine(empty_db_url)
    upgrade(engine, "0017_snapshot_order")
    t = "'2026-11-30 02:00:00+00:00'"
    rows = [f"INSERT INTO accounts (id, name, platform, status, created_at) VALUES (1, 'm1', 'mastodon', 'active', {t})",
            f"INSERT INTO campaigns (id, slug, name, hashtags, auto_hashtags, created_at, targets_against) "
            f"VALUES (1, 'tapera', 'Tolak Tapera', '[]', true, {t}, '[\"Tapera\"]')",
            f"INSERT INTO posts (id, campaign_id, text, is_thread, variants, created_at, updated_at) "
            f"VALUES (1, 1, 'Tolak Tapera', false, '{{}}', {t}, {t})",
            f"INSERT INTO deliveries (id, post_id, account_id, status, due_at, slot_based, attempt_count, "
            f"created_at, updated_at) VALUES (1, 1, 1, 'published', {t}, false, 0, {t}, {t})"]
    for rid, (body, kind, state) in enumerate([("Tapera bagus kok", "support", "answered"),
                                               ("kapan aksinya?", "question", "new"),
                                               ("nyimak", "other", "dismissed")], 1):
        rows.append(f"INSERT INTO replies (id, delivery_id, remote_id, author, text, created_at, collected_at, kind, "
                    f"kind_reason, state) VALUES ({rid}, 1, 'r{rid}', 'a', '{body}', {t}, {t}, '{kind}', 'old', "
                    f"'{state}')")
    with engine.begin() as c:
        for row in rows:
            c.execute(text(row))
    out = cli.ok("--db", empty_db_url, "init").stdout
    assert ("3 stored replies were judged by another version of the reply classifier: the engine judges them again "
            "a batch at a time (the newest first), or run `campaigner replies reclassify` to do it now.\n") in out
    assert cli.ok("--db", empty_db_url, "replies", "reclassify").stdout == "Judged 3 replies again: 1 changed kind.\n"
    with engine.connect() as c:
        assert c.execute(text("SELECT kind, kind_version, state FROM replies ORDER BY id")).all() == [
            ("oppose", classifier_version.current(), "answered"), ("question", classifier_version.current(), "new"),
            ("other", classifier_version.current(), "dismissed")]
    assert "judged by another version" not in cli.ok("--db", empty_db_url, "init").stdout

    command.downgrade(alembic_config(engine), "0017_snapshot_order")
    with engine.connect() as c:
        assert c.execute(text("SELECT kind, state FROM replies ORDER BY id")).all() == [
            ("oppose", "answered"), ("question", "new"), ("other", "dismissed")]
    assert "upgraded" in cli.ok("--db", empty_db_url, "init").stdout
    engine.dispose()


def test_a_poll_with_none_left_does_not_search_until_a_reply_arrives_the_version_changes_or_an_hour_passes(
        cli, app, engine_for, engine, platform_account, monkeypatch):
    """The engine polls every 10 minutes: once a search found no reply judged by another classifier,
    the next polls do not search the replies again (they read the newest reply's id) until a reply
    is stored (here by a worker of an older release), this process's classifier version changes,
    or ``RECHECK_AFTER`` passed (an older worker judged a stored reply again: no new id)."""
    from sqlalchemy import event

    from campaigner.services import replies
    from scheduler.jobs import monitoring_jobs

    _published_with_replies(cli, engine_for, engine, platform_account)
    cli.ok("metrics", "collect")
    searches = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().startswith("SELECT") and "kind_version" in statement:
            searches.append(statement)

    event.listen(app.engine, "before_cursor_execute", listen)
    [job] = monitoring_jobs(app, "w1")

    looked = []

    def poll() -> int:
        """Polls once more; how many polls have searched the replies so far."""
        cli.clock.advance(minutes=10)  # the job runs once per 10-minute period
        before = len(searches)
        job.run(cli.clock.now)
        looked.append(len(searches) > before)
        return sum(looked)

    assert poll() == 1  # the first poll looks, finds none left
    assert poll() == 1 and poll() == 1  # and the next ones do not look again
    assert replies.RECHECK_AFTER == timedelta(hours=1)

    # a worker of an older release stores a reply with its own judgement: a new id
    with engine.begin() as c:
        c.execute(text("INSERT INTO replies (delivery_id, remote_id, author, text, created_at, collected_at, kind, "
                       "kind_reason, kind_version, ours, state) SELECT delivery_id, 'old-1', 'a', 'Tolak Tapera!', "
                       "created_at, collected_at, 'other', 'old', :v, false, 'new' FROM replies LIMIT 1"), {"v": OLD})
    assert poll() == 2
    assert _rows(engine)["Tolak Tapera!"][1] == classifier_version.current()  # judged by this one now
    assert poll() == 2

    # an older worker judges a stored reply again (no new id): seen within RECHECK_AFTER
    _judged_by_an_old_classifier(engine, {"nyimak": "support"})
    assert poll() == 2 and _rows(engine)["nyimak"][:2] == ("support", OLD)
    for _tick in range(4):
        poll()
    assert sum(looked) == 3 and looked[-6:] == [False] * 5 + [True]  # an hour after the last search
    assert _rows(engine)["nyimak"][:2] == ("other", classifier_version.current())

    # this process's classifier changes (a release installed under a running worker): it looks
    monkeypatch.setattr(classifier_version, "current", lambda: "n3wn3wn3wn3w")
    assert poll() == 4
    assert {v for _, v, _ in _rows(engine).values()} == {"n3wn3wn3wn3w"}
    assert poll() == 4
