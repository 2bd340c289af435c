"""The command line in English or Bahasa Indonesia, through the real CLI: help, click's usage
errors and campaigner's own errors, with the language chosen by CAMPAIGNER_LANG, the config file's
``lang``, or the locale (LANGUAGE before LC_ALL, LC_MESSAGES, LANG); English otherwise."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

WIDE = {"COLUMNS": "80"}


def _config(cli, text: str) -> str:
    path = cli.home / "config" / "campaigner.toml"
    path.write_text(text)
    return str(path)


def test_root_help_in_both_languages(cli):
    en = cli.ok("--help", env=WIDE).stdout.splitlines()
    assert en[0] == "Usage: campaigner [OPTIONS] COMMAND [ARGS]..."
    assert en[2] == "  Schedule, publish and measure a union's social media campaigns."
    assert "Options:" in en and "Commands:" in en
    assert "  -h, --help       Show this message and exit." in en
    assert "  --version        Show the version and exit." in en

    idn = cli.ok("--help", env={**WIDE, "CAMPAIGNER_LANG": "id"}).stdout.splitlines()
    assert idn[0] == "Penggunaan: campaigner [OPTIONS] COMMAND [ARGS]..."
    assert idn[2] == "  Menjadwalkan, menerbitkan dan mengukur kampanye media sosial serikat pekerja."
    assert "Opsi:" in idn and "Perintah:" in idn and "Options:" not in idn
    assert "  -h, --help       Tampilkan pesan ini lalu keluar." in idn
    assert "  --version        Tampilkan versi lalu keluar." in idn
    assert "  init      Membuat basis data atau memperbaruinya (aman dijalankan..." in idn


def test_sub_command_help_in_both_languages(cli):
    en = cli.ok("status", "--help", env=WIDE).stdout.splitlines()
    assert en[:3] == ["Usage: campaigner status [OPTIONS]", "",
                      "  The publisher at a glance: queue, last 24 hours, what needs a person, workers,"]
    assert "  -h, --help  Show this message and exit." in en
    idn = cli.ok("status", "--help", env={**WIDE, "CAMPAIGNER_LANG": "id"}).stdout.splitlines()
    assert idn[:3] == ["Penggunaan: campaigner status [OPTIONS]", "",
                       "  Keadaan penerbit sekilas: antrean, 24 jam terakhir, yang perlu ditangani"]
    assert "  -h, --help  Tampilkan pesan ini lalu keluar." in idn


#: (arguments, English stderr, Indonesian stderr): click's usage errors, exit code 2
USAGE_ERRORS = [
    (("metrics", "show"),
     "Error: Missing argument 'POST_ID'. — see `campaigner metrics show --help`\n",
     "Kesalahan: Kurang argumen 'POST_ID'. — lihat `campaigner metrics show --help`\n"),
    (("nosuch",),
     "Error: No such command 'nosuch'. — see `campaigner --help`\n",
     "Kesalahan: Tidak ada perintah 'nosuch'. — lihat `campaigner --help`\n"),
    (("report", "weekly", "--format", "pdf"),
     "Error: Invalid value for '--format': 'pdf' is not one of 'text', 'markdown', 'html', 'csv', 'json'. — see "
     "`campaigner report weekly --help`\n",
     "Kesalahan: Nilai tidak valid untuk '--format': 'pdf' bukan salah satu dari 'text', 'markdown', 'html', 'csv', "
     "'json'. — lihat `campaigner report weekly --help`\n"),
    (("run", "--concurrency", "0"),
     "Error: Invalid value for '--concurrency': 0 is not in the range x>=1. — see `campaigner run --help`\n",
     "Kesalahan: Nilai tidak valid untuk '--concurrency': 0 tidak dalam rentang x>=1. — lihat `campaigner run "
     "--help`\n"),
    (("status", "--nope"),
     "Error: No such option '--nope'. — see `campaigner status --help`\n",
     "Kesalahan: Tidak ada opsi '--nope'. — lihat `campaigner status --help`\n"),
]


@pytest.mark.parametrize("args,english,indonesian", USAGE_ERRORS, ids=lambda x: " ".join(x) if isinstance(x, tuple) else None)
def test_usage_errors_in_both_languages(cli, args, english, indonesian):
    r = cli(*args)
    assert (r.exit_code, r.stdout, r.stderr) == (2, "", english)
    r = cli(*args, env={"CAMPAIGNER_LANG": "id"})
    assert (r.exit_code, r.stdout, r.stderr) == (2, "", indonesian)


def test_a_core_error_in_both_languages(cli):
    path = _config(cli, 'timezone = "Mars/Base"\n')
    r = cli("status")
    assert (r.exit_code, r.stderr) == (1, f"Error: unknown time zone 'Mars/Base' (config file {path}) — use WIB, "
                                          "WITA, WIT or an IANA zone name such as Asia/Jakarta, Asia/Makassar or "
                                          "Asia/Jayapura\n")
    _config(cli, 'lang = "id"\ntimezone = "Mars/Base"\n')
    r = cli("status")
    assert (r.exit_code, r.stderr) == (1, f"Kesalahan: zona waktu 'Mars/Base' tidak dikenal (berkas konfigurasi "
                                          f"{path}) — pakai WIB, WITA, WIT atau nama zona IANA seperti Asia/Jakarta, "
                                          "Asia/Makassar atau Asia/Jayapura\n")


def test_a_database_error_in_both_languages(cli, tmp_path):
    missing = tmp_path / "nowhere.db"
    r = cli("--db", str(missing), "status")
    assert (r.exit_code, r.stderr) == (1, f"Error: there is no campaigner database at {missing} — check --db, or "
                                          "create it with `campaigner init`\n")
    r = cli("--db", str(missing), "status", env={"LANG": "id_ID.UTF-8"})
    assert (r.exit_code, r.stderr) == (1, f"Kesalahan: tidak ada basis data campaigner di {missing} — periksa --db, "
                                          "atau buat dengan `campaigner init`\n")


def _usage_language(cli, **env) -> str:
    """"en" or "id": the language of a usage error under ``env``."""
    err = cli("metrics", "show", env=env).stderr
    assert err.startswith(("Error: ", "Kesalahan: ")), err
    return "id" if err.startswith("Kesalahan: ") else "en"


def test_what_chooses_the_language(cli, tmp_path):
    assert _usage_language(cli) == "en"
    assert _usage_language(cli, CAMPAIGNER_LANG="id") == "id"
    assert _usage_language(cli, CAMPAIGNER_LANG="ID_id") == "id"
    assert _usage_language(cli, LANG="id_ID.UTF-8") == "id"
    assert _usage_language(cli, LC_ALL="id_ID.UTF-8", LANG="en_US.UTF-8") == "id"
    assert _usage_language(cli, LANG="fr_FR.UTF-8") == "en"
    # LANGUAGE comes first, and may list several
    assert _usage_language(cli, LANGUAGE="en", LANG="id_ID.UTF-8") == "en"
    assert _usage_language(cli, LANGUAGE="id:en", LANG="en_US.UTF-8") == "id"
    assert _usage_language(cli, LANGUAGE="fr:id", LANG="en_US.UTF-8") == "id"
    # the config file's lang beats the locale; CAMPAIGNER_LANG beats both
    _config(cli, 'lang = "id"\n')
    assert _usage_language(cli) == "id"
    assert _usage_language(cli, LANG="en_US.UTF-8") == "id"
    assert _usage_language(cli, CAMPAIGNER_LANG="en") == "en"
    _config(cli, 'lang = "en"\n')
    assert _usage_language(cli, LANG="id_ID.UTF-8") == "en"
    # --config names the file whose lang counts (before the command; --config=PATH too)
    other = tmp_path / "other.toml"
    other.write_text('lang = "id"\n')
    assert cli("--config", str(other), "metrics", "show").stderr.startswith("Kesalahan: Kurang argumen")
    assert cli(f"--config={other}", "metrics", "show").stderr.startswith("Kesalahan: Kurang argumen")
    assert cli("--db", "x.db", "--config", str(other), "metrics", "show").stderr.startswith("Kesalahan:")


def test_english_then_indonesian_then_english_in_one_process(cli):
    """Nothing of one run's language leaks into the next (the CLI runs in-process here)."""
    assert cli("metrics", "show").stderr.startswith("Error: Missing argument 'POST_ID'.")
    assert cli("metrics", "show", env={"CAMPAIGNER_LANG": "id"}).stderr.startswith("Kesalahan: Kurang argumen")
    assert cli("metrics", "show").stderr.startswith("Error: Missing argument 'POST_ID'.")
    assert cli.ok("--help").stdout.startswith("Usage: campaigner")
    assert cli.ok("--help", env={"LANG": "id_ID.UTF-8"}).stdout.startswith("Penggunaan: campaigner")
    assert cli.ok("status", "--help").stdout.startswith("Usage: campaigner status")
    assert "Show this message and exit." in cli.ok("--help").stdout
    assert os.environ.get("LANGUAGE") is None


def test_an_unknown_campaigner_lang_is_one_error_line(cli):
    r = cli("--help", env={"CAMPAIGNER_LANG": "fr"})
    assert (r.exit_code, r.stdout, r.stderr) == (
        1, "", "Error: unknown language 'fr' (CAMPAIGNER_LANG) — use \"en\" (English) or \"id\" (Bahasa Indonesia)\n")
    # said in the language the rest would choose
    r = cli("status", env={"CAMPAIGNER_LANG": "fr", "LANG": "id_ID.UTF-8"})
    assert (r.exit_code, r.stderr) == (
        1, "Kesalahan: bahasa 'fr' tidak dikenal (CAMPAIGNER_LANG) — pakai \"en\" (English) atau \"id\" (Bahasa "
           "Indonesia)\n")


def test_a_broken_config_does_not_break_help(cli):
    path = _config(cli, 'lang = "id\n')
    r = cli("--help")
    assert r.exit_code == 0 and r.stdout.startswith("Usage: campaigner")
    r = cli("status")  # the real error comes when a command reads the settings
    assert r.exit_code == 1 and r.stderr.startswith(f"Error: config file {path} is not valid TOML (")
    _config(cli, 'lang = "fr"\n')
    assert cli("--help").stdout.startswith("Usage: campaigner")
    r = cli("status")
    assert (r.exit_code, r.stderr) == (1, f"Error: unknown language 'fr' (lang in {path}) — use \"en\" (English) or "
                                          "\"id\" (Bahasa Indonesia)\n")
    cli.env["CAMPAIGNER_CONFIG"] = str(cli.home / "missing.toml")
    assert cli("--help").stdout.startswith("Usage: campaigner")


def test_the_version_in_both_languages(cli):
    assert cli.ok("--version").stdout == "campaigner, version 0.1.0\n"
    assert cli.ok("--version", env={"CAMPAIGNER_LANG": "id"}).stdout == "campaigner, versi 0.1.0\n"


def test_config_shows_where_the_language_comes_from(cli):
    out = cli.ok("config", env={"LANG": "id_ID.UTF-8"}).stdout
    assert "lang          id  (lokal (LANGUAGE, LC_ALL, LANG…))" in out.splitlines()
    assert "timezone      Asia/Jakarta  (bawaan)" in out.splitlines()
    out = cli.ok("config").stdout
    assert "lang          en  (default)" in out.splitlines()


def test_starter_config_in_the_language_in_use(cli, tmp_path):
    cli.ok("config", "init", str(tmp_path / "en.toml"))
    r = cli.ok("config", "init", str(tmp_path / "id.toml"), env={"CAMPAIGNER_LANG": "id"})
    assert r.stdout == (f"Konfigurasi awal ditulis ke {tmp_path / 'id.toml'}: semua pengaturan dijadikan komentar — "
                        "hapus '#' pada pengaturan yang ingin Anda ubah.\n")
    en, idn = (tmp_path / "en.toml").read_text(), (tmp_path / "id.toml").read_text()
    assert en.startswith("# campaigner's settings (TOML).") and idn.startswith("# Pengaturan campaigner (TOML).")
    # the same settings, commented out alike
    settings = [line for line in en.splitlines() if " = " in line and line.startswith("# ") and "  " not in line]
    assert [line for line in idn.splitlines() if line in settings] == settings


def test_report_weekly_follows_the_report_language(cli):
    """``report weekly`` without --lang: [report] lang, else lang, else the language in use."""
    title = {"en": "Weekly report — Week 48, 2026", "id": "Laporan mingguan — Pekan ke-48 tahun 2026"}
    week = ("report", "weekly", "--week", "2026-W48")
    assert cli.ok(*week).stdout.splitlines()[0] == title["en"]
    _config(cli, '[report]\nlang = "id"\n')
    assert cli.ok(*week).stdout.splitlines()[0] == title["id"]
    assert cli.ok(*week, "--lang", "en").stdout.splitlines()[0] == title["en"]
    _config(cli, 'lang = "id"\n[report]\nlang = "en"\n')  # the messages in Indonesian, the report in English
    r = cli.ok(*week, "--out", str(cli.home / "w48.txt"))
    assert r.stdout == f"Laporan 2026-W48 (text) ditulis ke {cli.home / 'w48.txt'}\n"
    assert (cli.home / "w48.txt").read_text().splitlines()[0] == title["en"]
    _config(cli, "")
    assert cli.ok(*week, env={"LANG": "id_ID.UTF-8"}).stdout.splitlines()[0] == title["id"]
    assert cli.ok(*week, env={"CAMPAIGNER_LANG": "id"}).stdout.splitlines()[0] == title["id"]


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
             and not k.startswith("CAMPAIGNER_")}
    return subprocess.run([sys.executable, "-m", "campaigner", *args], capture_output=True, text=True,
                          env={**clean, "COLUMNS": "80", **env})


def test_in_a_fresh_process(home, tmp_path):
    """As a user runs it: the catalog found in the installed package, the language from the
    environment or the config file, help and errors alike."""
    r = _run(["--help"], {"LANG": "id_ID.UTF-8", "CAMPAIGNER_CONFIG": str(home / "config" / "campaigner.toml")})
    assert r.returncode == 0 and r.stdout.startswith("Penggunaan: campaigner [OPTIONS] COMMAND [ARGS]...\n")
    assert "  -h, --help       Tampilkan pesan ini lalu keluar.\n" in r.stdout
    r = _run(["post", "add", "--help"], {"CAMPAIGNER_LANG": "id"})
    assert r.returncode == 0 and r.stdout.startswith("Penggunaan: campaigner post add [OPTIONS]")
    config = tmp_path / "c.toml"
    config.write_text('lang = "id"\n')
    r = _run(["--config", str(config), "metrics", "show"], {})
    assert (r.returncode, r.stdout, r.stderr) == (2, "", "Kesalahan: Kurang argumen 'POST_ID'. — lihat `campaigner "
                                                         "metrics show --help`\n")
    r = _run(["--config", str(config), "metrics", "show"], {"LANGUAGE": "en"})  # the config beats the locale
    assert r.stderr.startswith("Kesalahan:")
    r = _run(["metrics", "show"], {"LANGUAGE": "en", "LANG": "id_ID.UTF-8"})
    assert (r.returncode, r.stderr) == (2, "Error: Missing argument 'POST_ID'. — see `campaigner metrics show "
                                           "--help`\n")
    config.write_text('lang = "id"\ntimezone = "Mars/Base"\n')
    r = _run(["--config", str(config), "--db", str(tmp_path / "x.db"), "status"], {})
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == (f"Kesalahan: zona waktu 'Mars/Base' tidak dikenal (berkas konfigurasi {config}) — pakai WIB, "
                        "WITA, WIT atau nama zona IANA seperti Asia/Jakarta, Asia/Makassar atau Asia/Jayapura\n")


def test_the_config_path_read_for_the_language_is_the_config_file_in_force(monkeypatch, tmp_path):
    from campaigner.config import default_config_file
    from campaigner.i18n import config_path

    for env in ({"XDG_CONFIG_HOME": str(tmp_path / "xdg")}, {"XDG_CONFIG_HOME": "  "}, {},
                {"CAMPAIGNER_CONFIG": str(tmp_path / "c.toml")}):
        monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
        monkeypatch.delenv("CAMPAIGNER_CONFIG", raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        assert config_path(os.environ) == default_config_file(os.environ), env
    assert config_path(os.environ, "given.toml").name == "given.toml"


def test_counted_words_in_both_languages():
    from campaigner import i18n
    from campaigner.wording import plural

    assert [plural(1, "post"), plural(1200, "post"), plural(2, "delivery", "deliveries"), plural(3, "widget")] == \
        ["1 post", "1,200 posts", "2 deliveries", "3 widgets"]
    i18n.use("id")
    assert [plural(1, "post"), plural(2, "post"), plural(2, "delivery", "deliveries")] == \
        ["1 postingan", "2 postingan", "2 pengiriman"]


def test_numbers_in_both_languages():
    from campaigner import i18n

    assert [i18n.number(1200), i18n.number(1_234_567.891, 1), i18n.number(0.25, 2)] == ["1,200", "1,234,567.9", "0.25"]
    i18n.use("id")
    assert [i18n.number(1200), i18n.number(1_234_567.891, 1), i18n.number(0.25, 2)] == ["1.200", "1.234.567,9", "0,25"]


@pytest.mark.parametrize("text,lang", [
    ('lang = "id"\n', "id"), ("lang='ID'  # the team's\n", "id"), ('lang = "id_ID"\n', "id"), ('"lang" = "id"\n', "id"),
    ('lang = """id"""\n', "id"), ('lang = "en"\ntimezone = "Asia/Jakarta"\n', "en"),
    ('timezone = "Asia/Jakarta"\n[report]\nlang = "id"\n', None),  # the report's language, not the CLI's
    ('lang = "fr"\n', None), ('lang = "id\n', None), ("lang = 1\n", None), ("", None), (b"lang = \xff", None),
])
def test_the_config_language_read_before_anything_is_shown(tmp_path, text, lang):
    from campaigner.i18n import config_lang

    path = tmp_path / "c.toml"
    path.write_bytes(text if isinstance(text, bytes) else text.encode())
    assert config_lang(path) == lang
    assert config_lang(tmp_path / "missing.toml") is None and config_lang(tmp_path) is None


def test_json_stays_english(cli):
    import json

    idn = {"CAMPAIGNER_LANG": "id"}
    shown, english = (json.loads(cli.ok("config", "--json", env=env).stdout) for env in (idn, {}))
    assert (shown["settings"].pop("lang"), shown["sources"].pop("lang")) == ("id", "environment CAMPAIGNER_LANG")
    assert (english["settings"].pop("lang"), english["sources"].pop("lang")) == ("en", "default")
    assert shown == english
    assert shown["settings"]["approvers"] == "anyone" and shown["alerts"]["alerts.telegram_chat"].startswith("not set")
    assert "anyone" not in cli.ok("config", env=idn).stdout
    assert json.loads(cli.ok("status", "--json", env=idn).stdout) == json.loads(cli.ok("status", "--json").stdout)
    assert json.loads(cli.ok("metrics", "collect", "--json", env=idn).stdout)["polled"] == 0


def test_an_indonesian_command_gives_the_user_their_language_back(cli, monkeypatch):
    """The process's LANGUAGE (which click's lookups read) is the user's again once a command in
    Indonesian is done — unset, or what they had — so nothing run after it in the same process
    (another command, a child process) speaks Indonesian by accident."""
    assert cli("metrics", "show", env={"CAMPAIGNER_LANG": "id"}).stderr.startswith("Kesalahan: Kurang argumen")
    assert os.environ.get("LANGUAGE") is None
    monkeypatch.setenv("LANGUAGE", "fr")
    assert cli.ok("--help", env={"LANG": "id_ID.UTF-8", "LANGUAGE": "fr:id"}).stdout.startswith("Penggunaan: campaigner")
    assert os.environ.get("LANGUAGE") == "fr"
    assert cli("metrics", "show", env={"CAMPAIGNER_LANG": "id"}).stderr.startswith("Kesalahan: Kurang argumen")
    assert os.environ.get("LANGUAGE") == "fr"


def test_english_chosen_over_an_indonesian_locale_is_english_in_clicks_words_too(cli):
    """CAMPAIGNER_LANG=en (or the config's lang) while the user's LANGUAGE says Indonesian: the
    help's own words (click's: "Usage:", "Show this message and exit.") are English as well."""
    out = cli.ok("--help", env={"LANGUAGE": "id", "CAMPAIGNER_LANG": "en"}).stdout
    assert out.startswith("Usage: campaigner") and "Show this message and exit." in out
    _config(cli, 'lang = "en"\n')
    assert cli.ok("status", "--help", env={"LANGUAGE": "id"}).stdout.startswith("Usage: campaigner status")


def test_only_language_falls_through_to_the_next_locale_variable(cli):
    """As gettext does: LANGUAGE may name languages campaigner does not speak and the next variable
    decides; LC_ALL (or LC_MESSAGES) naming one decides by itself (English), LANG is not read."""
    assert _usage_language(cli, LC_ALL="fr_FR.UTF-8", LANG="id_ID.UTF-8") == "en"
    assert _usage_language(cli, LC_MESSAGES="fr_FR.UTF-8", LANG="id_ID.UTF-8") == "en"
    assert _usage_language(cli, LANGUAGE="fr", LANG="id_ID.UTF-8") == "id"


def test_numbers_are_grouped_as_the_language_writes_them(cli):
    """English groups thousands with a comma, Indonesian with a dot (1,200 / 1.200)."""
    assert cli.ok("queue", "--days", "1200").stdout == "Nothing queued in the next 1,200 days.\n"
    assert (cli.ok("queue", "--days", "1200", env={"CAMPAIGNER_LANG": "id"}).stdout
            == "Tidak ada yang dalam antrean untuk 1.200 hari ke depan.\n")
    assert cli.ok("queue", "--days", "1200").stdout == "Nothing queued in the next 1,200 days.\n"


def test_english_output_inside_an_indonesian_process_groups_numbers_the_english_way():
    """``english()`` (the --json path) is English in its numbers too, not only in its words."""
    from campaigner import i18n

    i18n.use("id")
    try:
        assert i18n.number(1200) == "1.200"
        with i18n.english():
            assert i18n.number(1200) == "1,200" and i18n.current() == "en"
        assert i18n.number(1200) == "1.200" and i18n.current() == "id"
    finally:
        i18n.reset()
