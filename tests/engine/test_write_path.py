"""The publishing hot path's write transactions: a call's outcome rides with the next delivery's
attempt start (one write transaction per delivery), and what exactly-once needs still holds — the
attempt is committed before its call, the previous outcome before the next call, counts see
outcomes in hand, and an outcome lost with its worker is looked for, never re-sent."""
from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import event, func, insert, select, text
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from campaigner.db import make_engine
from campaigner.models import Alert, Attempt, Delivery, DeliveryPart, DeliveryStatus as S
from scheduler.engine import RECONCILE_DELAY
from scheduler.writes import Writes
from tests.engine.conftest import deliveries


def _track_transactions(app) -> list[list[str]]:
    """Every committed transaction on the app's engine, as the SQL statements it ran (either backend:
    SQLAlchemy's begin/commit events, not the text of BEGIN)."""
    committed: list[list[str]] = []
    open_: dict[int, list[str]] = {}

    def begin(conn):
        open_[id(conn)] = []

    def execute(conn, cursor, statement, *_):
        if id(conn) in open_:
            open_[id(conn)].append(" ".join(statement.split()[:3]).upper())

    def commit(conn):
        committed.append(open_.pop(id(conn), []))

    event.listen(app.engine, "begin", begin)
    event.listen(app.engine, "before_cursor_execute", execute)
    event.listen(app.engine, "commit", commit)
    return committed


def test_a_delivery_costs_one_write_transaction(cli, app, engine_for, engine, platform_account):
    platform_account("mastodon", "m1")
    for word in ("Satu", "Dua", "Tiga", "Empat", "Lima"):
        cli.ok("post", "add", f"Tolak outsourcing: {word}", "--to", "m1", "--now")
    committed = _track_transactions(app)
    assert sorted(engine_for().run_pass().published) == [1, 2, 3, 4, 5]
    # (ends an attempt, starts one) for each transaction that touches attempts: each attempt start
    # carries the previous call's outcome, and the last outcome is written before the account is let go
    on_attempts = [("UPDATE ATTEMPTS SET" in tx, "INSERT INTO ATTEMPTS" in tx) for tx in committed
                   if "UPDATE ATTEMPTS SET" in tx or "INSERT INTO ATTEMPTS" in tx]
    assert on_attempts == [(False, True)] + [(True, True)] * 4 + [(True, False)]
    assert [(d.status, [a.outcome for a in d.attempts]) for d in deliveries(engine)] == [
        (S.PUBLISHED, ["published"])] * 5


def test_each_call_finds_its_attempt_and_every_earlier_outcome_committed(cli, app, clock, engine_for, engine,
                                                                         platform_account):
    fake = platform_account("mastodon", "m1")
    for word in ("Satu", "Dua", "Tiga"):
        cli.ok("post", "add", f"Kawal UMP 2027: {word}", "--to", "m1", "--now")
    cli.ok("post", "add", "Utas A\n---\nUtas B\n---\nUtas C", "--thread", "--to", "m1", "--now")
    seen = []

    def snapshot(req):  # what another connection sees in the database while the create is in flight
        if req.method == "POST" and req.path == "/api/v1/statuses":
            with Session(engine) as s:
                attempts = s.execute(select(Attempt.finished_at.is_(None), Attempt.outcome)).all()
                published = s.scalar(select(Delivery.id).where(Delivery.status == S.PUBLISHED).order_by(
                    Delivery.id.desc()).limit(1))
                parts_out = len(s.scalars(select(DeliveryPart.id).where(DeliveryPart.remote_id.is_not(None))).all())
            seen.append((req.json()["status"], sorted(attempts), published, parts_out))
    fake.on_request = snapshot
    assert engine_for().run_pass().published == [1, 2, 3, 4]
    assert seen == [
        ("Kawal UMP 2027: Satu", [(True, None)], None, 0),
        ("Kawal UMP 2027: Dua", [(False, "published"), (True, None)], 1, 1),
        ("Kawal UMP 2027: Tiga", [(False, "published")] * 2 + [(True, None)], 2, 2),
        ("Utas A", [(False, "published")] * 3 + [(True, None)], 3, 3),
        ("Utas B", [(False, "published")] * 4 + [(True, None)], 3, 4),  # part A recorded before part B goes
        ("Utas C", [(False, "published")] * 5 + [(True, None)], 3, 5),
    ]
    assert fake.create_count() == 6


def test_a_new_local_day_mid_batch_counts_the_outcome_in_hand(cli, app, clock, engine_for, engine,
                                                               platform_account):
    fake = platform_account("mastodon", "m1")
    clock.now = datetime(2026, 11, 30, 16, 40, tzinfo=timezone.utc)  # 23:40 WIB
    cli.ok("post", "add", "Sebelum tengah malam", "--to", "m1", "--now")
    cli.ok("post", "add", "Sesudah tengah malam", "--to", "m1", "--now")
    cli.ok("account", "edit", "m1", "--min-spacing", "30")

    def slow_first_call(req):  # the first create takes until 00:10 WIB: the engine recounts on a new day
        if req.method == "POST" and fake.create_count() == 0:
            clock.advance(minutes=30)
    fake.on_request = slow_first_call
    report = engine_for().run_pass()
    assert report.published == [1] and report.deferred == [2]
    first, second = deliveries(engine)
    assert first.published_at == datetime(2026, 11, 30, 17, 10, tzinfo=timezone.utc)
    assert second.status == S.QUEUED and second.due_at == first.published_at + timedelta(minutes=30)
    assert second.last_error == "moved to 2026-12-01 00:40 WIB: keeps 30 min after the previous post"
    assert fake.create_count() == 1


def test_an_outcome_lost_with_its_worker_is_looked_for_not_sent_again(cli, app, clock, engine_for, engine,
                                                                       platform_account):
    fake = platform_account("mastodon", "m1")
    cli.ok("post", "add", "Upah layak untuk semua", "--to", "m1", "--now")
    cli.ok("post", "add", "Hapus outsourcing", "--to", "m1", "--now")
    dead = engine_for("dead")
    batch = dead._take(set())
    d1 = batch.deliveries[0]
    # the call went out and its outcome waits for the next write, which never comes: the worker dies
    assert dead._process(d1, batch) == "published" and fake.create_count() == 1
    assert [(d.status, [a.finished_at for a in d.attempts]) for d in deliveries(engine)] == [
        (S.PUBLISHING, [None]), (S.PUBLISHING, [])]
    live = engine_for("live")
    clock.advance(minutes=11)
    report = live.run_pass()
    assert report.recovered == 2 and report.published == [2]
    clock.advance(seconds=RECONCILE_DELAY.total_seconds())
    assert live.run_pass().published == [1]
    first, second = deliveries(engine)
    assert [(a.worker, a.kind, a.outcome) for a in first.attempts] == [
        ("dead", "publish", "unknown"), ("live", "reconcile", "found")]
    assert first.status == second.status == S.PUBLISHED and first.remote_id in fake.posts()
    assert fake.create_count() == 2 and sorted(fake.posts().values()) == ["Hapus outsourcing",
                                                                          "Upah layak untuk semua"]


def test_threads_of_one_engine_take_turns_for_the_sqlite_writer(db_url, clock):
    """With no busy timeout at all, SQLite refuses a second writer at once ("database is locked"):
    the threads of one engine never get there, as they wait for each other on a lock."""
    if not db_url.startswith("sqlite"):
        pytest.skip("SQLite's one writer; PostgreSQL writers lock rows")
    engine = make_engine(db_url)
    event.listen(engine, "connect", lambda dbapi_conn, _: dbapi_conn.execute("PRAGMA busy_timeout = 0"))
    writes = Writes(engine)
    refused: list[OperationalError] = []

    def write_many(thread: int) -> None:
        for i in range(50):
            try:
                with writes.begin() as conn:
                    conn.execute(insert(Alert).values(created_at=clock.now, kind="failed", message=f"{thread}/{i}"))
            except OperationalError as exc:
                refused.append(exc)
    threads = [threading.Thread(target=write_many, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with Session(engine) as s:
        written = s.scalar(select(func.count(Alert.id)))
    engine.dispose()
    assert refused == [] and written == 200


def test_an_outcome_in_hand_survives_a_transaction_that_fails(db_url, clock):
    """The outcome waiting for the thread's next transaction (say, a post that went out) is not lost
    when that transaction fails (a lock timeout, a dropped connection): the next one writes it. A
    write that fails a second time is given up, so it cannot block every later transaction."""
    engine = make_engine(db_url)
    writes = Writes(engine)

    def alert(message: str):
        return lambda conn: conn.execute(insert(Alert).values(created_at=clock.now, kind="failed", message=message))

    def messages() -> list[str]:
        with Session(engine) as s:
            return sorted(s.scalars(select(Alert.message)))

    writes.later(alert("published, waiting for the next commit"))
    with pytest.raises(RuntimeError):
        with writes.begin():
            raise RuntimeError("the attempt start failed (a lock timeout)")
    assert messages() == []  # rolled back with it …
    writes.flush()
    assert messages() == ["published, waiting for the next commit"]  # … and written by the next one

    def refused(conn):
        raise RuntimeError("the database refuses this write")
    writes.later(refused)
    for _ in range(2):
        with pytest.raises(RuntimeError):
            writes.flush()
    writes.later(alert("the next outcome"))
    writes.flush()  # the refused write was given up after its second try
    assert messages() == ["published, waiting for the next commit", "the next outcome"]
    engine.dispose()


def test_an_outcome_in_hand_outlives_any_number_of_failed_transactions_it_did_not_fail(db_url, clock):
    """Only a deferred write that fails itself is given up (on its second failure): a post that
    went out is not dropped because the database was busy for the next two transactions."""
    engine = make_engine(db_url)
    writes = Writes(engine)
    writes.later(lambda conn: conn.execute(insert(Alert).values(created_at=clock.now, kind="failed",
                                                                message="published, waiting")))
    for _ in range(3):
        with pytest.raises(RuntimeError):
            with writes.begin():
                raise RuntimeError("the attempt start failed (a lock timeout)")
    writes.flush()
    with Session(engine) as s:
        assert list(s.scalars(select(Alert.message))) == ["published, waiting"]
    engine.dispose()


def test_a_deferred_write_that_waited_in_vain_for_a_lock_is_never_given_up(db_url, clock):
    """A lock wait that timed out inside a deferred write (SQLite's "database is locked") is the
    database being busy, not the write being refused: it is kept however often that happens, and
    written once the database is free."""
    engine = make_engine(db_url)
    writes = Writes(engine)
    busy = [3]

    def published(conn):
        if busy[0]:
            busy[0] -= 1
            raise OperationalError("UPDATE deliveries …", {}, Exception("database is locked"))
        conn.execute(insert(Alert).values(created_at=clock.now, kind="failed", message="published, waiting"))
    writes.later(published)
    for _ in range(3):
        with pytest.raises(OperationalError):
            writes.flush()
    writes.flush()
    with Session(engine) as s:
        assert list(s.scalars(select(Alert.message))) == ["published, waiting"]
    engine.dispose()


def test_a_deferred_write_the_commit_refuses_is_given_up_on_its_second_failure(db_url, clock):
    """A refusal at commit (here a deferred foreign key: the row is refused only when the transaction
    commits) is the deferred writes' fault: tried once more, then given up, so it cannot block every
    later transaction of the thread."""
    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE rv_parent (id INTEGER PRIMARY KEY)"))
        conn.execute(text("CREATE TABLE rv_child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES rv_parent (id) "
                          "DEFERRABLE INITIALLY DEFERRED)"))
    try:
        writes = Writes(engine)
        writes.later(lambda conn: conn.execute(text("INSERT INTO rv_child (id, parent_id) VALUES (1, 99)")))
        for _ in range(2):
            with pytest.raises(IntegrityError):
                writes.flush()
        writes.later(lambda conn: conn.execute(insert(Alert).values(created_at=clock.now, kind="failed",
                                                                    message="the next outcome")))
        writes.flush()
        with Session(engine) as s:
            assert list(s.scalars(select(Alert.message))) == ["the next outcome"]
    finally:
        with engine.begin() as conn:
            conn.execute(text("DROP TABLE rv_child"))
            conn.execute(text("DROP TABLE rv_parent"))
        engine.dispose()

