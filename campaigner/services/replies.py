"""Replies to published posts: collected where the platform allows it, stored once, scored."""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Callable

from sqlalchemy import func, select

from campaigner import db
from campaigner.app import App
from campaigner.errors import CampaignerError
from campaigner.models import Account, AccountStatus, Delivery, DeliveryStatus as S, Reply
from campaigner.services.accounts import connector as account_connector
from campaigner.services.metrics import skip_reason
from connectors.base import Connector, ConnectorError

log = logging.getLogger(__name__)

#: replies are looked for during a post's first week
HORIZON = timedelta(days=7)


@dataclass
class RepliesReport:
    new: int = 0
    requests: int = 0
    skipped_accounts: dict[str, str] = field(default_factory=dict)


def collect_replies(app: App, delivery_ids: set[int] | None = None, *,
                    connector_for: Callable[[Account], Connector] | None = None) -> RepliesReport:
    """Fetch replies to posts published in the last week (or to ``delivery_ids``), store the new
    ones once each with their sentiment. Platforms without replies (Telegram) are skipped."""
    from content.sentiment import score

    now = app.now()
    newest = (select(Reply.delivery_id, func.max(Reply.created_at).label("at")).group_by(Reply.delivery_id)
              .subquery())
    q = (select(Delivery.id, Delivery.account_id, Delivery.remote_id, newest.c.at)
         .join(Account, Account.id == Delivery.account_id)
         .outerjoin(newest, newest.c.delivery_id == Delivery.id)
         .where(Delivery.status == S.PUBLISHED, Delivery.remote_id.is_not(None),
                Delivery.published_at >= now - HORIZON, Account.status == AccountStatus.ACTIVE))
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
                found = connector.replies(remote_id, since)
            except ConnectorError as exc:  # NotSupported (Telegram) included
                report.skipped_accounts[account.name] = skip_reason(exc)
                break
            report.requests += 1
            if not found:
                continue
            with db.write(app.engine) as s:
                known = set(s.scalars(select(Reply.remote_id).where(Reply.delivery_id == did)))
                for r in found:
                    if r.remote_id in known:
                        continue
                    verdict = score(r.text, language_hint=r.language)
                    s.add(Reply(delivery_id=did, remote_id=r.remote_id, author=r.author, text=r.text,
                                created_at=r.created_at, language=verdict.language or r.language,
                                polarity=verdict.polarity, sentiment=verdict.label, collected_at=now))
                    known.add(r.remote_id)
                    report.new += 1
    for name, why in report.skipped_accounts.items():
        log.info("replies for %s not collected: %s", name, why)
    return report
