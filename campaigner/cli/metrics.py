"""``campaigner metrics …``: engagement snapshots."""
from __future__ import annotations

import click

from campaigner.cli.output import Progress, echo_json, quiet
from campaigner.i18n import N_, _, english, ngettext, number
from campaigner.wording import plural

KINDS = ("question", "support", "oppose", "other", "unclassified")
#: each kind of reply as shown, looked up when shown
KIND_WORDS = {"question": N_("{n} question"), "support": N_("{n} support"), "oppose": N_("{n} oppose"),
              "other": N_("{n} other"), "unclassified": N_("{n} unclassified")}


def _kinds(counts: dict[str, int]) -> str:
    return ", ".join(_(KIND_WORDS[k]).format(n=counts[k]) for k in KINDS if counts.get(k)) or _("none")


@click.group()
def metrics() -> None:
    """Collect and show engagement snapshots."""


@metrics.command("collect")
@click.option("--replies/--no-replies", default=True, show_default=True,
              help="Also fetch and score new replies to the posts polled.")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def collect(flags, replies, as_json) -> None:
    """Poll every published post that is due for a snapshot (by its age), and its replies."""
    from campaigner.services.metrics import collect as run
    from campaigner.services.replies import collect_replies

    app = flags.app()
    with Progress(_("Collecting metrics")) as bar, english(as_json):  # --json stays English
        report = run(app, progress=bar)
    answers = collect_replies(app, report.delivery_ids) if replies and report.delivery_ids else None
    if answers is not None:
        from campaigner.services.inbox_alerts import raise_alerts

        raise_alerts(app, app.now())  # a burst of opposition is said at once (sent with the next digest)
    if as_json:
        echo_json({"polled": report.polled, "missing": report.missing, "requests": report.requests,
                   "refused": report.refused, "skipped_accounts": report.skipped_accounts,
                   "replies": None if answers is None else {"new": answers.new, "requests": answers.requests,
                                                            "refused": answers.refused, "kinds": answers.kinds,
                                                            "classified": answers.classified,
                                                            "skipped_accounts": answers.skipped_accounts}})
        return
    if quiet():
        return
    parts = [_("Collected {snapshots} in {requests}").format(snapshots=plural(report.polled, "snapshot"),
                                                              requests=plural(report.requests, "request"))]
    if report.missing:
        parts.append(ngettext("{n} post is gone from their platform", "{n} posts are gone from their platform",
                              report.missing).format(n=report.missing))
    if report.refused:
        parts.append(_("{n} refused by the database (see the log)").format(n=report.refused))
    click.echo("; ".join(parts) + ".")
    for name, why in report.skipped_accounts.items():
        click.echo(_("Skipped {account}: {why}").format(account=name, why=why))
    if answers is not None:
        line = _("New replies: {n} ({requests})").format(n=answers.new, requests=plural(answers.requests, "request"))
        if answers.refused:
            line += "; " + _("{n} refused by the database (see the log)").format(n=answers.refused)
        click.echo(line + ".")
        if answers.kinds:
            click.echo(_("New replies by kind: {kinds}.").format(kinds=_kinds(answers.kinds)))
        if answers.classified:
            click.echo(_("Classified {n} earlier replies by kind.").format(n=answers.classified))


@metrics.command("show")
@click.argument("post_id", type=int)
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def show(flags, post_id, as_json) -> None:
    """The latest snapshot of each delivery of a post: the figures its platform gives, under the
    platform's own names (Instagram's views, reach, saves…), "not known" where it gave none; and its
    replies by kind (question, support, oppose, other: stance toward the post's campaign)."""
    from campaigner.services.metrics import latest
    from campaigner.times import format_local

    app = flags.app()
    rows = latest(app, post_id)
    if as_json:
        echo_json([{**{k: v for k, v in r.__dict__.items() if k != "named"},
                    "named": [{"name": n, "value": v} for n, v in r.named]} for r in rows])
        return
    for r in rows:
        if r.collected_at is None:
            click.echo(_("{account}: no snapshot yet").format(account=r.account))
        elif r.missing:
            click.echo(_("{account}: gone from the platform (seen {when})").format(
                account=r.account, when=format_local(r.collected_at, app.zone_for(None))))
        else:
            vals = ", ".join(f"{name} {_('not known') if v is None else number(v)}" for name, v in r.named) \
                or _("{platform} gives no figures").format(platform=r.platform)
            click.echo(f"{r.account} ({format_local(r.collected_at, app.zone_for(None))}): {vals}")
        if r.replies:
            click.echo("  " + _("replies stored: {kinds}").format(kinds=_kinds(r.replies)))
