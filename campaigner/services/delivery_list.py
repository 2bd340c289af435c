"""``post list``: deliveries (one post on one account) by due time, read with one Core select, so
the listing never imports the ORM nor sets up its mappers (tests/core/test_everyday_imports.py)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from campaigner import db
from campaigner.app import App
from campaigner.errors import InvalidInput
from campaigner.i18n import _
from campaigner.tables import DeliveryStatus as S
from campaigner.tables import accounts, campaigns, deliveries, delivery_parts, posts


@dataclass(frozen=True)
class DeliveryRow:
    """One line of ``post list``."""

    post_id: int
    delivery_id: int
    account: str
    platform: str
    timezone: str | None
    status: str
    due_at: datetime
    published_at: datetime | None
    remote_url: str | None
    campaign: str | None
    text: str
    last_error: str | None
    #: the moment it was meant for (``due_at`` unless a cap or spacing moved it)
    intended_at: datetime

    @property
    def late_by(self) -> timedelta | None:
        """How much later than its moment it went out (None: not published)."""
        return None if self.published_at is None else max(self.published_at - self.intended_at, timedelta(0))


def list_deliveries(app: App, *, status: str | None = None, campaign: str | None = None,
                    account: str | None = None, limit: int | None = None) -> list[DeliveryRow]:
    d, a, p, c, part = (t.c for t in (deliveries, accounts, posts, campaigns, delivery_parts))
    q = (select(d.post_id, d.id, a.name, a.platform, a.timezone, d.status, d.due_at, d.published_at, d.remote_url,
                c.slug, part.text, d.last_error, func.coalesce(d.intended_at, d.due_at))
         .select_from(deliveries)
         .join(accounts, a.id == d.account_id)
         .join(posts, p.id == d.post_id)
         .outerjoin(campaigns, c.id == p.campaign_id)
         .join(delivery_parts, (part.delivery_id == d.id) & (part.position == 0))
         .order_by(d.due_at, d.id))
    if status:
        try:
            q = q.where(d.status == S(status))
        except ValueError:
            raise InvalidInput(_("unknown status {status!r}").format(status=status),
                               _("use one of {statuses}").format(statuses=", ".join(s.value for s in S))) from None
    if campaign or account:  # names to look up (a group's accounts): the services that know them
        from campaigner.services import groups
        from campaigner.services.campaigns import get as get_campaign

        with db.read(app.engine) as s:
            if campaign:
                q = q.where(p.campaign_id == get_campaign(s, campaign).id)
            if account:
                q = q.where(d.account_id.in_([a.id for a in groups.accounts_named(s, account)]))
    if limit:
        q = q.limit(limit)
    with db.read_core(app.engine) as conn:
        rows: list[list[Any]] = [[*r[:5], str(r[5]), *r[6:]] for r in conn.execute(q)]  # the status as text
    return [DeliveryRow(*row) for row in rows]
