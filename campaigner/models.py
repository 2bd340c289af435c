"""The data model: accounts, campaigns, posts and their deliveries, attempts, metrics, replies.

A post fans out into deliveries, one per target account; a delivery has one part per thread
part, each with its own rendered text, idempotency key and remote id, so a thread resumes after
its last published part. Every time is stored in UTC (``UTCDateTime``).
"""
from __future__ import annotations

import enum
from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

#: the engagement figures a snapshot holds (None in one: the platform does not tell)
from connectors.base import METRIC_FIELDS

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator):
    """Aware datetimes in, aware UTC datetimes out, on SQLite and PostgreSQL alike."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        value = _as_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect: Any) -> Any:
        """On SQLite, the text that ``process_bind_param`` and SQLite's DATETIME processor make
        together, written in one step (ISO format, which is that processor's default storage
        format): a bulk import binds 100,000 due times, and the two steps cost 4 µs each, this
        one 1.5 µs. tests/core/test_models.py compares the two."""
        impl = self.impl_instance.dialect_impl(dialect)
        if dialect.name != "sqlite" or getattr(impl, "_storage_format", None) != _SQLITE_ISO_FORMAT:
            return super().bind_processor(dialect)

        def process(value: datetime | None) -> str | None:
            return None if value is None else _as_utc(value).replace(tzinfo=None).isoformat(" ", "microseconds")

        return process

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)

    def result_processor(self, dialect: Any, coltype: Any) -> Any:
        """On SQLite, the stored text read as UTC in one step (``datetime.fromisoformat`` of the
        text with ``+00:00``: 0.2 µs) instead of TypeDecorator's two (SQLite's reader, then
        ``process_result_value``, whose ``replace(tzinfo=…)`` alone costs 0.7 µs): the weekly
        report reads 150,000 times. Text it cannot read goes the stock way.
        tests/core/test_bulk_write.py compares the two."""
        reader = self.impl_instance.dialect_impl(dialect).result_processor(dialect, coltype)
        if dialect.name != "sqlite" or reader is None:
            return super().result_processor(dialect, coltype)
        parse, stock_value = datetime.fromisoformat, self.process_result_value

        def stock(value: str) -> datetime | None:
            return stock_value(reader(value), dialect)

        def process(value: str | None) -> datetime | None:
            if value is None:
                return None
            try:
                parsed = parse(value + "+00:00")
            except (TypeError, ValueError):
                return stock(value)
            # (Python 3.11 reads "2026-12-01+00:00", a date alone, as a naive midnight)
            return parsed if parsed.tzinfo is not None else stock(value)

        return process


_SQLITE_ISO_FORMAT = "%(year)04d-%(month)02d-%(day)02d %(hour)02d:%(minute)02d:%(second)02d.%(microsecond)06d"


def _as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the database; pass an aware UTC time")
    return value if value.tzinfo is timezone.utc else value.astimezone(timezone.utc)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class DeliveryStatus(str, enum.Enum):
    QUEUED = "queued"
    PUBLISHING = "publishing"
    PUBLISHED = "published"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNCONFIRMED = "unconfirmed"  # the platform may or may not have it: reconcile before resending
    EXPIRED = "expired"  # not sent: past its lateness limit (a person may still send it)
    #: written by a CSV import still running: nothing acts on it until the import ends (then
    #: queued, all at once) or fails (then deleted)
    IMPORTING = "importing"
    #: it went out and was taken down again (``post delete``): history kept, metrics no longer polled
    DELETED = "deleted"
    #: waiting for a person's approval (``post approve``): never published, holds its place
    DRAFT = "draft"
    #: a draft a person refused (``post reject``): never published; editing makes it a draft again
    REJECTED = "rejected"

    def __str__(self) -> str:
        return self.value


class AccountStatus(str, enum.Enum):
    ACTIVE = "active"
    PAUSED = "paused"  # e.g. credentials expired: deliveries stay queued

    def __str__(self) -> str:
        return self.value


class AttemptOutcome(str, enum.Enum):
    """How one attempt ended, as a short code; the prose (the platform's words) goes in ``error``."""

    PUBLISHED = "published"                  # the platform took it
    #: the platform refused it as already there; after a lost answer that is this very post
    ALREADY_PUBLISHED = "already_published"
    UNKNOWN = "unknown"                      # the call may or may not have reached the platform
    RATE_LIMITED = "rate_limited"            # not now (no attempt spent)
    AUTH_EXPIRED = "auth_expired"            # credentials refused: the account pauses
    PERMANENT = "permanent"                  # refused for good
    TRANSIENT = "transient"                  # failed for now, surely not posted
    #: the platform is still preparing it (a Meta media container): nothing is out, asked again later
    PROCESSING = "processing"
    # reconcile: the worker (or a person) looked for a post whose outcome was unknown
    FOUND = "found"                          # it is there (recorded)
    NOT_FOUND = "not_found"                  # surely not there: it is sent again
    NOT_VISIBLE = "not_visible"              # the platform said it is there, the look does not show it yet
    CANNOT_TELL = "cannot_tell"              # the platform cannot be searched: a person decides
    CHECKED_NOT_FOUND = "checked_not_found"  # a look by hand did not see it (settles nothing)
    RESOLVED_FOUND = "resolved_found"        # a person found it (post reconcile --found)
    RESOLVED_RESEND = "resolved_resend"      # a person says it is not there (post reconcile --resend)
    # delete (``post delete``): taking a published part down again
    DELETED = "deleted"                      # the platform took it down (or it was gone already)
    DELETED_BY_HAND = "deleted_by_hand"      # a person took it down on the platform (post delete --by-hand)
    NOT_SUPPORTED = "not_supported"          # the platform offers no way to delete it: a person must

    def __str__(self) -> str:
        return self.value


def _enum(cls: type[enum.Enum], name: str, length: int = 16) -> Enum:
    # Stored as plain strings (no native/CHECK enum) so new states need no table rewrite.
    return Enum(cls, name=name, native_enum=False, create_constraint=False, length=length,
                values_callable=lambda e: [m.value for m in e])


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    platform: Mapped[str] = mapped_column(String(16))
    handle: Mapped[str | None] = mapped_column(String(255))
    base_url: Mapped[str | None] = mapped_column(String(512))
    timezone: Mapped[str | None] = mapped_column(String(64))  # None = the configured default
    #: the most posts per local day the user wants (None: no cap of their own)
    daily_cap: Mapped[int | None] = mapped_column(Integer)
    #: the platform's own publishing quota (Instagram, Threads: posts per moving 24 hours) as it
    #: last reported it; the cap planned against is the lower of this and ``daily_cap``
    quota_total: Mapped[int | None] = mapped_column(Integer)
    min_spacing_minutes: Mapped[int | None] = mapped_column(Integer)
    char_limit: Mapped[int | None] = mapped_column(Integer)  # e.g. a Mastodon instance's own limit
    #: how late its posts may go out, in minutes (0: no limit; None: the configured default)
    max_late_minutes: Mapped[int | None] = mapped_column(Integer)
    #: posts to it start as drafts: nothing goes out before a person approves (``post approve``)
    requires_approval: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    status: Mapped[AccountStatus] = mapped_column(_enum(AccountStatus, "account_status"),
                                                  default=AccountStatus.ACTIVE)
    status_reason: Mapped[str | None] = mapped_column(Text)
    token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: rate-limited: nothing goes out on this account before ``held_until``
    held_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    held_reason: Mapped[str | None] = mapped_column(Text)
    #: the worker publishing on this account now (per-account order, caps and spacing)
    lease_owner: Mapped[str | None] = mapped_column(String(128))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    slots: Mapped[list[PostingSlot]] = relationship(back_populates="account", cascade="all, delete-orphan",
                                                    order_by="(PostingSlot.weekday, PostingSlot.local_time)")


class PostingSlot(Base):
    """A weekly slot in the account's own zone: weekday (0 = Monday) and local ``HH:MM``."""

    __tablename__ = "posting_slots"
    __table_args__ = (UniqueConstraint("account_id", "weekday", "local_time"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    weekday: Mapped[int] = mapped_column(Integer)
    local_time: Mapped[str] = mapped_column(String(5))

    account: Mapped[Account] = relationship(back_populates="slots")


class Campaign(Base):
    __tablename__ = "campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    slug: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    issue: Mapped[str | None] = mapped_column(Text)
    hashtags: Mapped[list[str]] = mapped_column(JSON, default=list)
    #: other tags its hashtags are measured against (share of voice), e.g. the other side's
    compare_tags: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    auto_hashtags: Mapped[bool] = mapped_column(Boolean, default=True)
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: what the campaign is against and what it is for ("Tapera", "upah layak"): a reply's kind
    #: (``content.stance``) is judged toward them; None is none
    targets_against: Mapped[list[str] | None] = mapped_column(JSON)
    targets_for: Mapped[list[str] | None] = mapped_column(JSON)


class Post(Base):
    """What staff wrote: text (split into thread parts), link, media, per-platform variants."""

    __tablename__ = "posts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="RESTRICT"), index=True)
    text: Mapped[str] = mapped_column(Text)  # the source text; thread parts separated by '---' lines
    is_thread: Mapped[bool] = mapped_column(Boolean, default=False)
    link: Mapped[str | None] = mapped_column(Text)
    variants: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)  # platform → source text
    source: Mapped[str | None] = mapped_column(String(255))  # e.g. "import calendar.csv:12"
    #: the photos go out with their metadata (location, camera, time): only when a person says so
    keep_metadata: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: the ``CalendarImport`` that wrote it (a plain tag: a foreign key would make SQLite rebuild posts)
    import_id: Mapped[int | None] = mapped_column(Integer, index=True)
    #: None: it needed no approval; "pending" (its deliveries are drafts), "approved" or "rejected"
    #: (``Approval``); the reviews themselves, who and when, are ``reviews``
    approval: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    #: an answer from the inbox (``campaigner replies answer``): the id of the stranger's reply it
    #: goes under, threaded there on the same account; None for an ordinary post. A plain tag, like
    #: ``import_id``: a foreign key would close a cycle (replies → deliveries → posts → replies)
    answers_reply_id: Mapped[int | None] = mapped_column(Integer, index=True)

    campaign: Mapped[Campaign | None] = relationship()
    answers: Mapped[Reply | None] = relationship(primaryjoin="foreign(Post.answers_reply_id) == Reply.id",
                                                 viewonly=True)
    media: Mapped[list[PostMedia]] = relationship(back_populates="post", cascade="all, delete-orphan",
                                                  order_by="PostMedia.position")
    deliveries: Mapped[list[Delivery]] = relationship(back_populates="post", cascade="all, delete-orphan",
                                                      order_by="Delivery.id")
    reviews: Mapped[list[PostReview]] = relationship(back_populates="post", cascade="all, delete-orphan",
                                                     order_by="PostReview.id")


class Approval(str, enum.Enum):
    """Where a post that needs approval stands (``Post.approval``)."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"

    def __str__(self) -> str:
        return self.value


class PostReview(Base):
    """A person approved or rejected a draft: who (the configured ``user`` or the system's user
    name), when, and why (a rejection's reason). Every review is kept."""

    __tablename__ = "post_reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    action: Mapped[str] = mapped_column(String(16))  # approved | rejected
    reviewer: Mapped[str] = mapped_column(String(128))
    reviewed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)

    post: Mapped[Post] = relationship(back_populates="reviews")


class CalendarImport(Base):
    """A CSV import: it writes its posts in short transactions, their deliveries ``importing``,
    and queues them all in one statement at the end. Until ``finished_at`` is set the import is
    running or was abandoned (its process ``pid`` on ``host`` died, or ``beat_at`` is old): an
    abandoned one's posts are deleted by the next import or ``campaigner init``."""

    __tablename__ = "imports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(255))
    host: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    beat_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PostMedia(Base):
    """A media file copied into campaigner's own media folder (by content hash)."""

    __tablename__ = "post_media"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    stored_path: Mapped[str] = mapped_column(Text)  # relative to the media folder
    original_name: Mapped[str] = mapped_column(String(255))
    mime_type: Mapped[str] = mapped_column(String(64))
    size_bytes: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    alt_text: Mapped[str] = mapped_column(Text, default="")
    #: platform → the prepared copy that goes out there (``stored_path``, ``mime_type``,
    #: ``size_bytes``, ``sha256``, ``width``, ``height``, ``notes``); a platform not named gets the
    #: original as it is (see ``campaigner.imaging``)
    #: None: attached before campaigner prepared photos (they are prepared when they go out)
    renditions: Mapped[dict[str, dict[str, Any]] | None] = mapped_column(JSON, default=dict)

    post: Mapped[Post] = relationship(back_populates="media")


class Group(Base):
    """A name for several accounts (``semua``, ``jateng``): wherever an account name is taken, a
    group's name stands for its members, in their order. Group and account names never collide."""

    __tablename__ = "account_groups"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    members: Mapped[list[GroupMember]] = relationship(back_populates="group", cascade="all, delete-orphan",
                                                      order_by="GroupMember.position")


class GroupMember(Base):
    """An account in a group, at its place in the group's order."""

    __tablename__ = "group_members"

    group_id: Mapped[int] = mapped_column(ForeignKey("account_groups.id", ondelete="CASCADE"), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True,
                                            index=True)
    position: Mapped[int] = mapped_column(Integer)

    group: Mapped[Group] = relationship(back_populates="members")
    account: Mapped[Account] = relationship()


class Delivery(Base):
    """One post on one account: the unit the engine claims, publishes and reconciles."""

    __tablename__ = "deliveries"
    __table_args__ = (
        Index("ix_deliveries_status_due", "status", "due_at"),
        Index("ix_deliveries_account_due", "account_id", "due_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id", ondelete="CASCADE"), index=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("accounts.id", ondelete="RESTRICT"))
    status: Mapped[DeliveryStatus] = mapped_column(_enum(DeliveryStatus, "delivery_status"),
                                                   default=DeliveryStatus.QUEUED)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: the moment it was meant for, once the engine moved ``due_at`` later for a daily cap or
    #: spacing (None: ``due_at`` is that moment); lateness is measured from it
    intended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: its own lateness limit (``post add --expires`` / ``--max-late``): not sent after
    #: ``expires_at``, or ``max_late_minutes`` after its moment (0: no limit); both None: the
    #: account's limit, else the configured default
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    max_late_minutes: Mapped[int | None] = mapped_column(Integer)
    slot_based: Mapped[bool] = mapped_column(Boolean, default=False)
    attempt_count: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(128))
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    remote_id: Mapped[str | None] = mapped_column(String(512))  # of the first part
    remote_url: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)

    post: Mapped[Post] = relationship(back_populates="deliveries")
    account: Mapped[Account] = relationship()
    parts: Mapped[list[DeliveryPart]] = relationship(back_populates="delivery", cascade="all, delete-orphan",
                                                     order_by="DeliveryPart.position")
    attempts: Mapped[list[Attempt]] = relationship(back_populates="delivery", cascade="all, delete-orphan",
                                                   order_by="Attempt.id")


class DeliveryPart(Base):
    """One thread part of a delivery (a single post has one): the exact text that goes out."""

    __tablename__ = "delivery_parts"
    __table_args__ = (UniqueConstraint("delivery_id", "position"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    #: random per part (UUID, or an atproto TID for Bluesky), never derived from an id
    idempotency_key: Mapped[str] = mapped_column(String(64), unique=True)
    remote_id: Mapped[str | None] = mapped_column(String(512))
    remote_url: Mapped[str | None] = mapped_column(Text)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: what the connector asked to keep between calls (``OutgoingPost.progress``: a Meta container)
    progress: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    delivery: Mapped[Delivery] = relationship(back_populates="parts")


class Attempt(Base):
    """One try at publishing (or reconciling) a delivery part."""

    __tablename__ = "attempts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    part_position: Mapped[int] = mapped_column(Integer, default=0)
    kind: Mapped[str] = mapped_column(String(16), default="publish")  # publish | reconcile | delete
    worker: Mapped[str | None] = mapped_column(String(128))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    outcome: Mapped[AttemptOutcome | None] = mapped_column(_enum(AttemptOutcome, "attempt_outcome", 32))
    http_status: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)

    delivery: Mapped[Delivery] = relationship(back_populates="attempts")


class MetricSnapshot(Base):
    """Engagement of one delivery at one moment; history is kept, never overwritten."""

    __tablename__ = "metric_snapshots"
    #: (with id: the latest snapshot is ``ORDER BY collected_at DESC, id DESC LIMIT 1``, read off the index)
    __table_args__ = (Index("ix_metric_snapshots_delivery_time_id", "delivery_id", "collected_at", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"))
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    missing: Mapped[bool] = mapped_column(Boolean, default=False)  # the platform no longer has it
    likes: Mapped[int | None] = mapped_column(Integer)
    reposts: Mapped[int | None] = mapped_column(Integer)
    replies: Mapped[int | None] = mapped_column(Integer)
    quotes: Mapped[int | None] = mapped_column(Integer)
    impressions: Mapped[int | None] = mapped_column(BigInteger)
    bookmarks: Mapped[int | None] = mapped_column(Integer)
    clicks: Mapped[int | None] = mapped_column(Integer)
    reach: Mapped[int | None] = mapped_column(BigInteger)
    shares: Mapped[int | None] = mapped_column(Integer)
    raw: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class ReplyState(str, enum.Enum):
    """Where a stranger's reply is in the inbox: ``new`` until it is ``answered`` (from the inbox,
    or on the platform by the account itself) or ``dismissed`` by a person."""

    NEW = "new"
    ANSWERED = "answered"
    DISMISSED = "dismissed"

    def __str__(self) -> str:
        return self.value


class Reply(Base):
    """A reply to a published delivery (or within its conversation), stored once, with its
    sentiment, kind and inbox state. ``ours``: a reply the account itself wrote under someone's
    reply (an answer, seen on the platform): kept for the conversation, never in the inbox."""

    __tablename__ = "replies"
    __table_args__ = (UniqueConstraint("delivery_id", "remote_id"),
                      Index("ix_replies_state_created", "state", "created_at"),
                      Index("ix_replies_created", "created_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    delivery_id: Mapped[int] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"), index=True)
    remote_id: Mapped[str] = mapped_column(String(512))
    author: Mapped[str] = mapped_column(String(255))
    text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    language: Mapped[str | None] = mapped_column(String(35))  # a BCP-47 tag (RFC 5646 §4.4.1)
    polarity: Mapped[float | None] = mapped_column(Float)
    sentiment: Mapped[str | None] = mapped_column(String(16))  # positive | neutral | negative
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime)
    #: stance toward the post's campaign (``content.stance``): question | support | oppose | other;
    #: None until classified (replies stored before schema 0011)
    kind: Mapped[str | None] = mapped_column(String(16))
    #: the rule that decided ``kind`` and its words, cut to the column
    kind_reason: Mapped[str | None] = mapped_column(String(255))
    #: the remote id of what it answers (our post, or another reply in the conversation)
    parent_remote_id: Mapped[str | None] = mapped_column(String(512))
    #: its address on the platform, where the platform gives one (None: see the post's)
    url: Mapped[str | None] = mapped_column(Text)
    ours: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    state: Mapped[ReplyState] = mapped_column(_enum(ReplyState, "reply_state"), default=ReplyState.NEW,
                                              server_default=ReplyState.NEW.value)
    #: when it was answered or dismissed
    state_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    delivery: Mapped[Delivery] = relationship()


class Alert(Base):
    """Something a person must know (a failure, a paused account, an unconfirmed delivery, a burst
    of opposition, a question left unanswered). Logged when raised; sent in one digest by e-mail
    and/or to a Telegram chat when configured; open until a person acknowledges it."""

    __tablename__ = "alerts"
    #: one alert per question left unanswered (several workers may look at once)
    __table_args__ = (UniqueConstraint("kind", "reply_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    #: failed | paused | unconfirmed | held | expiring | expired | draft_missed | opposition | unanswered | listening
    kind: Mapped[str] = mapped_column(String(32))
    account_id: Mapped[int | None] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    delivery_id: Mapped[int | None] = mapped_column(ForeignKey("deliveries.id", ondelete="CASCADE"))
    message: Mapped[str] = mapped_column(Text)
    #: e-mailed (in a digest)
    notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: sent to the Telegram chat (alerts raised before schema 0016: their time of raising)
    telegram_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: dealt with (``alerts ack``): not sent anywhere any more, not listed
    acked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    #: what an inbox alert is about: the campaign of a burst of opposition (and the time of its
    #: last reply: the next burst is counted after it), the question left unanswered
    campaign_id: Mapped[int | None] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    reply_id: Mapped[int | None] = mapped_column(ForeignKey("replies.id", ondelete="CASCADE"))
    burst_end: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Worker(Base):
    """A running engine process (``run`` or a one-shot ``publish``) and its heartbeat; on its own
    machine, ``machine``, ``pid`` and ``process_start`` tell at once whether it has ended."""

    __tablename__ = "workers"

    name: Mapped[str] = mapped_column(String(128), primary_key=True)
    hostname: Mapped[str] = mapped_column(String(255))
    pid: Mapped[int] = mapped_column(Integer)
    #: boot id and pid namespace (``campaigner.processes``); None where /proc is not available
    machine: Mapped[str | None] = mapped_column(String(128))
    process_start: Mapped[int | None] = mapped_column(BigInteger)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime)


class JobRun(Base):
    """Once-only periodic work: the winner moves ``period`` forward with a conditional update."""

    __tablename__ = "job_runs"

    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    period: Mapped[str] = mapped_column(String(32), default="")
    ran_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ran_by: Mapped[str | None] = mapped_column(String(128))


class MediaFile(Base):
    """A file put in the public media place (``campaigner.media_host``) and when it was last
    handed out, so the same file keeps one URL and old files are removed after ``keep_days``."""

    __tablename__ = "media_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    #: the public name: part of the content hash, a random part and the extension
    name: Mapped[str] = mapped_column(String(128), unique=True)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class TagCount(Base):
    """How many public posts carried a hashtag on one day, on one platform as one source counted
    them (a Mastodon instance, Bluesky's search, X's counts): ``posts`` beyond our own, ``own`` ours
    (taken off). ``day`` is a day of ``day_zone`` ("UTC" for Mastodon's history, else the configured
    zone); ``at_least``: a lower bound (the day was not over, or the platform showed no more).
    Collecting the same day again updates the row (see ``services.listening``)."""

    __tablename__ = "tag_counts"
    __table_args__ = (UniqueConstraint("tag", "platform", "source", "day"),
                      Index("ix_tag_counts_day", "day"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the tag in lower case, without "#"
    tag: Mapped[str] = mapped_column(String(128))
    platform: Mapped[str] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(255))
    day: Mapped[date] = mapped_column(Date)
    day_zone: Mapped[str] = mapped_column(String(64))
    posts: Mapped[int] = mapped_column(Integer)
    own: Mapped[int] = mapped_column(Integer, default=0)
    #: accounts that used it, where the platform tells (Mastodon; ours not taken off)
    accounts: Mapped[int | None] = mapped_column(Integer)
    at_least: Mapped[bool] = mapped_column(Boolean, default=False)
    collected_at: Mapped[datetime] = mapped_column(UTCDateTime)
