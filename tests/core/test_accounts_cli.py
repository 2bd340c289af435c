"""``campaigner account …`` through the real CLI against a real database."""
import json
import os
import stat

from sqlalchemy import func, select

from campaigner.models import Account


def count_accounts(engine) -> int:
    from sqlalchemy.orm import Session

    with Session(engine) as s:
        return s.scalar(select(func.count()).select_from(Account))


def test_add_list_show_remove(cli, engine):
    r = cli.ok("account", "add", "mastodon", "kspi-mastodon", "--handle", "@kspi@mastodon.social",
               "--base-url", "https://mastodon.social/", "--timezone", "Asia/Makassar")
    assert r.stdout.splitlines()[0] == "Added mastodon account kspi-mastodon."
    assert "ACCESS_TOKEN" in r.stdout
    cli.ok("account", "add", "x", "kspi-x")
    listed = json.loads(cli.ok("account", "list", "--json").stdout)
    assert [(a["name"], a["platform"], a["timezone"], a["daily_cap"]) for a in listed] == [
        ("kspi-mastodon", "mastodon", "Asia/Makassar", None),
        ("kspi-x", "x", "Asia/Jakarta", 17),  # X's free tier: 17 posts a day by default
    ]
    assert listed[0]["base_url"] == "https://mastodon.social"
    text = cli.ok("account", "list").stdout
    assert text.splitlines()[0].split() == ["NAME", "PLATFORM", "HANDLE", "ZONE", "CAP/DAY", "STATUS"]
    shown = json.loads(cli.ok("account", "show", "kspi-x", "--json").stdout)
    assert {s["field"]: s["set"] for s in shown["secrets"]} == {
        "API_KEY": False, "API_SECRET": False, "ACCESS_TOKEN": False, "ACCESS_TOKEN_SECRET": False,
        "BEARER_TOKEN": False, "USER_ID": False}
    cli.ok("account", "remove", "kspi-x")
    assert count_accounts(engine) == 1


def test_unknown_platform_is_one_line_error_and_writes_nothing(cli, engine):
    r = cli("account", "add", "twiter", "kspi")
    assert r.exit_code == 1
    from connectors.registry import PLATFORMS

    assert r.stderr == f"Error: unknown platform 'twiter' — use one of {', '.join(PLATFORMS)}\n"
    assert r.stderr.startswith("Error: unknown platform 'twiter' — use one of x, mastodon, bluesky, facebook, ")
    assert r.stdout == ""
    assert count_accounts(engine) == 0


def test_duplicate_and_bad_names(cli, engine):
    cli.ok("account", "add", "sandbox", "demo")
    r = cli("account", "add", "sandbox", "demo")
    assert r.exit_code == 1
    assert r.stderr == "Error: account 'demo' already exists — pick another name or remove it first\n"
    r = cli("account", "add", "sandbox", "Demo Akun")
    assert r.stderr.startswith("Error: account name 'Demo Akun' is not allowed — use lower-case letters")
    r = cli("account", "add", "sandbox", "z", "--timezone", "Asia/Jakrta")
    assert r.stderr == ("Error: unknown time zone 'Asia/Jakrta' for --timezone — use WIB, WITA, WIT or an IANA zone name such as "
                        "Asia/Jakarta, Asia/Makassar or Asia/Jayapura\n")
    r = cli("account", "add", "mastodon", "m", "--base-url", "mastodon.social")
    assert r.stderr == "Error: base URL 'mastodon.social' is not an http(s) URL — use e.g. https://mastodon.social\n"
    r = cli("account", "add", "x", "y", "--daily-cap", "0")
    assert r.stderr == "Error: --daily-cap must be at least 1, got 0 — leave --daily-cap out for no limit\n"
    assert count_accounts(engine) == 1


def test_unknown_account(cli):
    r = cli("account", "show", "nope")
    assert (r.exit_code, r.stderr) == (1, "Error: no account named 'nope' — see `campaigner account list`\n")


def test_usage_error_is_one_line_exit_2(cli):
    r = cli("account", "add", "x")
    assert r.exit_code == 2
    assert r.stderr == "Error: Missing argument 'NAME'. — see `campaigner account add --help`\n"


def test_secrets_from_env_and_file_masked(cli, home):
    cli.ok("account", "add", "mastodon", "fspmi-mastodon")
    token = "mast-tok-SECRET-123456"
    r = cli.ok("account", "set-secret", "fspmi-mastodon", "access_token", input=token + "\n")
    assert token not in r.output
    secrets_file = home / "config" / "secrets.toml"
    assert stat.S_IMODE(os.stat(secrets_file).st_mode) == 0o600
    assert token in secrets_file.read_text()
    shown = cli.ok("account", "show", "fspmi-mastodon")
    assert token not in shown.output
    assert "ACCESS_TOKEN         ********  (from secrets file" in shown.stdout
    as_json = cli.ok("account", "show", "fspmi-mastodon", "--json").stdout
    assert token not in as_json
    env_tok = "env-token-ABCDEFG"
    shown = cli.ok("account", "show", "fspmi-mastodon", "--json",
                   env={"CAMPAIGNER_SECRET_FSPMI_MASTODON_ACCESS_TOKEN": env_tok})
    data = json.loads(shown.stdout)
    assert data["secrets"] == [{"field": "ACCESS_TOKEN", "required": True, "set": True,
                                "source": "environment CAMPAIGNER_SECRET_FSPMI_MASTODON_ACCESS_TOKEN"}]
    assert env_tok not in shown.output


def test_secret_file_readable_by_others_is_refused(cli, home):
    cli.ok("account", "add", "mastodon", "m1")
    f = home / "config" / "secrets.toml"
    f.write_text('[accounts.m1]\nACCESS_TOKEN = "leaky-token-999"\n')
    f.chmod(0o644)
    r = cli("account", "show", "m1")
    assert r.exit_code == 1
    assert r.stderr == f"Error: secrets file {f} can be read by other users (mode 644) — run: chmod 600 {f}\n"
    assert "leaky-token-999" not in r.output


def test_set_secret_unknown_field(cli):
    cli.ok("account", "add", "telegram", "tg")
    r = cli("account", "set-secret", "tg", "password", input="x\n")
    assert r.stderr == "Error: telegram accounts have no secret field 'password' — use one of BOT_TOKEN, CHAT_ID\n"


def test_remove_refused_while_posts_wait(cli, engine):
    cli.ok("account", "add", "sandbox", "s1")
    cli.ok("post", "add", "Tolak Tapera!", "--to", "s1", "--at", "2026-12-01 09:00")
    r = cli("account", "remove", "s1")
    assert r.stderr == ("Error: account 's1' has 1 delivery waiting to go out — cancel it first "
                        "(campaigner post cancel ID --account s1)\n")
    assert count_accounts(engine) == 1
    cli.ok("post", "cancel", "1")
    r = cli("account", "remove", "s1")
    assert r.stderr == ("Error: account 's1' has 1 delivery in its history — pass --purge to delete the account "
                        "with its history\n")
    cli.ok("account", "remove", "s1", "--purge")
    assert count_accounts(engine) == 0


def test_edit_account(cli):
    cli.ok("account", "add", "x", "kspi-x")
    cli.ok("account", "edit", "kspi-x", "--daily-cap", "50", "--timezone", "Asia/Jayapura")
    data = json.loads(cli.ok("account", "show", "kspi-x", "--json").stdout)
    assert (data["daily_cap"], data["timezone"]) == (50, "Asia/Jayapura")
    r = cli("account", "edit", "kspi-x")
    assert r.exit_code == 2


def test_out_of_range_settings_are_refused(cli, engine):
    r = cli("account", "add", "sandbox", "big", "--daily-cap", "99999999999999999999")
    assert (r.exit_code, r.stderr) == (1, "Error: --daily-cap must be at most 100,000, got 99,999,999,999,999,999,999 — "
                                          "give a smaller --daily-cap\n")
    r = cli("account", "add", "mastodon", "m", "--char-limit", "0")
    assert r.stderr == "Error: --char-limit must be at least 1, got 0 — leave --char-limit out for the platform's own limit\n"
    assert count_accounts(engine) == 0
    cli.ok("account", "add", "sandbox", "s1")
    r = cli("account", "edit", "s1", "--min-spacing", "2000")
    assert r.stderr == "Error: --min-spacing must be at most 1,440, got 2,000 — give a smaller --min-spacing\n"
    assert json.loads(cli.ok("account", "show", "s1", "--json").stdout)["min_spacing_minutes"] is None


def test_char_limit_only_where_the_account_can_have_its_own(cli, engine):
    r = cli("account", "add", "bluesky", "b1", "--char-limit", "1000")
    assert (r.exit_code, r.stderr) == (1, "Error: bluesky has a fixed text limit: --char-limit does not apply — leave "
                                          "--char-limit out (it is for a Mastodon instance's own limit or X Premium)\n")
    assert count_accounts(engine) == 0
    cli.ok("account", "add", "telegram", "t1")
    assert cli("account", "edit", "t1", "--char-limit", "5000").stderr.startswith(
        "Error: telegram has a fixed text limit: --char-limit does not apply — ")
    cli.ok("account", "add", "mastodon", "m1", "--char-limit", "5000")  # the instance's own limit
    cli.ok("account", "add", "x", "x1", "--char-limit", "25000")  # X Premium's long posts
    assert cli.ok("post", "check", "a" * 4000, "--to", "m1").exit_code == 0


def test_set_secret_reads_standard_input_and_refuses_nothing(cli, home):
    cli.ok("account", "add", "telegram", "tg")
    r = cli("account", "set-secret", "tg", "bot_token", input="")
    assert (r.exit_code, r.stderr) == (1, "Error: no value given for BOT_TOKEN — type it at the prompt, or give it on "
                                          "standard input: campaigner account set-secret tg BOT_TOKEN < FILE\n")
    assert not (home / "config" / "secrets.toml").exists()
    r = cli.ok("account", "set-secret", "tg", "bot_token", input="123:tok-SECRET\nignored second line\n")
    assert r.stderr == "" and "tok-SECRET" not in r.output
    assert 'BOT_TOKEN = "123:tok-SECRET"' in (home / "config" / "secrets.toml").read_text()


def test_secrets_file_values_and_shape(cli, home):
    cli.ok("account", "add", "telegram", "tg")
    f = home / "config" / "secrets.toml"
    f.parent.mkdir(parents=True, exist_ok=True)
    f.write_text('[accounts.tg]\nBOT_TOKEN = "123:tok"\nCHAT_ID = -1001234567890\n')  # a chat id without quotes
    f.chmod(0o600)
    shown = json.loads(cli.ok("account", "show", "tg", "--json").stdout)
    assert [(s["field"], s["set"]) for s in shown["secrets"]] == [("BOT_TOKEN", True), ("CHAT_ID", True)]
    f.write_text('[accounts.tg]\nBOT_TOKEN = 12.5e3\nCHAT_ID = "-100"\n')
    r = cli("account", "show", "tg")
    assert (r.exit_code, r.stderr) == (1, f"Error: BOT_TOKEN of account tg in the secrets file {f} is not text — "
                                          'write it in quotes: BOT_TOKEN = "…"\n')
    assert "12.5" not in r.output
    r = cli("account", "show", "tg", env={"CAMPAIGNER_SECRETS_FILE": str(home)})
    assert r.stderr == (f"Error: secrets file {home} is not a file — point CAMPAIGNER_SECRETS_FILE at a file "
                        "(it is created by `campaigner account set-secret`)\n")
