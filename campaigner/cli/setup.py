"""``campaigner init`` and ``campaigner config``."""
from __future__ import annotations

import click

from campaigner.cli.output import echo_json
from campaigner.i18n import _, english, ngettext, number


@click.command()
@click.pass_obj
def init(flags) -> None:
    """Create the database or bring it up to date (safe to run again)."""
    from campaigner import db
    from campaigner.migrate import upgrade

    app = flags.app()
    app.check_schema = False
    app.create_database = True
    app.settings.ensure_data_dir(app.settings.media_dir)  # first: a bad data folder changes nothing
    before = db.schema_revision(app.engine)  # refuses another program's or a newer campaigner's database
    upgrade(app.engine)
    after = db.current_revision(app.engine)
    where = db.describe(app.engine)
    if before == after:
        click.echo(_("Database {where} is up to date (schema {schema}).").format(where=where, schema=after))
    elif before is None:
        click.echo(_("Database {where} created (schema {schema}).").format(where=where, schema=after))
    else:
        click.echo(_("Database {where} upgraded (schema {schema}).").format(where=where, schema=after))
    from campaigner.services.imports import clean_abandoned
    from campaigner.services.replies import classify_pending

    classified = classify_pending(app)  # replies stored before schema 0011 have no kind yet
    if classified:
        click.echo(ngettext("Classified {n} stored reply by kind (question, support, oppose, other).",
                            "Classified {n} stored replies by kind (question, support, oppose, other).",
                            classified).format(n=classified))
    from campaigner.services.replies import judged_elsewhere_count

    left = judged_elsewhere_count(app)  # e.g. after an upgrade that changed the classifier
    if left:
        click.echo(ngettext("{n} stored reply was judged by another version of the reply classifier: the engine "
                            "judges it again, or run `campaigner replies reclassify` to do it now.",
                            "{n} stored replies were judged by another version of the reply classifier: the engine "
                            "judges them again a batch at a time (the newest first), or run `campaigner replies "
                            "reclassify` to do it now.", left).format(n=number(left)))
    gone = clean_abandoned(app, app.now())
    if gone:
        click.echo(ngettext("Removed what {n} abandoned import had written (their process stopped before the end; "
                            "nothing of them was queued).",
                            "Removed what {n} abandoned imports had written (their process stopped before the end; "
                            "nothing of them was queued).", gone).format(n=gone))


@click.group(invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_context
def config(ctx, as_json: bool) -> None:
    """Show the settings in force and where each comes from.

    `campaigner config init [PATH]` writes a commented starter config file.
    """
    if ctx.invoked_subcommand is not None:
        return
    _show(ctx.obj, as_json)


@config.command("init")
@click.argument("path", required=False)
@click.pass_obj
def config_init(flags, path) -> None:
    """Write a commented starter config file at PATH (default: --config, CAMPAIGNER_CONFIG, or
    the user's config folder). An existing file is never overwritten."""
    from pathlib import Path

    from campaigner.config import default_config_file, write_starter

    target = Path(path) if path else Path(flags.config) if flags.config else default_config_file()
    write_starter(target)
    click.echo(_("Wrote a starter config to {path}: every setting is commented out — remove the '#' of those "
                 "you want to change.").format(path=target))


def _show(flags, as_json: bool) -> None:
    s = flags.settings()
    with english(as_json):  # --json stays English
        values, media, alerts = _values(flags, s)
    if as_json:
        echo_json({"settings": values, "sources": dict(s.sources), "media": media, "alerts": alerts})
        return
    for key, value in values.items():
        src = s.sources.get(key, "")
        click.echo(f"{key:13} {value}" + (f"  ({_source(src)})" if src else ""))
    unset = _("not set (no [media] table: Instagram and Threads cannot publish media)")
    for key, value in (media or {"media": unset}).items():
        click.echo(f"{key:13} {value}")
    for key, value in alerts.items():
        click.echo(f"{key:13} {value}")


def _values(flags, s) -> tuple[dict[str, str], dict[str, str] | None, dict[str, str]]:
    """The settings as shown: (plain ones, [media], [alerts])."""
    from campaigner.db import safe_url
    from campaigner.lateness import format_minutes

    values = {"database_url": safe_url(s.database_url), "timezone": s.timezone, "data_dir": str(s.data_dir),
              "secrets_file": str(s.secrets_file), "config_file": str(s.config_file),
              "max_late": format_minutes(s.max_late_minutes), "lang": s.lang,
              "user": s.user or _("{user} (the system's user name)").format(user=_os_user()),
              "approvers": ", ".join(s.approvers) if s.approvers else _("anyone")}
    return values, _media_values(flags.app(), s), _alert_values(flags.app(), s)


def _alert_values(app, s) -> dict[str, str]:
    """The [alerts] settings as shown: the bot token only as set/not set (and where from)."""
    from campaigner.config import TELEGRAM_TOKEN_ENV, TELEGRAM_TOKEN_KEY
    from campaigner.secrets import MASK

    a = s.alerts
    shown = {"alerts.telegram_chat": a.telegram_chat or _("not set (alerts go to no Telegram chat)")}
    if a.telegram_chat:
        source = (_("environment {name}").format(name=TELEGRAM_TOKEN_ENV) if app.secrets.env.get(TELEGRAM_TOKEN_ENV) else
                  _("secrets file {path}").format(path=app.secrets.path)
                  if app.secrets.section("alerts").get(TELEGRAM_TOKEN_KEY) else None)
        shown["alerts.telegram_api"] = a.telegram_api
        shown[f"alerts.{TELEGRAM_TOKEN_KEY}"] = f"{MASK}  ({source})" if source else _("not set")
    shown["alerts.opposition_burst"] = (_("{n} oppose replies within {minutes} min").format(
        n=a.opposition_burst, minutes=a.opposition_window_minutes) if a.opposition_burst else _("0 (no alert)"))
    shown["alerts.unanswered_hours"] = (f"{a.unanswered_hours:g}" if a.unanswered_hours else _("0 (no alert)"))
    return shown


def _source(src: str) -> str:
    from campaigner.config import describe_source

    return describe_source(src)


def _os_user() -> str:
    from campaigner.config import os_user

    return os_user() or _("unknown")


def _media_values(app, s) -> dict[str, str] | None:
    """The [media] settings as shown: the storage keys only as set/not set (and where from)."""
    from campaigner.config import MEDIA_SECRET_ENV
    from campaigner.secrets import MASK

    if s.media is None:
        return None
    m = s.media
    place = ({"media.public_dir": str(m.public_dir)} if m.public_dir else
             {"media.endpoint": str(m.endpoint), "media.bucket": str(m.bucket), "media.prefix": m.prefix,
              "media.region": m.region})
    shown = {"media.public_url": m.public_url, **place, "media.keep_days": str(m.keep_days)}
    if m.bucket:
        table = app.secrets.section("media")
        for key, env in MEDIA_SECRET_ENV.items():
            source = (_("environment {name}").format(name=env) if app.secrets.env.get(env) else
                      _("secrets file {path}").format(path=app.secrets.path) if table.get(key) else None)
            shown[f"media.{key}"] = f"{MASK}  ({source})" if source else _("not set")
    return shown
