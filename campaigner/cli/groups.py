"""``campaigner group …``: names for several accounts at once (``--to semua``)."""
from __future__ import annotations

import click

from campaigner.cli.output import echo_json, table


@click.group()
def group() -> None:
    """Name several accounts at once: a group works wherever account names do."""


def _names(values: tuple[str, ...]) -> list[str]:
    return [n.strip() for v in values for n in v.split(",") if n.strip()]


@group.command("add")
@click.argument("name")
@click.argument("accounts", nargs=-1, required=True, metavar="ACCOUNT...")
@click.pass_obj
def add(flags, name, accounts) -> None:
    """Create group NAME with these accounts, or add them to it (at its end).

    A group given among the accounts adds its accounts as they are now.
    Example: campaigner group add semua kspi-x kspi-mastodon kspi-bsky
    """
    from campaigner.services import groups as svc
    from campaigner.wording import plural

    done = svc.add(flags.app(), name, _names(accounts))
    members = f"{plural(len(done.members), 'account')}: {', '.join(done.members)}"
    if done.created:
        click.echo(f"Created group {done.name} with {members}.")
    else:
        click.echo(f"Added {', '.join(done.changed)} to group {done.name} (now {members}).")
    if done.unchanged:
        click.echo(f"Note: {', '.join(done.unchanged)} {'was' if len(done.unchanged) == 1 else 'were'} in it already.",
                   err=True)


@group.command("remove")
@click.argument("name")
@click.argument("accounts", nargs=-1, metavar="[ACCOUNT]...")
@click.pass_obj
def remove(flags, name, accounts) -> None:
    """Take ACCOUNTs out of group NAME; without ACCOUNTs, remove the group (its accounts stay)."""
    from campaigner.services import groups as svc
    from campaigner.wording import plural

    done = svc.remove(flags.app(), name, _names(accounts))
    if done.removed:
        click.echo(f"Removed group {done.name} (its accounts are kept).")
        return
    left = f"now {plural(len(done.members), 'account')}: {', '.join(done.members)}" if done.members else "now empty"
    click.echo(f"Took {', '.join(done.changed)} out of group {done.name} ({left}).")
    if done.unchanged:
        click.echo(f"Note: {', '.join(done.unchanged)} {'was' if len(done.unchanged) == 1 else 'were'} not in it.",
                   err=True)


@group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def list_(flags, as_json) -> None:
    """List the groups and their accounts."""
    from campaigner.services import groups as svc

    rows = svc.list_all(flags.app())
    if as_json:
        echo_json([{"name": name, "accounts": members} for name, members in rows])
        return
    if not rows:
        click.echo("No groups yet. Make one with: campaigner group add NAME ACCOUNT…")
        return
    table([[name, str(len(members)), ", ".join(members)] for name, members in rows], ["NAME", "ACCOUNTS", "MEMBERS"])


@group.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def show(flags, name, as_json) -> None:
    """Show a group's accounts, in order."""
    from campaigner.services import groups as svc

    app = flags.app()
    g, members = svc.show(app, name)
    if as_json:
        echo_json({"name": g.name, "accounts": [{"name": a.name, "platform": a.platform,
                                                  "timezone": a.timezone or app.settings.timezone,
                                                  "status": a.status.value} for a in members]})
        return
    if not members:
        click.echo(f"Group {g.name} has no accounts. Add some with: campaigner group add {g.name} ACCOUNT…")
        return
    click.echo(f"Group {g.name}:")
    table([[a.name, a.platform, a.timezone or app.settings.timezone, a.status.value] for a in members],
          ["ACCOUNT", "PLATFORM", "ZONE", "STATUS"])
