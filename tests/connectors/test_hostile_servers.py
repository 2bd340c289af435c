"""Servers that misbehave on purpose (tests/connectors/hostile_http.py) against every HTTP connector:
a total deadline per request (slow header bytes, slow body bytes, endless chunks), a cap on the
bytes of an answer as sent and once decompressed, no redirects (credentials stay with the host
they belong to), and a credentials check that does not take a web page for an account.

Deadlines here are 1 s; the servers dribble every 0.2 s and give up by themselves after 5 s, so a
client without a deadline fails these tests instead of hanging them.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from campaigner.secrets import env_name
from connectors.base import AccountConfig, Permanent, Transient
from connectors.http import MAX_RESPONSE_BYTES
from connectors.registry import build_connector
from tests.connectors import hostile_http
from tests.connectors.conftest import new_post
from tests.engine.conftest import deliveries

ROOT = Path(__file__).resolve().parents[2]
SECRETS = {
    "mastodon": {"ACCESS_TOKEN": "mstdn-hostile-Qm4T8zKw1PxR"},
    "facebook": {"PAGE_ID": "104512345678901", "PAGE_ACCESS_TOKEN": "EAAGhostilePageTokenZx81"},
    "bluesky": {"IDENTIFIER": "spn.bsky.social", "APP_PASSWORD": "kq7d-hstl-2xwm-p9rt"},
    "telegram": {"BOT_TOKEN": "7012345678:AAHostileBotTokenQz5", "CHAT_ID": "@spn_pusat"},
    "x": {"BEARER_TOKEN": "x-hostile-user-token-Lr93"},
    "instagram": {"USER_ID": "17841405309211844", "ACCESS_TOKEN": "IGAAHostileUserTokenKw1PxR"},
    "threads": {"USER_ID": "25073924578920133", "ACCESS_TOKEN": "THAAHostileThreadsTokenQz81"},
}
PLATFORMS = sorted(SECRETS)
#: the values that are secret (page and chat ids, the Bluesky handle are public)
SECRET_FIELDS = ("ACCESS_TOKEN", "PAGE_ACCESS_TOKEN", "APP_PASSWORD", "BOT_TOKEN", "BEARER_TOKEN")
#: where each platform's credentials check goes first
FIRST_PATH = {"mastodon": "/api/v1/accounts/verify_credentials", "facebook": "/v27.0/104512345678901",
              "bluesky": "/xrpc/com.atproto.server.createSession", "telegram": "/getMe", "x": "/2/users/me",
              "instagram": "/v27.0/me", "threads": "/v1.0/me"}
DEADLINE = "no complete answer within 1s"


def secrets_in(text: str, platform: str) -> list[str]:
    return [v for k, v in SECRETS[platform].items() if k in SECRET_FIELDS and v in text]


@pytest.fixture
def server():
    """``server(behaviour)`` → a started hostile server, stopped after the test."""
    started = []

    def start(behaviour, give_up_after: float = 5.0, tls=None):
        started.append(hostile_http.HostileServer(behaviour, give_up_after=give_up_after, tls=tls).start())
        return started[-1]

    yield start
    for s in started:
        s.stop()


def connect(platform: str, base_url: str, clock, timeout: float = 1.0):
    config = AccountConfig(name=f"{platform}-hostile", platform=platform, base_url=base_url,
                           secrets=SECRETS[platform], timeout=timeout)
    return build_connector(config, clock=clock)


def assert_cut_at_deadline(server) -> None:
    """The client hung up while the server was still sending: it did not wait for the server."""
    assert server.hung_up.wait(5) and not server.gave_up.is_set()


# --- 2. a total deadline ---------------------------------------------------------------------------
@pytest.mark.parametrize("platform", PLATFORMS)
def test_header_bytes_dribbled_every_fifth_of_a_second_are_cut_at_the_deadline(platform, server, clock):
    slow = server(hostile_http.dribble_headers(every=0.2))
    with pytest.raises(Transient, match=DEADLINE) as caught:
        connect(platform, slow.base_url, clock).verify()
    assert slow.received[0].path.endswith(FIRST_PATH[platform])
    assert_cut_at_deadline(slow)
    assert secrets_in(str(caught.value), platform) == []


def test_a_dribbling_server_over_tls_is_cut_at_the_deadline_too(server, clock, tls_cert, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_cert[0]))  # requests trusts the test certificate
    slow = server(hostile_http.dribble_body(every=0.2), tls=tls_cert)
    assert slow.base_url.startswith("https://")
    with pytest.raises(Transient, match=DEADLINE):
        connect("mastodon", slow.base_url, clock).verify()
    assert slow.received[0].path == FIRST_PATH["mastodon"]
    assert_cut_at_deadline(slow)


def test_a_write_whose_body_dribbles_is_cut_at_the_deadline_with_its_outcome_unknown(server, clock):
    slow = server(hostile_http.dribble_body(every=0.2))
    with pytest.raises(Transient, match=DEADLINE) as caught:
        connect("mastodon", slow.base_url, clock).publish(new_post("Tolak upah murah!"))
    assert caught.value.outcome_unknown is True  # the status may have been created
    assert [(r.method, r.path) for r in slow.received] == [("POST", "/api/v1/statuses")]
    assert_cut_at_deadline(slow)


def test_a_read_answered_with_endless_slow_chunks_is_cut_at_the_deadline_and_known_harmless(server, clock):
    slow = server(hostile_http.endless_chunks(every=0.2))
    with pytest.raises(Transient, match=DEADLINE) as caught:
        connect("mastodon", slow.base_url, clock).metrics(["1"])
    assert caught.value.outcome_unknown is False  # a GET changes nothing
    assert_cut_at_deadline(slow)


def test_a_write_whose_connection_never_opens_is_known_not_to_have_landed(clock):
    nowhere = hostile_http.Unaccepting()
    try:
        with pytest.raises(Transient, match="connection timed out") as caught:
            connect("mastodon", nowhere.base_url, clock).publish(new_post("Tolak upah murah!"))
    finally:
        nowhere.stop()
    assert caught.value.outcome_unknown is False  # it can be sent again without looking first


def test_a_write_whose_deadline_passes_while_its_connection_opens_is_known_not_to_have_landed(
        server, clock, tls_cert, monkeypatch):
    platform = server(hostile_http.answer(b"{}", content_type="application/json"), tls=tls_cert)
    # through a proxy that answers CONNECT, then the TLS handshake, 0.7 s late each: every step is
    # within the 1 s socket timeout, the connection is open only past the 1 s deadline
    tunnel = hostile_http.SlowTunnel(delay=0.7)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tls_cert[0]))
    monkeypatch.setenv("HTTPS_PROXY", tunnel.url)
    for name in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    try:
        with pytest.raises(Transient, match="connection timed out") as caught:
            connect("mastodon", platform.base_url, clock).publish(new_post("Tolak upah murah!"))
    finally:
        tunnel.stop()
    assert platform.received == []  # the POST never went out...
    assert caught.value.outcome_unknown is False  # ...and that is known: it can be sent again without looking


def test_a_slow_platform_on_one_account_does_not_hold_back_the_others(cli, app, engine_for, platform_account,
                                                                      server, monkeypatch):
    from campaigner.models import DeliveryStatus as S
    from campaigner.services.accounts import connector

    fast = platform_account("mastodon", "cepat")
    slow = server(hostile_http.dribble_body(every=0.2))
    cli.ok("account", "add", "mastodon", "lambat", "--base-url", slow.base_url)
    monkeypatch.setenv(env_name("lambat", "ACCESS_TOKEN"), SECRETS["mastodon"]["ACCESS_TOKEN"])
    cli.ok("post", "add", "Mogok nasional 1 Desember!", "--to", "lambat,cepat", "--now")

    engine = engine_for(concurrency=2, connector_factory=lambda account: connector(app, account, timeout=1.0))
    report = engine.publish_all_due()

    by_account = {d.account.name: d for d in deliveries(app.engine)}
    assert report.published == [by_account["cepat"].id] and len(fast.posts()) == 1
    assert report.unconfirmed == [by_account["lambat"].id]
    stuck = by_account["lambat"]
    assert stuck.status == S.UNCONFIRMED  # looked for before any re-send, never sent blind
    cut = f"POST {slow.base_url}/api/v1/statuses: {DEADLINE}"
    assert stuck.last_error == f"outcome unknown: {cut}"
    assert [(a.outcome, a.error) for a in stuck.attempts] == [("unknown", cut)]
    assert_cut_at_deadline(slow)


def test_account_test_on_a_dribbling_server_ends_with_one_clear_line(cli, server):
    slow = server(hostile_http.dribble_headers(every=0.2))
    cli.ok("account", "add", "mastodon", "m1", "--base-url", slow.base_url)
    r = cli("account", "test", "m1", "--timeout", "1", env={env_name("m1", "ACCESS_TOKEN"): "mstdn-x-Qm4T8zKw"})
    assert r.exit_code == 1
    assert r.stderr == (f"Error: cannot reach {slow.base_url} for 'm1' (GET {slow.base_url}/api/v1/accounts/"
                        f"verify_credentials: {DEADLINE}) — check the network and --base-url, then try again\n")
    assert_cut_at_deadline(slow)


# --- 3. bounded answers ---------------------------------------------------------------------------
def test_endless_fast_chunks_stop_at_the_byte_cap(server, clock):
    flood = server(hostile_http.endless_chunks(every=0))
    with pytest.raises(Transient, match=f"the answer is larger than {MAX_RESPONSE_BYTES} bytes") as caught:
        connect("mastodon", flood.base_url, clock, timeout=30).verify()
    assert caught.value.outcome_unknown is False
    assert_cut_at_deadline(flood)  # the client stopped reading; the server had more to send


def _checked_in_a_child(base_url: str) -> dict:
    run = subprocess.run([sys.executable, "-m", "tests.connectors._bounded_read_worker", base_url],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    return json.loads(run.stdout)


def test_a_100_mb_answer_is_not_read_into_memory(server):
    big = server(hostile_http.big_body(100 * 1024 * 1024), give_up_after=60)
    result = _checked_in_a_child(big.base_url)
    assert result["raised"] == "Transient"
    assert result["message"].endswith(f"/api/v1/accounts/verify_credentials: the answer is larger than "
                                      f"{MAX_RESPONSE_BYTES} bytes")
    assert result["grown_mb"] < 50, result


def test_a_redirects_100_mb_body_is_not_read_into_memory(server):
    big = server(hostile_http.big_body(100 * 1024 * 1024, redirect_to="https://elsewhere.example/"),
                 give_up_after=60)
    result = _checked_in_a_child(big.base_url)
    assert result["raised"] == "Permanent"
    assert "the server redirects to https://elsewhere.example/ (HTTP 307)" in result["message"]
    assert result["grown_mb"] < 50, result


def test_a_gzip_bomb_is_not_inflated_past_the_cap(server):
    bomb = hostile_http.gzip_bomb_body(4 * 1024 ** 3)
    assert len(bomb) < 5 * 1024 * 1024  # about 4 MB on the wire, 4 GB once inflated
    served = server(hostile_http.gzip_bomb(bomb), give_up_after=60)
    result = _checked_in_a_child(served.base_url)
    assert result["raised"] == "Transient"
    assert result["message"].endswith(f"the answer is larger than {MAX_RESPONSE_BYTES} bytes")
    assert result["grown_mb"] < 50, result


# --- 4. redirects are not followed ----------------------------------------------------------------
@pytest.fixture
def capture(server):
    """A server on another host name that records what reaches it and answers like a success."""
    return server(hostile_http.answer(b'{"id": "1", "ok": true}', content_type="application/json"))


def _elsewhere(capture) -> str:
    return capture.base_url.replace("127.0.0.1", "localhost")


@pytest.mark.parametrize("platform", PLATFORMS)
def test_no_credentials_check_follows_a_redirect_to_another_host(platform, server, capture, clock):
    target = _elsewhere(capture)
    away = server(hostile_http.redirect(target, keep_path=True))
    with pytest.raises(Permanent) as caught:
        connect(platform, away.base_url, clock).verify()
    assert capture.received == []
    message = str(caught.value)
    assert f"the server redirects to {target}/" in message and "(HTTP 307)" in message
    assert secrets_in(message, platform) == []  # Telegram's token is in the path


def test_a_facebook_post_does_not_carry_the_page_token_to_the_host_a_307_names(server, capture, clock):
    target = _elsewhere(capture) + "/steal"
    away = server(hostile_http.redirect(target))
    with pytest.raises(Permanent, match=f"the server redirects to {target} \\(HTTP 307\\)"):
        connect("facebook", away.base_url, clock).publish(new_post("Tolak Tapera!"))
    [sent] = away.received
    assert SECRETS["facebook"]["PAGE_ACCESS_TOKEN"].encode() in sent.body  # it went to the Page's host only
    assert capture.received == []


def test_the_bluesky_app_password_does_not_follow_a_307_to_another_host(server, capture, clock):
    target = _elsewhere(capture) + "/xrpc/com.atproto.server.createSession"
    away = server(hostile_http.redirect(target, status="308 Permanent Redirect"))
    with pytest.raises(Permanent, match="HTTP 308"):
        connect("bluesky", away.base_url, clock).verify()
    assert capture.received == []


#: a redirect target meant to clear the terminal and retitle it, long enough to push the advice out
HOSTILE_LOCATION = "http://evil.example/\x1b[2J\x1b]0;owned\x07/" + "a" * 600


@pytest.mark.parametrize("location, shown", [
    (HOSTILE_LOCATION, ("http://evil.example/?[2J?]0;owned?/" + "a" * 120)[:119] + "…"),
    ("http://[bad/\x1b[31m", "http://[bad/?[31m"),  # not even a URL (urljoin raises ValueError on it)
    # relative, with a bidi override sent as UTF-8 (headers are read as Latin-1: "â", a C1 control, "®")
    ("/\x1b[31m\u202e", "{base}/?[31mâ?®"),
])
def test_a_hostile_location_is_shown_cleaned_and_bounded_with_the_advice_intact(location, shown, server, clock):
    away = server(hostile_http.redirect(location, status="302 Found"))
    with pytest.raises(Permanent) as caught:
        connect("mastodon", away.base_url, clock).verify()
    shown = shown.format(base=away.base_url)
    assert str(caught.value) == (f"GET {away.base_url}/api/v1/accounts/verify_credentials: the server redirects "
                                 f"to {shown} (HTTP 302); redirects are not followed — point the account's "
                                 "base URL at the API itself")


# --- 8. a credentials check answered with something that is not an account ------------------------
PORTAL_PAGE = b"<html><body>Login Wi-Fi kantor</body></html>"


@pytest.mark.parametrize("platform, body, content_type, expected", [
    ("mastodon", PORTAL_PAGE, "text/html", "mastodon GET /api/v1/accounts/verify_credentials: "
                                           "the answer (HTTP 200, text/html) is not a Mastodon account"),
    ("mastodon", b"{}", "application/json", "mastodon GET /api/v1/accounts/verify_credentials: "
                                            "the answer (HTTP 200, application/json) is not a Mastodon account"),
    ("facebook", PORTAL_PAGE, "text/html", "facebook GET /104512345678901: "
                                           "the answer (HTTP 200, text/html) is not a Facebook Page"),
    ("facebook", b"{}", "application/json", "facebook GET /104512345678901: "
                                            "the answer (HTTP 200, application/json) is not a Facebook Page"),
    ("x", PORTAL_PAGE, "text/html", "X read the account: the answer was not JSON"),
    ("x", b"{}", "application/json", "X read the account: the answer has no account in it"),
    ("instagram", PORTAL_PAGE, "text/html", "instagram GET /me: "
                                            "the answer (HTTP 200, text/html) is not an Instagram account"),
    ("instagram", b"{}", "application/json", "instagram GET /me: "
                                             "the answer (HTTP 200, application/json) is not an Instagram account"),
    ("threads", PORTAL_PAGE, "text/html", "threads GET /me: the answer (HTTP 200, text/html) is not a Threads profile"),
    ("threads", b"{}", "application/json", "threads GET /me: "
                                           "the answer (HTTP 200, application/json) is not a Threads profile"),
])
def test_a_credentials_check_answered_200_without_an_account_is_an_error(platform, body, content_type, expected,
                                                                          server, clock):
    portal = server(hostile_http.answer(body, content_type=content_type))
    with pytest.raises(Transient) as caught:
        connect(platform, portal.base_url, clock).verify()
    assert str(caught.value) == expected
    assert caught.value.outcome_unknown is False


def test_account_test_answered_by_a_web_page_says_so(cli, server):
    portal = server(hostile_http.answer(PORTAL_PAGE))
    cli.ok("account", "add", "mastodon", "m1", "--base-url", portal.base_url)
    r = cli("account", "test", "m1", env={env_name("m1", "ACCESS_TOKEN"): "mstdn-x-Qm4T8zKw"})
    assert r.exit_code == 1 and r.stdout == ""
    assert r.stderr == (f"Error: cannot reach {portal.base_url} for 'm1' (mastodon GET /api/v1/accounts/"
                        "verify_credentials: the answer (HTTP 200, text/html) is not a Mastodon account) — "
                        "check the network and --base-url, then try again\n")


def test_a_hostile_content_type_is_shown_cleaned_and_bounded(server, clock):
    portal = server(hostile_http.answer(PORTAL_PAGE, content_type="text/html\x1b[2J" + "x" * 300 + "; charset=utf-8"))
    with pytest.raises(Transient) as caught:
        connect("mastodon", portal.base_url, clock).verify()
    kind = ("text/html?[2J" + "x" * 120)[:119] + "…"
    assert str(caught.value) == (f"mastodon GET /api/v1/accounts/verify_credentials: the answer (HTTP 200, {kind}) "
                                 "is not a Mastodon account")
