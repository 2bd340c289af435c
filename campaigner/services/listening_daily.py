"""The daemon's daily listening: one worker counts the hashtags once a (UTC) day — and a day
whose counting failed stays due.

The day is claimed with ``claim_period`` (one worker wins, however many try). When a source fails
(a network outage, a platform's 5xx, a rate limit) the day is given back (``release_period``) and
tried again after a wait that doubles from ``FIRST_RETRY`` up to ``LONGEST_WAIT`` (in
``listening_schedule``: 15, 15, 30, 60, 120, 120… minutes), so an outage costs a few requests an hour, not one every tick. A retry
asks only what is still missing: the (platform, source, tag) counted since the day's first try
are skipped (``listening.counted_since``), so a source that answered is not asked (nor billed, on
X) again. When the day's counting has failed for ``ALERT_AFTER``, one ``listening`` alert is
raised (e-mail/Telegram like any other); the streak's start is kept in its own ``job_runs`` row
(``FAILING``). A configuration problem (no campaign with hashtags, nowhere to count) is not
retried: it is logged and the day is done.

So that ``campaigner status`` can say what fails (``services.listening_status``), each platform
whose counting failed at the last try has a ``job_runs`` row of its own, ``FAILING:<platform>``:
``period`` the day tried, ``ran_at`` since when the platform fails (kept until a try succeeds
there, across days), ``ran_by`` why, on one line (``WHY_LENGTH``, the column's size). When the
platform refused the credentials of the account it counts with, the account and its secret field
(what to renew) are kept in ``listening_refusals`` beside it. A try that counts a platform clears
its row (``period`` "") and its refusal; a try that fails otherwise clears the refusal.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, insert, select, update

from campaigner import db
from campaigner.app import App
from campaigner.errors import CampaignerError
from campaigner.i18n import _, number
from campaigner.models import Alert, JobRun, ListeningRefusal
from campaigner.services.listening_schedule import FAILING, JOB, Refused, failing_row, wait_after
from campaigner.services.workers import claim_period, ensure_job_row, job_state, release_period
from content.untrusted import one_line

log = logging.getLogger(__name__)

DAY = timedelta(days=1)
#: failures lasting this long raise one ``listening`` alert
ALERT_AFTER = timedelta(hours=1)
#: the longest "why" kept in a platform's ``FAILING:<platform>`` row (``job_runs.ran_by``)
WHY_LENGTH = 128


def period_of(now: datetime) -> str:
    return f"{int(now.timestamp()) // int(DAY.total_seconds()):012d}"


@dataclass
class Outcome:
    """What one run did (``ran`` False: done today already, another worker's, or waiting)."""

    ran: bool = False
    stored: int = 0
    requests: int = 0
    #: "platform source: why" of each source that failed this time
    failed: list[str] = field(default_factory=list)
    #: when the day is tried again (None: done)
    retry_at: datetime | None = None
    alerted: bool = False


def _failing_since(app: App, period: str) -> datetime | None:
    failing_period, since, _ = job_state(app, FAILING)
    return since if failing_period == period else None


def _set_failing(app: App, period: str, since: datetime | None) -> None:
    """Record (``since``) or clear (None) the day whose counting keeps failing."""
    with db.write(app.engine) as s:
        ensure_job_row(s, FAILING)
        s.execute(update(JobRun).where(JobRun.name == FAILING)
                  .values(period=period if since else "", ran_at=since, ran_by=None))


def _record_platforms(app: App, period: str, now: datetime, tried: list[str], failed: dict[str, list[str]],
                      refused: dict[str, Refused]) -> None:
    """Each platform of ``failed`` (platform → "source: why" of each source that failed) fails
    since its row says (or since ``now``), for the reason of this try, and the account whose
    credentials it refused at this try is kept (``refused``, by platform); each other platform
    ``tried`` counts again (its row cleared). A refusal kept from an earlier try goes."""
    with db.write(app.engine) as s:
        since = dict(s.execute(select(JobRun.name, JobRun.ran_at).where(
            JobRun.name.in_([failing_row(p) for p in tried]), JobRun.period != "")).all())
        s.execute(delete(ListeningRefusal).where(ListeningRefusal.platform.in_(tried)))
        for platform in tried:
            name = failing_row(platform)
            if platform in failed:
                ensure_job_row(s, name)
                s.execute(update(JobRun).where(JobRun.name == name).values(
                    period=period, ran_at=since.get(name) or now, ran_by=one_line("; ".join(failed[platform]),
                                                                                  WHY_LENGTH)))
                who = refused.get(platform)
                if who is not None:
                    s.execute(insert(ListeningRefusal).values(platform=platform, account=who.account,
                                                              field=who.field, refused_at=now))
            elif name in since:
                s.execute(update(JobRun).where(JobRun.name == name).values(period="", ran_at=None, ran_by=None))


def _alert_once(app: App, since: datetime, now: datetime, failed: list[str]) -> bool:
    """One ``listening`` alert per streak of failures (the claim makes this worker the only one)."""
    with db.write(app.engine) as s:
        if s.scalar(select(Alert.id).where(Alert.kind == "listening", Alert.created_at >= since).limit(1)):
            return False
        hours = (now - since).total_seconds() / 3600
        message = _("hashtag counting has failed for {hours} hours (since {since}): {failures}").format(
            hours=number(hours, 1), since=since.isoformat(timespec="minutes"), failures="; ".join(failed))[:2000]
        s.execute(insert(Alert).values(created_at=now, kind="listening", message=message))
    log.error("alert: listening: %s", message)
    return True


def run(app: App, worker: str, now: datetime) -> Outcome:
    """The daemon's job body: count today's hashtags unless done (or another worker's), and keep
    the day due while a source fails."""
    from campaigner.services.listening import NothingToListen, collect, counted_since

    out = Outcome()
    period = period_of(now)
    previous, last_try, last_by = job_state(app, JOB)
    if previous >= period:
        return out
    since = _failing_since(app, period)
    if since is not None and last_by is None and last_try is not None and now - last_try < wait_after(since, last_try):
        return out
    if not claim_period(app, JOB, period, worker, now):
        return out
    out.ran = True
    try:
        report = collect(app, skip=counted_since(app, since) if since is not None else ())
    except NothingToListen:
        log.debug("listening: no running campaign has hashtags")
        return out
    except CampaignerError as exc:  # e.g. nowhere to count: one line, tomorrow again
        log.warning("listening: %s", exc)
        return out
    except BaseException:
        release_period(app, JOB, period, worker, previous, now)
        raise
    out.stored, out.requests = report.stored, report.requests
    out.failed = [f"{r.platform} {r.source}: {r.error}" + (f" — {r.advice}" if r.advice else "")
                  for r in report.sources if r.error]
    failed: dict[str, list[str]] = {}
    refused: dict[str, Refused] = {}
    for r in report.sources:
        if r.error:
            failed.setdefault(r.platform, []).append(f"{r.source}: {r.error}")
        if r.refused:
            refused.setdefault(r.platform, r.refused)
    _record_platforms(app, period, now, list(dict.fromkeys(r.platform for r in report.sources)), failed, refused)
    if not out.failed:
        if since is not None:
            _set_failing(app, period, None)
            log.info("listening: counting works again (failing since %s)", since.isoformat(timespec="minutes"))
        log.info("listening: %d day counts of %s stored (%d requests)", report.stored, " ".join(report.tags),
                 report.requests)
        return out
    release_period(app, JOB, period, worker, previous, now)
    if since is None:
        since = now
        _set_failing(app, period, since)
    out.retry_at = now + wait_after(since, now)
    log.warning("listening: %d of %d sources failed (%s); %d day counts stored; tried again at %s",
                len(out.failed), len(report.sources), "; ".join(out.failed), report.stored,
                out.retry_at.isoformat(timespec="minutes"))
    if now - since >= ALERT_AFTER:
        out.alerted = _alert_once(app, since, now, out.failed)
    return out
