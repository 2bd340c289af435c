"""The weekly report, automatically: every Monday 07:00 local time the daemon writes last week's
report to the reports folder and, when SMTP is configured, e-mails it — once, however many
workers run.

Two once-per-week steps, each guarded by ``claim_period`` (a conditional update only one worker
wins): ``weekly_report`` writes the files, ``weekly_report_mail`` sends the e-mail. A step that
fails gives its week back (``release_period``) and is tried again by the next run after
``RETRY_AFTER``, so a full disk or a mail server that is down delays the report but never loses
it silently; each failure is one log line. A daemon that was down at 07:00 catches up when it
starts (only the latest week is caught up: an older one is in the reports folder already or can
be made with ``campaigner report weekly --week``).
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Callable
from zoneinfo import ZoneInfo

from campaigner.app import App
from campaigner.config import REPORT_FORMATS
from campaigner.errors import CampaignerError, ConfigError
from campaigner.i18n import _
from campaigner.files import write_file
from campaigner.services.weeks import Week, default_week
from campaigner.services.workers import claim_period, job_state, release_period

if TYPE_CHECKING:  # the report's queries and the mail are loaded when a report is made (``status`` only reads its state)
    from campaigner.services.report import WeeklyReport

log = logging.getLogger(__name__)

WRITE_JOB, MAIL_JOB = "weekly_report", "weekly_report_mail"
#: local time on Monday when last week's report is due
DUE_AT = time(7, 0)
#: a failed step waits this long before the next try
RETRY_AFTER = timedelta(minutes=15)
#: MIME type of each attached format (the text report is the message itself)
_MIME = {"markdown": "text/markdown", "html": "text/html", "csv": "text/csv", "json": "application/json",
         "csv-share-of-voice": "text/csv"}
#: documents that go with a format: name → (the format, what its file name adds)
COMPANIONS = {"csv-share-of-voice": ("csv", "-share-of-voice")}


def due_week(now: datetime, zone: ZoneInfo) -> Week:
    """The week whose report is due at ``now``: the last full week once this Monday's 07:00 local
    has passed; before that, the week before it."""
    week = default_week(now, zone)
    return week.previous() if now < due_at(week) else week


def not_due_yet(now: datetime, zone: ZoneInfo) -> Week | None:
    """The last full week while its report is not due yet (Monday 00:00 to 07:00 local), else None.

    The report is delivered once, so it waits until 07:00: by then the collector has fetched the
    replies written late on Sunday."""
    week = default_week(now, zone)
    return week if now < due_at(week) else None


def due_at(week: Week) -> datetime:
    """When ``week``'s report becomes due: the next Monday, 07:00 local (an aware UTC time)."""
    zone = ZoneInfo(week.zone)
    return datetime.combine(week.last_day + timedelta(days=1), DUE_AT, tzinfo=zone).astimezone(timezone.utc)


@dataclass(frozen=True)
class State:
    """Where the due week's report stands (``campaigner status``)."""

    week: str
    due_at: datetime
    written_at: datetime | None
    written_by: str | None
    emailed_at: datetime | None
    #: the last failed try of the step not done yet (None: none since it was last done)
    failed_at: datetime | None


def state(app: App, now: datetime) -> State:
    week = due_week(now, app.settings.zone)
    steps = []
    for job in (WRITE_JOB, MAIL_JOB):
        period, ran_at, ran_by = job_state(app, job)
        done = period >= week.iso
        steps.append((ran_at if done else None, ran_by if done else None,
                      ran_at if not done and ran_by is None else None))
    (written_at, written_by, write_failed), (emailed_at, _, mail_failed) = steps
    return State(week.iso, due_at(week), written_at, written_by, emailed_at,
                 write_failed if written_at is None else mail_failed)


def report_path(folder: Path, week: Week, fmt: str) -> Path:
    base, suffix = COMPANIONS.get(fmt, (fmt, ""))
    return folder / f"weekly-{week.iso}{suffix}.{REPORT_FORMATS[base]}"


@dataclass
class Outcome:
    """What one run did (nothing written or sent: not due, done by another worker, or failed)."""

    week: str
    written: list[Path] = field(default_factory=list)
    emailed_to: tuple[str, ...] = ()
    #: on Monday before 07:00 local: the last full week, whose report is not due yet, and when it is
    next_week: str | None = None
    next_due_at: datetime | None = None


def _documents(app: App, week: Week, formats: tuple[str, ...]) -> tuple[WeeklyReport, dict[str, str]]:
    from campaigner.report_render import render
    from campaigner.services.report import build_weekly

    data = build_weekly(app, week=week)
    lang = app.settings.report.lang
    docs = {fmt: render(data, fmt, lang) for fmt in formats}
    if "csv" in formats:  # the share of voice is a table of its own, beside the deliveries'
        from campaigner.report_render import Lang
        from campaigner.report_render.csvfile import share_of_voice

        voice = share_of_voice(data, Lang(lang))
        if voice is not None:
            docs["csv-share-of-voice"] = voice
    return data, docs


def write_files(app: App, week: Week) -> tuple[WeeklyReport, dict[str, str], list[Path]]:
    """Build ``week``'s report and write it to the reports folder in the configured formats."""
    formats = app.settings.report.formats
    data, docs = _documents(app, week, formats)
    folder = app.settings.reports_dir
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(_("cannot create the reports folder {folder}: {strerror}").format(folder=folder, strerror=exc.strerror),
                          _("make it writable or set dir in the [report] table of the config file")) from None
    paths = []
    for fmt, doc in docs.items():
        path = report_path(folder, week, fmt)
        write_file(path, doc)
        paths.append(path)
    return data, docs, paths


def email(app: App, week: Week, now: datetime, data: WeeklyReport | None = None,
          docs: dict[str, str] | None = None) -> tuple[str, ...]:
    """E-mail ``week``'s report: the plain-text report as the body, each configured format
    attached. Returns the recipients. Raises ``ConfigError`` when sending fails."""
    from campaigner.report_render import Lang, render
    from campaigner.report_render.common import report_title
    from campaigner.services import mail

    smtp = app.settings.smtp
    assert smtp is not None
    cfg = app.settings.report
    if data is None or docs is None:
        data, docs = _documents(app, week, cfg.formats)
    to = cfg.to or smtp.to
    body = docs.get("text") or render(data, "text", cfg.lang)
    msg = mail.message(smtp, f"[campaigner] {report_title(data, Lang(cfg.lang))}", body, now,
                       app.settings.zone, to=to)
    for fmt, doc in docs.items():
        if fmt == "text":
            continue
        name = report_path(Path(), week, fmt).name
        maintype, subtype = _MIME[fmt].split("/")
        if maintype == "text":
            msg.add_attachment(doc, subtype=subtype, filename=name)  # UTF-8, charset named
        else:
            msg.add_attachment(doc.encode("utf-8"), maintype=maintype, subtype=subtype, filename=name)
    mail.send(app, smtp, msg, what=_("the {week} weekly report").format(week=week.iso),
              then=_("it is tried again in {n} minutes").format(n=int(RETRY_AFTER.total_seconds() // 60)))
    return tuple(to)


def _claim(app: App, job: str, week: Week, worker: str, now: datetime) -> str | None:
    """Take ``job`` for ``week`` unless it is done, or its last try failed less than RETRY_AFTER
    ago; returns the period to give back on failure (None: not ours to do)."""
    period, ran_at, ran_by = job_state(app, job)
    if period >= week.iso:
        return None
    if ran_by is None and ran_at is not None and now - ran_at < RETRY_AFTER:
        return None
    return period if claim_period(app, job, week.iso, worker, now) else None


def _step(app: App, job: str, week: Week, worker: str, now: datetime, body: Callable[[], None],
          strict: bool) -> None:
    """Run ``body`` once for ``week`` across all workers; on failure give the week back (and
    raise when ``strict``, else log)."""
    previous = _claim(app, job, week, worker, now)
    if previous is None:
        return
    try:
        body()
    except BaseException as exc:
        release_period(app, job, week.iso, worker, previous, now)
        if strict or not isinstance(exc, CampaignerError):
            raise
        log.error("weekly report %s: %s", week.iso, exc)


def run(app: App, worker: str, now: datetime, *, strict: bool = False) -> Outcome:
    """The daemon's job body: write and e-mail the due week's report unless another worker has.
    A failure is logged and tried again later (``strict``: raised, for the command line)."""
    week = due_week(now, app.settings.zone)
    out = Outcome(week.iso)
    pending = not_due_yet(now, app.settings.zone)
    if pending is not None:
        out.next_week, out.next_due_at = pending.iso, due_at(pending)
    made: dict = {}

    def write() -> None:
        made["data"], made["docs"], out.written = write_files(app, week)
        log.info("wrote the %s weekly report to %s", week.iso, ", ".join(str(p) for p in out.written))

    def send() -> None:
        out.emailed_to = email(app, week, now, made.get("data"), made.get("docs"))
        log.info("e-mailed the %s weekly report to %s", week.iso, ", ".join(out.emailed_to))

    _step(app, WRITE_JOB, week, worker, now, write, strict)
    # the e-mail follows the files (by this worker or, after a failure, any other)
    if app.settings.smtp is not None and job_state(app, WRITE_JOB)[0] >= week.iso:
        _step(app, MAIL_JOB, week, worker, now, send, strict)
    return out
