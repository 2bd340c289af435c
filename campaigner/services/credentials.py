"""The credentials watch: ask each active account's platform who it is, before a post needs it.

Why: a token that was revoked or ran out shows itself only when a post fails on it — maybe at a
campaign's busiest hour. The watch (``campaigner run`` every ``CHECK_EVERY``, one worker per
period, or ``campaigner account check`` from cron) calls each active account's ``verify()``:

- credentials refused (or a required secret missing): the account is paused at once and a
  ``paused`` alert raised, so someone renews them before its next post is due;
- a token the platform says will expire (``Identity.token_expires_at``; Facebook tells it) is
  stored on the account; within ``TOKEN_WARNING`` of that an ``expiring`` alert is raised once
  for that expiry (the weekly report and ``status`` show it too);
- anything else (network down, rate limited) is logged and looked at again next time.

No transaction is held while a platform is asked.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import exists, insert, select, update

from campaigner import db
from campaigner.app import App
from campaigner.errors import CampaignerError, MissingSecret
from campaigner.models import Account, AccountStatus, Alert
from campaigner.services.accounts import connector, get
from campaigner.times import format_local
from connectors.base import AuthExpired, ConnectorError

log = logging.getLogger(__name__)

#: how often the daemon asks every account's platform
CHECK_EVERY = timedelta(hours=6)
#: warn about a token expiring this soon
TOKEN_WARNING = timedelta(days=14)


@dataclass(frozen=True)
class Checked:
    """One account's check: ``ok`` (``detail``: who it is), ``paused`` (``detail``: why),
    ``unknown`` (the platform could not be asked; ``detail``: why) or ``skipped`` (named, but
    paused already: not asked)."""

    account: str
    outcome: str
    detail: str
    token_expires_at: datetime | None = None


def expires_soon(expires_at: datetime | None, now: datetime) -> bool:
    """Whether a token expiring at ``expires_at`` is within ``TOKEN_WARNING`` (or past it)."""
    return expires_at is not None and expires_at <= now + TOKEN_WARNING


def check(app: App, now: datetime, *, names: list[str] | None = None) -> list[Checked]:
    """Check every active account (or those in ``names``: an unknown one is ``NotFound``), in
    name order."""
    with db.read(app.engine) as s:
        if names is None:
            accounts = list(s.scalars(select(Account).where(Account.status == AccountStatus.ACTIVE)
                                      .order_by(Account.name)))
        else:
            accounts = sorted((get(s, n) for n in dict.fromkeys(names)), key=lambda a: a.name)
    return [_check_one(app, a, now) if a.status == AccountStatus.ACTIVE else Checked(a.name, "skipped", "paused already")
            for a in accounts]


def _check_one(app: App, account: Account, now: datetime) -> Checked:
    try:
        who = connector(app, account).verify()
    except (AuthExpired, MissingSecret) as exc:  # refused, or a required secret missing
        reason = f"the credentials check failed: {exc}"
        _pause(app, account, reason, now)
        return Checked(account.name, "paused", reason)
    except (ConnectorError, CampaignerError) as exc:  # the platform or this install (secrets file, data folder)
        log.warning("credentials of %s not checked: %s", account.name, exc)
        return Checked(account.name, "unknown", str(exc))
    _record_expiry(app, account, who.token_expires_at, now)
    return Checked(account.name, "ok", who.handle, who.token_expires_at)


def _pause(app: App, account: Account, reason: str, now: datetime) -> None:
    with db.write(app.engine) as s:
        paused = db.rowcount(s.execute(update(Account).where(Account.id == account.id,
                                                             Account.status == AccountStatus.ACTIVE)
                                       .values(status=AccountStatus.PAUSED, status_reason=reason)))
        if paused:  # not if someone paused it meanwhile (the publisher, on a failed post)
            s.execute(insert(Alert).values(created_at=now, kind="paused", account_id=account.id,
                                           message=f"account {account.name} paused: {reason}"))
    log.warning("account %s paused: %s", account.name, reason)


def _record_expiry(app: App, account: Account, expires_at: datetime | None, now: datetime) -> None:
    with db.write(app.engine) as s:
        s.execute(update(Account).where(Account.id == account.id).values(token_expires_at=expires_at))
        if expires_at is None or not expires_soon(expires_at, now):
            return
        message = expiry_message(account.name, expires_at, app.zone_for(None))
        already = s.scalar(select(exists().where(Alert.account_id == account.id, Alert.kind == "expiring",
                                                 Alert.message == message)))
        if not already:  # once per expiry date: a renewed token with a new date warns again
            s.execute(insert(Alert).values(created_at=now, kind="expiring", account_id=account.id, message=message))
            log.warning("%s", message)


def expiry_message(name: str, expires_at: datetime, zone) -> str:
    return (f"the token of {name} expires {format_local(expires_at, zone)}: renew it on the platform, then "
            f"`campaigner account set-secret {name} FIELD`")

