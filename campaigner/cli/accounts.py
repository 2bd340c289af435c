"""``campaigner account …``: the accounts posts go out on."""
from __future__ import annotations

import click

from campaigner.cli.output import echo_json, max_late_minutes, quiet, table
from campaigner.i18n import N_, _
from campaigner.status_words import status_word
from content.platforms import PLATFORMS as _PLATFORMS


def _account_dict(app, a) -> dict:
    from campaigner.lateness import format_minutes

    return {"name": a.name, "platform": a.platform, "handle": a.handle, "base_url": a.base_url,
            "timezone": a.timezone or app.settings.timezone, "daily_cap": a.daily_cap,
            # the platform's own publishing quota (Instagram, Threads), planned as the cap when lower
            "quota_total": a.quota_total,
            "min_spacing_minutes": a.min_spacing_minutes, "char_limit": a.char_limit,
            "max_late": format_minutes(a.max_late_minutes if a.max_late_minutes is not None
                                       else app.settings.max_late_minutes),
            "max_late_from": "account" if a.max_late_minutes is not None else "default",
            "requires_approval": a.requires_approval,
            "status": a.status.value, "status_reason": a.status_reason, "held_until": a.held_until,
            "held_reason": a.held_reason}


@click.group()
def account() -> None:
    """Add, list, show, test and remove accounts."""


@account.command("add", help=f"""Add an account: PLATFORM is one of {", ".join(_PLATFORMS)}.

    Secrets are never given as flags: set CAMPAIGNER_SECRET_<NAME>_<FIELD> or run
    `campaigner account set-secret NAME FIELD`.
    """)
@click.argument("platform")
@click.argument("name")
@click.option("--handle", help="The account's handle, e.g. @kspi_official.")
@click.option("--base-url", help="API address (self-hosted Mastodon, a Bluesky PDS, a test server).")
@click.option("--timezone", help="IANA zone for this account's times (default: the configured zone).")
@click.option("--daily-cap", type=int, help="Most posts per local day (X default: 17, the free tier; Instagram and "
                                            "Threads: the quota the platform reports).")
@click.option("--min-spacing", type=int, metavar="MINUTES", help="Least time between two posts.")
@click.option("--char-limit", type=int, help="The account's own text limit: a Mastodon server's, or X Premium's.")
@click.option("--max-late", metavar="DURATION",
              help="How late its posts may still go out: 30m, 6h, 2d or none (default: the configured max_late, 6h).")
@click.option("--requires-approval", is_flag=True,
              help="Posts to it start as drafts: nothing goes out before someone approves it.")
@click.pass_obj
def add(flags, platform, name, handle, base_url, timezone, daily_cap, min_spacing, char_limit, max_late,
        requires_approval) -> None:
    from campaigner.services import accounts as svc

    app = flags.app()
    a = svc.add(app, platform, name, handle=handle, base_url=base_url, timezone=timezone, daily_cap=daily_cap,
                min_spacing=min_spacing, char_limit=char_limit, max_late=max_late_minutes(max_late),
                requires_approval=requires_approval)
    click.echo((_("Added {platform} account {name} (its posts need approval).") if requires_approval
                else _("Added {platform} account {name}.")).format(platform=a.platform, name=a.name))
    missing = svc.missing_secrets(app, a)
    if missing:
        from campaigner.secrets import env_name

        click.echo(_("It needs secrets before it can publish: {fields} (e.g. {variable}, or "
                     "`campaigner account set-secret {name} {field}`).").format(
            fields=", ".join(missing), variable=env_name(a.name, missing[0]), name=a.name, field=missing[0]))
    _media_place(app, a.platform, warn=True)


def _media_place(app, platform: str, *, warn: bool, timeout: float = 10.0) -> str | None:
    """Check the [media] place for a platform that fetches media by URL: print that it works and
    return None; otherwise (``warn``) print a warning and return it, or raise the error."""
    from campaigner.errors import CampaignerError
    from campaigner.services import accounts as svc

    try:
        works = svc.check_media_place(app, platform, timeout=timeout)
    except CampaignerError as exc:
        if not warn:
            raise
        click.echo(_("Warning: {message}").format(message=exc), err=True)
        return str(exc)
    if works:
        click.echo(_("Media: OK — {detail}").format(detail=works))
    return None


@account.command("edit")
@click.argument("name")
@click.option("--handle")
@click.option("--base-url")
@click.option("--timezone")
@click.option("--daily-cap", type=int)
@click.option("--min-spacing", type=int, metavar="MINUTES")
@click.option("--char-limit", type=int)
@click.option("--max-late", metavar="DURATION", help="30m, 6h, 2d, none, or default (the configured max_late).")
@click.option("--requires-approval/--no-requires-approval", default=None,
              help="Posts to it start as drafts until approved (posts already queued are not changed).")
@click.pass_obj
def edit(flags, name, **changes) -> None:
    """Change an account's settings (only the options given)."""
    from campaigner.services import accounts as svc

    given = {k: v for k, v in changes.items() if v is not None}
    if not given:
        raise click.UsageError(_("nothing to change"))
    if "max_late" in given:
        given["max_late"] = None if given["max_late"].strip().lower() == "default" else max_late_minutes(given["max_late"])
    svc.edit(flags.app(), name, **given)
    click.echo(_("Updated account {name}.").format(name=name))


@account.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def list_(flags, as_json) -> None:
    """List the accounts."""
    from campaigner.services import accounts as svc

    app = flags.app()
    accounts = svc.list_all(app)
    if as_json:
        echo_json([_account_dict(app, a) for a in accounts])
        return
    if not accounts:
        click.echo(_("No accounts yet. Add one with: campaigner account add PLATFORM NAME"))
        return
    from campaigner.services.accounts import planned_cap

    table([[a.name, a.platform, a.handle or "", a.timezone or app.settings.timezone,
            str(planned_cap(a) or "-"), _(_SHOW_WORDS.get(a.status.value, a.status.value))] for a in accounts],
          [_("NAME"), _("PLATFORM"), _("HANDLE"), _("ZONE"), _("CAP/DAY"), _("STATUS")])


@account.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def show(flags, name, as_json) -> None:
    """Show an account, its deliveries and which secrets are set (masked)."""
    from campaigner.secrets import MASK
    from campaigner.services import accounts as svc

    app = flags.app()
    a, counts = svc.show(app, name)
    secrets = svc.secret_status(app, a)
    if as_json:
        echo_json({**_account_dict(app, a), "deliveries": counts,
                   "secrets": [{"field": s.field, "required": s.required, "set": s.is_set, "source": s.source}
                               for s in secrets]})
        return
    width = max(20, *(len(_(label)) + 1 for label in [*_SHOW_LABELS.values(), _DELIVERIES]))
    for key, value in _account_dict(app, a).items():
        if value is not None:
            click.echo(f"{_(_SHOW_LABELS[key]):{width}} {_show_value(key, value)}")
    click.echo(f"{_(_DELIVERIES):{width}} " + (", ".join(f"{v} {status_word(k)}" for k, v in sorted(counts.items()))
                                            or _("none")))
    if secrets:
        click.echo(_("secrets:"))
        for s in secrets:
            state = (_("{mask}  (from {source})").format(mask=MASK, source=s.source) if s.is_set
                     else _("MISSING") if s.required else _("not set (optional)"))
            click.echo(f"  {s.field:20} {state}")


#: the labels of ``account show`` (the keys of its --json output, which stay English)
_SHOW_LABELS = {
    "name": N_("name:"), "platform": N_("platform:"), "handle": N_("handle:"), "base_url": N_("base_url:"),
    "timezone": N_("timezone:"), "daily_cap": N_("daily_cap:"), "quota_total": N_("quota_total:"),
    "min_spacing_minutes": N_("min_spacing_minutes:"), "char_limit": N_("char_limit:"), "max_late": N_("max_late:"),
    "max_late_from": N_("max_late_from:"), "requires_approval": N_("requires_approval:"), "status": N_("status:"),
    "status_reason": N_("status_reason:"), "held_until": N_("held_until:"), "held_reason": N_("held_reason:"),
}
_DELIVERIES = N_("deliveries:")
#: words shown as values there: an account's status, where max_late comes from
_SHOW_WORDS = {"active": N_("active"), "paused": N_("paused"), "account": N_("account"), "default": N_("default")}


def _show_value(key: str, value) -> str:
    if key == "requires_approval":
        return _("True") if value else _("False")
    if key in ("status", "max_late_from") and value in _SHOW_WORDS:
        return _(_SHOW_WORDS[value])
    return str(value)


@account.command("test")
@click.argument("name")
@click.option("--timeout", type=float, default=20.0, show_default=True, help="Seconds to wait for the platform.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def test(flags, name, timeout, as_json) -> None:
    """Check the account's credentials with the platform and show who they belong to; for a
    platform that fetches media by URL (Instagram, Threads), also that the [media] place serves
    what campaigner puts there."""
    import sys

    from campaigner.services import accounts as svc

    from campaigner.times import format_local

    app = flags.app()
    who = svc.verify(app, name, timeout=timeout)
    platform = svc.show(app, name)[0].platform
    if as_json:
        from campaigner.errors import CampaignerError

        media: dict | None = None
        try:
            works = svc.check_media_place(app, platform, timeout=timeout)
            media = {"ok": True, "detail": works} if works else None
        except CampaignerError as exc:
            media = {"ok": False, "detail": str(exc)}
        echo_json({"account": name, "remote_id": who.remote_id, "handle": who.handle,
                   "display_name": who.display_name, "url": who.url, "token_expires_at": who.token_expires_at,
                   "media": media})
        if media is not None and not media["ok"]:
            sys.exit(1)
        return
    from content.untrusted import for_display

    # the platform's answer: shown without escape sequences or bidi overrides
    if who.display_name and who.url:
        signed = _("{name}: OK — signed in as {handle} ({display_name}), {url}")
    elif who.display_name:
        signed = _("{name}: OK — signed in as {handle} ({display_name})")
    elif who.url:
        signed = _("{name}: OK — signed in as {handle}, {url}")
    else:
        signed = _("{name}: OK — signed in as {handle}")
    click.echo(for_display(signed.format(name=name, handle=who.handle, display_name=who.display_name, url=who.url))
               + (_("; the token expires {when}").format(when=format_local(who.token_expires_at, app.zone_for(None)))
                  if who.token_expires_at else ""))
    _media_place(app, platform, warn=False, timeout=timeout)


@account.command("check")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def check(flags, names, as_json) -> None:
    """Check every active account's credentials with its platform now (what `campaigner run` does
    every 6 hours): refused ones are paused at once, expiring tokens are warned of, and tokens that
    can be renewed (Instagram, Threads) are renewed in the secrets file a month before they expire."""
    import sys

    from campaigner.services import credentials
    from campaigner.times import format_local

    app = flags.app()
    now = app.now()
    results = credentials.check(app, now, names=list(names) if names else None)
    if as_json:
        echo_json(results)
    else:
        zone = app.zone_for(None)
        for r in results:
            if (quiet() and r.outcome == "ok" and not credentials.expires_soon(r.token_expires_at, now)
                    and not r.token_attention):
                continue
            expires = (_(", token expires {when}").format(when=format_local(r.token_expires_at, zone))
                       if r.token_expires_at else "")
            token = f"; {r.token}" if r.token else ""
            click.echo({"ok": _("{account}: OK — {detail}").format(account=r.account, detail=r.detail) + expires + token,
                        "paused": _("{account}: PAUSED — {detail}; once fixed: campaigner account resume {account}"),
                        "unknown": _("{account}: not checked — {detail}"),
                        "skipped": _("{account}: paused already, not asked — once fixed: campaigner account resume "
                                     "{account}")}[r.outcome].format(account=r.account, detail=r.detail))
        if not results and not quiet():
            click.echo(_("No active accounts to check."))
    if any(r.outcome == "paused" for r in results):
        sys.exit(1)


@account.command("resume")
@click.argument("name")
@click.pass_obj
def resume(flags, name) -> None:
    """Un-pause an account whose credentials were refused, once they are fixed."""
    from campaigner.services import accounts as svc

    svc.resume(flags.app(), name)
    click.echo(_("Resumed account {name}; its queued posts will go out.").format(name=name))


@account.command("remove")
@click.argument("name")
@click.option("--purge", is_flag=True, help="Also delete the account's delivery history.")
@click.pass_obj
def remove(flags, name, purge) -> None:
    """Remove an account (refused while posts wait to go out on it)."""
    from campaigner.services import accounts as svc

    left = svc.remove(flags.app(), name, purge=purge)
    click.echo(_("Removed account {name}.").format(name=name))
    for group, n in left:
        click.echo((_("It was taken out of group {group} (now empty).") if n == 0
                    else _("It was taken out of group {group}.")).format(group=group))


@account.command("set-secret")
@click.argument("name")
@click.argument("field")
@click.pass_obj
def set_secret(flags, name, field) -> None:
    """Store one secret FIELD for account NAME in the secrets file (typed at a hidden prompt, or
    read from standard input: `campaigner account set-secret NAME FIELD < file`)."""
    import sys

    from campaigner.errors import InvalidInput
    from campaigner.services import accounts as svc

    app = flags.app()
    field = svc.check_secret_field(app, name, field)
    if sys.stdin.isatty():
        try:
            value = click.prompt(_("{field} for {name}").format(field=field.upper(), name=name), hide_input=True, default="", show_default=False)
        except click.Abort:
            value = ""
    else:  # piped in: the first line, with no prompt and no warning that it could be echoed
        value = sys.stdin.readline()
    if not value.strip():
        raise InvalidInput(_("no value given for {field}").format(field=field.upper()),
                           _("type it at the prompt, or give it on standard input: "
                             "campaigner account set-secret {name} {field} < FILE").format(name=name,
                                                                                          field=field.upper()))
    svc.set_secret(app, name, field, value.strip())
    click.echo(_("Stored {field} for {name} in {path} (mode 600).").format(field=field.upper(), name=name,
                                                                         path=app.settings.secrets_file))
