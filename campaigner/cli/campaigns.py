"""``campaigner campaign …``: campaigns, their hashtags and what they are against and for."""
from __future__ import annotations

import click

from campaigner.cli.output import echo_json, table

KINDS = ("question", "support", "oppose", "other")


def _campaign_dict(c) -> dict:
    return {"slug": c.slug, "name": c.name, "issue": c.issue, "hashtags": list(c.hashtags),
            "compare_tags": list(c.compare_tags or []), "auto_hashtags": c.auto_hashtags, "start": c.start_date,
            "end": c.end_date, "against": list(c.targets_against or ()), "for": list(c.targets_for or ())}


@click.group()
def campaign() -> None:
    """Add, edit, list and show campaigns."""


_AGAINST_HELP = ('What the campaign is against, as people write it (repeatable), e.g. --against "Tapera" '
                 '--against "potongan upah": replies attacking it support the campaign.')
_FOR_HELP = 'What the campaign is for (repeatable), e.g. --for "upah layak".'


@campaign.command("add")
@click.argument("slug")
@click.option("--name", required=True, help='Full name, e.g. "Upah Layak 2027".')
@click.option("--hashtag", "hashtags", multiple=True, help="A hashtag of the campaign (repeatable).")
@click.option("--issue", help="The labour issue it is about.")
@click.option("--start", help="First day: 2026-12-07, 07/12/2026 or 7 Des 2026 (day first).")
@click.option("--end", help="Last day, written like --start.")
@click.option("--auto-hashtags/--no-auto-hashtags", default=True, show_default=True,
              help="Append the campaign's hashtags to its posts when they fit.")
@click.option("--against", "against", multiple=True, help=_AGAINST_HELP)
@click.option("--for", "for_", multiple=True, help=_FOR_HELP)
@click.pass_obj
def add(flags, slug, name, hashtags, issue, start, end, auto_hashtags, against, for_) -> None:
    """Add a campaign called SLUG."""
    from campaigner.services import campaigns as svc
    from campaigner.times import parse_date

    c = svc.add(flags.app(), slug, name, hashtags=list(hashtags), issue=issue,
                start=parse_date(start, "--start date") if start else None,
                end=parse_date(end, "--end date") if end else None, auto_hashtags=auto_hashtags,
                against=list(against), for_=list(for_))
    click.echo(f"Added campaign {c.slug}" + (f" ({' '.join(c.hashtags)})" if c.hashtags else "") + ".")


@campaign.command("edit")
@click.argument("slug")
@click.option("--name", help="A new full name.")
@click.option("--issue", help='The labour issue it is about ("" clears it).')
@click.option("--hashtag", "hashtags", multiple=True, help="Its hashtags (repeatable; replaces them all).")
@click.option("--no-hashtags", is_flag=True, help="Remove all its hashtags.")
@click.option("--start", help='First day: 2026-12-07, 07/12/2026 or 7 Des 2026 (day first; "" clears it).')
@click.option("--end", help='Last day, written like --start ("" clears it).')
@click.option("--auto-hashtags/--no-auto-hashtags", default=None,
              help="Append the campaign's hashtags to its posts when they fit.")
@click.option("--against", "against", multiple=True, help=_AGAINST_HELP + " Replaces what it was against.")
@click.option("--no-against", is_flag=True, help="It is against nothing in particular any more.")
@click.option("--for", "for_", multiple=True, help=_FOR_HELP + " Replaces what it was for.")
@click.option("--no-for", is_flag=True, help="It is for nothing in particular any more.")
@click.option("--compare-tag", "compare", multiple=True, metavar="TAG",
              help="Add a comparison tag its hashtags are measured against (share of voice; repeatable), e.g. "
                   "the other side's #TaperaUntukRakyat.")
@click.option("--no-compare-tag", "no_compare", multiple=True, metavar="TAG", help="Remove a comparison tag (repeatable).")
@click.pass_obj
def edit(flags, slug, name, issue, hashtags, no_hashtags, start, end, auto_hashtags, against, no_against, for_,
         no_for, compare, no_compare) -> None:
    """Change campaign SLUG (only what is given). When what it is against or for changes, its
    replies are classified again."""
    from campaigner.services import campaigns as svc
    from campaigner.times import parse_date

    for flag, values, no_flag, clear in (("--hashtag", hashtags, "--no-hashtags", no_hashtags),
                                         ("--against", against, "--no-against", no_against),
                                         ("--for", for_, "--no-for", no_for)):
        if values and clear:
            raise click.UsageError(f"{flag} and {no_flag} contradict each other")
    changes: dict = {}
    if name is not None:
        changes["name"] = name
    if issue is not None:
        changes["issue"] = issue.strip() or None
    if hashtags or no_hashtags:
        changes["hashtags"] = list(hashtags)
    for key, value in (("start", start), ("end", end)):
        if value is not None:
            changes[key] = parse_date(value, f"--{key} date") if value.strip() else None
    if auto_hashtags is not None:
        changes["auto_hashtags"] = auto_hashtags
    if against or no_against:
        changes["against"] = list(against)
    if for_ or no_for:
        changes["for_"] = list(for_)
    if compare or no_compare:
        changes["compare_add"], changes["compare_remove"] = list(compare), list(no_compare)
    if not changes:
        raise click.UsageError("nothing to change: give --name, --issue, --hashtag, --start, --end, "
                               "--against, --for or --compare-tag")
    edited = svc.edit(flags.app(), slug, **changes)
    click.echo(f"Updated campaign {slug}." + (
        f" Its {edited.reclassified} repl{'y' if edited.reclassified == 1 else 'ies'} were classified again "
        f"toward its new targets ({edited.changed_kind} changed kind)." if edited.reclassified else "") + (
        f" Comparison tags: {' '.join(edited.campaign.compare_tags) or 'none'}." if compare or no_compare else ""))


def _targets_line(c) -> str:
    parts = [f"against {', '.join(c.targets_against)}" if c.targets_against else "",
             f"for {', '.join(c.targets_for)}" if c.targets_for else ""]
    return "; ".join(p for p in parts if p)


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
    table([[c.slug, c.name, " ".join(c.hashtags), str(n), f"{c.start_date or ''}..{c.end_date or ''}".strip("."),
            _targets_line(c)]
           for c, n in rows], ["SLUG", "NAME", "HASHTAGS", "POSTS", "DATES", "TARGETS"])


@campaign.command("show")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def show(flags, slug, as_json) -> None:
    """Show a campaign, its deliveries by status and its replies by kind."""
    from campaigner.services import campaigns as svc

    c, counts, kinds = svc.show(flags.app(), slug)
    if as_json:
        echo_json({**_campaign_dict(c), "deliveries": counts, "replies": kinds})
        return
    for key, value in _campaign_dict(c).items():
        if value not in (None, [], ""):
            click.echo(f"{key + ':':15} {', '.join(value) if key in ('against', 'for') else ' '.join(value) if isinstance(value, list) else value}")
    click.echo(f"{'deliveries:':15} " + (", ".join(f"{v} {k}" for k, v in sorted(counts.items())) or "none"))
    order = [*KINDS, "unclassified"]
    click.echo(f"{'replies:':15} " + (", ".join(f"{kinds[k]} {k}" for k in order if kinds.get(k)) or "none"))
