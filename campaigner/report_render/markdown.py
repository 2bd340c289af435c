"""The weekly report as Markdown that pastes into a chat (Mattermost, Element, Slack, Discord,
Telegram): bold headings, short bullet lists, bare links — no tables, no wide lines.

Every text is escaped (no accidental bold, links or code), whole-room mentions such as a reply's
``@everyone`` are defused so pasting the report pings no one, and escape sequences, control
characters and bidi overrides are taken out."""
from __future__ import annotations

from zoneinfo import ZoneInfo

from campaigner.report_render.common import (TABLE_METRICS, account_best, attention_text, extras, generated_line,
                                             late_lines, measured_note, named_line, own_names, partial_note,
                                             report_subtitle, report_title, sections, sentiment_line, short,
                                             top_post_time, voice_counts, voice_notes, voice_share, voice_title,
                                             voice_where)
from campaigner.report_render.common import inbox_all, inbox_campaigns, inbox_shown, kind_line, open_more, replies_n
from campaigner.report_render.i18n import Lang
from campaigner.services.report import Breakdown, Section, WeeklyReport, ranked_slots
from content.untrusted import defuse_mentions, for_display

_SPECIAL = str.maketrans({c: "\\" + c for c in "\\`*_[]<>|~"})


def esc(text: str) -> str:
    """Text that Markdown shows as written (no accidental bold, links or code) and that pings
    no whole room. Escape sequences go first: escaping their ``[`` would hide them."""
    return defuse_mentions(for_display(text).translate(_SPECIAL))


def render(report: WeeklyReport, t: Lang) -> str:
    zone = ZoneInfo(report.timezone)
    out = [f"**{esc(report_title(report, t))}**", f"{esc(report_subtitle(report, t))}",
           f"_{esc(generated_line(report, t))}_"]
    note = partial_note(report, t)
    if note:
        out.append(f"_{esc(note)}_")
    if report.empty:
        prev = report.overall.previous
        out += ["", esc(t("empty")),
                esc(t("empty_prev", published=t.num(prev.published), failed=t.num(prev.failed)))]
        _share_of_voice(out, report, t)
        _inbox(out, report, t, zone)
        _attention(out, report, t, zone)
        return for_display("\n".join(out) + "\n")
    for title, sec in sections(report, t):
        out += ["", f"**{esc(title)}**"]
        _section(out, sec, t, zone)
    _best_times(out, report, t)
    _replies(out, report, t)
    _share_of_voice(out, report, t)
    _inbox(out, report, t, zone)
    _attention(out, report, t, zone)
    out += ["", f"_{esc(t('footnote'))}_"]
    return for_display("\n".join(out) + "\n")


def _section(out: list[str], sec: Section, t: Lang, zone: ZoneInfo) -> None:
    cur, prev = sec.current, sec.previous
    ct, pt = cur.totals, prev.totals
    if sec.hashtags and sec.kind != "overall":
        out.append(esc(" ".join(sec.hashtags)))
    out.append(f"- {t('published')}: **{t.posts(cur.published)}** {t.change(cur.published, prev.published)}".rstrip())
    if cur.failed or prev.failed:
        out.append(f"- {t('failed')}: {t.num(cur.failed)} {t.change(cur.failed, prev.failed)}".rstrip())
    out.append(f"- {t('interactions')}: **{t.num(ct.interactions, total=True)}** "
               f"{t.change(ct.interactions, pt.interactions)}".rstrip())
    out.append(f"- {t('impressions')}: {t.num(ct.sums['impressions'], total=True)} "
               f"{t.change(ct.sums['impressions'], pt.sums['impressions'])}".rstrip())
    out.append(f"- {t('rate')}: {t.pct(ct.engagement_rate, total=True)} "
               f"{t.change_pts(ct.engagement_rate, pt.engagement_rate)}".rstrip())
    more = extras(ct, t)
    if more:
        out.append(f"- {t('also')}: {more}")
    note = measured_note(ct, t)
    if note:
        out.append(f"- _{esc(note)}_")
    if sec.platforms:
        out += ["", f"_{t('by_platform')}_"]
        out += [_line(b, t) for b in sec.platforms]
    if len(sec.accounts) > 1 or (sec.accounts and len(sec.platforms) != len(sec.accounts)):
        out += ["", f"_{t('by_account')}_"]
        out += [_line(b, t, account=True) for b in sec.accounts]
    out += ["", f"_{t('top_posts')}_"]
    if not sec.top_posts:
        out.append(esc(t("no_top")))
    for i, d in enumerate(sec.top_posts, 1):
        head = f"{i}. **{t.num(d.interactions)}** {t('interactions_lc')}"
        if d.engagement_rate is not None:
            head += f" ({t.pct(d.engagement_rate)})"
        head += f" — {esc(d.account)}, {top_post_time(d, t, zone)}"
        out.append(head)
        if d.text:
            out.append(f"   {esc(short(d.text, 90))}")
        if d.url:
            out.append(f"   {d.url}")
    if sec.hashtag_stats:
        out += ["", f"_{t('hashtags')}_"]
        for h in sec.hashtag_stats[:10]:
            tt = h.totals
            bits = [t.posts(tt.posts), f"{t.num(tt.interactions, total=True)} {t('interactions_lc')}"]
            if tt.per_post is not None:
                bits.append(f"{t.dec(tt.per_post)} {t('per_post')}")
            if tt.engagement_rate is not None:
                bits.append(f"{t('col_rate')} {t.pct(tt.engagement_rate)}")
            tag = esc(h.tag) + (f" ({t('campaign_tag')})" if h.campaign_tag else "")
            out.append(f"- {tag}: " + " · ".join(bits))
    if sec.replies.total:
        out += ["", f"_{t('replies_title')}_: {t.count('replies_total', sec.replies.total)} "
                    f"({sentiment_line(sec.replies, t)})"]


def _line(b: Breakdown, t: Lang, account: bool = False) -> str:
    tt = b.current.totals
    name = f"{esc(b.key)} ({b.platform})" if account else esc(b.key)
    bits = [t.posts(b.current.published)]
    if own_names(b.platform):  # Instagram's views, reach, saves…: its own words, "not known" where none told
        bits += [named_line(b.platform, tt.sums, t)] if b.current.published else []
    else:
        bits += [f"{t.num(tt.sums[m])} {t(m if m != 'impressions' else 'col_views')}" for m in TABLE_METRICS
                 if tt.sums[m] is not None]
    if tt.engagement_rate is not None:
        bits.append(f"{t('col_rate')} {t.pct(tt.engagement_rate)}")
    if b.current.failed:
        bits.append(f"{t.num(b.current.failed)} {t('col_failed')}")
    return f"- **{name}**: " + " · ".join(bits)


def _best_times(out: list[str], report: WeeklyReport, t: Lang) -> None:
    bt = report.best_times
    out += ["", f"**{t('best_times')}**", f"_{esc(t('best_times_note', weeks=bt.weeks))}_"]
    hours = ranked_slots(bt.hours, bt.min_posts)[:3]
    days = ranked_slots(bt.weekdays, bt.min_posts)[:3]
    out.append(f"- {t('by_hour')}: " + (", ".join(f"{t.hour(s.slot)} ({t('avg')} {t.dec(s.average)}, "
                                                     f"{t.posts(s.posts)})" for s in hours) or t("not_enough")))
    out.append(f"- {t('by_weekday')}: " + (", ".join(f"{t.weekday(s.slot)} ({t('avg')} {t.dec(s.average)}, "
                                                        f"{t.posts(s.posts)})" for s in days) or t("not_enough")))
    for a in bt.accounts:
        what = account_best(a, t)
        out.append(f"- {esc(a.account)}: {what}")


def _replies(out: list[str], report: WeeklyReport, t: Lang) -> None:
    s = report.sentiment
    out += ["", f"**{t('replies_title')}**"]
    if not s.counts.total:
        out.append(esc(t("no_replies")))
        return
    out.append(f"- {t.count('replies_total', s.counts.total)}: {sentiment_line(s.counts, t)}")
    for code, c in s.by_language:
        out.append(f"- {t.language(code)}: {t.num(c.total)} ({sentiment_line(c, t)})")
    for label, examples in (("positive_examples", s.positive), ("negative_examples", s.negative)):
        for ex in examples:
            out.append(f"> {esc(short(ex.text, 160))}")
            out.append(f"— {t(label)}, {esc(ex.account)}, {t.language(ex.language)}")


def _share_of_voice(out: list[str], report: WeeklyReport, t: Lang) -> None:
    if not report.share_of_voice:
        return
    out += ["", f"**{esc(t('sov_title'))}**"]
    for cv in report.share_of_voice:
        out.append(f"_{esc(voice_title(cv, t))}_")
        for row in cv.rows:
            share = voice_share(row, t)
            bits = [esc(b) for b in voice_counts(row, t)] + ([f"**{esc(share)}**"] if share else [])
            out.append(f"- {esc(voice_where(row, t))}: " + " · ".join(bits))
        if not cv.compare_tags:
            out.append(f"- {esc(t('sov_no_compare', slug=cv.slug))}")
    out += [f"_{esc(note)}_" for note in voice_notes(report, t)]


def _inbox(out: list[str], report: WeeklyReport, t: Lang, zone: ZoneInfo) -> None:
    box = inbox_shown(report)
    if box is None:
        return
    out += ["", f"**{esc(t('inbox_title'))}**"]
    if not box.total.total:
        out.append(esc(t("inbox_none")))
    else:
        out.append(f"- {esc(t('inbox_all'))}: {esc(inbox_all(box, t))}")
        out += [f"- {esc(name)}: {esc(kinds)}" for name, kinds in inbox_campaigns(report, box, t)]
    if box.answers_sent:
        out.append(f"- {esc(t('inbox_sent', n=t.num(box.answers_sent)))}")
    out += ["", f"_{esc(t('open_questions'))}_"]
    if not box.open_questions:
        out.append(esc(t("open_none")))
    for q in box.open_questions:
        out.append(f"> {esc(short(q.text, 160))}")
        out.append(f"— {esc(q.author)}, {esc(q.account)}, {esc(t.time(q.created_at, zone))}, #{q.reply_id}"
                   + (f" {q.url}" if q.url else ""))
    more = open_more(box, t)
    if more:
        out.append(esc(more))
    if box.most_replied:
        out += ["", f"_{esc(t('most_replied'))}_"]
        for i, p in enumerate(box.most_replied, 1):
            out.append(f"{i}. {esc(replies_n(p.replies, t))} ({esc(kind_line(p.kinds, t))}) · "
                       f"{esc(p.account)} · {esc(short(p.text, 80))}")
            if p.url:
                out.append(f"   {p.url}")


def _attention(out: list[str], report: WeeklyReport, t: Lang, zone: ZoneInfo) -> None:
    out += ["", f"**{t('attention')}**"]
    if not report.attention:
        out.append(esc(t("attention_none")))
    out += [f"- {esc(attention_text(item, t, zone))}" for item in report.attention]
    lines, more = late_lines(report, t, zone)
    out += ["", f"**{esc(t('late_title'))}**"]
    if not lines:
        out.append(esc(t("late_none")))
    out += [f"- {esc(line)}" for line in lines]
    if more:
        out.append(f"- {esc(t('late_more', n=t.num(more)))}")
