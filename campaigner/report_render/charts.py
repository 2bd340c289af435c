"""Small charts for the HTML report: SVG drawn by pygal, returned as ``data:image/svg+xml`` URIs.

pygal is imported here only, when a chart is drawn (about 0.1 s, against 1.2 s for importing
matplotlib and saving four PNGs; ``bench/report.py`` measures the whole command). The charts are
shown as ``<img>``: a browser never runs a script or fetches anything from an SVG image, and
pygal's own ``<script>`` (its interactive tooltips, which need an outside file) is taken out of
the drawing anyway. Labels (account names, languages) go through ``for_display`` like every
other text of the report, and XML escaping is pygal's (ElementTree's).
"""
from __future__ import annotations

import base64
from typing import Any, Callable

from campaigner.report_render.i18n import Lang
from campaigner.services.report import BestTimes, Section, Sentiment
from content.untrusted import for_display

#: colour-blind-safe (Okabe–Ito)
BLUE, ORANGE, GREEN, GREY, RED, SKY = "#0072B2", "#E69F00", "#009E73", "#999999", "#D55E00", "#56B4E9"
#: pixels (the page scales the image to its width)
WIDTH = 624
FONT = 'system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", "DejaVu Sans", sans-serif'
MIME = "data:image/svg+xml;base64,"


def _no_script(root: Any) -> Any:
    """pygal's XML filter: drop its ``<script>`` elements (tooltip code and a config
    object; never run in an ``<img>``, and nothing the report needs)."""
    for parent in list(root.iter()):
        for child in list(parent):
            if isinstance(child.tag, str) and child.tag.rsplit("}", 1)[-1] == "script":
                parent.remove(child)
    return root


def _chart(kind: str, height: int, title: str, colours: tuple[str, ...], t: Lang, **config: Any):
    import pygal
    from pygal.style import Style

    style = Style(background="white", plot_background="white", foreground="#1d2330",
                  foreground_strong="#1d2330", foreground_subtle="#dddddd", opacity="1", opacity_hover="1",
                  colors=colours, font_family=FONT, title_font_size=15, label_font_size=12,
                  major_label_font_size=12, legend_font_size=12, value_font_size=11,
                  guide_stroke_color="#cccccc", major_guide_stroke_color="#cccccc", guide_stroke_dasharray="none",
                  major_guide_stroke_dasharray="none")
    formatter: Callable[[Any], str] = lambda v: "" if v is None else t.num(int(v))  # noqa: E731
    chart = getattr(pygal, kind)(
        style=style, width=WIDTH, height=height, explicit_size=True, title=for_display(title), js=[],
        disable_xml_declaration=True, value_formatter=formatter, legend_box_size=11,
        print_values=False, truncate_label=-1, min_scale=3, max_scale=6, **config)
    chart.add_xml_filter(_no_script)
    return chart


def _uri(chart) -> str:
    return MIME + base64.b64encode(chart.render(is_unicode=True).encode("utf-8")).decode("ascii")


def accounts_chart(sec: Section, t: Lang, limit: int = 12) -> str | None:
    """Interactions per account, this week against last week (horizontal bars, largest on top)."""
    rows = [b for b in sec.accounts if b.current.totals.interactions is not None
            or b.previous.totals.interactions is not None][:limit]
    if not rows:
        return None
    rows = rows[::-1]  # pygal draws the first label at the bottom
    chart = _chart("HorizontalBar", 150 + 40 * len(rows), t("chart_accounts"), (BLUE, GREY), t,
                   legend_at_bottom=True, legend_at_bottom_columns=2, show_y_guides=False)
    chart.x_labels = [for_display(b.key) for b in rows]
    chart.add(t("this_week"), [b.current.totals.interactions or 0 for b in rows])
    chart.add(t("last_week"), [b.previous.totals.interactions or 0 for b in rows])
    return _uri(chart)


def _slots_chart(labels: list[str], slots, min_posts: int, title: str, t: Lang) -> str | None:
    """A bar per slot; a slot with fewer than ``min_posts`` measured posts is drawn pale."""
    if not any(s.posts for s in slots):
        return None
    chart = _chart("Bar", 300, title, (BLUE,), t, show_legend=False, show_x_guides=False)
    chart.x_labels = labels
    chart.add(title, [{"value": s.average or 0, "color": BLUE if s.posts >= min_posts else SKY} for s in slots])
    return _uri(chart)


def hours_chart(bt: BestTimes, t: Lang) -> str | None:
    labels = [f"{h:02d}" if h % 3 == 0 else "" for h in range(24)]
    return _slots_chart(labels, bt.hours, bt.min_posts, t("chart_hours"), t)


def weekdays_chart(bt: BestTimes, t: Lang) -> str | None:
    return _slots_chart([t.weekday(i, short=True) for i in range(7)], bt.weekdays, bt.min_posts,
                        t("chart_weekdays"), t)


def sentiment_chart(st: Sentiment, t: Lang, limit: int = 6) -> str | None:
    """Replies per language, stacked by sentiment (the most replies on top)."""
    langs = st.by_language[:limit]
    if not langs:
        return None
    langs = langs[::-1]
    series = [(label, colour) for label, colour in (("positive", GREEN), ("neutral", GREY), ("negative", RED),
                                                    ("unscored", "#cccccc"))
              if any(c.by_label[label] for _code, c in langs)]
    chart = _chart("HorizontalStackedBar", 170 + 44 * len(langs), t("chart_sentiment"),
                   tuple(colour for _label, colour in series), t,
                   legend_at_bottom=True, legend_at_bottom_columns=4, show_y_guides=False)
    chart.x_labels = [for_display(t.language(code)) for code, _c in langs]
    for label, _colour in series:
        chart.add(t(label), [c.by_label[label] for _code, c in langs])
    return _uri(chart)
