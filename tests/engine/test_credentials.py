"""The credentials watch: refused credentials pause an account before a post fails on them, and
a token the platform says will expire is warned of ahead (``account check``, the daemon's job)."""
from __future__ import annotations

import json
from datetime import timedelta

from scheduler.jobs import credential_jobs
from campaigner.models import AccountStatus
from tests.engine.conftest import account, alerts


def test_check_pauses_refused_credentials_before_any_post_fails(cli, engine, platform_account):
    cli.ok("account", "add", "sandbox", "s1")
    m1 = platform_account("mastodon", "m1")
    m2 = platform_account("mastodon", "m2")
    cli.ok("post", "add", "Besok pagi", "--to", "m1", "--at", "tomorrow 09:00")
    m1.expire_credentials()
    m2.server_error_next(503)
    r = cli("account", "check")
    assert r.exit_code == 1
    lines = r.stdout.splitlines()
    assert lines[0].startswith("m1: PAUSED — the credentials check failed: mastodon GET /api/v1/accounts/"
                               "verify_credentials: The access token is invalid; once fixed: campaigner account "
                               "resume m1")
    assert lines[1].startswith("m2: not checked — ") and "503" in lines[1]
    assert lines[2] == "s1: OK — s1"
    assert account(engine, "m1").status == AccountStatus.PAUSED
    assert account(engine, "m2").status == AccountStatus.ACTIVE  # a server error says nothing of the token
    [alert] = alerts(engine)
    assert (alert.kind, alert.delivery_id) == ("paused", None)
    assert alert.message.startswith("account m1 paused: the credentials check failed: ")
    assert "Paused:       1\n  m1: the credentials check failed: " in cli.ok("status").stdout
    # a paused account is not asked again; once fixed and resumed it is
    assert len(m1.calls("GET", "verify_credentials")) == 1
    assert cli.ok("account", "check", "--json").stdout.count('"outcome": "ok"') == 2
    assert len(m1.calls("GET", "verify_credentials")) == 1
    assert cli.ok("account", "check", "m1").stdout == ("m1: paused already, not asked — once fixed: campaigner "
                                                        "account resume m1\n")


def test_check_names_and_quiet(cli, engine):
    cli.ok("account", "add", "sandbox", "s1")
    cli.ok("account", "add", "sandbox", "s2")
    assert cli.ok("account", "check", "s2").stdout == "s2: OK — s2\n"
    assert cli.ok("-q", "account", "check").output == ""  # cron's form: all is well, nothing to say
    r = cli("account", "check", "nope")
    assert (r.exit_code, r.stderr) == (1, "Error: no account named 'nope' — see `campaigner account list`\n")
    data = json.loads(cli.ok("account", "check", "--json").stdout)
    assert [(d["account"], d["outcome"], d["token_expires_at"]) for d in data] == [("s1", "ok", None),
                                                                                    ("s2", "ok", None)]


def test_a_missing_secret_pauses_the_account_at_the_check(cli, engine, monkeypatch, platform_account):
    platform_account("mastodon", "m1")
    monkeypatch.delenv("CAMPAIGNER_SECRET_M1_ACCESS_TOKEN")
    r = cli("account", "check")
    assert r.exit_code == 1 and r.stdout.startswith("m1: PAUSED — the credentials check failed: account 'm1' has "
                                                    "no ACCESS_TOKEN")
    assert account(engine, "m1").status == AccountStatus.PAUSED


def test_the_daemon_checks_once_per_six_hours_whatever_the_workers(cli, app, engine, platform_account):
    m1 = platform_account("mastodon", "m1")
    jobs = [credential_jobs(app, f"w{i}")[0] for i in range(3)]
    end = cli.clock.now + timedelta(hours=12)  # 01:00 to 13:00 UTC: the periods from 00:00, 06:00, 12:00
    while cli.clock.now < end:  # three workers, each every ten minutes, as the daemon runs the job
        for job in jobs:
            job.run(cli.clock.now)
        cli.clock.advance(minutes=10)
    assert len(m1.calls("GET", "verify_credentials")) == 3
    m1.expire_credentials()
    cli.clock.advance(hours=6)
    jobs[1].run(cli.clock.now)
    assert account(engine, "m1").status == AccountStatus.PAUSED


def test_an_expiring_facebook_token_is_warned_of_once_ahead(cli, engine, platform_account):
    fb = platform_account("facebook", "fb1")
    fb.token_expires_at = cli.clock.now + timedelta(days=30)  # Facebook says so in /debug_token
    assert cli.ok("account", "check").stdout.startswith("fb1: OK — ")
    assert account(engine, "fb1").token_expires_at == cli.clock.now + timedelta(days=30)
    assert alerts(engine) == [] and "Tokens:       none expiring\n" in cli.ok("status").stdout
    cli.clock.advance(days=17)  # 13 days left: inside the two weeks' warning
    fb.clock = lambda: cli.clock.now
    assert cli.ok("account", "check").stdout.endswith(", token expires 2026-12-30 08:00 WIB\n")
    assert cli.ok("account", "check").exit_code == 0  # checked again: no second alert
    [alert] = alerts(engine)
    assert (alert.kind, alert.message) == ("expiring", "the token of fb1 expires 2026-12-30 08:00 WIB: renew it on "
                                                       "the platform, then `campaigner account set-secret fb1 FIELD`")
    assert ("Tokens:       1 expiring\n  fb1 expires 2026-12-30 08:00 WIB — renew it, then campaigner account "
            "set-secret fb1 FIELD\n") in cli.ok("status").stdout
    assert cli.ok("-q", "account", "check").stdout.startswith("fb1: OK — ")  # quiet, but this needs a person
    # a renewed token with its own (still near) date warns again; one that never expires clears it
    fb.token_expires_at = cli.clock.now + timedelta(days=10)
    cli.ok("account", "check")
    assert [a.kind for a in alerts(engine)] == ["expiring", "expiring"]
    fb.token_expires_at = None
    cli.ok("account", "check")
    assert account(engine, "fb1").token_expires_at is None
    assert "Tokens:       none expiring\n" in cli.ok("status").stdout


def test_a_problem_of_this_install_pauses_no_account(cli, engine, tmp_path):
    """Only the account's own credentials pause it: a data folder that cannot be made is the
    install's problem, said for each account, and every account stays active."""
    cli.ok("account", "add", "sandbox", "s1")
    a_file = tmp_path / "a-file"
    a_file.write_text("")
    r = cli.ok("account", "check", env={"CAMPAIGNER_HOME": str(a_file)})
    assert r.stdout.startswith(f"s1: not checked — the data folder {a_file} is a file, not a folder")
    assert account(engine, "s1").status == AccountStatus.ACTIVE and alerts(engine) == []
