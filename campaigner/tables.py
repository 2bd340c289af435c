"""The schema in SQLAlchemy Core: every table, in one ``metadata`` — the single definition that the
migrations, the tests and the ORM classes (``campaigner.models``, mapped onto these tables) use.

``post list``, ``queue`` and ``status`` read through these tables alone, so they never import
``sqlalchemy.orm`` nor set up the mappers (tests/core/test_everyday_imports.py). What each table
holds is told on its class in ``campaigner.models``. Every time is stored in UTC (``UTCDateTime``).
"""
from __future__ import annotations

import enum
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    Enum,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.types import TypeDecorator

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


def _enum(cls: type[enum.Enum], name: str, length: int = 16) -> Enum:
    # Stored as plain strings (no native/CHECK enum) so new states need no table rewrite.
    return Enum(cls, name=name, native_enum=False, create_constraint=False, length=length,
                values_callable=lambda e: [m.value for m in e])


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


class Approval(str, enum.Enum):
    """Where a post that needs approval stands (``Post.approval``)."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"

    def __str__(self) -> str:
        return self.value


class ReplyState(str, enum.Enum):
    """Where a stranger's reply is in the inbox: ``new`` until it is ``answered`` (from the inbox,
    or on the platform by the account itself) or ``dismissed`` by a person."""

    NEW = "new"
    ANSWERED = "answered"
    DISMISSED = "dismissed"

    def __str__(self) -> str:
        return self.value


accounts = Table(
    "accounts", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), unique=True, nullable=False),
    Column("platform", String(16), nullable=False),
    Column("handle", String(255)),
    Column("base_url", String(512)),
    Column("timezone", String(64)),  # None = the configured default
    #: the most posts per local day the user wants (None: no cap of their own)
    Column("daily_cap", Integer),
    #: the platform's own publishing quota (Instagram, Threads: posts per moving 24 hours) as it
    #: last reported it; the cap planned against is the lower of this and ``daily_cap``
    Column("quota_total", Integer),
    Column("min_spacing_minutes", Integer),
    Column("char_limit", Integer),  # e.g. a Mastodon instance's own limit
    #: how late its posts may go out, in minutes (0: no limit; None: the configured default)
    Column("max_late_minutes", Integer),
    #: posts to it start as drafts: nothing goes out before a person approves (``post approve``)
    Column("requires_approval", Boolean, default=False, server_default=false(), nullable=False),
    Column("status", _enum(AccountStatus, "account_status"), default=AccountStatus.ACTIVE, nullable=False),
    Column("status_reason", Text),
    Column("token_expires_at", UTCDateTime),
    #: rate-limited: nothing goes out on this account before ``held_until``
    Column("held_until", UTCDateTime),
    Column("held_reason", Text),
    #: the worker publishing on this account now (per-account order, caps and spacing)
    Column("lease_owner", String(128)),
    Column("lease_until", UTCDateTime),
    Column("created_at", UTCDateTime, nullable=False),
)

posting_slots = Table(
    "posting_slots", metadata,
    Column("id", Integer, primary_key=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), nullable=False),
    Column("weekday", Integer, nullable=False),
    Column("local_time", String(5), nullable=False),
    UniqueConstraint("account_id", "weekday", "local_time"),
)

campaigns = Table(
    "campaigns", metadata,
    Column("id", Integer, primary_key=True),
    Column("slug", String(64), unique=True, nullable=False),
    Column("name", String(255), nullable=False),
    Column("issue", Text),
    Column("hashtags", JSON, default=list, nullable=False),
    #: other tags its hashtags are measured against (share of voice), e.g. the other side's
    Column("compare_tags", JSON, default=list, server_default=text("'[]'"), nullable=False),
    Column("auto_hashtags", Boolean, default=True, nullable=False),
    Column("start_date", Date),
    Column("end_date", Date),
    Column("created_at", UTCDateTime, nullable=False),
    #: what the campaign is against and what it is for ("Tapera", "upah layak"): a reply's kind
    #: (``content.stance``) is judged toward them; None is none
    Column("targets_against", JSON),
    Column("targets_for", JSON),
)

posts = Table(
    "posts", metadata,
    Column("id", Integer, primary_key=True),
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="RESTRICT"), index=True),
    Column("text", Text, nullable=False),  # the source text; thread parts separated by '---' lines
    Column("is_thread", Boolean, default=False, nullable=False),
    Column("link", Text),
    Column("variants", JSON, default=dict, nullable=False),  # platform → source text
    Column("source", String(255)),  # e.g. "import calendar.csv:12"
    #: the photos go out with their metadata (location, camera, time): only when a person says so
    Column("keep_metadata", Boolean, default=False, server_default=false(), nullable=False),
    #: the ``CalendarImport`` that wrote it (a plain tag: a foreign key would make SQLite rebuild posts)
    Column("import_id", Integer, index=True),
    #: None: it needed no approval; "pending" (its deliveries are drafts), "approved" or "rejected"
    #: (``Approval``); the reviews themselves, who and when, are ``reviews``
    Column("approval", String(16)),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    #: an answer from the inbox (``campaigner replies answer``): the id of the stranger's reply it
    #: goes under, threaded there on the same account; None for an ordinary post. A plain tag, like
    #: ``import_id``: a foreign key would close a cycle (replies → deliveries → posts → replies)
    Column("answers_reply_id", Integer, index=True),
)

post_reviews = Table(
    "post_reviews", metadata,
    Column("id", Integer, primary_key=True),
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), index=True, nullable=False),
    Column("action", String(16), nullable=False),  # approved | rejected
    Column("reviewer", String(128), nullable=False),
    Column("reviewed_at", UTCDateTime, nullable=False),
    Column("reason", Text),
)

imports = Table(
    "imports", metadata,
    Column("id", Integer, primary_key=True),
    Column("source", String(255), nullable=False),
    Column("host", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("beat_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
)

post_media = Table(
    "post_media", metadata,
    Column("id", Integer, primary_key=True),
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), index=True, nullable=False),
    Column("position", Integer, nullable=False),
    Column("stored_path", Text, nullable=False),  # relative to the media folder
    Column("original_name", String(255), nullable=False),
    Column("mime_type", String(64), nullable=False),
    Column("size_bytes", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("alt_text", Text, default="", nullable=False),
    #: platform → the prepared copy that goes out there (``stored_path``, ``mime_type``,
    #: ``size_bytes``, ``sha256``, ``width``, ``height``, ``notes``); a platform not named gets the
    #: original as it is (see ``campaigner.imaging``)
    #: None: attached before campaigner prepared photos (they are prepared when they go out)
    Column("renditions", JSON, default=dict),
)

account_groups = Table(
    "account_groups", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(64), unique=True, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
)

group_members = Table(
    "group_members", metadata,
    Column("group_id", ForeignKey("account_groups.id", ondelete="CASCADE"), primary_key=True),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE"), primary_key=True, index=True),
    Column("position", Integer, nullable=False),
)

deliveries = Table(
    "deliveries", metadata,
    Column("id", Integer, primary_key=True),
    Column("post_id", ForeignKey("posts.id", ondelete="CASCADE"), index=True, nullable=False),
    Column("account_id", ForeignKey("accounts.id", ondelete="RESTRICT"), nullable=False),
    Column("status", _enum(DeliveryStatus, "delivery_status"), default=DeliveryStatus.QUEUED, nullable=False),
    Column("due_at", UTCDateTime, nullable=False),
    #: the moment it was meant for, once the engine moved ``due_at`` later for a daily cap or
    #: spacing (None: ``due_at`` is that moment); lateness is measured from it
    Column("intended_at", UTCDateTime),
    #: its own lateness limit (``post add --expires`` / ``--max-late``): not sent after
    #: ``expires_at``, or ``max_late_minutes`` after its moment (0: no limit); both None: the
    #: account's limit, else the configured default
    Column("expires_at", UTCDateTime),
    Column("max_late_minutes", Integer),
    Column("slot_based", Boolean, default=False, nullable=False),
    Column("attempt_count", Integer, default=0, nullable=False),
    Column("next_attempt_at", UTCDateTime),
    Column("claimed_by", String(128)),
    Column("claimed_at", UTCDateTime),
    Column("lease_until", UTCDateTime),
    Column("remote_id", String(512)),  # of the first part
    Column("remote_url", Text),
    Column("published_at", UTCDateTime),
    Column("last_error", Text),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_deliveries_status_due", "status", "due_at"),
    Index("ix_deliveries_account_due", "account_id", "due_at"),
    #: the weekly report selects a week's deliveries by status and ``published_at``, the polls and
    #: ``status`` the recent ones: a range of this index (SQLite, which has no statistics here,
    #: uses it where it would not use one on ``published_at`` alone)
    Index("ix_deliveries_status_published", "status", "published_at"),
)

delivery_parts = Table(
    "delivery_parts", metadata,
    Column("id", Integer, primary_key=True),
    Column("delivery_id", ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("text", Text, nullable=False),
    #: random per part (UUID, or an atproto TID for Bluesky), never derived from an id
    Column("idempotency_key", String(64), unique=True, nullable=False),
    Column("remote_id", String(512)),
    Column("remote_url", Text),
    Column("published_at", UTCDateTime),
    #: what the connector asked to keep between calls (``OutgoingPost.progress``: a Meta container)
    Column("progress", JSON),
    UniqueConstraint("delivery_id", "position"),
)

attempts = Table(
    "attempts", metadata,
    Column("id", Integer, primary_key=True),
    Column("delivery_id", ForeignKey("deliveries.id", ondelete="CASCADE"), index=True, nullable=False),
    Column("part_position", Integer, default=0, nullable=False),
    Column("kind", String(16), default="publish", nullable=False),  # publish | reconcile | delete
    Column("worker", String(128)),
    Column("started_at", UTCDateTime, nullable=False),
    Column("finished_at", UTCDateTime),
    Column("outcome", _enum(AttemptOutcome, "attempt_outcome", 32)),
    Column("http_status", Integer),
    Column("error", Text),
)

metric_snapshots = Table(
    "metric_snapshots", metadata,
    Column("id", BigInteger().with_variant(Integer, "sqlite"), primary_key=True),
    Column("delivery_id", ForeignKey("deliveries.id", ondelete="CASCADE"), nullable=False),
    Column("collected_at", UTCDateTime, nullable=False),
    Column("missing", Boolean, default=False, nullable=False),  # the platform no longer has it
    Column("likes", Integer),
    Column("reposts", Integer),
    Column("replies", Integer),
    Column("quotes", Integer),
    Column("impressions", BigInteger),
    Column("bookmarks", Integer),
    Column("clicks", Integer),
    Column("reach", BigInteger),
    Column("shares", Integer),
    Column("raw", JSON, default=dict, nullable=False),
    #: (with id: the latest snapshot is ``ORDER BY collected_at DESC, id DESC LIMIT 1``, read off the index)
    Index("ix_metric_snapshots_delivery_time_id", "delivery_id", "collected_at", "id"),
)

replies = Table(
    "replies", metadata,
    Column("id", Integer, primary_key=True),
    Column("delivery_id", ForeignKey("deliveries.id", ondelete="CASCADE"), index=True, nullable=False),
    Column("remote_id", String(512), nullable=False),
    Column("author", String(255), nullable=False),
    Column("text", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("language", String(35)),  # a BCP-47 tag (RFC 5646 §4.4.1)
    Column("polarity", Float),
    Column("sentiment", String(16)),  # positive | neutral | negative
    Column("collected_at", UTCDateTime, nullable=False),
    #: stance toward the post's campaign (``content.stance``): question | support | oppose | other;
    #: None until classified (replies stored before schema 0011)
    Column("kind", String(16)),
    #: the rule that decided ``kind`` and its words, cut to the column
    Column("kind_reason", String(255)),
    #: the version of the classifier that decided ``kind`` (``content.classifier_version``); a reply
    #: judged by another (or before schema 0018: None) is judged again
    Column("kind_version", String(16)),
    #: the remote id of what it answers (our post, or another reply in the conversation)
    Column("parent_remote_id", String(512)),
    #: its address on the platform, where the platform gives one (None: see the post's)
    Column("url", Text),
    Column("ours", Boolean, default=False, server_default=false(), nullable=False),
    Column("state", _enum(ReplyState, "reply_state"), default=ReplyState.NEW, server_default=ReplyState.NEW.value, nullable=False),
    #: when it was answered or dismissed
    Column("state_at", UTCDateTime),
    UniqueConstraint("delivery_id", "remote_id"),
    Index("ix_replies_state_created", "state", "created_at"),
    Index("ix_replies_created", "created_at"),
)

alerts = Table(
    "alerts", metadata,
    Column("id", Integer, primary_key=True),
    Column("created_at", UTCDateTime, index=True, nullable=False),
    #: failed | paused | unconfirmed | held | expiring | expired | draft_missed | opposition | unanswered | listening
    Column("kind", String(32), nullable=False),
    Column("account_id", ForeignKey("accounts.id", ondelete="CASCADE")),
    Column("delivery_id", ForeignKey("deliveries.id", ondelete="CASCADE")),
    Column("message", Text, nullable=False),
    #: e-mailed (in a digest)
    Column("notified_at", UTCDateTime),
    #: sent to the Telegram chat (alerts raised before schema 0016: their time of raising)
    Column("telegram_at", UTCDateTime),
    #: dealt with (``alerts ack``): not sent anywhere any more, not listed
    Column("acked_at", UTCDateTime),
    #: what an inbox alert is about: the campaign of a burst of opposition (and the time of its
    #: last reply: the next burst is counted after it), the question left unanswered
    Column("campaign_id", ForeignKey("campaigns.id", ondelete="CASCADE")),
    Column("reply_id", ForeignKey("replies.id", ondelete="CASCADE")),
    Column("burst_end", UTCDateTime),
    #: one alert per question left unanswered (several workers may look at once)
    UniqueConstraint("kind", "reply_id"),
)

workers = Table(
    "workers", metadata,
    Column("name", String(128), primary_key=True),
    Column("hostname", String(255), nullable=False),
    Column("pid", Integer, nullable=False),
    #: boot id and pid namespace (``campaigner.processes``); None where /proc is not available
    Column("machine", String(128)),
    Column("process_start", BigInteger),
    Column("started_at", UTCDateTime, nullable=False),
    Column("last_seen_at", UTCDateTime, nullable=False),
)

job_runs = Table(
    "job_runs", metadata,
    Column("name", String(64), primary_key=True),
    Column("period", String(32), default="", nullable=False),
    Column("ran_at", UTCDateTime),
    Column("ran_by", String(128)),
)

listening_refusals = Table(
    "listening_refusals", metadata,
    #: the platform whose daily listening failed because it refused the credentials it counts with
    #: (its ``listening_failing:PLATFORM`` row of ``job_runs`` says since when, and why)
    Column("platform", String(16), primary_key=True),
    #: the account whose credentials were refused, and the secret field to renew
    Column("account", String(64), nullable=False),
    Column("field", String(64), nullable=False),
    #: the try that was refused (moved from before schema 0019: when the failures began)
    Column("refused_at", UTCDateTime, nullable=False),
)

media_files = Table(
    "media_files", metadata,
    Column("id", Integer, primary_key=True),
    Column("sha256", String(64), unique=True, nullable=False),
    #: the public name: part of the content hash, a random part and the extension
    Column("name", String(128), unique=True, nullable=False),
    Column("published_at", UTCDateTime, index=True, nullable=False),
)

tag_counts = Table(
    "tag_counts", metadata,
    Column("id", Integer, primary_key=True),
    #: the tag in lower case, without "#"
    Column("tag", String(128), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("source", String(255), nullable=False),
    Column("day", Date, nullable=False),
    Column("day_zone", String(64), nullable=False),
    Column("posts", Integer, nullable=False),
    Column("own", Integer, default=0, nullable=False),
    #: accounts that used it, where the platform tells (Mastodon; ours not taken off)
    Column("accounts", Integer),
    Column("at_least", Boolean, default=False, nullable=False),
    Column("collected_at", UTCDateTime, nullable=False),
    UniqueConstraint("tag", "platform", "source", "day"),
    Index("ix_tag_counts_day", "day"),
)
