"""The weekly report as plain text for an 80-column terminal (or an e-mail body).

Every line fits 80 columns except a post's link when the link itself is longer (links are never
cut). A value the platform does not tell shows as ``–``; a total no post has shows as ``n/a``.
A platform with its own names for its figures (Instagram's views, reach, saves, shares) gets a
line under the platform table in those names, "not known" where none of its posts gave one.
Strangers' text (replies) reaches a terminal or a mail reader: escape sequences, control
characters and bidi overrides are taken out of the whole report.
"""
from __future__ import annotations

import textwrap
from zoneinfo import ZoneInfo

from campaigner.report_render.common import (TABLE_METRICS, account_best, attention_text, extras, generated_line,
                                             late_lines, measured_note, named_items, own_names, partial_note,
                                             report_subtitle, report_title, sections, sentiment_line, short,
                                             top_post_time, voice_counts, voice_notes, voice_share, voice_title,
                                             voice_where)
from campaigner.report_render.common import inbox_all, inbox_campaigns, inbox_shown, kind_line, open_more, replies_n
from campaigner.report_render.i18n import Lang
from campaigner.services.report import Breakdown, Section, WeeklyReport, ranked_slots
from content.untrusted import for_display

WIDTH = 80
LABEL = 19  # "Engagement rate:" / "Tingkat interaksi:" + a space
NAME = 18
#: (column key, width) of the platform / account tables
COLUMNS = (("col_posts", 6), ("col_likes", 7), ("col_reposts", 7), ("col_replies", 7), ("col_quotes", 7),
           ("col_views", 9), ("col_rate", 7))


def render(report: WeeklyReport, t: Lang) -> str:
    out: list[str] = []
    zone = ZoneInfo(report.timezone)
    out += _wrap(report_title(report, t))
    out += _wrap(report_subtitle(report, t))
    out += _wrap(generated_line(report, t))
    note = partial_note(report, t)
    if note:
        out += _wrap(note)
    if report.empty:
        out += ["", t("empty")]
        prev = report.overall.previous
        out += _wrap(t("empty_prev", published=t.num(prev.published), failed=t.num(prev.failed)))
        _share_of_voice(out, report, t)
        _inbox(out, report, t, zone)
        _attention(out, report, t, zone)
        return for_display("\n".join(out) + "\n")
    for title, sec in sections(report, t):
        _heading(out, title)
        _section(out, sec, t, zone)
    _best_times(out, report, t)
    _replies(out, report, t)
    _share_of_voice(out, report, t)
    _inbox(out, report, t, zone)
    _attention(out, report, t, zone)
    out += [""] + _wrap(t("footnote"))
    return for_display("\n".join(out) + "\n")


def _wrap(text: str, indent: str = "", sub: str | None = None) -> list[str]:
    """Wrap at 80 columns; a no-break space (``_keep``) holds an item together."""
    lines = textwrap.wrap(text, WIDTH, initial_indent=indent, subsequent_indent=indent if sub is None else sub,
                          break_long_words=False, break_on_hyphens=False) or [indent.rstrip()]
    return [line.replace(NBSP, " ") for line in lines]


NBSP = "\u00a0"


def _keep(text: str) -> str:
    return text.replace(" ", NBSP)


def _heading(out: list[str], title: str) -> None:
    lines = _wrap(title)
    out += ["", *lines, "=" * min(WIDTH, max(len(x) for x in lines))]


def _kv(out: list[str], label: str, value: str) -> None:
    out += _wrap(f"{label + ':':<{LABEL}} {value}".rstrip(), sub=" " * (LABEL + 1))


def _section(out: list[str], sec: Section, t: Lang, zone: ZoneInfo) -> None:
    cur, prev = sec.current, sec.previous
    ct, pt = cur.totals, prev.totals
    if sec.hashtags and sec.kind != "overall":
        out += _wrap(" ".join(sec.hashtags))
    _kv(out, t("published"), f"{t.posts(cur.published)} {t.change(cur.published, prev.published)}")
    _kv(out, t("failed"), f"{t.num(cur.failed)} {t.change(cur.failed, prev.failed)}")
    _kv(out, t("interactions"), f"{t.num(ct.interactions, total=True)} {t.change(ct.interactions, pt.interactions)}")
    _kv(out, t("impressions"),
        f"{t.num(ct.sums['impressions'], total=True)} {t.change(ct.sums['impressions'], pt.sums['impressions'])}")
    _kv(out, t("rate"),
        f"{t.pct(ct.engagement_rate, total=True)} {t.change_pts(ct.engagement_rate, pt.engagement_rate)}")
    more = extras(ct, t)
    if more:
        _kv(out, t("also"), more)
    note = measured_note(ct, t)
    if note:
        out += _wrap(f"({note})")
    if sec.platforms:
        out += ["", t("by_platform")]
        _table(out, sec.platforms, t, "platform")
        for b in sec.platforms:  # Instagram's views, reach, saves…: in the platform's own words
            if own_names(b.platform) and b.current.published:
                items = " · ".join(_keep(item) for item in named_items(b.platform, b.current.totals.sums, t))
                out += _wrap(f"{b.key}: {items}", "  ", "    ")
    if len(sec.accounts) > 1 or (sec.accounts and len(sec.platforms) != len(sec.accounts)):
        out += ["", t("by_account")]
        _table(out, sec.accounts, t, "account")
    failed = [f"{b.key} {t.num(b.current.failed)}" for b in sec.accounts if b.current.failed]
    if failed:
        out += _wrap(f"{t('failed')}: " + ", ".join(failed), "  ", "    ")
    out += ["", t("top_posts")]
    if not sec.top_posts:
        out.append("  " + t("no_top"))
    for i, d in enumerate(sec.top_posts, 1):
        head = f"{t.num(d.interactions)} {t('interactions_lc')}"
        if d.engagement_rate is not None:
            head += f", {t.pct(d.engagement_rate)}"
        head += f" · {d.account} ({d.platform}) · {top_post_time(d, t, zone)}"
        out += _wrap(f"{i:>2}. {head}", "", "    ")
        if d.text:
            out.append("    " + short(d.text, WIDTH - 4))
        if d.url:
            out.append(("    " + d.url) if len(d.url) <= WIDTH - 4 else d.url)
    out += ["", t("hashtags")]
    if not sec.hashtag_stats:
        out.append("  " + t("no_hashtags"))
    else:
        head = f"  {t('col_hashtag'):<30} {t('col_posts'):>6} {t('col_interactions'):>10} " \
               f"{t('col_per_post'):>8} {t('col_rate'):>7}"
        out.append(head)
        for h in sec.hashtag_stats:
            tag = short(h.tag + (" *" if h.campaign_tag else ""), 30)
            tt = h.totals
            out.append(f"  {tag:<30} {t.compact(tt.posts, 6):>6} {t.compact(tt.interactions, 10):>10} "
                       f"{t.dec(tt.per_post):>8} {t.pct(tt.engagement_rate):>7}")
        if any(h.campaign_tag for h in sec.hashtag_stats):
            out.append(f"  * {t('campaign_tag')}")
    if sec.replies.total:
        out += ["", f"{t('replies_title')}: {t.count('replies_total', sec.replies.total)} "
                    f"({sentiment_line(sec.replies, t)})"]


def _table(out: list[str], rows: list[Breakdown], t: Lang, kind: str) -> None:
    head = f"  {t(kind):<{NAME}}" + "".join(f" {t(k):>{w}}" for k, w in COLUMNS)
    out.append(head.rstrip())
    for b in rows:
        tt = b.current.totals
        name = b.key
        cells = [t.compact(b.current.published, COLUMNS[0][1])]
        cells += [t.compact(tt.sums[m], w) for m, (_, w) in zip(TABLE_METRICS, COLUMNS[1:6])]
        cells.append(t.pct(tt.engagement_rate))
        out.append(f"  {short(name, NAME):<{NAME}}" + "".join(f" {c:>{w}}" for c, (_, w) in zip(cells, COLUMNS)))


def _best_times(out: list[str], report: WeeklyReport, t: Lang) -> None:
    bt = report.best_times
    _heading(out, t("best_times"))
    out += _wrap(f"({t('best_times_note', weeks=bt.weeks)}; {t('best_times_min', n=bt.min_posts)})")
    hours = ranked_slots(bt.hours, bt.min_posts)[:3]
    days = ranked_slots(bt.weekdays, bt.min_posts)[:3]
    _kv(out, t("by_hour"), " · ".join(_keep(f"{t.hour(s.slot)} {t('avg')} {t.dec(s.average)} ({t.posts(s.posts)})")
                                      for s in hours) or t("not_enough"))
    _kv(out, t("by_weekday"), " · ".join(_keep(f"{t.weekday(s.slot)} {t('avg')} {t.dec(s.average)} "
                                               f"({t.posts(s.posts)})") for s in days) or t("not_enough"))
    for a in bt.accounts:
        what = account_best(a, t)
        out += _wrap(f"{a.account}: {what} ({t.posts(a.posts)}, {a.timezone})", "  ", "    ")


def _replies(out: list[str], report: WeeklyReport, t: Lang) -> None:
    s = report.sentiment
    _heading(out, t("replies_title"))
    if not s.counts.total:
        out.append(t("no_replies"))
        return
    out += _wrap(f"{t.count('replies_total', s.counts.total)}: {sentiment_line(s.counts, t)}")
    langs = " · ".join(_keep(f"{t.language(code)} {t.num(c.total)}") + f" ({sentiment_line(c, t)})"
                       for code, c in s.by_language)
    _kv(out, t("by_language"), langs)
    for label, examples in (("positive_examples", s.positive), ("negative_examples", s.negative)):
        if not examples:
            continue
        out.append(f"{t(label)}:")
        for ex in examples:
            out += _wrap(f"“{short(ex.text, 200)}” — {ex.account}, {t.language(ex.language)}", "  - ", "    ")


def _share_of_voice(out: list[str], report: WeeklyReport, t: Lang) -> None:
    """Per campaign, each platform's line: its tags' posts and the campaign tags' share (only when
    something was counted in the week)."""
    if not report.share_of_voice:
        return
    _heading(out, t("sov_title"))
    for cv in report.share_of_voice:
        out += _wrap(voice_title(cv, t))
        for row in cv.rows:
            bits = [_keep(b) for b in voice_counts(row, t)]
            share = voice_share(row, t)
            if share:
                bits.append(_keep(share))
            out += _wrap(f"{voice_where(row, t)}: " + " · ".join(bits), "  - ", "    ")
        if not cv.compare_tags:
            out += _wrap(t("sov_no_compare", slug=cv.slug), "  ", "  ")
    for note in voice_notes(report, t):
        out += _wrap(f"({note})")


def _inbox(out: list[str], report: WeeklyReport, t: Lang, zone: ZoneInfo) -> None:
    box = inbox_shown(report)
    if box is None:
        return
    _heading(out, t("inbox_title"))
    if not box.total.total:
        out.append(t("inbox_none"))
    else:
        _kv(out, t("inbox_all"), inbox_all(box, t))
        for name, kinds in inbox_campaigns(report, box, t):
            out += _wrap(f"{name}: {kinds}", "  ", "    ")
    if box.answers_sent:
        out += _wrap(t("inbox_sent", n=t.num(box.answers_sent)))
    out += ["", t("open_questions")]
    if not box.open_questions:
        out += _wrap(t("open_none"), "  ")
    for q in box.open_questions:
        out += _wrap(f"“{short(q.text, 160)}” — {q.author}, {q.account} ({q.platform}), {t.time(q.created_at, zone)}, "
                     f"#{q.reply_id}", "  - ", "    ")
        if q.url:
            out.append(("    " + q.url) if len(q.url) <= WIDTH - 4 else q.url)
    more = open_more(box, t)
    if more:
        out += _wrap(more, "  ")
    if box.most_replied:
        out += ["", t("most_replied")]
        for i, p in enumerate(box.most_replied, 1):
            out += _wrap(f"{i:>2}. {replies_n(p.replies, t)} ({kind_line(p.kinds, t)}) · {p.account} "
                         f"({p.platform})", "", "    ")
            if p.text:
                out.append("    " + short(p.text, WIDTH - 4))
            if p.url:
                out.append(("    " + p.url) if len(p.url) <= WIDTH - 4 else p.url)


def _attention(out: list[str], report: WeeklyReport, t: Lang, zone: ZoneInfo) -> None:
    _heading(out, t("attention"))
    if not report.attention:
        out.append(t("attention_none"))
    for item in report.attention:
        out += _wrap(attention_text(item, t, zone), "  - ", "    ")
    lines, more = late_lines(report, t, zone)
    out += ["", *_wrap(t("late_title"))]
    if not lines:
        out += _wrap(t("late_none"))
    for line in lines:
        out += _wrap(line, "  - ", "    ")
    if more:
        out += _wrap(t("late_more", n=t.num(more)), "  ")
