"""The weekly report's numbers, as plain dataclasses (renderers live in ``campaigner.report_render``).

What is counted, and how (the choices the report documents):

- **The week** is an ISO week in the configured zone (default Asia/Jakarta): Monday 00:00 local
  to the next Monday 00:00 local. The default is the last full week before now.
- **Published in the week** means a delivery (one post on one account) whose status is
  ``published`` (or ``deleted``: it went out, and was taken down since) and whose ``published_at``
  falls in the week. One taken down before the end of the week is shown as *deleted* (not as
  gone, nor failed) and left out of the top posts; the engagement measured before it was taken
  down counts. **Failed in the week** means a
  delivery whose status is ``failed`` and that last changed (``updated_at``, when it failed) in
  the week.
- **Engagement** of a delivery comes from its *latest snapshot collected before the end of the
  week*. A delivery with no such snapshot is "not measured"; one whose latest snapshot says the
  platform no longer has it is "gone". Neither adds to any sum.
- **Interactions** = likes + reposts + replies + quotes, each as far as the platform tells
  (``None`` counts as unknown, never as 0); a delivery where none of the four is known has no
  interactions (``None``).
- **Totals** add the known values only. A total is ``None`` ("n/a") when no delivery of the
  group has that metric; ``known`` says how many deliveries told it.
- **Engagement rate** = interactions / impressions, over the deliveries that have both
  (e.g. X); ``None`` where no delivery has impressions.
- **Change** compares with the previous ISO week computed the same way (its own latest snapshots
  before its own end).
- **Hashtags**: the tags in the text that actually went out (every thread part), matched
  case-insensitively, plus the campaigns' own tags (listed with 0 posts when no post carried
  them). A post counts once per tag.
- **Best times**: over the 8 weeks ending with the report's week, the average interactions per
  measured post by *local* hour and by *local* weekday, each post in its own account's zone;
  per account and pooled. A slot needs at least ``MIN_POSTS_FOR_BEST`` posts to be named best.
  With ``--campaign`` only that campaign's posts count.
- **Replies**: replies by others written during the week (``created_at`` in the week) to posts in
  scope, whenever those were published; counted by sentiment label and by language, with a few
  examples (most positive, most negative; the same sentence once). The inbox block
  (``services.report_inbox``): the same replies by kind per campaign, the week's questions still
  unanswered, the most-replied posts, answers sent.
- **Answers** sent from the replies inbox are no posts of the report (not published, failed, top
  posts, hashtags or best times): the inbox block counts them.
- **Needs attention** covers every account (account health is not per campaign), as of when the
  report is built: paused (with the reason), held by a rate limit, a token expiring within
  ``TOKEN_WARNING`` (or already expired); repeated failures in the week
  (``FAILED_DELIVERIES_ALERT`` failed posts or ``FAILED_ATTEMPTS_ALERT`` failed attempts); and
  posts that expired in the week (not sent: past their lateness limit) and were neither sent
  by hand nor cancelled since; and drafts whose time fell in the week (up to when the report is
  built) and that are still waiting for approval (not sent).
- **Published late**: a delivery's time is the moment it was queued for (before any cap or
  spacing deferral); one published ``LATE_LISTED`` (15 minutes) or more after it is listed.
- **Share of voice** (``services.voice``): per campaign with hashtags, per platform and
  source, the public posts carrying its hashtags against its comparison tags over the week's days
  (Mastodon's as UTC days) on which every one of its tags was counted there, our own posts left
  out; the platforms are never added up, as each counts a different public.

Speed: everything is read with Core selects on ``campaigner.tables`` (accounts and campaigns are
rows of their tables), so the command imports neither ``sqlalchemy.orm`` nor the mapped classes of
``campaigner.models`` and sets up no mapper (``--campaign`` alone looks the campaign up through
``services.campaigns``). The latest snapshot of each delivery is picked in SQL, in the same statement, by an
``ORDER BY collected_at DESC, id DESC LIMIT 1`` per delivery on the (delivery_id, collected_at, id)
index — a ``LATERAL`` join on PostgreSQL, a correlated sub-select on SQLite — never one query per
delivery. The week's own deliveries are read in one statement (for top posts, hashtags and the
CSV/JSON lines, as plain Core rows) and held column by column (``DeliveryLines``: one list per
field, each worked out over a whole column; a ``DeliveryLine`` is made only for a line looked at one
by one — a top post, a late one), and its totals per campaign and account added up from them; the week
before's totals are ``GROUP BY campaign, account`` in SQL; the 8-week history is grouped in SQL by
account, local weekday and local hour (each account's zone offset, daylight-saving periods
included, applied in SQL), so Python merges a few hundred rows — but for the report's own week,
whose lines (with the same latest snapshots) are read already: their local weekday and hour are
worked out from them the same way (``history_of``). Each published line of the week is added up
once, in the group of lines of its campaign, account and tags; the week's totals per campaign and
account, and each hashtag's, add up those groups. Each line's first part comes with it (a
thread's other parts are read apart); the week's replies are read once, grouped, for the
sentiment and the inbox blocks (``report_inbox.read_week``), and the reply examples are picked
from the replies before they are joined to their posts. On PostgreSQL the report's transaction
runs with JIT off, 64 MB of work memory (the week's lines sorted in memory, not on disk) and in
UTC, so the lines' times come from psycopg as ``UTCDateTime`` would make them, without a Python
step per value (``_as_read``). The cyclic garbage collector is
paused while the report is built (it found nothing to collect, and took a third of the time on a
week of 50,000 deliveries) — ``report weekly`` pauses it from its imports to the file written —
and what was made meanwhile goes to its oldest generation at once (``report_gc``).
``bench/report.py`` measures it on 50,000 deliveries and 1,000,000 snapshots, and the whole
``report weekly`` command in HTML, CSV and JSON.
"""
from __future__ import annotations

import heapq
import operator
import re
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from itertools import compress
from typing import Any, Callable, Iterable, Iterator, overload
from zoneinfo import ZoneInfo

from sqlalchemy import (BigInteger, DateTime, Integer, and_, case, cast, func, or_, select, text as sql_text, true,
                        type_coerce)
from sqlalchemy.engine import Row

from campaigner import db
from campaigner.app import App
from campaigner.errors import InvalidInput
from campaigner.i18n import _
from campaigner.tables import AccountStatus, AttemptOutcome as O, DeliveryStatus as S
from campaigner.tables import (accounts as _accounts, attempts as _attempts, campaigns as _campaigns,
                               deliveries as _deliveries, delivery_parts as _parts, metric_snapshots as _snapshots,
                               posts as _posts, replies as _replies)
from campaigner.lateness import LATE_LISTED
from campaigner.services import report_inbox
from campaigner.services.report_inbox import InboxSummary
from campaigner.services.report_gc import no_cycle_collection  # noqa: F401 (here for its users)
from campaigner.services.token_expiry import expires_soon
from campaigner.services.voice import CampaignVoice, share_of_voice
from campaigner.services.weeks import Week, default_week, week_of  # noqa: F401 (here for its users)
from connectors.base import METRIC_FIELDS as METRICS

#: the report reads through the Core tables (``campaigner.tables``): neither ``sqlalchemy.orm`` nor
#: the mapped classes of ``campaigner.models`` are imported, nor their mappers set up, on its way
#: (tests/monitoring/test_report_imports.py); an account or campaign is a row of its table
D, P, DP, AT, R = (t.c for t in (_deliveries, _posts, _parts, _attempts, _replies))
Account = Row[Any]
Campaign = Row[Any]

#: what "interactions" adds up
INTERACTIONS = ("likes", "reposts", "replies", "quotes")
SENTIMENTS = ("positive", "neutral", "negative")
#: best times look back this many weeks (the report's week included)
HISTORY_WEEKS = 8
#: a local hour or weekday needs this many measured posts before it can be called "best"
MIN_POSTS_FOR_BEST = 3
#: an account with this many failed posts (or failed attempts) in the week needs attention
FAILED_DELIVERIES_ALERT = 2
FAILED_ATTEMPTS_ALERT = 3
#: attempt outcomes that are errors (a rate-limit wait is not, nor a post the platform already has)
FAILED_OUTCOMES = (O.TRANSIENT, O.PERMANENT, O.AUTH_EXPIRED, O.UNKNOWN)
TOP_POSTS = 5
TOP_POSTS_PER_CAMPAIGN = 3
REPLY_EXAMPLES = 3

_WEEK_RE = re.compile(r"^\s*(\d{4})-?[Ww](\d{1,2})\s*$")


class BadWeek(InvalidInput):
    """A ``--week`` that is not an ISO week (a usage error)."""

    exit_code = 2


# --- the week -------------------------------------------------------------------------------------
def parse_week(text: str) -> tuple[int, int]:
    """``2026-W48`` (also ``2026W48``, ``2026-w48``) → (2026, 48); anything else, or a year outside
    2000..2100, → ``BadWeek``."""
    # social media (and campaigner's data) begin after 2000; a week near year 1 or 9999 would take
    # the report's look-back (the week before, 8 weeks of history) off the calendar
    first_year, last_year = 2000, 2100
    m = _WEEK_RE.match(text or "")
    if m:
        year, week = int(m.group(1)), int(m.group(2))
        try:
            date.fromisocalendar(year, week, 1)
        except ValueError:
            pass
        else:
            if not first_year <= year <= last_year:
                raise BadWeek(_("the week {week!r} is out of range").format(week=text.strip()),
                              _("use a week of the years {first} to {last}, e.g. 2026-W48").format(
                                  first=first_year, last=last_year))
            return year, week
    raise BadWeek(_("cannot read the week {week!r}").format(week=text), _("use an ISO week like 2026-W48"))


def chosen_week(text: str, now: datetime, zone: ZoneInfo) -> Week:
    """The week ``report weekly --week`` asks for; one that has not started yet is refused (it has
    no figures at all — the current week is fine: its report says it is not over yet)."""
    week = week_of(*parse_week(text), zone)
    if now < week.start:
        current = week_of(*now.astimezone(zone).isocalendar()[:2], zone)
        raise InvalidInput(_("the week {iso} has not started yet (it begins {first_day:%a %d %b %Y})").format(iso=week.iso, first_day=week.first_day),
                           _("pick a week up to {iso}, the current one").format(iso=current.iso))
    return week


# --- the numbers ----------------------------------------------------------------------------------
@dataclass
class Totals:
    """Engagement of a group of deliveries, from each one's latest snapshot in the period.

    ``sums[m]`` adds the known values of metric ``m`` and is ``None`` when no delivery told it;
    ``known[m]`` is how many did. ``interactions`` likewise. The rate's basis is the deliveries
    that have both interactions and impressions.
    """

    posts: int = 0
    measured: int = 0   # deliveries with a snapshot that has numbers
    gone: int = 0       # latest snapshot: the platform no longer has the post (and we did not delete it)
    deleted: int = 0    # taken down (``post delete``) before the end of the period
    sums: dict[str, int | None] = field(default_factory=lambda: dict.fromkeys(METRICS))
    known: dict[str, int] = field(default_factory=lambda: dict.fromkeys(METRICS, 0))
    interactions: int | None = None
    interactions_known: int = 0
    rate_interactions: int = 0
    rate_impressions: int = 0

    @property
    def engagement_rate(self) -> float | None:
        return self.rate_interactions / self.rate_impressions if self.rate_impressions else None

    @property
    def per_post(self) -> float | None:
        """Average interactions per post that has them."""
        if self.interactions is None or not self.interactions_known:
            return None
        return self.interactions / self.interactions_known

    def add(self, other: "Totals") -> "Totals":
        self.posts += other.posts
        self.measured += other.measured
        self.gone += other.gone
        self.deleted += other.deleted
        for m in METRICS:
            self.known[m] += other.known[m]
            theirs = other.sums[m]
            if theirs is not None:
                self.sums[m] = (self.sums[m] or 0) + theirs
        if other.interactions is not None:
            self.interactions = (self.interactions or 0) + other.interactions
        self.interactions_known += other.interactions_known
        self.rate_interactions += other.rate_interactions
        self.rate_impressions += other.rate_impressions
        return self


_METRIC_VALUES = operator.itemgetter(*METRICS)


def totals_of(lines: "Iterable[DeliveryLine]") -> Totals:
    """The Totals of the published ones among ``lines`` (for hashtags), metric by metric."""
    pub = [d for d in lines if d.status in ("published", "deleted")]
    return _totals([d.status for d in pub], [d.gone for d in pub], [d.measured for d in pub],
                   [_METRIC_VALUES(d.values) if d.measured else _NO_FIGURES for d in pub],
                   [d.interactions for d in pub])


def _totals(statuses: list[str], gone: list[bool], measured: list[bool], figures: list[tuple],
            interactions: list[int | None]) -> Totals:
    """The Totals of a group of published lines, given as columns (``DeliveryLines``'): each
    line's status, ``gone``, ``measured``, figures (``METRICS``' order) and interactions."""
    t = Totals(posts=len(statuses), measured=sum(measured), gone=sum(gone), deleted=statuses.count("deleted"))
    if not t.measured:
        return t
    # one column per metric (C loops, not one Python loop per metric)
    for m, column in zip(METRICS, zip(*compress(figures, measured))):
        known = [v for v in column if v is not None]
        t.known[m] = len(known)
        t.sums[m] = sum(known) if known else None
    impressions = METRICS.index("impressions")
    inter = [i for i in compress(interactions, measured) if i is not None]
    t.interactions_known = len(inter)
    t.interactions = sum(inter) if inter else None
    pairs = [(i, imp) for i, f in compress(zip(interactions, figures), measured) if i is not None
             and (imp := f[impressions]) is not None]
    t.rate_interactions = sum([i for i, _ in pairs])
    t.rate_impressions = sum([v for _, v in pairs])
    return t


@dataclass
class Period:
    """Published and failed counts and engagement totals of a group in one week."""

    published: int = 0
    failed: int = 0
    totals: Totals = field(default_factory=Totals)

    def add(self, other: "Period") -> "Period":
        self.published += other.published
        self.failed += other.failed
        self.totals.add(other.totals)
        return self


@dataclass
class Breakdown:
    """One platform's or one account's line: this week and the week before."""

    key: str                 # platform name, or account name
    platform: str
    current: Period
    previous: Period


@dataclass(slots=True)
class DeliveryLine:
    """One delivery published (or failed) in the week, with its latest snapshot."""

    delivery_id: int
    post_id: int
    status: str              # published | deleted (published, taken down before the week ended) | failed
    campaign: str | None     # slug
    account: str
    platform: str
    due_at: datetime         # its time: the moment it was queued for (before any cap deferral)
    published_at: datetime | None
    failed_at: datetime | None
    url: str | None
    snapshot_at: datetime | None
    gone: bool
    values: dict[str, int | None]
    text: str                # the first part as it went out
    hashtags: list[str]
    error: str | None = None
    #: its latest snapshot says the platform no longer has it (``gone``, or taken down: ``deleted``)
    missing: bool = False
    #: the ids behind ``account`` and ``campaign`` (the week's totals are added up by them)
    account_id: int = 0
    campaign_id: int | None = None
    #: from ``values``, worked out once
    measured: bool = field(init=False)
    interactions: int | None = field(init=False)
    engagement_rate: float | None = field(init=False)
    #: how much later than its time it went out (published only)
    late: timedelta | None = field(init=False)

    def __post_init__(self) -> None:
        # (written out, attribute by attribute: a week can have 50,000 lines)
        published = self.published_at
        self.late = None if published is None else max(published - self.due_at, _NO_TIME)
        self.measured = measured = self.snapshot_at is not None and not self.missing
        inter = None
        values = self.values
        if measured:
            likes, reposts, replies, quotes = (values["likes"], values["reposts"], values["replies"],
                                               values["quotes"])
            if likes is not None or reposts is not None or replies is not None or quotes is not None:
                inter = (likes or 0) + (reposts or 0) + (replies or 0) + (quotes or 0)
        self.interactions = inter
        imp = values.get("impressions")
        self.engagement_rate = inter / imp if inter is not None and imp else None


_NO_TIME = timedelta(0)


#: the fields of a ``DeliveryLine`` that ``DeliveryLines`` holds as columns (its ``values`` are
#: ``DeliveryLines.figures``)
LINE_FIELDS = ("delivery_id", "post_id", "status", "campaign", "account", "platform", "due_at", "published_at",
               "failed_at", "url", "snapshot_at", "gone", "text", "hashtags", "error", "missing", "account_id",
               "campaign_id", "measured", "interactions", "engagement_rate", "late")
_NO_FIGURES: tuple[None, ...] = (None,) * len(METRICS)
_FIGURES_OF = operator.itemgetter(*METRICS)


class DeliveryLines(Sequence[DeliveryLine]):
    """The week's delivery lines held column by column: one list per field of ``DeliveryLine``
    (``columns``), and each line's metrics as a tuple in ``METRICS``' order (``figures``; all None
    when not measured). A week can have 50,000 lines: the totals, the CSV and the JSON read the
    columns, and a ``DeliveryLine`` is made only for a line looked at one by one (a top post, a
    late one, iterating) — the same line, field for field, as the columns say."""

    __slots__ = ("columns", "figures")

    def __init__(self, columns: dict[str, list], figures: list[tuple]) -> None:
        self.columns = columns
        self.figures = figures

    @classmethod
    def of(cls, lines: "Iterable[DeliveryLine]") -> "DeliveryLines":
        """``lines`` as columns (themselves when they are already)."""
        if isinstance(lines, DeliveryLines):
            return lines
        lines = list(lines)
        columns = {f: list(map(operator.attrgetter(f), lines)) for f in LINE_FIELDS}
        values = [d.values for d in lines]
        try:
            figures = list(map(_FIGURES_OF, values))
        except KeyError:  # (a line built without some metric: unknown)
            figures = [tuple(map(v.get, METRICS)) for v in values]
        return cls(columns, figures)

    def __len__(self) -> int:
        return len(self.figures)

    def line(self, i: int) -> DeliveryLine:
        """The ``i``-th line as a ``DeliveryLine`` (its own ``values`` dict and ``hashtags`` list)."""
        c = self.columns
        return DeliveryLine(
            delivery_id=c["delivery_id"][i], post_id=c["post_id"][i], status=c["status"][i],
            campaign=c["campaign"][i], account=c["account"][i], platform=c["platform"][i], due_at=c["due_at"][i],
            published_at=c["published_at"][i], failed_at=c["failed_at"][i], url=c["url"][i],
            snapshot_at=c["snapshot_at"][i], gone=c["gone"][i], values=dict(zip(METRICS, self.figures[i])),
            text=c["text"][i], hashtags=list(c["hashtags"][i]), error=c["error"][i], missing=c["missing"][i],
            account_id=c["account_id"][i], campaign_id=c["campaign_id"][i])

    @overload
    def __getitem__(self, i: int) -> DeliveryLine: ...

    @overload
    def __getitem__(self, i: slice) -> list[DeliveryLine]: ...

    def __getitem__(self, i: int | slice) -> DeliveryLine | list[DeliveryLine]:
        if isinstance(i, slice):
            return [self.line(j) for j in range(*i.indices(len(self)))]
        n = len(self)
        if not -n <= i < n:
            raise IndexError("delivery line index out of range")
        return self.line(i % n)

    def __iter__(self) -> Iterator[DeliveryLine]:
        return map(self.line, range(len(self)))

    def take(self, indices: Iterable[int]) -> list[DeliveryLine]:
        return list(map(self.line, indices))

    def __eq__(self, other: object) -> bool:
        """The same lines (as a list of them would be: two reports of the same week are equal)."""
        if isinstance(other, DeliveryLines):
            return self.columns == other.columns and self.figures == other.figures
        if isinstance(other, Sequence):
            return len(self) == len(other) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]  # (mutable, as a list)


@dataclass
class HashtagStat:
    tag: str
    campaign_tag: bool
    totals: Totals


@dataclass
class SentimentCounts:
    total: int = 0
    by_label: dict[str, int] = field(default_factory=lambda: dict.fromkeys((*SENTIMENTS, "unscored"), 0))

    def add(self, label: str | None, n: int) -> None:
        self.total += n
        key = label if label in SENTIMENTS else "unscored"
        self.by_label[key] += n


@dataclass
class ReplyExample:
    text: str
    language: str | None
    polarity: float | None
    sentiment: str
    account: str
    platform: str
    created_at: datetime
    post_url: str | None


@dataclass
class Sentiment:
    counts: SentimentCounts
    by_language: list[tuple[str | None, SentimentCounts]]
    positive: list[ReplyExample]
    negative: list[ReplyExample]


@dataclass
class TimeSlot:
    """Average interactions per measured post in one local hour (0–23) or weekday (0 = Monday)."""

    slot: int
    posts: int
    interactions: int

    @property
    def average(self) -> float | None:
        return self.interactions / self.posts if self.posts else None


@dataclass
class AccountTimes:
    account: str
    platform: str
    timezone: str
    posts: int
    hours: list[TimeSlot]
    weekdays: list[TimeSlot]

    @property
    def best_hour(self) -> TimeSlot | None:
        return best(self.hours)

    @property
    def best_weekday(self) -> TimeSlot | None:
        return best(self.weekdays)


@dataclass
class BestTimes:
    since: datetime
    until: datetime
    weeks: int
    min_posts: int
    hours: list[TimeSlot]        # pooled, each post in its own account's local time
    weekdays: list[TimeSlot]
    accounts: list[AccountTimes]

    @property
    def posts(self) -> int:
        return sum(s.posts for s in self.hours)


def best(slots: Iterable[TimeSlot], min_posts: int = MIN_POSTS_FOR_BEST) -> TimeSlot | None:
    ranked = ranked_slots(slots, min_posts)
    return ranked[0] if ranked else None


def ranked_slots(slots: Iterable[TimeSlot], min_posts: int = MIN_POSTS_FOR_BEST) -> list[TimeSlot]:
    """Slots with enough posts, best average first (ties: more posts, then earlier slot)."""
    return sorted((s for s in slots if s.posts >= min_posts), key=lambda s: (-(s.average or 0), -s.posts, s.slot))


@dataclass
class AttentionItem:
    account: str
    platform: str
    kind: str                # paused | held | failures | token_expiring | token_expired | expired | unapproved
    reason: str | None = None
    until: datetime | None = None
    failed_posts: int = 0
    failed_attempts: int = 0
    expired_posts: int = 0   # expired in the week (and still expired)
    unapproved_posts: int = 0  # drafts whose time fell in the week, still not approved (not sent)


@dataclass
class Section:
    """The report for one campaign (``kind="campaign"``), for posts of no campaign
    (``kind="none"``), or for everything in scope (``kind="overall"``)."""

    kind: str
    slug: str | None
    name: str
    hashtags: list[str]
    current: Period
    previous: Period
    platforms: list[Breakdown]
    accounts: list[Breakdown]
    top_posts: list[DeliveryLine]
    hashtag_stats: list[HashtagStat]
    replies: SentimentCounts


@dataclass
class WeeklyReport:
    generated_at: datetime
    timezone: str
    week: Week
    previous_week: Week
    campaign: str | None     # the --campaign scope, if any
    overall: Section
    campaigns: list[Section]
    best_times: BestTimes
    sentiment: Sentiment
    attention: list[AttentionItem]
    #: every delivery published or failed in the week (as ``DeliveryLines`` when built: columns)
    deliveries: Sequence[DeliveryLine]
    #: per campaign, its hashtags against its comparison tags on each platform (``services.voice``)
    share_of_voice: list[CampaignVoice] = field(default_factory=list)
    #: the replies inbox's week (``services.report_inbox``)
    inbox: InboxSummary | None = None

    @property
    def complete(self) -> bool:
        """False while the week is not over yet."""
        return self.generated_at >= self.week.end

    @property
    def empty(self) -> bool:
        return not (self.overall.current.published or self.overall.current.failed)

    @property
    def published_late(self) -> list[DeliveryLine]:
        """Deliveries published LATE_LISTED or more after their time, in the order they went out."""
        ds = self.deliveries
        if isinstance(ds, DeliveryLines):  # (a DeliveryLine made for those only)
            return ds.take(i for i, late in enumerate(ds.columns["late"]) if late is not None and late >= LATE_LISTED)
        return [d for d in ds if d.late is not None and d.late >= LATE_LISTED]


# --- SQL ------------------------------------------------------------------------------------------
def _published_in(start: datetime, end: datetime):
    """Published in [start, end): status ``published`` (or ``deleted`` since), ``published_at`` in
    the period."""
    return and_(D.status.in_([S.PUBLISHED, S.DELETED]), D.published_at >= start,
                D.published_at < end)


def _deleted_by(end: datetime):
    """1 for a delivery taken down before ``end`` (its last change), else 0."""
    return case((and_(D.status == S.DELETED, D.updated_at < end), 1), else_=0).label("deleted")


def _failed_in(start: datetime, end: datetime, status: S = S.FAILED):
    """Failed (or ``status``) in [start, end): last changed (when it failed) in the period."""
    return and_(D.status == status, D.updated_at >= start, D.updated_at < end)


#: a delivery's time: the moment it was queued for (a cap or spacing deferral moves ``due_at``)
_MOMENT = func.coalesce(D.intended_at, D.due_at)
#: an answer sent from the replies inbox is no post of the report (``report_inbox`` counts them)
_NOT_ANSWER = P.answers_reply_id.is_(None)


#: a delivery's first part (``_with_first_part``)
_FIRST_PART = _parts.alias("part0")


def _with_first_part(q, wanted: bool = True):
    """``q`` (from Delivery) outer-joined to the delivery's first part (``_FIRST_PART``)."""
    if not wanted:
        return q
    return q.outerjoin(_FIRST_PART, and_(_FIRST_PART.c.delivery_id == D.id, _FIRST_PART.c.position == 0))


def _latest_snapshot_id(end: datetime):
    """The id of a delivery's newest snapshot collected before ``end`` (correlated to Delivery)."""
    s2 = _snapshots.alias("s2")
    return (select(s2.c.id).where(s2.c.delivery_id == D.id, s2.c.collected_at < end)
            .order_by(s2.c.collected_at.desc(), s2.c.id.desc()).limit(1)
            .correlate(_deliveries).scalar_subquery())


def _published(dialect: str, start: datetime, end: datetime, campaign_id: int | None, *extra_cols,
               published_before: datetime | None = None, first_part: bool = False):
    """Deliveries published in [start, end) (or [start, ``published_before``)), each with its latest
    snapshot collected before ``end``: a subquery with ``delivery_id, account_id, campaign_id, deleted``, the ``extra_cols``, and
    ``snap_id, collected_at, missing`` and the metrics (all NULL when there is no snapshot).

    The latest snapshot is found by one ``ORDER BY collected_at DESC, id DESC LIMIT 1`` per
    delivery on the (delivery_id, collected_at, id) index: a ``LATERAL`` join on PostgreSQL (whose
    planner otherwise hashes the whole snapshot table), a correlated sub-select then a rowid
    lookup on SQLite (which has no LATERAL).

    ``first_part``: with a ``text`` column too, the text of the delivery's first part as it went
    out (NULL when it has none)."""
    where = [_published_in(start, end if published_before is None else published_before), _NOT_ANSWER]
    if campaign_id is not None:
        where.append(P.campaign_id == campaign_id)
    base = (D.id.label("delivery_id"), D.account_id, P.campaign_id, _deleted_by(end), *extra_cols)
    if first_part:
        base += (_FIRST_PART.c.text.label("text"),)
    if dialect == "postgresql":
        s2 = _snapshots.alias("s2")
        latest = (select(s2.c.id.label("snap_id"), s2.c.collected_at, s2.c.missing, *(s2.c[m] for m in METRICS))
                  .where(s2.c.delivery_id == D.id, s2.c.collected_at < end)
                  .order_by(s2.c.collected_at.desc(), s2.c.id.desc()).limit(1).lateral("snap"))
        q = _with_first_part(select(*base, *latest.c).select_from(_deliveries).join(_posts, P.id == D.post_id),
                             first_part).outerjoin(latest, true()).where(*where)
        return q.subquery("pub")
    inner = (_with_first_part(select(*base, _latest_snapshot_id(end).label("snap_id"))
                              .join(_posts, P.id == D.post_id), first_part).where(*where).subquery("d"))
    snap = _snapshots.alias("snap")
    q = (select(inner, snap.c.collected_at, snap.c.missing, *(snap.c[m] for m in METRICS))
         .select_from(inner.outerjoin(snap, snap.c.id == inner.c.snap_id)))
    return q.subquery("pub")


def _interactions_expr(c):
    """likes + reposts + replies + quotes of a snapshot row, the known ones; NULL when none is known."""
    any_known = or_(*(getattr(c, m).is_not(None) for m in INTERACTIONS))
    total = sum((func.coalesce(getattr(c, m), 0) for m in INTERACTIONS[1:]), func.coalesce(c.likes, 0))
    return case((and_(c.missing.is_(False), any_known), total), else_=None)


def _totals_columns(c):
    inter = _interactions_expr(c)
    cols = [func.count().label("posts"),
            func.count(case((c.missing.is_(False), 1))).label("measured"),
            func.count(case((and_(c.missing.is_(True), c.deleted == 0), 1))).label("gone"),
            func.count(case((c.deleted == 1, 1))).label("deleted")]
    for m in METRICS:  # a "gone" snapshot counts no metric (as in ``totals_of``)
        value = case((c.missing.is_(False), getattr(c, m)), else_=None)
        cols += [func.sum(value).label(f"sum_{m}"), func.count(value).label(f"n_{m}")]
    cols += [func.sum(inter).label("sum_inter"), func.count(inter).label("n_inter"),
             func.sum(case((c.impressions.is_not(None), inter))).label("rate_inter"),
             func.sum(case((inter.is_not(None), c.impressions))).label("rate_imp")]
    return cols


def _totals_from(row) -> Totals:
    t = Totals(posts=row.posts, measured=row.measured, gone=row.gone, deleted=row.deleted)
    for m in METRICS:
        n = getattr(row, f"n_{m}")
        t.known[m] = n
        t.sums[m] = int(getattr(row, f"sum_{m}")) if n else None
    t.interactions_known = row.n_inter
    t.interactions = int(row.sum_inter) if row.n_inter else None
    t.rate_interactions = int(row.rate_inter or 0)
    t.rate_impressions = int(row.rate_imp or 0)
    return t


def period_totals(session, dialect: str, start: datetime, end: datetime, campaign_id: int | None
                  ) -> dict[tuple[int | None, int], Period]:
    """(campaign id, account id) → published, failed and engagement totals for [start, end)."""
    pub = _published(dialect, start, end, campaign_id)
    q = (select(pub.c.campaign_id, pub.c.account_id, *_totals_columns(pub.c))
         .group_by(pub.c.campaign_id, pub.c.account_id))
    out: dict[tuple[int | None, int], Period] = {}
    for row in session.execute(q):
        t = _totals_from(row)
        out[(row.campaign_id, row.account_id)] = Period(published=t.posts, totals=t)
    fq = (select(P.campaign_id, D.account_id, func.count())
          .join(_posts, P.id == D.post_id)
          .where(_failed_in(start, end), _NOT_ANSWER)
          .group_by(P.campaign_id, D.account_id))
    if campaign_id is not None:
        fq = fq.where(P.campaign_id == campaign_id)
    for cid, aid, n in session.execute(fq):
        out.setdefault((cid, aid), Period()).failed = n
    return out


def zone_offsets(zone: ZoneInfo, start: datetime, end: datetime) -> list[tuple[datetime, int]]:
    """[(from, UTC offset in seconds)] of ``zone`` over [start, end): one entry, or one more at each
    daylight-saving change (found to the quarter hour, where every real change falls)."""
    def offset(t: datetime) -> int:
        delta = t.astimezone(zone).utcoffset()
        assert delta is not None  # an aware time in a ZoneInfo zone always has an offset
        return int(delta.total_seconds())

    out = [(start, offset(start))]
    day = start
    while day < end:
        nxt = min(day + timedelta(days=1), end)
        if offset(nxt) != out[-1][1] or nxt == end:
            t = day
            while t < nxt:  # find the quarter hour where it changed
                if offset(t) != out[-1][1]:
                    out.append((t, offset(t)))
                t += timedelta(minutes=15)
        day = nxt
    return out


def _local_seconds(dialect: str, col, account_col, zones: dict[str, list[int]], start: datetime, end: datetime):
    """``col`` as seconds since the epoch on each account's local wall clock: the UTC epoch plus the
    account zone's offset at that instant (a CASE over zones and their daylight-saving periods)."""
    if dialect == "sqlite":
        epoch = cast(func.strftime("%s", col), Integer)
    else:
        epoch = cast(func.floor(func.extract("epoch", col)), BigInteger)
    whens = []
    for key, ids in zones.items():
        periods = zone_offsets(ZoneInfo(key), start, end)
        for i, (_frm, off) in enumerate(periods):
            cond = [account_col.in_(ids)]
            if i + 1 < len(periods):
                cond.append(col < periods[i + 1][0])
            whens.append((and_(*cond), off))
    return epoch + (case(*whens, else_=0) if whens else 0)


def history(session, dialect: str, start: datetime, end: datetime, campaign_id: int | None,
            zones: dict[str, list[int]], published_before: datetime | None = None
            ) -> list[tuple[int, int, int, int, int]]:
    """[(account id, local weekday (0 = Monday), local hour, measured posts, interactions)] for posts
    published in [start, end) (or [start, ``published_before``)), each from its latest snapshot
    before ``end``. ``zones`` maps a zone name to its accounts' ids. Grouped in SQL: at most 168
    rows per account, whatever the volume."""
    pub = _published(dialect, start, end, campaign_id, D.published_at.label("published_at"),
                     published_before=published_before)
    local = _local_seconds(dialect, pub.c.published_at, pub.c.account_id, zones, start, end)
    hour = ((local % 86400) // 3600).label("hour")
    weekday = (((local // 86400) + 3) % 7).label("weekday")  # 1970-01-01 was a Thursday
    inter = _interactions_expr(pub.c)
    q = (select(pub.c.account_id, weekday, hour, func.count(inter), func.sum(inter))
         .group_by(pub.c.account_id, weekday, hour))
    return [(a, int(w), int(h), int(n), int(t or 0)) for a, w, h, n, t in session.execute(q) if n]


_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_SECOND = timedelta(seconds=1)


def history_of(lines: "Sequence[DeliveryLine]", start: datetime, end: datetime, zones: dict[str, list[int]]
               ) -> list[tuple[int, int, int, int, int]]:
    """``history``'s rows for ``lines`` already read (the report's week, with the same latest
    snapshots): the same local weekday and hour, worked out the way its SQL does — whole seconds
    since the epoch plus the account zone's offset at that instant (``zone_offsets`` over
    [start, end)) — in Python instead of finding each delivery's latest snapshot again."""
    periods_of: dict[int, tuple[list[datetime], list[int]]] = {}
    for name, ids in zones.items():
        periods = zone_offsets(ZoneInfo(name), start, end)
        froms, offsets = [p[0] for p in periods], [p[1] for p in periods]
        for aid in ids:
            periods_of[aid] = (froms, offsets)
    slots: dict[tuple[int, int, int], list[int]] = {}
    c = DeliveryLines.of(lines).columns
    for aid, inter, published in zip(c["account_id"], c["interactions"], c["published_at"]):
        if inter is None or published is None:
            continue
        froms, offsets = periods_of.get(aid, ([], [0]))
        local = (published - _EPOCH) // _SECOND + offsets[max(bisect_right(froms, published) - 1, 0)]
        key = (aid, (local // 86400 + 3) % 7, local % 86400 // 3600)  # 1970-01-01 was a Thursday
        slot = slots.get(key) or slots.setdefault(key, [0, 0])
        slot[0] += 1
        slot[1] += inter
    return [(a, w, h, n, total) for (a, w, h), (n, total) in slots.items()]


# --- building -------------------------------------------------------------------------------------
def build_weekly(app: App, *, week: str | Week | None = None, campaign: str | None = None,
                 progress: Callable[[int, int], None] | None = None) -> WeeklyReport:
    """Everything the weekly report shows, for ``week`` (``2026-W48``; default: the last full week)
    and optionally one campaign."""
    with no_cycle_collection():
        return _build_weekly(app, week, campaign, progress)


def _build_weekly(app: App, week: str | Week | None, campaign: str | None,
                  progress: Callable[[int, int], None] | None) -> WeeklyReport:
    from content.hashtags import hashtags_in

    now = app.now()
    zone = app.settings.zone
    if isinstance(week, Week):
        wk = week
    elif week:
        wk = chosen_week(week, now, zone)
    else:
        wk = default_week(now, zone)
    prev = wk.previous()
    steps = 7
    step = iter(range(1, steps + 1))

    def tick() -> None:
        if progress:
            progress(next(step), steps)

    engine = app.engine
    scope_id = None
    if campaign:  # (the campaign's name or slug, as every command reads it: the ORM only with --campaign)
        from campaigner.services.campaigns import get as get_campaign

        with db.read(engine) as session:
            scope_id = get_campaign(session, campaign).id
    with db.read_core(engine) as s:
        if engine.dialect.name == "postgresql":
            # index probes and small groups: compiling them (PostgreSQL's JIT, which their cost
            # estimate on a big week switches on) costs more than it saves; the week's lines
            # (50,000 of them, with their texts) sorted in memory, not in temporary files on disk
            # as the default 4 MB of work memory would; and times sent in UTC (``_as_read``). For
            # this transaction only, in one round trip.
            s.execute(sql_text("SELECT set_config('jit', 'off', true), set_config('work_mem', '64MB', true), "
                               "set_config('TimeZone', 'UTC', true)"))
        accounts = {a.id: a for a in s.execute(select(_accounts))}
        campaigns = {c.id: c for c in s.execute(select(_campaigns))}
        scope = campaigns.get(scope_id) if scope_id is not None else None
        cid = scope.id if scope is not None else None
        tick()
        dialect = engine.dialect.name
        lines = _delivery_lines(s, dialect, wk, cid, accounts, campaigns, hashtags_in)
        tick()
        cur, tagged = _week_totals(lines)
        tick()
        old = period_totals(s, dialect, prev.start, prev.end, cid)
        tick()
        hist_start = week_of(*(wk.first_day - timedelta(weeks=HISTORY_WEEKS - 1)).isocalendar()[:2], ZoneInfo(wk.zone)).start
        # (local Monday 00:00 of the first of the weeks: a clock change in between moves it off
        # wk.end - 8 × 7 × 24 hours)
        zones: dict[str, list[int]] = defaultdict(list)
        for a in accounts.values():
            zones[a.timezone or zone.key].append(a.id)
        # the weeks before from SQL; the report's week from its lines (read above, with the same
        # latest snapshots: no second search for them)
        hist = (history(s, dialect, hist_start, wk.end, cid, zones, published_before=wk.start)
                + history_of(lines, hist_start, wk.end, zones))
        tick()
        # the week's replies read once, for the sentiment block and the inbox's
        replies = report_inbox.read_week(s, wk.start, wk.end, cid)
        sentiment, reply_counts = _sentiment(s, wk, cid, accounts, replies)
        inbox = report_inbox.build(s, wk.start, wk.end, cid, accounts, campaigns, replies)
        tick()
        attention = _attention(s, wk, now, accounts)
        voice = share_of_voice(s, [scope] if scope is not None else sorted(campaigns.values(), key=lambda c: c.slug),
                               wk.first_day, wk.last_day)
        tick()

    # sections: overall, then each campaign active this week or the week before (or the one asked for)
    keys = set(cur) | set(old)
    cids = sorted({k[0] for k in keys}, key=lambda c: (c is None, campaigns[c].slug if c is not None else ""))
    if scope is not None and scope.id not in cids:
        cids = [scope.id]

    # per campaign once: its lines, their best posts, and each hashtag's totals
    by_campaign: dict[int | None, list[int]] = defaultdict(list)
    for i, c in enumerate(lines.columns["campaign_id"]):
        by_campaign[c].append(i)
    tops = {c: _top_of(lines, group, TOP_POSTS) for c, group in by_campaign.items()}
    spelled: dict[str, Counter] = defaultdict(Counter)
    tag_totals = {c: _tag_totals(tagged.get(c, []), spelled) for c in by_campaign}

    def section(kind: str, camp_ids: list[int | None]) -> Section:
        wanted = set(camp_ids)
        if kind == "overall":
            name, slug = "", None
            tags = [t for c in camp_ids if c is not None for t in campaigns[c].hashtags or []]
        elif kind == "none":
            name, slug, tags = "", None, []
        else:
            only = camp_ids[0]
            assert only is not None  # a "campaign" section is made for a campaign's id only (None is "none")
            c = campaigns[only]
            name, slug, tags = c.name, c.slug, list(c.hashtags or [])
        return Section(
            kind=kind, slug=slug, name=name, hashtags=tags,
            current=_sum_periods(cur, wanted), previous=_sum_periods(old, wanted),
            platforms=_breakdown(cur, old, wanted, accounts, by="platform"),
            accounts=_breakdown(cur, old, wanted, accounts, by="account"),
            top_posts=_top([d for c in camp_ids for d in tops.get(c, [])],
                           TOP_POSTS if kind == "overall" else TOP_POSTS_PER_CAMPAIGN),
            hashtag_stats=_hashtag_stats([tag_totals[c] for c in camp_ids if c in tag_totals], spelled, tags),
            replies=_sum_sentiment(reply_counts, wanted))

    overall = section("overall", cids)
    sections = [section("none" if c is None else "campaign", [c]) for c in cids]
    if scope is not None:
        overall.name, overall.slug, overall.hashtags = scope.name, scope.slug, list(scope.hashtags or [])
    return WeeklyReport(generated_at=now, timezone=zone.key, week=wk, previous_week=prev,
                        campaign=scope.slug if scope is not None else None, overall=overall,
                        campaigns=[] if scope is not None else sections,
                        best_times=_best_times(hist, accounts, hist_start, wk.end, zone),
                        sentiment=sentiment, attention=attention, deliveries=lines, share_of_voice=voice,
                        inbox=inbox)


def _sum_periods(periods: dict[tuple[int | None, int], Period], cids: set[int | None]) -> Period:
    out = Period()
    for (cid, _aid), p in periods.items():
        if cid in cids:
            out.add(p)
    return out


def _breakdown(cur, old, cids: set[int | None], accounts: dict[int, Account], *, by: str) -> list[Breakdown]:
    rows: dict[str, Breakdown] = {}
    for periods, attr in ((cur, "current"), (old, "previous")):
        for (cid, aid), p in periods.items():
            if cid not in cids:
                continue
            a = accounts[aid]
            key = a.platform if by == "platform" else a.name
            b = rows.setdefault(key, Breakdown(key, a.platform, Period(), Period()))
            getattr(b, attr).add(p)
    return sorted(rows.values(), key=lambda b: (-(b.current.totals.interactions or 0), -b.current.published, b.key))


def _as_read(dialect: str, col):
    """A UTC time column (``UTCDateTime``) of the week's lines, read as the driver gives it on
    PostgreSQL: there the report's session is in UTC (``_build_weekly``), so psycopg gives the
    same aware datetime in ``timezone.utc`` that ``UTCDateTime`` makes of it, without its step
    per value (150,000 of them on a week of 50,000 lines: a quarter of a second)."""
    return type_coerce(col, DateTime(timezone=True)) if dialect == "postgresql" else col


def _delivery_lines(s, dialect: str, wk: Week, cid: int | None, accounts, campaigns, hashtags_in
                    ) -> DeliveryLines:
    """The week's published lines (in the order they went out), then its failed ones, as columns
    (``DeliveryLines``): each field worked out over a whole column at once — the same values a
    ``DeliveryLine`` of each row would hold, without making 50,000 of them."""
    pub = _published(dialect, wk.start, wk.end, cid, D.post_id, _MOMENT.label("due_at"),
                     D.published_at, D.remote_url, first_part=True)
    c = pub.c
    q = (select(c.delivery_id, c.post_id, c.account_id, c.campaign_id, _as_read(dialect, c.due_at),
                _as_read(dialect, c.published_at), c.remote_url, c.deleted, c.text, _as_read(dialect, c.collected_at),
                c.missing, *(c[m] for m in METRICS))
         .order_by(c.published_at, c.delivery_id))
    slug = {cid_: camp.slug for cid_, camp in campaigns.items()}
    slug[None] = None
    name_of = {aid: a.name for aid, a in accounts.items()}
    platform_of = {aid: a.platform for aid, a in accounts.items()}
    # one post goes out on several accounts: the same text, tagged once; a line of one part (the
    # usual) shares its text's list of tags (never changed afterwards)
    tags_of: dict[str, list[str]] = {}

    def tags_in(part: str) -> list[str]:
        tags = tags_of.get(part)
        if tags is None:
            seen: dict[str, str] = {}
            if "#" in part or "\uff03" in part:  # (most of the cost is the tag pattern: skip when no '#')
                for tag in hashtags_in(part):
                    seen.setdefault(tag.casefold(), tag)
            tags = tags_of[part] = list(seen.values())
        return tags

    rows = s.execute(q).all()
    width = 11 + len(METRICS)
    ids, post_ids, aids, camps, dues, published, urls, deleted, texts, collected, missing, *metrics = (
        list(col) for col in (zip(*rows) if rows else [()] * width))
    n = len(ids)
    missing = list(map(bool, missing))
    measured = [at is not None and not m for at, m in zip(collected, missing)]
    figures = [f if m else _NO_FIGURES for f, m in zip(zip(*metrics), measured)] if n else []
    by_metric = dict(zip(METRICS, zip(*figures) if n else [()] * len(METRICS)))
    inter = [None if a is None and b is None and c_ is None and d is None else (a or 0) + (b or 0) + (c_ or 0) + (d or 0)
             for a, b, c_, d in zip(*(by_metric[m] for m in INTERACTIONS))]
    cols: dict[str, list] = {
        "delivery_id": ids, "post_id": post_ids, "status": ["deleted" if x else "published" for x in deleted],
        "campaign": list(map(slug.__getitem__, camps)), "account": list(map(name_of.__getitem__, aids)),
        "platform": list(map(platform_of.__getitem__, aids)), "due_at": dues, "published_at": published,
        "failed_at": [None] * n, "url": urls, "snapshot_at": collected,
        "gone": [m and not x for m, x in zip(missing, deleted)],
        "text": ["" if t is None else t for t in texts],
        "hashtags": [[] if t is None else tags_in(t) for t in texts], "error": [None] * n, "missing": missing,
        "account_id": aids, "campaign_id": camps, "measured": measured, "interactions": inter,
        "engagement_rate": [i / imp if i is not None and imp else None for i, imp in zip(inter, by_metric["impressions"])],
        "late": [None if p is None else max(p - due, _NO_TIME) for p, due in zip(published, dues)]}
    #: the lines that have no first part (their text is their next part's, if any)
    no_first: set[int] = {did for did, t in zip(ids, texts) if t is None}
    fq = (_with_first_part(select(D.id, D.post_id, D.account_id, P.campaign_id, _MOMENT,
                                  D.updated_at, D.last_error, _FIRST_PART.c.text)
                           .join(_posts, P.id == D.post_id))
          .where(_failed_in(wk.start, wk.end), _NOT_ANSWER)
          .order_by(D.updated_at, D.id))
    if cid is not None:
        fq = fq.where(P.campaign_id == cid)
    failed = s.execute(fq).all()
    if failed:
        f_ids, f_posts, f_aids, f_camps, f_dues, f_at, f_errors, f_texts = (list(col) for col in zip(*failed))
        k = len(f_ids)
        no_first.update(did for did, t in zip(f_ids, f_texts) if t is None)
        for field_, values in (
                ("delivery_id", f_ids), ("post_id", f_posts), ("status", ["failed"] * k),
                ("campaign", list(map(slug.__getitem__, f_camps))), ("account", list(map(name_of.__getitem__, f_aids))),
                ("platform", list(map(platform_of.__getitem__, f_aids))), ("due_at", f_dues),
                ("published_at", [None] * k), ("failed_at", f_at), ("url", [None] * k), ("snapshot_at", [None] * k),
                ("gone", [False] * k), ("text", ["" if t is None else t for t in f_texts]),
                ("hashtags", [[] if t is None else tags_in(t) for t in f_texts]), ("error", f_errors),
                ("missing", [False] * k), ("account_id", f_aids), ("campaign_id", f_camps), ("measured", [False] * k),
                ("interactions", [None] * k), ("engagement_rate", [None] * k), ("late", [None] * k)):
            cols[field_].extend(values)
        figures.extend([_NO_FIGURES] * k)
    lines = DeliveryLines(cols, figures)
    if lines:
        ids_q = (select(D.id).join(_posts, P.id == D.post_id)
                 .where(or_(_published_in(wk.start, wk.end), _failed_in(wk.start, wk.end)), _NOT_ANSWER))
        if cid is not None:
            ids_q = ids_q.where(P.campaign_id == cid)
        # a thread's other parts (a line's first part came with it)
        others: dict[int, list[str]] = {}
        for did, text in s.execute(select(DP.delivery_id, DP.text)
                                   .where(DP.position > 0, DP.delivery_id.in_(ids_q))
                                   .order_by(DP.delivery_id, DP.position)).all():
            others.setdefault(did, []).append(text)
        if others:
            texts_col, tags_col = cols["text"], cols["hashtags"]
            for i, did in enumerate(cols["delivery_id"]):
                more = others.get(did)
                if not more:
                    continue
                parts = more if did in no_first else [texts_col[i], *more]
                texts_col[i] = parts[0]
                merged: dict[str, str] = {}
                for part in parts:
                    for tag in tags_in(part):
                        merged.setdefault(tag.casefold(), tag)
                tags_col[i] = list(merged.values())
    return lines


#: (tags, lines, their Totals) of a group of a campaign's published lines carrying the same tags
TagGroup = tuple[tuple[str, ...], int, Totals]


def _week_totals(lines: "Sequence[DeliveryLine]") -> tuple[dict[tuple[int | None, int], Period],
                                                       dict[int | None, list[TagGroup]]]:
    """What ``period_totals`` gives for the week, from its delivery lines (already read with their
    latest snapshots) instead of asking the database a second time; and per campaign, the groups
    of its published lines that carry the same tags (for ``_tag_totals``).

    Each published line is added up once (``_totals``, over its group's columns), in the group of
    its campaign, account and tags (a post goes out on several accounts with the same text, and
    posts of a campaign share their tags); a campaign and account's Period, and a tag's Totals, add
    up those of its groups."""
    cols = DeliveryLines.of(lines)
    c = cols.columns
    groups: dict[tuple[int | None, int, tuple[str, ...]], list[int]] = defaultdict(list)
    failed: Counter[tuple[int | None, int]] = Counter()
    for i, (status, cid, aid, tags) in enumerate(zip(c["status"], c["campaign_id"], c["account_id"], c["hashtags"])):
        if status == "failed":
            failed[cid, aid] += 1
        else:
            groups[cid, aid, tuple(tags)].append(i)
    out: dict[tuple[int | None, int], Period] = {}
    tagged: dict[int | None, list[TagGroup]] = defaultdict(list)
    status, gone, measured, inter, figures = c["status"], c["gone"], c["measured"], c["interactions"], cols.figures
    for (cid, aid, tags), idx in groups.items():
        t = _totals(list(map(status.__getitem__, idx)), list(map(gone.__getitem__, idx)),
                    list(map(measured.__getitem__, idx)), list(map(figures.__getitem__, idx)),
                    list(map(inter.__getitem__, idx)))
        out.setdefault((cid, aid), Period()).add(Period(published=t.posts, totals=t))
        if tags:
            tagged[cid].append((tags, len(idx), t))
    for key, n in failed.items():
        out.setdefault(key, Period()).failed = n
    return out, tagged


_INTERACTIONS = operator.attrgetter("interactions")


def _top(lines: list[DeliveryLine], n: int) -> list[DeliveryLine]:
    """Most interactions first (then the higher rate, the earlier post); a post taken down is not one."""
    measured = [d for d in lines if d.interactions is not None and d.status != "deleted"]
    if len(measured) > n:  # only a line with at least the n-th most interactions can be in the top n
        floor = heapq.nlargest(n, map(_INTERACTIONS, measured))[-1]
        measured = [d for d in measured if d.interactions >= floor]
    return heapq.nsmallest(n, measured, key=lambda d: (-(d.interactions or 0),  # (never None here)
                                                       -(d.engagement_rate or 0), d.published_at, d.delivery_id))


def _top_of(lines: DeliveryLines, indices: list[int], n: int) -> list[DeliveryLine]:
    """``_top`` of the lines at ``indices``, a ``DeliveryLine`` made only for those that can be
    in it (at least the n-th most interactions)."""
    inter, status = lines.columns["interactions"], lines.columns["status"]
    measured = [i for i in indices if inter[i] is not None and status[i] != "deleted"]
    if len(measured) > n:
        floor = heapq.nlargest(n, map(inter.__getitem__, measured))[-1]
        measured = [i for i in measured if inter[i] >= floor]
    return _top(lines.take(measured), n)


def _tag_totals(groups: list[TagGroup], spelled: dict[str, Counter]) -> dict[str, Totals]:
    """Hashtag (case-folded) → Totals of a campaign's published lines carrying it (``groups``, from
    ``_week_totals``: each tag adds up the Totals of the groups that carry it); counts each
    spelling."""
    out: dict[str, Totals] = {}
    for tags, n, group_totals in groups:
        for tag in tags:
            key = tag.casefold()
            spelled[key][tag] += n
            out.setdefault(key, Totals()).add(group_totals)
    return out


def _hashtag_stats(parts: list[dict[str, Totals]], spelled: dict[str, Counter],
                   campaign_tags: list[str]) -> list[HashtagStat]:
    """The section's hashtags: its campaigns' tag totals added up, plus its campaign tags (even
    unused); most interactions first."""
    stats = {tag.casefold(): HashtagStat(tag, True, Totals()) for tag in campaign_tags}
    for totals in parts:
        for key, tot in totals.items():
            st = stats.get(key) or stats.setdefault(key, HashtagStat(spelled[key].most_common(1)[0][0], False,
                                                                     Totals()))
            st.totals.add(tot)
    return sorted(stats.values(), key=lambda h: (-(h.totals.interactions or 0), -h.totals.posts,
                                                 not h.campaign_tag, h.tag.casefold()))


#: campaign id → [(sentiment label, replies)] for the week
ReplyCounts = dict[int | None, list[tuple[str | None, int]]]


def _sentiment(s, wk: Week, cid: int | None, accounts, replies: report_inbox.WeekReplies
               ) -> tuple[Sentiment, ReplyCounts]:
    """The week's reply sentiment, counted from its ``replies`` (``report_inbox.read_week``), with
    a few examples read from the database."""
    grouped: Counter[tuple[int | None, str | None, str | None]] = Counter()
    for _did, camp, label, lang, _kind, _state, n in replies:
        grouped[camp, label, lang] += n
    counts = SentimentCounts()
    langs: dict[str | None, SentimentCounts] = {}
    per_campaign: ReplyCounts = defaultdict(list)
    for (camp, label, lang), n in grouped.items():
        counts.add(label, n)
        lang = (lang or "").lower() or None
        langs.setdefault(lang, SentimentCounts()).add(label, n)
        per_campaign[camp].append((label, n))

    def examples(label: str) -> list[ReplyExample]:
        """The most positive (negative) replies, each sentence once: the same words written by
        several people (or a pool of canned replies) are one example, not three."""
        if not counts.by_label[label]:
            return []
        # the replies picked from the week's (a top-N sort of a few thousand rows), then joined to
        # their posts: joined first, every reply of the week would be (a delivery has one post, a
        # reply one delivery: the same rows)
        pol = func.coalesce(R.polarity, 0.0).label("pol")
        picked = (select(R.id, R.text, R.language, R.polarity, R.created_at, R.delivery_id, pol)
                  .where(R.created_at >= wk.start, R.created_at < wk.end, R.sentiment == label,
                         R.ours.is_(False)))
        if cid is not None:
            picked = picked.where(R.delivery_id.in_(select(D.id).join(_posts, P.id == D.post_id)
                                                        .where(P.campaign_id == cid)))

        def order(p, at, rid) -> tuple:
            return (p.desc() if label == "positive" else p.asc(), at, rid)

        for limit in EXAMPLES_READ:
            out: list[ReplyExample] = []
            seen: set[str] = set()
            sub = picked.order_by(*order(pol, R.created_at, R.id)).limit(limit).subquery("picked")
            rows = s.execute(select(sub.c.text, sub.c.language, sub.c.polarity, sub.c.created_at, D.account_id,
                                    D.remote_url)
                             .join(_deliveries, D.id == sub.c.delivery_id)
                             .order_by(*order(sub.c.pol, sub.c.created_at, sub.c.id))).all()
            for t, lang, p, at, a, url in rows:
                key = _sentence_key(t)
                if key not in seen:
                    seen.add(key)
                    out.append(ReplyExample(text=t, language=lang, polarity=p, sentiment=label,
                                            account=accounts[a].name, platform=accounts[a].platform, created_at=at,
                                            post_url=url))
                if len(out) == REPLY_EXAMPLES:
                    return out
            if len(rows) < limit:
                break
        return out

    ordered = sorted(langs.items(), key=lambda kv: (-kv[1].total, kv[0] is None, kv[0] or ""))
    return Sentiment(counts, ordered, examples("positive"), examples("negative")), per_campaign


#: rows read while looking for examples that differ: the first few, then more if they repeat
EXAMPLES_READ = (30, 1000)


def _sentence_key(text: str) -> str:
    """What makes two replies the same example: their words, whatever the case, spacing and
    trailing punctuation or emoji."""
    words = re.findall(r"\w+", text.casefold())
    return " ".join(words) if words else text.strip()


def _sum_sentiment(per_campaign: ReplyCounts, cids: set[int | None]) -> SentimentCounts:
    out = SentimentCounts()
    for cid, rows in per_campaign.items():
        if cid in cids:
            for label, n in rows:
                out.add(label, n)
    return out


def _attention(s, wk: Week, now: datetime, accounts: dict[int, Account]) -> list[AttentionItem]:
    failed = dict(s.execute(select(D.account_id, func.count())
                            .where(_failed_in(wk.start, wk.end))
                            .group_by(D.account_id)).all())
    # grouped by an expression, not the column: SQLite would otherwise walk every delivery in
    # account order (its index) and look up each one's attempts, instead of reading the attempts
    # once and looking up the few failed ones' deliveries (75 ms against 10 on 50,000 attempts)
    account = (D.account_id + 0).label("account_id")
    attempts = dict(s.execute(select(account, func.count()).select_from(_attempts)
                              .join(_deliveries, D.id == AT.delivery_id)
                              .where(AT.outcome.in_(FAILED_OUTCOMES), AT.started_at >= wk.start,
                                     AT.started_at < wk.end)
                              .group_by(account)).all())
    expired = dict(s.execute(select(D.account_id, func.count())
                             .where(_failed_in(wk.start, wk.end, S.EXPIRED))
                             .group_by(D.account_id)).all())
    unapproved = dict(s.execute(select(D.account_id, func.count())
                                .where(D.status == S.DRAFT, D.due_at >= wk.start,
                                       D.due_at < min(wk.end, now))
                                .group_by(D.account_id)).all())
    items: list[AttentionItem] = []
    for a in sorted(accounts.values(), key=lambda a: a.name):
        if a.status == AccountStatus.PAUSED:
            items.append(AttentionItem(a.name, a.platform, "paused", reason=a.status_reason or None))
        if a.held_until is not None and a.held_until > now:
            items.append(AttentionItem(a.name, a.platform, "held", reason=a.held_reason or None, until=a.held_until))
        nf, na = failed.get(a.id, 0), attempts.get(a.id, 0)
        if nf >= FAILED_DELIVERIES_ALERT or na >= FAILED_ATTEMPTS_ALERT:
            items.append(AttentionItem(a.name, a.platform, "failures", failed_posts=nf, failed_attempts=na))
        if expired.get(a.id):
            items.append(AttentionItem(a.name, a.platform, "expired", expired_posts=expired[a.id]))
        if unapproved.get(a.id):
            items.append(AttentionItem(a.name, a.platform, "unapproved", unapproved_posts=unapproved[a.id]))
        if a.token_expires_at is not None and expires_soon(a.token_expires_at, now):
            kind = "token_expired" if a.token_expires_at <= now else "token_expiring"
            items.append(AttentionItem(a.name, a.platform, kind, until=a.token_expires_at))
    return items


def _best_times(hist, accounts: dict[int, Account], since: datetime, until: datetime, zone: ZoneInfo) -> BestTimes:
    pooled_h = [TimeSlot(h, 0, 0) for h in range(24)]
    pooled_w = [TimeSlot(w, 0, 0) for w in range(7)]
    per: dict[int, AccountTimes] = {}
    for aid, weekday, hour, n, total in hist:
        a = accounts[aid]
        at = per.get(aid) or per.setdefault(aid, AccountTimes(a.name, a.platform, a.timezone or zone.key, 0,
                                                              [TimeSlot(h, 0, 0) for h in range(24)],
                                                              [TimeSlot(w, 0, 0) for w in range(7)]))
        at.posts += n
        for slot in (at.hours[hour], pooled_h[hour], at.weekdays[weekday], pooled_w[weekday]):
            slot.posts += n
            slot.interactions += total
    return BestTimes(since=since, until=until, weeks=HISTORY_WEEKS, min_posts=MIN_POSTS_FOR_BEST,
                     hours=pooled_h, weekdays=pooled_w,
                     accounts=sorted(per.values(), key=lambda a: a.account))
