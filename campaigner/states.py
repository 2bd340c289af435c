"""The delivery state machine: every status change goes through ``move``.

queued → publishing → published, with failed, cancelled, unconfirmed (outcome unknown) and
expired (past its lateness limit, not sent) beside them. Published is final; an unconfirmed
delivery is never re-sent before it has been reconciled (found → published, not found → queued);
reconciling claims it as publishing. The engine expires a delivery from its claim (publishing),
so an unconfirmed one is looked for first; a queued one waiting on an account that cannot send
expires where it waits (``services.expiry``); a person sends an expired one anyway
(``post retry``) or gives it a new time (``post edit --at``), both back to queued. A post that went
out may be taken down again (``post delete``): published becomes deleted, as does a thread that
went out in part and then failed, expired or was cancelled; deleted is final. A draft waits for a
person's approval (``post approve`` → queued, ``post reject`` → rejected); only queued and
unconfirmed deliveries are ever ``ready``, so the engine never claims a draft, however late.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import and_, case, or_

from campaigner.errors import IllegalTransition
from campaigner.tables import AccountStatus, accounts, deliveries
from campaigner.tables import DeliveryStatus as S

if TYPE_CHECKING:
    from campaigner.models import Delivery

#: the tables' own columns: the SQL rules below serve Core selects (``status``, ``queue``) and
#: ORM queries alike, and importing them sets up no mapper
_D, _A = deliveries.c, accounts.c

ALLOWED: dict[S, frozenset[S]] = {
    S.QUEUED: frozenset({S.PUBLISHING, S.CANCELLED, S.EXPIRED, S.DRAFT}),
    S.PUBLISHING: frozenset({S.PUBLISHED, S.QUEUED, S.FAILED, S.UNCONFIRMED, S.EXPIRED}),
    S.UNCONFIRMED: frozenset({S.PUBLISHING, S.PUBLISHED, S.QUEUED, S.FAILED, S.CANCELLED}),
    S.FAILED: frozenset({S.QUEUED, S.CANCELLED, S.DELETED, S.DRAFT}),
    S.CANCELLED: frozenset({S.QUEUED, S.DELETED, S.DRAFT}),
    S.EXPIRED: frozenset({S.QUEUED, S.CANCELLED, S.DELETED, S.DRAFT}),
    S.PUBLISHED: frozenset({S.DELETED}),
    S.DELETED: frozenset(),
    # queued (or draft) by its import's last statement (services.imports), or deleted
    S.IMPORTING: frozenset(),
    # a draft goes out only once approved (queued); the engine never claims one
    S.DRAFT: frozenset({S.QUEUED, S.REJECTED, S.CANCELLED}),
    S.REJECTED: frozenset({S.QUEUED, S.DRAFT, S.CANCELLED}),
}

#: statuses that hold a place on the account (count toward caps, take a slot); a deleted post went
#: out at its time all the same (a platform counts what was created), and a draft holds its place
#: so approving it never breaks a cap or takes another post's slot
ACTIVE = frozenset({S.QUEUED, S.PUBLISHING, S.PUBLISHED, S.UNCONFIRMED, S.DELETED, S.DRAFT})
#: statuses of a delivery that went out: published, or published and taken down since
WENT_OUT = frozenset({S.PUBLISHED, S.DELETED})
#: statuses whose post may still be changed
EDITABLE = frozenset({S.QUEUED, S.FAILED, S.CANCELLED, S.EXPIRED, S.DRAFT, S.REJECTED})
#: statuses of a post that waits for a person's approval (or was refused it): never published
UNAPPROVED = frozenset({S.DRAFT, S.REJECTED})


def can_move(current: S, new: S) -> bool:
    return new in ALLOWED[current]


def move(delivery: Delivery, new: S, *, why: str | None = None) -> None:
    """Change ``delivery``'s status or raise ``IllegalTransition``."""
    current = S(delivery.status)
    if not can_move(current, new):
        raise IllegalTransition(f"delivery {delivery.id} is {current.value} and cannot become {new.value}"
                                + (f" ({why})" if why else ""),
                                "see `campaigner post show` for its history")
    delivery.status = new


# --- what is due: one rule for the engine, ``publish --dry-run`` and ``status`` ---------------

def ready(now: datetime):
    """SQL condition: the delivery is the publisher's to act on at ``now`` — queued, due and past
    its backoff, or unconfirmed and due for another look (a person-only check has no next look)."""
    return or_(and_(_D.status == S.QUEUED, _D.due_at <= now,
                    or_(_D.next_attempt_at.is_(None), _D.next_attempt_at <= now)),
               and_(_D.status == S.UNCONFIRMED, _D.next_attempt_at <= now))


def ready_at():
    """SQL expression: when a queued or unconfirmed delivery becomes ``ready`` (its due time, or
    its next attempt or look when that is later)."""
    return case((and_(_D.next_attempt_at.is_not(None),
                      or_(_D.status == S.UNCONFIRMED, _D.next_attempt_at > _D.due_at)),
                 _D.next_attempt_at), else_=_D.due_at)


def can_send(now: datetime):
    """SQL condition on ``Account``: it publishes at ``now`` (active, and not held back by a rate limit)."""
    return and_(_A.status == AccountStatus.ACTIVE, or_(_A.held_until.is_(None), _A.held_until <= now))
