"""``campaigner queue``: the agenda of upcoming deliveries."""
from __future__ import annotations

import click

from campaigner.cli.output import echo_json, short
from campaigner.i18n import _, current, ngettext, number
from campaigner.status_words import status_word
from content.datetext import DAY_NAMES


@click.command()
@click.option("--days", type=int, default=7, show_default=True, help="How many days ahead (1 to 3660).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def queue(flags, days, as_json) -> None:
    """Upcoming deliveries grouped by local day (overdue ones first).

    Drafts waiting for approval are listed apart, after them; --json lists only what is queued
    (campaigner post list --status draft --json lists the drafts)."""
    from campaigner.services.agenda import agenda, drafts

    app = flags.app()
    groups = agenda(app, days)
    if as_json:
        echo_json([{"day": day, "deliveries": items} for day, items in groups])
        return
    waiting = drafts(app, days)
    if not groups:
        click.echo(ngettext("Nothing queued in the next {n} day.", "Nothing queued in the next {n} days.", days)
                   .format(n=number(days)))
    for day, items in groups:
        click.echo(f"{DAY_NAMES[current()][day.weekday()]} {day:%Y-%m-%d}")
        for it in items:
            flag = " " + _("OVERDUE") if it.overdue else ""
            status = "" if it.status == "queued" else f" [{status_word(it.status)}]"
            click.echo(f"  {it.local[11:]:<10} {it.account:<16} #{it.post_id:<5} {short(it.text, 40)}{status}{flag}")
    if waiting:  # apart: none of them goes out before it is approved
        click.echo("")
        click.echo(_("Drafts waiting for approval (not sent until approved: campaigner post approve ID):"))
        for it in waiting:
            flag = " " + _("TIME PASSED, not sent") if it.overdue else ""
            click.echo(f"  {it.local:<20} {it.account:<16} #{it.post_id:<5} {short(it.text, 40)}{flag}")
