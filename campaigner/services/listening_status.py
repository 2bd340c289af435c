"""Listening at a glance, for ``campaigner status``: when each campaign's hashtags were last
counted on each platform, and which platforms' daily counting fails — since when, why, and when
the worker tries again.

Read-only and cheap, within the caller's read (``status``): the campaigns with hashtags, the
latest ``collected_at`` per platform and tag among the counts of the last ``LOOKBACK_DAYS`` days
(a range of ``ix_tag_counts_day``: each collection rewrites the days it counts, today's among them,
so the latest collection is there), and the listening job's ``job_runs`` rows (by primary key)
that ``services.listening_daily`` keeps, with the refusals of credentials it keeps beside them
(``listening_refusals``, read only when a platform fails). A platform not counted for longer than
that is "not in the last 8 days"; when it fails, its failure's start (kept across days) says since
when.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection

from campaigner.services.listening_schedule import FAILING, JOB, Refused, failing_row, wait_after
from campaigner.tables import campaigns as campaigns_table
from campaigner.tables import job_runs, listening_refusals, tag_counts
from content.hashtags import tag_key

#: the tables' own columns: read with Core selects, never loading the ORM (as ``status``)
Campaign, JobRun, Refusal, TagCount = campaigns_table.c, job_runs.c, listening_refusals.c, tag_counts.c

#: how far back the last count of a platform is looked for: the 7 days a collection counts, and a
#: day for UTC days (older: "not in the last 8 days")
LOOKBACK_DAYS = 8
#: a campaign is shown while it runs, and this long after its end date (as ``listen collect``'s days)
AFTER_END = timedelta(days=6)


@dataclass(frozen=True)
class Counted:
    """When a campaign's hashtags were last counted on ``platform`` (None: not within ``LOOKBACK_DAYS``)."""

    platform: str
    at: datetime | None


@dataclass(frozen=True)
class CampaignListening:
    slug: str
    #: by platform name
    platforms: list[Counted]


@dataclass(frozen=True)
class Failing:
    """A platform whose daily counting failed at the last try (and still does: the day is not done)."""

    platform: str
    since: datetime
    why: str
    #: when the worker tries the day again (None: it is being tried now, or no try failed yet)
    next_try_at: datetime | None
    #: the platform refused the credentials of an account: what to renew (None: it failed otherwise)
    refused: Refused | None = None


@dataclass(frozen=True)
class ListeningStatus:
    campaigns: list[CampaignListening]
    failing: list[Failing]


def listening_status(s: Connection, now: datetime, zone: ZoneInfo) -> ListeningStatus:
    """Listening as of ``now``, read with ``s``; days are days of ``zone``."""
    today = now.astimezone(zone).date()
    campaigns = [(slug, tags) for slug, tags, end in s.execute(
        select(Campaign.slug, Campaign.hashtags, Campaign.end_date).order_by(Campaign.slug))
        if tags and (end is None or end >= today - AFTER_END)]
    last: dict[tuple[str, str], datetime] = {}
    if campaigns:
        # grouped by one key (platform and tag joined): grouped by the two columns, SQLite's planner
        # reads the whole table through the unique (tag, platform, source, day) index, for its order,
        # instead of the day index's range (87,600 counts, 8 days of them: 54 ms against 7 ms)
        key = TagCount.platform + " " + TagCount.tag
        for both, at in s.execute(select(key, func.max(TagCount.collected_at))
                                  .where(TagCount.day >= today - timedelta(days=LOOKBACK_DAYS)).group_by(key)):
            platform, _sep, tag = both.partition(" ")
            last[(platform, tag)] = at
    jobs = {name: (period, at, why) for name, period, at, why in s.execute(
        select(JobRun.name, JobRun.period, JobRun.ran_at, JobRun.ran_by)
        .where(or_(JobRun.name.in_([JOB, FAILING]), JobRun.name.startswith(failing_row(""), autoescape=True))))}
    failing = _failing(jobs)
    if failing:
        refused = {p: Refused(account, field) for p, account, field in s.execute(
            select(Refusal.platform, Refusal.account, Refusal.field)
            .where(Refusal.platform.in_([f.platform for f in failing])))}
        failing = [replace(f, refused=refused.get(f.platform)) for f in failing]
    platforms = sorted({p for p, _tag in last} | {f.platform for f in failing})
    shown = []
    for slug, tags in campaigns:
        keys = {tag_key(t) for t in tags}
        counted = []
        for platform in platforms:
            times = [at for (p, tag), at in last.items() if p == platform and tag in keys]
            if times or any(f.platform == platform for f in failing):
                counted.append(Counted(platform, max(times) if times else None))
        shown.append(CampaignListening(slug, counted))
    return ListeningStatus(shown, failing)


def _failing(jobs: dict[str, tuple[str, datetime | None, str | None]]) -> list[Failing]:
    """The platforms failing on a day not done yet (the job's period is the last day done)."""
    done, last_try, by = jobs.get(JOB, ("", None, None))
    streak = jobs.get(FAILING, ("", None, None))[1]
    next_try = (last_try + wait_after(streak, last_try)
                if by is None and last_try is not None and streak is not None else None)
    out = []
    for name, (period, since, why) in sorted(jobs.items()):
        if name.startswith(failing_row("")) and period and period > done and since is not None:
            out.append(Failing(name.removeprefix(failing_row("")), since, why or "", next_try))
    return out

