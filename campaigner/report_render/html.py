"""The weekly report as ONE self-contained HTML file that reads well on a phone.

Everything is inside the file: CSS inline, charts as ``data:image/svg+xml;base64`` images, no script,
no font or image from anywhere else. A Content-Security-Policy (``default-src 'none'``) makes a
browser refuse any outside request even if one slipped in. Links to the posts themselves are
ordinary ``<a href>`` links (only ``http(s)`` ones become links). Wide tables scroll sideways
inside their own box; charts scale to the screen. Every text is escaped, and control characters
and bidi overrides (a stranger's reply may hold them) are taken out.
"""
from __future__ import annotations

from html import escape
from zoneinfo import ZoneInfo

from campaigner.report_render import charts
from campaigner.report_render.common import (TABLE_METRICS, account_best, attention_text, extras, generated_line,
                                             late_lines, measured_note, named_line, own_names, partial_note,
                                             report_subtitle, report_title, sections, sentiment_line, top_post_time,
                                             voice_notes, voice_title, voice_where)
from campaigner.report_render.common import inbox_all, inbox_campaigns, inbox_shown, kind_line, open_more, replies_n
from campaigner.report_render.i18n import Lang
from campaigner.services.report import Breakdown, Section, WeeklyReport, ranked_slots
from content.untrusted import for_display

CSS = """
:root{--fg:#1d2330;--muted:#5b6473;--line:#e3e6eb;--bg:#f5f6f8;--card:#fff;--accent:#0072B2;--up:#0a7a4f;--down:#b3261e}
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,
"Noto Sans","DejaVu Sans",sans-serif}
main{max-width:60rem;margin:0 auto;padding:1rem .75rem 2rem}
header h1{font-size:1.35rem;margin:.25rem 0}
header p{margin:.15rem 0;color:var(--muted);font-size:.9rem}
.note{background:#fff7e0;border-left:4px solid #E69F00;padding:.5rem .75rem;border-radius:4px}
section{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:.9rem;margin:1rem 0}
h2{font-size:1.15rem;margin:0 0 .6rem}
h3{font-size:.95rem;margin:1.1rem 0 .4rem;color:var(--muted);text-transform:uppercase;letter-spacing:.03em}
.tags{color:var(--accent);margin:-.3rem 0 .6rem;overflow-wrap:anywhere}
.kpis{display:grid;grid-template-columns:repeat(auto-fit,minmax(8.5rem,1fr));gap:.5rem}
.kpi{border:1px solid var(--line);border-radius:8px;padding:.5rem .6rem}
.kpi .v{display:block;font-size:1.35rem;font-weight:650}
.kpi .l{display:block;font-size:.8rem;color:var(--muted)}
.kpi .d{display:block;font-size:.78rem;color:var(--muted)}
.small{font-size:.85rem;color:var(--muted)}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch}
table{border-collapse:collapse;width:100%;font-size:.88rem}
th,td{padding:.3rem .4rem;border-bottom:1px solid var(--line);text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left;white-space:normal;min-width:7.5rem;max-width:14rem;
position:sticky;left:0;background:var(--card)}
th{font-weight:600;color:var(--muted);font-size:.8rem}
img.chart{display:block;width:100%;max-width:44rem;height:auto;margin:.5rem 0}
ol.top{padding-left:1.3rem;margin:.3rem 0}
ol.top li{margin:.5rem 0}
.post{display:block;color:var(--fg);overflow-wrap:anywhere}
a{color:var(--accent);overflow-wrap:anywhere}
blockquote{margin:.4rem 0;padding:.3rem .7rem;border-left:4px solid var(--line);overflow-wrap:anywhere}
blockquote.pos{border-color:#009E73}blockquote.neg{border-color:#D55E00}
blockquote .who{display:block;font-size:.8rem;color:var(--muted)}
ul{padding-left:1.2rem}
footer{color:var(--muted);font-size:.8rem;margin-top:1rem}
@media (max-width:30rem){body{font-size:14px}section{padding:.7rem}.kpi .v{font-size:1.15rem}}
""".strip()

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def e(text: object) -> str:
    return escape(for_display(str(text)), quote=True)


def _link(url: str | None, label: str) -> str:
    if url and url.startswith(("https://", "http://")):
        return f'<a href="{e(url)}" rel="noopener noreferrer">{e(label)}</a>'
    return e(url or "")


def _img(data_uri: str | None, alt: str) -> str:
    return f'<img class="chart" alt="{e(alt)}" src="{data_uri}">' if data_uri else ""


def render(report: WeeklyReport, t: Lang) -> str:
    zone = ZoneInfo(report.timezone)
    title = report_title(report, t)
    body = [f"<header><h1>{e(title)}</h1><p>{e(report_subtitle(report, t))}</p>"
            f"<p>{e(generated_line(report, t))}</p></header>"]
    note = partial_note(report, t)
    if note:
        body.append(f'<p class="note">{e(note)}</p>')
    if report.empty:
        prev = report.overall.previous
        body.append(f"<section><p>{e(t('empty'))}</p><p class=\"small\">"
                    f"{e(t('empty_prev', published=t.num(prev.published), failed=t.num(prev.failed)))}</p></section>")
        body.append(_inbox(report, t, zone))
    else:
        for i, (heading, sec) in enumerate(sections(report, t)):
            body.append(_section(heading, sec, t, zone, chart=i == 0))
        body.append(_best_times(report, t))
        body.append(_replies(report, t))
        body.append(_inbox(report, t, zone))
    if report.share_of_voice:
        body.append(_share_of_voice(report, t))
    body.append(_attention(report, t, zone))
    body.append(f"<footer>{e(t('footnote'))}</footer>")
    return (f'<!doctype html>\n<html lang="{t.code}">\n<head>\n<meta charset="utf-8">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            f'<meta name="referrer" content="no-referrer">\n'
            f"<title>{e(title)}</title>\n<style>\n{CSS}\n</style>\n</head>\n<body>\n<main>\n"
            + "\n".join(body) + "\n</main>\n</body>\n</html>\n")


def _kpi(value: str, label: str, change: str = "") -> str:
    d = f'<span class="d">{e(change)}</span>' if change else ""
    return f'<div class="kpi"><span class="v">{e(value)}</span><span class="l">{e(label)}</span>{d}</div>'


def _section(heading: str, sec: Section, t: Lang, zone: ZoneInfo, *, chart: bool) -> str:
    cur, prev = sec.current, sec.previous
    ct, pt = cur.totals, prev.totals
    h = [f"<section><h2>{e(heading)}</h2>"]
    if sec.hashtags and sec.kind != "overall":
        h.append(f'<p class="tags">{e(" ".join(sec.hashtags))}</p>')
    kpis = [_kpi(t.num(cur.published), t("published"), t.change(cur.published, prev.published)),
            _kpi(t.num(cur.failed), t("failed"), t.change(cur.failed, prev.failed)),
            _kpi(t.num(ct.interactions, total=True), t("interactions"), t.change(ct.interactions, pt.interactions)),
            _kpi(t.num(ct.sums["impressions"], total=True), t("impressions"),
                 t.change(ct.sums["impressions"], pt.sums["impressions"])),
            _kpi(t.pct(ct.engagement_rate, total=True), t("rate"),
                 t.change_pts(ct.engagement_rate, pt.engagement_rate))]
    h.append('<div class="kpis">' + "".join(kpis) + "</div>")
    notes = [n for n in (measured_note(ct, t), extras(ct, t)) if n]
    if notes:
        h.append(f'<p class="small">{e("; ".join(notes))} · {e(t("interactions"))} = {e(t("interactions_note"))}</p>')
    if sec.platforms:
        h.append(f"<h3>{e(t('by_platform'))}</h3>" + _table(sec.platforms, t, "platform"))
        named = [f"<li><strong>{e(b.key)}</strong>: {e(named_line(b.platform, b.current.totals.sums, t))}</li>"
                 for b in sec.platforms if own_names(b.platform) and b.current.published]
        if named:  # Instagram's views, reach, saves…: in the platform's own words
            h.append('<ul class="small named">' + "".join(named) + "</ul>")
    if len(sec.accounts) > 1 or (sec.accounts and len(sec.platforms) != len(sec.accounts)):
        h.append(f"<h3>{e(t('by_account'))}</h3>" + _table(sec.accounts, t, "account"))
    if chart:
        h.append(_img(charts.accounts_chart(sec, t), t("chart_accounts")))
    h.append(f"<h3>{e(t('top_posts'))}</h3>")
    if not sec.top_posts:
        h.append(f"<p>{e(t('no_top'))}</p>")
    else:
        items = []
        for d in sec.top_posts:
            head = f"<strong>{e(t.num(d.interactions))}</strong> {e(t('interactions_lc'))}"
            if d.engagement_rate is not None:
                head += f" · {e(t.pct(d.engagement_rate))}"
            head += f" · {e(d.account)} ({e(d.platform)}) · {e(top_post_time(d, t, zone))}"
            text = f'<span class="post">{e(d.text)}</span>' if d.text else ""
            link = f'<span class="post">{_link(d.url, d.url)}</span>' if d.url else ""
            items.append(f"<li>{head}{text}{link}</li>")
        h.append('<ol class="top">' + "".join(items) + "</ol>")
    h.append(f"<h3>{e(t('hashtags'))}</h3>")
    if not sec.hashtag_stats:
        h.append(f"<p>{e(t('no_hashtags'))}</p>")
    else:
        rows = []
        for hs in sec.hashtag_stats:
            tt = hs.totals
            mark = " *" if hs.campaign_tag else ""
            rows.append(f"<tr><td>{e(hs.tag + mark)}</td><td>{e(t.num(tt.posts))}</td><td>{e(t.num(tt.interactions))}"
                        f"</td><td>{e(t.dec(tt.per_post))}</td><td>{e(t.pct(tt.engagement_rate))}</td></tr>")
        head = "".join(f"<th>{e(t(k))}</th>" for k in ("col_hashtag", "col_posts", "col_interactions", "col_per_post",
                                                         "col_rate"))
        h.append(f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(rows)}</tbody>'
                 f'</table></div>')
        if any(hs.campaign_tag for hs in sec.hashtag_stats):
            h.append(f'<p class="small">* {e(t("campaign_tag"))}</p>')
    if sec.replies.total:
        h.append(f"<h3>{e(t('replies_title'))}</h3><p>{e(t.count('replies_total', sec.replies.total))}: "
                 f"{e(sentiment_line(sec.replies, t))}</p>")
    h.append("</section>")
    return "\n".join(h)


def _table(rows: list[Breakdown], t: Lang, kind: str) -> str:
    keys = ("col_posts", "col_likes", "col_reposts", "col_replies", "col_quotes", "col_views", "col_rate", "col_failed")
    head = f"<th>{e(t(kind))}</th>" + "".join(f"<th>{e(t(k))}</th>" for k in keys)
    body = []
    for b in rows:
        tt = b.current.totals
        cells = [t.num(b.current.published), *(t.num(tt.sums[m]) for m in TABLE_METRICS), t.pct(tt.engagement_rate),
                 t.num(b.current.failed)]
        name = b.key if kind == "platform" else f"{b.key} ({b.platform})"
        body.append(f"<tr><td>{e(name)}</td>" + "".join(f"<td>{e(c)}</td>" for c in cells) + "</tr>")
    return f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def _best_times(report: WeeklyReport, t: Lang) -> str:
    bt = report.best_times
    h = [f"<section><h2>{e(t('best_times'))}</h2>",
         f'<p class="small">{e(t("best_times_note", weeks=bt.weeks))}; {e(t("best_times_min", n=bt.min_posts))}</p>']
    hours = ranked_slots(bt.hours, bt.min_posts)[:3]
    days = ranked_slots(bt.weekdays, bt.min_posts)[:3]
    h.append("<ul>")
    h.append(f"<li><strong>{e(t('by_hour'))}:</strong> "
             + e(", ".join(f"{t.hour(s.slot)} ({t('avg')} {t.dec(s.average)}, {t.posts(s.posts)})" for s in hours)
                 or t("not_enough")) + "</li>")
    h.append(f"<li><strong>{e(t('by_weekday'))}:</strong> "
             + e(", ".join(f"{t.weekday(s.slot)} ({t('avg')} {t.dec(s.average)}, {t.posts(s.posts)})" for s in days)
                 or t("not_enough")) + "</li>")
    h.append("</ul>")
    h.append(_img(charts.hours_chart(bt, t), t("chart_hours")))
    h.append(_img(charts.weekdays_chart(bt, t), t("chart_weekdays")))
    if bt.accounts:
        h.append("<ul>")
        for a in bt.accounts:
            what = account_best(a, t)
            h.append(f"<li><strong>{e(a.account)}</strong>: {e(what)} "
                     f'<span class="small">({e(t.posts(a.posts))}, {e(a.timezone)})</span></li>')
        h.append("</ul>")
    h.append("</section>")
    return "\n".join(h)


def _replies(report: WeeklyReport, t: Lang) -> str:
    s = report.sentiment
    h = [f"<section><h2>{e(t('replies_title'))}</h2>"]
    if not s.counts.total:
        h.append(f"<p>{e(t('no_replies'))}</p></section>")
        return "\n".join(h)
    h.append(f"<p>{e(t.count('replies_total', s.counts.total))}: {e(sentiment_line(s.counts, t))}</p>")
    h.append(_img(charts.sentiment_chart(s, t), t("chart_sentiment")))
    h.append("<ul>" + "".join(f"<li>{e(t.language(code))}: {e(t.num(c.total))} ({e(sentiment_line(c, t))})</li>"
                              for code, c in s.by_language) + "</ul>")
    for label, cls, examples in (("positive_examples", "pos", s.positive), ("negative_examples", "neg", s.negative)):
        if examples:
            h.append(f"<h3>{e(t(label))}</h3>")
            for ex in examples:
                who = f"{ex.account} ({ex.platform}) · {t.language(ex.language)}"
                h.append(f'<blockquote class="{cls}">{e(ex.text)}<span class="who">{e(who)}</span></blockquote>')
    h.append("</section>")
    return "\n".join(h)


def _share_of_voice(report: WeeklyReport, t: Lang) -> str:
    """A table per campaign: a row per platform and source, a column per tag, then the share."""
    if not report.share_of_voice:
        return ""
    h = [f"<section><h2>{e(t('sov_title'))}</h2>"]
    for cv in report.share_of_voice:
        h.append(f"<h3>{e(voice_title(cv, t))}</h3>")
        tags = [*cv.rows[0].campaign_counts, *cv.rows[0].compare_counts]
        head = f"<th>{e(t('platform'))}</th>" + "".join(f"<th>{e(tag)}</th>" for tag in tags)
        head += f"<th>{e(t('sov_share'))}</th>" if cv.compare_tags else ""
        body = []
        for row in cv.rows:
            cells = [("≥" if row.campaign_at_least else "") + t.num(n) for n in row.campaign_counts.values()]
            cells += [("≥" if row.compare_at_least else "") + t.num(n) for n in row.compare_counts.values()]
            if cv.compare_tags:
                cells.append("–" if row.share is None else row.share_bound + t.pct(row.share))
            body.append(f"<tr><td>{e(voice_where(row, t))}</td>" + "".join(f"<td>{e(c)}</td>" for c in cells) + "</tr>")
        h.append(f'<div class="scroll"><table><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody>'
                 f'</table></div>')
        if not cv.compare_tags:
            h.append(f'<p class="small">{e(t("sov_no_compare", slug=cv.slug))}</p>')
    h += [f'<p class="small">{e(note)}</p>' for note in voice_notes(report, t)]
    h.append("</section>")
    return "\n".join(h)


def _inbox(report: WeeklyReport, t: Lang, zone: ZoneInfo) -> str:
    box = inbox_shown(report)
    if box is None:
        return ""
    h = [f"<section><h2>{e(t('inbox_title'))}</h2>"]
    if not box.total.total:
        h.append(f"<p>{e(t('inbox_none'))}</p>")
    else:
        h.append(f"<p>{e(t('inbox_all'))}: {e(inbox_all(box, t))}</p>")
        camps = inbox_campaigns(report, box, t)
        if camps:
            h.append("<ul>" + "".join(f"<li>{e(name)}: {e(kinds)}</li>" for name, kinds in camps) + "</ul>")
    if box.answers_sent:
        h.append(f"<p>{e(t('inbox_sent', n=t.num(box.answers_sent)))}</p>")
    h.append(f"<h3>{e(t('open_questions'))}</h3>")
    if not box.open_questions:
        h.append(f"<p>{e(t('open_none'))}</p>")
    for q in box.open_questions:
        who = f"{q.author} · {q.account} ({q.platform}) · {t.time(q.created_at, zone)} · #{q.reply_id}"
        h.append(f'<blockquote>{e(q.text)}<span class="who">{e(who)} {_link(q.url, t("on"))}</span></blockquote>')
    more = open_more(box, t)
    if more:
        h.append(f"<p class=\"small\">{e(more)}</p>")
    if box.most_replied:
        h.append(f"<h3>{e(t('most_replied'))}</h3><ol class=\"top\">")
        for p in box.most_replied:
            h.append(f"<li>{e(replies_n(p.replies, t))} ({e(kind_line(p.kinds, t))}) · {e(p.account)} "
                     f"({e(p.platform)})<span class=\"post\">{_link(p.url, p.text[:120] or p.url or '')}</span></li>")
        h.append("</ol>")
    h.append("</section>")
    return "\n".join(h)


def _attention(report: WeeklyReport, t: Lang, zone: ZoneInfo) -> str:
    h = [f"<section><h2>{e(t('attention'))}</h2>"]
    if not report.attention:
        h.append(f"<p>{e(t('attention_none'))}</p>")
    else:
        h.append("<ul>" + "".join(f"<li>{e(attention_text(i, t, zone))}</li>" for i in report.attention) + "</ul>")
    lines, more = late_lines(report, t, zone)
    h.append(f"<h3>{e(t('late_title'))}</h3>")
    if not lines:
        h.append(f"<p>{e(t('late_none'))}</p>")
    else:
        h.append("<ul>" + "".join(f"<li>{e(line)}</li>" for line in lines)
                 + (f"<li>{e(t('late_more', n=t.num(more)))}</li>" if more else "") + "</ul>")
    h.append("</section>")
    return "\n".join(h)
