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
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Callable, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from campaigner import db
from campaigner.app import App
from campaigner.errors import CampaignerError, InvalidInput
from campaigner.files import write_file
from campaigner.lateness import format_minutes, parse_max_late
from campaigner.models import Delivery, Post
from campaigner.models import DeliveryStatus as S
from campaigner.services import imports
from campaigner.services.campaigns import get as get_campaign
from campaigner.services.planning import Draft, Plan, Planner, When
from campaigner.services.posts import write_plans
from content.calendar_csv import CalendarReader, CalendarRow, RowError, gc_paused, write_calendar

THREAD_SEPARATOR = re.compile(r"^\s*---\s*$", re.MULTILINE)
#: the largest file an import reads (``post import --max-size``): a calendar of 100,000 posts is
#: about 10 MB
MAX_FILE_MB = 200
#: rows written per transaction: other writers wait for one chunk at most (a fraction of a second;
#: smaller chunks cost more: each commit may checkpoint SQLite's log)
CHUNK_ROWS = 5000
#: bad rows listed at most (the others are counted)
MAX_LISTED_ERRORS = 1000


@dataclass
class ImportResult:
    posts: int
    deliveries: int
    #: the first ``MAX_LISTED_ERRORS`` problems, by line
    errors: list[str]
    written: bool
    #: all problems found (``errors`` lists the first of them)
    error_count: int = 0


def _draft(row: CalendarRow, base: Path, source: str) -> Draft:
    return Draft(text=row.text, accounts=list(row.accounts), when=When("at", f"{row.date} {row.time}"),
                 campaign=row.campaign or None, link=row.link or None,
                 media=[(base / m) for m in row.media], thread="---" in row.text and THREAD_SEPARATOR.search(row.text) is not None,
                 source=f"{source}:{row.line}",
                 max_late=None if row.max_late is None else parse_max_late(row.max_late, "max_late"))


def import_csv(app: App, path: Path, *, dry_run: bool = False,
               progress: Callable[[int, int], None] | None = None, max_mb: float = MAX_FILE_MB,
               chunk_rows: int = CHUNK_ROWS) -> ImportResult:
    """Check every row of the calendar at ``path`` and, when all are good (and not ``dry_run``),
    queue them all; ``progress`` gets (bytes read, file size)."""
    with _open(path, max_mb) as source:
        reader = CalendarReader(source)
        if reader.fatal:  # the file or its header line: one problem, not a row's
            raise _file_problem(path, reader.errors[0], reader.fatal)
        if not dry_run:
            imports.clean_abandoned(app, app.now())
        return _import(app, path, reader, source, dry_run, progress, chunk_rows)


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
            raise self._too_big(f"{self.total / 1e6:,.0f} MB")

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        try:
            data = self.f.read(min(n, self.limit + 1 - self.done) if n >= 0 else self.limit + 1 - self.done)
        except OSError as exc:
            raise InvalidInput(f"cannot read {self.path}: {exc.strerror or exc}", "check the file") from None
        self.done += len(data)
        if self.done > self.limit:
            raise self._too_big(f"over {self.max_mb:g} MB")
        return data

    def _too_big(self, size: str) -> InvalidInput:
        return InvalidInput(f"{self.path.name} is {size}, more than an import reads ({self.max_mb:g} MB)",
                            "split it into smaller files, or give --max-size MB")

    def close(self) -> None:
        self.f.close()
        super().close()


def _open(path: Path, max_mb: float) -> _Capped:
    try:
        f = path.open("rb")
    except FileNotFoundError:
        raise InvalidInput(f"file {path} does not exist", "check the path") from None
    except IsADirectoryError:
        raise InvalidInput(f"{path} is a folder, not a file", "give the path of a CSV file") from None
    except OSError as exc:
        raise InvalidInput(f"cannot read {path}: {exc.strerror}", "check its permissions") from None
    try:
        return _Capped(f, path, max_mb)
    except BaseException:
        f.close()
        raise


def _file_problem(path: Path, error: RowError, fatal: str) -> InvalidInput:
    """``cal.csv: the file is empty — …`` / ``cal.csv line 1: unknown column … — …`` as one error."""
    where = path.name if fatal == "file" else f"{path.name} line {error.line}"
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
        return [f"line {n}: {m}" for n, m in sorted(self.listed)]


def _import(app: App, path: Path, reader: CalendarReader, source: _Capped, dry_run: bool,
            progress: Callable[[int, int], None] | None, chunk_rows: int) -> ImportResult:
    """Plan each row as it is read; while all are good (and not ``dry_run``) write them a chunk at
    a time, in their own short transactions, and queue them all at the end. The first bad row
    stops the writing (the rest are only checked) and what was written is deleted."""
    now = app.now()
    problems = _Problems()
    base, name = path.parent, path.name
    chunk: list[Plan] = []
    posts = deliveries = 0
    import_id: int | None = None
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
                    posts += 1
                    deliveries += len(plan.deliveries)
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
                raise InvalidInput(f"{path} has no rows", "add one row per post under the header line")
            if not dry_run:
                with db.write(app.engine) as s:
                    write_plans(app, s, chunk, now, import_id=import_id)
                    if import_id is not None:
                        imports.finish(s, import_id, now)
            return ImportResult(posts, deliveries, [], not dry_run, 0)
        except BaseException:
            if import_id is not None:
                imports.discard(app, import_id)
            raise


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
                if d.status in (S.CANCELLED, S.IMPORTING):
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
