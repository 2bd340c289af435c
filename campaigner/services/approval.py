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

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime

from campaigner import db, lateness, states
from campaigner.app import App
from campaigner.config import os_user
from campaigner.errors import InvalidInput
from campaigner.i18n import _, number
from campaigner.status_words import status_word
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
        raise InvalidInput(_("cannot tell who you are (the system has no user name for you)"),
                           _('set user = "your-name" in the config file'))
    return who[:128]


def check_reviewer(app: App, who: str, action: str) -> None:
    """Refuse ``who`` when the config file names the approvers and ``who`` is not one of them."""
    allowed = app.settings.approvers
    if allowed is not None and who not in allowed:
        if action == "approve":
            what = _("{who} may not approve posts (approvers in {file}: {approvers})")
            fix = _("ask one of them to approve it") if len(allowed) > 1 else _("ask {approver} to approve it")
        else:
            what = _("{who} may not reject posts (approvers in {file}: {approvers})")
            fix = _("ask one of them to reject it") if len(allowed) > 1 else _("ask {approver} to reject it")
        raise InvalidInput(what.format(who=who, file=app.settings.config_file, approvers=", ".join(allowed)),
                           fix.format(approver=allowed[0] if allowed else ""))


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
            waiting = _waiting(post, states.UNAPPROVED, "approve")
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
        raise InvalidInput(_("--reason is empty"), _('say why, e.g. --reason "the date is wrong"'))
    if len(reason) > MAX_REASON:
        raise InvalidInput(_("--reason is {n} characters long").format(n=number(len(reason))),
                           _("keep it under {max}").format(max=number(MAX_REASON)))
    who = reviewer(app)
    check_reviewer(app, who, "reject")
    now = app.now()
    with db.write(app.engine) as s:
        post = posts_svc.get(s, post_id)
        for d in _waiting(post, {S.DRAFT}, "reject"):
            states.move(d, S.REJECTED, why="rejected")
            d.updated_at = now
        post.approval = Approval.REJECTED.value
        post.updated_at = now
        s.add(PostReview(post_id=post.id, action="rejected", reviewer=who, reviewed_at=now, reason=reason))
    return posts_svc.show(app, post_id)


def _waiting(post: Post, statuses: Collection[S], action: str) -> list[Delivery]:
    """The post's deliveries in ``statuses``; refused with the reason when there are none."""
    waiting = [d for d in post.deliveries if d.status in statuses]
    if waiting:
        return waiting
    last = post.reviews[-1] if post.reviews else None
    fix = _("nothing to approve") if action == "approve" else _("nothing to reject")
    if post.approval == Approval.REJECTED.value and last is not None:
        what = _("post {id} was rejected already, by {who} ({reason})").format(id=post.id, who=last.reviewer,
                                                                              reason=last.reason)
        fix = _("edit it to make it a draft again, or approve it: campaigner post approve {id}").format(id=post.id)
    elif post.approval == Approval.APPROVED.value and last is not None:
        what = _("post {id} was approved already, by {who}").format(id=post.id, who=last.reviewer)
    else:
        now_ = ", ".join(f"{d.account.name}: {status_word(d.status.value)}" for d in post.deliveries)
        what = (_("post {id} is not a draft ({statuses})") if post.approval is None
                else _("post {id} has no draft waiting for approval ({statuses})")).format(id=post.id, statuses=now_)
    raise InvalidInput(what, fix)


def _in_time(app: App, d: Delivery, now: datetime, zone) -> None:
    """Refuse to queue ``d`` as it is when its time has passed beyond its lateness limit."""
    default = app.settings.max_late_minutes
    end = lateness.deadline(d, d.account, default)
    if end is None or now <= end:
        return
    moment = lateness.moment(d)
    raise InvalidInput(_("post {id}'s time on {account} ({time}) passed {late} ago, past {limit}").format(
                           id=d.post_id, account=d.account.name, time=format_local(moment, zone),
                           late=lateness.format_late(now - moment),
                           limit=lateness.describe_limit(d, d.account, default, zone)),
                       _("approve it with a new time: campaigner post approve {id} --at TIME, or to send it now "
                         "anyway: campaigner post approve {id} --now").format(id=d.post_id))


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
        raise InvalidInput(_("post {id} expires at {expires} on {account}, not after its new time {time}")
                           .format(id=d.post_id, expires=format_local(d.expires_at, zone), account=d.account.name,
                                   time=format_local(due, zone)),
                           _("give an earlier --at, or change its limit: campaigner post edit {id} --max-late "
                             "DURATION").format(id=d.post_id))
    d.due_at, d.intended_at, d.slot_based = due, None, False
