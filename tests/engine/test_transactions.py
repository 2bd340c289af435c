"""On SQLite every write the engine makes is in a transaction begun with ``BEGIN IMMEDIATE`` (the
write lock taken at once), as ``db.write`` does: a deferred ``BEGIN`` that later writes can fail
at once with "database is locked" when another process wrote meanwhile."""
from __future__ import annotations

import pytest
from sqlalchemy import event

from campaigner.models import DeliveryStatus as S
from tests.engine.conftest import deliveries


def test_every_engine_write_on_sqlite_takes_the_write_lock_first(cli, app, engine_for, engine, platform_account):
    if app.engine.dialect.name != "sqlite":
        pytest.skip("BEGIN IMMEDIATE is SQLite's; PostgreSQL locks rows")
    fake = platform_account("mastodon", "m1")
    cli.ok("account", "add", "sandbox", "s1")
    cli.ok("account", "add", "sandbox", "s2")
    cli.ok("post", "add", "Satu", "--to", "m1,s1,s2", "--now")
    cli.ok("post", "add", "Dua", "--to", "m1,s1", "--now")
    cli.ok("post", "add", "Tiga", "--to", "m1", "--now")
    begun: dict[int, str] = {}  # DBAPI connection → how its current transaction began
    seen: list[tuple[str, str]] = []

    def record(conn, cursor, statement, *_):
        word = statement.split()[0].upper()
        if word == "BEGIN":
            begun[id(cursor.connection)] = statement.strip().upper()
        elif word in ("INSERT", "UPDATE", "DELETE"):
            seen.append((word, begun.get(id(cursor.connection), "autocommit")))
    event.listen(app.engine, "before_cursor_execute", record)
    try:
        dead = engine_for("dead")
        claimed = dead._take(set())  # m1, the most overdue (first added): a worker that dies mid-call
        dead._start_attempt(claimed.deliveries[0].id, 0, "publish")
        cli.clock.advance(minutes=11)
        fake.server_error_next(503)
        report = engine_for("live").run_pass()  # recovery; on m1 a retry, the next one given back unused
    finally:
        event.remove(app.engine, "before_cursor_execute", record)
    assert report.recovered == 3 and report.retrying == [4] and sorted(report.published) == [2, 3, 5]
    assert [d.status for d in deliveries(engine)] == [S.UNCONFIRMED, S.PUBLISHED, S.PUBLISHED, S.QUEUED,
                                                     S.PUBLISHED, S.QUEUED]
    assert {w for w, _ in seen} == {"INSERT", "UPDATE"}
    assert {how for _, how in seen} == {"BEGIN IMMEDIATE"}, seen
