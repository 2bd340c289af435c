"""The replies inbox: strangers' replies to the accounts' posts, most urgent first, each ``new``
until it is answered (from here, or on the platform by the account itself) or dismissed.

An answer is a post (``Post.answers_reply_id``) with one delivery on the account that was
replied to: checked like any post (its length as the platform counts it, the account's daily
cap), published by the engine exactly once (threaded under the reply: ``OutgoingPost.answer``),
and the reply is marked answered in the same transaction that records it published.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Sequence

from sqlalchemy import Update, and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from campaigner import db
from campaigner.app import App
from campaigner.errors import InvalidInput, NotFound
from campaigner.i18n import N_, _
from campaigner.models import (Account, Campaign, Delivery, DeliveryPart, DeliveryStatus as S, Post, Reply,
                               ReplyState)

#: a question or an opposing reply on a post published this recently comes first
RECENT_POSTS = timedelta(days=3)
URGENT_KINDS = ("question", "oppose")
KINDS = ("question", "support", "oppose", "other")
STATES = tuple(s.value for s in ReplyState)
#: a reply's state in a sentence (the codes stay English in --json)
_STATES = {"new": N_("new"), "answered": N_("answered"), "dismissed": N_("dismissed")}
#: an answer in one of these states has not gone out yet (nor failed for good)
WAITING = (S.DRAFT, S.QUEUED, S.PUBLISHING, S.UNCONFIRMED)
#: how many replies ``replies list`` shows unless told
DEFAULT_LIMIT = 50
#: how far up a conversation ``show`` follows replies to replies
MAX_CHAIN = 50
#: a Mastodon account as its statuses name it: an answer there starts with it (the replier is told)
_ACCT = re.compile(r"[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9.-]{1,253})?")
#: the largest id an ``Integer`` primary key holds on PostgreSQL (an id beyond it names nothing)
_MAX_ID = 2**31 - 1


def mark_answered(reply_id: int, at: datetime) -> Update:
    """The statement that marks reply ``reply_id`` answered at ``at`` (kept as it is when it is
    answered already); for the engine's transaction that records an answer published."""
    return (update(Reply).where(Reply.id == reply_id, Reply.state != ReplyState.ANSWERED)
            .values(state=ReplyState.ANSWERED, state_at=at).execution_options(synchronize_session=False))


@dataclass(frozen=True)
class InboxReply:
    """One reply as the inbox shows it."""

    id: int
    state: str
    kind: str | None
    sentiment: str | None
    author: str
    account: str
    platform: str
    timezone: str | None
    created_at: datetime
    text: str
    #: the reply's own address, else the post's (some platforms give none for a reply)
    url: str | None
    post_id: int
    delivery_id: int
    post_url: str | None
    campaign: str | None
    urgent: bool
    #: what it answers: the start of our post, or the author of the reply it answers
    post_text: str = ""
    in_reply_to: str | None = None
    kind_reason: str | None = None
    language: str | None = None
    ours: bool = False
    state_at: datetime | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "state": self.state, "kind": self.kind, "kind_reason": self.kind_reason,
                "sentiment": self.sentiment, "language": self.language, "author": self.author,
                "account": self.account, "platform": self.platform, "created_at": self.created_at,
                "text": self.text, "url": self.url, "post_id": self.post_id, "post_url": self.post_url,
                "post_text": self.post_text, "in_reply_to": self.in_reply_to, "campaign": self.campaign,
                "urgent": self.urgent, "ours": self.ours, "state_at": self.state_at}


def _urgent(recent: datetime):
    """SQL: a reply that comes first — new, a question or opposition, written since ``recent`` on
    a post published since then (a reply is never older than its post: the bound on the reply's own
    time lets the index on it find them)."""
    return and_(Reply.state == ReplyState.NEW, Reply.kind.in_(URGENT_KINDS), Delivery.published_at >= recent,
                Reply.created_at >= recent)


def _not_urgent(recent: datetime):
    """SQL: the rest (NULL-safe: a reply not classified yet is among the rest)."""
    return or_(Reply.state != ReplyState.NEW, Reply.kind.is_(None), Reply.kind.not_in(URGENT_KINDS),
               Delivery.published_at.is_(None), Delivery.published_at < recent, Reply.created_at < recent)


def _columns(recent: datetime):
    urgent = case((_urgent(recent), 0), else_=1)
    return urgent, (Reply.id, Reply.state, Reply.kind, Reply.sentiment, Reply.author, Account.name, Account.platform,
                    Account.timezone, Reply.created_at, Reply.text, Reply.url, Delivery.post_id, Delivery.id,
                    Delivery.remote_url, Campaign.slug, urgent, Reply.parent_remote_id, Reply.kind_reason,
                    Reply.language, Reply.ours, Reply.state_at)


def _joined(q):
    return (q.join(Delivery, Delivery.id == Reply.delivery_id).join(Account, Account.id == Delivery.account_id)
            .join(Post, Post.id == Delivery.post_id).outerjoin(Campaign, Campaign.id == Post.campaign_id))


def _rows(s: Session, rows: Sequence[Any]) -> list[InboxReply]:
    """``InboxReply`` for each row of ``_columns``, with what each answers (the post's first part,
    or the author of the reply it answers), read in two queries for the whole page."""
    deliveries = {r[12] for r in rows}
    texts = dict(s.execute(select(DeliveryPart.delivery_id, DeliveryPart.text)
                           .where(DeliveryPart.delivery_id.in_(deliveries), DeliveryPart.position == 0)).all()) \
        if deliveries else {}
    wanted = {(r[12], r[16]) for r in rows if r[16]}
    parents: dict[tuple[int, str], str] = {}
    if wanted:
        for did, rid, author in s.execute(select(Reply.delivery_id, Reply.remote_id, Reply.author).where(
                Reply.delivery_id.in_({d for d, _ in wanted}), Reply.remote_id.in_({r for _, r in wanted}))):
            parents[(did, rid)] = author
    out = []
    for r in rows:
        (rid, state, kind, sentiment, author, account, platform, zone, created, text, url, post_id, did, post_url,
         campaign, urgent, parent, reason, language, ours, state_at) = r
        out.append(InboxReply(rid, str(state), kind, sentiment, author, account, platform, zone, created, text,
                              url or post_url, post_id, did, post_url, campaign, urgent == 0,
                              post_text=texts.get(did, ""), in_reply_to=parents.get((did, parent)) if parent else None,
                              kind_reason=reason, language=language, ours=bool(ours), state_at=state_at))
    return out


def _choice(value: str | None, allowed: Sequence[str], flag: str) -> str | None:
    if value is None:
        return None
    v = value.strip().lower()
    if v not in allowed:
        raise InvalidInput((_("unknown state {value!r}") if flag == "--state" else _("unknown kind {value!r}")).format(
            value=value), _("{flag} takes one of {values}").format(flag=flag, values=", ".join(allowed)))
    return v


def list_replies(app: App, *, campaign: str | None = None, account: str | None = None, post: int | None = None,
                 since: datetime | None = None, state: str | None = None, kind: str | None = None,
                 limit: int | None = DEFAULT_LIMIT) -> list[InboxReply]:
    """Replies by others to the accounts' posts, most urgent first: new questions and opposition
    on posts published in the last ``RECENT_POSTS`` (``_urgent``), then the rest; newest first
    within each. ``limit`` None: all of them. Two queries, the urgent then the rest, each walking
    the index on the replies' time and stopping at ``limit``: an ``ORDER BY`` on the urgency
    would sort every matching reply first (a million of them take seconds)."""
    from campaigner.services import campaigns as campaigns_svc, groups

    state, kind = _choice(state, STATES, "--state"), _choice(kind, KINDS, "--kind")
    if limit is not None and limit < 1:
        raise InvalidInput(_("--limit {limit} is not a number of replies").format(limit=limit),
                           _("give 1 or more (or --all)"))
    now = app.now()
    recent = now - RECENT_POSTS
    _order, columns = _columns(recent)
    q = _joined(select(*columns)).where(Reply.ours.is_(False))
    with db.read(app.engine) as s:
        if campaign is not None:
            q = q.where(Post.campaign_id == campaigns_svc.get(s, campaign).id)
        if account is not None:  # an account, or a group of them
            q = q.where(Delivery.account_id.in_([a.id for a in groups.accounts_named(s, account)]))
        if post is not None:
            if not 0 < post <= _MAX_ID or s.get(Post, post) is None:
                raise NotFound(_("no post with id {id}").format(id=post), _("see `campaigner post list`"))
            q = q.where(Delivery.post_id == post)
        if since is not None:
            q = q.where(Reply.created_at >= since)
        if state is not None:
            q = q.where(Reply.state == ReplyState(state))
        if kind is not None:
            q = q.where(Reply.kind == kind)
        q = q.order_by(Reply.created_at.desc(), Reply.id.desc())
        first = s.execute(q.where(_urgent(recent)).limit(limit)).all()
        rest = [] if limit is not None and len(first) >= limit else s.execute(
            q.where(_not_urgent(recent)).limit(None if limit is None else limit - len(first))).all()
        return _rows(s, [*first, *rest])


def count_replies(app: App, *, state: str = "new") -> dict[str, int]:
    """Replies by others in ``state`` by kind ("unclassified" for none yet)."""
    with db.read(app.engine) as s:
        return {kind or "unclassified": n for kind, n in s.execute(
            select(Reply.kind, func.count()).where(Reply.ours.is_(False), Reply.state == ReplyState(state))
            .group_by(Reply.kind))}


@dataclass(frozen=True)
class AnswerPost:
    """An answer sent (or to be sent) from the inbox: its post, delivery and where it stands."""

    post_id: int
    delivery_id: int
    account: str
    status: str
    text: str
    due_at: datetime
    published_at: datetime | None
    url: str | None
    error: str | None


@dataclass(frozen=True)
class Conversation:
    """``replies show``: the reply, our post it is under, the replies above it (the nearest
    last), and the account's own answers below it: those sent from the inbox, and those written on
    the platform (seen by collection)."""

    reply: InboxReply
    post_text: str
    post_url: str | None
    post_published_at: datetime | None
    above: list[InboxReply] = field(default_factory=list)
    answers: list[AnswerPost] = field(default_factory=list)
    seen_answers: list[InboxReply] = field(default_factory=list)


def _get(s: Session, reply_id: int) -> Reply:
    reply = s.get(Reply, reply_id) if 0 < reply_id <= _MAX_ID else None
    if reply is None:
        raise NotFound(_("no reply with id {id}").format(id=reply_id), _("see `campaigner replies list`"))
    return reply


def show(app: App, reply_id: int) -> Conversation:
    now = app.now()
    _order, columns = _columns(now - RECENT_POSTS)
    with db.read(app.engine) as s:
        reply = _get(s, reply_id)
        [row] = _rows(s, s.execute(_joined(select(*columns)).where(Reply.id == reply_id)).all())
        delivery = s.get(Delivery, reply.delivery_id)
        assert delivery is not None  # a reply's delivery is never deleted before it
        post_text = s.scalar(select(DeliveryPart.text).where(DeliveryPart.delivery_id == delivery.id,
                                                             DeliveryPart.position == 0)) or ""
        above: list[InboxReply] = []
        parent, seen = reply.parent_remote_id, {reply.remote_id}
        while parent and parent != delivery.remote_id and parent not in seen and len(above) < MAX_CHAIN:
            seen.add(parent)
            up = s.execute(_joined(select(*columns)).where(Reply.delivery_id == delivery.id,
                                                           Reply.remote_id == parent)).all()
            if not up:
                break
            [item] = _rows(s, up)
            above.append(item)
            parent = s.scalar(select(Reply.parent_remote_id).where(Reply.id == item.id))
        above.reverse()
        posts = list(s.scalars(select(Post).where(Post.answers_reply_id == reply_id).order_by(Post.id)))
        answers = [AnswerPost(p.id, d.id, d.account.name, d.status.value, d.parts[0].text if d.parts else "",
                              d.due_at, d.published_at, d.remote_url, d.last_error)
                   for p in posts for d in p.deliveries]
        sent = {d.remote_id for p in posts for d in p.deliveries if d.remote_id}
        ours = s.execute(_joined(select(*columns)).where(Reply.delivery_id == delivery.id, Reply.ours.is_(True),
                                                         Reply.parent_remote_id == reply.remote_id,
                                                         Reply.remote_id.not_in(sent))
                         .order_by(Reply.created_at, Reply.id)).all()
        seen_answers = _rows(s, ours)
        return Conversation(row, post_text, delivery.remote_url, delivery.published_at, above, answers, seen_answers)


def _theirs(reply: Reply, verb: str) -> None:
    if reply.ours:
        raise InvalidInput(_("reply {id} is the account's own answer, not someone's reply").format(id=reply.id),
                           {"answered": _("only replies by others can be answered (see `campaigner replies show "
                                          "{id}`)"),
                            "dismissed": _("only replies by others can be dismissed (see `campaigner replies show "
                                           "{id}`)"),
                            "reopened": _("only replies by others can be reopened (see `campaigner replies show "
                                          "{id}`)")}[verb].format(id=reply.id))


def dismiss(app: App, reply_ids: Sequence[int]) -> list[int]:
    """Dismiss new replies (nothing to answer); every id is checked before any changes. Returns the
    ids dismissed now (one dismissed already is left as it is)."""
    return _move(app, reply_ids, ReplyState.DISMISSED)


def reopen(app: App, reply_ids: Sequence[int]) -> list[int]:
    """Put dismissed replies back in the inbox as new."""
    return _move(app, reply_ids, ReplyState.NEW)


def _move(app: App, reply_ids: Sequence[int], to: ReplyState) -> list[int]:
    if not reply_ids:
        raise InvalidInput(_("no reply id given"), _("give one or more ids from `campaigner replies list`"))
    now = app.now()
    verb = "dismissed" if to == ReplyState.DISMISSED else "reopened"
    source = ReplyState.NEW if to == ReplyState.DISMISSED else ReplyState.DISMISSED
    moved = []
    with db.write(app.engine) as s:
        for rid in dict.fromkeys(reply_ids):
            reply = _get(s, rid)
            _theirs(reply, verb)
            if reply.state == to:
                continue
            if reply.state != source:
                raise InvalidInput(_("reply {id} is {state}, not {wanted}").format(
                                       id=rid, state=_(_STATES[reply.state.value]), wanted=_(_STATES[source.value])),
                                   _("only new replies can be dismissed") if to == ReplyState.DISMISSED
                                   else _("only dismissed replies can be reopened"))
            moved.append(rid)
        if moved:
            s.execute(update(Reply).where(Reply.id.in_(moved), Reply.state == source)
                      .values(state=to, state_at=now if to == ReplyState.DISMISSED else None)
                      .execution_options(synchronize_session=False))
    return moved


@dataclass(frozen=True)
class Queued:
    """What ``answer`` queued."""

    post_id: int
    delivery_id: int
    reply_id: int
    account: str
    platform: str
    text: str
    due_at: datetime
    account_paused: bool
    #: a draft: the account requires approval (``post approve``), it goes out only once approved
    draft: bool = False


def answer(app: App, reply_id: int, text: str) -> Queued:
    """Queue ``text`` as the account's answer under reply ``reply_id``, on the same platform, to go
    out now: checked like any post (nothing is written if a check fails). On Mastodon the answer
    names the replier (``@acct``) unless it does already, so they are told of it."""
    from connectors.registry import platform_info

    from campaigner.services.planning import Draft, Planner, When
    from campaigner.services.posts import write_plans

    now = app.now()
    with db.write(app.engine) as s:
        reply = _get(s, reply_id)
        _theirs(reply, "answered")
        if reply.state == ReplyState.DISMISSED:
            raise InvalidInput(_("reply {id} was dismissed").format(id=reply_id),
                               _("to answer it after all: campaigner replies reopen {id}, then answer it").format(
                                   id=reply_id))
        delivery = s.get(Delivery, reply.delivery_id)
        assert delivery is not None
        account = delivery.account
        info = platform_info(account.platform)
        if not info.answers:
            raise InvalidInput(_("cannot answer on {account} ({platform}): {reason}").format(
                                   account=account.name, platform=info.label, reason=_(info.no_answers)),
                               _("answer on {platform} itself; the next `campaigner metrics collect` sees it and "
                                 "marks reply {id} answered (or: campaigner replies dismiss {id})").format(
                                   platform=info.label, id=reply_id)
                               if info.replies else
                               _("answer there by hand, then: campaigner replies dismiss {id}").format(id=reply_id))
        waiting = s.scalar(select(Post.id).join(Delivery, Delivery.post_id == Post.id)
                           .where(Post.answers_reply_id == reply_id, Delivery.status.in_(WAITING))
                           .limit(1))
        if waiting is not None:
            raise InvalidInput(_("reply {id} already has an answer waiting to go out (post {post})").format(
                                   id=reply_id, post=waiting),
                               _("see `campaigner post show {post}`; change it with `campaigner post edit {post}` "
                                 "or cancel it with `campaigner post cancel {post}`").format(post=waiting))
        body = text.strip()
        if (account.platform == "mastodon" and _ACCT.fullmatch(reply.author)
                and f"@{reply.author}".lower() not in body.lower()):
            body = f"@{reply.author} {body}" if body else body
        with Planner(app, s, now) as planner:
            plan = planner.plan(Draft(body, [account.name], When("now"), source=f"answer to reply {reply_id}"))
            [post_id] = write_plans(app, s, [plan], now)
        s.execute(update(Post).where(Post.id == post_id).values(answers_reply_id=reply_id)
                  .execution_options(synchronize_session=False))
        planned = plan.deliveries[0]
        delivery_id = s.scalar(select(Delivery.id).where(Delivery.post_id == post_id))
        assert delivery_id is not None
        return Queued(post_id, delivery_id, reply_id, account.name, account.platform, planned.parts[0],
                      planned.due_at, account.status.value != "active", plan.needs_approval)
