"""Accounts, campaigns, the replies inbox and listening in Bahasa Indonesia (issue 13, item 1),
through the real CLI with ``CAMPAIGNER_LANG=id`` and, for the same cases, in English: the exact
lines, the platforms' refusals (their fakes over HTTP) with our advice translated and the
platform's own words kept, and a refused command leaves the database as it was (SQLite, and
PostgreSQL with CAMPAIGNER_TEST_DATABASE_URL)."""
from __future__ import annotations

import os

import pytest

from campaigner.secrets import env_name
from tests.core.test_posts_bad_input import snapshot
from tests.engine.test_answers import _stored_reply

#: the prefix of an error line. The language helper (i18ninfra) owns it: when it says "Kesalahan: "
#: in Indonesian, this is the one place to change.
ERROR = {"en": "Error: ", "id": "Kesalahan: "}
PLATFORMS = "x, mastodon, bluesky, facebook, instagram, telegram, threads, sandbox"


@pytest.fixture(params=["id", "en"])
def lang(request, cli, monkeypatch):
    """The language of the commands; afterwards this process speaks English again (the services and
    connectors other tests call directly read the language main() chose last)."""
    from campaigner import i18n

    monkeypatch.setenv("LANGUAGE", os.environ.get("LANGUAGE", ""))  # put back as it was after the test
    cli.env["CAMPAIGNER_LANG"] = request.param
    yield request.param
    i18n.use("en")


def refused(cli, engine, lang: str, *args: str, code: int = 1) -> str:
    """A command that must fail: one line on stderr after the error prefix, exit ``code``, the
    database unchanged; returns the line without its prefix."""
    before = snapshot(engine)
    r = cli(*args)
    assert r.exit_code == code, r.output
    assert r.stderr.startswith(ERROR[lang]) and r.stderr.count("\n") == 1, r.stderr
    assert snapshot(engine) == before
    return r.stderr[len(ERROR[lang]):-1]


def say(lang: str, en: str, id_: str) -> str:
    return {"en": en, "id": id_}[lang]


def test_account_add_unknown_platform_and_duplicate_name(cli, engine, lang):
    assert refused(cli, engine, lang, "account", "add", "myspace", "kspi") == say(
        lang, f"unknown platform 'myspace' — use one of {PLATFORMS}",
        f"platform 'myspace' tidak dikenal — gunakan salah satu dari {PLATFORMS}")
    assert cli.ok("account", "add", "sandbox", "kspi", "--requires-approval").stdout == say(
        lang, "Added sandbox account kspi (its posts need approval).\n",
        "Akun sandbox kspi ditambahkan (postingannya perlu disetujui).\n")
    assert refused(cli, engine, lang, "account", "add", "mastodon", "kspi") == say(
        lang, "account 'kspi' already exists — pick another name or remove it first",
        "akun 'kspi' sudah ada — pilih nama lain atau hapus akun itu dulu")


def test_account_set_secret_unknown_field(cli, engine, lang):
    r = cli.ok("account", "add", "mastodon", "kspi-m")
    assert r.stdout.splitlines()[:2] == say(lang, [
        "Added mastodon account kspi-m.",
        "It needs secrets before it can publish: ACCESS_TOKEN (e.g. CAMPAIGNER_SECRET_KSPI_M_ACCESS_TOKEN, or "
        "`campaigner account set-secret kspi-m ACCESS_TOKEN`)."], [
        "Akun mastodon kspi-m ditambahkan.",
        "Akun ini butuh rahasia sebelum bisa menerbitkan: ACCESS_TOKEN (misalnya CAMPAIGNER_SECRET_KSPI_M_ACCESS_TOKEN, "
        "atau `campaigner account set-secret kspi-m ACCESS_TOKEN`)."])
    assert refused(cli, engine, lang, "account", "set-secret", "kspi-m", "password") == say(
        lang, "mastodon accounts have no secret field 'password' — use one of ACCESS_TOKEN",
        "akun mastodon tidak punya kolom rahasia 'password' — gunakan salah satu dari ACCESS_TOKEN")


def test_account_list_headers_and_words(cli, lang):
    cli.ok("account", "add", "sandbox", "kspi")
    assert cli.ok("account", "list").stdout == say(
        lang,
        "NAME  PLATFORM  HANDLE  ZONE          CAP/DAY  STATUS\n"
        "kspi  sandbox           Asia/Jakarta  -        active\n",
        "NAMA  PLATFORM  HANDLE  ZONA          BATAS/HARI  STATUS\n"
        "kspi  sandbox           Asia/Jakarta  -           aktif\n")
    shown = cli.ok("account", "show", "kspi").stdout.splitlines()
    assert shown[-3:] == say(lang, ["requires_approval:    False", "status:               active",
                                    "deliveries:           none"],
                             ["perlu persetujuan:     Tidak", "status:                aktif",
                              "pengiriman:            tidak ada"])
    cli.ok("post", "add", "Aksi", "--to", "kspi", "--at", "2026-12-01 09:00")
    assert cli.ok("account", "show", "kspi").stdout.splitlines()[-1] == say(
        lang, "deliveries:           1 queued", "pengiriman:            1 dalam antrean")


def _fake_account(cli, serve, platform: str, name: str):
    import importlib

    fake = serve(importlib.import_module(f"tests.fakes.{platform}").Fake())
    cli.ok("account", "add", platform, name, "--base-url", fake.base_url)
    for field, value in fake.account_config().secrets.items():
        cli.env[env_name(name, field)] = value
    return fake


def test_account_test_signed_in_then_refused_token(cli, engine, serve, lang):
    fake = _fake_account(cli, serve, "mastodon", "akun")
    assert cli.ok("account", "test", "akun", "--timeout", "5").stdout == say(
        lang, "akun: OK — signed in as @spn_pusat (Serikat Pekerja Nusantara), https://sosial.example/@spn_pusat\n",
        "akun: OK — masuk sebagai @spn_pusat (Serikat Pekerja Nusantara), https://sosial.example/@spn_pusat\n")
    fake.expire_credentials()
    # the platform's own words ("The access token is invalid") stay as it wrote them
    assert refused(cli, engine, lang, "account", "test", "akun", "--timeout", "5") == say(
        lang, f"{fake.base_url} refused the credentials of 'akun' (mastodon GET /api/v1/accounts/verify_credentials: "
              "The access token is invalid) — check or renew its secrets (campaigner account show akun)",
        f"{fake.base_url} menolak kredensial 'akun' (mastodon GET /api/v1/accounts/verify_credentials: The access "
        "token is invalid) — periksa atau perbarui rahasianya (campaigner account show akun)")


def test_account_test_telegram_refused_bot_token_gives_the_connectors_advice(cli, engine, serve, lang):
    fake = _fake_account(cli, serve, "telegram", "tg")
    fake.expire_credentials()
    assert refused(cli, engine, lang, "account", "test", "tg", "--timeout", "5") == say(
        lang, f"{fake.base_url} refused the credentials of 'tg' (telegram getMe: the bot token was refused "
              "(Unauthorized) — check BOT_TOKEN with @BotFather) — check or renew its secrets (campaigner account "
              "show tg)",
        f"{fake.base_url} menolak kredensial 'tg' (telegram getMe: token bot ditolak (Unauthorized) — periksa "
        "BOT_TOKEN di @BotFather) — periksa atau perbarui rahasianya (campaigner account show tg)")


def test_campaign_add_duplicate_slug_and_bad_against(cli, engine, lang):
    assert cli.ok("campaign", "add", "upah", "--name", "Upah Layak", "--hashtag", "#UpahLayak").stdout == say(
        lang, "Added campaign upah (#UpahLayak).\n", "Kampanye upah ditambahkan (#UpahLayak).\n")
    assert refused(cli, engine, lang, "campaign", "add", "upah", "--name", "Lagi") == say(
        lang, "campaign 'upah' already exists — pick another slug", "kampanye 'upah' sudah ada — pilih slug lain")
    assert refused(cli, engine, lang, "campaign", "add", "tapera", "--name", "Tolak Tapera", "--against", " ") == say(
        lang, 'one --against target is empty — give a word or phrase, e.g. --against "Tapera"',
        'salah satu sasaran --against kosong — berikan kata atau frasa, misalnya --against "Tapera"')
    assert refused(cli, engine, lang, "campaign", "add", "tapera", "--name", "Tolak Tapera", "--against", "Tapera",
                   "--for", "tapera") == say(lang, "'Tapera' is both --against and --for — keep it on one side",
                                             "'Tapera' ada di --against sekaligus --for — taruh di satu sisi saja")
    assert cli.ok("campaign", "list").stdout.splitlines()[0].split() == say(
        lang, ["SLUG", "NAME", "HASHTAGS", "POSTS", "DATES", "TARGETS"],
        ["SLUG", "NAMA", "TAGAR", "POSTINGAN", "TANGGAL", "SASARAN"])


def test_replies_inbox_empty_then_a_question_answer_refused_on_telegram_and_unknown_id(cli, engine, lang):
    assert cli.ok("replies", "list").stdout == say(
        lang, "No replies yet (`campaigner metrics collect` fetches them).\n",
        "Belum ada balasan (`campaigner metrics collect` mengambilnya).\n")
    assert cli.ok("replies", "list", "--kind", "oppose").stdout == say(
        lang, "No replies match.\n", "Tidak ada balasan yang cocok.\n")
    tg = _stored_reply(engine, "telegram", "tg1", cli)
    lines = cli.ok("replies", "list").stdout.splitlines()
    # the columns are as wide as their longest word: "dismissed"/"diabaikan", "question"/"pertanyaan",
    # "positive"/"positif"
    assert lines[0] == say(
        lang, f"#{tg}  new       question -        2026-11-30 08:00 WIB  rina on tg1 (telegram)  [urgent]",
        f"#{tg}  baru      pertanyaan -       2026-11-30 08:00 WIB  rina di tg1 (telegram)  [mendesak]")
    assert lines[2] == say(lang, "    (no address) — on post 1: Foto aksi", "    (tanpa alamat) — di postingan 1: Foto aksi")
    assert refused(cli, engine, lang, "replies", "answer", str(tg), "Di depan DPR") == say(
        lang, f"cannot answer on tg1 (Telegram channel): Telegram channels have no replies — answer there by hand, "
              f"then: campaigner replies dismiss {tg}",
        f"tidak bisa menjawab di tg1 (Telegram channel): kanal Telegram tidak punya balasan — jawab di sana secara "
        f"manual, lalu: campaigner replies dismiss {tg}")
    assert refused(cli, engine, lang, "replies", "dismiss", "404") == say(
        lang, "no reply with id 404 — see `campaigner replies list`",
        "tidak ada balasan dengan id 404 — lihat `campaigner replies list`")
    assert cli.ok("replies", "dismiss", str(tg)).stdout == say(lang, "Dismissed 1 reply.\n", "1 balasan diabaikan.\n")
    assert cli.ok("replies", "dismiss", str(tg)).stdout == say(
        lang, "Dismissed 0 replies (1 dismissed already).\n", "0 balasan diabaikan (1 sudah diabaikan sebelumnya).\n")
    assert cli.ok("replies", "reopen", str(tg)).stdout == say(lang, "Reopened 1 reply.\n", "1 balasan dibuka kembali.\n")
    assert cli.ok("replies", "reopen", str(tg)).stdout == say(
        lang, "Reopened 0 replies (1 new already).\n", "0 balasan dibuka kembali (1 sudah baru sebelumnya).\n")


def test_listen_collect_without_anywhere_to_count(cli, engine, lang):
    cli.ok("campaign", "add", "upah", "--name", "Upah Layak", "--hashtag", "#UpahLayak")
    assert refused(cli, engine, lang, "listen", "collect") == say(
        lang, "there is nowhere to count hashtags: no Mastodon account and no [listening] mastodon_instances; no "
              "active Bluesky account to search with (Bluesky's search needs a session) — add a Mastodon or Bluesky "
              "account, or list instances in [listening] mastodon_instances",
        "tidak ada tempat untuk menghitung tagar: tidak ada akun Mastodon dan tidak ada [listening] "
        "mastodon_instances; tidak ada akun Bluesky aktif untuk mencari (pencarian Bluesky perlu sesi) — tambahkan "
        "akun Mastodon atau Bluesky, atau tulis instance di [listening] mastodon_instances")


def test_help_of_the_area_in_indonesian(cli, lang):
    out = cli.ok("replies", "dismiss", "--help").stdout
    assert say(lang, "Dismiss new replies that need no answer", "Abaikan balasan baru yang tidak perlu dijawab") in out
