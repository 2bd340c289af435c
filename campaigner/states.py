"""The delivery state machine: every status change goes through ``move``.

queued → publishing → published, with failed, cancelled and unconfirmed (outcome unknown)
beside them. Published is final; an unconfirmed delivery is never re-sent before it has been
reconciled (found → published, not found → queued); reconciling claims it as publishing.
"""
from __future__ import annotations

from campaigner.errors import IllegalTransition
from campaigner.models import Delivery
from campaigner.models import DeliveryStatus as S

ALLOWED: dict[S, frozenset[S]] = {
    S.QUEUED: frozenset({S.PUBLISHING, S.CANCELLED}),
    S.PUBLISHING: frozenset({S.PUBLISHED, S.QUEUED, S.FAILED, S.UNCONFIRMED}),
    S.UNCONFIRMED: frozenset({S.PUBLISHING, S.PUBLISHED, S.QUEUED, S.FAILED, S.CANCELLED}),
    S.FAILED: frozenset({S.QUEUED, S.CANCELLED}),
    S.CANCELLED: frozenset({S.QUEUED}),
    S.PUBLISHED: frozenset(),
}

#: statuses that hold a place on the account (count toward caps, take a slot)
ACTIVE = frozenset({S.QUEUED, S.PUBLISHING, S.PUBLISHED, S.UNCONFIRMED})
#: statuses whose post may still be changed
EDITABLE = frozenset({S.QUEUED, S.FAILED, S.CANCELLED})


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
