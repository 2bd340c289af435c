"""``campaigner demo``: the main job end to end on the embedded default, offline.

It makes a fresh SQLite database in a temporary (or given) folder, adds sandbox accounts, a
campaign and posting slots, queues posts by hand, on slots and from a content-calendar CSV,
shows the agenda, publishes what is due, lets a few hours pass, collects engagement and replies,
shows the inbox, answers a question through the publisher, counts the campaign's hashtags and
prints this week's report: every step through the same commands staff use. No credentials, no
network, no waiting: the demo runs on its own clock (today 08:00 WIB, moved forward by the demo),
and the sandbox's audience is seeded, so the same day gives the same figures.
"""
from __future__ import annotations

import shlex
import tempfile
from datetime import datetime
from pathlib import Path

import click

CALENDAR = """tanggal;jam;akun;teks;tautan;kampanye
{d1};09:00;konfederasi,fspmi-jabar;"Upah minimum 2027 harus naik sesuai kebutuhan hidup layak.
Datang ke aksi nasional!";https://example.org/aksi-upah;upah-layak
{d2};19:00;konfederasi;Outsourcing membuat buruh tanpa kepastian kerja. Hapus outsourcing!;;upah-layak
"""


#: canned answers to the sandbox's seeded questions; another question gets the last one
ANSWERS = {
    "Aksinya kumpul di mana? Jam berapa min?": "Kumpul di depan Gedung DPR, Rabu jam 09.00 WIB. Sampai ketemu, kawan!",
    "Formulir daftar anggota di mana ya kak?": "Formulirnya di https://example.org/daftar, kawan. Isi ya!",
    "Ojol boleh ikut aksi gak? 🙏": "Boleh banget! Semua pekerja, ojol juga, kumpul Rabu jam 09.00 di depan DPR.",
    "": "Terima kasih, kawan! Info lengkap aksi di https://example.org/aksi-upah",
}


class DemoClock:
    """The demo's own time: it stands still while commands run and moves only when the demo
    moves it, so a few hours of engagement take no time at all."""

    def __init__(self, start: datetime):
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@click.command()
@click.option("--dir", "folder", type=click.Path(file_okay=False, path_type=Path),
              help="Folder for the demo database (default: a new temporary folder).")
@click.pass_context
def demo(ctx: click.Context, folder: Path | None) -> None:
    """Run the main job end to end on a fresh SQLite database with sandbox accounts."""
    from datetime import time, timedelta, timezone
    from zoneinfo import ZoneInfo

    from campaigner.cli.main import Flags, cli
    from campaigner.clock import utcnow
    from campaigner.errors import InvalidInput
    from campaigner.i18n import _, current, ngettext
    from content.datetext import DAY_NAMES

    folder = folder or Path(tempfile.mkdtemp(prefix="campaigner-demo-"))
    if (folder / "demo.db").exists():
        raise InvalidInput(_("{folder} holds an earlier demo already").format(folder=folder),
                           _("give an empty folder with --dir, or leave --dir out for a new temporary one"))
    folder.mkdir(parents=True, exist_ok=True)
    db = f"sqlite:///{folder / 'demo.db'}"
    config = folder / "config.toml"
    config.write_text(f'data_dir = "{folder / "data"}"\nsecrets_file = "{folder / "secrets.toml"}"\n')
    base = ["--db", db, "--config", str(config)]
    wib = ZoneInfo("Asia/Jakarta")
    today = (ctx.obj.now or utcnow)().astimezone(wib).date()
    clock = DemoClock(datetime.combine(today, time(8, 0), tzinfo=wib).astimezone(timezone.utc))

    def run(*args: str) -> None:
        click.secho(f"\n$ campaigner {' '.join(shlex.quote(a) for a in args)}", fg="cyan")
        cli.main(args=[*base, *args], prog_name="campaigner", standalone_mode=False, obj=clock)

    def later(hours: int, why: str) -> None:
        clock.now += timedelta(hours=hours)
        hence = ngettext("{n} hour later", "{n} hours later", hours).format(n=hours)
        click.secho(f"\n# {hence} ({clock.now.astimezone(wib):%H:%M} WIB): {why}", fg="yellow")

    calendar = folder / "kalender.csv"
    calendar.write_text(CALENDAR.format(d1=today + timedelta(days=2), d2=today + timedelta(days=3)),
                        encoding="utf-8")

    click.echo(_("Demo folder: {folder}").format(folder=folder))
    start = clock.now.astimezone(wib)
    click.echo(_("Demo clock: {when} WIB; it moves only when the demo moves it (no waiting).").format(
        when=f"{DAY_NAMES[current()][start.weekday()]} {start:%Y-%m-%d %H:%M}"))
    run("init")
    run("account", "add", "sandbox", "konfederasi", "--handle", "@konfederasi")
    run("account", "add", "sandbox", "fspmi-jabar", "--handle", "@fspmi_jabar", "--timezone", "Asia/Jakarta")
    run("account", "add", "sandbox", "serikat-makassar", "--handle", "@serikat_mks", "--timezone", "Asia/Makassar")
    run("account", "test", "konfederasi")
    run("campaign", "add", "upah-layak", "--name", "Upah Layak 2027", "--hashtag", "UpahLayak",
        "--hashtag", "TolakTapera", "--issue", "minimum wage", "--against", "Tapera", "--against", "potongan upah",
        "--for", "upah layak")
    run("campaign", "edit", "upah-layak", "--compare-tag", "TaperaUntukRakyat")
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
    later(3, _("people have liked, shared and answered"))
    run("metrics", "collect")
    run("post", "list", "--status", "published")
    run("replies", "list", "--limit", "8")
    question = _first_question(Flags(db, str(config), None, now=clock))
    if question is not None:
        reply_id, text = question
        run("replies", "show", str(reply_id))
        run("replies", "answer", str(reply_id), ANSWERS.get(text, ANSWERS[""]))
        run("publish")
    later(1, _("the answer is out; collect again"))
    run("metrics", "collect")
    run("replies", "list", "--state", "answered")
    run("listen", "collect")
    run("report", "weekly", "--week", clock.now.astimezone(wib).strftime("%G-W%V"))
    click.echo("\n" + _("Done. Explore it with: {command}").format(command=f"campaigner --db {db} post list"))


def _first_question(flags) -> tuple[int, str] | None:
    """The newest unanswered question in the inbox that has a canned answer (else the newest one)."""
    from campaigner.services import inbox

    app = flags.app()
    try:
        found = inbox.list_replies(app, kind="question", state="new", limit=None)
    finally:
        app.close()
    if not found:
        return None
    best = next((r for r in found if r.text in ANSWERS), found[0])
    return best.id, best.text
