"""``campaigner campaign …``: campaigns and their hashtags."""
from __future__ import annotations

import click

from campaigner.cli.output import echo_json, table


def _campaign_dict(c) -> dict:
    return {"slug": c.slug, "name": c.name, "issue": c.issue, "hashtags": list(c.hashtags),
            "auto_hashtags": c.auto_hashtags, "start": c.start_date, "end": c.end_date}


@click.group()
def campaign() -> None:
    """Add, list and show campaigns."""


@campaign.command("add")
@click.argument("slug")
@click.option("--name", required=True, help='Full name, e.g. "Upah Layak 2027".')
@click.option("--hashtag", "hashtags", multiple=True, help="A hashtag of the campaign (repeatable).")
@click.option("--issue", help="The labour issue it is about.")
@click.option("--start", help="First day (YYYY-MM-DD).")
@click.option("--end", help="Last day (YYYY-MM-DD).")
@click.option("--auto-hashtags/--no-auto-hashtags", default=True, show_default=True,
              help="Append the campaign's hashtags to its posts when they fit.")
@click.pass_obj
def add(flags, slug, name, hashtags, issue, start, end, auto_hashtags) -> None:
    """Add a campaign called SLUG."""
    from campaigner.services import campaigns as svc
    from campaigner.times import parse_date

    c = svc.add(flags.app(), slug, name, hashtags=list(hashtags), issue=issue,
                start=parse_date(start, "--start date") if start else None,
                end=parse_date(end, "--end date") if end else None, auto_hashtags=auto_hashtags)
    click.echo(f"Added campaign {c.slug}" + (f" ({' '.join(c.hashtags)})" if c.hashtags else "") + ".")


@campaign.command("list")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def list_(flags, as_json) -> None:
    """List campaigns."""
    from campaigner.services import campaigns as svc

    rows = svc.list_all(flags.app())
    if as_json:
        echo_json([{**_campaign_dict(c), "posts": n} for c, n in rows])
        return
    if not rows:
        click.echo('No campaigns yet. Add one with: campaigner campaign add SLUG --name "…"')
        return
    table([[c.slug, c.name, " ".join(c.hashtags), str(n), f"{c.start_date or ''}..{c.end_date or ''}".strip(".")]
           for c, n in rows], ["SLUG", "NAME", "HASHTAGS", "POSTS", "DATES"])


@campaign.command("show")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def show(flags, slug, as_json) -> None:
    """Show a campaign and its deliveries by status."""
    from campaigner.services import campaigns as svc

    c, counts = svc.show(flags.app(), slug)
    if as_json:
        echo_json({**_campaign_dict(c), "deliveries": counts})
        return
    for key, value in _campaign_dict(c).items():
        if value not in (None, [], ""):
            click.echo(f"{key + ':':15} {' '.join(value) if isinstance(value, list) else value}")
    click.echo(f"{'deliveries:':15} " + (", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "none"))
