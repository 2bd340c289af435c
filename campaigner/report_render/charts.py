"""Small matplotlib charts for the HTML report, returned as base64 PNG (``data:`` URIs).

matplotlib is imported here only, when a chart is drawn. The object API (``Figure`` + the Agg
canvas) is used, never ``pyplot``: no global state, no GUI backend, safe in a worker.
"""
from __future__ import annotations

import base64
import io

from campaigner.report_render.i18n import Lang
from campaigner.services.report import BestTimes, Section, Sentiment

#: colour-blind-safe (Okabe–Ito)
BLUE, ORANGE, GREEN, GREY, RED, SKY = "#0072B2", "#E69F00", "#009E73", "#999999", "#D55E00", "#56B4E9"
WIDTH_IN, DPI = 5.2, 120


def _figure(height: float):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(WIDTH_IN, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def _style(ax, grid: str) -> None:
    """Light look: no top/right frame, a faint grid along the value axis (``"x"`` or ``"y"``)."""
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(labelsize=10)
    ax.grid(axis=grid, color="#dddddd", linewidth=0.6)
    ax.set_axisbelow(True)


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", facecolor="white", metadata={"Software": None})
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


def accounts_chart(sec: Section, t: Lang, limit: int = 12) -> str | None:
    """Interactions per account, this week against last week (horizontal bars)."""
    rows = [b for b in sec.accounts if b.current.totals.interactions is not None
            or b.previous.totals.interactions is not None][:limit]
    if not rows:
        return None
    rows = rows[::-1]  # largest on top
    fig = _figure(1.0 + 0.38 * len(rows))
    ax = fig.add_subplot()
    ys = range(len(rows))
    cur = [b.current.totals.interactions or 0 for b in rows]
    prev = [b.previous.totals.interactions or 0 for b in rows]
    ax.barh([y + 0.2 for y in ys], cur, height=0.4, color=BLUE, label=t("this_week"))
    ax.barh([y - 0.2 for y in ys], prev, height=0.4, color=GREY, label=t("last_week"))
    ax.set_yticks(list(ys), [b.key for b in rows])
    ax.xaxis.set_major_formatter(lambda x, _pos: t.num(int(x)))
    ax.legend(fontsize=9, frameon=False, loc="lower right")
    ax.set_title(t("chart_accounts"), fontsize=11, loc="left")
    _style(ax, "x")
    return _png(fig)


def _slots_chart(labels: list[str], slots, min_posts: int, title: str, t: Lang) -> str | None:
    if not any(s.posts for s in slots):
        return None
    fig = _figure(2.6)
    ax = fig.add_subplot()
    values = [s.average or 0 for s in slots]
    colours = [BLUE if s.posts >= min_posts else SKY for s in slots]
    ax.bar(range(len(slots)), values, color=colours, width=0.75)
    ax.set_xticks(range(len(slots)), labels)
    ax.yaxis.set_major_formatter(lambda y, _pos: t.num(int(y)))
    ax.set_title(title, fontsize=11, loc="left")
    _style(ax, "y")
    return _png(fig)


def hours_chart(bt: BestTimes, t: Lang) -> str | None:
    labels = [f"{h:02d}" if h % 3 == 0 else "" for h in range(24)]
    return _slots_chart(labels, bt.hours, bt.min_posts, t("chart_hours"), t)


def weekdays_chart(bt: BestTimes, t: Lang) -> str | None:
    return _slots_chart([t.weekday(i, short=True) for i in range(7)], bt.weekdays, bt.min_posts,
                        t("chart_weekdays"), t)


def sentiment_chart(st: Sentiment, t: Lang, limit: int = 6) -> str | None:
    """Replies per language, stacked by sentiment."""
    langs = st.by_language[:limit]
    if not langs:
        return None
    langs = langs[::-1]
    fig = _figure(1.0 + 0.4 * len(langs))
    ax = fig.add_subplot()
    left = [0] * len(langs)
    for label, colour in (("positive", GREEN), ("neutral", GREY), ("negative", RED), ("unscored", "#cccccc")):
        vals = [c.by_label[label] for _code, c in langs]
        if not any(vals):
            continue
        ax.barh(range(len(langs)), vals, left=left, color=colour, label=t(label), height=0.6)
        left = [a + b for a, b in zip(left, vals)]
    ax.set_yticks(range(len(langs)), [t.language(code) for code, _c in langs])
    ax.xaxis.set_major_formatter(lambda x, _pos: t.num(int(x)))
    ax.legend(fontsize=9, frameon=False, ncols=4, loc="upper center", bbox_to_anchor=(0.5, -0.18))
    ax.set_title(t("chart_sentiment"), fontsize=11, loc="left")
    _style(ax, "x")
    return _png(fig)
