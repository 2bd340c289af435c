"""The weekly report as CSV: one row per delivery (one post on one account) published or failed
in the week, for a spreadsheet.

UTF-8 with a header row, in one of two dialects (``content.csv_cells``): ``standard`` — comma
separated, ``.`` decimals, ``\\n`` line ends, no byte-order mark, the English column names below
(scripts can rely on them) — or ``excel-id``, what Excel set to Indonesian opens directly — ``;``
separated, ``,`` decimals, CRLF, a byte-order mark. The column names are in the report's
language (``--lang id``: ``ID_NAMES``), and the dialect follows it unless ``--dialect`` says
otherwise. An empty cell means "unknown" — the platform does not give that figure, or there is
no snapshot yet — and is never a 0.

========================  ==========================================================================
column                    meaning
========================  ==========================================================================
delivery_id               the delivery's id (``campaigner post show POST_ID`` shows it)
post_id                   the post's id
status                    ``published``, ``deleted`` (published, then taken down before the week
                          ended) or ``failed``
campaign                  the campaign's slug, empty for none
account                   account name
platform                  the account's platform, as `campaigner account add` names it (``x``, ``mastodon``…)
due_local                 its time, local time of the report's zone (``YYYY-MM-DD HH:MM``): the
                          moment it was queued for, before any daily cap or spacing deferral
published_local           when it went out, local time (empty when failed)
published_utc             when it went out, ISO 8601 UTC (``…Z``)
late_minutes              how many whole minutes after its time it went out (empty when failed)
failed_utc                when it failed, ISO 8601 UTC (empty when published)
url                       the post's address on the platform
likes … shares            likes, reposts, replies, quotes, impressions, bookmarks, clicks, reach,
                          shares from the latest snapshot collected before the week ended
named_metrics             the same figures in the platform's own words, only those it gives, e.g.
                          Instagram ``views 1234; reach 800; likes 50; comments 9; saves not
                          known; shares 5`` (its impressions are views, its bookmarks saves, its
                          replies comments)
interactions              likes + reposts + replies + quotes (the known ones)
engagement_rate           interactions ÷ impressions as a fraction (``0.0345``), when both known
snapshot_utc              when that snapshot was collected (empty: not measured yet)
gone                      ``yes`` when the platform no longer has the post (and campaigner did not
                          delete it), else empty
hashtags                  the tags in the text that went out, space separated
text                      the first part's text as it went out, on one line
error                     why it failed (failed rows only)
replies_question …        replies by others written in the week to it, by kind: replies_question,
                          replies_support, replies_oppose, replies_other (empty: none)
========================  ==========================================================================

A cell that starts with ``=``, ``+``, ``-`` or ``@`` (a ``text`` replying to ``@someone``, an
``error`` or ``url`` from a platform) gets a leading ``'`` so a spreadsheet shows it as text instead
of running it as a formula: the rule of every CSV campaigner writes (``content.csv_cells``).

The share of voice goes in a second CSV (``share_of_voice``, in the same dialect and language),
written beside the first as ``…-share-of-voice.csv`` when the week has any: one row per campaign,
platform, source and tag —

========================  ==========================================================================
campaign                  the campaign's slug
platform, source          where it was counted (a Mastodon instance's host, Bluesky's service, X's)
day_zone                  the zone of the days: the report's, or ``UTC`` (Mastodon's tag history)
days                      how many of the week's days every tag of the campaign was counted there
tag, role                 the tag (``#TolakTapera``), ``campaign`` or ``comparison``
posts                     public posts with the tag on those days, our own left out
at_least                  ``yes`` when that is a lower bound (a search cut short, a day not over)
share                     the campaign tags' share on that platform (same on each of its rows),
                          as a fraction; empty without comparison tags
========================  ==========================================================================
"""
from __future__ import annotations

import csv
import io
from datetime import datetime, timezone
from itertools import chain, repeat
from typing import Iterator, Sequence
from zoneinfo import ZoneInfo

from campaigner.report_render.columns import each, local_column, utc_column
from campaigner.report_render.common import Memo, named_metrics
from campaigner.report_render.i18n import Lang
from campaigner.services.report import METRICS, DeliveryLines, WeeklyReport, no_cycle_collection
from campaigner.services.report_inbox import KINDS
from content.csv_cells import FORMULA_START, MARK, Dialect, dialect_for, neutralise

#: added to a weekly CSV's name for its share-of-voice companion
SHARE_OF_VOICE_SUFFIX = "-share-of-voice"
SHARE_OF_VOICE_COLUMNS = ("campaign", "platform", "source", "day_zone", "days", "tag", "role", "posts", "at_least",
                          "share")

COLUMNS = ("delivery_id", "post_id", "status", "campaign", "account", "platform", "due_local", "published_local",
           "published_utc", "late_minutes", "failed_utc", "url", *METRICS, "interactions", "engagement_rate", "snapshot_utc",
           "gone", "hashtags", "text", "error", "named_metrics", *(f"replies_{k}" for k in KINDS))
#: the column names in Bahasa Indonesia (``--lang id``)
ID_NAMES = {
    "delivery_id": "id_pengiriman", "post_id": "id_unggahan", "status": "status", "campaign": "kampanye",
    "account": "akun", "platform": "platform", "due_local": "jadwal_lokal", "published_local": "terbit_lokal",
    "published_utc": "terbit_utc", "late_minutes": "telat_menit", "failed_utc": "gagal_utc", "url": "url",
    "likes": "suka", "reposts": "repost", "replies": "balasan", "quotes": "kutipan", "impressions": "tayangan",
    "bookmarks": "markah", "clicks": "klik", "reach": "jangkauan", "shares": "dibagikan",
    "interactions": "interaksi", "engagement_rate": "tingkat_interaksi", "snapshot_utc": "snapshot_utc",
    "gone": "hilang", "hashtags": "tagar", "text": "teks", "error": "galat",
    "named_metrics": "metrik_platform", "replies_question": "balasan_pertanyaan", "replies_support": "balasan_dukungan",
    "replies_oppose": "balasan_penolakan", "replies_other": "balasan_lainnya",
    # the share of voice's
    "source": "sumber", "day_zone": "zona_hari", "days": "hari", "tag": "tagar", "role": "peran",
    "posts": "unggahan", "at_least": "paling_sedikit", "share": "pangsa",
}
#: the words in cells (status, gone, named_metrics, a share-of-voice role) in Bahasa Indonesia
ID_WORDS = {"published": "terbit", "failed": "gagal", "deleted": "dihapus", "yes": "ya",
            "not known": "tidak diketahui", "campaign": "kampanye", "comparison": "pembanding"}


def _utc(when: datetime | None) -> str:
    return "" if when is None else when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _local(when: datetime | None, zone: ZoneInfo) -> str:
    return "" if when is None else when.astimezone(zone).strftime("%Y-%m-%d %H:%M")


def _n(v) -> str:
    return "" if v is None else str(v)


def _cell(text: str | None) -> str:
    return " ".join((text or "").split())


def _named(platform: str, values, unknown: str) -> str:
    return "; ".join(f"{name} {unknown if v is None else v}" for name, v in named_metrics(platform, values))


def _writer(buf: io.StringIO, t: Lang, dialect: Dialect, columns: tuple[str, ...]):
    """A CSV writer on ``buf`` in ``dialect`` (a BOM first when it has one), the header written in
    ``t``'s language."""
    if dialect.bom:
        buf.write("\ufeff")
    w = csv.writer(buf, delimiter=dialect.delimiter,
                   lineterminator="\n" if dialect.name == "standard" else dialect.lineterminator)
    w.writerow([ID_NAMES[c] for c in columns] if t.code == "id" else columns)
    return w


def _iso_utc(when: datetime) -> str:
    """``_utc`` without strftime: the same text, for the years 1000–9999 (``%Y`` pads no further)."""
    u = when if when.tzinfo is timezone.utc else when.astimezone(timezone.utc)
    return u.isoformat("T", "seconds")[:19] + "Z" if u.year >= 1000 else _utc(u)


#: the types of figures that can share one memo entry (True == 1.0 == 1, and str() tells them apart)
_NUMBERS: frozenset[type] = frozenset((int, type(None)))
_TEXTS: frozenset[type] = frozenset((str, type(None)))
#: what a cell ``neutralise`` changes starts with
_MARKED = tuple(FORMULA_START | {MARK})


def _neutral(cells: list[str]) -> list[str]:
    """``neutralise`` over a column of cells (in C when none of them starts with a mark)."""
    return list(map(neutralise, cells)) if any(map(str.startswith, cells, repeat(_MARKED))) else cells


def columns(report: WeeklyReport, t: Lang, dialect: Dialect) -> list[Sequence[str]]:
    """The delivery rows' cells (no header), column by column (``COLUMNS``), each cell as written:
    ``neutralise``d (the url, the texts and the rest come from outside too), each distinct value
    formatted once and the times through per-hour and per-minute tables (``columns``) — the same
    cells as formatting each one, in a fraction of the time."""
    zone = ZoneInfo(report.timezone)
    words = ID_WORDS if t.code == "id" else {}
    by_delivery = report.inbox.by_delivery if report.inbox else {}
    unknown = words.get("not known", "not known")
    lines = DeliveryLines.of(report.deliveries)  # (the report's own are columns already)
    num = Memo(lambda v: "" if v is None else neutralise(str(v)))

    col = lines.columns.__getitem__

    def nums(values: list) -> list[str]:
        return list(map(num.__getitem__, values)) if set(map(type, values)) <= _NUMBERS else [
            "" if v is None else neutralise(str(v)) for v in values]

    def word(v) -> str:
        return neutralise(v or "")

    def one_line(v) -> str:
        return neutralise(_cell(v))

    hours: dict = {}
    minutes: dict = {}
    local_hours: dict = {}

    def utc(values: list) -> list[str]:
        return _neutral(utc_column(values, _utc, hours, none="", end="Z", min_year=1000))

    def local(v) -> str:
        return _local_cell(v, zone)

    def figures(key: tuple) -> tuple[str, ...]:
        """The metric cells and the named_metrics cell of a platform's delivery with these values
        (``METRICS``' order)."""
        platform, figures = key
        return (*(neutralise(_n(v)) for v in figures), neutralise(_named(platform, dict(zip(METRICS, figures)),
                                                                         unknown)))

    ids, platforms = col("delivery_id"), col("platform")
    published = col("published_at")
    figures_of = Memo(figures)
    by_delivery_figures = lines.figures
    keys = list(zip(platforms, by_delivery_figures))
    cells = (list(map(figures_of.__getitem__, keys)) if set(map(type, chain.from_iterable(by_delivery_figures)))
             <= _NUMBERS else [figures_of[k] if _NUMBERS.issuperset(map(type, k[1])) else figures(k) for k in keys])
    metric_cells: list[Sequence[str]] = list(zip(*cells)) if cells else [() for _ in range(len(METRICS) + 1)]
    urls = col("url")  # (each one different: no memo)
    url_cells = (_neutral([v or "" for v in urls]) if set(map(type, urls)) <= _TEXTS
                 else [neutralise(v) if v else "" for v in urls])
    late = [None if v is None else int(v.total_seconds() // 60) for v in col("late")]
    inter = col("interactions")
    rate = col("engagement_rate")
    yes = neutralise(words.get("yes", "yes"))
    kinds = list(map(by_delivery.get, ids))
    kind_cells = Memo(lambda counts: tuple(map(num.__getitem__, counts)))
    kind_cells[None] = ("",) * len(KINDS)
    by_kind: list[Sequence[str]] = list(zip(*[kind_cells[k if k is None else tuple(map(k.get, KINDS))]
                                              for k in kinds])) if kinds else [() for _ in KINDS]
    return [
        _neutral(list(map(str, ids))), _neutral(list(map(str, col("post_id")))),
        each(lambda v: neutralise(words.get(v, v)), col("status"), _TEXTS), each(word, col("campaign"), _TEXTS),
        each(word, col("account"), _TEXTS), each(word, platforms, _TEXTS),
        local_column(col("due_at"), zone, local, minutes, local_hours),
        local_column(published, zone, local, minutes, local_hours),
        utc(published), nums(late), utc(col("failed_at")),
        url_cells,
        *metric_cells[:-1], nums(inter),
        ["" if v is None else neutralise(dialect.number(v, 4)) for v in rate],  # (0.0 == -0.0: no memo)
        utc(col("snapshot_at")), [yes if g else "" for g in col("gone")],
        each(neutralise, list(map(" ".join, col("hashtags"))), (str,)), each(one_line, col("text"), _TEXTS),
        each(one_line, col("error"), _TEXTS), metric_cells[-1], *by_kind]


def rows(report: WeeklyReport, t: Lang, dialect: Dialect) -> Iterator[tuple[str, ...]]:
    """The delivery rows (no header), each cell as written (``columns``, row by row)."""
    return zip(*columns(report, t, dialect))


def _local_cell(when: datetime | None, zone: ZoneInfo) -> str:
    """``_local``, neutralised, without strftime for the years 1000–9999 (the same text)."""
    if when is None:
        return ""
    local = when.astimezone(zone)
    return neutralise(local.isoformat(" ", "minutes")[:16] if local.year >= 1000 else _local(when, zone))


def render(report: WeeklyReport, t: Lang, dialect: Dialect | None = None) -> str:
    """The CSV text; ``dialect`` defaults to the language's (``excel-id`` for Indonesian). The
    delivery rows are joined here rather than by ``csv.writer``: a cell the writer would quote
    (it holds the separator, a ``"`` or a line break) is quoted by the writer itself, once per
    distinct cell — the same text."""
    dialect = dialect or dialect_for(t.code)
    buf = io.StringIO()
    _writer(buf, t, dialect, COLUMNS)
    if not report.deliveries:
        return buf.getvalue()
    with no_cycle_collection():  # (strings and tuples: no cycles)
        _body(buf, columns(report, t, dialect), dialect)
    return buf.getvalue()


def _body(buf: io.StringIO, cols: list[Sequence[str]], dialect: Dialect) -> None:
    """The delivery rows, joined from their columns."""
    delimiter = dialect.delimiter
    end = "\n" if dialect.name == "standard" else dialect.lineterminator
    quote = Memo(_quoter(delimiter, end))
    specials = {delimiter, '"', "\r", "\n", *end}
    cols = [list(map(quote.__getitem__, c)) if _holds_any("".join(c), specials) else c for c in cols]
    buf.write(end.join(map(delimiter.join, zip(*cols))))
    buf.write(end)


def _holds_any(text: str, parts: set[str]) -> bool:
    """Whether ``text`` (a column's cells joined once) holds any of ``parts``."""
    return any(part in text for part in parts)


def _quoter(delimiter: str, end: str):
    """A cell as ``csv.writer`` (``delimiter``, lines ended by ``end``) writes it in a row."""
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=delimiter, lineterminator=end)
    tail = len(delimiter) + len(end)

    def quote(cell: str) -> str:
        buf.seek(0)
        buf.truncate()
        w.writerow((cell, ""))  # (two cells: a row of one empty cell is written '""')
        return buf.getvalue()[:-tail]

    return quote


def share_of_voice(report: WeeklyReport, t: Lang, dialect: Dialect | None = None) -> str | None:
    """The share-of-voice CSV (see the module's docstring), in the dialect and language of
    ``render``; None when the week has none."""
    if not report.share_of_voice:
        return None
    dialect = dialect or dialect_for(t.code)
    words = ID_WORDS if t.code == "id" else {}
    buf = io.StringIO()
    w = _writer(buf, t, dialect, SHARE_OF_VOICE_COLUMNS)
    for cv in report.share_of_voice:
        for row in cv.rows:
            share = "" if row.share is None else dialect.number(row.share, 4)
            for role, counts, at_least in (("campaign", row.campaign_counts, row.campaign_at_least),
                                           ("comparison", row.compare_counts, row.compare_at_least)):
                for tag, n in counts.items():
                    cells = [cv.slug, row.platform, row.source, row.day_zone, len(row.days), tag,
                             words.get(role, role), n, words.get("yes", "yes") if at_least else "", share]
                    w.writerow([neutralise(str(cell)) for cell in cells])
    return buf.getvalue()
