"""``campaigner group …``: names for several accounts at once (``--to semua``)."""
from __future__ import annotations

import click

from campaigner.cli.output import echo_json, table
from campaigner.i18n import _, ngettext, number


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

    done = svc.add(flags.app(), name, _names(accounts))
    n = len(done.members)
    if done.created:
        text = ngettext("Created group {group} with {n} account: {members}.",
                        "Created group {group} with {n} accounts: {members}.", n)
    else:
        text = ngettext("Added {added} to group {group} (now {n} account: {members}).",
                        "Added {added} to group {group} (now {n} accounts: {members}).", n)
    click.echo(text.format(group=done.name, n=number(n), members=", ".join(done.members),
                           added=", ".join(done.changed)))
    if done.unchanged:
        click.echo(ngettext("Note: {accounts} was in it already.", "Note: {accounts} were in it already.",
                            len(done.unchanged)).format(accounts=", ".join(done.unchanged)), err=True)


@group.command("remove")
@click.argument("name")
@click.argument("accounts", nargs=-1, metavar="[ACCOUNT]...")
@click.pass_obj
def remove(flags, name, accounts) -> None:
    """Take ACCOUNTs out of group NAME; without ACCOUNTs, remove the group (its accounts stay)."""
    from campaigner.services import groups as svc

    done = svc.remove(flags.app(), name, _names(accounts))
    if done.removed:
        click.echo(_("Removed group {group} (its accounts are kept).").format(group=done.name))
        return
    n = len(done.members)
    text = (ngettext("Took {taken} out of group {group} (now {n} account: {members}).",
                     "Took {taken} out of group {group} (now {n} accounts: {members}).", n) if done.members else
            _("Took {taken} out of group {group} (now empty)."))
    click.echo(text.format(taken=", ".join(done.changed), group=done.name, n=number(n), members=", ".join(done.members)))
    if done.unchanged:
        click.echo(ngettext("Note: {accounts} was not in it.", "Note: {accounts} were not in it.",
                            len(done.unchanged)).format(accounts=", ".join(done.unchanged)), err=True)


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
        click.echo(_("No groups yet. Make one with: campaigner group add NAME ACCOUNT…"))
        return
    table([[name, str(len(members)), ", ".join(members)] for name, members in rows],
          [_("NAME"), _("ACCOUNTS"), _("MEMBERS")])


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
        click.echo(_("Group {group} has no accounts. Add some with: campaigner group add {group} ACCOUNT…")
                   .format(group=g.name))
        return
    click.echo(_("Group {group}:").format(group=g.name))
    table([[a.name, a.platform, a.timezone or app.settings.timezone, a.status.value] for a in members],
          [_("ACCOUNT"), _("PLATFORM"), _("ZONE"), _("STATUS")])
