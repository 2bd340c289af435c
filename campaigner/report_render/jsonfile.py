"""The weekly report as JSON, for scripts and dashboards. Stable: keys are only ever added, and a
change in the meaning of any key bumps ``version``. The same in every ``--lang``. One compact
line (``jq .`` pretty-prints it).

Times are ISO 8601 in UTC (``2026-11-30T01:00:00Z``); days are ``YYYY-MM-DD`` (local). A
metric the platform does not give is ``null`` — never 0. Rates are fractions (0.0345 = 3.45%).

Top level::

    version          1
    report           "weekly"
    generated_at     when the report was built
    timezone         the zone the week is read in (IANA name)
    campaign         the --campaign slug, or null for all posts
    complete         false while the week is not over yet
    week             Week: the reported ISO week
    previous_week    Week: the one compared against
    overall          Section: everything in scope
    campaigns        [Section]: one per campaign active this week or the week before, plus
                     kind "none" for posts without a campaign ([] with --campaign)
    best_times       BestTimes
    replies          Replies (written during the week, to posts in scope)
    attention        [Attention]: accounts needing a person (all accounts)
    published_late   [Late]: deliveries published 15 minutes or more after their time, in the
                     order they went out
    deliveries       [Delivery]: every delivery published or failed in the week, in scope
    share_of_voice   [Voice]: per campaign with hashtags counted in the week (all campaigns, or
                     the --campaign one), its hashtags against its comparison tags per platform
    inbox            Inbox: the replies inbox's week

Week: ``iso`` ("2026-W48"), ``year``, ``week``, ``first_day`` (Monday), ``last_day`` (Sunday),
``start`` and ``end`` (UTC instants of local Monday 00:00 and the next Monday 00:00).

Section: ``kind`` ("overall" | "campaign" | "none"), ``campaign`` (slug or null), ``name``,
``hashtags`` (the campaign's), ``published``, ``failed``, ``totals`` (Totals), ``previous``
(``{published, failed, totals}`` for the previous week), ``change`` (``published``,
``interactions``, ``impressions``: this week minus last, null when either is unknown;
``engagement_rate``: the difference of the two fractions), ``platforms`` and ``accounts`` (lists
of ``{platform | account, platform, published, failed, totals, previous}``, most interactions
first; a platform's also has ``named_metrics``: ``[{metric, name, value}]``, each figure the
platform gives under its own name — Instagram's ``impressions`` are ``views``, its ``bookmarks``
``saves`` — value null when no post gave it), ``top_posts`` ([TopPost], most interactions first), ``hashtag_performance``
(``[{tag, campaign_tag, totals}]``), ``reply_sentiment`` (``{total, positive, neutral, negative,
unscored}``).

Totals (each delivery's latest snapshot collected before the end of its week): ``posts``
(published, deleted since included), ``measured`` (with numbers), ``gone`` (no longer on the
platform, not deleted by campaigner), ``deleted`` (taken down before the end of the week), ``likes``,
``reposts``, ``replies``, ``quotes``, ``impressions``, ``bookmarks``, ``clicks``, ``reach``, ``shares`` (sums of the
known values; null when no delivery has the metric), ``interactions`` (likes + reposts + replies
+ quotes, same rule), ``engagement_rate`` (interactions ÷ impressions over the deliveries that
have both; null when none has impressions), ``known`` (how many deliveries gave each metric, and
``interactions``), ``rate_basis`` (``{interactions, impressions}`` the rate was computed from).

TopPost: ``delivery_id``, ``post_id``, ``campaign``, ``account``, ``platform``, ``published_at``,
``url``, ``interactions``, ``engagement_rate``, ``text``.

BestTimes: ``since``, ``until``, ``weeks``, ``min_posts`` (a slot needs this many measured posts to
be ranked), ``hours`` (24 × ``{hour, posts, interactions, average}``, local hours, each post in
its own account's zone), ``weekdays`` (7 × ``{weekday (0 = Monday), posts, interactions,
average}``), ``best_hours`` and ``best_weekdays`` (the ranked slots, best first), ``accounts``
(``[{account, platform, timezone, posts, best_hour, best_weekday, hours, weekdays}]``).

Replies: ``total``, ``by_sentiment`` (``{positive, neutral, negative, unscored}``),
``by_language`` (``[{language, total, by_sentiment}]``, language null when unknown),
``examples`` (``{positive: [Reply], negative: [Reply]}``; Reply: ``text``, ``language``,
``polarity``, ``sentiment``, ``account``, ``platform``, ``created_at``, ``post_url``).

Inbox (replies by others written during the week to posts in scope; answers sent from the inbox
are no deliveries of the report): ``total``, ``by_kind`` (``{question, support, oppose, other,
unclassified}``), ``answered`` and ``dismissed`` (of those, as the report is built), ``campaigns``
(``[{campaign, name, total, by_kind, answered, dismissed}]``, campaign null for posts without
one), ``answers_sent`` (answers from the inbox published in the week), ``open_questions``
(``{total, listed: [{reply_id, author, text, created_at, url, account, platform, post_id,
campaign}]}``: the week's questions still new, oldest first, at most 10 listed), ``most_replied``
(``[{post_id, delivery_id, account, platform, url, text, replies, by_kind}]``, at most 5).

Attention: ``account``, ``platform``, ``kind`` ("paused" | "held" | "failures" |
"token_expiring" | "token_expired" | "expired" | "unapproved"), ``reason``, ``until`` (held until
/ token expiry), ``failed_posts``, ``failed_attempts``, ``expired_posts`` (in the week; expired:
not sent, past their lateness limit), ``unapproved_posts`` (drafts whose time fell in the week,
still waiting for approval: not sent).

Voice: ``campaign``, ``name``, ``hashtags``, ``compare_tags``, ``platforms``: a list of
``{platform, source, day_zone, days, campaign_counts, compare_counts, campaign_total,
compare_total, campaign_at_least, compare_at_least, share, share_bound}``, one per platform and
source (a Mastodon instance's host, Bluesky's service, X's API host) — never added up, as each
counts a different public. ``days`` are the week's days (``YYYY-MM-DD``, days of ``day_zone``:
"UTC" for Mastodon's tag history) on which every tag was counted there; the counts are the public
posts with each tag on those days, our own posts left out (``{"#Tag": n}``); ``*_at_least``: a
count is a lower bound (a search that stopped early, a day not over); ``share`` = campaign total ÷
(campaign + comparison totals), null without comparison tags or posts; ``share_bound`` is ""
(exact), "≥", "≤" or "~" (either way).

Late: ``delivery_id``, ``post_id``, ``account``, ``platform``, ``due_at``, ``published_at``,
``late_seconds``, ``url``.

Delivery: ``delivery_id``, ``post_id``, ``status`` ("published" | "deleted" | "failed"), ``campaign``,
``account``, ``platform``, ``due_at`` (its time: the moment it was queued for, before any daily
cap or spacing deferral), ``published_at``, ``late_seconds`` (published minus due, published
only), ``failed_at``, ``url``, ``snapshot_at`` (null: not measured), ``gone``, ``metrics`` (the
nine metrics, null = unknown), ``named_metrics`` (like a platform's: the figures its platform
gives, under their own names), ``interactions``, ``engagement_rate``, ``hashtags``, ``text``
(first part as it went out), ``error``.
"""
from __future__ import annotations

import json
import json.encoder
import math
from datetime import datetime, timezone
from itertools import chain
from typing import Any, Sequence

from campaigner.report_render.columns import utc_column
from campaigner.report_render.common import Memo
from campaigner.report_render.i18n import Lang
from campaigner.services.voice import VoiceRow
from campaigner.services.report import (METRICS, AccountTimes, DeliveryLine, DeliveryLines, Period, Section,
                                        SentimentCounts, TimeSlot, Totals, Week, WeeklyReport, no_cycle_collection,
                                        ranked_slots)
from connectors.registry import PLATFORMS

VERSION = 1


def _t(when: datetime | None) -> str | None:
    return None if when is None else when.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _rate(x: float | None) -> float | None:
    return None if x is None else round(x, 6)


def _avg(x: float | None) -> float | None:
    return None if x is None else round(x, 3)


def week(w: Week) -> dict[str, Any]:
    return {"iso": w.iso, "year": w.year, "week": w.week, "first_day": w.first_day.isoformat(),
            "last_day": w.last_day.isoformat(), "start": _t(w.start), "end": _t(w.end)}


def totals(t: Totals) -> dict[str, Any]:
    return {"posts": t.posts, "measured": t.measured, "gone": t.gone, "deleted": t.deleted,
            **{m: t.sums[m] for m in METRICS},
            "interactions": t.interactions, "engagement_rate": _rate(t.engagement_rate),
            "known": {**t.known, "interactions": t.interactions_known},
            "rate_basis": {"interactions": t.rate_interactions, "impressions": t.rate_impressions}}


def period(p: Period) -> dict[str, Any]:
    return {"published": p.published, "failed": p.failed, "totals": totals(p.totals)}


def named(platform: str, values) -> list[dict[str, Any]]:
    """The platform's own figures in its own words: ``[{metric, name, value}]`` (value null: not known)."""
    info = PLATFORMS.get(platform)
    return [] if info is None else [{"metric": m, "name": info.metric_label(m), "value": values.get(m)}
                                    for m in info.metrics]


def _diff(a: int | None, b: int | None) -> int | None:
    return None if a is None or b is None else a - b


def sentiment_counts(c: SentimentCounts) -> dict[str, int]:
    return {"total": c.total, **c.by_label}


def top_post(d: DeliveryLine) -> dict[str, Any]:
    return {"delivery_id": d.delivery_id, "post_id": d.post_id, "campaign": d.campaign, "account": d.account,
            "platform": d.platform, "published_at": _t(d.published_at), "url": d.url,
            "interactions": d.interactions, "engagement_rate": _rate(d.engagement_rate), "text": d.text}


def section(s: Section) -> dict[str, Any]:
    cur, prev = s.current.totals, s.previous.totals
    rate_change = (None if cur.engagement_rate is None or prev.engagement_rate is None
                   else _rate(cur.engagement_rate - prev.engagement_rate))
    return {
        "kind": s.kind, "campaign": s.slug, "name": s.name, "hashtags": list(s.hashtags),
        "published": s.current.published, "failed": s.current.failed, "totals": totals(cur),
        "previous": period(s.previous),
        "change": {"published": s.current.published - s.previous.published,
                   "interactions": _diff(cur.interactions, prev.interactions),
                   "impressions": _diff(cur.sums["impressions"], prev.sums["impressions"]),
                   "engagement_rate": rate_change},
        "platforms": [{"platform": b.key, **period(b.current), "previous": period(b.previous),
                       "named_metrics": named(b.platform, b.current.totals.sums)} for b in s.platforms],
        "accounts": [{"account": b.key, "platform": b.platform, **period(b.current), "previous": period(b.previous)}
                     for b in s.accounts],
        "top_posts": [top_post(d) for d in s.top_posts],
        "hashtag_performance": [{"tag": h.tag, "campaign_tag": h.campaign_tag, "totals": totals(h.totals)}
                                for h in s.hashtag_stats],
        "reply_sentiment": sentiment_counts(s.replies),
    }


def _slot(s: TimeSlot, key: str) -> dict[str, Any]:
    return {key: s.slot, "posts": s.posts, "interactions": s.interactions, "average": _avg(s.average)}


def _account_times(a: AccountTimes) -> dict[str, Any]:
    return {"account": a.account, "platform": a.platform, "timezone": a.timezone, "posts": a.posts,
            "best_hour": a.best_hour.slot if a.best_hour else None,
            "best_weekday": a.best_weekday.slot if a.best_weekday else None,
            "hours": [_slot(s, "hour") for s in a.hours], "weekdays": [_slot(s, "weekday") for s in a.weekdays]}


def _seconds(late) -> int | None:
    return None if late is None else int(late.total_seconds())


def delivery(d: DeliveryLine) -> dict[str, Any]:
    return {"delivery_id": d.delivery_id, "post_id": d.post_id, "status": d.status, "campaign": d.campaign,
            "account": d.account, "platform": d.platform, "due_at": _t(d.due_at), "published_at": _t(d.published_at),
            "late_seconds": _seconds(d.late), "failed_at": _t(d.failed_at), "url": d.url, "snapshot_at": _t(d.snapshot_at), "gone": d.gone,
            "metrics": {m: d.values.get(m) for m in METRICS}, "named_metrics": named(d.platform, d.values),
            "interactions": d.interactions,
            "engagement_rate": _rate(d.engagement_rate), "hashtags": list(d.hashtags), "text": d.text,
            "error": d.error}


def to_dict(r: WeeklyReport) -> dict[str, Any]:
    """The whole report as plain data (``render`` writes the same, its deliveries encoded faster)."""
    return {**_head(r), "deliveries": [delivery(d) for d in r.deliveries], **_tail(r)}


def _head(r: WeeklyReport) -> dict[str, Any]:
    """The top level's keys before ``deliveries``."""
    bt, st = r.best_times, r.sentiment

    def reply(ex):
        return {"text": ex.text, "language": ex.language, "polarity": ex.polarity, "sentiment": ex.sentiment,
                "account": ex.account, "platform": ex.platform, "created_at": _t(ex.created_at),
                "post_url": ex.post_url}

    return {
        "version": VERSION,
        "report": "weekly",
        "generated_at": _t(r.generated_at),
        "timezone": r.timezone,
        "campaign": r.campaign,
        "complete": r.complete,
        "week": week(r.week),
        "previous_week": week(r.previous_week),
        "overall": section(r.overall),
        "campaigns": [section(s) for s in r.campaigns],
        "best_times": {
            "since": _t(bt.since), "until": _t(bt.until), "weeks": bt.weeks, "min_posts": bt.min_posts,
            "hours": [_slot(s, "hour") for s in bt.hours], "weekdays": [_slot(s, "weekday") for s in bt.weekdays],
            "best_hours": [_slot(s, "hour") for s in ranked_slots(bt.hours, bt.min_posts)],
            "best_weekdays": [_slot(s, "weekday") for s in ranked_slots(bt.weekdays, bt.min_posts)],
            "accounts": [_account_times(a) for a in bt.accounts],
        },
        "replies": {
            "total": st.counts.total, "by_sentiment": dict(st.counts.by_label),
            "by_language": [{"language": code, "total": c.total, "by_sentiment": dict(c.by_label)}
                            for code, c in st.by_language],
            "examples": {"positive": [reply(x) for x in st.positive], "negative": [reply(x) for x in st.negative]},
        },
        "attention": [{"account": a.account, "platform": a.platform, "kind": a.kind, "reason": a.reason,
                       "until": _t(a.until), "failed_posts": a.failed_posts, "failed_attempts": a.failed_attempts,
                       "expired_posts": a.expired_posts, "unapproved_posts": a.unapproved_posts}
                      for a in r.attention],
        "published_late": [{"delivery_id": d.delivery_id, "post_id": d.post_id, "account": d.account,
                            "platform": d.platform, "due_at": _t(d.due_at), "published_at": _t(d.published_at),
                            "late_seconds": _seconds(d.late), "url": d.url} for d in r.published_late],
    }


def _tail(r: WeeklyReport) -> dict[str, Any]:
    """The top level's keys after ``deliveries``."""
    return {
        "share_of_voice": [{"campaign": cv.slug, "name": cv.name, "hashtags": list(cv.hashtags),
                            "compare_tags": list(cv.compare_tags),
                            "platforms": [voice_row(row) for row in cv.rows]} for cv in r.share_of_voice],
        "inbox": _inbox(r),
    }


def _kinds(k) -> dict[str, Any]:
    return {"total": k.total, "by_kind": dict(k.counts), "answered": k.answered, "dismissed": k.dismissed}


def _inbox(r: WeeklyReport) -> dict[str, Any] | None:
    box = r.inbox
    if box is None:
        return None
    return {
        **_kinds(box.total),
        "campaigns": [{"campaign": k.slug, "name": k.name, **_kinds(k)} for k in box.by_campaign],
        "answers_sent": box.answers_sent,
        "open_questions": {"total": box.open_total, "listed": [
            {"reply_id": q.reply_id, "author": q.author, "text": q.text, "created_at": _t(q.created_at), "url": q.url,
             "account": q.account, "platform": q.platform, "post_id": q.post_id, "campaign": q.campaign}
            for q in box.open_questions]},
        "most_replied": [{"post_id": p.post_id, "delivery_id": p.delivery_id, "account": p.account,
                          "platform": p.platform, "url": p.url, "text": p.text, "replies": p.replies,
                          "by_kind": dict(p.kinds)} for p in box.most_replied],
    }


def voice_row(row: VoiceRow) -> dict[str, Any]:
    return {"platform": row.platform, "source": row.source, "day_zone": row.day_zone,
            "days": [d.isoformat() for d in row.days], "campaign_counts": dict(row.campaign_counts),
            "compare_counts": dict(row.compare_counts), "campaign_total": row.campaign_total,
            "compare_total": row.compare_total, "campaign_at_least": row.campaign_at_least,
            "compare_at_least": row.compare_at_least, "share": _rate(row.share), "share_bound": row.share_bound}


_DUMPS = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
#: a string as the encoder above writes it (``ensure_ascii=False``)
_string = json.encoder.encode_basestring


def render(report: WeeklyReport, t: Lang) -> str:
    # compact, on one line: Python's fast (C) encoder does not indent, and a week can hold
    # tens of thousands of deliveries (pipe through `jq .` to read it); those are written by
    # ``_deliveries``, byte for byte what the encoder writes for ``delivery(d)``
    head, tail = _DUMPS(_head(report)), _DUMPS(_tail(report))
    with no_cycle_collection():  # (strings and tuples: no cycles)
        deliveries = _deliveries(report.deliveries)
    return "".join((head[:-1], ',"deliveries":[', deliveries, "],", tail[1:], "\n"))


def _time(when: datetime | None) -> str:
    """``_t`` as JSON text (an ISO 8601 time needs no escaping)."""
    if when is None:
        return "null"
    if when.tzinfo is not timezone.utc:
        when = when.astimezone(timezone.utc)
    return '"' + when.isoformat()[:-6] + 'Z"'  # (less its "+00:00")


#: the types of the values that can share one memo entry (True == 1.0 == 1: each is written differently)
_NUMBERS: frozenset[type] = frozenset((int, type(None)))
_TEXTS: frozenset[type] = frozenset((str, type(None)))


def _key(k: str) -> str:
    return _DUMPS(k).replace("%", "%%") + ":"


#: the ``%``-template of a delivery: every key written out, its ``metrics`` and ``named_metrics`` one ``%s``
_TEMPLATE = ("{" + ",".join(_key(f) + "%s" for f in ("delivery_id", "post_id", "status", "campaign", "account",
                                                     "platform", "due_at", "published_at", "late_seconds",
                                                     "failed_at", "url", "snapshot_at", "gone"))
             + ",%s," + ",".join(_key(f) + "%s" for f in ("interactions", "engagement_rate", "hashtags", "text",
                                                          "error")) + "}")


def _figures(key: tuple) -> str:
    """``"metrics":{…},"named_metrics":[…]`` of a platform's delivery with these figures (``METRICS``' order)."""
    platform, figures = key
    values = dict(zip(METRICS, figures))
    info = PLATFORMS.get(platform)
    named = [] if info is None else [{"metric": m, "name": info.metric_label(m), "value": values[m]}
                                     for m in info.metrics]
    return _DUMPS({"metrics": values, "named_metrics": named})[1:-1]


def _deliveries(deliveries: Sequence[DeliveryLine]) -> str:
    """``delivery(d)`` of each line as JSON text, ``,`` between them, without building their dicts:
    column by column, the keys written once (``_TEMPLATE``), each distinct value (a metric's number,
    a name, a text, a list of tags) encoded once, the times through per-hour tables — byte for byte
    what the encoder writes for ``delivery(d)`` (``tests/monitoring/test_report_formats.py`` holds
    them side by side)."""
    if not deliveries:
        return ""
    lines = DeliveryLines.of(deliveries)  # (the report's own are columns already)
    col = lines.columns.__getitem__

    ints = Memo(_DUMPS)

    def nums(values: list) -> list[str]:
        return list(map(ints.__getitem__, values)) if set(map(type, values)) <= _NUMBERS else list(map(_DUMPS, values))

    def ident(values: list) -> list[str]:
        return list(map(repr, values)) if set(map(type, values)) <= {int} else list(map(_DUMPS, values))

    texts = Memo(_DUMPS)

    def txt(values: list) -> list[str]:
        return list(map(texts.__getitem__, values)) if set(map(type, values)) <= _TEXTS else list(map(_DUMPS, values))

    hours: dict = {}

    def times(values: list) -> list[str]:
        return utc_column(values, _time, hours, none="null", start='"', end='Z"', micro=True)

    figures = lines.figures
    keys = list(zip(col("platform"), figures))
    figures_of = Memo(_figures)
    if set(map(type, chain.from_iterable(figures))) <= _NUMBERS:
        metrics = list(map(figures_of.__getitem__, keys))
    else:
        metrics = [figures_of[k] if _NUMBERS.issuperset(map(type, k[1])) else _figures(k) for k in keys]
    rates = [repr(r) if type(r) is float and math.isfinite(r) else "null" if r is None else _DUMPS(r)
             for r in map(_rate, col("engagement_rate"))]
    tag_lists = list(map(tuple, col("hashtags")))
    if set(map(type, chain.from_iterable(tag_lists))) <= {str}:
        tags = list(map(Memo(lambda t: "[" + ",".join(map(texts.__getitem__, t)) + "]").__getitem__, tag_lists))
    else:
        tags = ["[" + ",".join(map(_DUMPS, t)) + "]" for t in tag_lists]
    urls = col("url")
    urls = ["null" if u is None else _string(u) for u in urls] if set(map(type, urls)) <= _TEXTS else list(
        map(_DUMPS, urls))
    gone = [_BOOLS[g] if type(g) is bool else _DUMPS(g) for g in col("gone")]
    late = nums([None if v is None else int(v.total_seconds()) for v in col("late")])
    cols = (ident(col("delivery_id")), ident(col("post_id")), txt(col("status")), txt(col("campaign")),
            txt(col("account")), txt(col("platform")), times(col("due_at")), times(col("published_at")), late,
            times(col("failed_at")), urls, times(col("snapshot_at")), gone, metrics, nums(col("interactions")), rates,
            tags, txt(col("text")), txt(col("error")))
    return ",".join(map(_TEMPLATE.__mod__, zip(*cols)))


_BOOLS = {True: "true", False: "false"}
