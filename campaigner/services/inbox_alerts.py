"""The alerts the replies inbox raises (``[alerts]`` thresholds in the config file):

- ``opposition``: at least ``opposition_burst`` replies of kind *oppose* to one campaign's posts
  (to one post, for a post without a campaign) written within ``opposition_window_minutes``. The
  burst is counted over replies of the last ``LOOK_BACK`` (a reply may be collected an hour after it
  was written); one alert per burst: the next is counted from after the last reply of the previous.
- ``unanswered``: a question still new ``unanswered_hours`` after it was written (questions of the
  last ``LOOK_BACK_QUESTIONS``; one alert per question). Once the question is answered or
  dismissed, its alert is acknowledged by itself (and not sent if it was not yet).

Raised by ``campaigner alerts send``, by the worker's alert job and after each collection of
replies; one raiser at a time (PostgreSQL: a transaction-level advisory lock; SQLite: the write
lock), so several workers never raise the same alert twice.
"""
from __future__ import annotations

import logging
from collections import Counter, defaultdict
from datetime import datetime, timedelta

from sqlalchemy import exists, insert, select, update
from sqlalchemy.orm import Session

from campaigner import db
from campaigner.i18n import _, ngettext
from campaigner.app import App
from campaigner.models import Account, Alert, Campaign, Delivery, Post, Reply, ReplyState
from campaigner.times import format_local
from content.untrusted import one_line

log = logging.getLogger(__name__)

#: how far back a burst of opposition is looked for
LOOK_BACK = timedelta(hours=24)
#: questions older than this raise no alert (nor flood a new install's first digest)
LOOK_BACK_QUESTIONS = timedelta(days=7)
#: at most this many unanswered-question alerts per run (the rest come with the next)
MAX_QUESTIONS = 100
_LOCK = 724170016  # db.lock key of this module


def raise_alerts(app: App, now: datetime) -> int:
    """Raise the inbox's alerts due at ``now``; how many were raised."""
    cfg = app.settings.alerts
    with db.write(app.engine) as s:
        db.lock(s, _LOCK)
        handled = select(Reply.id).where(Reply.state != ReplyState.NEW)
        settled = s.execute(update(Alert).where(Alert.kind == "unanswered", Alert.acked_at.is_(None),
                                                Alert.reply_id.in_(handled))
                            .values(acked_at=now).execution_options(synchronize_session=False))
        raised = 0
        if cfg.unanswered_hours > 0:
            raised += _unanswered(s, app, now, timedelta(hours=cfg.unanswered_hours))
        if cfg.opposition_burst > 0:
            raised += _opposition(s, app, now, cfg.opposition_burst, timedelta(minutes=cfg.opposition_window_minutes))
    if db.rowcount(settled):
        log.info("%d unanswered-question alerts settled: their questions were answered or dismissed",
                 db.rowcount(settled))
    return raised


#: how much of a text an alert quotes
QUOTE = 120


def _unanswered(s: Session, app: App, now: datetime, after: timedelta) -> int:
    rows = s.execute(
        select(Reply.id, Reply.author, Reply.text, Reply.created_at, Reply.url, Delivery.id, Delivery.account_id,
               Delivery.remote_url, Account.name)
        .join(Delivery, Delivery.id == Reply.delivery_id).join(Account, Account.id == Delivery.account_id)
        .where(Reply.ours.is_(False), Reply.kind == "question", Reply.state == ReplyState.NEW,
               Reply.created_at <= now - after, Reply.created_at >= now - LOOK_BACK_QUESTIONS,
               ~exists().where(Alert.kind == "unanswered", Alert.reply_id == Reply.id))
        .order_by(Reply.created_at, Reply.id).limit(MAX_QUESTIONS)).all()
    alerts = []
    for rid, author, body, created, url, did, account_id, post_url, account in rows:
        hours = int((now - created) / timedelta(hours=1))
        message = _('question from {author} unanswered for {hours} h: "{text}" {url} — campaigner replies answer '
                    '{id} "…"').format(author=one_line(author, 60), hours=hours, text=one_line(body, QUOTE),
                                       url=url or post_url or "", id=rid).replace("  ", " ")
        alerts.append(dict(created_at=now, kind="unanswered", account_id=account_id, delivery_id=did, reply_id=rid,
                           message=message))
    refused = db.insert_each(s, alerts, lambda a: s.execute(insert(Alert).values(**a)))
    for a in alerts:
        log.warning("unanswered: %s", a["message"])
    return len(alerts) - len(refused)


def _opposition(s: Session, app: App, now: datetime, burst: int, window: timedelta) -> int:
    rows = s.execute(
        select(Reply.created_at, Post.campaign_id, Post.id, Delivery.id, Delivery.account_id)
        .join(Delivery, Delivery.id == Reply.delivery_id).join(Post, Post.id == Delivery.post_id)
        .where(Reply.ours.is_(False), Reply.kind == "oppose", Reply.created_at >= now - LOOK_BACK - window)
        .order_by(Reply.created_at)).all()
    groups: dict[tuple[str, int], list] = defaultdict(list)
    for row in rows:
        groups[("campaign", row[1]) if row[1] is not None else ("post", row[2])].append(row)
    if not groups:
        return 0
    ended = _last_bursts(s, now - LOOK_BACK - window)
    zone = app.settings.zone
    raised = 0
    for key, items in groups.items():
        since = ended.get(key)
        times = [r for r in items if since is None or r[0] > since]
        found = _first_burst([r[0] for r in times], burst, window)
        if found is None:
            continue
        start, end = found
        inside = [r for r in times if start <= r[0] <= end]
        did, count = Counter(r[3] for r in inside).most_common(1)[0]
        top = next(r for r in inside if r[3] == did)
        values = dict(n=len(inside), minutes=int(window / timedelta(minutes=1)), start=format_local(start, zone),
                      end=format_local(end, zone).split(" ", 1)[1], count=count, post=top[2])
        if key[0] == "campaign":
            slug = s.scalar(select(Campaign.slug).where(Campaign.id == key[1]))
            message = ngettext("{n} oppose reply to campaign {slug} within {minutes} min ({start} – {end}), {count} "
                               "of them on post {post} — campaigner replies list --kind oppose --campaign {slug}",
                               "{n} oppose replies to campaign {slug} within {minutes} min ({start} – {end}), {count} "
                               "of them on post {post} — campaigner replies list --kind oppose --campaign {slug}",
                               len(inside)).format(slug=slug, **values)
        else:
            message = ngettext("{n} oppose reply to post {target} within {minutes} min ({start} – {end}), {count} "
                               "of them on post {post} — campaigner replies list --kind oppose --post {target}",
                               "{n} oppose replies to post {target} within {minutes} min ({start} – {end}), {count} "
                               "of them on post {post} — campaigner replies list --kind oppose --post {target}",
                               len(inside)).format(target=key[1], **values)
        s.execute(insert(Alert).values(created_at=now, kind="opposition", account_id=top[4], delivery_id=did,
                                       campaign_id=key[1] if key[0] == "campaign" else None, burst_end=end,
                                       message=message))
        log.warning("opposition: %s", message)
        raised += 1
    return raised


def _last_bursts(s: Session, since: datetime) -> dict[tuple[str, int], datetime]:
    """Where the last burst alerted for each campaign (or post) ended."""
    out: dict[tuple[str, int], datetime] = {}
    for campaign_id, post_id, end in s.execute(
            select(Alert.campaign_id, Delivery.post_id, Alert.burst_end)
            .outerjoin(Delivery, Delivery.id == Alert.delivery_id)
            .where(Alert.kind == "opposition", Alert.burst_end >= since)):
        key = ("campaign", campaign_id) if campaign_id is not None else ("post", post_id)
        if end is not None and (key not in out or end > out[key]):
            out[key] = end
    return out


def _first_burst(times: list[datetime], burst: int, window: timedelta) -> tuple[datetime, datetime] | None:
    """The first ``window`` (sorted ``times``) holding ``burst`` of them: (its first, its last)."""
    for i in range(len(times) - burst + 1):
        if times[i + burst - 1] - times[i] <= window:
            last = i + burst - 1
            while last + 1 < len(times) and times[last + 1] - times[i] <= window:
                last += 1
            return times[i], times[last]
    return None
