"""The data model as ORM classes: accounts, campaigns, posts and their deliveries, attempts,
metrics, replies.

Each class is mapped onto its table in ``campaigner.tables`` (the one definition of the schema)
and adds the relationships between them. A post fans out into deliveries, one per target account;
a delivery has one part per thread part, each with its own rendered text, idempotency key and
remote id, so a thread resumes after its last published part. Every time is stored in UTC
(``UTCDateTime``).
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import DeclarativeBase, Mapped, relationship

from campaigner import tables
from campaigner.tables import (  # noqa: F401 (the names the rest of campaigner takes from here)
    NAMING,
    AccountStatus,
    Approval,
    AttemptOutcome,
    DeliveryStatus,
    ReplyState,
    UTCDateTime,
)

#: the engagement figures a snapshot holds (None in one: the platform does not tell)
from connectors.base import METRIC_FIELDS  # noqa: F401


class Base(DeclarativeBase):
    metadata = tables.metadata


class Account(Base):

    __table__ = tables.accounts

    id: Mapped[int]
    name: Mapped[str]
    platform: Mapped[str]
    handle: Mapped[str | None]
    base_url: Mapped[str | None]
    timezone: Mapped[str | None]
    daily_cap: Mapped[int | None]
    quota_total: Mapped[int | None]
    min_spacing_minutes: Mapped[int | None]
    char_limit: Mapped[int | None]
    max_late_minutes: Mapped[int | None]
    requires_approval: Mapped[bool]
    status: Mapped[AccountStatus]
    status_reason: Mapped[str | None]
    token_expires_at: Mapped[datetime | None]
    held_until: Mapped[datetime | None]
    held_reason: Mapped[str | None]
    lease_owner: Mapped[str | None]
    lease_until: Mapped[datetime | None]
    created_at: Mapped[datetime]
    slots: Mapped[list[PostingSlot]] = relationship(back_populates="account", cascade="all, delete-orphan",
                                                    order_by="(PostingSlot.weekday, PostingSlot.local_time)")


class PostingSlot(Base):
    """A weekly slot in the account's own zone: weekday (0 = Monday) and local ``HH:MM``."""

    __table__ = tables.posting_slots

    id: Mapped[int]
    account_id: Mapped[int]
    weekday: Mapped[int]
    local_time: Mapped[str]
    account: Mapped[Account] = relationship(back_populates="slots")


class Campaign(Base):
    __table__ = tables.campaigns

    id: Mapped[int]
    slug: Mapped[str]
    name: Mapped[str]
    issue: Mapped[str | None]
    hashtags: Mapped[list[str]]
    compare_tags: Mapped[list[str]]
    auto_hashtags: Mapped[bool]
    start_date: Mapped[date | None]
    end_date: Mapped[date | None]
    created_at: Mapped[datetime]
    targets_against: Mapped[list[str] | None]
    targets_for: Mapped[list[str] | None]


class Post(Base):
    """What staff wrote: text (split into thread parts), link, media, per-platform variants."""

    __table__ = tables.posts

    id: Mapped[int]
    campaign_id: Mapped[int | None]
    text: Mapped[str]
    is_thread: Mapped[bool]
    link: Mapped[str | None]
    variants: Mapped[dict[str, str]]
    source: Mapped[str | None]
    keep_metadata: Mapped[bool]
    import_id: Mapped[int | None]
    approval: Mapped[str | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    answers_reply_id: Mapped[int | None]
    campaign: Mapped[Campaign | None] = relationship()
    answers: Mapped[Reply | None] = relationship(primaryjoin="foreign(Post.answers_reply_id) == Reply.id",
                                                 viewonly=True)
    media: Mapped[list[PostMedia]] = relationship(back_populates="post", cascade="all, delete-orphan",
                                                  order_by="PostMedia.position")
    deliveries: Mapped[list[Delivery]] = relationship(back_populates="post", cascade="all, delete-orphan",
                                                      order_by="Delivery.id")
    reviews: Mapped[list[PostReview]] = relationship(back_populates="post", cascade="all, delete-orphan",
                                                     order_by="PostReview.id")


class PostReview(Base):
    """A person approved or rejected a draft: who (the configured ``user`` or the system's user
    name), when, and why (a rejection's reason). Every review is kept."""

    __table__ = tables.post_reviews

    id: Mapped[int]
    post_id: Mapped[int]
    action: Mapped[str]
    reviewer: Mapped[str]
    reviewed_at: Mapped[datetime]
    reason: Mapped[str | None]
    post: Mapped[Post] = relationship(back_populates="reviews")


class CalendarImport(Base):
    """A CSV import: it writes its posts in short transactions, their deliveries ``importing``,
    and queues them all in one statement at the end. Until ``finished_at`` is set the import is
    running or was abandoned (its process ``pid`` on ``host`` died, or ``beat_at`` is old): an
    abandoned one's posts are deleted by the next import or ``campaigner init``."""

    __table__ = tables.imports

    id: Mapped[int]
    source: Mapped[str]
    host: Mapped[str]
    pid: Mapped[int]
    started_at: Mapped[datetime]
    beat_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]


class PostMedia(Base):
    """A media file copied into campaigner's own media folder (by content hash)."""

    __table__ = tables.post_media

    id: Mapped[int]
    post_id: Mapped[int]
    position: Mapped[int]
    stored_path: Mapped[str]
    original_name: Mapped[str]
    mime_type: Mapped[str]
    size_bytes: Mapped[int]
    sha256: Mapped[str]
    alt_text: Mapped[str]
    renditions: Mapped[dict[str, dict[str, Any]] | None]
    post: Mapped[Post] = relationship(back_populates="media")


class Group(Base):
    """A name for several accounts (``semua``, ``jateng``): wherever an account name is taken, a
    group's name stands for its members, in their order. Group and account names never collide."""

    __table__ = tables.account_groups

    id: Mapped[int]
    name: Mapped[str]
    created_at: Mapped[datetime]
    members: Mapped[list[GroupMember]] = relationship(back_populates="group", cascade="all, delete-orphan",
                                                      order_by="GroupMember.position")


class GroupMember(Base):
    """An account in a group, at its place in the group's order."""

    __table__ = tables.group_members

    group_id: Mapped[int]
    account_id: Mapped[int]
    position: Mapped[int]
    group: Mapped[Group] = relationship(back_populates="members")
    account: Mapped[Account] = relationship()


class Delivery(Base):
    """One post on one account: the unit the engine claims, publishes and reconciles."""

    __table__ = tables.deliveries

    id: Mapped[int]
    post_id: Mapped[int]
    account_id: Mapped[int]
    status: Mapped[DeliveryStatus]
    due_at: Mapped[datetime]
    intended_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    max_late_minutes: Mapped[int | None]
    slot_based: Mapped[bool]
    attempt_count: Mapped[int]
    next_attempt_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None]
    claimed_at: Mapped[datetime | None]
    lease_until: Mapped[datetime | None]
    remote_id: Mapped[str | None]
    remote_url: Mapped[str | None]
    published_at: Mapped[datetime | None]
    last_error: Mapped[str | None]
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    post: Mapped[Post] = relationship(back_populates="deliveries")
    account: Mapped[Account] = relationship()
    parts: Mapped[list[DeliveryPart]] = relationship(back_populates="delivery", cascade="all, delete-orphan",
                                                     order_by="DeliveryPart.position")
    attempts: Mapped[list[Attempt]] = relationship(back_populates="delivery", cascade="all, delete-orphan",
                                                   order_by="Attempt.id")


class DeliveryPart(Base):
    """One thread part of a delivery (a single post has one): the exact text that goes out."""

    __table__ = tables.delivery_parts

    id: Mapped[int]
    delivery_id: Mapped[int]
    position: Mapped[int]
    text: Mapped[str]
    idempotency_key: Mapped[str]
    remote_id: Mapped[str | None]
    remote_url: Mapped[str | None]
    published_at: Mapped[datetime | None]
    progress: Mapped[dict[str, Any] | None]
    delivery: Mapped[Delivery] = relationship(back_populates="parts")


class Attempt(Base):
    """One try at publishing (or reconciling) a delivery part."""

    __table__ = tables.attempts

    id: Mapped[int]
    delivery_id: Mapped[int]
    part_position: Mapped[int]
    kind: Mapped[str]
    worker: Mapped[str | None]
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    outcome: Mapped[AttemptOutcome | None]
    http_status: Mapped[int | None]
    error: Mapped[str | None]
    delivery: Mapped[Delivery] = relationship(back_populates="attempts")


class MetricSnapshot(Base):
    """Engagement of one delivery at one moment; history is kept, never overwritten."""

    __table__ = tables.metric_snapshots

    id: Mapped[int]
    delivery_id: Mapped[int]
    collected_at: Mapped[datetime]
    missing: Mapped[bool]
    likes: Mapped[int | None]
    reposts: Mapped[int | None]
    replies: Mapped[int | None]
    quotes: Mapped[int | None]
    impressions: Mapped[int | None]
    bookmarks: Mapped[int | None]
    clicks: Mapped[int | None]
    reach: Mapped[int | None]
    shares: Mapped[int | None]
    raw: Mapped[dict[str, Any]]


class Reply(Base):
    """A reply to a published delivery (or within its conversation), stored once, with its
    sentiment, kind and inbox state. ``ours``: a reply the account itself wrote under someone's
    reply (an answer, seen on the platform): kept for the conversation, never in the inbox."""

    __table__ = tables.replies

    id: Mapped[int]
    delivery_id: Mapped[int]
    remote_id: Mapped[str]
    author: Mapped[str]
    text: Mapped[str]
    created_at: Mapped[datetime]
    language: Mapped[str | None]
    polarity: Mapped[float | None]
    sentiment: Mapped[str | None]
    collected_at: Mapped[datetime]
    kind: Mapped[str | None]
    kind_reason: Mapped[str | None]
    kind_version: Mapped[str | None]
    parent_remote_id: Mapped[str | None]
    url: Mapped[str | None]
    ours: Mapped[bool]
    state: Mapped[ReplyState]
    state_at: Mapped[datetime | None]
    delivery: Mapped[Delivery] = relationship()


class Alert(Base):
    """Something a person must know (a failure, a paused account, an unconfirmed delivery, a burst
    of opposition, a question left unanswered). Logged when raised; sent in one digest by e-mail
    and/or to a Telegram chat when configured; open until a person acknowledges it."""

    __table__ = tables.alerts

    id: Mapped[int]
    created_at: Mapped[datetime]
    kind: Mapped[str]
    account_id: Mapped[int | None]
    delivery_id: Mapped[int | None]
    message: Mapped[str]
    notified_at: Mapped[datetime | None]
    telegram_at: Mapped[datetime | None]
    acked_at: Mapped[datetime | None]
    campaign_id: Mapped[int | None]
    reply_id: Mapped[int | None]
    burst_end: Mapped[datetime | None]


class Worker(Base):
    """A running engine process (``run`` or a one-shot ``publish``) and its heartbeat; on its own
    machine, ``machine``, ``pid`` and ``process_start`` tell at once whether it has ended."""

    __table__ = tables.workers

    name: Mapped[str]
    hostname: Mapped[str]
    pid: Mapped[int]
    machine: Mapped[str | None]
    process_start: Mapped[int | None]
    started_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]


class JobRun(Base):
    """Once-only periodic work: the winner moves ``period`` forward with a conditional update."""

    __table__ = tables.job_runs

    name: Mapped[str]
    period: Mapped[str]
    ran_at: Mapped[datetime | None]
    ran_by: Mapped[str | None]


class ListeningRefusal(Base):
    """A platform that refused the credentials of the account the daily listening counts with on
    it, while its counting fails (``services.listening_daily``): what to renew."""

    __table__ = tables.listening_refusals

    platform: Mapped[str]
    account: Mapped[str]
    field: Mapped[str]
    refused_at: Mapped[datetime]


class MediaFile(Base):
    """A file put in the public media place (``campaigner.media_host``) and when it was last
    handed out, so the same file keeps one URL and old files are removed after ``keep_days``."""

    __table__ = tables.media_files

    id: Mapped[int]
    sha256: Mapped[str]
    name: Mapped[str]
    published_at: Mapped[datetime]


class TagCount(Base):
    """How many public posts carried a hashtag on one day, on one platform as one source counted
    them (a Mastodon instance, Bluesky's search, X's counts): ``posts`` beyond our own, ``own`` ours
    (taken off). ``day`` is a day of ``day_zone`` ("UTC" for Mastodon's history, else the configured
    zone); ``at_least``: a lower bound (the day was not over, or the platform showed no more).
    Collecting the same day again updates the row (see ``services.listening``)."""

    __table__ = tables.tag_counts

    id: Mapped[int]
    tag: Mapped[str]
    platform: Mapped[str]
    source: Mapped[str]
    day: Mapped[date]
    day_zone: Mapped[str]
    posts: Mapped[int]
    own: Mapped[int]
    accounts: Mapped[int | None]
    at_least: Mapped[bool]
    collected_at: Mapped[datetime]
