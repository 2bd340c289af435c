"""``write_plans`` inserts through the DBAPI with each column type's own bind processing: what it
stores must be exactly what a Core insert of the same values stores, on SQLite and PostgreSQL."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import sqlite

from campaigner import db
from campaigner.models import Delivery, DeliveryPart, Post, UTCDateTime
from campaigner.models import DeliveryStatus as S
from campaigner.services import accounts, campaigns
from campaigner.services.planning import Draft, Planner, When, new_key
from campaigner.services.posts import reserve_ids, write_plans


def _drafts():
    return [
        Draft("Tolak Tapera! Iuran 3% memberatkan.", ["kspi-x", "kspi-m", "kspi-b"], When("at", "2026-12-01 09:00"),
              campaign="upah", source="cal.csv:2"),
        Draft("Upah layak 💪 https://kspi.or.id/upah", ["kspi-m"], When("at", "2026-12-01 19:30:15"),
              variants={"mastodon": "Upah layak untuk semua 💪"}, link="https://kspi.or.id/a"),
        Draft("Bagian satu\n---\nBagian dua", ["kspi-x", "kspi-b"], When("at", "+2h"), thread=True,
              campaign="upah"),
        Draft("Sekarang juga", ["kspi-b"], When("now")),
    ]


def _core_write(session, plans, now):
    """The plain Core executemany that write_plans replaced: the reference."""
    post_ids = reserve_ids(session, Post, len(plans))
    session.execute(Post.__table__.insert(), [
        dict(id=pid, campaign_id=p.campaign.id if p.campaign else None, text=p.draft.text, is_thread=p.draft.thread,
             link=p.draft.link, variants=dict(p.draft.variants), source=p.draft.source, created_at=now,
             updated_at=now) for pid, p in zip(post_ids, plans)])
    rows, parts = [], []
    for pid, p in zip(post_ids, plans):
        for d in p.deliveries:
            rows.append(dict(post_id=pid, account_id=d.account.id, status=S.QUEUED, due_at=d.due_at,
                             slot_based=d.slot_based, attempt_count=0, created_at=now, updated_at=now))
            parts.append((d.account.platform, d.due_at, d.parts))
    for did, row in zip(reserve_ids(session, Delivery, len(rows)), rows):
        row["id"] = did
    session.execute(Delivery.__table__.insert(), rows)
    session.execute(DeliveryPart.__table__.insert(), [
        dict(delivery_id=row["id"], position=i, text=t, idempotency_key=new_key(platform, due))
        for row, (platform, due, texts) in zip(rows, parts) for i, t in enumerate(texts)])
    return post_ids


def _stored(engine, post_ids):
    """Every stored value of the posts, their deliveries and parts (ids and random keys aside)."""
    out = []
    with db.read(engine) as s:
        for n, pid in enumerate(post_ids):
            post = s.execute(select(*[c for c in Post.__table__.c if c.name != "id"]).where(Post.id == pid)).one()
            deliveries = s.execute(select(Delivery.__table__).where(Delivery.post_id == pid)
                                   .order_by(Delivery.id)).mappings().all()
            ds = []
            for d in deliveries:
                parts = s.execute(select(DeliveryPart.position, DeliveryPart.text, DeliveryPart.remote_id,
                                         DeliveryPart.remote_url, DeliveryPart.published_at)
                                  .where(DeliveryPart.delivery_id == d["id"]).order_by(DeliveryPart.position)).all()
                ds.append(({k: v for k, v in d.items() if k not in ("id", "post_id")}, [tuple(p) for p in parts]))
            out.append((n, tuple(post), ds))
    return out


def test_write_plans_stores_what_a_core_insert_stores(app):
    accounts.add(app, "x", "kspi-x")
    accounts.add(app, "mastodon", "kspi-m", timezone="Asia/Makassar")
    accounts.add(app, "bluesky", "kspi-b", timezone="Europe/Berlin")
    campaigns.add(app, "upah", "Upah Layak", hashtags=["UpahLayak", "TolakTapera"])
    now = app.now()
    ours, reference = [], []
    for write, ids in ((write_plans, ours), (None, reference)):
        with db.write(app.engine) as s:
            planner = Planner(app, s, now)
            plans = [planner.plan(d) for d in _drafts()]
            ids += write(app, s, plans, now) if write else _core_write(s, plans, now)
    assert len(ours) == len(reference) == 4
    got, want = _stored(app.engine, ours), _stored(app.engine, reference)
    assert got == want
    # and the values are the planned ones, read back as the models type them
    with db.read(app.engine) as s:
        post = s.get(Post, ours[1])
        assert post.variants == {"mastodon": "Upah layak untuk semua 💪"} and post.is_thread is False
        d = post.deliveries[0]
        assert d.status == S.QUEUED and d.due_at.utcoffset().total_seconds() == 0
        assert d.due_at.isoformat() == "2026-12-01T11:30:15+00:00"  # 19:30:15 WITA
        assert d.parts[0].text == "Upah layak untuk semua 💪\nhttps://kspi.or.id/a"
        keys = s.scalars(select(DeliveryPart.idempotency_key)).all()
        assert len(keys) == len(set(keys)) == 2 * 9  # 3 + 1 + 2×2 + 1 parts per write


def test_utc_datetime_binds_on_sqlite_exactly_as_its_two_steps_would():
    """``UTCDateTime``'s one-step SQLite processor writes what ``process_bind_param`` followed by
    SQLite's own DATETIME processor writes (the text every stored time is compared by)."""
    dialect = sqlite.dialect()
    column = UTCDateTime()
    fast = column.bind_processor(dialect)
    stock = sqlite.DATETIME().bind_processor(dialect)

    def reference(value):
        return stock(column.process_bind_param(value, dialect))

    jakarta = ZoneInfo("Asia/Jakarta")
    values = [None, datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc),
              datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=jakarta),
              datetime(2026, 3, 29, 2, 30, 1, 7, tzinfo=ZoneInfo("Europe/Berlin")),
              datetime(2026, 12, 1, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-5))),
              datetime(9, 1, 1, 12, tzinfo=timezone.utc), datetime(9999, 12, 31, 23, 59, tzinfo=timezone.utc),
              datetime(2026, 12, 1, tzinfo=ZoneInfo("UTC"))]
    for value in values:
        assert fast(value) == reference(value), value
    with pytest.raises(ValueError, match="naive datetime"):
        fast(datetime(2026, 12, 1, 9, 0))
    with pytest.raises(ValueError, match="naive datetime"):
        reference(datetime(2026, 12, 1, 9, 0))


def test_utc_datetime_reads_on_sqlite_exactly_as_its_two_steps_would():
    """``UTCDateTime``'s one-step SQLite reader gives what SQLite's own DATETIME processor
    followed by ``process_result_value`` gives, for every text a time is stored as (and for text
    written by something else: a date alone, no fraction, a shorter fraction)."""
    dialect = sqlite.dialect()
    column = UTCDateTime()
    fast = column.result_processor(dialect, None)
    stock = sqlite.DATETIME().result_processor(dialect, None)

    def reference(value):
        return column.process_result_value(stock(value), dialect)

    bind = column.bind_processor(dialect)
    stored = [bind(datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)),
              bind(datetime(2026, 12, 1, 9, 30, 15, 123456, tzinfo=ZoneInfo("Asia/Jakarta"))),
              bind(datetime(9, 1, 1, 12, tzinfo=timezone.utc)), bind(datetime(9999, 12, 31, 23, 59, tzinfo=timezone.utc))]
    for value in [None, *stored, "2026-12-01 09:00:00", "2026-12-01", "2026-12-01 09:00:00.5",
                  "2026-12-01 09:00:00.123"]:
        got = fast(value)
        assert got == reference(value), value
        assert got is None or got.tzinfo is timezone.utc
