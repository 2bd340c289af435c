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
from typing import Any, NamedTuple, Sequence

from sqlalchemy import (ColumnElement, Connection, Select, String, Update, and_, bindparam, case, func, literal_column,
                        or_, select, type_coerce, update)
from sqlalchemy.orm import Session

from campaigner import db
from campaigner.app import App
from campaigner.errors import InvalidInput, NotFound
from campaigner.i18n import N_, _
from campaigner.models import Delivery, DeliveryStatus as S, Post, Reply, ReplyState
from campaigner.tables import UTCDateTime
from campaigner.tables import accounts as t_accounts, campaigns as t_campaigns, deliveries as t_deliveries
from campaigner.tables import delivery_parts as t_parts, posts as t_posts, replies as t_replies

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


class InboxReply(NamedTuple):
    """One reply as the inbox shows it (a named tuple: a page of them is built at each ``replies
    list``, and a frozen dataclass of this many fields costs five times as much to build)."""

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


def _urgent(recent: Any) -> ColumnElement[bool]:
    """SQL: a reply that comes first — new, a question or opposition, written since ``recent`` (a
    time, or a bound parameter) on a post published since then (a reply is never older than its
    post: the bound on the reply's own time lets the index on it find them)."""
    r, d = t_replies.c, t_deliveries.c
    return and_(r.state == ReplyState.NEW, r.kind.in_(_URGENT_SQL), d.published_at >= recent, r.created_at >= recent)


def _not_urgent(recent: Any) -> ColumnElement[bool]:
    """SQL: the rest (NULL-safe: a reply not classified yet is among the rest)."""
    r, d = t_replies.c, t_deliveries.c
    return or_(r.state != ReplyState.NEW, r.kind.is_(None), r.kind.not_in(_URGENT_SQL), d.published_at.is_(None),
               d.published_at < recent, r.created_at < recent)


#: the urgent kinds written into the SQL (no list parameter to expand at each call)
_URGENT_SQL: list[ColumnElement[Any]] = [literal_column(f"'{k}'") for k in URGENT_KINDS]


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
    within each. ``limit`` None: all of them. Two queries, the urgent then the rest (only when the
    urgent ones leave room), each walking the index on the replies' time and stopping at ``limit``:
    an ``ORDER BY`` on the urgency would sort every matching reply first (a million of them take
    seconds) — except for one post's replies, which it sorts (``list_statements``).

    Read through Core (no Session, no ORM rows) with statements built once per set of filters and
    bound parameters (``list_statements``), so the Python around a fast query stays well under a
    millisecond: an ORM Session, a ``Session.get`` of the post, the statements built anew at each
    call and a third query for the posts' texts cost 10–20 ms, many times the query itself."""
    state, kind = _choice(state, STATES, "--state"), _choice(kind, KINDS, "--kind")
    if limit is not None and limit < 1:
        raise InvalidInput(_("--limit {limit} is not a number of replies").format(limit=limit),
                           _("give 1 or more (or --all)"))
    with db.read_core(app.engine) as conn:
        if conn.dialect.name == "postgresql":  # each select sees its own snapshot there anyway (READ COMMITTED):
            conn.execution_options(isolation_level="AUTOCOMMIT")  # no BEGIN and ROLLBACK sent around them;
            # so a reply whose state changes between the two may be in both (listed once, _inbox_rows)
        params = list_params(app, campaign=campaign, account=account, post=post, since=since, state=state,
                             kind=kind, conn=conn)
        rows: list[Any] = []
        for stmt in list_statements(frozenset(params) - {"recent"}, limit is not None):
            if limit is not None and len(rows) >= limit:
                break
            rows += conn.execute(stmt, params if limit is None else {**params, "limit": limit - len(rows)}).all()
        if post is not None and not rows and conn.scalar(_POST_EXISTS, {"post": post}) is None:
            raise _no_post(post)  # (a reply found is under the post: it exists)
        return _inbox_rows(conn, rows)


def list_params(app: App, *, campaign: str | None = None, account: str | None = None, post: int | None = None,
                since: datetime | None = None, state: str | None = None, kind: str | None = None,
                conn: Connection | None = None) -> dict[str, Any]:
    """The filters of ``list_replies`` checked (a campaign's or an account's name looked up, on
    ``conn`` if given) as the bound parameters of ``list_statements``, with ``recent`` (now less
    ``RECENT_POSTS``)."""
    state, kind = _choice(state, STATES, "--state"), _choice(kind, KINDS, "--kind")
    params: dict[str, Any] = {"recent": app.now() - RECENT_POSTS}
    if campaign is not None or account is not None:  # names to look up (a group's accounts): their services
        from campaigner.services import campaigns as campaigns_svc, groups

        with Session(conn) if conn is not None else db.read(app.engine) as s:
            if campaign is not None:
                params["campaign"] = campaigns_svc.get(s, campaign).id
            if account is not None:  # an account, or a group of them
                params["accounts"] = [a.id for a in groups.accounts_named(s, account)]
    if post is not None:
        if not 0 < post <= _MAX_ID:
            raise _no_post(post)
        params["post"] = post
    if since is not None:
        params["since"] = since
    if state is not None:
        params["state"] = ReplyState(state)
    if kind is not None:
        params["kind"] = kind
    return params


def _no_post(post: int) -> NotFound:
    return NotFound(_("no post with id {id}").format(id=post), _("see `campaigner post list`"))


_STATEMENTS: dict[tuple[frozenset[str], bool], tuple[Select[Any], ...]] = {}
_POST_EXISTS = select(t_posts.c.id).where(t_posts.c.id == bindparam("post"))


def list_statements(filters: frozenset[str], limited: bool) -> tuple[Select[Any], ...]:
    """The statements of ``list_replies`` with these ``filters`` (some of campaign, accounts, post,
    since, state and kind: the keys of ``list_params``, bound as parameters of those names, with
    ``recent`` and, when ``limited``, ``limit``), run in turn while they leave room; each row's
    last column is its urgency (0 urgent, 1 the rest). Most filters: two, the urgent replies then
    the rest, each newest first, walking the index on the replies' time. One post: one, its
    replies (found through the index on what they answer) ordered by urgency — a sort of that
    post's replies only, cheaper than walking every reply's time for them (a post with 20,000
    replies: 4 ms against 8). Built once and kept, so SQLAlchemy's compiled cache finds them."""
    key = (filters, limited)
    found = _STATEMENTS.get(key)
    if found is None:
        base, where, urgent, not_urgent = list_parts(filters)
        newest = (t_replies.c.created_at.desc(), t_replies.c.id.desc())
        if "post" in filters:
            urgency = case((urgent, 0), else_=1).label("urgency")
            found = (base.add_columns(urgency).where(*where).order_by(urgency, *newest),)
        else:
            found = tuple(base.add_columns(literal_column(str(n)).label("urgency")).where(*where, cond)
                          .order_by(*newest) for n, cond in enumerate((urgent, not_urgent)))
        if limited:
            found = tuple(stmt.limit(bindparam("limit")) for stmt in found)
        _STATEMENTS[key] = found
    return found


def list_parts(filters: frozenset[str]) -> tuple[Select[Any], list[ColumnElement[bool]], ColumnElement[bool],
                                                  ColumnElement[bool]]:
    """What ``list_statements`` are made of: the select of ``_list_columns`` from the joined tables,
    the conditions of the ``filters`` (``ours`` false among them), an urgent reply's condition and
    the rest's, on the bound parameter ``recent``."""
    r, d, p = t_replies.c, t_deliveries.c, t_posts.c
    where: list[ColumnElement[bool]] = [r.ours.is_(False)]
    if "campaign" in filters:
        where.append(p.campaign_id == bindparam("campaign"))
    if "accounts" in filters:
        where.append(d.account_id.in_(bindparam("accounts", expanding=True)))
    if "post" in filters:
        where.append(d.post_id == bindparam("post"))
    if "since" in filters:
        where.append(r.created_at >= bindparam("since"))
    if "state" in filters:
        where.append(r.state == bindparam("state"))
    if "kind" in filters:
        where.append(r.kind == bindparam("kind"))
    recent = bindparam("recent", type_=UTCDateTime)
    base = (select(*_list_columns()).select_from(t_replies)
            .join(t_deliveries, d.id == r.delivery_id).join(t_accounts, t_accounts.c.id == d.account_id)
            .join(t_posts, p.id == d.post_id).outerjoin(t_campaigns, t_campaigns.c.id == p.campaign_id))
    return base, where, _urgent(recent), _not_urgent(recent)


def _list_columns() -> tuple[Any, ...]:
    """The columns of ``list_statements``, in the order ``_inbox_rows`` reads them; the last is the
    text of the post's first part (a subquery on its unique key, read for the rows returned only)."""
    r, d, a, part = t_replies.c, t_deliveries.c, t_accounts.c, t_parts.c
    post_text = select(part.text).where(part.delivery_id == d.id, part.position == 0).scalar_subquery()
    # the state as the text it is stored as (an enum made of each row's, then a str of it, cost more)
    return (r.id, type_coerce(r.state, String), r.kind, r.sentiment, r.author, a.name, a.platform, a.timezone,
            r.created_at, r.text,
            r.url, d.post_id, d.id, d.remote_url, t_campaigns.c.slug, r.parent_remote_id, r.kind_reason,
            r.language, r.ours, r.state_at, post_text)


_PARENTS = (select(t_replies.c.delivery_id, t_replies.c.remote_id, t_replies.c.author)
            .where(t_replies.c.delivery_id.in_(bindparam("deliveries", expanding=True)),
                   t_replies.c.remote_id.in_(bindparam("remote_ids", expanding=True))))


def _inbox_rows(conn: Any, rows: Sequence[Any]) -> list[InboxReply]:
    """``InboxReply`` for rows of ``list_statements`` (a reply found by two of them, its state
    changed between them, kept where it was found first), with the author of the reply each
    answers, when it answers one, read in one more query for the whole page."""
    first_found: dict[int, Any] = {}
    for r in rows:
        first_found.setdefault(r[0], r)
    rows = list(first_found.values())
    wanted = {(r[12], r[15]) for r in rows if r[15]}
    parents: dict[tuple[int, str], str] = {}
    if wanted:
        for did, rid, author in conn.execute(_PARENTS, {"deliveries": list({d for d, _ in wanted}),
                                                        "remote_ids": list({r for _, r in wanted})}):
            parents[(did, rid)] = author
    return [InboxReply(rid, state, kind, sentiment, author, account, platform, zone, created, text,
                       url or post_url, post_id, did, post_url, campaign, urgency == 0,
                       post_text=post_text or "", in_reply_to=parents.get((did, parent)) if parent else None,
                       kind_reason=reason, language=language, ours=bool(ours), state_at=state_at)
            for (rid, state, kind, sentiment, author, account, platform, zone, created, text, url, post_id, did,
                 post_url, campaign, parent, reason, language, ours, state_at, post_text, urgency) in rows]


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
    # the inbox's own rows (``list_parts``' select with each reply's urgency), ours among them
    base, _where, urgent, _rest = list_parts(frozenset())
    shown, recent = base.add_columns(case((urgent, 0), else_=1)), {"recent": app.now() - RECENT_POSTS}
    r = t_replies.c
    with db.read(app.engine) as s:
        reply = _get(s, reply_id)
        [row] = _inbox_rows(s, s.execute(shown.where(r.id == reply_id), recent).all())
        delivery = s.get(Delivery, reply.delivery_id)
        assert delivery is not None  # a reply's delivery is never deleted before it
        above: list[InboxReply] = []
        parent, seen = reply.parent_remote_id, {reply.remote_id}
        while parent and parent != delivery.remote_id and parent not in seen and len(above) < MAX_CHAIN:
            seen.add(parent)
            up = s.execute(shown.where(r.delivery_id == delivery.id, r.remote_id == parent), recent).all()
            if not up:
                break
            [item] = _inbox_rows(s, up)
            above.append(item)
            parent = s.scalar(select(Reply.parent_remote_id).where(Reply.id == item.id))
        above.reverse()
        posts = list(s.scalars(select(Post).where(Post.answers_reply_id == reply_id).order_by(Post.id)))
        answers = [AnswerPost(p.id, d.id, d.account.name, d.status.value, d.parts[0].text if d.parts else "",
                              d.due_at, d.published_at, d.remote_url, d.last_error)
                   for p in posts for d in p.deliveries]
        sent = {d.remote_id for p in posts for d in p.deliveries if d.remote_id}
        ours = s.execute(shown.where(r.delivery_id == delivery.id, r.ours.is_(True),
                                     r.parent_remote_id == reply.remote_id, r.remote_id.not_in(sent))
                         .order_by(r.created_at, r.id), recent).all()
        return Conversation(row, row.post_text, delivery.remote_url, delivery.published_at, above, answers,
                            _inbox_rows(s, ours))


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
