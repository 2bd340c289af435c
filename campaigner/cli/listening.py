"""``campaigner listen …``: how far a campaign's hashtags travel (share of voice)."""
from __future__ import annotations

import click

from campaigner.cli.output import Progress, echo_json, quiet, table
from campaigner.i18n import _


@click.group()
def listen() -> None:
    """Count the public posts carrying each campaign's hashtags (share of voice)."""


@listen.command("collect")
@click.option("--campaign", metavar="SLUG", help="Only this campaign (default: every running campaign with hashtags).")
@click.option("--platform", "platforms", multiple=True, metavar="PLATFORM",
              help="Only this platform: mastodon, bluesky or x (repeatable; x needs x_counts = true).")
@click.option("--days", type=int, default=7, show_default=True,
              help="Local days back to count, today included (1 to 7).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def collect(flags, campaign, platforms, days, as_json) -> None:
    """Count, per local day, the public posts carrying the campaigns' hashtags and comparison
    tags (beyond our own posts) on Mastodon, Bluesky and — when enabled — X, and store the
    counts. `campaigner run` does it once a day."""
    from campaigner.services.listening import collect as run

    app = flags.app()
    with Progress(_("Counting hashtags")) as bar:
        report = run(app, campaign=campaign, platforms=platforms, days=days, progress=bar)
    if as_json:
        echo_json(report)
        return
    failed = [s for s in report.sources if s.error]
    if quiet():
        for s in failed:
            click.echo(f"{s.platform} {s.source}: {s.error}" + (f" — {s.advice}" if s.advice else ""))
        return
    click.echo(_("Counted {tags} ({campaigns}) from {first} to {last}: {stored} day counts stored, "
                 "{requests} requests.").format(tags=" ".join(report.tags), campaigns=", ".join(report.campaigns),
                                                first=report.first_day, last=report.last_day, stored=report.stored,
                                                requests=report.requests))
    for s in report.sources:
        line = "  " + (_("{platform} {source}: {days} day counts, {requests} requests; stopped: {error} — {advice}")
                       if s.advice else
                       _("{platform} {source}: {days} day counts, {requests} requests; stopped: {error}") if s.error
                       else _("{platform} {source}: {days} day counts, {requests} requests"))
        click.echo(line.format(platform=s.platform, source=s.source, days=s.days, requests=s.requests, error=s.error,
                               advice=s.advice))
    for platform, why in report.not_counted.items():
        click.echo("  " + _("{platform}: not counted: {reason}").format(platform=platform, reason=why))


def _count(row, tag: str) -> str:
    if tag in row.missing:
        return "–"
    n = row.campaign_counts.get(tag, row.compare_counts.get(tag))
    at_least = row.campaign_at_least if tag in row.campaign_counts else row.compare_at_least
    return ("≥" if at_least else "") + str(n)


def _share(row) -> str:
    return "–" if row.share is None else f"{row.share_bound}{row.share * 100:.0f}%"


@listen.command("show")
@click.option("--campaign", metavar="SLUG", help="Only this campaign.")
@click.option("--days", type=int, default=7, show_default=True, help="Local days back, today included (1 to 90).")
@click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")
@click.pass_obj
def show(flags, campaign, days, as_json) -> None:
    """The stored counts per day, platform and source, with the campaign tags' share."""
    from campaigner.services.listening import show as stored
    from campaigner.services.voice import daily

    app = flags.app()
    first, last, campaigns = stored(app, campaign=campaign, days=days)
    if as_json:
        echo_json({"first_day": first, "last_day": last, "timezone": app.settings.timezone,
                   "campaigns": campaigns})
        return
    if not campaigns:
        click.echo(_("No campaign has hashtags. Add some: campaigner campaign edit SLUG --hashtag '#UpahLayak'"))
        return
    zones: set[str] = set()
    at_least = False
    for c in campaigns:
        tags = ["#" + t.lstrip("#") for t in c.hashtags]
        compare = ["#" + t.lstrip("#") for t in c.compare_tags]
        head = (_("Campaign {slug} ({name}): {tags} vs {compare}") if compare
                else _("Campaign {slug} ({name}): {tags}"))
        click.echo(head.format(slug=c.slug, name=c.name, tags=" ".join(tags), compare=" ".join(compare)))
        lines = daily(c)
        if not lines:
            click.echo("  " + _("nothing counted from {first} to {last} — run: campaigner listen collect --campaign "
                                "{slug}").format(first=first, last=last, slug=c.slug))
            continue
        rows = []
        for day, row in lines:
            zones.add(row.day_zone)
            at_least = at_least or row.campaign_at_least or row.compare_at_least
            zone = " UTC" if row.day_zone == "UTC" and app.settings.timezone != "UTC" else ""
            rows.append([f"{day}{zone}", row.platform, row.source, *(_count(row, t) for t in tags + compare)]
                        + ([_share(row)] if compare else []))
        table([[f"  {r[0]}", *r[1:]] for r in rows],
              ["  " + _("DAY"), _("PLATFORM"), _("SOURCE"), *tags, *compare] + ([_("SHARE")] if compare else []))
    notes = [(_("Days are {zone} days; Mastodon's are UTC days, as each instance counts them.") if "UTC" in zones
              else _("Days are {zone} days.")).format(zone=app.settings.timezone)]
    notes.append(_("Our own posts are not counted. Platforms are not added up: each counts a different public."))
    if at_least:
        notes.append(_("≥: at least (the day was not over, or the platform showed no more)."))
    for note in notes:
        click.echo(note)
