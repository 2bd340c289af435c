"""The weekly report selects its week's deliveries by status and ``published_at`` (and ``status``
counts those of the last day): schema 0019's ``ix_deliveries_status_published`` is what their plans
read, on SQLite (``EXPLAIN QUERY PLAN``, no statistics: as campaigner runs) and PostgreSQL
(``EXPLAIN``, sequential scans off: a handful of rows would be read whole anyway). The statements are those campaigner really sends, captured while it
builds the report (bench/published_at_plans.py shows the plans and times on 50,000 deliveries)."""
from __future__ import annotations

import re

from sqlalchemy import event

INDEX = "ix_deliveries_status_published"


def _statements(app, call) -> list[tuple[str, object]]:
    """The statements ``call()`` sends that select deliveries by a range of ``published_at``."""
    seen = []

    def listen(conn, cursor, statement, parameters, context, executemany):
        if not executemany and re.search(r"deliveries\.published_at\s*(>=|>)", statement):
            seen.append((statement, parameters))

    event.listen(app.engine, "before_cursor_execute", listen)
    try:
        call()
    finally:
        event.remove(app.engine, "before_cursor_execute", listen)
    return seen


def _plan(engine, sql: str, params) -> str:
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        if engine.dialect.name == "sqlite":
            cur.execute("EXPLAIN QUERY PLAN " + sql, params)
            return "\n".join(str(row[-1]) for row in cur.fetchall())
        cur.execute("SET LOCAL enable_seqscan = off")
        cur.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cur.fetchall())
    finally:
        raw.rollback()
        raw.close()


def test_the_reports_week_and_the_status_count_read_the_published_at_index(cli, app, engine_for, platform_account):
    from campaigner.services.report import build_weekly
    from campaigner.services.status import status

    platform_account("mastodon", "m1")
    for word in ("Satu", "Dua", "Tiga"):
        cli.ok("post", "add", f"Tolak Tapera: {word}", "--to", "m1", "--now")
    assert len(engine_for().publish_all_due().published) == 3

    week = _statements(app, lambda: build_weekly(app, week="2026-W49"))
    assert week, "the report selects its week by published_at"
    plans = [_plan(app.engine, sql, params) for sql, params in week]
    # SQLite plans by rules (no statistics): every one reads the range; PostgreSQL weighs the costs of
    # three rows, and reaches some through their posts
    used = [INDEX in plan for plan in plans]
    assert all(used) if app.engine.dialect.name == "sqlite" else any(used), "\n\n".join(plans)

    [recent] = _statements(app, lambda: status(app, cli.clock.now))
    assert INDEX in _plan(app.engine, *recent)
