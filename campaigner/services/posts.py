"""Posts and their deliveries: queue, list, show, edit, cancel, retry."""
from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Sequence

from sqlalchemy import func, insert, select, text
from sqlalchemy.orm import Session, selectinload

from campaigner import db, lateness, states
from campaigner.app import App
from campaigner.errors import InvalidInput, NotFound
from campaigner.i18n import _, ngettext
from campaigner.status_words import status_word
from campaigner.media_store import keep
from campaigner.models import (Account, Attempt, AttemptOutcome as O, Delivery, DeliveryPart, Post, PostMedia,
                               Reply)
from campaigner.models import Approval, DeliveryStatus as S

#: ``Post.approval`` of a draft
PENDING = Approval.PENDING.value
from campaigner.services.accounts import connector as account_connector, get as get_account
from campaigner.services import groups
from campaigner.services.planning import Draft, MediaInfo, Plan, Planner, When, new_key
from campaigner.times import format_local


#: the largest id an ``Integer`` primary key holds: 32 bits on PostgreSQL, 64 on SQLite
_MAX_ID = {"postgresql": 2**31 - 1}
_MAX_ID_DEFAULT = 2**63 - 1


def get(session: Session, post_id: int) -> Post:
    post = None
    # an id the column cannot hold names no post (and the driver would refuse it with an overflow)
    if abs(post_id) <= _MAX_ID.get(session.get_bind().dialect.name, _MAX_ID_DEFAULT):
        post = session.get(Post, post_id, options=[selectinload(Post.deliveries).selectinload(Delivery.parts),
                                                   selectinload(Post.deliveries).selectinload(Delivery.account),
                                                   selectinload(Post.deliveries).selectinload(Delivery.attempts),
                                                   selectinload(Post.media), selectinload(Post.campaign),
                                                   selectinload(Post.reviews),
                                                   selectinload(Post.answers).selectinload(Reply.delivery)])
    if post is None:
        raise NotFound(_("no post with id {id}").format(id=post_id), _("see `campaigner post list`"))
    return post


def store_media(app: App, media: Sequence[MediaInfo]) -> list[dict]:
    """Keep the staged copies of a post's media in campaigner's own folder, named by content hash,
    so moving or editing the original later cannot change or break a queued post. Returns
    PostMedia column values, with the copies prepared per platform (``renditions``)."""
    rows = []
    for position, m in enumerate(media):
        rel = keep(app.settings, m.staged)
        renditions = {platform: dict(stored_path=str(keep(app.settings, r.staged)), mime_type=r.staged.facts.mime,
                                     size_bytes=r.staged.facts.size, sha256=r.staged.sha256, width=r.width,
                                     height=r.height, notes=list(r.notes))
                      for platform, r in sorted(m.renditions.items())}
        rows.append(dict(position=position, stored_path=str(rel), original_name=m.path.name, mime_type=m.mime_type,
                         size_bytes=m.staged.facts.size, sha256=m.staged.sha256, alt_text=m.alt_text,
                         renditions=renditions))
    return rows


def reserve_ids(session: Session, model, n: int) -> list[int]:
    """``n`` fresh primary keys for ``model``, so bulk inserts need no RETURNING (which SQLite
    would run row by row). PostgreSQL draws them from the table's sequence; on SQLite the write
    transaction (BEGIN IMMEDIATE) holds the only write lock, so max(id)+1… is ours."""
    table = model.__table__.name
    if session.get_bind().dialect.name == "postgresql":
        return list(session.scalars(
            text(f"SELECT nextval(pg_get_serial_sequence('{table}', 'id')) FROM generate_series(1, :n)"), {"n": n}))
    start = (session.scalar(select(func.max(model.id))) or 0) + 1
    return list(range(start, start + n))


def _bulk_insert(session: Session, table, columns: Sequence[str], rows: list[tuple],
                 constants: dict[str, object] | None = None, *, shared: Sequence[str] = ()) -> None:
    """``INSERT INTO table (columns…, constants…)`` for each of ``rows`` (tuples of plain Python
    values in ``columns`` order), in one DBAPI executemany.

    The values go through each column type's own bind processor (``UTCDateTime``, enums, JSON,
    booleans), exactly as a Core insert would process them, and the statement is the one
    SQLAlchemy compiles for the dialect (its bind casts included); only the per-row bookkeeping of
    a Core executemany is skipped. ``constants`` are processed once and appended to every row; in
    the ``shared`` columns many rows hold the same (unchanged) objects, each processed once."""
    if not rows:
        return
    constants = constants or {}
    conn = session.connection()
    dialect = conn.dialect
    names = [*columns, *constants]
    processors = [table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in names]
    fixed = tuple(p(v) if p else v for p, v in zip(processors[len(columns):], constants.values()))
    varying = [(i, p) for i, p in enumerate(processors[:len(columns)]) if p is not None]
    compiled = table.insert().compile(dialect=dialect, column_keys=names)
    order = list(compiled.positiontup or ()) if compiled.positional else list(compiled.binds)
    if sorted(order) != sorted(names):  # the compiled statement wants other parameters: let Core do it
        session.execute(table.insert(), [dict(zip(names, (*row, *constants.values()))) for row in rows])
        return
    if varying:  # column by column: each processor mapped over its column
        columns_: list[Any] = list(zip(*rows))
        for i, process in varying:
            if names[i] in shared:
                memo: dict[int, object] = {}
                values = columns_[i]
                for value in values:
                    if id(value) not in memo:
                        memo[id(value)] = process(value)
                columns_[i] = [memo[id(value)] for value in values]  # ``values`` keeps the ids alive
            else:
                columns_[i] = map(process, columns_[i])
        params: list[Any] = list(zip(*columns_, *(itertools.repeat(value, len(rows)) for value in fixed)))
    else:
        params = [row + fixed for row in rows]
    if not compiled.positional:
        params = [dict(zip(names, row)) for row in params]
    elif order != names:
        index = [names.index(name) for name in order]
        params = [tuple(row[i] for i in index) for row in params]
    conn.exec_driver_sql(compiled.string, params)


def write_plans(app: App, session: Session, plans: Sequence[Plan], now: datetime, *,
                import_id: int | None = None) -> list[int]:
    """Insert checked plans with one executemany per table (no ORM unit of work, no per-row Core
    parameter processing: fast for big imports); returns the post ids. With ``import_id`` (a CSV
    import written in chunks) the posts are tagged with it and their deliveries are ``importing``."""
    if not plans:
        return []
    post_ids = reserve_ids(session, Post, len(plans))
    campaign_ids: dict[int, int] = {}  # id(campaign) → its id: one ORM attribute read per campaign
    no_variants: dict[str, str] = {}  # one object for every post without variants (never changed)
    post_rows = []
    for post_id, p in zip(post_ids, plans):
        campaign, draft = p.campaign, p.draft
        if campaign is None:
            campaign_id = None
        else:
            campaign_id = campaign_ids.get(id(campaign))
            if campaign_id is None:
                campaign_id = campaign_ids[id(campaign)] = campaign.id
        post_rows.append((post_id, campaign_id, draft.text, draft.thread, draft.link,
                          dict(draft.variants) if draft.variants else no_variants, draft.source, draft.keep_metadata,
                          PENDING if p.needs_approval else None))
    _bulk_insert(session, Post.__table__,
                 ("id", "campaign_id", "text", "is_thread", "link", "variants", "source", "keep_metadata", "approval"),
                 post_rows, {"created_at": now, "updated_at": now, "import_id": import_id},
                 shared=("is_thread", "variants", "keep_metadata"))
    media_rows = []
    for post_id, plan in zip(post_ids, plans):
        if plan.media:
            for row in store_media(app, plan.media):
                media_rows.append({**row, "post_id": post_id})
    if media_rows:
        session.execute(insert(PostMedia), media_rows)
    delivery_rows: list[tuple] = []
    parts_per_delivery = []
    accounts: dict[int, tuple[int, str]] = {}  # id(account) → (id, platform)
    # an import's deliveries are all "importing" (its end makes drafts of the drafts' ones)
    drafts = import_id is None and any(plan.needs_approval for plan in plans)
    for post_id, plan in zip(post_ids, plans):
        for d in plan.deliveries:
            account = accounts.get(id(d.account))
            if account is None:
                account = accounts[id(d.account)] = (d.account.id, d.account.platform)
            values = (post_id, account[0], d.due_at, d.slot_based, d.expires_at, plan.draft.max_late)
            delivery_rows.append((*values, S.DRAFT if plan.needs_approval else S.QUEUED) if drafts else values)
            parts_per_delivery.append((account[1], d.due_at, d.parts))
    delivery_ids = reserve_ids(session, Delivery, len(delivery_rows))
    columns: tuple[str, ...] = ("id", "post_id", "account_id", "due_at", "slot_based", "expires_at",
                                "max_late_minutes")
    constants: dict[str, object] = {"attempt_count": 0, "created_at": now, "updated_at": now}
    if drafts:
        columns += ("status",)
    else:
        constants["status"] = S.QUEUED if import_id is None else S.IMPORTING
    _bulk_insert(session, Delivery.__table__, columns,
                 [(did, *row) for did, row in zip(delivery_ids, delivery_rows)], constants,
                 shared=("slot_based", "status"))
    part_rows = [(did, i, part, new_key(platform, due))
                 for did, (platform, due, parts) in zip(delivery_ids, parts_per_delivery)
                 for i, part in enumerate(parts)]
    _bulk_insert(session, DeliveryPart.__table__, ("delivery_id", "position", "text", "idempotency_key"), part_rows)
    return post_ids


def add(app: App, draft: Draft) -> Post:
    """Check and queue one post; nothing is written if any check fails."""
    now = app.now()
    with db.write(app.engine) as s, Planner(app, s, now) as planner:
        [post_id] = write_plans(app, s, [planner.plan(draft)], now)
    with db.read(app.engine) as s:
        return get(s, post_id)


def show(app: App, post_id: int) -> Post:
    with db.read(app.engine) as s:
        return get(s, post_id)


def not_importing(post: Post) -> None:
    """Refuse to change a post whose CSV import has not ended (it is not queued yet)."""
    if any(d.status == S.IMPORTING for d in post.deliveries):
        raise InvalidInput(_("post {id} belongs to a CSV import that has not ended").format(id=post.id),
                           _("wait for the import to end (if its process died, `campaigner init` removes what it "
                             "wrote)"))


def _locked(post: Post, action: str) -> None:
    not_importing(post)
    for d in post.deliveries:
        if d.status in states.WENT_OUT:
            raise InvalidInput(_("post {id} is already {status} on {account}")
                               .format(id=post.id, status=status_word(d.status.value), account=d.account.name),
                               _("a post that went out cannot be changed; to take it down: campaigner post delete "
                                 "{id}, then queue a new post").format(id=post.id) if d.status == S.PUBLISHED else
                               _("a post that went out cannot be changed; queue a new post"))
        if d.status not in states.EDITABLE:
            raise InvalidInput(_("post {id} is already {status} on {account}")
                               .format(id=post.id, status=status_word(d.status.value), account=d.account.name),
                               _("editing is only possible before anything goes out; cancel it and queue a new post")
                               if action == "editing" else
                               f"{action} is only possible before anything goes out; cancel it and queue a new post")


def edit(app: App, post_id: int, *, text: str | None = None, when: When | None = None, link: str | None = None,
         campaign: str | None = None, variants: dict[str, str] | None = None, drop_variants: Sequence[str] = (),
         thread: bool | None = None, accounts: Sequence[str] | None = None, media: Sequence[Path] | None = None,
         alt_texts: Sequence[str] = (), expires: str | None = None, max_late: int | None = None) -> Post:
    """Change a post while none of its deliveries has gone out (or is going out); every check of
    ``post add`` runs again. Without ``when`` each delivery keeps its time; with it, each has a new
    moment, and an expired one is queued again. ``expires`` / ``max_late`` replace the deliveries'
    lateness limit (without them each keeps its own).

    ``accounts`` replaces the targets: a dropped account's delivery is cancelled (its history
    kept), an added one is queued (a cancelled delivery on it comes back) at ``when`` or, without
    it, at the post's earliest time. ``media`` replaces the attachments (``[]`` removes them).
    ``variants`` adds or replaces per-platform texts, ``drop_variants`` removes them; a variant
    kept from before stays even when no target is on its platform any more (its account was
    cancelled): it is the user's text, used again if such an account comes back."""
    now = app.now()
    with db.write(app.engine) as s:
        post = get(s, post_id)
        _locked(post, "editing")
        if post.answers_reply_id is not None and (accounts is not None or media is not None or link is not None
                                                  or campaign is not None or variants or drop_variants
                                                  or thread is not None):
            raise InvalidInput(_("post {id} answers reply {reply}: it is text only, on the account that was replied "
                                 "to").format(id=post.id, reply=post.answers_reply_id),
                               _("change its text or time, or cancel it and answer again with `campaigner replies "
                                 "answer`"))
        current = [d for d in post.deliveries if d.status in _EDITED]
        if accounts is None and not current:
            raise InvalidInput(_("post {id} has no queued, failed or expired delivery to edit").format(id=post.id),
                               _("queue a new post (its deliveries are {status})")
                               .format(status=status_word(post.deliveries[0].status.value)))
        # what a person approved changes: it waits for approval again (a new time alone does not)
        content = (text, link, campaign, variants, thread, accounts, media)
        changed = any(v is not None for v in content) or bool(drop_variants)
        names = groups.expand(s, accounts) if accounts is not None else [d.account.name for d in current]
        merged = _edited_variants(post, variants or {}, drop_variants)
        draft = Draft(text=post.text if text is None else text, accounts=names,
                      when=when or When("keep"),
                      campaign=campaign if campaign is not None else post.campaign.slug if post.campaign else None,
                      link=post.link if link is None else (link or None),
                      media=([app.settings.media_dir / m.stored_path for m in post.media] if media is None
                             else list(media)),
                      alt_texts=alt_texts, variants=merged,
                      thread=post.is_thread if thread is None else thread, expires=expires, max_late=max_late,
                      keep_metadata=post.keep_metadata)
        kept = None
        if when is None:
            kept = {d.account.id: (d.due_at, d.slot_based) for d in current}
            first = min(d.due_at for d in post.deliveries)
            for account_id in s.scalars(select(Account.id).where(Account.name.in_(names))):
                kept.setdefault(account_id, (first, False))
        with Planner(app, s, now, exclude_post=post.id) as planner:  # its media copies live until stored
            plan = planner.plan(
                draft, kept_times=kept, kept_variants=set(merged) - set(variants or {}))
            pending = (plan.needs_approval or post.approval in (PENDING, Approval.REJECTED.value)
                       or (post.approval == Approval.APPROVED.value and changed))
            post.approval = PENDING if pending else post.approval
            post.text, post.link, post.variants, post.is_thread = draft.text, draft.link, draft.variants, draft.thread
            post.campaign_id = plan.campaign.id if plan.campaign else None
            post.updated_at = now
            rows = store_media(app, plan.media)
            if media is not None:
                post.media.clear()
                s.flush()
                post.media.extend(PostMedia(**row) for row in rows)
            else:  # the same files: prepared again, for targets that may have changed
                for m, row in zip(post.media, rows):
                    m.renditions = row["renditions"]
        by_account = {d.account_id: d for d in post.deliveries}
        by_account.update({d.account_id: d for d in current})  # a live delivery wins over a cancelled one
        chosen = set()
        for planned in plan.deliveries:
            d = by_account.get(planned.account.id)
            if d is None:
                d = Delivery(account=planned.account, status=S.DRAFT if pending else S.QUEUED, attempt_count=0,
                             created_at=now)
                post.deliveries.append(d)
            elif pending:
                if d.status != S.DRAFT:
                    states.move(d, S.DRAFT, why="it waits for approval")
                    d.last_error = None
            elif d.status == S.CANCELLED or (d.status == S.EXPIRED and when is not None):
                states.move(d, S.QUEUED)
                d.last_error = None
            chosen.add(planned.account.id)
            if when is not None:
                d.intended_at = None  # a new moment
            if expires is not None or max_late is not None:
                d.expires_at, d.max_late_minutes = planned.expires_at, max_late
            elif d.expires_at is not None and d.expires_at <= planned.due_at:
                zone = app.zone_for(d.account.timezone)
                raise InvalidInput(_("post {id} expires at {expires} on {account}, not after its new time {time}")
                                   .format(id=post.id, expires=format_local(d.expires_at, zone), account=d.account.name,
                                           time=format_local(planned.due_at, zone)),
                                   _("give a later --expires too, or --max-late DURATION"))
            d.due_at, d.slot_based, d.next_attempt_at, d.updated_at = planned.due_at, planned.slot_based, None, now
            d.parts.clear()
            s.flush()  # old parts (and their keys) go before the new ones arrive
            d.parts.extend(DeliveryPart(position=i, text=t, idempotency_key=new_key(d.account.platform, planned.due_at))
                           for i, t in enumerate(planned.parts))
        for d in current:
            if d.account_id not in chosen:
                states.move(d, S.CANCELLED)
                d.updated_at = now
    return show(app, post_id)


#: the statuses ``post edit`` changes (a published, publishing or unconfirmed one stops it first)
_EDITED = (S.QUEUED, S.FAILED, S.EXPIRED, S.DRAFT, S.REJECTED)


def _edited_variants(post: Post, variants: dict[str, str], drop: Sequence[str]) -> dict[str, str]:
    """The post's variants with ``variants`` added or replaced and the platforms in ``drop`` removed."""
    merged = {**post.variants, **variants}
    for platform in drop:
        if platform not in post.variants:
            fix = (_("leave out --no-variant {platform} (it has variants for {platforms})") if post.variants else
                   _("leave out --no-variant {platform}"))
            raise InvalidInput(_("post {id} has no variant for {platform}").format(id=post.id, platform=platform),
                               fix.format(platform=platform, platforms=", ".join(sorted(post.variants))))
        del merged[platform]
    return merged


def cancel(app: App, post_id: int, *, account: str | None = None) -> list[Delivery]:
    """Cancel the deliveries of a post that have not gone out; returns those cancelled."""
    with db.write(app.engine) as s:
        post = get(s, post_id)
        chosen = deliveries_on(s, post, account)
        not_importing(post)
        busy = [d for d in chosen if d.status == S.PUBLISHING]
        if busy:
            raise InvalidInput(_("post {id} is being published on {account} right now")
                               .format(id=post_id, account=busy[0].account.name),
                               _("wait a moment and check `campaigner post show {id}`").format(id=post_id))
        todo = [d for d in chosen if states.can_move(S(d.status), S.CANCELLED)]
        if not todo:
            raise _nothing_to_cancel(post_id, chosen, account)
        for d in todo:
            states.move(d, S.CANCELLED)
            d.updated_at = app.now()
        return todo


def deliveries_on(s: Session, post: Post, account: str | None) -> list[Delivery]:
    """The post's deliveries on ``account`` (a group's name: on its accounts), or all of them."""
    if account is None:
        return list(post.deliveries)
    ids = {a.id for a in groups.accounts_named(s, account)}
    chosen = [d for d in post.deliveries if d.account_id in ids]
    if not chosen:
        raise NotFound(_("post {id} has no delivery on {account}").format(id=post.id, account=account),
                       _("see `campaigner post show {id}`").format(id=post.id))
    return chosen


def _nothing_to_cancel(post_id: int, chosen: Sequence[Delivery], account: str | None) -> InvalidInput:
    """Why none of ``chosen`` (published, deleted or cancelled, each) can be cancelled, as it is."""
    by_status: dict[str, list[str]] = {}
    for d in chosen:
        by_status.setdefault(d.status.value, []).append(d.account.name)
    said = [_("{status} on {accounts}").format(status=status_word(status), accounts=", ".join(by_status[status]))
            for status in ("published", "deleted", "cancelled") if status in by_status]
    what = _("post {id} is already {states}").format(
        id=post_id, states=_("{list} and {last}").format(list=", ".join(said[:-1]), last=said[-1]) if len(said) > 1
        else said[0])
    if "published" not in by_status:
        return InvalidInput(what, _("nothing left to cancel; see `campaigner post show {id}`").format(id=post_id))
    delete = f"campaigner post delete {post_id}" + (f" --account {account}" if account else "")
    if len(by_status) == 1:
        return InvalidInput(what, _("it cannot be cancelled any more; to take it down: {command}").format(command=delete))
    return InvalidInput(what, _("nothing left to cancel; to take the published post down: {command}")
                        .format(command=delete))


def _send_anyway(d: Delivery) -> None:
    """A person decided it goes out (``post retry``, ``post reconcile --resend``): no lateness limit
    applies to it any more; how late it went out is still measured from its moment."""
    d.intended_at = lateness.moment(d)
    d.expires_at, d.max_late_minutes = None, lateness.NO_LIMIT


def retry(app: App, post_id: int, *, account: str | None = None) -> list[Delivery]:
    """Put failed or expired deliveries back in the queue, due now if their time has passed. A
    person decided to send them: no lateness limit applies to them any more (how late they went
    out is still measured from their moment)."""
    now = app.now()
    with db.write(app.engine) as s:
        post = get(s, post_id)
        todo = [d for d in deliveries_on(s, post, account) if d.status in (S.FAILED, S.EXPIRED)]
        if not todo:
            what = (_("post {id} has no failed or expired delivery on {account}") if account else
                    _("post {id} has no failed or expired delivery"))
            raise InvalidInput(what.format(id=post_id, account=account),
                               _("see `campaigner post show {id}`").format(id=post_id))
        for d in todo:
            states.move(d, S.QUEUED, why="retry")
            _send_anyway(d)
            d.due_at = max(d.due_at, now)
            d.next_attempt_at = None
            d.last_error = None
            d.updated_at = now
        return todo


# --- reconciling an unconfirmed delivery by hand (``post reconcile``) ----------------------------

#: as the engine: look for a post from this long before the call whose outcome is unknown
RECONCILE_MARGIN = timedelta(minutes=10)
#: publish outcomes after which the part may be on the platform (None: the call never ended)
MAY_BE_OUT = frozenset({None, O.UNKNOWN, O.ALREADY_PUBLISHED})
#: reconcile outcomes that settle an unknown publish as "not on the platform": after one of these
#: the engine sends the part again instead of looking (or asking) once more
SETTLED_NOT_SENT = frozenset({O.NOT_FOUND, O.RESOLVED_RESEND})


@dataclass(frozen=True)
class Reconciled:
    """What ``resolve_unconfirmed`` / ``check_unconfirmed`` did to one delivery."""

    post_id: int
    delivery_id: int
    account: str
    platform: str
    status: str  # the delivery's status afterwards
    part: int  # 1-based: the part that was settled
    parts: int
    remote_id: str | None = None
    remote_url: str | None = None
    #: check only: "found", "not found" or "cannot tell"
    verdict: str | None = None
    since: datetime | None = None


def by_hand() -> str:
    import getpass

    try:
        return f"by hand ({getpass.getuser()})"[:128]
    except (KeyError, OSError):  # no user name in some containers
        return "by hand"


def _pick_unconfirmed(s: Session, post_id: int, account: str | None, *, lock: bool) -> Delivery:
    """The post's unconfirmed delivery on ``account`` (or its only one), locked when asked."""
    acc = get_account(s, account) if account is not None else None
    post = get(s, post_id)
    if acc is not None:
        chosen = [d for d in post.deliveries if d.account_id == acc.id]
        if not chosen:
            raise NotFound(_("post {id} has no delivery on {account}").format(id=post_id, account=account),
                           _("see `campaigner post show {id}`").format(id=post_id))
    else:
        chosen = [d for d in post.deliveries if d.status == S.UNCONFIRMED] or post.deliveries
        if len(chosen) > 1:
            if chosen[0].status == S.UNCONFIRMED:
                raise InvalidInput(ngettext("post {id} is unconfirmed on {n} account ({accounts})",
                                            "post {id} is unconfirmed on {n} accounts ({accounts})", len(chosen))
                                   .format(id=post_id, n=len(chosen), accounts=", ".join(d.account.name for d in chosen)),
                                   _("say which with --account NAME"))
            raise InvalidInput(_("post {id} has no unconfirmed delivery ({statuses})").format(
                id=post_id, statuses=", ".join(f"{d.account.name}: {status_word(d.status.value)}" for d in chosen)),
                _("nothing to reconcile"))
    d = chosen[0]
    if lock:  # PostgreSQL: a worker's claim skips it until we commit (SQLite: BEGIN IMMEDIATE)
        s.refresh(d, with_for_update=True)
    if d.status != S.UNCONFIRMED:
        raise InvalidInput(_("post {id} is not unconfirmed on {account} (it is {status})")
                           .format(id=post_id, account=d.account.name, status=status_word(d.status.value)),
                           _("nothing to reconcile"))
    return d


def pending_part(d: Delivery) -> DeliveryPart | None:
    """The first part not known to be out (None: every part is)."""
    return next((p for p in d.parts if p.remote_id is None), None)


def look_since(d: Delivery, part: DeliveryPart) -> datetime:
    """From when to look for ``part`` on the platform: RECONCILE_MARGIN before its first publish
    attempt (before the delivery's claim, or its due time, when none is recorded)."""
    tries = [a.started_at for a in d.attempts if a.part_position == part.position and a.kind == "publish"]
    return min(tries or [d.claimed_at or d.due_at]) - RECONCILE_MARGIN


def _publishes(d: Delivery, part: DeliveryPart | None) -> list[Attempt]:
    return [a for a in d.attempts if part is not None and a.part_position == part.position and a.kind == "publish"]


def _unknown_publishes(d: Delivery, part: DeliveryPart | None) -> list[Attempt]:
    return [a for a in _publishes(d, part) if a.outcome in (None, O.UNKNOWN)]


def maybe_out_since(d: Delivery, part: DeliveryPart) -> datetime | None:
    """When a call first may have put ``part`` on the platform (its outcome was unknown, or the
    platform said it is there); None when no call did — then a platform saying "already there"
    means another post with the same text."""
    return min((a.started_at for a in _publishes(d, part) if a.outcome in MAY_BE_OUT), default=None)


def known_there(d: Delivery, part: DeliveryPart) -> bool:
    """Whether the platform said ``part`` is there (its last publish was refused as already
    published): a look that does not find it means "not visible yet", never "not sent"."""
    tries = _publishes(d, part)
    return bool(tries) and tries[-1].outcome == O.ALREADY_PUBLISHED


def _settle(s: Session, d: Delivery, part: DeliveryPart | None, now: datetime, outcome: O, note: str) -> Reconciled:
    """Record the reconcile attempt and move the delivery on: published when every part is out,
    else back to the queue (the remaining parts, or this one again)."""
    s.add(Attempt(delivery_id=d.id, part_position=part.position if part else len(d.parts) - 1, kind="reconcile",
                  worker=by_hand(), started_at=now, finished_at=now, outcome=outcome, error=note))
    if all(p.remote_id is not None for p in d.parts):
        states.move(d, S.PUBLISHED, why="reconciled by hand")
        first = d.parts[0]
        d.remote_id, d.remote_url = first.remote_id, first.remote_url
        d.published_at = max(p.published_at or now for p in d.parts)
        if d.post.answers_reply_id is not None:
            from campaigner.services.inbox import mark_answered

            s.execute(mark_answered(d.post.answers_reply_id, d.published_at))
    else:
        states.move(d, S.QUEUED, why="reconciled by hand")
        _send_anyway(d)
    d.next_attempt_at = d.claimed_by = d.claimed_at = d.lease_until = None
    d.last_error = None
    d.updated_at = now
    position = part.position if part else len(d.parts) - 1
    return Reconciled(d.post_id, d.id, d.account.name, d.account.platform, d.status.value, position + 1,
                      len(d.parts), part.remote_id if part else d.remote_id, part.remote_url if part else d.remote_url)


def _found_ref(platform: str, value: str) -> tuple[str, str | None]:
    """(remote id, url) from what a person pasted: a post's URL or its id."""
    value = value.strip()
    if not value or any(c.isspace() for c in value):
        raise InvalidInput(_("{value!r} is not a post URL or id").format(value=value),
                           _("paste the post's address, e.g. https://t.me/channel/123"))
    if not value.lower().startswith(("http://", "https://")):
        if "/" in value and not value.startswith("at://"):
            raise InvalidInput(_("{value!r} looks like an address without https://").format(value=value),
                               _("paste the whole address (https://…) or just the post's id"))
        return value, None
    from urllib.parse import urlsplit

    from connectors.registry import platform_info

    url = urlsplit(value)
    info = platform_info(platform)
    rid = info.post_id(url, [p for p in url.path.split("/") if p])
    if rid is None:
        raise InvalidInput(_("cannot tell the {platform} post id from {value}").format(platform=platform, value=value),
                           _("give {hint} instead: --found ID").format(hint=info.id_hint))
    return rid, value


def resolve_unconfirmed(app: App, post_id: int, *, account: str | None = None, found: str | None = None,
                        resend: bool = False) -> Reconciled:
    """A person settles an unconfirmed delivery: ``found`` (its URL or id: the part is on the
    platform, recorded as published) or ``resend`` (it is not there: send it again)."""
    if (found is None) == (not resend):
        raise InvalidInput(_("say what you found on the platform"), _("give --found URL_OR_ID or --resend"))
    now = app.now()
    with db.write(app.engine) as s:
        d = _pick_unconfirmed(s, post_id, account, lock=True)
        part = pending_part(d)
        unknown = _unknown_publishes(d, part)
        if found is not None:
            if part is not None:
                part.remote_id, part.remote_url = _found_ref(d.account.platform, found)
                # it went out during the call whose answer was lost
                part.published_at = unknown[-1].started_at if unknown else now
            return _settle(s, d, part, now, O.RESOLVED_FOUND,
                           _("found on the platform: {found}").format(found=found.strip()))
        return _settle(s, d, part, now, O.RESOLVED_RESEND,
                       _("checked on {account}: not there, sending again").format(account=d.account.name))


def outgoing_post(app: App, d: Delivery, part: DeliveryPart):
    """What goes out for ``part`` of delivery ``d`` (the engine sends it; ``find_existing``
    compares it with what is on the platform). The link and media go with the first part; the
    progress an earlier call left (a Meta container being prepared) goes with its part; an answer
    from the inbox (one part, text only) goes under the reply it answers."""
    from connectors.base import MediaFile, OutgoingPost

    prev = d.parts[part.position - 1] if part.position > 0 else None
    if d.post.answers_reply_id is not None:  # an answer from the inbox: under the stranger's reply
        from connectors.base import Permanent

        reply = d.post.answers
        if reply is None:
            raise Permanent(_("the reply that post {id} answers is no longer stored: it cannot go out as an answer")
                            .format(id=d.post_id))
        return OutgoingPost(text=part.text, idempotency_key=part.idempotency_key, reply_to=reply.remote_id,
                            thread_root=reply.delivery.remote_id, answer=True, scheduled_for=d.due_at,
                            progress=part.progress)
    media = []
    for m in () if part.position else d.post.media:  # the copy prepared for this platform, else the original
        if m.renditions is None:  # attached before photos were prepared (an older campaigner): now
            path, mime = _prepared_now(app, m, d.account.platform, d.post.keep_metadata)
        else:
            r = m.renditions.get(d.account.platform)
            path, mime = (r["stored_path"], r["mime_type"]) if r else (m.stored_path, m.mime_type)
        media.append(MediaFile(app.settings.media_dir / path, mime, m.alt_text))
    return OutgoingPost(text=part.text, idempotency_key=part.idempotency_key,
                        link=d.post.link if part.position == 0 else None, media=tuple(media),
                        reply_to=prev.remote_id if prev else None,
                        thread_root=d.parts[0].remote_id if part.position > 0 else None, scheduled_for=d.due_at,
                        progress=part.progress)


#: (file hash, platform, keep metadata) → what ``_prepared_now`` made: each send, retry and look
#: of an older post would otherwise decode and encode its photo again
_PREPARED_NOW: dict[tuple[str, str, bool], tuple[str, str]] = {}


def _prepared_now(app: App, m: PostMedia, platform: str, keep_metadata: bool) -> tuple[str, str]:
    """(path in the media folder, type) of ``m`` prepared for ``platform`` now: a photo queued
    before campaigner prepared photos must not go out with its location either. Stored by hash
    like any rendition, worked out once per worker; the original when it cannot be prepared."""
    key = (m.sha256, platform, keep_metadata)
    if key not in _PREPARED_NOW:
        _PREPARED_NOW[key] = _prepare_stored(app, m, platform, keep_metadata)
    return _PREPARED_NOW[key]


def _prepare_stored(app: App, m: PostMedia, platform: str, keep_metadata: bool) -> tuple[str, str]:
    from campaigner.imaging import PREPARED, CannotPrepare, prepare
    from campaigner.media_store import MediaStore, keep
    from content.media import media_rules

    if m.mime_type not in PREPARED:
        return m.stored_path, m.mime_type
    try:
        r = prepare((app.settings.media_dir / m.stored_path).read_bytes(), m.mime_type, media_rules(platform),
                    keep_metadata=keep_metadata)
    except (CannotPrepare, OSError):
        return m.stored_path, m.mime_type  # the platform says what is wrong with it, as before
    if not r.changed:
        return m.stored_path, m.mime_type
    store = MediaStore(app.settings)
    try:
        return str(keep(app.settings, store.stage_bytes(r.data, r.mime, m.original_name))), r.mime
    finally:
        store.close()


def uncertain(d: Delivery) -> bool:
    """Whether the first unpublished part may already be on the platform: its last publish attempt
    has no known outcome, and no later look (or person) settled that it is not there."""
    part = pending_part(d)
    if part is None:
        return False
    for a in reversed([a for a in d.attempts if a.part_position == part.position]):
        if a.kind == "publish":
            return a.outcome in MAY_BE_OUT
        if a.outcome in SETTLED_NOT_SENT:
            return False
    return False


def check_unconfirmed(app: App, post_id: int, *, account: str | None = None) -> Reconciled:
    """Ask the platform now whether an unconfirmed delivery's pending part is there. Found: it is
    recorded (published, or queued for the remaining thread parts). Not found or cannot tell:
    nothing changes but the history (a look by hand settles nothing: the worker looks again
    itself before sending, unless a person decides first with ``--found`` / ``--resend``)."""
    from connectors.base import ConnectorError, NotSupported, Permanent

    from campaigner.errors import ConfigError

    with db.read(app.engine) as s:
        d = _pick_unconfirmed(s, post_id, account, lock=False)
        part = pending_part(d)
        if part is None:  # every part is known to be out: nothing to look for, only to record
            done = resolve_unconfirmed(app, post_id, account=d.account.name, found=d.parts[0].remote_id)
            return dataclasses.replace(done, verdict="found")
        since = look_since(d, part)
        outgoing, acc = outgoing_post(app, d, part), d.account
    connector = account_connector(app, acc)
    base: dict[str, Any] = dict(post_id=d.post_id, delivery_id=d.id, account=acc.name, platform=acc.platform, status=d.status.value,
                part=part.position + 1, parts=len(d.parts), since=since)
    if not connector.can_find_existing:
        return Reconciled(**base, verdict="cannot tell")
    try:
        found = connector.find_existing(outgoing, since)
    except (Permanent, NotSupported) as exc:  # refused for good: asking again changes nothing
        raise ConfigError(_("{platform} refused the search for post {id} on {account} ({problem})")
                          .format(platform=acc.platform, id=post_id, account=acc.name, problem=exc),
                          _("check {account} by hand, then run `campaigner post reconcile {id} --account {account} "
                            "--found URL` (or `--resend` if it is not there)").format(account=acc.name, id=post_id)) \
            from None
    except ConnectorError as exc:
        raise ConfigError(_("could not look for post {id} on {account} ({problem})")
                          .format(id=post_id, account=acc.name, problem=exc),
                          _("try again later (the worker keeps looking by itself unless a person must decide)")) \
            from None
    now = app.now()
    with db.write(app.engine) as s:
        d = _pick_unconfirmed(s, post_id, acc.name, lock=True)
        pending = pending_part(d)
        if pending is None or pending.position != part.position:
            raise InvalidInput(_("post {id} on {account} changed while the platform was asked")
                               .format(id=post_id, account=acc.name), _("run the command again"))
        part = pending
        if found is None:
            s.add(Attempt(delivery_id=d.id, part_position=part.position, kind="reconcile", worker=by_hand(),
                          started_at=now, finished_at=now, outcome=O.CHECKED_NOT_FOUND,
                          error=_("checked by hand: not there (yet): the worker still looks before sending")))
            return Reconciled(**base, verdict="not found")
        part.remote_id, part.remote_url, part.published_at = found.remote_id, found.url, found.published_at
        done = _settle(s, d, part, now, O.FOUND, _("checked by hand: it is there"))
    return dataclasses.replace(done, verdict="found", since=since)
