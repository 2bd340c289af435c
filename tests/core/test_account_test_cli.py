"""``campaigner account test`` through the real CLI against the platforms' fake servers."""
import importlib

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
