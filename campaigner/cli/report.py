"""``campaigner report …``: the weekly report for the leadership."""
from __future__ import annotations

from pathlib import Path

import click

from campaigner.cli.output import Progress, quiet
from campaigner.config import REPORT_FORMATS
from campaigner.i18n import _

FORMATS = tuple(REPORT_FORMATS)


@click.group()
def report() -> None:
    """Reports: what went out, and what worked."""


@report.command("weekly")
@click.option("--week", metavar="YYYY-Www", help="ISO week in the configured zone, e.g. 2026-W48 "
                                                 "(default: the last full week).")
@click.option("--campaign", metavar="SLUG", help="Only this campaign.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text (80 columns), markdown (for a chat), html (one self-contained file with charts), "
                   "csv (one row per post and account; the share of voice, if any, in a second file beside it "
                   "with --out), json (stable, versioned).")
@click.option("--lang", type=click.Choice(("en", "id")),
              help="Language of the labels: English or Bahasa Indonesia (default: [report] lang, else lang, else "
                   "English).")
@click.option("--dialect", type=click.Choice(("excel-id", "standard")),
              help="CSV only: excel-id (';', decimal comma, a byte-order mark: Excel in Indonesian) or standard "
                   "(','). Default: excel-id when the language is Indonesian.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), metavar="PATH",
              help="Write to this file instead of standard output ('-': standard output).")
@click.pass_obj
def weekly(flags, week, campaign, fmt, lang, dialect, out) -> None:
    """The week's posts, engagement, change against the week before, top posts, hashtags, best
    posting times, reply sentiment and accounts needing attention.

    Engagement is each post's latest snapshot collected before the week ended; figures a
    platform does not give show as "–" and are left out of totals ("n/a" when no post has them).
    """
    from campaigner.services.report_gc import no_cycle_collection

    # the collector paused from the imports (SQLAlchemy's make it walk its young objects over and
    # over) to the file written: a week of 50,000 deliveries is a few hundred thousand objects
    with no_cycle_collection():
        _weekly(flags, week, campaign, fmt, lang, dialect, out)


def _weekly(flags, week, campaign, fmt, lang, dialect, out) -> None:
    from campaigner.files import is_stream, write_file
    from campaigner.report_render import render
    from campaigner.services.report import build_weekly, chosen_week

    app = flags.app()
    lang = lang or app.settings.report.lang
    if dialect is not None and fmt != "csv":
        raise click.UsageError(_("--dialect is for --format csv, not {format}").format(format=fmt))
    # a bad week, or one that has not started, is refused before the database is opened
    wk = chosen_week(week, app.now(), app.settings.zone) if week else None
    with Progress(_("Building the report")) as bar:
        data = build_weekly(app, week=wk, campaign=campaign, progress=bar)
    doc = render(data, fmt, lang, dialect)
    if out is None or str(out) == "-":
        click.echo(doc, nl=False)
        return
    stream = is_stream(out)
    write_file(out, doc)
    click.echo(_("Wrote the {week} report ({format}) to {path}").format(week=data.week.iso, format=fmt, path=out),
               err=stream)
    if fmt == "csv" and not stream:  # the share of voice is a table of its own, beside it
        from campaigner.report_render import Lang
        from campaigner.report_render.csvfile import SHARE_OF_VOICE_SUFFIX, share_of_voice

        from content.csv_cells import dialect_for

        voice = share_of_voice(data, Lang(lang), dialect_for(lang, dialect))
        if voice is not None:
            beside = out.with_name(out.stem + SHARE_OF_VOICE_SUFFIX + out.suffix)
            write_file(beside, voice)
            click.echo(_("Wrote its share of voice to {path}").format(path=beside))


@report.command("deliver")
@click.pass_obj
def deliver(flags) -> None:
    """Write the due weekly report to the reports folder and e-mail it (with an [smtp] table),
    unless that was done already: what `campaigner run` does every Monday 07:00 local. Last
    week's report is due from Monday 07:00 (before that, the week before's is). For cron
    without the daemon: `0 7 * * 1 campaigner report deliver`."""
    from campaigner.cli.engine import worker_name
    from campaigner.services import weekly_report
    from campaigner.times import format_local

    app = flags.app()
    out = weekly_report.run(app, worker_name(), app.now(), strict=True)
    if quiet():  # a failure was raised; what worked needs no line in cron's log
        return
    for path in out.written:
        click.echo(_("Wrote {path}").format(path=path))
    if out.emailed_to:
        click.echo(_("E-mailed the {week} report to {to}.").format(week=out.week, to=", ".join(out.emailed_to)))
    if not out.written and not out.emailed_to:
        click.echo(_("The {week} report was delivered already (or its last try failed minutes ago).").format(
            week=out.week))
    if out.next_week:  # Monday before 07:00: say when last week's report comes, and how to see it now
        click.echo(_("The {week} report is due at {when}; `campaigner report weekly` shows it now.").format(
            week=out.next_week, when=format_local(out.next_due_at, app.settings.zone)))
