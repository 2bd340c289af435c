"""``post import`` / ``post export``: all rows checked first; any bad row → nothing written."""
import json

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigner.models import Post


def n_posts(engine) -> int:
    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(Post))


def setup_accounts(cli):
    cli.ok("account", "add", "x", "kspi-x")
    cli.ok("account", "add", "mastodon", "kspi-m", "--timezone", "Asia/Makassar")
    cli.ok("campaign", "add", "upah", "--name", "Upah Layak", "--hashtag", "UpahLayak")


def test_import_indonesian_semicolon_bom_multiline(cli, engine, tmp_path):
    setup_accounts(cli)
    csv = tmp_path / "kalender.csv"
    csv.write_bytes("\ufefftanggal;jam;akun;teks;tautan;kampanye\n"
                    "01/12/2026;09:00;kspi-x,kspi-m;\"Baris satu\nbaris dua\";https://kspi.or.id;upah\n"
                    "2026-12-02;19.30;kspi-m;Hidup buruh!;;\n".encode("utf-8"))
    r = cli.ok("post", "import", str(csv))
    assert r.stdout == "Queued 2 posts (3 deliveries) from kalender.csv.\n"
    rows = json.loads(cli.ok("post", "list", "--json").stdout)
    assert [(r["account"], r["due_local"]) for r in rows] == [
        ("kspi-m", "2026-12-01 09:00 WITA"), ("kspi-x", "2026-12-01 09:00 WIB"), ("kspi-m", "2026-12-02 19:30 WITA")]
    assert rows[1]["text"] == "Baris satu\nbaris dua\n\n#UpahLayak\nhttps://kspi.or.id"
    post = json.loads(cli.ok("post", "show", "1", "--json").stdout)
    assert post["source"] == "kalender.csv:2"


def test_bad_rows_all_reported_nothing_written(cli, engine, tmp_path):
    setup_accounts(cli)
    csv = tmp_path / "cal.csv"
    long = "Tolak outsourcing! " * 16
    csv.write_text("date,time,accounts,text\n"
                   "2026-12-01,09:00,kspi-x,Baik\n"
                   "2026-12-01,09:00,kspi-fb,Akun salah\n"
                   "2026-12-01,25:00,kspi-x,Jam salah\n"
                   f"2026-12-01,10:00,kspi-x,{long}\n"
                   "2026-11-29,10:00,kspi-x,Sudah lewat\n", encoding="utf-8")
    r = cli("post", "import", str(csv))
    assert r.exit_code == 1
    lines = r.stderr.splitlines()
    assert lines[0] == "Error: cal.csv line 3: no account named 'kspi-fb' — see `campaigner account list`"
    assert lines[1].startswith("Error: cal.csv line 4: ")
    assert lines[2] == ("Error: cal.csv line 5: the text is too long for kspi-x (x): 303 of 280 weighted "
                        "characters — cut 23 weighted characters")
    assert lines[3] == "Error: cal.csv line 6: the time 2026-11-29 10:00 WIB is in the past — pick a later time, or use --now"
    assert lines[4] == "Error: 4 bad rows in cal.csv, nothing was imported — fix the rows above and import again"
    assert len(lines) == 5
    assert n_posts(engine) == 0


def test_dry_run_writes_nothing(cli, engine, tmp_path):
    setup_accounts(cli)
    csv = tmp_path / "cal.csv"
    csv.write_text("date,time,accounts,text\n2026-12-01,09:00,kspi-x,Baik\n", encoding="utf-8")
    assert cli.ok("post", "import", str(csv), "--dry-run").stdout == (
        "line 2      2026-12-01 09:00 WIB   ready  kspi-x — Baik\n"
        "Would queue 1 post (1 delivery) from cal.csv.\n")
    assert n_posts(engine) == 0


def test_caps_are_checked_across_the_file(cli, engine, tmp_path):
    setup_accounts(cli)
    cli.ok("account", "edit", "kspi-x", "--daily-cap", "2")
    csv = tmp_path / "cal.csv"
    csv.write_text("date,time,accounts,text\n" + "".join(f"2026-12-01,0{i}:00,kspi-x,Pesan {i}\n" for i in range(1, 4)),
                   encoding="utf-8")
    r = cli("post", "import", str(csv))
    assert r.stderr.splitlines()[0] == (
        "Error: cal.csv line 4: account 'kspi-x' would have 3 posts on 2026-12-01 (WIB), above its daily cap of 2 — "
        "pick another day or raise the cap (campaigner account edit kspi-x --daily-cap N)")
    assert n_posts(engine) == 0


def test_not_utf8_and_missing_file(cli, tmp_path):
    setup_accounts(cli)
    csv = tmp_path / "latin.csv"
    csv.write_bytes("date,time,accounts,text\n2026-12-01,09:00,kspi-x,Caf\xe9\n".encode("latin-1"))
    r = cli("post", "import", str(csv))
    assert r.exit_code == 1 and "UTF-8" in r.stderr
    r = cli("post", "import", str(tmp_path / "none.csv"))
    assert r.stderr == f"Error: file {tmp_path / 'none.csv'} does not exist — check the path\n"


def test_export_round_trips(cli, engine, tmp_path):
    setup_accounts(cli)
    cli.ok("post", "add", "Satu\n---\nDua", "--thread", "--to", "kspi-x,kspi-m", "--campaign", "upah",
           "--at", "2026-12-01 09:00", "--link", "https://kspi.or.id")
    cli.ok("post", "add", "Tanpa kampanye; dengan titik koma, \"kutip\"", "--to", "kspi-x", "--at", "2026-12-03 07:00")
    out = tmp_path / "export.csv"
    assert cli.ok("post", "export", str(out)).stdout == f"Wrote 2 rows to {out}.\n"
    # UTF-8 with a BOM, as write_calendar promises a file (Excel reads the accents right)
    assert out.read_text(encoding="utf-8").splitlines()[0] == "\ufeffdate,time,accounts,text,link,campaign,media"
    before = json.loads(cli.ok("post", "list", "--json").stdout)
    # importing the export into a fresh database gives the same deliveries
    fresh = tmp_path / "fresh.db"
    cli.ok("--db", f"sqlite:///{fresh}", "init")  # a database named by --db is made by init only
    cli.ok("--db", f"sqlite:///{fresh}", "account", "add", "x", "kspi-x")
    cli.ok("--db", f"sqlite:///{fresh}", "account", "add", "mastodon", "kspi-m", "--timezone", "Asia/Makassar")
    cli.ok("--db", f"sqlite:///{fresh}", "campaign", "add", "upah", "--name", "Upah Layak", "--hashtag", "UpahLayak")
    cli.ok("--db", f"sqlite:///{fresh}", "post", "import", str(out))
    after = json.loads(cli.ok("--db", f"sqlite:///{fresh}", "post", "list", "--json").stdout)
    key = lambda r: (r["account"], r["due_at"], r["text"], r["campaign"])
    assert sorted(map(key, after)) == sorted(map(key, before))
    only_upah = tmp_path / "upah.csv"
    cli.ok("post", "export", "--campaign", "upah", str(only_upah))
    import csv

    rows = list(csv.DictReader(only_upah.open(encoding="utf-8-sig", newline="")))
    assert [(r["accounts"], r["text"], r["campaign"]) for r in rows] == [("kspi-m kspi-x", "Satu\n---\nDua", "upah")]


def test_export_says_what_the_calendar_cannot_hold(cli, tmp_path):
    setup_accounts(cli)
    cli.ok("post", "add", "Satu", "--to", "kspi-x,kspi-m", "--at", "2026-12-01 09:00", "--variant", "x=Satu untuk X")
    cli.ok("post", "add", "Dua", "--to", "kspi-x", "--at", "2026-12-02 09:00")
    out = tmp_path / "export.csv"
    r = cli.ok("post", "export", str(out))
    assert (r.stdout, r.stderr) == (f"Wrote 2 rows to {out}.\n", "Note: 1 post has per-platform variants or alt texts, "
                                    "which the calendar has no column for: not in the file.\n")
    r = cli.ok("post", "export", "-")
    assert r.stdout.startswith("date,time,accounts,text") and r.stderr.startswith("Note: 1 post has ")


def test_export_says_when_a_time_is_the_second_pass_of_a_repeated_hour(cli, tmp_path):
    cli.ok("account", "add", "sandbox", "ber", "--timezone", "Europe/Berlin")
    cli.ok("post", "add", "Pertama", "--to", "ber", "--at", "2027-10-31T02:30+02:00")  # CEST: the first 02:30
    out = tmp_path / "export.csv"
    assert cli.ok("post", "export", str(out)).stderr == ""
    cli.ok("post", "add", "Kedua", "--to", "ber", "--at", "2027-10-31T02:30+01:00")  # CET: the second 02:30
    r = cli.ok("post", "export", str(out))
    assert r.stderr == ("Note: 1 delivery falls in the second pass of an hour a clock change repeats; the file cannot "
                        "say so, and an import would take the first: check those times after importing.\n")
