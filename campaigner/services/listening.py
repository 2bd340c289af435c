"""Listening (share of voice): how many public posts carry a campaign's hashtags — and the
comparison tags they are measured against — each day, beyond our own posts, on each platform
that can tell.

Where the counts come from (each platform counts a different public, so they are never added up):

- **Mastodon**: each instance's 7-day tag history (``GET /api/v1/tags/:name``), free, one request
  per tag and instance — the instances of the Mastodon accounts (with their token) and those listed
  in ``[listening] mastodon_instances``. Days are **UTC days** on the instance, and the counts are
  what reached that instance.
- **Bluesky**: ``app.bsky.feed.searchPosts`` with the ``tag`` filter through a Bluesky account's
  session, a search per local day, 100 posts a page up to ``[listening] bluesky_pages`` pages; a
  day the search may have cut short is stored "at least".
- **X**: one ``GET /2/tweets/counts/recent`` per tag (reposts left out), which covers 7 days. X
  bills each request on its pay-per-use plan, so it runs only with ``[listening] x_counts = true``,
  with an X account's ``BEARER_TOKEN`` (the app's Bearer token).
- **Sandbox**: the offline platform's seeded counts (an invented public plus the sandbox accounts'
  own posts), per local day, when there is a sandbox account — so ``campaigner demo`` shows a
  share of voice.

Our own posts carrying the tag (every part that went out, from the database) are taken off each
count of their platform and day (never below 0). A count is stored per tag, platform, source and
day (``TagCount``); collecting a day again updates it, except that a whole day's count is never
replaced by a partial one. ``campaigner run`` collects once a day, and a day that failed stays due
(``services.listening_daily``).
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Callable, Collection, Sequence, cast
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from sqlalchemy import Table, func, or_, select
from sqlalchemy.orm import Session

from campaigner import db
from campaigner.app import App
from campaigner.errors import CampaignerError, ConfigError, InvalidInput
from campaigner.i18n import _
from campaigner.models import Account, AccountStatus, Campaign, Delivery, DeliveryPart, TagCount
from campaigner.services.accounts import connector as account_connector, secret_status
from campaigner.services.campaigns import get as get_campaign
from campaigner.services.listening_schedule import Refused
from campaigner.services.metrics import skip_reason
from campaigner.services.voice import CampaignCounts, stored
from connectors.base import AuthExpired, ConnectorError, CountsTags, RateLimited, TagCounts
from connectors.registry import PLATFORMS, public_tag_counter
from content.hashtags import hashtags_in, tag_key
from content.platforms import check_platform

log = logging.getLogger(__name__)

#: the platforms whose connectors count hashtags, in the order they are asked: the free ones first
LISTENING_PLATFORMS = tuple(sorted((name for name, info in PLATFORMS.items() if info.counts_tags),
                                   key=lambda name: name == "x"))
#: how many days back (today included) a collection counts by default, and at most: the furthest
#: Mastodon's history and X's recent counts reach
DAYS = 7
#: ``listen show`` looks back at most this many days
SHOW_DAYS = 90
#: seconds a request to an instance without an account may take (as a connector's default)
PUBLIC_TIMEOUT = 20.0
#: the longest source name stored (an instance's host)
SOURCE_LENGTH = 255
TAG_COUNTS = cast(Table, TagCount.__table__)
_UPDATED = ("day_zone", "posts", "own", "accounts", "at_least", "collected_at")


class NothingToListen(InvalidInput):
    """No campaign has a hashtag to count (the daemon's job then does nothing, quietly)."""


# --- what to count, and where ----------------------------------------------------------------------
def _fix_hashtag(slug: str) -> str:
    return _("add one: campaigner campaign edit {slug} --hashtag '#UpahLayak'").format(slug=slug)


def campaigns_to_count(s: Session, slug: str | None, first_day: date) -> list[Campaign]:
    """The campaign named ``slug`` (it must have hashtags), or every campaign with hashtags that
    has not ended before ``first_day``."""
    if slug is not None:
        campaign = get_campaign(s, slug)
        if not campaign.hashtags:
            raise InvalidInput(_("campaign {slug!r} has no hashtags to listen for").format(slug=slug), _fix_hashtag(slug))
        return [campaign]
    found = [c for c in s.scalars(select(Campaign).order_by(Campaign.slug))
             if c.hashtags and (c.end_date is None or c.end_date >= first_day)]
    if not found:
        raise NothingToListen(_("no running campaign has hashtags to listen for"), _fix_hashtag("SLUG"))
    return found


def check_platforms(app: App, names: Sequence[str]) -> tuple[str, ...]:
    """The platforms asked for with ``--platform`` (aliases allowed), each one that counts tags;
    X only when ``x_counts`` is on. None asked: every platform that counts (X if it is on)."""
    if not names:
        return tuple(p for p in LISTENING_PLATFORMS if p != "x" or app.settings.listening.x_counts)
    out = []
    for name in names:
        try:
            platform = check_platform(name)
        except ValueError:
            raise InvalidInput(_("unknown platform {name!r}").format(name=name),
                               _("listen on {platforms}").format(platforms=", ".join(LISTENING_PLATFORMS))) from None
        if platform not in LISTENING_PLATFORMS:
            raise InvalidInput(_("{platform} has no public hashtag counts").format(platform=PLATFORMS[platform].label),
                               _("listen on {platforms}").format(platforms=", ".join(LISTENING_PLATFORMS)))
        if platform == "x" and not app.settings.listening.x_counts:
            raise x_counts_off(app)
        out.append(platform)
    return tuple(dict.fromkeys(out))


def x_counts_off(app: App) -> ConfigError:
    return ConfigError(_("X counts are not enabled (X bills every request on its pay-per-use plan)"),
                       _("to turn them on, put x_counts = true in the [listening] table of {path}").format(
                           path=app.settings.config_file))


@dataclass
class Source:
    """One place a platform's hashtags are counted, and what counts them there: with the
    credentials of ``account`` (None: without any, a public instance)."""

    platform: str
    name: str
    counter: CountsTags
    account: str | None = None


def _host(url: str) -> str:
    return urlsplit(url).netloc.lower()[:SOURCE_LENGTH]


def sources(app: App, platforms: Sequence[str], *, explicit: bool = False,
            counter_for: Callable[[Account], CountsTags] | None = None) -> tuple[list[Source], dict[str, str]]:
    """Where each of ``platforms`` is counted, and why a platform is not (platform → why).

    Mastodon: each Mastodon account's instance (with its token; without it when the account is
    paused or lacks its secret) and each ``mastodon_instances`` entry, every instance once.
    Bluesky: the first active Bluesky account (search needs a session). X: the first X account
    with a ``BEARER_TOKEN`` (active ones first). Sandbox: the first active sandbox account, and no
    note where there is none (it is a platform for trying campaigner out). ``explicit``: the platforms were asked for by
    name, so one that cannot be counted is an error, not a note."""
    build = counter_for or (lambda account: cast(CountsTags, account_connector(app, account)))
    with db.read(app.engine) as s:
        accounts = list(s.scalars(select(Account).where(Account.platform.in_(list(platforms)))
                                  .order_by(Account.status != AccountStatus.ACTIVE, Account.name)))
    found: list[Source] = []
    missing: dict[str, str] = {}
    for platform in platforms:
        mine = [a for a in accounts if a.platform == platform]
        if platform == "mastodon":
            found += _mastodon_sources(app, mine, build)
            if not any(src.platform == "mastodon" for src in found):
                missing[platform] = _("no Mastodon account and no [listening] mastodon_instances — list the "
                                      "instances to count on in the config file")
            continue
        if platform == "sandbox":   # counted only where there is a sandbox account: never a note otherwise
            usable = [a for a in mine if a.status == AccountStatus.ACTIVE]
            if usable:
                found.append(Source(platform, "sandbox", build(usable[0]), usable[0].name))
            elif explicit:
                missing[platform] = "no active sandbox account — add one: campaigner account add sandbox NAME"
            continue
        if platform == "bluesky":
            usable = [a for a in mine if a.status == AccountStatus.ACTIVE]
            why = _("no active Bluesky account to search with (Bluesky's search needs a session) — add one: "
                    "campaigner account add bluesky NAME")
        else:
            usable = [a for a in mine if any(st.field == "BEARER_TOKEN" and st.is_set for st in secret_status(app, a))]
            why = _("no X account has a BEARER_TOKEN — set the app's Bearer token: campaigner account set-secret "
                    "{name} BEARER_TOKEN").format(name=mine[0].name if mine else "NAME")
        source = None
        for account in usable:
            try:
                source = Source(platform, _host(account.base_url or PLATFORMS[platform].default_base_url or ""),
                                build(account), account.name)
                break
            except (CampaignerError, ConnectorError) as exc:
                why = f"{account.name}: {exc}"
        if source is None:
            missing[platform] = why
        else:
            found.append(source)
    if explicit and missing:
        platform, why = next(iter(missing.items()))
        what, _sep, fix = why.partition(" — ")
        raise ConfigError(_("cannot count {platform} hashtags: {reason}").format(platform=PLATFORMS[platform].label,
                                                                                 reason=what), fix or None)
    return found, missing


def _mastodon_sources(app: App, accounts: list[Account], build: Callable[[Account], CountsTags]) -> list[Source]:
    found: dict[str, Source] = {}
    timeout = PUBLIC_TIMEOUT
    for account in accounts:
        base = (account.base_url or PLATFORMS["mastodon"].default_base_url or "").rstrip("/")
        host = _host(base)
        if host in found:
            continue
        counter: CountsTags | None = None
        if account.status == AccountStatus.ACTIVE:
            try:
                counter = build(account)
            except CampaignerError:  # a secret missing: the instance shows its tags to anyone
                counter = None
        found[host] = (Source("mastodon", host, counter, account.name) if counter is not None else
                       Source("mastodon", host, public_tag_counter("mastodon", base, timeout=timeout, clock=app.now)))
    for base in app.settings.listening.mastodon_instances:
        host = _host(base)
        if host not in found:
            found[host] = Source("mastodon", host, public_tag_counter("mastodon", base, timeout=timeout, clock=app.now))
    return list(found.values())


# --- our own posts ---------------------------------------------------------------------------------
def own_posts(app: App, platform: str, start: datetime, end: datetime) -> list[tuple[datetime, frozenset[str]]]:
    """(when, its tags as ``tag_key``) of every part our ``platform`` accounts published in
    [start, end) that carries a hashtag."""
    when = func.coalesce(DeliveryPart.published_at, Delivery.published_at)
    q = (select(when, DeliveryPart.text).join(Delivery, Delivery.id == DeliveryPart.delivery_id)
         .join(Account, Account.id == Delivery.account_id)
         .where(Account.platform == platform, DeliveryPart.remote_id.is_not(None), when >= start, when < end))
    out = []
    with db.read(app.engine) as s:
        for published_at, text in s.execute(q):
            if published_at is not None and ("#" in text or "\uff03" in text):
                tags = frozenset(tag_key(t) for t in hashtags_in(text))
                if tags:
                    out.append((published_at, tags))
    return out


def _own_by_day(posts: list[tuple[datetime, frozenset[str]]], zone: ZoneInfo) -> Counter:
    """(tag key, day of ``zone``) → how many of our posts carried the tag that day."""
    counts: Counter = Counter()
    for when, tags in posts:
        day = when.astimezone(zone).date()
        for tag in tags:
            counts[(tag, day)] += 1
    return counts


# --- collecting ------------------------------------------------------------------------------------
@dataclass
class SourceResult:
    platform: str
    source: str
    requests: int = 0
    days: int = 0
    #: tags not asked again: counted there already (``collect``'s ``skip``)
    skipped: int = 0
    #: why the source stopped (a rate limit, refused credentials, …); None: every tag was counted
    error: str | None = None
    #: the platform refused the credentials of an account (what to renew); None: it did not
    refused: Refused | None = None

    @property
    def advice(self) -> str | None:
        """What a person must do about ``error`` (None: nothing, the worker tries again)."""
        return self.refused.advice() if self.refused else None


@dataclass
class CollectReport:
    campaigns: list[str]
    tags: list[str]
    first_day: date
    last_day: date
    stored: int = 0
    requests: int = 0
    sources: list[SourceResult] = field(default_factory=list)
    #: platform → why it was not counted
    not_counted: dict[str, str] = field(default_factory=dict)


def collect(app: App, *, campaign: str | None = None, platforms: Sequence[str] = (), days: int = DAYS,
            counter_for: Callable[[Account], CountsTags] | None = None,
            progress: Callable[[int, int], None] | None = None,
            skip: Collection[tuple[str, str, str]] = ()) -> CollectReport:
    """Count the hashtags of ``campaign`` (or of every running campaign with hashtags) and their
    comparison tags, for the last ``days`` local days (today included), on ``platforms`` (default:
    every platform that counts; X only with ``x_counts``), and store the counts. No transaction
    is held while a platform is asked; each source's counts are stored as soon as they are in.
    ``skip``: (platform, source, tag key) already counted (a retry after a partial failure), not
    asked again."""
    if not 1 <= days <= DAYS:
        raise InvalidInput(_("--days must be from 1 to {most}, got {days}").format(most=DAYS, days=days),
                           _("Mastodon's history and X's recent counts reach {most} days back").format(most=DAYS))
    zone = app.settings.zone
    now = app.now()
    today = now.astimezone(zone).date()
    first_day = today - timedelta(days=days - 1)
    asked = check_platforms(app, platforms)
    with db.read(app.engine) as s:
        chosen = campaigns_to_count(s, campaign, first_day)
    spelled: dict[str, str] = {}
    for c in chosen:
        for tag in [*(c.hashtags or []), *(c.compare_tags or [])]:
            spelled.setdefault(tag_key(tag), tag.lstrip("#"))
    report = CollectReport(campaigns=[c.slug for c in chosen], tags=[f"#{t}" for t in spelled.values()],
                           first_day=first_day, last_day=today)
    found, report.not_counted = sources(app, asked, explicit=bool(platforms), counter_for=counter_for)
    if not platforms and not app.settings.listening.x_counts:
        report.not_counted["x"] = _("off (X bills every request) — to count there, set x_counts = true in [listening]")
    if not found:
        reasons = "; ".join(why.partition(" — ")[0] for platform, why in report.not_counted.items()
                            if platform in asked)
        raise ConfigError(_("there is nowhere to count hashtags: {reasons}").format(reasons=reasons),
                          _("add a Mastodon or Bluesky account, or list instances in [listening] mastodon_instances"))
    own_cache: dict[str, list[tuple[datetime, frozenset[str]]]] = {}
    start_utc = min(datetime.combine(first_day, time(0), tzinfo=zone).astimezone(timezone.utc),
                    datetime.combine(first_day, time(0), tzinfo=timezone.utc))
    total, done = len(found) * len(spelled), 0
    for src in found:
        result = SourceResult(src.platform, src.name)
        report.sources.append(result)
        rows: list[dict] = []
        for key, tag in spelled.items():
            if (src.platform, src.name, key) in skip:
                result.skipped += 1
                done += 1
                continue
            try:
                counts = src.counter.tag_counts(tag, first_day, today + timedelta(days=1), zone)
            except Exception as exc:  # a ConnectorError, or a hostile answer a connector could not read
                result.error = skip_reason(exc)
                if isinstance(exc, AuthExpired) and src.account:
                    result.refused = Refused(src.account, PLATFORMS[src.platform].tag_counts_secret or "FIELD")
                if isinstance(exc, (RateLimited, AuthExpired)):
                    break  # the next tag would be refused the same way
                continue
            finally:
                done += 1
                if progress:
                    progress(done, total)
            result.requests += counts.requests
            if src.platform not in own_cache:
                own_cache[src.platform] = own_posts(app, src.platform, start_utc, now + timedelta(minutes=1))
            rows += _rows(key, src, counts, own_cache[src.platform], app.now(),
                          (first_day - timedelta(days=1), today + timedelta(days=1)))
        report.requests += result.requests
        if rows:
            _store(app, rows)
            result.days = len(rows)
            report.stored += len(rows)
        if result.error:
            log.warning("listening on %s %s stopped: %s", src.platform, src.name, result.error)
    return report


def counted_since(app: App, since: datetime) -> frozenset[tuple[str, str, str]]:
    """(platform, source, tag key) of every count stored at or after ``since``: what a retry of
    the same day need not ask again."""
    with db.read(app.engine) as s:
        return frozenset((p, src, t) for p, src, t in s.execute(
            select(TagCount.platform, TagCount.source, TagCount.tag).where(TagCount.collected_at >= since).distinct()))


def _rows(key: str, src: Source, counts: TagCounts, own: list[tuple[datetime, frozenset[str]]],
          at: datetime, window: tuple[date, date]) -> list[dict]:
    """The rows to store for one tag from one source: days within ``window`` (a day either side of
    the local days asked for: UTC days), each day once, our own posts taken off."""
    try:
        zone = ZoneInfo(counts.day_zone)
    except (ValueError, KeyError, OSError):  # not a zone name: the connector's days are UTC days
        zone = ZoneInfo("UTC")
    ours = _own_by_day(own, zone)
    rows: dict[date, dict] = {}
    for d in counts.days:
        if not window[0] <= d.day <= window[1] or d.day in rows:
            continue
        mine = ours.get((key, d.day), 0)
        rows[d.day] = dict(tag=key, platform=src.platform, source=src.name, day=d.day, day_zone=zone.key,
                           posts=max(d.posts - mine, 0), own=mine, accounts=d.accounts, at_least=d.at_least,
                           collected_at=at)
    return list(rows.values())


def _store(app: App, rows: list[dict]) -> None:
    """Insert the rows, or update those already stored for their tag, platform, source and day —
    unless the stored count is of the whole day and the new one is only "at least" (an old day at
    the edge of a platform's window): ``INSERT … ON CONFLICT DO UPDATE … WHERE``, on SQLite and
    PostgreSQL alike."""
    with db.write(app.engine) as s:
        if s.get_bind().dialect.name == "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        else:
            from sqlalchemy.dialects.sqlite import insert  # type: ignore[assignment]
        stmt = insert(TAG_COUNTS).values(rows)
        new = stmt.excluded
        s.execute(stmt.on_conflict_do_update(
            index_elements=["tag", "platform", "source", "day"], set_={c: new[c] for c in _UPDATED},
            where=or_(new.at_least.is_(False), TAG_COUNTS.c.at_least.is_(True))))


# --- reading ----------------------------------------------------------------------------------------
def show(app: App, *, campaign: str | None = None, days: int = DAYS) -> tuple[date, date, list[CampaignCounts]]:
    """The stored counts of the last ``days`` local days (today included), per campaign (every
    campaign with hashtags, or the one named)."""
    if not 1 <= days <= SHOW_DAYS:
        raise InvalidInput(_("--days must be from 1 to {most}, got {days}").format(most=SHOW_DAYS, days=days),
                           _("e.g. --days 14"))
    today = app.now().astimezone(app.settings.zone).date()
    first_day = today - timedelta(days=days - 1)
    out = []
    with db.read(app.engine) as s:
        if campaign is not None:
            chosen = campaigns_to_count(s, campaign, first_day)
        else:
            chosen = [c for c in s.scalars(select(Campaign).order_by(Campaign.slug)) if c.hashtags]
        for c in chosen:
            tags = [*(c.hashtags or []), *(c.compare_tags or [])]
            out.append(CampaignCounts(c.slug, c.name, list(c.hashtags or []), list(c.compare_tags or []),
                                      stored(s, tags, first_day, today)))
    return first_day, today, out
