"""Posts and their deliveries: queue, list, show, edit, cancel, retry."""
from __future__ import annotations

import hashlib
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Sequence

from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, selectinload

from campaigner import db, states
from campaigner.app import App
from campaigner.errors import InvalidInput, NotFound
from campaigner.models import Account, Campaign, Delivery, DeliveryPart, Post, PostMedia
from campaigner.models import DeliveryStatus as S
from campaigner.services.accounts import get as get_account
from campaigner.services.campaigns import get as get_campaign
from campaigner.services.planning import Draft, MediaInfo, Plan, Planner, When, new_key


def get(session: Session, post_id: int) -> Post:
    post = session.get(Post, post_id, options=[selectinload(Post.deliveries).selectinload(Delivery.parts),
                                               selectinload(Post.deliveries).selectinload(Delivery.account),
                                               selectinload(Post.deliveries).selectinload(Delivery.attempts),
                                               selectinload(Post.media), selectinload(Post.campaign)])
    if post is None:
        raise NotFound(f"no post with id {post_id}", "see `campaigner post list`")
    return post


def store_media(app: App, media: Sequence[MediaInfo]) -> list[dict]:
    """Copy media into campaigner's own folder, named by content hash, so moving or editing the
    original later cannot change or break a queued post. Returns PostMedia column values."""
    rows = []
    for position, m in enumerate(media):
        digest = hashlib.sha256()
        with open(m.path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                digest.update(chunk)
        sha = digest.hexdigest()
        rel = Path(sha[:2]) / (sha + m.path.suffix.lower())
        target = app.settings.media_dir / rel
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp = target.with_suffix(target.suffix + ".part")
            shutil.copyfile(m.path, tmp)
            tmp.replace(target)
        rows.append(dict(position=position, stored_path=str(rel), original_name=m.path.name, mime_type=m.mime_type,
                         size_bytes=target.stat().st_size, sha256=sha, alt_text=m.alt_text))
    return rows


def reserve_ids(session: Session, model, n: int) -> list[int]:
    """``n`` fresh primary keys for ``model``, so bulk inserts need no RETURNING (which SQLite
    would run row by row). PostgreSQL draws them from the table's sequence; on SQLite the write
    transaction (BEGIN IMMEDIATE) holds the only write lock, so max(id)+1… is ours."""
    table = model.__tablename__
    if session.get_bind().dialect.name == "postgresql":
        return list(session.scalars(
            text(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)"), {"n": n}))
    start = (session.scalar(select(func.max(model.id))) or 0) + 1
    return list(range(start, start + n))


def write_plans(app: App, session: Session, plans: Sequence[Plan], now: datetime) -> list[int]:
    """Insert checked plans with Core executemany statements (no ORM unit of work: fast for big
    imports); returns the post ids."""
    if not plans:
        return []
    post_ids = reserve_ids(session, Post, len(plans))
    post_rows = [dict(id=post_id, campaign_id=p.campaign.id if p.campaign else None, text=p.draft.text,
                      is_thread=p.draft.thread, link=p.draft.link, variants=dict(p.draft.variants),
                      source=p.draft.source, created_at=now, updated_at=now) for post_id, p in zip(post_ids, plans)]
    session.execute(Post.__table__.insert(), post_rows)
    media_rows = []
    for post_id, plan in zip(post_ids, plans):
        for row in store_media(app, plan.media):
            media_rows.append({**row, "post_id": post_id})
    if media_rows:
        session.execute(PostMedia.__table__.insert(), media_rows)
    delivery_rows, parts_per_delivery = [], []
    for post_id, plan in zip(post_ids, plans):
        for d in plan.deliveries:
            delivery_rows.append(dict(post_id=post_id, account_id=d.account.id, status=S.QUEUED, due_at=d.due_at,
                                      slot_based=d.slot_based, attempt_count=0, created_at=now, updated_at=now))
            parts_per_delivery.append((d.account.platform, d.due_at, d.parts))
    delivery_ids = reserve_ids(session, Delivery, len(delivery_rows))
    for did, row in zip(delivery_ids, delivery_rows):
        row["id"] = did
    session.execute(Delivery.__table__.insert(), delivery_rows)
    part_rows = [dict(delivery_id=did, position=i, text=part, idempotency_key=new_key(platform, due))
                 for did, (platform, due, parts) in zip(delivery_ids, parts_per_delivery)
                 for i, part in enumerate(parts)]
    session.execute(DeliveryPart.__table__.insert(), part_rows)
    return post_ids


def add(app: App, draft: Draft) -> Post:
    """Check and queue one post; nothing is written if any check fails."""
    now = app.now()
    with db.write(app.engine) as s:
        plan = Planner(app, s, now).plan(draft)
        [post_id] = write_plans(app, s, [plan], now)
    with db.read(app.engine) as s:
        return get(s, post_id)


@dataclass(frozen=True)
class DeliveryRow:
    """One line of ``post list``."""

    post_id: int
    delivery_id: int
    account: str
    platform: str
    timezone: str | None
    status: str
    due_at: datetime
    published_at: datetime | None
    remote_url: str | None
    campaign: str | None
    text: str
    last_error: str | None


def list_deliveries(app: App, *, status: str | None = None, campaign: str | None = None,
                    account: str | None = None, limit: int | None = None) -> list[DeliveryRow]:
    q = (select(Delivery.post_id, Delivery.id, Account.name, Account.platform, Account.timezone, Delivery.status,
                Delivery.due_at, Delivery.published_at, Delivery.remote_url, Campaign.slug, DeliveryPart.text,
                Delivery.last_error)
         .join(Account, Account.id == Delivery.account_id)
         .join(Post, Post.id == Delivery.post_id)
         .outerjoin(Campaign, Campaign.id == Post.campaign_id)
         .join(DeliveryPart, (DeliveryPart.delivery_id == Delivery.id) & (DeliveryPart.position == 0))
         .order_by(Delivery.due_at, Delivery.id))
    if status:
        try:
            q = q.where(Delivery.status == S(status))
        except ValueError:
            raise InvalidInput(f"unknown status {status!r}", f"use one of {', '.join(s.value for s in S)}") from None
    with db.read(app.engine) as s:
        if campaign:
            q = q.where(Post.campaign_id == get_campaign(s, campaign).id)
        if account:
            q = q.where(Delivery.account_id == get_account(s, account).id)
        if limit:
            q = q.limit(limit)
        return [DeliveryRow(*r[:5], str(r[5]), *r[6:]) for r in s.execute(q)]


def show(app: App, post_id: int) -> Post:
    with db.read(app.engine) as s:
        return get(s, post_id)


def _locked(post: Post, action: str) -> None:
    for d in post.deliveries:
        if d.status not in states.EDITABLE:
            raise InvalidInput(f"post {post.id} is already {d.status.value} on {d.account.name}",
                               f"{action} is only possible before anything goes out; "
                               "cancel it and queue a new post")


def edit(app: App, post_id: int, *, text: str | None = None, when: When | None = None, link: str | None = None,
         campaign: str | None = None, variants: dict[str, str] | None = None, thread: bool | None = None) -> Post:
    """Change a post while none of its deliveries has gone out (or is going out); every check of
    ``post add`` runs again. Without ``when`` each delivery keeps its time."""
    now = app.now()
    with db.write(app.engine) as s:
        post = get(s, post_id)
        _locked(post, "editing")
        targets = [d for d in post.deliveries if d.status in (S.QUEUED, S.FAILED)]
        if not targets:
            raise InvalidInput(f"post {post.id} has no queued or failed delivery to edit",
                               f"queue a new post (its deliveries are {post.deliveries[0].status.value})")
        draft = Draft(text=post.text if text is None else text,
                      accounts=[d.account.name for d in targets],
                      when=when or When("keep"),
                      campaign=campaign if campaign is not None else post.campaign.slug if post.campaign else None,
                      link=post.link if link is None else (link or None),
                      media=[app.settings.media_dir / m.stored_path for m in post.media],
                      variants={**post.variants, **(variants or {})},
                      thread=post.is_thread if thread is None else thread)
        kept = {d.account.id: (d.due_at, d.slot_based) for d in targets} if when is None else None
        plan = Planner(app, s, now, exclude_post=post.id).plan(draft, kept_times=kept)
        post.text, post.link, post.variants, post.is_thread = draft.text, draft.link, draft.variants, draft.thread
        post.campaign_id = plan.campaign.id if plan.campaign else None
        post.updated_at = now
        for d, planned in zip(targets, plan.deliveries):
            d.due_at, d.slot_based, d.next_attempt_at, d.updated_at = planned.due_at, planned.slot_based, None, now
            d.parts.clear()
            s.flush()  # old parts (and their keys) go before the new ones arrive
            d.parts.extend(DeliveryPart(position=i, text=t, idempotency_key=new_key(d.account.platform, planned.due_at))
                           for i, t in enumerate(planned.parts))
    return show(app, post_id)


def cancel(app: App, post_id: int, *, account: str | None = None) -> list[Delivery]:
    """Cancel the deliveries of a post that have not gone out; returns those cancelled."""
    with db.write(app.engine) as s:
        post = get(s, post_id)
        chosen = [d for d in post.deliveries if account is None or d.account.name == account]
        if account and not chosen:
            raise NotFound(f"post {post_id} has no delivery on {account!r}", f"see `campaigner post show {post_id}`")
        busy = [d for d in chosen if d.status == S.PUBLISHING]
        if busy:
            raise InvalidInput(f"post {post_id} is being published on {busy[0].account.name} right now",
                               f"wait a moment and check `campaigner post show {post_id}`")
        todo = [d for d in chosen if states.can_move(S(d.status), S.CANCELLED)]
        if not todo:
            raise InvalidInput(f"post {post_id} has nothing left to cancel",
                               "published deliveries stay published; delete them on the platform")
        for d in todo:
            states.move(d, S.CANCELLED)
            d.updated_at = app.now()
        return todo


def retry(app: App, post_id: int, *, account: str | None = None) -> list[Delivery]:
    """Put failed deliveries back in the queue (due now if their time has passed)."""
    now = app.now()
    with db.write(app.engine) as s:
        post = get(s, post_id)
        failed = [d for d in post.deliveries if d.status == S.FAILED and (account is None or d.account.name == account)]
        if not failed:
            raise InvalidInput(f"post {post_id} has no failed delivery" + (f" on {account}" if account else ""),
                               f"see `campaigner post show {post_id}`")
        for d in failed:
            states.move(d, S.QUEUED, why="retry")
            d.due_at = max(d.due_at, now)
            d.next_attempt_at = None
            d.last_error = None
            d.updated_at = now
        return failed
