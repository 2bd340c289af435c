"""Drafts and their approval: a post that needs a person's yes before it goes out.

A post is a draft when it was added with ``--draft`` (or a calendar row's status says so) or when
one of its accounts requires approval (``account add/edit --requires-approval``): its deliveries
are ``draft``, which the engine never claims. ``approve`` queues them, ``reject`` refuses them
with a reason; each review records who (the configured ``user``, else the system's user name) and
when. With ``approvers`` in the config file only those users may approve or reject.

This is a workflow guard, not a security boundary: anyone who can run campaigner on the machine
can set ``user`` (or write to the database) and so approve as someone else.

A draft whose time passes unapproved is not sent (``status`` and the weekly report list it, and a
``draft_missed`` alert says so: ``services.draft_alerts``).
Approving it then follows the lateness rules: still within its lateness limit, it goes out with
the next publishing pass; past it, approval is refused until a person gives a new time (``--at``)
or says to send it now anyway (``--now``, which lifts the limit as ``post retry`` does).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from campaigner import db, lateness, states
from campaigner.app import App
from campaigner.config import os_user
from campaigner.errors import InvalidInput
from campaigner.models import Approval, Delivery, Post, PostReview
from campaigner.models import DeliveryStatus as S
from campaigner.services import posts as posts_svc
from campaigner.services.planning import Planner, When
from campaigner.times import format_local

#: the longest reason a rejection keeps
MAX_REASON = 1000


def reviewer(app: App) -> str:
    """Who is approving: the configured ``user``, else the system's user name."""
    who = app.settings.user or os_user()
    if not who:
        raise InvalidInput("cannot tell who you are (the system has no user name for you)",
                           'set user = "your-name" in the config file')
    return who[:128]


def check_reviewer(app: App, who: str, action: str) -> None:
    """Refuse ``who`` when the config file names the approvers and ``who`` is not one of them."""
    allowed = app.settings.approvers
    if allowed is not None and who not in allowed:
        raise InvalidInput(f"{who} may not {action} posts (approvers in {app.settings.config_file}: "
                           f"{', '.join(allowed)})", f"ask {'one of them' if len(allowed) > 1 else allowed[0]} to "
                                                     f"{action} it")


@dataclass(frozen=True)
class Approved:
    """One approved post: its deliveries now queued, and those whose time had passed already
    (they go out with the next publishing pass)."""

    post_id: int
    reviewer: str
    #: (account, local due time, its time had passed)
    deliveries: list[tuple[str, str, bool]]


def approve(app: App, post_ids: list[int], *, when: When | None = None) -> list[Approved]:
    """Approve the drafts (or rejected posts) ``post_ids``, all or none: their deliveries are
    queued. ``when`` gives them a new time (``at``) or sends them now (``now``); without it each
    keeps its time, and one whose time has passed beyond its lateness limit is refused."""
    who = reviewer(app)
    check_reviewer(app, who, "approve")
    now = app.now()
    done = []
    with db.write(app.engine) as s:
        for post_id in dict.fromkeys(post_ids):
            post = posts_svc.get(s, post_id)
            waiting = _waiting(post, (S.DRAFT, S.REJECTED), "approve")
            shown = []
            with Planner(app, s, now, exclude_post=post.id) as planner:
                for d in waiting:
                    zone = app.zone_for(d.account.timezone)
                    if when is not None:
                        _new_time(planner, d, when, now, zone)
                    else:
                        _in_time(app, d, now, zone)
                    states.move(d, S.QUEUED, why="approved")
                    d.next_attempt_at, d.last_error, d.updated_at = None, None, now
                    shown.append((d.account.name, format_local(d.due_at, zone), d.due_at < now))
            post.approval = Approval.APPROVED.value
            post.updated_at = now
            s.add(PostReview(post_id=post.id, action="approved", reviewer=who, reviewed_at=now))
            done.append(Approved(post.id, who, shown))
    return done


def reject(app: App, post_id: int, reason: str) -> Post:
    """Refuse the draft ``post_id``, saying why: its deliveries become ``rejected`` (never sent;
    editing the post makes it a draft again)."""
    reason = " ".join(reason.split())
    if not reason:
        raise InvalidInput("--reason is empty", 'say why, e.g. --reason "the date is wrong"')
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"--reason is {len(reason):,} characters long", f"keep it under {MAX_REASON:,}")
    who = reviewer(app)
    check_reviewer(app, who, "reject")
    now = app.now()
    with db.write(app.engine) as s:
        post = posts_svc.get(s, post_id)
        for d in _waiting(post, (S.DRAFT,), "reject"):
            states.move(d, S.REJECTED, why="rejected")
            d.updated_at = now
        post.approval = Approval.REJECTED.value
        post.updated_at = now
        s.add(PostReview(post_id=post.id, action="rejected", reviewer=who, reviewed_at=now, reason=reason))
    return posts_svc.show(app, post_id)


def _waiting(post: Post, statuses: tuple[S, ...], action: str) -> list[Delivery]:
    """The post's deliveries in ``statuses``; refused with the reason when there are none."""
    waiting = [d for d in post.deliveries if d.status in statuses]
    if waiting:
        return waiting
    last = post.reviews[-1] if post.reviews else None
    fix = f"nothing to {action}"
    if post.approval == Approval.REJECTED.value and last is not None:
        what = f"post {post.id} was rejected already, by {last.reviewer} ({last.reason})"
        fix = f"edit it to make it a draft again, or approve it: campaigner post approve {post.id}"
    elif post.approval == Approval.APPROVED.value and last is not None:
        what = f"post {post.id} was approved already, by {last.reviewer}"
    else:
        now_ = ", ".join(f"{d.account.name}: {d.status.value}" for d in post.deliveries)
        what = (f"post {post.id} is not a draft ({now_})" if post.approval is None
                else f"post {post.id} has no draft waiting for approval ({now_})")
    raise InvalidInput(what, fix)


def _in_time(app: App, d: Delivery, now: datetime, zone) -> None:
    """Refuse to queue ``d`` as it is when its time has passed beyond its lateness limit."""
    default = app.settings.max_late_minutes
    end = lateness.deadline(d, d.account, default)
    if end is None or now <= end:
        return
    moment = lateness.moment(d)
    raise InvalidInput(f"post {d.post_id}'s time on {d.account.name} ({format_local(moment, zone)}) passed "
                       f"{lateness.format_late(now - moment)} ago, past {lateness.describe_limit(d, d.account, default, zone)}",
                       f"approve it with a new time: campaigner post approve {d.post_id} --at TIME, or to send it "
                       f"now anyway: campaigner post approve {d.post_id} --now")


def _new_time(planner: Planner, d: Delivery, when: When, now: datetime, zone) -> None:
    """Give ``d`` the time ``when`` says (checked as ``post add`` checks it); ``now`` sends it at
    once, whatever its lateness limit (a person decided, as with ``post retry``)."""
    due = planner.due_time(when, d.account)
    planner.count_cap(d.account, due)
    if when.kind == "now":
        d.intended_at = None
        d.due_at = due
        d.expires_at, d.max_late_minutes = None, lateness.NO_LIMIT
        return
    if d.expires_at is not None and d.expires_at <= due:
        raise InvalidInput(f"post {d.post_id} expires at {format_local(d.expires_at, zone)} on {d.account.name}, "
                           f"not after its new time {format_local(due, zone)}",
                           f"give an earlier --at, or change its limit: campaigner post edit {d.post_id} --max-late "
                           "DURATION")
    d.due_at, d.intended_at, d.slot_based = due, None, False
