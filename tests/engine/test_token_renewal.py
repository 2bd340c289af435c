"""Renewing Meta tokens in the credentials watch, against the real Instagram fake: a token kept in
the secrets file is renewed a month before it expires (or when its expiry is unknown), written back
atomically with mode 0600, its expiry stored; a token too young is tried again later; one read from
an environment variable is not renewed but alerted about; an expiry that could not be pushed back
is warned of two weeks ahead. The token never appears in output, logs, alerts or --json."""
from __future__ import annotations

import json
import logging
import os
import stat
import tomllib
from datetime import timedelta

import pytest

from campaigner.secrets import SecretStore
from scheduler.jobs import credential_jobs
from tests.engine.conftest import account, alerts
from tests.fakes.instagram import Fake, _err

LIFETIME = timedelta(seconds=5183944)  # what Meta's refresh answers: about 60 days


@pytest.fixture
def ig(cli, serve, home):
    """An Instagram account whose USER_ID and ACCESS_TOKEN are in the secrets file."""
    fake = serve(Fake())
    cli.ok("account", "add", "instagram", "spn-ig", "--base-url", fake.base_url)
    for field, value in fake.account_config().secrets.items():
        cli.ok("account", "set-secret", "spn-ig", field, input=value + "\n")
    return fake


def stored(home) -> dict:
    path = home / "config" / "secrets.toml"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    return tomllib.loads(path.read_text())["accounts"]["spn-ig"]


def renewals(fake) -> int:
    return len(fake.calls("GET", "/refresh_access_token"))


def no_secret_anywhere(fake, engine, *outputs: str, caplog=None) -> None:
    texts = [*outputs, *(a.message for a in alerts(engine))]
    if caplog is not None:
        texts.append(caplog.text)
    for secret in fake.secret_values():
        assert all(secret not in text for text in texts)


def test_a_token_of_unknown_expiry_is_renewed_into_the_secrets_file(cli, engine, home, ig, caplog):
    caplog.set_level(logging.DEBUG)
    old = stored(home)["ACCESS_TOKEN"]
    r = cli.ok("account", "check")
    expires = cli.clock.now + LIFETIME
    assert r.stdout == "spn-ig: OK — spn_kspi, token expires 2027-01-29 07:59 WIB; token renewed\n"
    new = stored(home)["ACCESS_TOKEN"]
    assert new != old and new in ig.secret_values() and stored(home)["USER_ID"] == ig.USER_ID
    assert account(engine, "spn-ig").token_expires_at == expires
    assert not list((home / "config").glob(".secrets.toml.*"))  # no temporary file left behind
    # the next check (and the publisher) use the new token; nothing to renew for a month
    data = json.loads(cli.ok("account", "check", "--json").stdout)
    assert [(d["outcome"], d["token"]) for d in data] == [("ok", None)] and renewals(ig) == 1
    assert [r for r in ig.calls("GET", "/me") if r.path.endswith("/me")][-1].params()["access_token"] == new
    cli.clock.advance(days=31)  # 29 days left: renewed again
    r = cli.ok("account", "check")
    assert r.stdout.endswith("; token renewed\n") and renewals(ig) == 2
    assert account(engine, "spn-ig").token_expires_at == cli.clock.now + LIFETIME
    assert stored(home)["ACCESS_TOKEN"] not in (old, new)
    assert alerts(engine) == []
    no_secret_anywhere(ig, engine, r.output, json.dumps(data), caplog=caplog)


def test_a_token_too_young_is_tried_again_later(cli, engine, home, ig):
    ig.issue_token(cli.clock.now - timedelta(hours=2))  # Meta renews a token only from 24 hours old
    assert cli.ok("account", "check").stdout == "spn-ig: OK — spn_kspi\n"
    assert renewals(ig) == 1 and stored(home)["ACCESS_TOKEN"] == ig.TOKEN and alerts(engine) == []
    cli.clock.advance(hours=23)
    assert cli.ok("account", "check").stdout.endswith("; token renewed\n")
    assert stored(home)["ACCESS_TOKEN"] != ig.TOKEN


def test_an_expiry_that_could_not_be_pushed_back_is_warned_of(cli, engine, home, ig):
    cli.ok("account", "check")  # renewed: its expiry is known
    renewed = stored(home)["ACCESS_TOKEN"]
    cli.clock.advance(days=47)  # 13 days left, and Meta is down when the watch tries to renew it
    ig.fail_next(_err("(#2) Service temporarily unavailable", 2, status=503, transient=True),
                 path_contains="/refresh_access_token")
    r = cli.ok("account", "check")
    assert r.stdout.startswith("spn-ig: OK — spn_kspi, token expires 2027-01-29 07:59 WIB; the token could not "
                               "be renewed (instagram GET /refresh_access_token ((#2) Service temporarily unavailable): server "
                               "error 503")
    assert r.stdout.endswith("); tried again at the next check\n")
    [alert] = alerts(engine)
    assert (alert.kind, alert.message) == ("expiring", "the token of spn-ig expires 2027-01-29 07:59 WIB: renew it on "
                                                       "the platform, then `campaigner account set-secret spn-ig FIELD`")
    assert stored(home)["ACCESS_TOKEN"] == renewed
    assert cli.ok("account", "check").stdout.endswith("; token renewed\n")  # up again: pushed back
    assert account(engine, "spn-ig").token_expires_at == cli.clock.now + LIFETIME


def test_a_token_from_the_environment_is_not_renewed_but_alerted(cli, engine, home, ig, monkeypatch, caplog):
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("CAMPAIGNER_SECRET_SPN_IG_ACCESS_TOKEN", ig.TOKEN)
    r = cli.ok("account", "check")
    note = ("the token comes from the environment variable CAMPAIGNER_SECRET_SPN_IG_ACCESS_TOKEN, which campaigner "
            "cannot rewrite, so it is not renewed: renew it on the platform within 60 days of making it and set it "
            "there again, or store it in the secrets file (`campaigner account set-secret spn-ig ACCESS_TOKEN`) and "
            "campaigner renews it by itself")
    assert r.stdout == f"spn-ig: OK — spn_kspi; {note}\n"
    assert renewals(ig) == 0 and stored(home)["ACCESS_TOKEN"] == ig.TOKEN
    [alert] = alerts(engine)
    assert (alert.kind, alert.message) == ("expiring", note.replace("the token", "the token of spn-ig", 1))
    cli.ok("account", "check")
    assert len(alerts(engine)) == 1  # once
    assert cli.ok("-q", "account", "check").stdout.startswith("spn-ig: OK — ")  # quiet, but a person must act
    no_secret_anywhere(ig, engine, r.output, cli.ok("account", "check", "--json").stdout, caplog=caplog)


def test_the_daemon_renews_through_its_credentials_job(cli, app, engine, home, ig):
    [job] = credential_jobs(app, "w1")
    job.run(cli.clock.now)
    assert renewals(ig) == 1 and stored(home)["ACCESS_TOKEN"] != ig.TOKEN
    assert account(engine, "spn-ig").token_expires_at == cli.clock.now + LIFETIME


def test_setting_a_new_token_by_hand_forgets_the_old_ones_expiry(cli, engine, home, ig):
    cli.ok("account", "check")
    assert account(engine, "spn-ig").token_expires_at is not None
    cli.ok("account", "set-secret", "spn-ig", "ACCESS_TOKEN", input=ig.TOKEN + "\n")
    assert account(engine, "spn-ig").token_expires_at is None  # renewed at the next check, its expiry learnt


def test_two_writers_of_the_secrets_file_keep_each_others_changes(tmp_path):
    """A worker renewing a token holds an old copy of the file; a person sets another secret
    meanwhile: neither change is lost, the file stays 0600, and a reader sees the change."""
    path = tmp_path / "secrets.toml"
    worker, person = SecretStore(path, env={}), SecretStore(path, env={})
    worker.set("spn-ig", "ACCESS_TOKEN", "lama")
    assert worker.get("spn-ig", "ACCESS_TOKEN")[0] == "lama"  # read (and kept) by the worker
    person.set("kspi-x", "API_KEY", "kunci")
    worker.set("spn-ig", "ACCESS_TOKEN", "baru")
    table = tomllib.loads(path.read_text())["accounts"]
    assert table == {"spn-ig": {"ACCESS_TOKEN": "baru"}, "kspi-x": {"API_KEY": "kunci"}}
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert person.get("spn-ig", "ACCESS_TOKEN")[0] == "baru"  # read again: it changed
    os.chmod(path, 0o644)  # a file opened up by hand is refused, to read and to write
    with pytest.raises(Exception, match="can be read by other users"):
        SecretStore(path, env={}).get("spn-ig", "ACCESS_TOKEN")
    with pytest.raises(Exception, match="can be read by other users"):
        worker.set("spn-ig", "ACCESS_TOKEN", "lagi")


def test_a_threads_token_is_renewed_a_month_ahead_of_the_expiry_meta_tells(cli, engine, home, serve):
    """Threads says when its token expires (debug_token): nothing is renewed until 30 days are
    left; then the renewed token goes into the secrets file with its new expiry."""
    from tests.fakes.threads import Fake as ThreadsFake

    th = serve(ThreadsFake())
    cli.ok("account", "add", "threads", "spn-th", "--base-url", th.base_url)
    cli.ok("account", "set-secret", "spn-th", "ACCESS_TOKEN", input=th.TOKEN + "\n")
    assert cli.ok("account", "check").stdout == "spn-th: OK — spn.pusat, token expires 2027-01-27 08:00 WIB\n"
    assert len(th.calls("GET", "/refresh_access_token")) == 0
    th.token_expires_at = cli.clock.now + timedelta(days=20)
    r = cli.ok("account", "check")
    assert r.stdout.endswith("; token renewed\n") and len(th.calls("GET", "/refresh_access_token")) == 1
    path = home / "config" / "secrets.toml"
    assert tomllib.loads(path.read_text())["accounts"]["spn-th"]["ACCESS_TOKEN"] == th.REFRESHED
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert account(engine, "spn-th").token_expires_at == cli.clock.now + timedelta(days=60)
    assert cli.ok("account", "check").stdout == "spn-th: OK — spn.pusat, token expires 2027-01-29 08:00 WIB\n"
    for secret in th.secret_values():
        assert secret not in r.output and all(secret not in a.message for a in alerts(engine))


def test_renewal_starts_exactly_thirty_days_before_the_expiry(cli, engine, home, serve):
    """The window's edge: a token with 30 days and a minute left is not renewed, one with 30 days
    left is (a window one day shorter or longer, or ``>=`` for ``>``, fails here)."""
    from tests.fakes.threads import Fake as ThreadsFake

    th = serve(ThreadsFake())
    cli.ok("account", "add", "threads", "spn-th", "--base-url", th.base_url)
    cli.ok("account", "set-secret", "spn-th", "ACCESS_TOKEN", input=th.TOKEN + "\n")
    path = home / "config" / "secrets.toml"
    th.token_expires_at = cli.clock.now + timedelta(days=30, minutes=1)
    assert not cli.ok("account", "check").stdout.endswith("; token renewed\n")
    assert len(th.calls("GET", "/refresh_access_token")) == 0
    assert tomllib.loads(path.read_text())["accounts"]["spn-th"]["ACCESS_TOKEN"] == th.TOKEN
    cli.clock.advance(minutes=1)  # 30 days left
    assert cli.ok("account", "check").stdout.endswith("; token renewed\n")
    assert len(th.calls("GET", "/refresh_access_token")) == 1
    assert tomllib.loads(path.read_text())["accounts"]["spn-th"]["ACCESS_TOKEN"] == th.REFRESHED


def test_a_reader_holding_the_secrets_file_open_never_sees_half_a_new_one(tmp_path):
    """The file is replaced whole (a new file renamed into place), never rewritten where it
    stands: a reader that opened it before a write reads the whole old file to its end."""
    path = tmp_path / "secrets.toml"
    store = SecretStore(path, env={})
    store.set("spn-ig", "ACCESS_TOKEN", "lama" * 50)
    old = path.read_bytes()
    with open(path, "rb", buffering=0) as reader:  # unbuffered: each read goes to the file
        begun = reader.read(10)  # part-way through it when the worker renews the token
        store.set("spn-ig", "ACCESS_TOKEN", "baru")
        assert begun + reader.read() == old
    assert tomllib.loads(path.read_text())["accounts"]["spn-ig"]["ACCESS_TOKEN"] == "baru"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
