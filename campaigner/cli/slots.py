"""``campaigner slots …``: weekly posting slots per account."""
from __future__ import annotations

import click

from campaigner.cli.output import echo_json
from campaigner.i18n import _


@click.group()
def slots() -> None:
    """Set and show weekly posting slots (in each account's zone)."""


@slots.command("set")
@click.argument("names")
@click.argument("specs", nargs=-1, required=True)
@click.pass_obj
def set_(flags, names, specs) -> None:
    """Replace the slots of account NAMES (comma-separated; a group stands for its accounts) with SPECS.

    Example: campaigner slots set kspi-x,kspi-mastodon "mon-fri 08:00,12:00,19:00" "sat 09:00"
    """
    from campaigner.services import slots as svc

    given = list(dict.fromkeys(n.strip() for n in names.split(",") if n.strip()))
    accounts, compact = svc.set_slots(flags.app(), given, list(specs))  # all accounts or none
    for name in accounts:
        click.echo(f"{name}: {'; '.join(compact)}")


@slots.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def show(flags, name, as_json) -> None:
    """Show an account's slots (a group's: each of its accounts') and the next few slot times."""
    from campaigner.services import slots as svc
    from campaigner.times import format_local

    app = flags.app()
    shown = []
    for account, compact, upcoming in svc.show(app, name):
        zone = app.zone_for(account.timezone)
        shown.append({"account": account.name, "timezone": zone.key, "slots": compact,
                      "next": [{"at": t, "local": format_local(t, zone)} for t in upcoming]})
        if as_json:
            continue
        if not compact:
            click.echo(_('{name} has no slots. Set them with: campaigner slots set {name} "mon-fri 08:00,12:00,19:00"')
                       .format(name=account.name))
            continue
        click.echo(f"{account.name} ({zone.key}): {'; '.join(compact)}")
        click.echo(_("next: {times}").format(times=", ".join(format_local(t, zone) for t in upcoming)))
    if as_json:  # an account's object; a group's: its name and its accounts' objects
        echo_json(shown[0] if shown[0]["account"] == name else {"group": name, "accounts": shown})
