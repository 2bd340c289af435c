"""The types every connector shares: what goes out, what comes back, and how it fails.

Connectors never sleep and never retry; they raise one of the typed errors below and the
scheduler decides what happens next.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any, Callable, Mapping, Protocol, Sequence, runtime_checkable


def N_(message: str) -> str:
    """Marks ``message`` for the catalog without translating it: it is translated (with
    ``gettext``) where it is shown."""
    return message

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The current time in UTC; connectors take a ``clock`` so tests can pass their own."""
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class MediaFile:
    """One image or video to attach, with its alt text."""

    path: Path
    mime_type: str
    alt_text: str = ""
    #: the public https address the platform fetches the file from (Instagram, Threads): set by the
    #: engine, which puts the file on the configured ``[media]`` host just before publishing; None
    #: for platforms that take an upload
    url: str | None = None


@dataclass(frozen=True)
class OutgoingPost:
    """One post (or one part of a thread) to publish on one account.

    ``idempotency_key`` is random per delivery part (a UUID, or a TID for Bluesky) and is stored
    by the caller, so a retry after an unknown outcome sends the same key again.
    """

    text: str
    idempotency_key: str
    link: str | None = None
    media: tuple[MediaFile, ...] = ()
    reply_to: str | None = None          # remote id of the previous part, for threads
    thread_root: str | None = None       # remote id of the first part (Bluesky needs it)
    #: an answer from the inbox: ``reply_to`` is someone else's reply (not this thread's previous
    #: part) and ``thread_root`` the account's post the conversation is under
    answer: bool = False
    language: str | None = "id"          # ISO 639-1
    scheduled_for: datetime | None = None  # the due time (UTC), used by find_existing
    #: what an earlier call of ``publish`` for this part left behind and asked to be kept (a Meta
    #: media container's id and when it was made): given back to ``publish`` and ``find_existing``
    #: so a post being processed is resumed, and an unknown outcome is settled from it
    progress: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Published:
    """What the platform said after a successful publish."""

    remote_id: str
    url: str | None
    published_at: datetime


@dataclass(frozen=True)
class Metrics:
    """Engagement of one post. ``None`` means the platform does not tell — never a guessed 0."""

    remote_id: str
    likes: int | None = None
    reposts: int | None = None
    replies: int | None = None
    quotes: int | None = None
    impressions: int | None = None
    bookmarks: int | None = None
    clicks: int | None = None
    #: accounts that saw it at least once (Instagram ``reach``)
    reach: int | None = None
    #: sent on to others (Instagram and Threads ``shares``; a repost is ``reposts``)
    shares: int | None = None
    raw: Mapping[str, Any] = field(default_factory=dict)


#: the counts a ``Metrics`` may carry (a platform's record says which of them it fills)
METRIC_FIELDS = ("likes", "reposts", "replies", "quotes", "impressions", "bookmarks", "clicks", "reach", "shares")


@dataclass(frozen=True)
class MetricsBatch:
    """Result of ``metrics()``: metrics for the posts found, and the ids the platform no longer has."""

    found: dict[str, Metrics]
    missing: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Reply:
    """A reply in a post's conversation. ``in_reply_to``: the remote id of what it answers (the
    post, or another reply); ``url``: its address where the platform gives one; ``ours``: the
    account itself wrote it (its answer under someone's reply; thread parts are left out where
    the connector can tell them)."""

    remote_id: str
    author: str
    text: str
    created_at: datetime
    language: str | None = None
    in_reply_to: str | None = None
    url: str | None = None
    ours: bool = False


#: the largest count a platform's answer may give for one tag on one day (PostgreSQL's integer); a
#: figure beyond it, negative or not a whole number is not a count
MAX_TAG_COUNT = 2**31 - 1


def whole_count(value: object) -> int | None:
    """A count from a platform's answer — a whole number, or its digits as text (Mastodon sends
    ``"12"``) — if it is one from 0 to ``MAX_TAG_COUNT``; else None (not a count)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not (text.isascii() and text.isdigit()) or len(text) > 10:
            return None
        value = int(text)
    if not isinstance(value, int) or not 0 <= value <= MAX_TAG_COUNT:
        return None
    return value


@dataclass(frozen=True)
class DayCount:
    """Public posts carrying a hashtag on one day, as the platform counted them (ours included).

    ``at_least``: a lower bound, not the whole day — the day is not over, the search stopped before
    its end, or the platform's answer covers only part of it. ``accounts``: how many accounts
    posted them, where the platform tells (Mastodon), else None."""

    day: date
    posts: int
    at_least: bool = False
    accounts: int | None = None


def zone_name(zone: tzinfo) -> str:
    """A zone's IANA name (``Asia/Jakarta``), or what it calls itself when it has none (``UTC+07:00``)."""
    return getattr(zone, "key", None) or str(zone)


@dataclass(frozen=True)
class TagCounts:
    """A hashtag's daily counts from one source (``tag`` without ``#``).

    ``source`` names where it was counted (a Mastodon instance's host, the Bluesky service, X's
    API host); ``day_zone`` is the zone the days are days of: the zone asked for, or ``"UTC"``
    where the platform counts UTC days (Mastodon's tag history). ``requests``: calls made."""

    tag: str
    source: str
    day_zone: str
    days: tuple[DayCount, ...]
    requests: int


@dataclass(frozen=True)
class Identity:
    """Who the credentials belong to, as ``verify()`` found out."""

    remote_id: str
    handle: str
    display_name: str | None = None
    url: str | None = None
    #: when the credentials stop working, as the platform says (aware UTC); None when they do not
    #: expire or the platform does not say
    token_expires_at: datetime | None = None
    #: the account's publishing quota as the platform reports it (Instagram, Threads), else None
    quota: "Quota | None" = None


@dataclass(frozen=True)
class Quota:
    """A platform's own publishing limit for the account: ``used`` of ``total`` posts in the moving
    ``window`` (Instagram's ``content_publishing_limit``, Threads' ``threads_publishing_limit``)."""

    used: int
    total: int
    window: timedelta

    @property
    def left(self) -> int:
        return max(0, self.total - self.used)


@dataclass(frozen=True)
class RefreshedToken:
    """A renewed token: the secret field it replaces (``secret``, e.g. ``ACCESS_TOKEN``), the new
    ``value`` and when it expires. ``repr`` never shows the value."""

    secret: str
    value: str = field(repr=False)
    expires_at: datetime | None = None


@dataclass(frozen=True)
class AccountConfig:
    """Everything a connector needs about one account. Secrets live only in ``secrets``.

    ``repr`` never shows secret values.
    """

    name: str
    platform: str
    base_url: str | None = None
    handle: str | None = None
    secrets: Mapping[str, str] = field(default_factory=dict)
    timeout: float = 20.0
    #: a private folder (mode 0700) where the connector may keep state between runs
    #: (the sandbox's posts, a Bluesky session); None = keep nothing
    state_dir: Path | None = None

    def __repr__(self) -> str:  # keep secrets out of logs and tracebacks
        return (f"AccountConfig(name={self.name!r}, platform={self.platform!r}, "
                f"base_url={self.base_url!r}, handle={self.handle!r}, "
                f"secrets=<{', '.join(sorted(self.secrets))}>)")


#: the longest message a connector error keeps (it is stored, shown by `status` and e-mailed)
MAX_ERROR_LENGTH = 500


class ConnectorError(Exception):
    """Base of every error a connector raises. Messages never contain secrets, and are one line of
    at most ``MAX_ERROR_LENGTH`` printable characters: a platform's error text (or a broken proxy's
    page) may be long, span lines or hold control bytes. ``http_status`` is the platform's HTTP
    status when it answered (None: no answer, or not an HTTP refusal)."""

    def __init__(self, message: str = "", *args: object, http_status: int | None = None,
                 progress: Mapping[str, Any] | None = None):
        super().__init__(one_line(str(message)), *args)
        self.http_status = http_status
        #: what to keep for the next call (``OutgoingPost.progress``): e.g. the id of a Meta
        #: container made before ``media_publish`` lost its answer. None: keep what was kept
        self.progress = progress


def one_line(text: str, limit: int = MAX_ERROR_LENGTH) -> str:
    """``text`` with each run of whitespace as one space, other unprintable characters as "?",
    and cut to ``limit`` characters (ending in "…" when cut)."""
    if not text.isprintable():
        text = "".join(c if c.isprintable() or c.isspace() else "?" for c in text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


class RateLimited(ConnectorError):
    """The platform refused for now; try again at ``retry_at`` (UTC). ``scope`` is 'account' or 'app'."""

    def __init__(self, retry_at: datetime, message: str = "rate limited", scope: str = "account", *,
                 http_status: int | None = None):
        super().__init__(message, http_status=http_status)
        self.retry_at = retry_at
        self.scope = scope


class Transient(ConnectorError):
    """A temporary failure (5xx, network error). ``outcome_unknown`` means the request may have
    reached the platform (timeout, dropped connection) — reconcile before sending again."""

    def __init__(self, message: str, outcome_unknown: bool = False, *, http_status: int | None = None):
        super().__init__(message, http_status=http_status)
        self.outcome_unknown = outcome_unknown


class Permanent(ConnectorError):
    """The platform will never accept this request as it is."""

    def __init__(self, reason: str, *, http_status: int | None = None):
        super().__init__(reason, http_status=http_status)
        self.reason = self.args[0]  # as shortened to one line


class AlreadyPublished(Permanent):
    """The platform refuses the post because it already has it: X's 403 "duplicate content",
    Facebook's "Duplicate status message", a Bluesky record key already taken by this post.

    After a call whose outcome was unknown this means "it went out": the scheduler looks for it
    (``find_existing``) instead of failing the delivery. A ``Permanent`` so that code which does not
    know it still never sends the post again."""


class NotReady(ConnectorError):
    """Nothing is published yet: the platform is still preparing the post (a Meta media container
    ``IN_PROGRESS``). The engine keeps ``progress`` (required) and calls ``publish`` again at
    ``check_at`` with it as ``OutgoingPost.progress``; the connector never sleeps to wait."""

    def __init__(self, check_at: datetime, progress: Mapping[str, Any], message: str = "still being processed"):
        super().__init__(message, progress=progress)
        self.check_at = check_at


class AuthExpired(ConnectorError):
    """Credentials are wrong, revoked or expired: pause the account and tell someone."""


class NotSupported(ConnectorError):
    """The platform (or this access tier) does not offer the operation."""


class Connector(Protocol):
    """What the engine needs from every platform.

    Built as ``ConnectorClass(config: AccountConfig, *, clock: Clock = system_clock)``.
    """

    platform: str
    #: the platform's largest batch for ``metrics()``
    metrics_batch_size: int
    #: required: False where the platform offers no way to look (Telegram), so ``find_existing``
    #: returning None means "cannot tell" and an unknown outcome needs a person
    can_find_existing: bool

    def verify(self) -> Identity: ...

    def publish(self, post: OutgoingPost) -> Published: ...

    def find_existing(self, post: OutgoingPost, since: datetime) -> Published | None: ...

    def delete(self, remote_id: str) -> None: ...

    def metrics(self, remote_ids: Sequence[str]) -> MetricsBatch: ...

    def replies(self, remote_id: str, since: datetime | None = None) -> list[Reply]:
        """Replies by others in the conversation under post ``remote_id`` (written at ``since`` or
        later, where the platform can tell), and the account's own replies under them
        (``Reply.ours``, whatever their time: they mark a reply as answered)."""
        ...


@dataclass(frozen=True)
class Answers:
    """The account's own answers found under some replies (``Reply.ours``, ``in_reply_to`` the
    reply answered), and how many requests finding them took."""

    found: list[Reply]
    requests: int


@runtime_checkable
class FindsAnswers(Protocol):
    """A connector that can look up the account's own answers to given replies whatever their time
    (a conversation read starts at the newest reply stored, so an answer the platform shows only
    later, older than that, would never be seen): the cheapest read the platform has, one request
    per reply or fewer. A reply that no longer exists is passed over."""

    def answers(self, remote_id: str, reply_ids: Sequence[str]) -> Answers: ...


class HasQuota(Protocol):
    """A connector whose platform reports its own publishing quota (``PlatformInfo.quota``)."""

    def quota(self) -> Quota: ...


class RefreshesToken(Protocol):
    """A connector whose token can be renewed before it expires (``PlatformInfo.refreshes_token``).
    ``refresh_token`` raises ``AuthExpired`` when the token can no longer be renewed, ``NotSupported``
    when it is too young to be (Meta: less than 24 hours old)."""

    def refresh_token(self) -> RefreshedToken: ...


class CountsTags(Protocol):
    """A connector that counts public posts carrying a hashtag per day (listening, share of voice).

    ``tag_counts`` covers the days ``since`` up to, not including, ``until``, as days of ``zone``
    where the platform lets them be (``TagCounts.day_zone`` says which zone they are in); a day
    the platform cannot tell any more (past its window) is left out, never given as 0."""

    def tag_counts(self, tag: str, since: date, until: date, zone: tzinfo) -> TagCounts: ...
