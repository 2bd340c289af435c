"""Share of voice, the read side: the stored daily counts of hashtags, and a campaign's tags
against its comparison tags per platform (the weekly report, ``listen show``).

Kept apart from ``services.listening`` (which asks the platforms, through the connectors and
requests) so that reading the counts imports no HTTP client.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Iterable

from sqlalchemy import select

from campaigner.tables import tag_counts
from content.hashtags import tag_key

if TYPE_CHECKING:  # (read through the Core table: the weekly report imports no ORM)
    from sqlalchemy.engine import Connection
    from sqlalchemy.orm import Session

    Campaign = Any  # a campaign's row or mapped object: slug, name, hashtags, compare_tags


@dataclass(frozen=True)
class StoredCount:
    tag: str
    platform: str
    source: str
    day: date
    day_zone: str
    posts: int
    own: int
    accounts: int | None
    at_least: bool
    collected_at: datetime


def stored(s: Session | Connection, tags: Iterable[str], first_day: date, last_day: date) -> list[StoredCount]:
    """The stored counts of ``tags`` (any spelling) for the days ``first_day`` to ``last_day``."""
    keys = sorted({tag_key(t) for t in tags})
    if not keys:
        return []
    t = tag_counts.c
    q = (select(t.tag, t.platform, t.source, t.day, t.day_zone, t.posts, t.own, t.accounts, t.at_least, t.collected_at)
         .where(t.tag.in_(keys), t.day >= first_day, t.day <= last_day)
         .order_by(t.day, t.platform, t.source, t.tag))
    return [StoredCount(r.tag, r.platform, r.source, r.day, r.day_zone, r.posts, r.own, r.accounts, r.at_least,
                        r.collected_at) for r in s.execute(q)]


@dataclass
class CampaignCounts:
    """A campaign's tags and their stored counts (``listen show``)."""

    slug: str
    name: str
    hashtags: list[str]
    compare_tags: list[str]
    counts: list[StoredCount]


# --- share of voice ---------------------------------------------------------------------------------
@dataclass
class VoiceRow:
    """One platform's source over a period: the campaign's tags against the comparison tags, on
    the days for which every one of them was counted there (``days``)."""

    platform: str
    source: str
    day_zone: str
    days: list[date]
    campaign_counts: dict[str, int]
    compare_counts: dict[str, int]
    campaign_at_least: bool = False
    compare_at_least: bool = False
    #: tags that were not counted there (``listen show``'s days only: a week's row has them all)
    missing: list[str] = field(default_factory=list)

    @property
    def campaign_total(self) -> int:
        return sum(self.campaign_counts.values())

    @property
    def compare_total(self) -> int:
        return sum(self.compare_counts.values())

    @property
    def share(self) -> float | None:
        """The campaign tags' part of all the tags' posts; None without comparison tags or posts."""
        whole = self.campaign_total + self.compare_total
        return self.campaign_total / whole if self.compare_counts and whole and not self.missing else None

    @property
    def share_bound(self) -> str:
        """"≥" when only the campaign's count is a lower bound (the true share is higher), "≤"
        when only the comparison's is, "~" when both are, "" when the share is exact."""
        if self.campaign_at_least and self.compare_at_least:
            return "~"
        return "≥" if self.campaign_at_least else "≤" if self.compare_at_least else ""


@dataclass
class CampaignVoice:
    slug: str
    name: str
    hashtags: list[str]
    compare_tags: list[str]
    rows: list[VoiceRow]


def _spelling(c: Campaign | CampaignCounts) -> tuple[list[str], list[str], dict[str, str]]:
    """(campaign tag keys, comparison tag keys, key → "#Spelling") of a campaign."""
    hashtags = list(c.hashtags or [])
    compare = list(c.compare_tags or [])
    mine = list(dict.fromkeys(tag_key(t) for t in hashtags))
    theirs = [k for k in dict.fromkeys(tag_key(t) for t in compare) if k not in mine]
    spell = {tag_key(t): "#" + t.lstrip("#") for t in [*compare, *hashtags]}
    return mine, theirs, spell


def _row(platform: str, source: str, days: list[date], cells: dict[tuple[str, date], StoredCount],
         mine: list[str], theirs: list[str], spell: dict[str, str]) -> VoiceRow:
    used = [cells[(t, d)] for t in mine + theirs for d in days if (t, d) in cells]
    zones = Counter(r.day_zone for r in used)

    def total(t: str) -> int | None:
        found = [cells[(t, d)].posts for d in days if (t, d) in cells]
        return sum(found) if found else None

    row = VoiceRow(platform=platform, source=source, day_zone=zones.most_common(1)[0][0] if zones else "UTC",
                   days=days, campaign_counts={}, compare_counts={},
                   campaign_at_least=any(cells[(t, d)].at_least for t in mine for d in days if (t, d) in cells),
                   compare_at_least=any(cells[(t, d)].at_least for t in theirs for d in days if (t, d) in cells))
    for keys, counts in ((mine, row.campaign_counts), (theirs, row.compare_counts)):
        for t in keys:
            n = total(t)
            if n is None:
                row.missing.append(spell[t])
            else:
                counts[spell[t]] = n
    return row


def share_of_voice(s: Session | Connection, campaigns: Iterable[Campaign], first_day: date, last_day: date) -> list[CampaignVoice]:
    """Per campaign with hashtags, per platform and source that counted all its tags: the
    period's totals over the days every tag was counted there (``VoiceRow.days``). Platforms are
    kept apart: each counts a different public."""
    out = []
    for c in campaigns:
        mine, theirs, spell = _spelling(c)
        if not mine:
            continue
        by_source: dict[tuple[str, str], dict[tuple[str, date], StoredCount]] = defaultdict(dict)
        for row in stored(s, mine + theirs, first_day, last_day):
            by_source[(row.platform, row.source)][(row.tag, row.day)] = row
        rows = []
        for (platform, source), cells in sorted(by_source.items()):
            days = sorted({d for _, d in cells if all((t, d) in cells for t in mine + theirs)})
            if days:
                rows.append(_row(platform, source, days, cells, mine, theirs, spell))
        if rows:
            out.append(CampaignVoice(c.slug, c.name, list(c.hashtags or []), [spell[t] for t in theirs], rows))
    return out


def daily(counts: CampaignCounts) -> list[tuple[date, VoiceRow]]:
    """``listen show``'s lines: one per day, platform and source, newest day first; a tag not
    counted there that day is in ``VoiceRow.missing`` (and the share is None)."""
    mine, theirs, spell = _spelling(counts)
    cells: dict[tuple[date, str, str], dict[tuple[str, date], StoredCount]] = defaultdict(dict)
    for row in counts.counts:
        cells[(row.day, row.platform, row.source)][(row.tag, row.day)] = row
    return [(day, _row(platform, source, [day], group, mine, theirs, spell))
            for (day, platform, source), group in sorted(cells.items(), key=lambda kv: (-kv[0][0].toordinal(),
                                                                                       kv[0][1], kv[0][2]))]
