"""The content-calendar CSV that staff keep in a spreadsheet: read it (with line-numbered errors)
and write it back in the same form.

Why: the communication team plans weeks of posts in Excel, LibreOffice or Google Sheets and
imports them in one go. Spreadsheets differ (``;`` in Indonesian-locale Excel, a BOM, quoted
multi-line text, day-first dates), so reading is forgiving about form and strict about content:
every problem is reported with the line where its record starts, so it can be fixed in the sheet.
Only checks that need no database happen here; core resolves accounts, campaigns and time zones.

Decisions:
- Encoding: UTF-8, with or without BOM. Anything else is one clear error (no guessing).
- Delimiter: ``,``, ``;`` or tab, whichever appears most in the header line (Excel's ``sep=;``
  first line is honoured). Written files use the dialect asked for (``content.csv_cells``:
  ``standard`` ``,``; ``excel-id`` ``;``), with the header in English or Indonesian.
- Headers: case-insensitive, English or Indonesian (see ``ALIASES``). A missing required column
  (date, time, accounts, text) is an error; a column campaigner has no use for (``No``, ``PIC``,
  ``Catatan``…) is ignored and named in ``CalendarReader.ignored`` (with a suggestion when it
  looks like a misspelt name, so a typo like ``kampanya`` is seen), or with ``strict`` is an
  error (a notes column — notes/catatan/keterangan — is still ignored). All of a header's
  problems are one error (``CalendarParse.fatal`` tells a file or header problem from bad rows).
  Columns with an empty header are ignored while they stay empty.
- Dates: as people type them, read by ``content.datetext``, always day first: ``2026-12-07``,
  ``07/12/2026``, ``7-12-2026``, ``21/12/26``, ``8 Des 2026``, ``Senin, 7 Desember 2026`` (the
  weekday must match), English month names. Rows carry the ISO form.
- Times: ``09:00``, ``09.00``, ``9:00:00``, ``7:30 PM``, ``pukul 19.30``, with an optional zone
  label (``WIB``, ``WITA``, ``WIT``, ``UTC``): rows carry ``HH:MM`` (``HH:MM:SS`` only when the
  seconds are not zero) and the zone the label names (core reads the time in it).
- Status: optional; ``siap``/``ready`` (or empty) queues the row, ``draft``/``rancangan`` makes
  it a draft, ``batal``/``cancelled``/``dibatalkan`` skips it unread (counted in ``tally``).
- Accounts: separated by ``,``, ``;``, ``|`` or whitespace inside the cell; duplicates dropped.
- Media: paths separated by ``|`` or new lines (paths may hold spaces and commas).
- Link: optional; when given it must start with ``http://`` or ``https://``.
- Formulas: a written cell that a spreadsheet would run (starting with ``=``, ``+``, ``-``, ``@``…)
  gets a leading ``'``, and reading takes exactly that ``'`` off again (``content.csv_cells``).
- max_late: optional; how late the post may still go out after its time (``30m``, ``6h``,
  ``2d``, ``none``), carried as written: core reads it (with the row's line in its errors). It is
  written only when a row has one, so calendars without it keep their seven columns.
- Rows with any error are left out of ``rows``; blank lines, rows of empty cells and rows with
  only a note are skipped. A NUL character makes a row bad (PostgreSQL cannot store it).
- Size: ``CalendarReader`` reads a stream a record at a time (decoded in 256 KB chunks), so a file
  of any size takes little memory; a line over ``MAX_LINE_CHARS`` ends the reading, so a binary
  file or ``/dev/zero`` is never read whole.
- Speed: 100,000 rows parse in about 2.5× the time of the bare ``csv`` module (date, time and
  account cells are parsed once per distinct value, the usual ISO date and HH:MM time without
  the general reading; the cyclic GC is paused meanwhile).
"""

from __future__ import annotations

import codecs
import contextlib
import csv
import gc
import io
import itertools
import os
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date as _date
from gettext import gettext as _
from gettext import ngettext
from typing import IO, Any, Protocol

from content.csv_cells import DIALECTS, MARK, Dialect, neutralise, restore
from content.numbers import FormatNumber, plain
from content.datetext import DateTextError, read_clock, read_date

FIELDS: tuple[str, ...] = ("date", "time", "accounts", "text", "link", "campaign", "media")
REQUIRED: tuple[str, ...] = ("date", "time", "accounts", "text")
#: Accepted header names for each field (compared case-insensitively).
ALIASES: dict[str, tuple[str, ...]] = {
    "date": ("date", "tanggal", "tgl"),
    "time": ("time", "jam", "waktu", "pukul"),
    "accounts": ("accounts", "account", "akun"),
    "text": ("text", "teks", "isi", "konten", "content"),
    "link": ("link", "tautan", "url"),
    "campaign": ("campaign", "kampanye"),
    "media": ("media", "gambar", "foto", "image", "images"),
    "max_late": ("max_late", "max-late", "max late", "batas_telat", "batas telat"),
    "status": ("status",),
}
#: The header a written file has, per language (``read_calendar`` reads either).
HEADERS: dict[str, dict[str, str]] = {
    "en": {f: f for f in (*FIELDS, "max_late", "status")},
    "id": {"date": "tanggal", "time": "jam", "accounts": "akun", "text": "teks", "link": "tautan",
           "campaign": "kampanye", "media": "media", "max_late": "batas_telat", "status": "status"},
}
#: Columns accepted and ignored (also with ``strict``): staff keep notes beside their posts.
IGNORED: tuple[str, ...] = ("notes", "note", "catatan", "keterangan")
#: A row's status cell (any case) → what becomes of it: "ready" (queued as usual), "draft" (waits
#: for approval) or "cancelled" (skipped, counted); an empty cell is ready.
STATUSES: dict[str, str] = {
    **dict.fromkeys(("siap", "ready", "ok", "disetujui", "approved"), "ready"),
    **dict.fromkeys(("draft", "draf", "rancangan"), "draft"),
    **dict.fromkeys(("batal", "dibatalkan", "cancelled", "canceled", "cancel"), "cancelled"),
}
#: The status cell written for a draft, per language.
DRAFT_WORD = {"en": "draft", "id": "draf"}
#: More header names staff sheets use, accepted but not listed in messages (they hold "/" and ",").
MORE_ALIASES: dict[str, str] = {"hari/tanggal": "date", "hari, tanggal": "date", "hari tanggal": "date",
                                "isi konten": "text", "caption": "text"}
_HEADER_LOOKUP = {**{name: fld for fld, names in ALIASES.items() for name in names}, **MORE_ALIASES}
_ACCEPTED = ", ".join("/".join(names) for names in ALIASES.values())

_BOM = b"\xef\xbb\xbf"
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_TIME = re.compile(r"(\d{1,2})[:.](\d{2})(?:[:.](\d{2}))?")
#: marks a cached date cell that could not be read (the rest is its error message)
_BAD = "!"
_ACCOUNT_SPLIT = re.compile(r"[\s,;|]+")
_MEDIA_SPLIT = re.compile(r"[|\r\n]+")
_WEB_LINK = re.compile(r"https?://\S+", re.IGNORECASE)
_ODD_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")
_CHUNK = 1 << 18  # bytes read at a time
#: a physical line longer than this is no calendar row (``csv`` refuses a cell over 131,072
#: characters): reading stops there, so a binary file or ``/dev/zero`` is never read whole
MAX_LINE_CHARS = 1_000_000
#: cached parsed cells (dates, times, account lists): cleared when this many, so a file of
#: distinct values cannot grow them without bound
_CACHE_MAX = 10_000


@dataclass(slots=True)
class CalendarRow:
    """One planned post: ``date`` (ISO ``YYYY-MM-DD``) and ``time`` (``HH:MM``) as written in the
    sheet's local terms, target ``accounts`` by name, ``text``, optional ``link``/``campaign`` and
    ``media`` paths. ``line`` is the physical line where the record starts (0 when not read from a
    file); it is not part of equality, so a written-then-read row equals the original."""

    date: str
    time: str
    accounts: list[str]
    text: str
    link: str | None = None
    campaign: str | None = None
    media: list[str] = field(default_factory=list)
    line: int = field(default=0, compare=False)
    max_late: str | None = None
    #: "draft": it waits for a person's approval (None: ready)
    status: str | None = None
    #: the zone a label after the time named (``09.00 WITA`` → Asia/Makassar); None: the account's
    zone: str | None = None


@dataclass(frozen=True, slots=True)
class RowError:
    """A problem found at ``line`` (1-based physical line where the record starts)."""

    line: int
    message: str

    def __str__(self) -> str:
        return _("line {line}: {problem}").format(line=self.line, problem=self.message)


@dataclass(slots=True)
class CalendarParse:
    """The result of ``read_calendar``: the good ``rows`` and the ``errors`` (empty when all is well).

    ``fatal`` is ``"file"`` (empty, not UTF-8) or ``"header"`` (the header line) when no row could
    be read at all: then ``errors`` holds that one problem, and it is not about any row."""

    rows: list[CalendarRow]
    errors: list[RowError]
    fatal: str | None = None
    #: the header's columns that were ignored (see ``CalendarReader.ignored``)
    ignored: list[str] = field(default_factory=list)
    #: rows skipped because their status says cancelled
    cancelled: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def read_calendar(data: bytes, *, strict: bool = False, number: FormatNumber = plain) -> CalendarParse:
    """Parse calendar CSV bytes into rows and line-numbered errors (see the module docstring)."""
    if isinstance(data, str):
        raise TypeError("read_calendar takes the file's bytes — open the file in binary mode ('rb')")
    reader = CalendarReader(io.BytesIO(data), strict=strict, number=number)
    with gc_paused():
        rows = list(reader)
    return CalendarParse([] if reader.fatal else rows, reader.errors, reader.fatal, reader.ignored,
                         reader.tally["cancelled"])


class Readable(Protocol):
    """What ``CalendarReader`` reads from: any binary stream."""

    def read(self, size: int = -1, /) -> bytes: ...


class CalendarReader:
    """A calendar read from a binary stream one record at a time, so a file of any size takes
    little memory: iterating yields the good rows, while ``errors`` collects the bad ones.

    The header is read when the reader is made: when the file or its header cannot be used,
    ``fatal`` says so (``"file"`` or ``"header"``), ``errors`` holds that one problem and there
    are no rows. A problem with the whole file found later (a byte that is not UTF-8, a line
    longer than ``MAX_LINE_CHARS``) ends the rows early, sets ``fatal`` and replaces ``errors``.

    Columns the calendar has no use for (``No``, ``PIC``, ``Catatan``…) are ignored and named in
    ``ignored`` (with a suggestion when one looks like a misspelt column name); with ``strict``
    an unknown column is a header error instead (a notes column is still ignored). ``tally``
    counts the rows skipped as cancelled by their status cell. ``number`` writes the numbers of
    its messages (the caller's language: ``campaigner.i18n.number``).
    """

    def __init__(self, stream: Readable, *, strict: bool = False, number: FormatNumber = plain):
        self.number = number
        self.errors: list[RowError] = []
        self.fatal: str | None = None
        self.strict = strict
        self.ignored: list[str] = []
        self.tally: dict[str, int] = {"cancelled": 0}
        self._nul = False  # a NUL character seen: rows are checked for one
        self._rows: Iterator[CalendarRow] = iter(())
        try:
            self._open(stream)
        except _FileProblem as problem:
            self._stop(problem)

    def __iter__(self) -> Iterator[CalendarRow]:
        try:
            yield from self._rows
        except _FileProblem as problem:
            self._stop(problem)

    def _stop(self, problem: _FileProblem) -> None:
        self.errors, self.fatal, self._rows = [RowError(problem.line, problem.message)], problem.fatal, iter(())

    def _open(self, stream: Readable) -> None:
        head = stream.read(_CHUNK)
        if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
            raise _FileProblem(1, _("the file is UTF-16, not UTF-8 — save it as \"CSV UTF-8\" "
                                    "(Excel: Save As → CSV UTF-8 (Comma delimited))"))
        if head.startswith(_BOM):
            head = head[3:]
        lines = self._lines(stream, head)
        peeked: list[str] = []
        for line in lines:  # blank lines before the header: is there anything at all?
            peeked.append(line)
            if line.strip() or len(peeked) > 1000:
                break
        if not any(line.strip() for line in peeked):
            raise _FileProblem(1, _("the file is empty — the first line must be the header, e.g. {example}")
                               .format(example=",".join(FIELDS)))
        first_line = peeked[0].rstrip("\r\n")
        header_line = 1
        if first_line.lower().startswith("sep=") and len(first_line) == 5:  # Excel's delimiter hint
            delimiter = first_line[4]
            peeked.pop(0)
            header_line = 2
        else:
            counts = {d: first_line.count(d) for d in (",", ";", "\t")}
            delimiter = max(counts, key=lambda d: counts[d]) if any(counts.values()) else ","
        reader = csv.reader(itertools.chain(peeked, lines), delimiter=delimiter, strict=True)
        try:
            header = next(reader)
        except StopIteration:  # nothing after a "sep=" line
            raise _FileProblem(header_line, _("there is no header line after the 'sep=' line — the next line must "
                                              "name the columns, e.g. {example}").format(example=",".join(FIELDS)),
                               "header") from None
        except csv.Error as exc:
            raise _FileProblem(header_line, _("cannot read the header line: {problem} — check the double quotes in it")
                               .format(problem=exc), "header") from None
        if self._nul and any("\x00" in cell for cell in header):
            raise _FileProblem(header_line, _("the header line holds a NUL character (byte 0x00), so this is not a "
                                              "text file — save the sheet as \"CSV UTF-8\""), "header")
        columns, header_error, self.ignored = _map_header(header, header_line, delimiter, self.strict)
        if header_error:
            raise _FileProblem(header_error.line, header_error.message, "header")
        self._rows = _read_rows(reader, columns, len(header), header_line, delimiter, self.errors,
                                lambda: self._nul, self.tally)

    def _lines(self, stream: Readable, head: bytes) -> Iterator[str]:
        """The stream's text, line by line with the line ends kept (``\\n``, ``\\r\\n`` or ``\\r``,
        as ``csv`` wants them), decoded strictly as UTF-8 a chunk at a time."""
        decoder = codecs.getincrementaldecoder("utf-8")()
        newlines = 0  # line feeds in the chunks before this one
        done = 0  # lines yielded
        carry = ""  # the start of a line that goes on in the next chunk
        chunk = head
        while True:
            final = not chunk
            pending = decoder.getstate()[0]
            try:
                text = carry + decoder.decode(chunk, final)
            except UnicodeDecodeError as exc:
                data = pending + chunk
                line = newlines + data.count(b"\n", 0, exc.start) + 1
                raise _FileProblem(line, _("the file is not UTF-8 (byte 0x{byte} on line {line}) — save it as "
                                           "\"CSV UTF-8\" (Excel: Save As → CSV UTF-8; LibreOffice: character set "
                                           "Unicode (UTF-8))").format(byte=f"{data[exc.start]:02X}", line=line)) \
                    from None
            newlines += chunk.count(b"\n")
            if not self._nul and "\x00" in text:
                self._nul = True
            # str.splitlines is much faster than reading a StringIO line by line, but it also breaks
            # at rare separators (U+2028, form feed, …) that are not line ends in a CSV file.
            lines = list(io.StringIO(text, newline="")) if _ODD_BREAKS.search(text) else text.splitlines(True)
            carry = ""
            if lines and not final and (lines[-1][-1] not in "\r\n" or lines[-1][-1] == "\r"):
                carry = lines.pop()  # unfinished, or a CR whose LF may start the next chunk
                if len(carry) > MAX_LINE_CHARS:
                    long = (_("line {line} is longer than {n} characters and holds NUL characters (byte 0x00), so "
                              "this is not a calendar CSV file — save the sheet as \"CSV UTF-8\"") if "\x00" in carry
                            else _("line {line} is longer than {n} characters, so this is not a calendar CSV file — "
                                   "save the sheet as \"CSV UTF-8\""))
                    raise _FileProblem(done + len(lines) + 1,
                                       long.format(line=done + len(lines) + 1, n=self.number(MAX_LINE_CHARS)))
            done += len(lines)
            yield from lines
            if final:
                return
            chunk = stream.read(_CHUNK)


class _FileProblem(Exception):
    """The file (or its header) cannot be read at all: one problem at ``line``."""

    def __init__(self, line: int, message: str, fatal: str = "file"):
        super().__init__(message)
        self.line, self.message, self.fatal = line, message, fatal


@contextlib.contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a big calendar is read or planned: it would rescan
    the growing list of rows again and again (tripling the time for 100,000 rows), and nothing
    there makes cycles."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def write_calendar(rows: Iterable[CalendarRow], stream_or_path: str | os.PathLike[str] | IO, *,
                   dialect: Dialect = DIALECTS["standard"], lang: str = "en") -> None:
    """Write ``rows`` as calendar CSV in UTF-8: the header's names in ``lang`` ("en" or "id"),
    laid out in ``dialect`` (``standard``: ``,``; ``excel-id``: ``;``, for Indonesian Excel).

    A path or binary stream gets UTF-8 with a BOM (so Excel shows Indonesian accents and emoji
    right); a text stream gets the text as is. ``read_calendar`` reads the result back to equal rows.
    """
    if isinstance(stream_or_path, (str, os.PathLike)):
        with open(stream_or_path, "w", encoding="utf-8-sig", newline="") as f:
            _write(rows, f, dialect, lang)
    elif isinstance(stream_or_path, (io.RawIOBase, io.BufferedIOBase)) \
            or "b" in str(getattr(stream_or_path, "mode", "")):
        wrapper = io.TextIOWrapper(stream_or_path, encoding="utf-8-sig", newline="")
        try:
            _write(rows, wrapper, dialect, lang)
        finally:
            wrapper.flush()
            wrapper.detach()
    else:
        _write(rows, stream_or_path, dialect, lang)


# --- reading ----------------------------------------------------------------------------------

def _map_header(header: list[str], line: int, delimiter: str,
                strict: bool = False) -> tuple[dict[str, int], RowError | None, list[str]]:
    """Field → column index (ignored columns get "-ignoredN" keys), the header's problems as one
    error (None when it is fine), and the ignored columns as shown to the user. An unknown column
    is ignored, or with ``strict`` one of the problems."""
    columns: dict[str, int] = {}
    ignored: list[int] = []
    shown: list[str] = []
    unknown: list[str] = []
    unknown_at: list[int] = []
    doubled: list[str] = []
    for index, raw in enumerate(header):
        name = " ".join(raw.replace("\ufeff", "").split()).casefold()
        if not name:
            continue
        fld = _HEADER_LOOKUP.get(name)
        if name in IGNORED:
            ignored.append(index)
            shown.append(f"'{raw.strip()}'")
        elif fld is None:
            unknown.append(f"'{raw.strip()}'{_suggest(name)}")
            unknown_at.append(index)
        elif fld in columns:
            first = header[columns[fld]].strip()
            doubled.append(_("columns '{first}' and '{second}' are both the {field} column")
                           .format(first=first, second=raw.strip(), field=fld))
        else:
            columns[fld] = index
    missing = [fld for fld in REQUIRED if fld not in columns]
    if strict:  # a notes column is ignored without a word; any other unknown one is a problem
        shown = []
    elif not (missing or doubled):  # an unknown column is only noted
        ignored += unknown_at
        shown = [f"'{header[i].strip()}'" + (_suggest(" ".join(header[i].split()).casefold())
                                            if i in unknown_at else "") for i in sorted(ignored)]
        unknown = []
    for n, index in enumerate(ignored):
        columns[f"-ignored{n}"] = index
    if not (missing or unknown or doubled):
        return columns, None, shown
    data = [f"'{c.strip()}'" for c in header if not _parse_date(c.strip()).startswith(_BAD)
            or _parse_time(c.strip())[0] is not None]
    if data:  # no header at all: the first line is already a post
        example = (";" if delimiter == ";" else ",").join(FIELDS)
        return columns, RowError(line, _("this line holds data ({data}), not column names — add a line naming the "
                                         "columns above it, e.g. {example}; accepted names: {accepted}")
                                 .format(data=", ".join(data), example=example, accepted=_ACCEPTED)), []
    problems = []
    if missing:
        problems.append(ngettext("missing column {columns} in the header", "missing columns {columns} in the header",
                                 len(missing)).format(columns=", ".join(missing)))
    if unknown:
        problems.append(ngettext("unknown column {columns}", "unknown columns {columns}", len(unknown))
                        .format(columns=", ".join(unknown)))
    problems += doubled
    if not (missing or unknown):
        fix = _("keep one")
    elif doubled:
        fix = _("accepted names: {accepted}; keep one of each doubled column").format(accepted=_ACCEPTED)
    else:
        fix = _("accepted names: {accepted}").format(accepted=_ACCEPTED)
    return columns, RowError(line, f"{'; '.join(problems)} — {fix}"), []


def _suggest(name: str) -> str:
    import difflib

    close = difflib.get_close_matches(name, list(_HEADER_LOOKUP), n=1, cutoff=0.8)
    return " " + _("(did you mean '{name}'?)").format(name=close[0]) if close else ""


def _read_rows(reader: Any, columns: dict[str, int], width: int, header_line: int, delimiter: str,
               errors: list[RowError], nul_seen: Callable[[], bool],
               tally: dict[str, int]) -> Iterator[CalendarRow]:
    """The row loop, kept flat and cached because it runs 100,000 times for a big sheet.
    ``nul_seen`` says whether the text read so far holds a NUL character (then every row is
    checked for one: PostgreSQL cannot store it, and no sheet writes it); ``tally["cancelled"]``
    counts the rows skipped for their status."""
    di, ti, ai, xi = (columns[f] for f in REQUIRED)
    li, ci, mi = columns.get("link", -1), columns.get("campaign", -1), columns.get("media", -1)
    ki, si = columns.get("max_late", -1), columns.get("status", -1)
    used = set(columns.values())
    unnamed = [i for i in range(width) if i not in used]  # columns with an empty header
    simple = not unnamed
    optional = [i for i in (li, ci, mi, ki, si) if i >= 0]
    date_cache: dict[str, str] = {}
    time_cache: dict[str, tuple[str | None, str | None]] = {}
    account_cache: dict[str, tuple[str, ...]] = {}
    web_link = _WEB_LINK.fullmatch
    split_accounts, split_media = _ACCOUNT_SPLIT.split, _MEDIA_SPLIT.split
    offset = header_line - 1  # lines dropped before the reader (a "sep=" line)
    last = offset + reader.line_num  # physical line where the previous record ended
    while True:
        try:
            for record in reader:
                start = last + 1
                last = offset + reader.line_num
                n = len(record)
                if n == width and simple:
                    d, t = record[di].strip(), record[ti].strip()
                    a, x = record[ai].strip(), record[xi].strip()
                else:
                    if not any(record):
                        continue
                    problem = _shape_problem(record, width, unnamed, delimiter)
                    if problem:
                        errors.append(RowError(start, problem))
                        continue
                    d = record[di].strip() if di < n else ""
                    t = record[ti].strip() if ti < n else ""
                    a = record[ai].strip() if ai < n else ""
                    x = record[xi].strip() if xi < n else ""
                if nul_seen() and any("\x00" in cell for cell in record):
                    errors.append(RowError(start, _("a NUL character (byte 0x00) in this row, which is not text — "
                                                    "delete it in the sheet and save it as \"CSV UTF-8\" again")))
                    continue
                status = None
                if 0 <= si < n:
                    cell = record[si].strip()
                    if cell:
                        status = STATUSES.get(restore(cell).casefold())
                        if status is None:
                            errors.append(RowError(start, _("unknown status '{cell}' — use draft/rancangan, "
                                                            "siap/ready or batal/cancelled (empty: ready)")
                                                   .format(cell=cell)))
                            continue
                        if status == "cancelled":  # skipped unread: a cancelled row need not be right
                            tally["cancelled"] += 1
                            continue
                        status = None if status == "ready" else status
                if not (d and t and a and x):
                    if d or t or a or x or any(record[i].strip() for i in optional if i < n):
                        missing = [f for f, v in zip(REQUIRED, (d, t, a, x)) if not v]
                        errors.append(RowError(
                            start, ngettext("empty {fields} cell — every row needs date, time, accounts and text",
                                            "empty {fields} cells — every row needs date, time, accounts and text",
                                            len(missing)).format(fields=_and(missing))))
                    continue  # else a row of empty cells (or only notes): skipped like a blank line
                iso = date_cache.get(d)
                if iso is None:
                    if len(date_cache) >= _CACHE_MAX:
                        date_cache.clear()
                    iso = date_cache[d] = _parse_date(d)
                clock = time_cache.get(t)
                if clock is None:
                    if len(time_cache) >= _CACHE_MAX:
                        time_cache.clear()
                    clock = time_cache[t] = _parse_time(t)
                hhmm, zone = clock
                link = record[li].strip() if 0 <= li < n else ""
                if link[:1] == MARK:
                    link = restore(link)
                if iso[0] == _BAD or hhmm is None or (link and not web_link(link)):
                    errors.extend(_value_problems(start, d, iso, t, clock, link))
                    continue
                accounts = account_cache.get(a)
                if accounts is None:
                    if len(account_cache) >= _CACHE_MAX:
                        account_cache.clear()
                    accounts = account_cache[a] = tuple(dict.fromkeys(
                        p for p in split_accounts(restore(a)) if p))
                if "\r" in x:
                    x = x.replace("\r\n", "\n").replace("\r", "\n")
                if x[0] == MARK:  # undo what ``write_calendar`` did to a formula-like cell
                    x = restore(x)
                campaign = record[ci].strip() if 0 <= ci < n else ""
                media_cell = record[mi].strip() if 0 <= mi < n else ""
                if campaign[:1] == MARK:
                    campaign = restore(campaign)
                if media_cell[:1] == MARK:
                    media_cell = restore(media_cell)
                media = [p.strip() for p in split_media(media_cell) if p.strip()] if media_cell else []
                late = record[ki].strip() if 0 <= ki < n else ""
                if late[:1] == MARK:
                    late = restore(late)
                yield CalendarRow(iso, hhmm, list(accounts), x, link or None, campaign or None, media, start,
                                  late or None, status, zone)
            return
        except csv.Error as exc:  # a malformed record: report it and go on with the next one
            start = last + 1
            last = offset + reader.line_num
            errors.append(RowError(start, _("cannot read this record: {problem} — check the double quotes around the "
                                            "text").format(problem=exc)))


def _shape_problem(record: list[str], width: int, unnamed: list[int], delimiter: str) -> str:
    """Why a record that does not match the header cannot be used ('' when it can)."""
    n = len(record)
    if n > width and any(c.strip() for c in record[width:]):
        return _("this row has {n} cells but the header has {width} columns — put text that contains "
                 "'{delimiter}' in double quotes").format(n=n, width=width, delimiter=delimiter)
    filled = [i for i in unnamed if i < n and record[i].strip()]
    if filled:
        return _("a value in column {column}, which has no header — add a header name or clear the column") \
            .format(column=filled[0] + 1)
    return ""


def _value_problems(start: int, d: str, iso: str, t: str, clock: tuple[str | None, str | None],
                    link: str) -> list[RowError]:
    problems = []
    if iso[0] == _BAD:
        problems.append(RowError(start, iso[1:]))
    if clock[0] is None:
        problems.append(RowError(start, clock[1] or ""))
    if link and not _WEB_LINK.fullmatch(link):
        problems.append(RowError(start, _("link '{link}' must start with http:// or https:// (and hold no spaces)")
                                 .format(link=link)))
    return problems


def _parse_date(raw: str) -> str:
    """ISO ``YYYY-MM-DD`` for a valid date in an accepted form (``content.datetext``), else
    ``_BAD`` and the whole message ("bad date '…': …")."""
    m = _ISO_DATE.fullmatch(raw)
    if m:  # the usual form, without the general reading
        try:
            return _date(int(m.group(1)), int(m.group(2)), int(m.group(3))).isoformat()
        except ValueError:
            pass
    try:
        return read_date(raw).isoformat()
    except DateTextError as exc:
        said = (_("bad date '{cell}': {problem} — {fix}") if exc.problem else _("bad date '{cell}' — {fix}"))
        return _BAD + said.format(cell=raw, problem=exc.problem, fix=exc.fix)


def _parse_time(raw: str) -> tuple[str | None, str | None]:
    """(``HH:MM``, or ``HH:MM:SS`` when seconds are not zero; the zone its label names or None)
    for a valid time (``content.datetext``), else (None, the whole message: "bad time '…': …")."""
    m = _TIME.fullmatch(raw)
    if m:  # the usual form, without the general reading
        h, mi, sec = int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)
        if h <= 23 and mi <= 59 and sec <= 59:
            return (f"{h:02d}:{mi:02d}:{sec:02d}" if sec else f"{h:02d}:{mi:02d}"), None
    try:
        clock = read_clock(raw)
    except DateTextError as exc:
        said = (_("bad time '{cell}': {problem} — {fix}") if exc.problem else _("bad time '{cell}' — {fix}"))
        return None, said.format(cell=raw, problem=exc.problem, fix=exc.fix)
    at = clock.at
    return (f"{at:%H:%M:%S}" if at.second else f"{at:%H:%M}"), clock.zone


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else _("{list} and {last}").format(list=", ".join(items[:-1]), last=items[-1])


# --- writing ----------------------------------------------------------------------------------

def _write(rows: Iterable[CalendarRow], f: IO[str], dialect: Dialect, lang: str) -> None:
    rows = list(rows)
    late = any(r.max_late for r in rows)  # the max_late column only when a row has one
    drafts = any(r.status == "draft" for r in rows)  # the status column only when a row is a draft
    names = HEADERS[lang]
    draft_word = DRAFT_WORD[lang]
    writer = csv.writer(f, delimiter=dialect.delimiter, lineterminator=dialect.lineterminator)
    writer.writerow([names[c] for c in FIELDS] + [names["max_late"]] * late + [names["status"]] * drafts)
    writer.writerows(
        (r.date, r.time, neutralise(" ".join(r.accounts)), neutralise(r.text), neutralise(r.link or ""),
         neutralise(r.campaign or ""), neutralise("|".join(r.media)), *((neutralise(r.max_late or ""),) * late),
         *((draft_word if r.status == "draft" else "",) * drafts))
        for r in rows
    )
