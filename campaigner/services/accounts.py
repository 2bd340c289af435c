"""Accounts: one identity on one platform, with its zone, caps and secrets."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from campaigner import db
from campaigner.app import App
from campaigner.config import check_timezone
from campaigner.errors import CampaignerError, ConfigError, InvalidInput, MissingSecret, NotFound
from campaigner.i18n import _, ngettext, number
from campaigner.models import Account, AccountStatus, Delivery, DeliveryStatus
from campaigner.secrets import SecretStatus, env_name
from connectors.base import AccountConfig, Connector, Quota
from connectors.registry import PLATFORMS, build_connector
from content.platforms import check_platform as canonical_platform, platform_record

NAME_RE = re.compile(r"[a-z0-9][a-z0-9_-]{0,63}")  # fullmatch: "$" alone lets "dup\n" through
UNSET = object()


def platform_names() -> str:
    return ", ".join(PLATFORMS)


def check_platform(platform: str) -> str:
    """The canonical name of ``platform`` (any case, or an alias such as ``twitter``, ``bsky``)."""
    try:
        return canonical_platform(platform)
    except ValueError:
        raise InvalidInput(_("unknown platform {platform!r}").format(platform=platform),
                           _("use one of {names}").format(names=platform_names())) from None


def check_base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidInput(_("base URL {url!r} is not an http(s) URL").format(url=url),
                           _("use e.g. https://mastodon.social"))
    if parts.username or parts.password:
        raise InvalidInput(_("base URL must not contain a user name or password"),
                           _("put credentials in secrets (campaigner account set-secret)"))
    return url.rstrip("/")


#: the most each account setting accepts (far above any real need: a bound, not a policy)
MOST = {"--daily-cap": 100_000, "--min-spacing": 1440, "--char-limit": 100_000}


def check_cap(value: int | None, what: str) -> int | None:
    if value is not None and value < 1:
        raise InvalidInput(_("{option} must be at least 1, got {value}").format(option=what, value=value),
                           _("leave --char-limit out for the platform's own limit") if what == "--char-limit"
                           else _("leave {option} out for no limit").format(option=what))
    if value is not None and value > MOST[what]:
        raise InvalidInput(_("{option} must be at most {most}, got {value}").format(
            option=what, most=number(MOST[what]), value=number(value)), _("give a smaller {option}").format(option=what))
    return value


def check_char_limit(value: int | None, platform: str) -> int | None:
    if value is not None and not platform_record(platform).own_limit:
        raise InvalidInput(_("{platform} has a fixed text limit: --char-limit does not apply").format(platform=platform),
                           _("leave --char-limit out (it is for a Mastodon instance's own limit or X Premium)"))
    return check_cap(value, "--char-limit")


def planned_cap(account: Account) -> int | None:
    """The most posts per local day planned for ``account``: the platform's own publishing quota
    (``quota_total``, as the platform last reported it) unless the user set a lower cap; None: no cap."""
    caps = [c for c in (account.daily_cap, account.quota_total) if c]
    return min(caps) if caps else None


def record_quota(app: App, account_id: int, quota: Quota | None) -> None:
    """Keep the publishing quota the platform reported for the account (``Identity.quota``,
    ``HasQuota.quota``): its ``total`` is the daily cap planned against (``planned_cap``)."""
    if quota is None:
        return
    with db.write(app.engine) as s:
        s.execute(update(Account).where(Account.id == account_id, or_(Account.quota_total.is_(None),
                                                                       Account.quota_total != quota.total))
                  .values(quota_total=quota.total))


def get(session: Session, name: str) -> Account:
    """The account named ``name``, in any case (names are stored lower-case: ``KSPI-X`` is kspi-x)."""
    account = session.scalar(select(Account).where(Account.name == name))
    if account is None and name != name.lower():
        account = session.scalar(select(Account).where(Account.name == name.lower()))
    if account is None:
        from campaigner.services import groups

        if groups.name_taken_by_group(session, name):  # where a group cannot stand for its accounts
            raise NotFound(_("{name!r} is a group, not an account").format(name=name),
                           _("give one of its accounts (see `campaigner group show {name}`)").format(name=name))
        raise NotFound(_("no account named {name!r}").format(name=name), _("see `campaigner account list`"))
    return account


def add(app: App, platform: str, name: str, *, handle: str | None = None, base_url: str | None = None,
        timezone: str | None = None, daily_cap: int | None = None, min_spacing: int | None = None,
        char_limit: int | None = None, max_late: int | None = None, requires_approval: bool = False) -> Account:
    """Add an account; ``max_late``: how late its posts may go out, in minutes (0: no limit; None:
    the configured default)."""
    platform = check_platform(platform)
    if not NAME_RE.fullmatch(name):
        raise InvalidInput(_("account name {name!r} is not allowed").format(name=name),
                           _("use lower-case letters, digits, '-' and '_' (e.g. kspi-x), up to 64 characters"))
    if base_url is not None:
        base_url = check_base_url(base_url)
    if timezone is not None:  # WIB, WITA, WIT become their IANA zones
        timezone = check_timezone(timezone, "for --timezone")
    with db.write(app.engine) as s:
        from campaigner.services import groups

        db.lock_names(s)
        if s.scalar(select(Account.id).where(Account.name == name)) is not None:
            raise InvalidInput(_("account {name!r} already exists").format(name=name),
                               _("pick another name or remove it first"))
        if groups.name_taken_by_group(s, name):
            raise InvalidInput(_("{name!r} is already a group's name").format(name=name),
                               _("give the account another name (accounts and groups need different names)"))
        account = Account(name=name, platform=platform, handle=handle, base_url=base_url, timezone=timezone,
                          daily_cap=check_cap(daily_cap, "--daily-cap") or platform_record(platform).default_daily_cap,
                          min_spacing_minutes=check_cap(min_spacing, "--min-spacing"),
                          char_limit=check_char_limit(char_limit, platform), max_late_minutes=max_late,
                          requires_approval=requires_approval, status=AccountStatus.ACTIVE, created_at=app.now())
        s.add(account)
    return account


def edit(app: App, name: str, *, handle=UNSET, base_url=UNSET, timezone=UNSET, daily_cap=UNSET,
         min_spacing=UNSET, char_limit=UNSET, max_late=UNSET, requires_approval=UNSET) -> Account:
    """Change an account's settings; ``None`` clears a value, ``UNSET`` leaves it."""
    with db.write(app.engine) as s:
        account = get(s, name)
        if handle is not UNSET:
            account.handle = handle
        if base_url is not UNSET:
            account.base_url = check_base_url(base_url) if base_url else None
        if timezone is not UNSET:
            account.timezone = check_timezone(timezone, "for --timezone") if timezone else None
        if daily_cap is not UNSET:
            account.daily_cap = check_cap(daily_cap, "--daily-cap")
        if min_spacing is not UNSET:
            account.min_spacing_minutes = check_cap(min_spacing, "--min-spacing")
        if char_limit is not UNSET:
            account.char_limit = check_char_limit(char_limit, account.platform)
        if max_late is not UNSET:  # queued posts follow it too: their limit is read when they go out
            account.max_late_minutes = max_late
        if requires_approval is not UNSET:  # for posts added from now on: queued ones stay queued
            account.requires_approval = bool(requires_approval)
    return account


def list_all(app: App) -> list[Account]:
    with db.read(app.engine) as s:
        return list(s.scalars(select(Account).order_by(Account.name)))


def show(app: App, name: str) -> tuple[Account, dict[str, int]]:
    """The account and its delivery counts by status."""
    with db.read(app.engine) as s:
        account = get(s, name)
        counts = dict(s.execute(select(Delivery.status, func.count()).where(Delivery.account_id == account.id)
                                .group_by(Delivery.status)).all())
        return account, {str(k): v for k, v in counts.items()}


def remove(app: App, name: str, *, purge: bool = False) -> list[tuple[str, int]]:
    """Remove an account. Refused while it has history, unless ``purge`` (which deletes that too).
    It is taken out of its groups: returns each one's name and how many accounts it has left."""
    from campaigner.services import groups

    with db.write(app.engine) as s:
        account = get(s, name)
        n = s.scalar(select(func.count()).select_from(Delivery).where(Delivery.account_id == account.id))
        active = s.scalar(select(func.count()).select_from(Delivery).where(
            Delivery.account_id == account.id,
            Delivery.status.in_([DeliveryStatus.QUEUED, DeliveryStatus.PUBLISHING, DeliveryStatus.UNCONFIRMED,
                                 DeliveryStatus.DRAFT])))
        if active:
            raise InvalidInput(ngettext("account {name!r} has {n} delivery waiting to go out",
                                        "account {name!r} has {n} deliveries waiting to go out", active).format(
                                   name=name, n=number(active)),
                               ngettext("cancel it first (campaigner post cancel ID --account {name})",
                                        "cancel them first (campaigner post cancel ID --account {name})",
                                        active).format(name=name))
        if n and not purge:
            raise InvalidInput(ngettext("account {name!r} has {n} delivery in its history",
                                        "account {name!r} has {n} deliveries in its history", n).format(
                                   name=name, n=number(n)),
                               _("pass --purge to delete the account with its history"))
        s.execute(delete(Delivery).where(Delivery.account_id == account.id))
        left = groups.leave_all(s, account.id)
        s.delete(account)
    app.secrets.forget(name)
    return left


def secret_status(app: App, account: Account) -> list[SecretStatus]:
    info = PLATFORMS[account.platform]
    return app.secrets.status(account.name, info.secret_fields, info.optional_secret_fields)


def missing_secrets(app: App, account: Account) -> list[str]:
    return [st.field for st in secret_status(app, account) if st.required and not st.is_set]


def missing_secret_error(account: Account, field: str) -> MissingSecret:
    return MissingSecret(_("account {name!r} has no {field} secret").format(name=account.name, field=field),
                         _("set {variable} or run `campaigner account set-secret {name} {field}`").format(
                             variable=env_name(account.name, field), name=account.name, field=field))


def check_secret_field(app: App, name: str, field: str) -> str:
    """The upper-cased field name, if ``name``'s platform has such a secret."""
    with db.read(app.engine) as s:
        account = get(s, name)
    info = PLATFORMS[account.platform]
    fields = (*info.secret_fields, *info.optional_secret_fields)
    if field.upper() not in fields:
        raise InvalidInput(_("{platform} accounts have no secret field {field!r}").format(platform=account.platform,
                                                                                         field=field),
                           _("use one of {names}").format(names=", ".join(fields)) if fields
                           else _("this platform needs no secrets"))
    return field.upper()


def set_secret(app: App, name: str, field: str, value: str) -> None:
    """Store a secret; a new renewable token's expiry is not known until it is first renewed (the
    one kept for the old token is forgotten, so the credentials watch renews the new one soon)."""
    field = check_secret_field(app, name, field)
    if not value:
        raise InvalidInput(_("the secret is empty"), _("type the value at the prompt"))
    app.secrets.set(name, field, value)
    with db.write(app.engine) as s:
        account = get(s, name)
        info = PLATFORMS[account.platform]
        if info.refreshes_token and field == info.refresh_secret:
            account.token_expires_at = None


def connector_config(app: App, account: Account, *, timeout: float = 20.0) -> AccountConfig:
    """What a connector needs for ``account``; refuses when a required secret is missing."""
    missing = missing_secrets(app, account)
    if missing:
        raise missing_secret_error(account, missing[0])
    info = PLATFORMS[account.platform]
    state_dir = app.settings.state_dir / account.name
    app.settings.ensure_data_dir()  # a bad data folder is one clear line, not an OSError
    state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    return AccountConfig(name=account.name, platform=account.platform,
                         base_url=account.base_url or info.default_base_url, handle=account.handle,
                         secrets=app.secrets.values(account.name, (*info.secret_fields, *info.optional_secret_fields)),
                         timeout=timeout, state_dir=state_dir)


def connector(app: App, account: Account, *, timeout: float = 20.0) -> Connector:
    """The platform connector for ``account``, on the app's clock; refuses when a required secret
    is missing."""
    return build_connector(connector_config(app, account, timeout=timeout), clock=app.now)



def verify(app: App, name: str, *, timeout: float = 20.0):
    """Ask the platform who the account's credentials belong to (``Connector.verify``); a
    publishing quota it reports is kept on the account (``record_quota``).

    Connector errors come back as one clear ``ConfigError`` (wrong or expired token, wrong
    instance, no network); secrets never appear in the message."""
    from connectors.base import AuthExpired, ConnectorError, RateLimited, Transient

    with db.read(app.engine) as s:
        account = get(s, name)
    where = account.base_url or PLATFORMS[account.platform].default_base_url or account.platform
    try:
        who = connector(app, account, timeout=timeout).verify()
    except AuthExpired as exc:
        raise ConfigError(_("{where} refused the credentials of {name!r} ({reason})").format(
                              where=where, name=name, reason=exc),
                          _("check or renew its secrets (campaigner account show {name})").format(name=name)) from None
    except Transient as exc:
        raise ConfigError(_("cannot reach {where} for {name!r} ({reason})").format(where=where, name=name, reason=exc),
                          _("check the network and --base-url, then try again")) from None
    except RateLimited as exc:
        raise ConfigError(_("{where} is rate-limiting {name!r} until {when} UTC").format(
                              where=where, name=name, when=f"{exc.retry_at:%Y-%m-%d %H:%M}"),
                          _("try again after that")) from None
    except ConnectorError as exc:  # Permanent, NotSupported
        raise ConfigError(_("{where} did not accept the check for {name!r} ({reason})").format(
                              where=where, name=name, reason=exc),
                          _("check --base-url points at the right server and the secrets belong to it")) from None
    record_quota(app, account.id, who.quota)
    return who


def check_media_place(app: App, platform: str, *, timeout: float = 10.0) -> str | None:
    """For a platform that fetches media from a public address (Instagram, Threads): put a probe
    file in the ``[media]`` place and fetch it back from ``public_url`` as Meta would. Returns the
    line saying it works, None for a platform that takes uploads; raises one ``ConfigError``
    saying what failed and how to fix it."""
    info = PLATFORMS[platform]
    if not info.media_by_url:
        return None
    from functools import partial

    from campaigner.media_host import MediaHost, fetch_public

    try:
        host = MediaHost.open(app)
        return host.probe(fetch=partial(fetch_public, deadline=timeout))
    except CampaignerError as exc:
        raise ConfigError(_("{platform} fetches media from a public address, and the [media] place does not "
                            "work: {reason}").format(platform=info.label, reason=exc.what), exc.fix) from None


def resume(app: App, name: str) -> Account:
    """Un-pause an account (after its credentials were fixed); its queued deliveries go out again."""
    with db.write(app.engine) as s:
        account = get(s, name)
        if account.status != AccountStatus.PAUSED:
            raise InvalidInput(_("account {name!r} is not paused").format(name=name), _("nothing to do"))
        account.status, account.status_reason = AccountStatus.ACTIVE, None
    return account
