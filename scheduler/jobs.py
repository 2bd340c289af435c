"""The periodic jobs of a worker (``campaigner run``), assembled in one place.

A job is a plain function of ``now`` run every so often; posts are never jobs (they are rows the
publish loop finds). ``default_jobs`` is everything a full worker runs besides publishing and its
heartbeat, so a worker can be started without the CLI (tests, benches, another front end).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Callable

from campaigner.app import App
from campaigner.services import workers

log = logging.getLogger(__name__)


@dataclass
class PeriodicJob:
    """A plain function of ``now`` run every ``every`` (metrics polling, the weekly report…)."""

    name: str
    every: timedelta
    run: Callable[[datetime], object]  # what it returns is not used


def once_per_period(app: App, worker: str, name: str, period: timedelta, body: Callable[[datetime], object],
                    *, tried_every: timedelta | None = None) -> PeriodicJob:
    """A job that one worker runs per ``period`` (counted from the epoch), however many workers
    try it: each tries every ``tried_every`` (default: ``period``) and the one whose conditional
    update claims the period (``workers.claim_period``) runs ``body(now)``."""
    step = int(period.total_seconds())

    def run(now: datetime) -> None:
        if workers.claim_period(app, name, f"{int(now.timestamp()) // step:012d}", worker, now):
            body(now)

    return PeriodicJob(name, tried_every or period, run)


def alert_jobs(app: App, every_minutes: float | None = None) -> list[PeriodicJob]:
    """The alert job, every ``every_minutes`` (default: the [smtp] table's ``every_minutes``, else
    5): the inbox's alerts are raised (a burst of opposition, questions left unanswered) and the
    digest goes to each configured channel (e-mail, a Telegram chat); without a channel the alerts
    wait (``campaigner status`` counts them)."""
    from campaigner.services.alerts import channels, digest_job

    smtp = app.settings.smtp
    every = timedelta(minutes=every_minutes or (smtp.every_minutes if smtp else 5))
    where = []
    if smtp is not None:
        where.append(f"e-mailed to {', '.join(smtp.to)}")
    if "telegram" in channels(app):
        where.append(f"sent to the Telegram chat {app.settings.alerts.telegram_chat}")
    log.info("alerts are %s every %s", " and ".join(where) or "raised but not sent (no [smtp] table, no [alerts] "
             "telegram_chat)", every)
    return [PeriodicJob("alerts", every, partial(digest_job, app))]


def monitoring_jobs(app: App, worker: str, every_minutes: float = 10.0) -> list[PeriodicJob]:
    """Metric snapshots and replies of what is due; when replies were collected, the inbox's alerts
    due are raised at once (the alert job sends them). Each poll also judges again a batch of the
    stored replies another version of the classifier judged (after an upgrade), the newest first:
    ``collect_replies`` does it when replies were collected, the poll itself otherwise; while none
    are left, a poll only reads the newest reply's id (``replies.reclassify_some``). With several
    workers only one polls per period (a conditional update on the job's row), so no request is
    made twice."""
    from campaigner.services.inbox_alerts import raise_alerts
    from campaigner.services.metrics import collect
    from campaigner.services.replies import collect_replies, reclassify_some

    def poll(now: datetime) -> None:
        report = collect(app)
        if report.delivery_ids:
            collect_replies(app, report.delivery_ids)
            raise_alerts(app, app.now())
        else:
            reclassify_some(app)

    return [once_per_period(app, worker, "metrics", timedelta(minutes=every_minutes), poll)]


def report_jobs(app: App, worker: str, every_minutes: float = 1.0) -> list[PeriodicJob]:
    """The weekly report: a cheap check every minute; on Monday 07:00 local (or the first run
    after it) one worker writes last week's report and e-mails it."""
    from campaigner.services import weekly_report

    return [PeriodicJob("weekly_report", timedelta(minutes=every_minutes), partial(weekly_report.run, app, worker))]


def credential_jobs(app: App, worker: str, every_minutes: float = 10.0) -> list[PeriodicJob]:
    """The credentials watch: every 6 hours one worker asks each active account's platform who
    its credentials belong to (tried every ``every_minutes``, so a restart does not skip it)."""
    from campaigner.services.credentials import CHECK_EVERY, check

    return [once_per_period(app, worker, "credentials", CHECK_EVERY, lambda now: check(app, now),
                            tried_every=timedelta(minutes=every_minutes))]


def media_jobs(app: App, worker: str, every_minutes: float = 10.0) -> list[PeriodicJob]:
    """Media cleanup: once an hour one worker removes the files put in the ``[media]`` place more
    than ``keep_days`` ago (tried every ``every_minutes``); none without a ``[media]`` table."""
    if app.settings.media is None:
        return []
    from campaigner.errors import CampaignerError
    from campaigner.media_host import MediaHost

    def clean(now: datetime) -> None:
        try:
            MediaHost.open(app).cleanup(now)
        except CampaignerError as exc:  # e.g. the folder became unwritable: one line, next hour again
            log.error("media cleanup: %s", exc)

    return [once_per_period(app, worker, "media_cleanup", timedelta(hours=1), clean,
                            tried_every=timedelta(minutes=every_minutes))]


def listening_jobs(app: App, worker: str, every_minutes: float = 10.0) -> list[PeriodicJob]:
    """Listening: once a day one worker counts the running campaigns' hashtags (and comparison
    tags) for the last 7 days (tried every ``every_minutes``, so a restart does not skip a day). A
    day whose counting failed stays due: it is tried again after a growing wait (15 minutes to 2
    hours), asking only the sources and tags still missing, and an alert is raised when it keeps
    failing (``services.listening_daily``). X is asked only with ``[listening] x_counts = true``:
    one billed request per tag and day."""
    from campaigner.services import listening_daily

    return [PeriodicJob("listening", timedelta(minutes=every_minutes), partial(listening_daily.run, app, worker))]


def expiry_jobs(app: App) -> list[PeriodicJob]:
    """Every minute, posts waiting on a paused or held account expire at their limit (a publishing
    pass does it too, but an idle worker runs none: nothing it can send is due)."""
    from campaigner.services.expiry import expire_waiting

    return [PeriodicJob("expire_waiting", timedelta(minutes=1), partial(expire_waiting, app))]


def default_jobs(app: App, worker: str, *, alerts_every: float | None = None) -> list[PeriodicJob]:
    """Every periodic job of a full worker (besides publishing and its heartbeat)."""
    return (alert_jobs(app, alerts_every) + monitoring_jobs(app, worker) + report_jobs(app, worker)
            + credential_jobs(app, worker) + media_jobs(app, worker) + listening_jobs(app, worker) + expiry_jobs(app))
