"""The spreadsheet as staff really keep it (issue 13, part 2): a calendar exported from Excel or
Google Sheets in Indonesian — ``;``, a BOM, CRLF, extra columns, dates and times as people type
them, a status column — is imported as it is; every CSV campaigner writes opens in Indonesian
Excel when the language is Indonesian; the same date and time forms work after ``--at``."""
from __future__ import annotations

import csv
import io
import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigner.models import Post

#: Monday 30 November 2026, 08:00 WIB is the tests' "now" (tests/conftest.py)
CALENDAR = (
    "No;Hari, Tanggal;Jam;Akun;Isi Konten;Kampanye;PIC;Status;Catatan\r\n"
    '1;Senin, 7 Desember 2026;09.00 WIB;KSPI-X, kspi-mastodon;"Tolak potongan Tapera!\r\n'
    'Iuran wajib 3% memberatkan buruh.";Tolak Tapera;Budi;Siap;cek angka\r\n'
    "2;8 Des 2026;pukul 19.30;fspmi-bsky;Aksi damai di depan DPRD Makassar;;Sari;rancangan;\r\n"
    "3;21/12/26;9:00 WITA;fspmi-bsky;Rapat akbar buruh Sulawesi;tapera;Sari;;\r\n"
    "4;7-12-2026;19.30 WIB;fspmi-bsky;Serentak se-Indonesia;;Budi;siap;jam WIB\r\n"
    "5;Selasa, 8 Desember 2026;12:00;kspi-x;Diganti materi lain;;Budi;batal;ganti\r\n"
    "6;December 9, 2026;7:30 PM;Kspi-Mastodon;Upah layak untuk semua;upah;Budi;ready;\r\n"
    ";;;;;;;;\r\n"
    "7;Rabu, 9 Des 2026;21.15;kspi-x;Terima kasih kawan-kawan;;Sari;DRAFT;\r\n"
)


def setup(cli) -> None:
    cli.ok("account", "add", "x", "kspi-x")
    cli.ok("account", "add", "mastodon", "kspi-mastodon", "--base-url", "https://mastodon.example")
    cli.ok("account", "add", "bluesky", "fspmi-bsky", "--timezone", "WITA")
    cli.ok("campaign", "add", "tapera", "--name", "Tolak Tapera", "--hashtag", "TolakTapera")
    cli.ok("campaign", "add", "upah", "--name", "Upah Layak 2027")


def sheet(tmp_path, text: str = CALENDAR, name: str = "kalender.csv"):
    path = tmp_path / name
    path.write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    return path


def queued(cli) -> list[tuple[int, str, str, str]]:
    return [(r["post_id"], r["account"], r["due_local"], r["status"])
            for r in json.loads(cli.ok("post", "list", "--json").stdout)]


def n_posts(engine) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(Post))


def test_an_indonesian_calendar_from_a_spreadsheet_is_imported_as_it_is(cli, engine, tmp_path):
    setup(cli)
    r = cli.ok("post", "import", str(sheet(tmp_path)))
    assert r.stdout == ("Queued 6 posts (7 deliveries) from kalender.csv; 2 as drafts, sent only once approved "
                        "(campaigner post approve ID); 1 cancelled row skipped.\n")
    assert r.stderr.splitlines() == [
        "Note: kalender.csv: columns 'No', 'PIC', 'Catatan' are not used by campaigner and were ignored (--strict "
        "refuses such columns).",
        "Note: kalender.csv: 1 row gives a time in another zone than its account's, read in the zone written (e.g. "
        "line 6: 2026-12-07 19:30 WIB is 2026-12-07 20:30 WITA on fspmi-bsky); --strict refuses such rows."]
    assert sorted(queued(cli)) == [
        (1, "kspi-mastodon", "2026-12-07 09:00 WIB", "queued"),
        (1, "kspi-x", "2026-12-07 09:00 WIB", "queued"),
        (2, "fspmi-bsky", "2026-12-08 19:30 WITA", "draft"),
        (3, "fspmi-bsky", "2026-12-21 09:00 WITA", "queued"),
        (4, "fspmi-bsky", "2026-12-07 20:30 WITA", "queued"),
        (5, "kspi-mastodon", "2026-12-09 19:30 WIB", "queued"),
        (6, "kspi-x", "2026-12-09 21:15 WIB", "draft"),
    ]
    posts = [json.loads(cli.ok("post", "show", str(i), "--json").stdout) for i in range(1, 7)]
    assert [p["campaign"] for p in posts] == ["tapera", None, "tapera", None, "upah", None]
    assert posts[0]["text"] == "Tolak potongan Tapera!\nIuran wajib 3% memberatkan buruh."
    assert posts[0]["deliveries"][0]["parts"][0]["text"].endswith("#TolakTapera")
    assert [p["source"] for p in posts] == [f"kalender.csv:{n}" for n in (2, 4, 5, 6, 8, 10)]
    assert [p["approval"] for p in posts] == [None, "pending", None, None, None, "pending"]


def test_a_dry_run_shows_each_row(cli, engine, tmp_path):
    setup(cli)
    r = cli.ok("post", "import", str(sheet(tmp_path)), "--dry-run")
    assert r.stdout.splitlines() == [
        "line 2      2026-12-07 09:00 WIB   ready  kspi-x, kspi-mastodon — Tolak potongan Tapera! Iuran wajib 3%…",
        "line 4      2026-12-08 19:30 WITA  draft  fspmi-bsky — Aksi damai di depan DPRD Makassar",
        "line 5      2026-12-21 09:00 WITA  ready  fspmi-bsky — Rapat akbar buruh Sulawesi",
        "line 6      2026-12-07 20:30 WITA  ready  fspmi-bsky — Serentak se-Indonesia",
        "line 8      2026-12-09 19:30 WIB   ready  kspi-mastodon — Upah layak untuk semua",
        "line 10     2026-12-09 21:15 WIB   draft  kspi-x — Terima kasih kawan-kawan",
        "Would queue 6 posts (7 deliveries) from kalender.csv; 2 as drafts, sent only once approved (campaigner "
        "post approve ID); 1 cancelled row skipped.",
    ]
    assert n_posts(engine) == 0


def test_accounts_in_other_zones_show_their_own_time_in_the_preview(cli, engine, tmp_path):
    setup(cli)
    path = sheet(tmp_path, "tanggal;jam;akun;teks\r\n07/12/2026;10.00;kspi-x fspmi-bsky;Bersama\r\n")
    assert cli.ok("post", "import", str(path), "--dry-run").stdout.splitlines()[0] == (
        "line 2      2026-12-07 10:00 WIB   ready  kspi-x, fspmi-bsky 2026-12-07 10:00 WITA — Bersama")


def test_strict_refuses_extra_columns_and_times_in_another_zone(cli, engine, tmp_path):
    setup(cli)
    r = cli("post", "import", str(sheet(tmp_path)), "--strict")
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr.startswith("Error: kalender.csv line 1: unknown columns 'No', 'PIC' — accepted names: ")
    plain = "tanggal;jam;akun;teks;status;catatan\r\n7-12-2026;19.30 WIB;fspmi-bsky;Serentak;siap;ok\r\n"
    r = cli("post", "import", str(sheet(tmp_path, plain)), "--strict")
    assert r.stderr.splitlines() == [
        "Error: kalender.csv line 2: the time 2026-12-07 19:30 WIB is 2026-12-07 20:30 WITA on fspmi-bsky, another "
        "zone — write fspmi-bsky's own time, or leave the zone out (without --strict it is read as written)",
        "Error: 1 bad row in kalender.csv, nothing was imported — fix the rows above and import again"]
    assert n_posts(engine) == 0
    same = "tanggal;jam;akun;teks\r\n7-12-2026;20.30 WITA;fspmi-bsky;Serentak\r\n"
    assert cli.ok("post", "import", str(sheet(tmp_path, same)), "--strict").stderr == ""


def test_bad_cells_are_said_exactly_and_nothing_is_written(cli, engine, tmp_path):
    setup(cli)
    bad = ("tanggal;jam;akun;teks;kampanye;status\r\n"
           "12/25/2026;09.00;kspi-x;Tanggal ala Amerika;;\r\n"
           "Senin, 8 Desember 2026;09.00;kspi-x;Hari salah;;\r\n"
           "8 Des;09.00;kspi-x;Tanpa tahun;;\r\n"
           "8 Des 2026;9 pagi;kspi-x;Jam salah;;\r\n"
           "8 Des 2026;09.00;kspi-x;Status salah;;nanti saja\r\n"
           "8 Des 2026;09.00;kspi-x;Kampanye salah;Upah Layak;\r\n"
           "8 Des 2026;09.00;KSPI-FB;Akun salah;;\r\n")
    r = cli("post", "import", str(sheet(tmp_path, bad, "cal.csv")))
    assert r.stderr.splitlines() == [
        "Error: cal.csv line 2: bad date '12/25/2026' — dates are day first (DD/MM/YYYY): did you mean 25/12/2026?",
        "Error: cal.csv line 3: bad date 'Senin, 8 Desember 2026': 8 Desember 2026 is a Selasa, not a Senin — fix "
        "the weekday or the date",
        "Error: cal.csv line 4: bad date '8 Des': it has no year — add the year, e.g. 7 Des 2026 or 07/12/2026",
        "Error: cal.csv line 5: bad time '9 pagi' — write it as HH:MM or HH.MM, e.g. 08:00, 19.30 or 19.30 WITA",
        "Error: cal.csv line 6: unknown status 'nanti saja' — use draft/rancangan, siap/ready or batal/cancelled "
        "(empty: ready)",
        "Error: cal.csv line 7: no campaign 'Upah Layak' — see `campaigner campaign list`",
        "Error: cal.csv line 8: no account named 'KSPI-FB' — see `campaigner account list`",
        "Error: 7 bad rows in cal.csv, nothing was imported — fix the rows above and import again"]
    assert n_posts(engine) == 0


def test_a_campaign_name_two_campaigns_share_must_be_a_slug(cli, engine, tmp_path):
    setup(cli)
    cli.ok("campaign", "add", "tapera-2", "--name", "tolak tapera")
    path = sheet(tmp_path, "tanggal;jam;akun;teks;kampanye\r\n8 Des 2026;09.00;kspi-x;Halo;Tolak Tapera\r\n")
    assert cli("post", "import", str(path)).stderr.splitlines()[0] == (
        "Error: kalender.csv line 2: 2 campaigns are named 'Tolak Tapera' (tapera, tapera-2) — give the campaign's "
        "slug instead")
    r = cli.ok("post", "add", "Halo", "--to", "KSPI-X", "--campaign", "Upah Layak 2027", "--at", "8 Des 2026 09.00")
    assert r.stdout.splitlines()[:3] == ["Queued post 1 on 1 account:", "Post 1 · campaign upah",
                                         "  kspi-x           queued      2026-12-08 09:00 WIB"]


def test_a_calendar_of_cancelled_rows_only_says_so(cli, engine, tmp_path):
    setup(cli)
    path = sheet(tmp_path, "tanggal;jam;akun;teks;status\r\n8 Des 2026;09.00;kspi-x;Halo;batal\r\n")
    assert cli("post", "import", str(path)).stderr == (
        f"Error: every row of {path} is cancelled (its status), so there is nothing to import — change a row's "
        "status to siap/ready or draft, or leave it empty\n")


def test_export_in_indonesian_opens_in_indonesian_excel_and_imports_back(cli, engine, tmp_path):
    setup(cli)
    cli.ok("post", "import", str(sheet(tmp_path)))
    (cli.home / "config" / "campaigner.toml").write_text('lang = "id"\n')
    out = tmp_path / "ekspor.csv"
    # lang = "id" speaks Indonesian on the command line too
    assert cli.ok("post", "export", str(out)).stdout == f"6 baris ditulis ke {out}.\n"  # post 1: one row, 2 accounts
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbftanggal;jam;akun;teks;tautan;kampanye;media;status\r\n")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[2] == ["2026-12-08", "19:30", "fspmi-bsky", "Aksi damai di depan DPRD Makassar", "", "", "",
                       "draf"]
    stdout = cli.ok("post", "export", "-").stdout
    assert stdout.startswith("\ufefftanggal;jam;akun;") and stdout.replace("\ufeff", "", 1) == raw.decode("utf-8-sig")
    standard = cli.ok("post", "export", "-", "--dialect", "standard").stdout
    assert standard.startswith("tanggal,jam,akun,teks,tautan,kampanye,media,status\r\n")
    english = cli.ok("post", "export", "-", env={"CAMPAIGNER_LANG": "en"}).stdout
    assert english.startswith("date,time,accounts,text,link,campaign,media,status\r\n")
    assert "\r\n2026-12-08,19:30,fspmi-bsky,Aksi damai di depan DPRD Makassar,,,,draft\r\n" in english
    # what was exported imports again: the same posts, drafts staying drafts
    before = sorted((a, t, s) for _, a, t, s in queued(cli))
    cli.ok("post", "cancel", "1")
    for i in range(2, 7):
        cli.ok("post", "cancel", str(i))
    r = cli.ok("post", "import", str(out), env={"CAMPAIGNER_LANG": "en"})  # read in English too
    assert r.stdout.startswith("Queued 6 posts (7 deliveries) from ekspor.csv; 2 as drafts")
    again = sorted((a, t, s) for p, a, t, s in queued(cli) if p > 6)
    assert again == sorted(before)
    assert cli("post", "export", "-", "--dialect", "excel").exit_code == 2


def test_times_as_people_type_them_after_at(cli, engine):
    setup(cli)

    def at(when: str, to: str = "kspi-x") -> str:
        r = cli("post", "add", "Halo", "--to", to, "--at", when)
        return r.stdout.splitlines()[2].split(None, 2)[2] if r.exit_code == 0 else r.stderr

    assert at("senin 10:00") == "2026-12-07 10:00 WIB"  # the coming Monday, never today (a Monday)
    assert at("Selasa 10.00") == "2026-12-01 10:00 WIB"
    assert at("07/12/2026 10.00") == "2026-12-07 10:00 WIB"
    assert at("8 Des 2026 pukul 19.30") == "2026-12-08 19:30 WIB"
    assert at("Senin, 7 Desember 2026 09.00 WITA") == "2026-12-07 08:00 WIB"
    assert at("21/12/26 9:00", "fspmi-bsky") == "2026-12-21 09:00 WITA"
    assert at("7-12-2026 19.30 WIB", "fspmi-bsky") == "2026-12-07 20:30 WITA"
    assert at("besok jam 9") == "2026-12-01 09:00 WIB"
    assert at("December 9, 2026 7:30 PM") == "2026-12-09 19:30 WIB"
    assert at("12/25/2026 10:00") == ("Error: cannot read the date in '12/25/2026 10:00' — dates are day first "
                                      "(DD/MM/YYYY): did you mean 25/12/2026?\n")
    assert at("Selasa, 7 Desember 2026 10:00") == (
        "Error: cannot read the date in 'Selasa, 7 Desember 2026 10:00': 7 Desember 2026 is a Senin, not a Selasa — "
        "fix the weekday or the date\n")
    assert at("07/12/2026") == ("Error: the time '07/12/2026' has a date but no time of day — add one, e.g. "
                                "\"07/12/2026 09:00\"\n")
    assert at("30/11/2026 07.00") == "Error: the time 2026-11-30 07:00 WIB is in the past — pick a later time, or use --now\n"


def test_campaign_dates_and_zone_names_as_people_write_them(cli, engine):
    r = cli.ok("campaign", "add", "upah", "--name", "Upah", "--start", "8 Des 2026", "--end", "31/12/26")
    shown = json.loads(cli.ok("campaign", "show", "upah", "--json").stdout)
    assert (shown["start"], shown["end"]) == ("2026-12-08", "2026-12-31"), r.stdout
    r = cli("campaign", "add", "tapera", "--name", "Tapera", "--start", "12/31/2026")
    assert r.stderr == ("Error: cannot read the --start date '12/31/2026' — dates are day first (DD/MM/YYYY): did you "
                        "mean 31/12/2026?\n")
    cli.ok("account", "add", "sandbox", "papua", "--timezone", "wit")
    assert json.loads(cli.ok("account", "show", "papua", "--json").stdout)["timezone"] == "Asia/Jayapura"
    cli.ok("account", "add", "sandbox", "pusat")
    cli.ok("account", "edit", "pusat", "--timezone", "WITA")
    assert json.loads(cli.ok("account", "show", "pusat", "--json").stdout)["timezone"] == "Asia/Makassar"
    assert json.loads(cli.ok("--timezone", "WIT", "config", "--json").stdout)["settings"]["timezone"] == "Asia/Jayapura"
    (cli.home / "config" / "campaigner.toml").write_text('timezone = "WITA"\n')
    assert json.loads(cli.ok("config", "--json").stdout)["settings"]["timezone"] == "Asia/Makassar"
    assert json.loads(cli.ok("config", "--json", env={"CAMPAIGNER_TIMEZONE": "wib"}).stdout)["settings"]["timezone"] \
        == "Asia/Jakarta"
    (cli.home / "config" / "campaigner.toml").write_text('lang = "jawa"\n')
    assert cli("config").stderr == (f"Error: unknown language 'jawa' (lang in {cli.home / 'config' / 'campaigner.toml'})"
                                    " — use \"en\" (English) or \"id\" (Bahasa Indonesia)\n")


def test_group_names_are_read_in_any_case_too(cli, engine, tmp_path):
    setup(cli)
    cli.ok("group", "add", "semua", "kspi-x", "fspmi-bsky")
    path = sheet(tmp_path, "tanggal;jam;akun;teks\r\n07/12/2026;10.00;SEMUA;Bersama\r\n")
    assert cli.ok("post", "import", str(path), "--dry-run").stdout.splitlines()[0] == (
        "line 2      2026-12-07 10:00 WIB   ready  kspi-x, fspmi-bsky 2026-12-07 10:00 WITA — Bersama")
    r = cli.ok("post", "add", "Halo", "--to", "Semua", "--at", "8 Des 2026 09.00")
    assert [line.split()[0] for line in r.stdout.splitlines()[2:4]] == ["kspi-x", "fspmi-bsky"]
