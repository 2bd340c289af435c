"""``campaigner demo``: the main job end to end on the embedded default, offline.

It makes a fresh SQLite database in a temporary (or given) folder, adds sandbox accounts, a
campaign and posting slots, queues posts by hand, on slots and from a content-calendar CSV,
shows the agenda, publishes what is due, collects engagement and replies, and prints this
week's report: every step through the same commands staff use. No credentials, no network.
"""
from __future__ import annotations

import shlex
import tempfile
from pathlib import Path

import click

CALENDAR = """tanggal;jam;akun;teks;tautan;kampanye
{d1};09:00;konfederasi,fspmi-jabar;"Upah minimum 2027 harus naik sesuai kebutuhan hidup layak.
Datang ke aksi nasional!";https://example.org/aksi-upah;upah-layak
{d2};19:00;konfederasi;Outsourcing membuat buruh tanpa kepastian kerja. Hapus outsourcing!;;upah-layak
"""


@click.command()
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the demo database (default: a new temporary folder).")
@click.pass_context
def demo(ctx: click.Context, folder: Path | None) -> None:
    """Run the main job end to end on a fresh SQLite database with sandbox accounts."""
    from datetime import timedelta

    from campaigner.cli.main import cli

    from campaigner.errors import InvalidInput

    folder = folder or Path(tempfile.mkdtemp(prefix="campaigner-demo-"))
    if (folder / "demo.db").exists():
        raise InvalidInput(f"{folder} holds an earlier demo already",
                           "give an empty folder with --dir, or leave --dir out for a new temporary one")
    folder.mkdir(parents=True, exist_ok=True)
    db = f"sqlite:///{folder / 'demo.db'}"
    config = folder / "config.toml"
    config.write_text(f'data_dir = "{folder / "data"}"\nsecrets_file = "{folder / "secrets.toml"}"\n')
    base = ["--db", db, "--config", str(config)]
    clock = ctx.obj.now

    def run(*args: str) -> None:
        click.secho(f"\n$ campaigner {' '.join(shlex.quote(a) for a in args)}", fg="cyan")
        cli.main(args=[*base, *args], prog_name="campaigner", standalone_mode=False, obj=clock)

    from zoneinfo import ZoneInfo

    from campaigner.clock import utcnow

    today = (clock or utcnow)().astimezone(ZoneInfo("Asia/Jakarta")).date()
    calendar = folder / "kalender.csv"
    calendar.write_text(CALENDAR.format(d1=today + timedelta(days=2), d2=today + timedelta(days=3)),
                        encoding="utf-8")

    click.echo(f"Demo folder: {folder}")
    run("init")
    run("account", "add", "sandbox", "konfederasi", "--handle", "@konfederasi")
    run("account", "add", "sandbox", "fspmi-jabar", "--handle", "@fspmi_jabar", "--timezone", "Asia/Jakarta")
    run("account", "add", "sandbox", "serikat-makassar", "--handle", "@serikat_mks", "--timezone", "Asia/Makassar")
    run("account", "test", "konfederasi")
    run("campaign", "add", "upah-layak", "--name", "Upah Layak 2027", "--hashtag", "UpahLayak",
        "--hashtag", "TolakTapera", "--issue", "minimum wage")
    run("slots", "set", "konfederasi,fspmi-jabar,serikat-makassar", "mon-fri 08:00,12:00,19:00", "sat 09:00")
    run("post", "check", "Tolak potongan Tapera 3% dari upah buruh! https://example.org/tapera", "--platform", "x",
        "--platform", "bluesky")
    run("post", "add", "Tolak potongan Tapera dari upah buruh! Iuran wajib 3% memberatkan pekerja.",
        "--to", "konfederasi,fspmi-jabar,serikat-makassar", "--campaign", "upah-layak", "--next-slot")
    run("post", "add", "Utas: kenapa kami menolak Tapera\n---\n1. Upah sudah pas-pasan.\n---\n2. Manfaatnya tidak jelas.",
        "--thread", "--to", "konfederasi", "--campaign", "upah-layak", "--next-slot")
    run("post", "import", str(calendar))
    run("post", "add", "Hari ini aksi serentak: upah layak untuk semua buruh!", "--to",
        "konfederasi,fspmi-jabar,serikat-makassar", "--campaign", "upah-layak", "--now")
    run("queue", "--days", "7")
    run("publish")
    run("metrics", "collect")
    run("post", "list", "--status", "published")
    week = (clock or utcnow)().astimezone(ZoneInfo("Asia/Jakarta")).strftime("%G-W%V")
    run("report", "weekly", "--week", week)
    click.echo(f"\nDone. Explore it with: campaigner --db {db} post list")
