"""``campaigner report …``: the weekly report for the leadership."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import click

from campaigner.cli.output import Progress

FORMATS = ("text", "markdown", "html", "csv", "json")


@click.group()
def report() -> None:
    """Reports: what went out, and what worked."""


@report.command("weekly")
@click.option("--week", metavar="YYYY-Www", help="ISO week in the configured zone, e.g. 2026-W48 "
                                                 "(default: the last full week).")
@click.option("--campaign", metavar="SLUG", help="Only this campaign.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="text (80 columns), markdown (for a chat), html (one self-contained file with charts), "
                   "csv (one row per post and account), json (stable, versioned).")
@click.option("--lang", type=click.Choice(("en", "id")), default="en", show_default=True,
              help="Language of the labels: English or Bahasa Indonesia.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), metavar="PATH",
              help="Write to this file instead of standard output.")
@click.pass_obj
def weekly(flags, week, campaign, fmt, lang, out) -> None:
    """The week's posts, engagement, change against the week before, top posts, hashtags, best
    posting times, reply sentiment and accounts needing attention.

    Engagement is each post's latest snapshot collected before the week ended; figures a
    platform does not give show as "–" and are left out of totals ("n/a" when no post has them).
    """
    from campaigner.report_render import render
    from campaigner.services.report import build_weekly, parse_week

    if week:
        parse_week(week)  # a bad week is refused before the database is opened
    with Progress("Building the report") as bar:
        data = build_weekly(flags.app(), week=week, campaign=campaign, progress=bar)
    if fmt == "html":
        _matplotlib_cache(flags.settings())
    doc = render(data, fmt, lang)
    if out is None:
        click.echo(doc, nl=False)
        return
    _write(out, doc)
    click.echo(f"Wrote the {data.week.iso} report ({fmt}) to {out}")


def _matplotlib_cache(settings) -> None:
    """Keep matplotlib's font cache in campaigner's own (writable) state folder unless told
    otherwise: a service's home may be read-only, and a rebuilt cache costs seconds per run."""
    if os.environ.get("MPLCONFIGDIR"):
        return
    folder = settings.state_dir / "matplotlib"
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError:
        return
    os.environ["MPLCONFIGDIR"] = str(folder)


def _write(path: Path, doc: str) -> None:
    """Write the whole file or nothing (a temporary file renamed into place)."""
    from campaigner.errors import InvalidInput

    path = path.expanduser()
    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except OSError as exc:
        raise InvalidInput(f"cannot write {path}: {exc.strerror}", "check the folder exists and is writable") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(doc)
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)
        os.replace(tmp, path)
    except OSError as exc:
        os.unlink(tmp)
        raise InvalidInput(f"cannot write {path}: {exc.strerror}", "check the path and free space") from None
