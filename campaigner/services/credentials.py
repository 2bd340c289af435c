"""The credentials watch: ask each active account's platform who it is, before a post needs it.

Why: a token that was revoked or ran out shows itself only when a post fails on it — maybe at a
campaign's busiest hour. The watch (``campaigner run`` every ``CHECK_EVERY``, one worker per
period, or ``campaigner account check`` from cron) calls each active account's ``verify()``:

- credentials refused (or a required secret missing): the account is paused at once and a
  ``paused`` alert raised, so someone renews them before its next post is due;
- a publishing quota the platform reports (Instagram, Threads: ``Identity.quota``) is kept on the
  account: its total is the daily cap planned against, unless the user set a lower one;
- a token the platform says will expire (``Identity.token_expires_at``; Facebook tells it) is
  stored on the account; within ``TOKEN_WARNING`` of that an ``expiring`` alert is raised once
  for that expiry (the weekly report and ``status`` show it too);
- a token the platform lets us renew (``PlatformInfo.refreshes_token``: Instagram and Threads,
  whose tokens last 60 days) is renewed once it expires within ``RENEW_BEFORE`` — or when its
  expiry is not known yet (Instagram tells it only when a token is renewed) — and the new token
  is written to the secrets file (atomically, mode 0600) with its expiry stored on the account.
  The platform refuses to renew a token younger than 24 hours (``NotSupported``): it is tried
  again at the next check. A token read from an environment variable cannot be rewritten: it is
  not renewed, ``account check`` says so, and an ``expiring`` alert asks a person to renew it or
  move it to the secrets file. An expiry that could not be pushed back is warned of
  ``TOKEN_WARNING`` ahead like any other;
- anything else (network down, rate limited) is logged and looked at again next time.

No transaction is held while a platform is asked. The token itself never appears in a log
line, an error, an alert or ``--json`` output: only which field and where it is kept.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import exists, insert, select, update

from campaigner import db
from campaigner.app import App
from campaigner.errors import CampaignerError, MissingSecret
from campaigner.i18n import _
from campaigner.models import Account, AccountStatus, Alert
from campaigner.services.accounts import connector, get, record_quota
from campaigner.services.token_expiry import TOKEN_WARNING, expires_soon  # noqa: F401 (here for its users)
from campaigner.times import format_local
from connectors.base import AuthExpired, Connector, ConnectorError, NotSupported, RefreshesToken
from connectors.registry import PLATFORMS, PlatformInfo

log = logging.getLogger(__name__)

#: how often the daemon asks every account's platform
CHECK_EVERY = timedelta(hours=6)
#: renew a renewable token once it expires this soon (Meta's last 60 days: renewed about monthly)
RENEW_BEFORE = timedelta(days=30)


@dataclass(frozen=True)
class Checked:
    """One account's check: ``ok`` (``detail``: who it is), ``paused`` (``detail``: why),
    ``unknown`` (the platform could not be asked; ``detail``: why) or ``skipped`` (named, but
    paused already: not asked). ``token``: what became of a renewable token (``renewed``, or
    why it was not and what a person should do); ``token_attention``: that needs a person."""

    account: str
    outcome: str
    detail: str
    token_expires_at: datetime | None = None
    token: str | None = None
    token_attention: bool = False


def check(app: App, now: datetime, *, names: list[str] | None = None) -> list[Checked]:
    """Check every active account (or those in ``names``: an unknown one is ``NotFound``), in
    name order."""
    with db.read(app.engine) as s:
        if names is None:
            accounts = list(s.scalars(select(Account).where(Account.status == AccountStatus.ACTIVE)
                                      .order_by(Account.name)))
        else:
            accounts = sorted((get(s, n) for n in dict.fromkeys(names)), key=lambda a: a.name)
    return [_check_one(app, a, now) if a.status == AccountStatus.ACTIVE else Checked(a.name, "skipped", _("paused already"))
            for a in accounts]


def _check_one(app: App, account: Account, now: datetime) -> Checked:
    try:
        conn = connector(app, account)
        who = conn.verify()
    except (AuthExpired, MissingSecret) as exc:  # refused, or a required secret missing
        reason = _("the credentials check failed: {reason}").format(reason=exc)
        _pause(app, account, reason, now)
        return Checked(account.name, "paused", reason)
    except (ConnectorError, CampaignerError) as exc:  # the platform or this install (secrets file, data folder)
        log.warning("credentials of %s not checked: %s", account.name, exc)
        return Checked(account.name, "unknown", str(exc))
    expires_at, note, attention = who.token_expires_at, None, False
    info = PLATFORMS[account.platform]
    if info.refreshes_token:
        if expires_at is None:  # the platform does not say (Instagram): what the last renewal said
            expires_at = account.token_expires_at
        expires_at, note, attention = _renew(app, account, conn, info, expires_at, now)
    _record_expiry(app, account, expires_at, now)
    record_quota(app, account.id, who.quota)
    return Checked(account.name, "ok", who.handle, expires_at, note, attention)


def _renew(app: App, account: Account, conn: Connector, info: PlatformInfo, expires_at: datetime | None,
           now: datetime) -> tuple[datetime | None, str | None, bool]:
    """Renew ``account``'s token when it is due: (its expiry now, what happened, whether a person
    must act). Nothing is done while it has more than ``RENEW_BEFORE`` left."""
    if expires_at is not None and expires_at > now + RENEW_BEFORE:
        return expires_at, None, False
    field, name = info.refresh_secret, account.name
    variable = app.secrets.from_environment(name, field)
    if variable is not None:
        message = env_token_message(name, field, variable, expires_at, app.zone_for(None))
        _alert_once(app, account, message, now)
        return expires_at, env_token_message(name, field, variable, expires_at, app.zone_for(None), whose=False), True
    try:
        renewed = cast(RefreshesToken, conn).refresh_token()
    except NotSupported as exc:  # too young to be renewed (Meta: under 24 hours): next time
        log.info("token of %s not renewed yet: %s", name, exc)
        return expires_at, None, False
    except ConnectorError as exc:  # refused (it can no longer be renewed), or the platform is down
        log.warning("token of %s not renewed: %s", name, exc)
        return expires_at, _("the token could not be renewed ({reason}); tried again at the next check").format(
            reason=exc), True
    if renewed.secret != field:
        log.error("token of %s: the platform renewed %s, not %s; not stored", name, renewed.secret, field)
        return expires_at, _("the token could not be renewed (the connector renewed {renewed}, not {field})").format(
            renewed=renewed.secret, field=field), True
    try:
        app.secrets.set(name, field, renewed.value)
    except CampaignerError as exc:  # the secrets file cannot be written: the old token still works
        log.error("the renewed token of %s could not be stored: %s", name, exc)
        return expires_at, _("the renewed token could not be stored ({reason}); tried again at the next check").format(
            reason=exc), True
    log.info("token of %s renewed%s", name,
             f", expires {renewed.expires_at.isoformat()}" if renewed.expires_at else "")
    return renewed.expires_at, _("token renewed"), False


def env_token_message(name: str, field: str, variable: str, expires_at: datetime | None, zone, *,
                      whose: bool = True) -> str:
    """Why a token from the environment is not renewed; ``whose``: naming the account ("the token
    of NAME …"), else "the token …" (said next to the account's name)."""
    if expires_at is not None:
        message = (_("the token of {name} comes from the environment variable {variable}, which campaigner cannot "
                     "rewrite, so it is not renewed: renew it on the platform before {when} and set it there again, "
                     "or store it in the secrets file (`campaigner account set-secret {name} {field}`) and "
                     "campaigner renews it by itself") if whose else
                   _("the token comes from the environment variable {variable}, which campaigner cannot rewrite, so "
                     "it is not renewed: renew it on the platform before {when} and set it there again, or store it "
                     "in the secrets file (`campaigner account set-secret {name} {field}`) and campaigner renews it "
                     "by itself"))
    else:
        message = (_("the token of {name} comes from the environment variable {variable}, which campaigner cannot "
                     "rewrite, so it is not renewed: renew it on the platform within 60 days of making it and set it "
                     "there again, or store it in the secrets file (`campaigner account set-secret {name} {field}`) "
                     "and campaigner renews it by itself") if whose else
                   _("the token comes from the environment variable {variable}, which campaigner cannot rewrite, so "
                     "it is not renewed: renew it on the platform within 60 days of making it and set it there "
                     "again, or store it in the secrets file (`campaigner account set-secret {name} {field}`) and "
                     "campaigner renews it by itself"))
    return message.format(name=name, variable=variable, field=field,
                          when=format_local(expires_at, zone) if expires_at is not None else "")


def _pause(app: App, account: Account, reason: str, now: datetime) -> None:
    with db.write(app.engine) as s:
        paused = db.rowcount(s.execute(update(Account).where(Account.id == account.id,
                                                             Account.status == AccountStatus.ACTIVE)
                                       .values(status=AccountStatus.PAUSED, status_reason=reason)))
        if paused:  # not if someone paused it meanwhile (the publisher, on a failed post)
            s.execute(insert(Alert).values(created_at=now, kind="paused", account_id=account.id,
                                           message=_("account {name} paused: {reason}").format(
                                               name=account.name, reason=reason)))
    log.warning("account %s paused: %s", account.name, reason)


def _record_expiry(app: App, account: Account, expires_at: datetime | None, now: datetime) -> None:
    with db.write(app.engine) as s:
        s.execute(update(Account).where(Account.id == account.id).values(token_expires_at=expires_at))
        if expires_at is None or not expires_soon(expires_at, now):
            return
        # once per expiry date: a renewed token with a new date warns again
        _insert_once(s, account, expiry_message(account.name, expires_at, app.zone_for(None)), now)


def _alert_once(app: App, account: Account, message: str, now: datetime) -> None:
    with db.write(app.engine) as s:
        _insert_once(s, account, message, now)


def _insert_once(s, account: Account, message: str, now: datetime) -> None:
    """An ``expiring`` alert with ``message``, unless the account has had that one already."""
    already = s.scalar(select(exists().where(Alert.account_id == account.id, Alert.kind == "expiring",
                                             Alert.message == message)))
    if not already:
        s.execute(insert(Alert).values(created_at=now, kind="expiring", account_id=account.id, message=message))
        log.warning("%s", message)


def expiry_message(name: str, expires_at: datetime, zone) -> str:
    return _("the token of {name} expires {when}: renew it on the platform, then "
             "`campaigner account set-secret {name} FIELD`").format(name=name, when=format_local(expires_at, zone))

