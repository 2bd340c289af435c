"""A platform's refusal of the credentials the daily listening counts with is kept in a table of
its own (``listening_refusals``, schema 0019), not as a prefix of the failure's "why" in
``job_runs``: kept while the platform fails for it, gone when it counts again or fails otherwise;
schema 0019 moves the old prefixes into the table and back. Real database (SQLite, and PostgreSQL
with CAMPAIGNER_TEST_DATABASE_URL), the platform fakes over HTTP, the real CLI."""
from __future__ import annotations

import json
from sqlalchemy import text

from campaigner.db import make_engine
from campaigner.secrets import env_name
from tests.monitoring.test_listening import RENEW, RENEW_ID, _status_listening, wib, world  # noqa: F401 (the fixture)


def _refusals(engine) -> list[tuple]:
    """(platform, account, field, refused_at) of each refusal kept (the times read as UTC)."""
    from sqlalchemy import select

    from campaigner.tables import listening_refusals

    with engine.connect() as c:
        return [tuple(r) for r in c.execute(select(listening_refusals).order_by(listening_refusals.c.platform))]


def _why(engine, platform: str) -> str | None:
    with engine.connect() as c:
        return c.execute(text("SELECT ran_by FROM job_runs WHERE name = :n"),
                         {"n": f"listening_failing:{platform}"}).scalar_one_or_none()


def _run(db_url, clock):
    from campaigner.app import App
    from campaigner.config import resolve
    from scheduler.jobs import listening_jobs

    app = App(resolve({"database_url": db_url}), now=clock)
    try:
        return listening_jobs(app, "w1")[0].run(clock.now)
    finally:
        app.close()


def test_a_refusal_is_kept_apart_from_the_why_until_the_platform_counts_again(
        cli, world, db_url, engine, clock, monkeypatch):  # noqa: F811
    from tests.fakes.server import Failure

    monkeypatch.setenv(env_name("x1", "BEARER_TOKEN"), "a-revoked-bearer")  # X answers 401
    first = _run(db_url, clock)
    assert first.ran and [f.split(" ")[0] for f in first.failed] == ["x"]
    assert _refusals(engine) == [("x", "x1", "BEARER_TOKEN", clock.now)]
    why = _why(engine, "x")
    assert "credentials refused" in why and not why.startswith("refused:")  # the "why" is only that
    assert first.failed == [f"x {why} — {RENEW}"]
    lines = _status_listening(cli)
    assert lines[2] == f"  x fails since 2026-11-30 08:00 WIB: {why} — {RENEW}; the worker tries again at " \
                       "2026-11-30 08:15 WIB"
    assert _status_listening(cli, "id")[2].endswith(f" — {RENEW_ID}; proses penerbit mencoba lagi pada "
                                                    "2026-11-30 08:15 WIB")

    # the token renewed, X drops the connection: it fails otherwise, nothing to renew any more
    monkeypatch.setenv(env_name("x1", "BEARER_TOKEN"), world["x"].APP_BEARER)
    world["x"].on_request = lambda req: world["x"].fail_next(Failure.DROP)
    clock.now = wib("2026-11-30 08:15")
    second = _run(db_url, clock)
    assert second.ran and second.failed and "set-secret" not in second.failed[0]
    assert _refusals(engine) == []
    [failing] = json.loads(cli.ok("status", "--json").stdout)["listening"]["failing"]
    assert (failing["platform"], failing["refused"]) == ("x", None)

    # refused again, then X counts: the failure and its refusal are gone
    world["x"].on_request = None
    monkeypatch.setenv(env_name("x1", "BEARER_TOKEN"), "a-revoked-bearer")
    clock.now = wib("2026-11-30 08:30")
    assert _run(db_url, clock).failed
    assert [r[:3] for r in _refusals(engine)] == [("x", "x1", "BEARER_TOKEN")]
    monkeypatch.setenv(env_name("x1", "BEARER_TOKEN"), world["x"].APP_BEARER)
    clock.now = wib("2026-11-30 09:00")
    last = _run(db_url, clock)
    assert last.ran and last.failed == []
    assert _refusals(engine) == []
    assert json.loads(cli.ok("status", "--json").stdout)["listening"]["failing"] == []


def _at_0018_with_failures(url: str):
    """A database at 0018 where X's counting fails for refused credentials (the old prefix) and
    Mastodon's for a rate limit, the day not done yet."""
    from campaigner.migrate import upgrade

    engine = make_engine(url)
    upgrade(engine, "0018_kind_version")
    since = wib("2026-11-30 08:00")
    long_why = "api.x.com: credentials refused (401 Unauthorized) " + "x" * 200
    rows = [("listening", "", since, None), ("listening_failing", "000000020422", since, None),
            ("listening_failing:x", "000000020422", since, ("refused:x1:BEARER_TOKEN " + long_why)[:128]),
            ("listening_failing:mastodon", "000000020422", since, "mastodon.example: rate limited")]
    with engine.begin() as c:
        for name, period, at, by in rows:
            c.execute(text("INSERT INTO job_runs (name, period, ran_at, ran_by) VALUES (:n, :p, :a, :b)"),
                      {"n": name, "p": period, "a": at, "b": by})
    return engine, rows


def test_0019_moves_the_refused_prefix_into_its_table_and_back(cli, empty_db_url):
    from alembic import command

    from campaigner.migrate import alembic_config

    engine, rows = _at_0018_with_failures(empty_db_url)
    kept_x = rows[2][3]
    try:
        assert "upgraded" in cli.ok("--db", empty_db_url, "init").stdout
        assert _refusals(engine) == [("x", "x1", "BEARER_TOKEN", wib("2026-11-30 08:00"))]
        assert _why(engine, "x") == kept_x.removeprefix("refused:x1:BEARER_TOKEN ")
        assert _why(engine, "mastodon") == "mastodon.example: rate limited"
        failing = json.loads(cli.ok("--db", empty_db_url, "status", "--json").stdout)["listening"]["failing"]
        assert [(f["platform"], f["why"], f["refused"]) for f in failing] == [
            ("mastodon", "mastodon.example: rate limited", None),
            ("x", _why(engine, "x"), {"account": "x1", "field": "BEARER_TOKEN"})]
        out = cli.ok("--db", empty_db_url, "status").stdout
        assert f" — {RENEW}; the worker tries again at " in out

        command.downgrade(alembic_config(engine), "0018_kind_version")
        assert _why(engine, "x") == kept_x  # the prefix back, the why as it was (it fitted before)
        assert _why(engine, "mastodon") == "mastodon.example: rate limited"
        with engine.connect() as c:
            assert "listening_refusals" not in {r[0] for r in c.execute(text(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
                if engine.dialect.name == "postgresql" else "SELECT name FROM sqlite_master WHERE type = 'table'"))}
    finally:
        engine.dispose()


def test_0019_downgrade_cuts_a_why_too_long_for_the_prefix(cli, empty_db_url):
    """A "why" kept at 0019 uses the whole column; going back it is cut, with "…", so the prefix
    and it fit in the column's 128 characters."""
    from alembic import command

    from campaigner.migrate import alembic_config, upgrade

    engine = make_engine(empty_db_url)
    try:
        upgrade(engine)
        why = "api.x.com: credentials refused " + "y" * 97
        assert len(why) == 128
        with engine.begin() as c:
            c.execute(text("INSERT INTO job_runs (name, period, ran_at, ran_by) VALUES "
                           "('listening_failing:x', '000000020422', :a, :b)"), {"a": wib("2026-11-30 08:00"), "b": why})
            c.execute(text("INSERT INTO listening_refusals (platform, account, field, refused_at) VALUES "
                           "('x', 'x1', 'BEARER_TOKEN', :a)"), {"a": wib("2026-11-30 08:00")})
        command.downgrade(alembic_config(engine), "0018_kind_version")
        kept = _why(engine, "x")
        assert len(kept) == 128 and kept.startswith("refused:x1:BEARER_TOKEN api.x.com: credentials refused y")
        assert kept.endswith("y…")
        upgrade(engine)  # and forward again: the refusal is back in its table
        assert [r[:3] for r in _refusals(engine)] == [("x", "x1", "BEARER_TOKEN")]
        assert _why(engine, "x") == kept.removeprefix("refused:x1:BEARER_TOKEN ")
    finally:
        engine.dispose()
