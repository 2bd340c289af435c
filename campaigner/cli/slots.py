"""``campaigner slots …``: weekly posting slots per account."""
from __future__ import annotations

import click

from campaigner.cli.output import echo_json


@click.group()
def slots() -> None:
    """Set and show weekly posting slots (in each account's zone)."""


@slots.command("set")
@click.argument("names")
@click.argument("specs", nargs=-1, required=True)
@click.pass_obj
def set_(flags, names, specs) -> None:
    """Replace the slots of account NAMES (comma-separated) with SPECS.

    Example: campaigner slots set kspi-x,kspi-mastodon "mon-fri 08:00,12:00,19:00" "sat 09:00"
    """
    from campaigner.services import slots as svc

    accounts = list(dict.fromkeys(n.strip() for n in names.split(",") if n.strip()))
    compact = svc.set_slots(flags.app(), accounts, list(specs))  # all accounts or none
    for name in accounts:
        click.echo(f"{name}: {'; '.join(compact)}")


@slots.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def show(flags, name, as_json) -> None:
    """Show an account's slots and the next few slot times."""
    from campaigner.services import slots as svc
    from campaigner.times import format_local

    app = flags.app()
    account, compact, upcoming = svc.show(app, name)
    zone = app.zone_for(account.timezone)
    if as_json:
        echo_json({"account": account.name, "timezone": zone.key, "slots": compact,
                   "next": [{"at": t, "local": format_local(t, zone)} for t in upcoming]})
        return
    if not compact:
        click.echo(f'{name} has no slots. Set them with: campaigner slots set {name} "mon-fri 08:00,12:00,19:00"')
        return
    click.echo(f"{name} ({zone.key}): {'; '.join(compact)}")
    click.echo("next: " + ", ".join(format_local(t, zone) for t in upcoming))
