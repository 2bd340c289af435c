"""``campaigner account test`` through the real CLI against the platforms' fake servers."""
import importlib
import json
import re

import pytest

from campaigner.secrets import env_name


@pytest.fixture
def fake(request, serve):
    return serve(importlib.import_module(f"tests.fakes.{request.param}").Fake())


def add_account(cli, fake, name="akun"):
    cfg = fake.account_config()
    cli.ok("account", "add", fake.platform, name, "--base-url", fake.base_url)
    for field, value in cfg.secrets.items():
        cli.env[env_name(name, field)] = value
    return cfg


@pytest.mark.parametrize("fake", ["mastodon", "telegram", "facebook", "x", "bluesky"], indirect=True)
def test_account_test_ok_and_expired(cli, fake):
    add_account(cli, fake)
    r = cli.ok("account", "test", "akun", "--timeout", "5")
    assert r.stdout.startswith("akun: OK — signed in as ")
    for secret in fake.secret_values():
        assert secret not in r.output
    fake.expire_credentials()
    r = cli("account", "test", "akun", "--timeout", "5")
    assert r.exit_code == 1
    assert r.stderr.startswith(f"Error: {fake.base_url} refused the credentials of 'akun' (")
    assert r.stderr.endswith("— check or renew its secrets (campaigner account show akun)\n")
    for secret in fake.secret_values():
        assert secret not in r.output


@pytest.mark.parametrize("fake", ["mastodon"], indirect=True)
def test_account_test_wrong_instance_and_missing_secret(cli, fake):
    add_account(cli, fake)
    cli.ok("account", "edit", "akun", "--base-url", "http://127.0.0.1:9")  # nothing listens there
    r = cli("account", "test", "akun", "--timeout", "2")
    assert r.exit_code == 1
    assert r.stderr.startswith("Error: cannot reach http://127.0.0.1:9 for 'akun' (")
    assert r.stderr.endswith("— check the network and --base-url, then try again\n")
    cli.env.clear()
    r = cli("account", "test", "akun")
    assert r.stderr == ("Error: account 'akun' has no ACCESS_TOKEN secret — set CAMPAIGNER_SECRET_AKUN_ACCESS_TOKEN "
                        "or run `campaigner account set-secret akun ACCESS_TOKEN`\n")


def test_account_test_sandbox(cli):
    cli.ok("account", "add", "sandbox", "demo")
    assert cli.ok("account", "test", "demo").stdout.startswith("demo: OK — signed in as ")


@pytest.mark.parametrize("fake", ["facebook"], indirect=True)
def test_account_test_shows_when_the_token_expires(cli, fake):
    from datetime import datetime, timezone

    add_account(cli, fake)
    fake.token_expires_at = datetime(2027, 1, 29, 3, 0, tzinfo=timezone.utc)
    r = cli.ok("account", "test", "akun", "--timeout", "5")
    assert r.stdout.endswith("; the token expires 2027-01-29 10:00 WIB\n")
    assert '"token_expires_at": "2027-01-29T03:00:00Z"' in cli.ok("account", "test", "akun", "--json").stdout


def _media_config(home, public_url: str, folder) -> None:
    (home / "config" / "campaigner.toml").write_text(f'[media]\npublic_url = "{public_url}"\npublic_dir = "{folder}"\n')


def test_instagram_account_test_and_add_check_the_media_place(cli, serve, home, tmp_path):
    """Instagram fetches media by URL: `account add` and `account test` put a probe file in the
    [media] place and fetch it back from public_url, saying what fails and how to fix it."""
    from tests.fakes.instagram import Fake

    fake = serve(Fake())
    served = fake.web.folder
    r = cli.ok("account", "add", "instagram", "akun", "--base-url", fake.base_url)  # no [media] yet: a warning
    config = home / "config" / "campaigner.toml"
    assert r.stderr == (f"Warning: Instagram fetches media from a public address, and the [media] place does not work: "
                        f"no public place for media: the config file {config} has no [media] table — add one with "
                        'public_url = "https://…" and public_dir = "/srv/…" (a folder your web server serves there) or '
                        "an S3 bucket: Instagram and Threads fetch media by URL\n")
    for field, value in fake.account_config().secrets.items():
        cli.env[env_name("akun", field)] = value
    _media_config(home, fake.web.base_url + "/", served)
    r = cli.ok("account", "test", "akun", "--timeout", "5")
    assert r.stdout.splitlines() == ["akun: OK — signed in as spn_kspi (Serikat Pekerja Nasional), "
                                     "https://www.instagram.com/spn_kspi/",
                                     f"Media: OK — {fake.web.base_url}/ serves what campaigner puts in {served}"]
    assert not list(served.iterdir())  # the probe is removed
    assert json.loads(cli.ok("account", "test", "akun", "--json").stdout)["media"] == {
        "ok": True, "detail": f"{fake.web.base_url}/ serves what campaigner puts in {served}"}
    # a folder the web server does not serve: said, with the fix, and the test fails
    elsewhere = tmp_path / "bukan-yang-dilayani"
    _media_config(home, fake.web.base_url + "/", elsewhere)
    r = cli("account", "test", "akun", "--timeout", "5")
    assert r.exit_code == 1 and r.stdout.startswith("akun: OK — signed in as spn_kspi")
    assert re.fullmatch(rf"Error: Instagram fetches media from a public address, and the \[media\] place does not "
                        rf"work: {re.escape(fake.web.base_url)}/[0-9a-f]{{16}}-[0-9a-f]{{32}}\.jpg answers HTTP 404 — "
                        rf"make the web server serve {re.escape(str(elsewhere))} at {re.escape(fake.web.base_url)}/\n",
                        r.stderr)
    r = cli("account", "test", "akun", "--json")
    assert r.exit_code == 1 and json.loads(r.stdout)["media"]["ok"] is False
    r = cli.ok("account", "add", "instagram", "akun2")
    assert r.stderr.startswith("Warning: Instagram fetches media from a public address, and the [media] place does not "
                               "work: ") and "answers HTTP 404" in r.stderr
    for secret in fake.secret_values():
        assert secret not in r.output
    # platforms that take uploads are not asked about it
    assert "Media" not in cli.ok("account", "add", "sandbox", "demo").output
