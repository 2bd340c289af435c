"""Replies to published posts: collected where the platform allows it, stored once, scored for
sentiment (tone) and classified by kind (stance toward the post's campaign: ``content.stance``).

The account's own replies under a stored reply (an answer written on the platform, or sent from the
inbox) are stored too, marked ``ours`` (never in the inbox, never counted), and mark that reply
answered; its own thread parts are not stored.

A reply is a stranger's text: every field is bounded to its column and normalised before it is
stored (``content.untrusted``), and each reply is written in its own savepoint, so one that the
database still refuses is logged and skipped instead of ending the run for every other account.
"""
from __future__ import annotations

import logging
import weakref
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import partial
from typing import Callable, cast

from sqlalchemy import ColumnElement, String, func, or_, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from campaigner import db
from campaigner.app import App
from campaigner.errors import CampaignerError
from campaigner.models import (Account, AccountStatus, Campaign, Delivery, DeliveryStatus as S, Post, Reply,
                               ReplyState)
from campaigner.services.accounts import connector as account_connector
from campaigner.services.metrics import skip_reason
from connectors.base import Connector, FindsAnswers, Reply as Found, one_line
from content import classifier_version
from content.stance import Stance, Targets, classify
from content.untrusted import MAX_TEXT, language_tag, storable, storable_id, storable_line

log = logging.getLogger(__name__)

#: replies are looked for during a post's first week
HORIZON = timedelta(days=7)
#: a poll looks back this far before the newest stored reply: one stored with the time it was
#: seen (it had none, or a future one) must not hide replies stamped a little earlier that the
#: platform shows only later; those already stored are known by their ids
LOOK_BACK = timedelta(minutes=10)
#: at most this many extra requests per run look for the account's own answers to replies still
#: new that the poll's window no longer covers (X: one search per post for all of them, plus a
#: page in the rare case; Facebook and Threads: one request per reply)
ANSWER_CHECKS = 20


@dataclass
class RepliesReport:
    new: int = 0
    requests: int = 0
    skipped_accounts: dict[str, str] = field(default_factory=dict)
    #: replies the database refused even bounded (logged; the others were stored)
    refused: int = 0
    #: replies stored earlier judged again: with no kind yet (before schema 0011), or judged by
    #: another version of the classifier (at most ``RECLASSIFY_PER_RUN``, the newest first)
    classified: int = 0
    #: new replies by kind
    kinds: dict[str, int] = field(default_factory=dict)
    #: replies marked answered because the account itself answered them on the platform
    answered: int = 0
    #: extra requests made to look for answers to replies older than a poll's window
    answer_checks: int = 0


def _length(column: str) -> int:
    """The length of a string column of ``replies``: what comes from outside is cut to it."""
    return cast(String, Reply.__table__.c[column].type).length or 0


REMOTE_ID, AUTHOR, KIND_REASON = _length("remote_id"), _length("author"), _length("kind_reason")
#: the longest address of a reply kept (a platform's own are far shorter)
MAX_URL = 2048
#: replies classified in one transaction when kinds are (re)computed
CLASSIFY_BATCH = 2000
#: at most this many replies judged by another classifier are judged again by one collection of
#: replies (or one poll of the engine that collected none): a few seconds of work, so a poll is
#: never held up for long by a new release's classifier; ``campaigner replies reclassify`` does all
RECLASSIFY_PER_RUN = 2 * CLASSIFY_BATCH
#: once a poll found none left to judge again, the next polls do not look while no reply was stored
#: since (the newest reply's id is the same) — for at most this long: a worker of an older release
#: may judge stored replies again meanwhile (no new id), and this one must notice
RECHECK_AFTER = timedelta(hours=1)


def stance(text: str, targets: Targets) -> Stance:
    """The kind of a stored reply toward a campaign with ``targets``, its reason cut to the column."""
    verdict = classify(text, targets)
    return verdict._replace(reason=storable_line(verdict.reason, KIND_REASON))


def judged_elsewhere() -> ColumnElement[bool]:
    """Replies whose kind was decided by another version of the classifier than this process's,
    or by none known (before schema 0018, or no kind at all): they are to be judged again."""
    version = classifier_version.current()
    return or_(Reply.kind_version.is_(None), Reply.kind_version != version, Reply.kind.is_(None))


def targets_of(campaign: Campaign | None) -> Targets:
    """A campaign's targets (none for a post without a campaign: the government and employers
    are still targets, see ``content.stance``)."""
    if campaign is None:
        return Targets()
    return Targets(tuple(campaign.targets_against or ()), tuple(campaign.targets_for or ()))


def _delivery_targets(s: Session, did: int) -> Targets:
    """The targets of delivery ``did``'s campaign, read under a share lock on PostgreSQL: a
    ``campaign edit`` that changes them (and classifies the campaign's replies again) waits for
    this transaction's replies, or this one waits for its new targets."""
    campaign = s.scalar(select(Campaign).join(Post, Post.campaign_id == Campaign.id).join(Delivery)
                        .where(Delivery.id == did).with_for_update(read=True))
    return targets_of(campaign)


def classify_replies(s: Session, *, campaign_id: int | None = None, only_pending: bool = False) -> tuple[int, int]:
    """Classify stored replies again in session ``s`` (its transaction): those of posts of
    ``campaign_id`` (None: of every campaign, and of posts with none), or only those with no kind
    yet. Returns (replies classified, of which changed kind)."""
    campaigns = {c.id: c for c in s.scalars(select(Campaign) if campaign_id is None
                                                 else select(Campaign).where(Campaign.id == campaign_id))}
    version = classifier_version.current()
    q = (select(Reply.id, Reply.text, Reply.kind, Reply.kind_reason, Reply.kind_version, Post.campaign_id)
         .join(Delivery, Delivery.id == Reply.delivery_id).join(Post, Post.id == Delivery.post_id)
         .order_by(Reply.id))
    if campaign_id is not None:
        q = q.where(Post.campaign_id == campaign_id)
    q = q.where(Reply.ours.is_(False))
    if only_pending:
        q = q.where(Reply.kind.is_(None))
    done = changed = 0
    after = 0
    while True:
        rows = s.execute(q.where(Reply.id > after).limit(CLASSIFY_BATCH)).all()
        if not rows:
            return done, changed
        new = []
        for rid, text, kind, reason, was, cid in rows:
            verdict = stance(text, targets_of(campaigns.get(cid) if cid is not None else None))
            if (kind, reason, was) != (*verdict, version):
                new.append({"id": rid, "kind": verdict.kind, "kind_reason": verdict.reason, "kind_version": version})
                changed += kind != verdict.kind
        if new:
            s.execute(update(Reply), new)
        done += len(rows)
        after = rows[-1][0]


def classify_pending(app: App) -> int:
    """Give a kind to every stored reply that has none (stored before schema 0011), a batch per
    transaction; the number classified."""
    total = 0
    while True:
        with db.write(app.engine) as s:
            ids = list(s.scalars(select(Reply.id).where(Reply.kind.is_(None), Reply.ours.is_(False))
                                 .order_by(Reply.id).limit(CLASSIFY_BATCH)))
            if not ids:
                return total
            rows = s.execute(select(Reply.id, Reply.text, Post.campaign_id)
                             .join(Delivery, Delivery.id == Reply.delivery_id).join(Post, Post.id == Delivery.post_id)
                             .where(Reply.id.in_(ids))).all()
            campaigns = {c.id: c for c in s.scalars(select(Campaign).where(
                Campaign.id.in_({cid for _, _, cid in rows if cid is not None})))}
            new = []
            version = classifier_version.current()
            for rid, text, cid in rows:
                verdict = stance(text, targets_of(campaigns.get(cid) if cid is not None else None))
                new.append({"id": rid, "kind": verdict.kind, "kind_reason": verdict.reason, "kind_version": version})
            s.execute(update(Reply), new)
            total += len(new)


@dataclass
class Reclassified:
    #: replies judged again
    done: int = 0
    #: of which the kind changed
    changed: int = 0


def reclassify(app: App, *, campaign: str | None = None, limit: int | None = None) -> Reclassified:
    """Judge again the stored replies whose kind another version of the classifier decided (a
    release changed the stance rules or their data; or judged before schema 0018, or never): of
    the posts of ``campaign`` (its slug or name) only, or all; the newest first (the inbox and
    this week's report see the current classifier soonest), ``CLASSIFY_BATCH`` a transaction, at
    most ``limit``. Its sentiment (language, polarity, label) is judged again too, on the stored
    text with the stored language as a hint: the version covers the sentiment lexicon. Only these,
    the kind, its reason and its version change: an answered or dismissed reply stays so. The
    targets of each campaign are read under a share lock, as when replies are stored (``campaign
    edit`` changing them waits for the batch, or the batch for the new targets)."""
    from content.sentiment import score

    version = classifier_version.current()
    q = (select(Reply.id, Reply.text, Reply.kind, Reply.language, Post.campaign_id)
         .join(Delivery, Delivery.id == Reply.delivery_id).join(Post, Post.id == Delivery.post_id)
         .where(Reply.ours.is_(False), judged_elsewhere()).order_by(Reply.id.desc()))
    if campaign is not None:
        from campaigner.services.campaigns import get as get_campaign

        with db.read(app.engine) as s:
            q = q.where(Post.campaign_id == get_campaign(s, campaign).id)
    out = Reclassified()
    before: int | None = None
    while limit is None or out.done < limit:
        batch = CLASSIFY_BATCH if limit is None else min(CLASSIFY_BATCH, limit - out.done)
        with db.write(app.engine) as s:
            rows = s.execute((q if before is None else q.where(Reply.id < before)).limit(batch)).all()
            if not rows:
                break
            campaigns = {c.id: c for c in s.scalars(
                select(Campaign).where(Campaign.id.in_({cid for *_, cid in rows if cid is not None}))
                .with_for_update(read=True))}
            new = []
            for rid, text, kind, language, cid in rows:
                verdict = stance(text, targets_of(campaigns.get(cid) if cid is not None else None))
                tone = score(text, language_hint=language)
                new.append({"id": rid, "kind": verdict.kind, "kind_reason": verdict.reason, "kind_version": version,
                            "language": tone.language or language, "polarity": tone.polarity,
                            "sentiment": tone.label})
                out.changed += kind != verdict.kind
            s.execute(update(Reply), new)
        out.done += len(rows)
        before = rows[-1][0]
    return out


@dataclass(frozen=True)
class _NoneLeft:
    """No stored reply was judged by another classifier than ``version`` when the newest reply's
    id was ``newest`` (None: no reply at all), as of ``at``."""

    version: str
    newest: int | None
    at: datetime


#: per database engine of this process (a test's, or the daemon's one): what its last search found
_none_left: weakref.WeakKeyDictionary[Engine, _NoneLeft] = weakref.WeakKeyDictionary()


def reclassify_some(app: App) -> Reclassified:
    """What one poll of the engine (or one collection of replies) judges again: at most
    ``RECLASSIFY_PER_RUN`` replies another classifier judged (``reclassify``). Cheap when none are
    left: after a search that found them all done, the next polls only read the newest reply's id
    (the primary key's last entry) and search again once it changed (replies were stored since,
    perhaps by a worker of an older release), once this process's classifier version changed, or
    after ``RECHECK_AFTER`` — instead of searching every reply each time."""
    version, now, engine = classifier_version.current(), app.now(), app.engine
    with db.read(engine) as s:
        newest = s.scalar(select(func.max(Reply.id)))
    known = _none_left.get(engine)
    if known is not None and (known.version, known.newest) == (version, newest) and now - known.at < RECHECK_AFTER:
        return Reclassified()
    limit = RECLASSIFY_PER_RUN
    out = reclassify(app, limit=limit)
    if out.done < limit:  # every one found was judged: none left as of ``newest``
        _none_left[engine] = _NoneLeft(version, newest, now)
    else:
        _none_left.pop(engine, None)
    return out


def judged_elsewhere_count(app: App) -> int:
    """How many stored replies (not the account's own) another classifier judged, or none."""
    with db.read(app.engine) as s:
        return s.scalar(select(func.count()).select_from(Reply).where(Reply.ours.is_(False), judged_elsewhere())) or 0


def storable_url(value: object) -> str | None:
    """A reply's address as it may be stored and shown: an http(s) URL on one line, without
    spaces or control characters, at most ``MAX_URL`` characters; None otherwise."""
    if not isinstance(value, str) or len(value) > MAX_URL or not value.lower().startswith(("https://", "http://")):
        return None
    return value if value.isprintable() and not any(c.isspace() for c in value) else None


def _stored(r: Found, remote_id: str, did: int, now: datetime, targets: Targets) -> Reply:
    """The row for reply ``r`` (whose id as stored is ``remote_id``), every field bounded to its
    column and normalised; its sentiment and kind are judged on the stored text (not for the
    account's own: they are no one's opinion). A time in the future (or none) counts as ``now``:
    the newest reply's time, less ``LOOK_BACK``, is where the next poll starts."""
    from content.sentiment import score

    text = storable(r.text, MAX_TEXT)
    tag = language_tag(r.language)
    created = r.created_at if isinstance(r.created_at, datetime) else now
    created = min(created if created.tzinfo else created.replace(tzinfo=timezone.utc), now)
    row = Reply(delivery_id=did, remote_id=remote_id, author=storable_line(r.author, AUTHOR) or "?", text=text,
                created_at=created, language=tag, collected_at=now, url=storable_url(r.url),
                parent_remote_id=storable_id(r.in_reply_to, REMOTE_ID) if r.in_reply_to else None,
                ours=bool(r.ours), state=ReplyState.ANSWERED if r.ours else ReplyState.NEW)
    if not r.ours:
        verdict = score(text, language_hint=tag)
        kind = stance(text, targets)
        row.language, row.polarity, row.sentiment = verdict.language or tag, verdict.polarity, verdict.label
        row.kind, row.kind_reason, row.kind_version = kind.kind, kind.reason, classifier_version.current()
    return row


def _new_rows(s: Session, found: list[Found], did: int, now: datetime) -> list[Reply]:
    """The rows to store of what a poll of delivery ``did`` found: each reply by others not stored
    yet, and each of the account's own replies under a reply stored (or stored now) — not its
    thread parts, which answer its own post."""
    known = set(s.scalars(select(Reply.remote_id).where(Reply.delivery_id == did)))
    targets = _delivery_targets(s, did)
    rows = []
    for r in sorted(found, key=lambda r: r.ours):  # others first: their ids are what ours answer
        rid = storable_id(r.remote_id, REMOTE_ID)
        if rid in known:
            continue
        if r.ours and (not r.in_reply_to or storable_id(r.in_reply_to, REMOTE_ID) not in known):
            continue
        known.add(rid)
        rows.append(_stored(r, rid, did, now, targets))
    return rows


def _mark_answered(s: Session, did: int, answers: list[Reply]) -> int:
    """Replies of delivery ``did`` still new that one of ``answers`` (the account's own, just
    stored) answers become answered, at that answer's time; how many did."""
    marked = 0
    for answer in sorted(answers, key=lambda a: a.created_at):
        marked += db.rowcount(s.execute(
            update(Reply).where(Reply.delivery_id == did, Reply.remote_id == answer.parent_remote_id,
                                Reply.ours.is_(False), Reply.state == ReplyState.NEW)
            .values(state=ReplyState.ANSWERED, state_at=answer.created_at)
            .execution_options(synchronize_session=False)))
    return marked


def _open_before(app: App, did: int, before: datetime, limit: int) -> list[str]:
    """The remote ids of delivery ``did``'s replies by others still new and written before
    ``before`` (a poll from ``before`` would not see an answer older than it): questions first,
    then the newest; at most ``limit``."""
    with db.read(app.engine) as s:
        return list(s.scalars(
            select(Reply.remote_id).where(Reply.delivery_id == did, Reply.ours.is_(False),
                                          Reply.state == ReplyState.NEW, Reply.created_at < before)
            .order_by((Reply.kind == "question").desc(), Reply.created_at.desc(), Reply.id.desc()).limit(limit)))


def collect_replies(app: App, delivery_ids: set[int] | None = None, *,
                    connector_for: Callable[[Account], Connector] | None = None) -> RepliesReport:
    """Fetch the conversations under posts published in the last week (or ``delivery_ids``), store
    the new replies once each with their sentiment and kind (toward the post's campaign) and the
    account's own answers, and mark the replies it answered. A poll reads from the newest stored reply (less ``LOOK_BACK``); replies still new
    written before that are looked up for an answer of the account's with the platform's cheapest
    read (``FindsAnswers``), at most ``ANSWER_CHECKS`` extra requests a run, so one answered in
    the platform's app but shown by its API only later is not left new forever. Platforms without replies (Telegram) are skipped; so are the answers sent from the
    inbox (their conversation is their post's). At the end, at most ``RECLASSIFY_PER_RUN``
    stored replies judged by another classifier (or none) are judged again, the newest first
    (``reclassify_some``: nothing is searched while none are known to be left)."""
    now = app.now()
    newest = (select(Reply.delivery_id, func.max(Reply.created_at).label("at")).group_by(Reply.delivery_id)
              .subquery())
    q = (select(Delivery.id, Delivery.account_id, Delivery.remote_id, newest.c.at)
         .join(Account, Account.id == Delivery.account_id)
         .join(Post, Post.id == Delivery.post_id)
         .outerjoin(newest, newest.c.delivery_id == Delivery.id)
         .where(Delivery.status == S.PUBLISHED, Delivery.remote_id.is_not(None),
                Delivery.published_at >= now - HORIZON, Account.status == AccountStatus.ACTIVE,
                Post.answers_reply_id.is_(None)))
    if delivery_ids is not None:
        q = q.where(Delivery.id.in_(delivery_ids))
    todo: dict[int, list] = defaultdict(list)
    with db.read(app.engine) as s:
        for did, account_id, remote_id, since in s.execute(q):
            todo[account_id].append((did, remote_id, since))
        accounts = {a.id: a for a in s.scalars(select(Account).where(Account.id.in_(list(todo))))}
    report = RepliesReport()
    build = connector_for or partial(account_connector, app)
    for account_id, items in todo.items():
        account = accounts[account_id]
        try:
            connector = build(account)
        except CampaignerError as exc:
            report.skipped_accounts[account.name] = str(exc)
            continue
        for did, remote_id, since in items:
            try:
                found = connector.replies(remote_id, since and since - LOOK_BACK)
            except Exception as exc:  # a ConnectorError (NotSupported: Telegram), or an answer it could not read
                report.skipped_accounts[account.name] = skip_reason(exc)
                break
            report.requests += 1
            budget = ANSWER_CHECKS - report.answer_checks
            if since is not None and budget > 0 and isinstance(connector, FindsAnswers):
                stale = _open_before(app, did, since - LOOK_BACK, budget)
                if stale:
                    try:
                        extra = connector.answers(remote_id, stale)
                    except Exception as exc:  # as above: this account waits for the next run
                        report.skipped_accounts[account.name] = skip_reason(exc)
                        break
                    report.answer_checks += extra.requests
                    report.requests += extra.requests
                    found = [*found, *extra.found]
            if not found:
                continue
            with db.write(app.engine) as s:
                rows = _new_rows(s, found, did, now)
                refused = db.insert_each(s, rows, s.add)
                gone = {id(row) for row, _ in refused}
                report.answered += _mark_answered(s, did, [r for r in rows if r.ours and id(r) not in gone])
            for _row, refusal in refused:
                log.warning("a reply to %s's post (delivery %d) was not stored: %s", account.name, did,
                            one_line(str(refusal.orig), 300))
            report.refused += len(refused)
            for row in rows:
                if id(row) not in gone and not row.ours:
                    report.new += 1
                    if row.kind:
                        report.kinds[row.kind] = report.kinds.get(row.kind, 0) + 1
    for name, why in report.skipped_accounts.items():
        log.info("replies for %s not collected: %s", name, why)
    report.classified = reclassify_some(app).done
    return report
