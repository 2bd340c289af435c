"""The queue as an agenda: upcoming deliveries grouped by local day."""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select

from campaigner import db, states
from campaigner.app import App
from campaigner.errors import InvalidInput
from campaigner.i18n import _
from campaigner.tables import DeliveryStatus as S
from campaigner.tables import accounts, deliveries, delivery_parts
from campaigner.times import format_local

WAITING = (S.QUEUED, S.PUBLISHING, S.UNCONFIRMED)
#: the longest agenda asked for: ten years ahead (far more than anyone plans, far from the end of
#: the calendar that ``datetime`` can count to)
MAX_DAYS = 3660


@dataclass(frozen=True)
class AgendaItem:
    delivery_id: int
    post_id: int
    account: str
    platform: str
    status: str
    due_at: datetime
    local: str  # due time in the account's zone, with the zone's name
    text: str
    overdue: bool
    #: ``due_now`` only: why the publisher will not send it but expire it (past its lateness limit)
    too_late: str | None = None


def _items():
    # a Core select: `queue` never imports the ORM nor sets up its mappers; filter it with
    # ``_D``'s columns too
    a, part = accounts.c, delivery_parts.c
    return (select(_D.id, _D.post_id, a.name, a.platform, a.timezone, _D.status, _D.due_at, part.text)
            .select_from(deliveries)
            .join(accounts, a.id == _D.account_id)
            .join(delivery_parts, (part.delivery_id == _D.id) & (part.position == 0))
            .order_by(_D.due_at, a.name))


#: the deliveries table's columns (see ``_items``)
_D = deliveries.c


def _item(app: App, row, now: datetime) -> AgendaItem:
    did, pid, name, platform, tz, status, due, text = row
    return AgendaItem(did, pid, name, platform, str(status), due, format_local(due, app.zone_for(tz)), text, due < now)


def agenda(app: App, days: int = 7) -> list[tuple[date, list[AgendaItem]]]:
    """Deliveries waiting to go out up to ``days`` ahead (overdue ones first), by local day: each
    under its account's own day, as its time is shown in its account's zone (a post at 20:00 in
    Berlin on the 1st is on the 1st, though it is the 2nd in Jakarta then)."""
    if days < 1:
        raise InvalidInput(_("--days must be at least 1, got {days}").format(days=days), _("e.g. --days 7"))
    if days > MAX_DAYS:
        raise InvalidInput(_("--days must be at most {max} (ten years), got {days}").format(max=MAX_DAYS, days=days),
                           _("e.g. --days 366 for a year ahead"))
    now = app.now()
    horizon = now + timedelta(days=days)
    q = _items().where(_D.status.in_(WAITING), _D.due_at < horizon)
    groups: dict[date, list[AgendaItem]] = {}
    with db.read_core(app.engine) as s:
        for row in s.execute(q):
            item = _item(app, row, now)
            groups.setdefault(item.due_at.astimezone(app.zone_for(row.timezone)).date(), []).append(item)
    return sorted(groups.items())


def drafts(app: App, days: int = 7) -> list[AgendaItem]:
    """Drafts waiting for approval up to ``days`` ahead, those whose time has passed (not sent)
    first: ``queue`` shows them apart, as none goes out before it is approved."""
    now = app.now()
    q = _items().where(_D.status == S.DRAFT, _D.due_at < now + timedelta(days=days))
    with db.read_core(app.engine) as s:
        return [_item(app, row, now) for row in s.execute(q)]


def due_now(app: App) -> list[AgendaItem]:
    """What ``publish`` would act on now (``states.ready`` on accounts that ``states.can_send``):
    queued deliveries to send, and unconfirmed ones to look for (and send only if not found)."""
    from sqlalchemy.orm import selectinload

    from campaigner import lateness
    from campaigner.models import Delivery

    now = app.now()
    q = _items().where(states.ready(now), states.can_send(now))
    with db.read(app.engine) as s:
        items = [_item(app, row, now) for row in s.execute(q)]
        queued = [i.delivery_id for i in items if i.status == S.QUEUED.value]  # unconfirmed: looked for first
        late = {}
        for d in s.scalars(select(Delivery).where(Delivery.id.in_(queued))
                           .options(selectinload(Delivery.parts), selectinload(Delivery.account))):
            late[d.id] = lateness.past_limit(d, d.account, app.settings.max_late_minutes, now,
                                             app.zone_for(d.account.timezone))
    return [dataclasses.replace(i, too_late=late.get(i.delivery_id)) for i in items]
