"""``campaigner account …``: the accounts posts go out on."""
from __future__ import annotations

import click

from campaigner.cli.output import echo_json, max_late_minutes, quiet, table
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
    click.echo(f"Added {a.platform} account {a.name}" + (" (its posts need approval)." if requires_approval else "."))
    missing = svc.missing_secrets(app, a)
    if missing:
        from campaigner.secrets import env_name

        click.echo(f"It needs secrets before it can publish: {', '.join(missing)} "
                   f"(e.g. {env_name(a.name, missing[0])}, or `campaigner account set-secret {a.name} {missing[0]}`).")
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
        click.echo(f"Warning: {exc}", err=True)
        return str(exc)
    if works:
        click.echo(f"Media: OK — {works}")
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
        raise click.UsageError("nothing to change")
    if "max_late" in given:
        given["max_late"] = None if given["max_late"].strip().lower() == "default" else max_late_minutes(given["max_late"])
    svc.edit(flags.app(), name, **given)
    click.echo(f"Updated account {name}.")


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
        click.echo("No accounts yet. Add one with: campaigner account add PLATFORM NAME")
        return
    from campaigner.services.accounts import planned_cap

    table([[a.name, a.platform, a.handle or "", a.timezone or app.settings.timezone,
            str(planned_cap(a) or "-"), a.status.value] for a in accounts],
          ["NAME", "PLATFORM", "HANDLE", "ZONE", "CAP/DAY", "STATUS"])


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
    for key, value in _account_dict(app, a).items():
        if value is not None:
            click.echo(f"{key + ':':20} {value}")
    click.echo(f"{'deliveries:':20} " + (", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "none"))
    if secrets:
        click.echo("secrets:")
        for s in secrets:
            state = f"{MASK}  (from {s.source})" if s.is_set else ("MISSING" if s.required else "not set (optional)")
            click.echo(f"  {s.field:20} {state}")


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
    click.echo(for_display(f"{name}: OK — signed in as {who.handle}"
                           + (f" ({who.display_name})" if who.display_name else "")
                           + (f", {who.url}" if who.url else ""))
               + (f"; the token expires {format_local(who.token_expires_at, app.zone_for(None))}"
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
            expires = f", token expires {format_local(r.token_expires_at, zone)}" if r.token_expires_at else ""
            token = f"; {r.token}" if r.token else ""
            click.echo({"ok": f"{r.account}: OK — {r.detail}{expires}{token}",
                        "paused": f"{r.account}: PAUSED — {r.detail}; once fixed: campaigner account resume {r.account}",
                        "unknown": f"{r.account}: not checked — {r.detail}",
                        "skipped": f"{r.account}: paused already, not asked — once fixed: campaigner account resume "
                                   f"{r.account}"}[r.outcome])
        if not results and not quiet():
            click.echo("No active accounts to check.")
    if any(r.outcome == "paused" for r in results):
        sys.exit(1)


@account.command("resume")
@click.argument("name")
@click.pass_obj
def resume(flags, name) -> None:
    """Un-pause an account whose credentials were refused, once they are fixed."""
    from campaigner.services import accounts as svc

    svc.resume(flags.app(), name)
    click.echo(f"Resumed account {name}; its queued posts will go out.")


@account.command("remove")
@click.argument("name")
@click.option("--purge", is_flag=True, help="Also delete the account's delivery history.")
@click.pass_obj
def remove(flags, name, purge) -> None:
    """Remove an account (refused while posts wait to go out on it)."""
    from campaigner.services import accounts as svc

    left = svc.remove(flags.app(), name, purge=purge)
    click.echo(f"Removed account {name}.")
    for group, n in left:
        click.echo(f"It was taken out of group {group}" + (" (now empty)." if n == 0 else "."))


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
            value = click.prompt(f"{field.upper()} for {name}", hide_input=True, default="", show_default=False)
        except click.Abort:
            value = ""
    else:  # piped in: the first line, with no prompt and no warning that it could be echoed
        value = sys.stdin.readline()
    if not value.strip():
        raise InvalidInput(f"no value given for {field.upper()}",
                           f"type it at the prompt, or give it on standard input: "
                           f"campaigner account set-secret {name} {field.upper()} < FILE")
    svc.set_secret(app, name, field, value.strip())
    click.echo(f"Stored {field.upper()} for {name} in {app.settings.secrets_file} (mode 600).")
