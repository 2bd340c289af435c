"""The posts area in Bahasa Indonesia (``CAMPAIGNER_LANG=id``), through the real CLI: the common
mistakes of ``post add``, ``post import``, ``post approve``, ``post delete``, ``slots set`` and
``group add`` as exact one-line messages in both languages, the database unchanged after each;
the tables and empty lines of ``queue`` and ``post list``."""
import pytest

from tests.core.test_posts_bad_input import snapshot

#: the prefix main() prints before an error in Indonesian (i18n infra turns "Error:" into
#: "Kesalahan:"; every Indonesian error main() prints is asserted with it — the lines
#: ``post import`` prints per row are the posts area's own, "Kesalahan:" already)
ID_ERROR = "Kesalahan: "
ID = {"CAMPAIGNER_LANG": "id"}


def refused(cli, engine, *args, env=None, code=1) -> str:
    """Run a command that must fail: one line on stderr, exit ``code``, nothing written; its line."""
    before = snapshot(engine)
    r = cli(*args, env=env)
    assert r.exit_code == code, r.output
    assert r.stderr.count("\n") == 1 and " — " in r.stderr, r.stderr
    assert snapshot(engine) == before
    return r.stderr


def both(cli, engine, *args) -> tuple[str, str]:
    """The same mistake in English and in Indonesian."""
    return refused(cli, engine, *args), refused(cli, engine, *args, env=ID)


@pytest.fixture
def setup(cli):
    cli.ok("account", "add", "sandbox", "sb1")
    cli.ok("account", "add", "sandbox", "sb2")
    cli.ok("account", "add", "x", "kx")
    cli.ok("post", "add", "Sudah ada", "--to", "sb1", "--at", "2026-12-01 09:00")  # post 1
    return cli


def test_post_add_at_a_past_time(setup, engine):
    en, id_ = both(setup, engine, "post", "add", "Aksi", "--to", "sb1", "--at", "2026-11-29 09:00")
    assert en == "Error: the time 2026-11-29 09:00 WIB is in the past — pick a later time, or use --now\n"
    assert id_ == ID_ERROR + "waktu 2026-11-29 09:00 WIB sudah lewat — pilih waktu yang lebih lambat, atau pakai --now\n"


def test_post_add_with_nothing_saying_when(setup, engine):
    en, id_ = both(setup, engine, "post", "add", "Aksi", "--to", "sb1")
    assert en == "Error: say when the post goes out — give exactly one of --at TIME, --next-slot or --now\n"
    assert id_ == ID_ERROR + ("sebutkan kapan postingan dikirim — berikan tepat satu dari --at TIME, --next-slot "
                              "atau --now\n")


def test_post_add_text_too_long_for_x(setup, engine):
    en, id_ = both(setup, engine, "post", "add", "a" * 281, "--to", "kx", "--at", "2026-12-02 09:00")
    assert en == ("Error: the text is too long for kx (x): 281 of 280 weighted characters — cut 1 weighted "
                  "character\n")
    assert id_ == ID_ERROR + ("teks terlalu panjang untuk kx (x): 281 dari 280 karakter berbobot — potong 1 "
                              "karakter berbobot\n")


def test_post_check_counts_in_indonesian(setup):
    r = setup("post", "check", "a" * 281, "--platform", "x", env=ID)
    assert r.exit_code == 1
    assert r.stdout == "x (x): 281/280 karakter berbobot — potong 1 karakter berbobot\n"
    assert setup.ok("post", "check", "Aksi", "--platform", "mastodon", env=ID).stdout == \
        "mastodon (mastodon): 4/500 karakter — muat\n"


def test_post_add_to_an_unknown_account(setup, engine):
    en, id_ = both(setup, engine, "post", "add", "Aksi", "--to", "nobody", "--at", "2026-12-02 09:00")
    assert en == "Error: no account named 'nobody' — see `campaigner account list`\n"
    assert id_ == ID_ERROR + "tidak ada akun bernama 'nobody' — lihat `campaigner account list`\n"


def _import_refused(cli, engine, path, env=None) -> str:
    before = snapshot(engine)
    r = cli("post", "import", str(path), env=env)
    assert r.exit_code == 1 and r.stdout == "", r.output
    assert snapshot(engine) == before
    return r.stderr


def test_post_import_with_a_bad_date(setup, engine, tmp_path):
    sheet = tmp_path / "cal.csv"
    sheet.write_text("tanggal;jam;akun;teks\n"
                     "31/02/2026;09.00;sb1;Aksi di Bandung\n"
                     "Selasa, 7 Desember 2026;10.00;sb2;Aksi di Makassar\n"
                     "8 Des 2026;25.00;sb2;Aksi di Medan\n", encoding="utf-8")
    assert _import_refused(setup, engine, sheet) == (
        "Error: cal.csv line 2: bad date '31/02/2026': February 2026 has no day 31 — check the day\n"
        "Error: cal.csv line 3: bad date 'Selasa, 7 Desember 2026': 7 Desember 2026 is a Senin, not a Selasa — "
        "fix the weekday or the date\n"
        "Error: cal.csv line 4: bad time '25.00' — write it as HH:MM or HH.MM, e.g. 08:00, 19.30 or 19.30 WITA\n"
        "Error: 3 bad rows in cal.csv, nothing was imported — fix the rows above and import again\n")
    assert _import_refused(setup, engine, sheet, env=ID) == (
        "Kesalahan: cal.csv baris 2: tanggal '31/02/2026' salah: Februari 2026 tidak punya tanggal 31 — periksa "
        "tanggalnya\n"
        "Kesalahan: cal.csv baris 3: tanggal 'Selasa, 7 Desember 2026' salah: 7 Desember 2026 jatuh pada hari "
        "Senin, bukan Selasa — perbaiki nama hari atau tanggalnya\n"
        "Kesalahan: cal.csv baris 4: jam '25.00' salah — tulis sebagai HH:MM atau HH.MM, misalnya 08:00, 19.30 "
        "atau 19.30 WITA\n"
        f"{ID_ERROR}3 baris salah di cal.csv, tidak ada yang diimpor — perbaiki baris di atas lalu impor lagi\n")


def test_post_import_with_an_unknown_account(setup, engine, tmp_path):
    sheet = tmp_path / "cal.csv"
    sheet.write_text("tanggal;jam;akun;teks\n8 Des 2026;09.00;nobody;Aksi\n", encoding="utf-8")
    assert _import_refused(setup, engine, sheet) == (
        "Error: cal.csv line 2: no account named 'nobody' — see `campaigner account list`\n"
        "Error: 1 bad row in cal.csv, nothing was imported — fix the rows above and import again\n")
    assert _import_refused(setup, engine, sheet, env=ID) == (
        "Kesalahan: cal.csv baris 2: tidak ada akun bernama 'nobody' — lihat `campaigner account list`\n"
        f"{ID_ERROR}1 baris salah di cal.csv, tidak ada yang diimpor — perbaiki baris di atas lalu impor lagi\n")


def test_post_import_dry_run_and_summary_in_indonesian(setup, tmp_path):
    sheet = tmp_path / "cal.csv"
    sheet.write_text("tanggal;jam;akun;teks;status;Catatan\n"
                     "8 Des 2026;09.00;sb1,sb2;Aksi damai;draf;cek\n"
                     "9 Des 2026;pukul 19.30;sb1;Aksi malam;batal;\n"
                     "10 Des 2026;10.00 WITA;sb2;Aksi siang;;\n", encoding="utf-8")
    r = setup.ok("post", "import", str(sheet), "--dry-run", env=ID)
    assert r.stdout == (
        "baris 2      2026-12-08 09:00 WIB   draf   sb1, sb2 — Aksi damai\n"
        "baris 4      2026-12-10 09:00 WIB   siap   sb2 — Aksi siang\n"
        "Akan mengantrekan 2 postingan (3 pengiriman) dari cal.csv; 1 sebagai draf, baru dikirim setelah disetujui "
        "(campaigner post approve ID); 1 baris yang dibatalkan dilewati.\n")
    assert r.stderr == (
        "Catatan: cal.csv: kolom 'Catatan' tidak dipakai campaigner dan diabaikan (--strict menolak kolom seperti "
        "itu).\n"
        "Catatan: cal.csv: 1 baris memberi waktu di zona lain dari zona akunnya, dibaca di zona yang tertulis "
        "(misalnya baris 4: 2026-12-10 10:00 WITA adalah 2026-12-10 09:00 WIB di sb2); --strict menolak baris seperti itu.\n")


def test_post_approve_by_someone_who_is_not_an_approver(setup, engine):
    path = setup.home / "config" / "campaigner.toml"
    path.write_text('user = "tono"\napprovers = ["budi"]\n')
    setup.ok("post", "add", "Draf aksi", "--to", "sb1", "--at", "2026-12-02 09:00", "--draft")  # post 2
    en, id_ = both(setup, engine, "post", "approve", "2")
    assert en == f"Error: tono may not approve posts (approvers in {path}: budi) — ask budi to approve it\n"
    assert id_ == ID_ERROR + (f"tono tidak boleh menyetujui postingan (pemberi persetujuan di {path}: budi) — minta "
                              "budi untuk menyetujuinya\n")


def test_post_delete_of_a_post_that_has_not_gone_out(setup, engine):
    en, id_ = both(setup, engine, "post", "delete", "1")
    assert en == ("Error: post 1 has not gone out (sb1: queued) — nothing to delete on the platform; to stop it "
                  "going out: campaigner post cancel 1\n")
    assert id_ == ID_ERROR + ("postingan 1 belum terkirim (sb1: dalam antrean) — tidak ada yang perlu dihapus di "
                              "platform; untuk mencegahnya terkirim: campaigner post cancel 1\n")


def test_post_list_and_queue_in_indonesian(setup):
    setup.ok("post", "add", "Draf aksi", "--to", "sb2", "--at", "2026-12-02 09:00", "--draft")  # post 2
    assert setup.ok("post", "list", env=ID).stdout == (
        "POSTINGAN  PENGIRIMAN  JATUH TEMPO           AKUN  STATUS         KAMPANYE  TEKS\n"
        "1          1           2026-12-01 09:00 WIB  sb1   dalam antrean            Sudah ada\n"
        "\n"
        "Draf, tidak dikirim sebelum disetujui (campaigner post approve POST):\n"
        "POSTINGAN  PENGIRIMAN  JATUH TEMPO           AKUN  STATUS  KAMPANYE  TEKS\n"
        "2          2           2026-12-02 09:00 WIB  sb2   draf              Draf aksi\n")
    assert setup.ok("post", "list").stdout == (
        "POST  DELIVERY  DUE                   ACCOUNT  STATUS  CAMPAIGN  TEXT\n"
        "1     1         2026-12-01 09:00 WIB  sb1      queued            Sudah ada\n"
        "\n"
        "Drafts, not sent until approved (campaigner post approve POST):\n"
        "POST  DELIVERY  DUE                   ACCOUNT  STATUS  CAMPAIGN  TEXT\n"
        "2     2         2026-12-02 09:00 WIB  sb2      draft             Draf aksi\n")
    assert setup.ok("queue", env=ID).stdout == (
        "Selasa 2026-12-01\n"
        "  09:00 WIB  sb1              #1     Sudah ada\n"
        "\n"
        "Draf menunggu persetujuan (tidak dikirim sebelum disetujui: campaigner post approve ID):\n"
        "  2026-12-02 09:00 WIB sb2              #2     Draf aksi\n")
    assert setup.ok("queue").stdout.splitlines()[0] == "Tuesday 2026-12-01"
    assert setup.ok("post", "list", "--status", "failed", env=ID).stdout == "Tidak ada postingan yang cocok.\n"


def test_empty_queue_and_post_list_in_indonesian(cli):
    assert cli.ok("queue", env=ID).stdout == "Tidak ada yang dalam antrean untuk 7 hari ke depan.\n"
    assert cli.ok("queue", "--days", "1", env=ID).stdout == "Tidak ada yang dalam antrean untuk 1 hari ke depan.\n"
    assert cli.ok("queue", "--days", "1").stdout == "Nothing queued in the next 1 day.\n"
    assert cli.ok("post", "list", env=ID).stdout == \
        "Belum ada postingan. Antrekan dengan: campaigner post add TEXT --to NAME --at TIME\n"


def test_slots_set_with_a_bad_day(setup, engine):
    en, id_ = both(setup, engine, "slots", "set", "sb1", "mon-fri 08:00", "xyz 09:00")
    assert en == "Error: unknown day 'xyz' in \"xyz 09:00\" — use mon..sun or sen..min, e.g. \"mon-fri 08:00,12:00\"\n"
    assert id_ == ID_ERROR + ("hari 'xyz' di \"xyz 09:00\" tidak dikenal — pakai sen..min atau mon..sun, misalnya "
                              "\"mon-fri 08:00,12:00\"\n")


def test_group_add_with_the_name_of_an_account(setup, engine):
    en, id_ = both(setup, engine, "group", "add", "sb1", "sb2")
    assert en == ("Error: 'sb1' is already an account's name — give the group another name (accounts and groups "
                  "need different names)\n")
    assert id_ == ID_ERROR + ("'sb1' sudah dipakai sebagai nama akun — beri grup itu nama lain (akun dan grup harus "
                              "bernama berbeda)\n")


def test_groups_in_indonesian(setup):
    assert setup.ok("group", "add", "semua", "sb1", "sb2", env=ID).stdout == \
        "Grup semua dibuat dengan 2 akun: sb1, sb2.\n"
    assert setup.ok("group", "list", env=ID).stdout == (
        "NAMA   AKUN  ANGGOTA\n"
        "semua  2     sb1, sb2\n")
    r = setup.ok("group", "remove", "semua", "sb2", "kx", env=ID)
    assert (r.stdout, r.stderr) == ("sb2 dikeluarkan dari grup semua (sekarang 1 akun: sb1).\n",
                                    "Catatan: kx memang tidak ada di grup itu.\n")


def test_export_follows_the_language_and_the_glossary(setup):
    setup.ok("post", "add", "Draf aksi", "--to", "sb2", "--at", "2026-12-02 09:00", "--draft")
    r = setup.ok("post", "export", "-", env=ID)
    assert r.stdout.splitlines() == ["\ufefftanggal;jam;akun;teks;tautan;kampanye;media;status",
                                     "2026-12-01;09:00;sb1;Sudah ada;;;;",
                                     "2026-12-02;09:00;sb2;Draf aksi;;;;draf"]
    assert setup.ok("post", "export", "-").stdout.splitlines()[0] == "date,time,accounts,text,link,campaign,media,status"


def test_media_too_big_gives_its_sizes_as_each_language_writes_numbers(setup, engine, tmp_path):
    """The sizes of a file too big for a platform: thousands grouped by a comma and a decimal point
    in English, by a point and a decimal comma in Indonesian."""
    setup.ok("account", "add", "bluesky", "bsky")
    big = tmp_path / "besar.gif"
    with open(big, "wb") as fh:  # an animation is sent as it is (photos are made to fit instead)
        fh.write(b"GIF89a")
        fh.truncate(2_345_678)
    en, id_ = both(setup, engine, "post", "add", "m", "--to", "bsky", "--at", "+1h", "--media", str(big))
    assert en == (f"Error: media not accepted on bluesky: {big}: too big, 2,345,678 bytes (2.3 MB) — make it at most "
                  "2,000,000 bytes (2.0 MB), bluesky's limit for GIF\n")
    assert id_ == (f"{ID_ERROR}media tidak diterima di bluesky: {big}: terlalu besar, 2.345.678 bita (2,3 MB) — perkecil "
                   "menjadi paling banyak 2.000.000 bita (2,0 MB), batas bluesky untuk GIF\n")
