"""``campaigner metrics …``: engagement snapshots."""
from __future__ import annotations

import click

from campaigner.cli.output import Progress, echo_json, quiet
from campaigner.wording import plural

KINDS = ("question", "support", "oppose", "other", "unclassified")


def _kinds(counts: dict[str, int]) -> str:
    return ", ".join(f"{counts[k]} {k}" for k in KINDS if counts.get(k)) or "none"


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
    with Progress("Collecting metrics") as bar:
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
    click.echo(f"Collected {plural(report.polled, 'snapshot')} in {plural(report.requests, 'request')}"
               + (f"; {plural(report.missing, 'post')} {'is' if report.missing == 1 else 'are'} gone from "
                  "their platform" if report.missing else "")
               + (f"; {report.refused} refused by the database (see the log)" if report.refused else "") + ".")
    for name, why in report.skipped_accounts.items():
        click.echo(f"Skipped {name}: {why}")
    if answers is not None:
        click.echo(f"New replies: {answers.new} ({plural(answers.requests, 'request')})"
                   + (f"; {answers.refused} refused by the database (see the log)" if answers.refused else "") + ".")
        if answers.kinds:
            click.echo(f"New replies by kind: {_kinds(answers.kinds)}.")
        if answers.classified:
            click.echo(f"Classified {answers.classified} earlier replies by kind.")


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
            click.echo(f"{r.account}: no snapshot yet")
        elif r.missing:
            click.echo(f"{r.account}: gone from the platform (seen {format_local(r.collected_at, app.zone_for(None))})")
        else:
            vals = ", ".join(f"{name} {'not known' if v is None else f'{v:,}'}" for name, v in r.named) \
                or f"{r.platform} gives no figures"
            click.echo(f"{r.account} ({format_local(r.collected_at, app.zone_for(None))}): {vals}")
        if r.replies:
            click.echo(f"  replies stored: {_kinds(r.replies)}")
