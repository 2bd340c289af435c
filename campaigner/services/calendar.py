"""Bulk import and export of the content calendar staff keep in a spreadsheet (CSV).

Import checks every row first, with the same rules as ``post add``; if any row is bad nothing
is written and every bad row is reported with its line number.
"""
from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, TextIO

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from campaigner import db
from campaigner.app import App
from campaigner.errors import CampaignerError, InvalidInput
from campaigner.files import write_file
from campaigner.lateness import format_minutes, parse_max_late
from campaigner.models import Delivery, Post
from campaigner.models import DeliveryStatus as S
from campaigner.services.campaigns import get as get_campaign
from campaigner.services.planning import Draft, Planner, When
from campaigner.services.posts import write_plans
from content.calendar_csv import CalendarRow, RowError, gc_paused, read_calendar, write_calendar

THREAD_SEPARATOR = re.compile(r"^\s*---\s*$", re.MULTILINE)


@dataclass
class ImportResult:
    posts: int
    deliveries: int
    errors: list[str]
    written: bool


def _draft(row: CalendarRow, base: Path, source: str) -> Draft:
    return Draft(text=row.text, accounts=list(row.accounts), when=When("at", f"{row.date} {row.time}"),
                 campaign=row.campaign or None, link=row.link or None,
                 media=[(base / m) for m in row.media], thread="---" in row.text and THREAD_SEPARATOR.search(row.text) is not None,
                 source=f"{source}:{row.line}",
                 max_late=None if row.max_late is None else parse_max_late(row.max_late, "max_late"))


def import_csv(app: App, path: Path, *, dry_run: bool = False,
               progress: Callable[[int, int], None] | None = None) -> ImportResult:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InvalidInput(f"file {path} does not exist", "check the path") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", "check its permissions") from None
    parsed = read_calendar(data)
    if parsed.fatal:  # the file or its header line: one problem, not a row's
        raise _file_problem(path, parsed.errors[0], parsed.fatal)
    errors = [(e.line, e.message) for e in parsed.errors]
    if not parsed.rows and not errors:
        raise InvalidInput(f"{path} has no rows", "add one row per post under the header line")
    with gc_paused():  # as while reading: a growing list of plans
        return _import(app, path, parsed.rows, errors, app.now(), dry_run, progress)


def _file_problem(path: Path, error: RowError, fatal: str) -> InvalidInput:
    """``cal.csv: the file is empty — …`` / ``cal.csv line 1: unknown column … — …`` as one error."""
    where = path.name if fatal == "file" else f"{path.name} line {error.line}"
    return InvalidInput.from_message(error.message, prefix=f"{where}: ")


def _import(app: App, path: Path, rows: list[CalendarRow], errors: list[tuple[int, str]], now,
            dry_run: bool, progress: Callable[[int, int], None] | None) -> ImportResult:
    plans = []
    base, name = path.parent, path.name
    with db.write(app.engine) as s, Planner(app, s, now) as planner:  # its media copies live until stored
        for i, row in enumerate(rows):
            try:
                plans.append(planner.plan(_draft(row, base, name)))
            except CampaignerError as exc:
                errors.append((row.line, str(exc)))
            if progress and (i % 1000 == 999 or i == len(rows) - 1):
                progress(i + 1, len(rows))
        deliveries = sum(len(p.deliveries) for p in plans)
        if errors or dry_run:
            s.rollback()
            return ImportResult(len(plans), deliveries, [f"line {n}: {m}" for n, m in sorted(errors)], False)
        write_plans(app, s, plans, now)
    return ImportResult(len(plans), deliveries, [], True)


@dataclass(frozen=True)
class Exported:
    rows: int
    #: posts with what the calendar has no column for (per-platform variants, alt texts): exported
    #: without it
    incomplete: int
    #: rows at the second of two equal local times (the hour a clock change repeats): the file
    #: cannot say which, and an import takes the first
    repeated_hour: int = 0


def export_csv(app: App, out: TextIO, *, campaign: str | None = None) -> Exported:
    """Write posts that have not been cancelled as calendar rows.

    Deliveries of one post that share a local date and time are one row; others get their own."""
    q = (select(Post).options(selectinload(Post.deliveries).selectinload(Delivery.account),
                              selectinload(Post.media), selectinload(Post.campaign)).order_by(Post.id))
    rows: list[CalendarRow] = []
    incomplete = repeated = 0
    with db.read(app.engine) as s:
        if campaign:
            q = q.where(Post.campaign_id == get_campaign(s, campaign).id)
        for post in s.scalars(q):
            groups: dict[tuple[str, str], list[str]] = {}
            limits: dict[tuple[str, str], str | None] = {}  # a group's lateness limit: its first delivery's
            for d in sorted(post.deliveries, key=lambda d: (d.due_at, d.account.name)):
                if d.status == S.CANCELLED:
                    continue
                local = d.due_at.astimezone(app.zone_for(d.account.timezone))
                repeated += local.fold
                key = (local.strftime("%Y-%m-%d"), local.strftime("%H:%M"))
                groups.setdefault(key, []).append(d.account.name)
                limits.setdefault(key, _limit_cell(d))
            if groups and (post.variants or any(m.alt_text for m in post.media)):
                incomplete += 1
            for (day, hhmm), names in groups.items():
                rows.append(CalendarRow(line=0, date=day, time=hhmm, accounts=names, text=post.text,
                                        link=post.link or "", campaign=post.campaign.slug if post.campaign else "",
                                        media=[str(app.settings.media_dir / m.stored_path) for m in post.media],
                                        max_late=limits[(day, hhmm)]))
    write_calendar(rows, out)
    return Exported(len(rows), incomplete, repeated)


def _limit_cell(d: Delivery) -> str | None:
    """The max_late cell for ``d``'s own limit (None: it follows its account's): an --expires time
    becomes the whole minutes from its time (rounded up)."""
    if d.expires_at is not None:
        return format_minutes(max(1, -(-int((d.expires_at - d.due_at).total_seconds()) // 60)))
    return None if d.max_late_minutes is None else format_minutes(d.max_late_minutes)


def export_csv_file(app: App, path: Path, *, campaign: str | None = None) -> Exported:
    """``export_csv`` to the file ``path``, written whole or not at all (a missing folder or a
    full disk is one clear error, and leaves no partial file), in UTF-8 with a BOM as
    ``write_calendar`` promises a file (Excel then reads the accents and emoji right)."""
    out = io.StringIO(newline="")
    done = export_csv(app, out, campaign=campaign)
    write_file(path, out.getvalue(), encoding="utf-8-sig")
    return done
