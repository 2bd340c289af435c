"""Pieces every human-readable format shares: section titles, attention lines, short texts."""
from __future__ import annotations

from typing import Any, Callable, Mapping, TypeVar
from zoneinfo import ZoneInfo

from campaigner.report_render.i18n import Lang
from campaigner.services.report_inbox import InboxSummary
from campaigner.services.voice import CampaignVoice, VoiceRow
from campaigner.services.report import (AccountTimes, AttentionItem, DeliveryLine, Section, SentimentCounts, Totals,
                                       WeeklyReport)


_V = TypeVar("_V")


class Memo(dict[Any, _V]):
    """``memo[value]``: ``fn(value)``, worked out the first time ``value`` is seen (a week of
    50,000 rows repeats its numbers, names, texts and times over and over)."""

    def __init__(self, fn: Callable[[Any], _V]) -> None:
        super().__init__()
        self.fn = fn

    def __missing__(self, key: Any) -> _V:
        value = self[key] = self.fn(key)
        return value


#: the per-platform / per-account table's metric columns, in order
TABLE_METRICS = ("likes", "reposts", "replies", "quotes", "impressions")
#: shown on an "Also" line when any delivery tells them
EXTRA_METRICS = ("bookmarks", "clicks", "reach", "shares")


def named_metrics(platform: str, values: Mapping[str, int | None]) -> list[tuple[str, int | None]]:
    """(the platform's own name, value) of each metric ``platform`` gives, in its record's order:
    Instagram's ``impressions`` are its views, its ``bookmarks`` its saves. None: not known (the
    platform gave it for no post here) — never 0."""
    from connectors.registry import PLATFORMS

    info = PLATFORMS.get(platform)
    return [] if info is None else [(info.metric_label(m), values.get(m)) for m in info.metrics]


def own_names(platform: str) -> bool:
    """Whether ``platform``'s row needs its own line of metrics: it calls some by other names than
    the table's columns, or gives some the table has no column for (reach, shares)."""
    from connectors.registry import PLATFORMS

    info = PLATFORMS.get(platform)
    return info is not None and bool(info.metric_labels or set(info.metrics) - set(TABLE_METRICS)
                                     - {"bookmarks", "clicks"})


def named_items(platform: str, values: Mapping[str, int | None], t: Lang) -> list[str]:
    """``["1,234 views", "800 reach", "saves not known"]`` in ``t``'s language."""
    return [f"{t.num(v)} {t.metric(name)}" if v is not None else t("not_known_metric", name=t.metric(name))
            for name, v in named_metrics(platform, values)]


def named_line(platform: str, values: Mapping[str, int | None], t: Lang) -> str:
    """``1,234 views · 800 reach · 50 likes · saves not known`` in ``t``'s language."""
    return " · ".join(named_items(platform, values, t))


def short(text: str, width: int) -> str:
    """One line of at most ``width`` characters (whitespace folded, cut with an ellipsis)."""
    one = " ".join(text.split())
    return one if len(one) <= width else one[: width - 1].rstrip() + "…"


def section_title(sec: Section, t: Lang) -> str:
    if sec.kind == "overall":
        return t("overall") if not sec.slug else t("campaign_scope", name=f"{sec.name} ({sec.slug})")
    if sec.kind == "none":
        return t("no_campaign")
    return f"{t('campaign')} {sec.name} ({sec.slug})"


def report_title(report: WeeklyReport, t: Lang) -> str:
    head = f"{t('title')} — {t.week_title(report.week)}"
    if report.campaign:
        head += f" — {report.overall.name}"
    return head


def report_subtitle(report: WeeklyReport, t: Lang) -> str:
    return f"{t.week_range(report.week)} ({report.week.iso}, {report.timezone})"


def generated_line(report: WeeklyReport, t: Lang) -> str:
    return t("generated", when=t.time(report.generated_at, ZoneInfo(report.timezone), year=True))


def partial_note(report: WeeklyReport, t: Lang) -> str | None:
    if report.complete:
        return None
    return t("partial", when=t.time(report.generated_at, ZoneInfo(report.timezone)))


def extras(tot: Totals, t: Lang) -> str | None:
    """``12 bookmarks, 40 clicks`` when any post tells them."""
    bits = [f"{t.num(tot.sums[m])} {t(m)}" for m in EXTRA_METRICS if tot.sums[m] is not None]
    return ", ".join(bits) or None


def measured_note(tot: Totals, t: Lang) -> str | None:
    if tot.posts == 0:
        return None
    note = t.count("measured", tot.posts, measured=t.num(tot.measured), posts=t.num(tot.posts))
    if tot.gone:
        note += "; " + t("gone_note", n=t.num(tot.gone))
    if tot.deleted:
        note += "; " + t("deleted_note", n=t.num(tot.deleted))
    return note


def top_post_time(d: DeliveryLine, t: Lang, zone: ZoneInfo) -> str:
    """When a top post went out, in ``zone``."""
    assert d.published_at is not None  # top posts have interactions, which only published deliveries have
    return t.time(d.published_at, zone)


def sentiment_line(c: SentimentCounts, t: Lang) -> str:
    bits = [f"{t.num(c.by_label[k])} {t(k)}" for k in ("positive", "neutral", "negative")]
    if c.by_label["unscored"]:
        bits.append(f"{t.num(c.by_label['unscored'])} {t('unscored')}")
    return ", ".join(bits)


def kind_line(counts: dict[str, int], t: Lang) -> str:
    """Replies by kind: "3 questions, 2 support, 1 opposition, 4 other" (none left out but the
    unclassified when there are none)."""
    def label(k: str) -> str:
        return t("kind_question_one" if k == "question" and counts.get(k) == 1 else f"kind_{k}")

    bits = [f"{t.num(counts.get(k, 0))} {label(k)}" for k in ("question", "support", "oppose", "other")]
    if counts.get("unclassified"):
        bits.append(f"{t.num(counts['unclassified'])} {t('kind_unclassified')}")
    return ", ".join(bits)


def replies_n(n: int, t: Lang) -> str:
    return t("replies_n_one" if n == 1 else "replies_n", n=t.num(n))


def inbox_shown(report: WeeklyReport) -> InboxSummary | None:
    """The inbox block to show: none without one, nor in an empty week without replies."""
    box = report.inbox
    return None if box is None or (report.empty and not box.total.total) else box


def inbox_all(box: InboxSummary, t: Lang) -> str:
    """All replies of the week by kind, and how many were answered and dismissed."""
    return (f"{kind_line(box.total.counts, t)}; "
            + t("inbox_handled", answered=t.num(box.total.answered), dismissed=t.num(box.total.dismissed)))


def inbox_campaigns(report: WeeklyReport, box: InboxSummary, t: Lang) -> list[tuple[str, str]]:
    """(campaign, its replies by kind) for each campaign; none when the report's own campaign is
    the only one (its line would repeat the total)."""
    if len(box.by_campaign) > 1 or (box.by_campaign and box.by_campaign[0].slug != report.campaign):
        return [(k.slug or t("inbox_no_campaign"), kind_line(k.counts, t)) for k in box.by_campaign]
    return []


def open_more(box: InboxSummary, t: Lang) -> str | None:
    """"…and N more" when more questions are open than listed."""
    more = box.open_total - len(box.open_questions)
    return t("open_more", n=t.num(more)) if more > 0 else None


def attention_text(item: AttentionItem, t: Lang, zone: ZoneInfo) -> str:
    who = f"{item.account} ({item.platform})"
    if item.kind == "paused":
        what = t("att_paused") + (f" — {item.reason}" if item.reason else "")
        return f"{who}: {what} — {t('resume_hint', name=item.account)}"
    if item.kind == "held":
        assert item.until is not None  # the report gives every "held" item the end of its hold
        what = t("att_held", until=t.time(item.until, zone))
        return f"{who}: {what}" + (f" — {item.reason}" if item.reason else "")
    if item.kind == "failures":
        return f"{who}: " + t("att_failures", posts=t.count("failed_posts", item.failed_posts),
                              attempts=t.count("failed_attempts", item.failed_attempts))
    if item.kind == "expired":
        return f"{who}: " + t("att_expired", posts=t.posts(item.expired_posts), name=item.account)
    if item.kind == "unapproved":
        return f"{who}: " + t("att_unapproved", posts=t.posts(item.unapproved_posts))
    key = "att_token_expired" if item.kind == "token_expired" else "att_token_expiring"
    assert item.until is not None  # the report gives every token item the token's expiry
    return f"{who}: " + t(key, when=t.time(item.until, zone, year=True))


#: at most this many "published late" lines in the human-readable formats
LATE_SHOWN = 20


def late_lines(report: WeeklyReport, t: Lang, zone: ZoneInfo) -> tuple[list[str], int]:
    """The "published late" lines (at most LATE_SHOWN) and how many more there are."""
    late = report.published_late
    lines = [t("late_line", post=d.post_id, account=d.account, platform=d.platform, late=t.duration(d.late),
               due=t.time(d.due_at, zone), out=t.time(d.published_at, zone))
             for d in late[:LATE_SHOWN] if d.published_at is not None and d.late is not None]  # (all of them)
    return lines, len(late) - len(lines)


def sections(report: WeeklyReport, t: Lang) -> list[tuple[str, Section]]:
    """(title, section): the overall section, then one per campaign — unless there is only one
    group, which the overall section then names."""
    if len(report.campaigns) <= 1:
        title = section_title(report.overall, t)
        if report.campaigns and report.campaigns[0].kind == "campaign":
            title += " — " + section_title(report.campaigns[0], t)
        return [(title, report.overall)]
    return [(section_title(s, t), s) for s in (report.overall, *report.campaigns)]


def account_best(a: AccountTimes, t: Lang) -> str:
    """``best at 19:00, on Tuesday`` — or only the part that has enough posts."""
    h, d = a.best_hour, a.best_weekday
    if h and d:
        return t("best_at", hour=t.hour(h.slot), weekday=t.weekday(d.slot))
    if h:
        return t("best_hour_only", hour=t.hour(h.slot))
    if d:
        return t("best_day_only", weekday=t.weekday(d.slot))
    return t("not_enough")


# --- share of voice ---------------------------------------------------------------------------------
def voice_title(cv: CampaignVoice, t: Lang) -> str:
    """``Tolak Tapera (tapera): #TolakTapera vs #TaperaUntukRakyat``."""
    head = f"{cv.name} ({cv.slug}): " + " ".join("#" + h.lstrip("#") for h in cv.hashtags)
    return head + (f" {t('sov_vs')} " + " ".join(cv.compare_tags) if cv.compare_tags else "")


def voice_where(row: VoiceRow, t: Lang) -> str:
    """``bluesky (bsky.social), 7 days`` / ``mastodon (mastodon.social), 7 UTC days``."""
    days = t("sov_utc_days" if row.day_zone == "UTC" else "sov_days", n=t.num(len(row.days)))
    return f"{row.platform} ({row.source}), {days}"


def voice_counts(row: VoiceRow, t: Lang) -> list[str]:
    """``#TolakTapera ≥120``, ``#TaperaUntukRakyat 40``: each tag's posts, "≥" when at least."""
    return ([f"{tag} {'≥' if row.campaign_at_least else ''}{t.num(n)}" for tag, n in row.campaign_counts.items()]
            + [f"{tag} {'≥' if row.compare_at_least else ''}{t.num(n)}" for tag, n in row.compare_counts.items()])


def voice_share(row: VoiceRow, t: Lang) -> str | None:
    """``share ≥75.0%``; None without a share (no comparison tag, or no posts at all)."""
    return None if row.share is None else f"{t('sov_share')} {row.share_bound}{t.pct(row.share)}"


def voice_notes(report: WeeklyReport, t: Lang) -> list[str]:
    """The notes under the share-of-voice section: what is counted, and "≥" when it is used."""
    rows = [r for cv in report.share_of_voice for r in cv.rows]
    return [t("sov_note")] + ([t("sov_at_least")] if any(r.campaign_at_least or r.compare_at_least for r in rows)
                              else [])
