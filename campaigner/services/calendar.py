"""Bulk import and export of the content calendar staff keep in a spreadsheet (CSV).

Import checks every row, with the same rules as ``post add``; if any row is bad nothing is
written and every bad row is reported with its line number. The file is read once, a record at a
time, and its posts are written in chunks as they are checked (see ``services.imports``), so
memory stays small and other writers wait only a moment, whatever the file's size.
"""
from __future__ import annotations

import io
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Callable, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from campaigner import db
from campaigner.app import App
from campaigner.errors import CampaignerError, InvalidInput
from campaigner.i18n import _, decimal, number
from campaigner.files import write_file
from campaigner.lateness import format_minutes, parse_max_late
from campaigner.models import Approval, Delivery, Post
from campaigner.models import DeliveryStatus as S
from campaigner.services import imports
from campaigner.services.campaigns import get as get_campaign
from campaigner.services.planning import Draft, Plan, Planner, When
from campaigner.services.posts import write_plans
from campaigner.times import format_local
from content.calendar_csv import CalendarReader, CalendarRow, RowError, gc_paused, write_calendar
from content.csv_cells import dialect_for
from content.datetext import ZONE_LABELS

THREAD_SEPARATOR = re.compile(r"^\s*---\s*$", re.MULTILINE)
#: the largest file an import reads (``post import --max-size``): a calendar of 100,000 posts is
#: about 10 MB
MAX_FILE_MB = 200
#: rows written per transaction: other writers wait for one chunk at most (a fraction of a second;
#: smaller chunks cost more: each commit may checkpoint SQLite's log)
CHUNK_ROWS = 5000
#: bad rows listed at most (the others are counted)
MAX_LISTED_ERRORS = 1000


@dataclass(frozen=True)
class PreviewRow:
    """One row of ``post import --dry-run``: where it is, when it goes out on each account (local
    time with the zone's name), its text, and whether it waits for approval."""

    line: int
    #: (account, its local time) per target, in the row's order
    times: list[tuple[str, str]]
    text: str
    draft: bool


@dataclass(frozen=True)
class OtherZone:
    """A row whose time names a zone (``19.30 WIB``) that is not its account's: read in the named
    zone, and shown in the account's."""

    line: int
    account: str
    written: str  # the time as the sheet gives it, e.g. "2026-12-07 19:30 WIB"
    local: str  # the same moment on the account, e.g. "2026-12-07 20:30 WITA"


@dataclass
class ImportResult:
    posts: int
    deliveries: int
    #: the first ``MAX_LISTED_ERRORS`` problems, by line
    errors: list[str]
    written: bool
    #: all problems found (``errors`` lists the first of them)
    error_count: int = 0
    #: the header's columns that were ignored, as the user wrote them (``CalendarReader.ignored``)
    ignored: list[str] = field(default_factory=list)
    #: rows skipped because their status says cancelled
    cancelled: int = 0
    #: posts written (or, in a dry run, that would be) as drafts waiting for approval
    drafts: int = 0
    #: rows with a time in another zone than their account's (the first ``MAX_LISTED_ERRORS``)
    other_zones: list[OtherZone] = field(default_factory=list)
    other_zone_count: int = 0


#: IANA zone → the label a calendar cell gives it (``content.datetext.ZONE_LABELS`` reversed)
_LABELS = {zone: label.upper() for label, zone in ZONE_LABELS.items()}


def _draft(row: CalendarRow, base: Path, source: str) -> Draft:
    when = f"{row.date} {row.time}" if row.zone is None else f"{row.date} {row.time} {_LABELS[row.zone]}"
    return Draft(text=row.text, accounts=list(row.accounts), when=When("at", when),
                 campaign=row.campaign or None, link=row.link or None,
                 media=[(base / m) for m in row.media], thread="---" in row.text and THREAD_SEPARATOR.search(row.text) is not None,
                 source=f"{source}:{row.line}",
                 max_late=None if row.max_late is None else parse_max_late(row.max_late, "max_late"),
                 as_draft=row.status == "draft")


def import_csv(app: App, path: Path, *, dry_run: bool = False,
               progress: Callable[[int, int], None] | None = None, max_mb: float = MAX_FILE_MB,
               chunk_rows: int = CHUNK_ROWS, strict: bool = False,
               preview: Callable[[PreviewRow], None] | None = None) -> ImportResult:
    """Check every row of the calendar at ``path`` and, when all are good (and not ``dry_run``),
    queue them all (a post to an account that requires approval, or a row whose status says
    draft, as a draft); ``progress`` gets (bytes read, file size). ``strict`` refuses columns
    campaigner does not know and times labelled with another zone than their account's.
    ``preview`` gets each good row as it is checked, until a bad one is found (nothing is kept:
    a dry run of any size takes little memory)."""
    with _open(path, max_mb) as source:
        reader = CalendarReader(source, strict=strict, number=number)
        if reader.fatal:  # the file or its header line: one problem, not a row's
            raise _file_problem(path, reader.errors[0], reader.fatal)
        if not dry_run:
            imports.clean_abandoned(app, app.now())
        result = _import(app, path, reader, source, dry_run, progress, chunk_rows, strict, preview)
        result.ignored, result.cancelled = reader.ignored, reader.tally["cancelled"]
        return result


class _Capped(io.RawIOBase):
    """A file read through a size cap: reading past ``limit`` bytes is an error (``/dev/zero``
    or a multi-gigabyte file is never read whole). ``done`` counts the bytes read."""

    def __init__(self, f: IO[bytes], path: Path, max_mb: float):
        self.f, self.path, self.max_mb = f, path, max_mb
        self.limit = int(max_mb * 1_000_000)
        self.done = 0
        size = os.fstat(f.fileno())
        self.total = size.st_size if stat.S_ISREG(size.st_mode) else 0
        if self.total > self.limit:
            raise self._too_big(_("{n} MB").format(n=decimal(self.total / 1e6, 1)))

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        try:
            data = self.f.read(min(n, self.limit + 1 - self.done) if n >= 0 else self.limit + 1 - self.done)
        except OSError as exc:
            raise InvalidInput(_("cannot read {file}: {reason}").format(file=self.path, reason=exc.strerror or exc),
                               _("check the file")) from None
        self.done += len(data)
        if self.done > self.limit:
            raise self._too_big(_("over {n} MB").format(n=decimal(self.max_mb)))
        return data

    def _too_big(self, size: str) -> InvalidInput:
        return InvalidInput(_("{file} is {size}, more than an import reads ({max} MB)")
                            .format(file=self.path.name, size=size, max=decimal(self.max_mb)),
                            _("split it into smaller files, or give --max-size MB"))

    def close(self) -> None:
        self.f.close()
        super().close()


def _open(path: Path, max_mb: float) -> _Capped:
    try:
        f = path.open("rb")
    except FileNotFoundError:
        raise InvalidInput(_("file {file} does not exist").format(file=path), _("check the path")) from None
    except IsADirectoryError:
        raise InvalidInput(_("{file} is a folder, not a file").format(file=path), _("give the path of a CSV file")) \
            from None
    except OSError as exc:
        raise InvalidInput(_("cannot read {file}: {reason}").format(file=path, reason=exc.strerror),
                           _("check its permissions")) from None
    try:
        return _Capped(f, path, max_mb)
    except BaseException:
        f.close()
        raise


def _file_problem(path: Path, error: RowError, fatal: str) -> InvalidInput:
    """``cal.csv: the file is empty — …`` / ``cal.csv line 1: unknown column … — …`` as one error."""
    where = path.name if fatal == "file" else _("{file} line {line}").format(file=path.name, line=error.line)
    return InvalidInput.from_message(error.message, prefix=f"{where}: ")


class _Problems:
    """The problems found so far: the first ``MAX_LISTED_ERRORS`` kept, the rest counted."""

    def __init__(self) -> None:
        self.listed: list[tuple[int, str]] = []
        self.count = 0

    def add(self, line: int, message: str) -> None:
        self.count += 1
        if len(self.listed) < MAX_LISTED_ERRORS:
            self.listed.append((line, message))

    def take(self, errors: list[RowError]) -> None:
        """Move the reader's errors here (the reader's list is emptied, so it does not grow)."""
        for e in errors:
            self.add(e.line, e.message)
        errors.clear()

    def lines(self) -> list[str]:
        return [_("line {line}: {problem}").format(line=n, problem=m) for n, m in sorted(self.listed)]


def _import(app: App, path: Path, reader: CalendarReader, source: _Capped, dry_run: bool,
            progress: Callable[[int, int], None] | None, chunk_rows: int, strict: bool,
            preview: Callable[[PreviewRow], None] | None) -> ImportResult:
    """Plan each row as it is read; while all are good (and not ``dry_run``) write them a chunk at
    a time, in their own short transactions, and queue them all at the end. The first bad row
    stops the writing (the rest are only checked) and what was written is deleted."""
    now = app.now()
    problems = _Problems()
    base, name = path.parent, path.name
    chunk: list[Plan] = []
    posts = deliveries = drafts = 0
    import_id: int | None = None
    zones: list[OtherZone] = []
    zone_count = 0
    # a read-only session: no write lock is held while rows are checked; the planner's media
    # copies live until their chunk stores them
    with Session(app.engine, expire_on_commit=False) as lookups, \
            Planner(app, lookups, now, keep_times=False) as planner:
        try:
            with gc_paused():  # the collector would rescan each chunk's plans again and again
                for row in reader:
                    if reader.errors:
                        problems.take(reader.errors)
                    try:
                        plan = planner.plan(_draft(row, base, name))
                    except CampaignerError as exc:
                        problems.add(row.line, str(exc))
                        continue
                    if row.zone is not None:
                        others = _other_zones(app, row, plan)
                        if others and strict:
                            o = others[0]
                            problems.add(row.line, _("the time {written} is {local} on {account}, another zone — "
                                                     "write {account}'s own time, or leave the zone out (without "
                                                     "--strict it is read as written)")
                                         .format(written=o.written, local=o.local, account=o.account))
                            continue
                        zone_count += bool(others)
                        if others and len(zones) < MAX_LISTED_ERRORS:
                            zones.append(others[0])
                    posts += 1
                    deliveries += len(plan.deliveries)
                    drafts += plan.needs_approval
                    if preview is not None and not problems.count:
                        preview(_preview(app, row, plan))
                    if progress and source.total and posts % 1000 == 0:
                        progress(source.done, source.total)
                    if problems.count or dry_run:
                        chunk.clear()
                        continue  # only checking from here on
                    chunk.append(plan)
                    if len(chunk) >= chunk_rows:
                        import_id = _write_chunk(app, chunk, now, import_id, name)
                        chunk.clear()
                        lookups.commit()  # ends its read transaction: SQLite's log may be checkpointed
            if reader.fatal:  # e.g. a byte that is not UTF-8 far into the file
                raise _file_problem(path, reader.errors[0], reader.fatal)
            problems.take(reader.errors)
            if progress and source.total:
                progress(source.done, source.total)
            if problems.count:
                if import_id is not None:
                    written, import_id = import_id, None
                    imports.discard(app, written)
                return ImportResult(posts, deliveries, problems.lines(), False, problems.count)
            if not posts:
                if reader.tally["cancelled"]:
                    raise InvalidInput(_("every row of {file} is cancelled (its status), so there is nothing to "
                                         "import").format(file=path),
                                       _("change a row's status to siap/ready or draft, or leave it empty"))
                raise InvalidInput(_("{file} has no rows").format(file=path),
                                   _("add one row per post under the header line"))
            if not dry_run:
                with db.write(app.engine) as s:
                    write_plans(app, s, chunk, now, import_id=import_id)
                    if import_id is not None:
                        imports.finish(s, import_id, now, drafts=drafts > 0)
            return ImportResult(posts, deliveries, [], not dry_run, 0, drafts=drafts, other_zones=zones,
                                other_zone_count=zone_count)
        except BaseException:
            if import_id is not None:
                imports.discard(app, import_id)
            raise


def _other_zones(app: App, row: CalendarRow, plan: Plan) -> list[OtherZone]:
    """The deliveries of ``row`` whose time was labelled with another zone than their account's."""
    out = []
    for d in plan.deliveries:
        if d.written_zone is not None:
            written = format_local(d.due_at, ZoneInfo(d.written_zone))
            out.append(OtherZone(row.line, d.account.name, written,
                                 format_local(d.due_at, app.zone_for(d.account.timezone))))
    return out


#: the words of a post's text a dry run shows
PREVIEW_CHARS = 40


def _preview(app: App, row: CalendarRow, plan: Plan) -> PreviewRow:
    times = [(d.account.name, format_local(d.due_at, app.zone_for(d.account.timezone))) for d in plan.deliveries]
    return PreviewRow(row.line, times, _first_words(row.text, PREVIEW_CHARS), plan.needs_approval)


def _first_words(text: str, width: int) -> str:
    """The start of ``text`` on one line, cut at a word and marked with … when it goes on."""
    one = " ".join(text.split())
    if len(one) <= width:
        return one
    cut = one[:width - 1].rsplit(" ", 1)[0] if " " in one[:width - 1] else one[:width - 1]
    return cut + "…"


def _write_chunk(app: App, chunk: list[Plan], now, import_id: int | None, source: str) -> int:
    """Write ``chunk`` in its own transaction as part of the import ``import_id`` (begun here with
    the first chunk); returns the import's id."""
    with db.write(app.engine) as s:
        if import_id is None:
            import_id = imports.begin(s, source, now)
        else:
            imports.beat(s, import_id, app.now())
        write_plans(app, s, chunk, now, import_id=import_id)
    return import_id


@dataclass(frozen=True)
class Exported:
    rows: int
    #: posts with what the calendar has no column for (per-platform variants, alt texts): exported
    #: without it
    incomplete: int
    #: rows at the second of two equal local times (the hour a clock change repeats): the file
    #: cannot say which, and an import takes the first
    repeated_hour: int = 0


def export_csv(app: App, out: TextIO, *, campaign: str | None = None, dialect: str | None = None,
               mark: bool = True) -> Exported:
    """Write posts that have not been cancelled (or rejected) as calendar rows, drafts with the
    status draft; the header in the configured language, laid out in ``dialect`` (``standard``
    or ``excel-id``; default: excel-id when the language is Indonesian). ``mark``: an excel-id
    text starts with a UTF-8 byte-order mark (a file written elsewhere gets its own).

    Deliveries of one post that share a local date and time are one row; others get their own."""
    lang = app.settings.lang
    chosen = dialect_for(lang, dialect)
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
                if d.status in (S.CANCELLED, S.IMPORTING, S.REJECTED):
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
                                        max_late=limits[(day, hhmm)],
                                        status="draft" if post.approval == Approval.PENDING.value else None))
    if chosen.bom and mark:
        out.write("\ufeff")
    write_calendar(rows, out, dialect=chosen, lang=lang)
    return Exported(len(rows), incomplete, repeated)


def _limit_cell(d: Delivery) -> str | None:
    """The max_late cell for ``d``'s own limit (None: it follows its account's): an --expires time
    becomes the whole minutes from its time (rounded up)."""
    if d.expires_at is not None:
        return format_minutes(max(1, -(-int((d.expires_at - d.due_at).total_seconds()) // 60)))
    return None if d.max_late_minutes is None else format_minutes(d.max_late_minutes)


def export_csv_file(app: App, path: Path, *, campaign: str | None = None, dialect: str | None = None) -> Exported:
    """``export_csv`` to the file ``path``, written whole or not at all (a missing folder or a
    full disk is one clear error, and leaves no partial file), in UTF-8 with a BOM as
    ``write_calendar`` promises a file (Excel then reads the accents and emoji right)."""
    out = io.StringIO(newline="")
    done = export_csv(app, out, campaign=campaign, dialect=dialect, mark=False)
    write_file(path, out.getvalue(), encoding="utf-8-sig")
    return done
