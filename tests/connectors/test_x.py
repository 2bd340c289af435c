"""X connector specifics, against the fake X API on 127.0.0.1 (tests/fakes/x.py).

The fake verifies each OAuth 1.0a signature with the test secrets, so a request that reaches it
and is answered 2xx was signed correctly for the URL it was really sent to.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import time
from datetime import timedelta

import pytest

from connectors.base import (AlreadyPublished, AuthExpired, MediaFile, NotSupported, OutgoingPost, Permanent,
                             RateLimited, Transient)
from connectors.x import XConnector, _RoutedSession, rate_limit_wait
from tests.conftest import T0
from tests.fakes.server import Failure, Response
from tests.fakes.x import Fake

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
       b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture
def fake(serve):
    return serve(Fake())


@pytest.fixture
def x(fake, clock) -> XConnector:
    return XConnector(fake.account_config(), clock=clock)


def post(text: str, **kw) -> OutgoingPost:
    return OutgoingPost(text=text, idempotency_key=kw.pop("key", "k-" + text[:8]), **kw)


def created_bodies(fake: Fake) -> list[dict]:
    return [r.json() for r in fake.calls("POST", "/2/tweets") if r.path == "/2/tweets"]


# --- transport ---------------------------------------------------------------------------------
def test_tweepy_requests_are_rewritten_to_the_base_url_and_signed(fake, x):
    assert isinstance(x.client.session, _RoutedSession)
    published = x.publish(post("Naikkan upah minimum 2027!"))
    assert fake.posts() == {published.remote_id: "Naikkan upah minimum 2027!"}
    [create] = fake.calls("POST", "/2/tweets")
    assert create.header("Authorization").startswith("OAuth ")
    assert fake.auth_failures == []  # the signature matched the rewritten URL and the real secrets
    assert published.url == f"https://x.com/{Fake.HANDLE}/status/{published.remote_id}"
    assert published.published_at == T0


def test_wrong_secret_makes_the_signature_fail_and_is_auth_expired(fake, clock):
    config = fake.account_config()
    config = dataclasses.replace(config, secrets={**config.secrets, "ACCESS_TOKEN_SECRET": "not-the-secret"})
    with pytest.raises(AuthExpired):
        XConnector(config, clock=clock).publish(post("Hidup buruh!"))
    assert fake.auth_failures == ["bad signature"] and fake.posts() == {}


def test_bearer_token_mode_sends_the_oauth2_user_token(clock):
    fake = Fake(auth="bearer")
    fake.clock = clock
    fake.start()
    try:
        x = XConnector(fake.account_config(), clock=clock)
        published = x.publish(post("Tolak outsourcing"))
        assert fake.calls("POST", "/2/tweets")[0].header("Authorization") == f"Bearer {Fake.BEARER_TOKEN}"
        assert x.metrics([published.remote_id]).found[published.remote_id].likes == 0
    finally:
        fake.stop()


def test_missing_credentials_are_refused_at_construction(fake, clock):
    config = dataclasses.replace(fake.account_config(), secrets={"API_KEY": "only-this-one"})
    with pytest.raises(AuthExpired, match="API_KEY"):
        XConnector(config, clock=clock)


def test_every_request_has_a_timeout_and_a_slow_create_is_outcome_unknown(fake, clock):
    x = XConnector(dataclasses.replace(fake.account_config(), timeout=0.3), clock=clock)
    fake.fail_next(Failure.SLOW, path_contains="/2/tweets")
    started = time.monotonic()
    with pytest.raises(Transient) as info:
        x.publish(post("Mogok nasional"))
    assert time.monotonic() - started < fake.slow_seconds
    assert info.value.outcome_unknown is True


def test_a_slow_read_is_transient_but_not_unknown(fake, clock):
    x = XConnector(dataclasses.replace(fake.account_config(), timeout=0.3), clock=clock)
    fake.fail_next(Failure.SLOW)
    with pytest.raises(Transient) as info:
        x.metrics(["1860000000000000000"])
    assert info.value.outcome_unknown is False


def test_lost_answer_then_find_existing_finds_the_post_despite_tco_and_entities(fake, x, clock):
    p = post("Upah layak & adil <sekarang>!", link="https://kspi.or.id/upah?tahun=2027")
    fake.fail_next(Failure.DROP_AFTER, path_contains="/2/tweets")
    with pytest.raises(Transient) as info:
        x.publish(p)
    assert info.value.outcome_unknown is True
    [(remote_id, text)] = fake.posts().items()
    found = x.find_existing(p, since=T0 - timedelta(minutes=5))
    assert found is not None and found.remote_id == remote_id
    # what X returned was rewritten, which is why matching ignores URLs and decodes entities
    [timeline_call] = fake.calls("GET", "/tweets")[-1:]
    assert fake.create_count() == 1
    # and a retry would have been refused as a duplicate, never posted twice
    with pytest.raises(AlreadyPublished, match="duplicate content"):
        x.publish(p)
    assert fake.create_count() == 1


def test_find_existing_misses_a_post_the_timeline_does_not_show_yet(fake, x, clock):
    p = post("Tolak Tapera sekarang!")
    fake.timeline_lag = timedelta(minutes=5)
    published = x.publish(p)
    clock.advance(minutes=4, seconds=59)
    assert x.find_existing(p, since=T0 - timedelta(minutes=10)) is None
    clock.advance(seconds=1)
    assert x.find_existing(p, since=T0 - timedelta(minutes=10)).remote_id == published.remote_id


def test_find_existing_reads_a_bounded_number_of_pages(fake, x):
    target = post("Pesan yang dicari")
    fake.add_own_post(target.text)
    for i in range(400):
        fake.add_own_post(f"pesan lain {i}")
    assert x.find_existing(target, since=T0 - timedelta(hours=1)) is None  # beyond 3 pages of 100
    assert len(fake.calls("GET", f"/2/users/{Fake.USER_ID}/tweets")) == 3
    assert x.find_existing(post("pesan lain 399"), since=T0 - timedelta(hours=1)) is not None
    assert x.find_existing(post("tidak pernah dikirim"), since=T0 - timedelta(hours=1)) is None


def test_find_existing_respects_the_reply_target(fake, x):
    root = x.publish(post("Utas: kenapa upah harus naik (1/2)"))
    other = x.publish(post("Utas lain"))
    part = post("(2/2) Karena harga naik", reply_to=root.remote_id)
    fake.add_own_post(part.text, reply_to=other.remote_id)
    assert x.find_existing(part, since=T0 - timedelta(hours=1)) is None


# --- create ------------------------------------------------------------------------------------
def test_link_is_appended_once(fake, x):
    x.publish(post("Baca tuntutan kami", link="https://kspi.or.id/tuntutan"))
    x.publish(post("Tuntutan: https://kspi.or.id/t2 — sebarkan", link="https://kspi.or.id/t2"))
    assert [b["text"] for b in created_bodies(fake)] == [
        "Baca tuntutan kami\n\nhttps://kspi.or.id/tuntutan", "Tuntutan: https://kspi.or.id/t2 — sebarkan"]


def test_duplicate_content_is_already_published_with_its_status(fake, x):
    x.publish(post("Tolak Tapera!"))
    with pytest.raises(AlreadyPublished) as info:
        x.publish(post("Tolak Tapera!", key="another-key"))
    assert isinstance(info.value, Permanent) and info.value.http_status == 403
    assert str(info.value) == ("X refused create post as a duplicate (403): "
                               "You are not allowed to create a Tweet with duplicate content.")
    assert fake.create_count() == 1


def test_thread_parts_reply_to_the_previous_part(fake, x):
    first = x.publish(post("Utas (1/3)"))
    second = x.publish(post("Utas (2/3)", reply_to=first.remote_id, thread_root=first.remote_id))
    third = x.publish(post("Utas (3/3)", reply_to=second.remote_id, thread_root=first.remote_id))
    assert fake.reply_parent(second.remote_id) == first.remote_id
    assert fake.reply_parent(third.remote_id) == second.remote_id
    bodies = created_bodies(fake)
    assert bodies[2] == {"text": "Utas (3/3)", "reply": {"in_reply_to_tweet_id": second.remote_id}}
    assert all(set(b) <= {"text", "reply", "media"} for b in bodies)


def test_reply_to_a_deleted_post_is_permanent_with_x_reason(fake, x):
    first = x.publish(post("Akan dihapus"))
    fake.remove_post(first.remote_id)
    with pytest.raises(Permanent, match="deleted or not visible"):
        x.publish(post("Balasan", reply_to=first.remote_id))


def test_over_length_text_is_permanent(fake, x):
    with pytest.raises(Permanent):
        x.publish(post("a" * 281))
    assert fake.posts() == {}


def test_media_upload_flow(fake, x, tmp_path):
    image = tmp_path / "poster.png"
    image.write_bytes(PNG)
    published = x.publish(post("Aksi 1 Mei", media=(MediaFile(image, "image/png", "Poster aksi May Day"),)))
    upload = fake.calls("POST", "/2/media/upload")[0]
    assert upload.header("Content-Type").startswith("multipart/form-data")
    assert upload.header("Authorization").startswith("OAuth ") and fake.auth_failures == []
    [(media_id, media)] = fake.media.items()
    assert media["bytes"] == PNG and media["mime"] == "image/png" and media["category"] == "tweet_image"
    assert media["alt_text"] == "Poster aksi May Day"
    assert created_bodies(fake)[0]["media"] == {"media_ids": [media_id]}
    assert fake.tweet(published.remote_id)["media_ids"] == [media_id]
    calls = [r.path for r in fake.requests]
    assert calls == ["/2/media/upload", "/2/media/metadata", "/2/tweets"]


def test_media_limits(fake, x, tmp_path):
    image = tmp_path / "a.png"
    image.write_bytes(PNG)
    with pytest.raises(Permanent, match="at most 4"):
        x.publish(post("lima gambar", media=tuple(MediaFile(image, "image/png") for _ in range(5))))
    video = tmp_path / "v.mp4"
    video.write_bytes(b"\x00" * 64)
    with pytest.raises(NotSupported):  # checked before the image in front of it is uploaded
        x.publish(post("video", media=(MediaFile(image, "image/png"), MediaFile(video, "video/mp4"))))
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\xff" * (5 * 1024 * 1024 + 1))
    with pytest.raises(Permanent, match="at most"):
        x.publish(post("besar", media=(MediaFile(big, "image/jpeg"),)))
    assert fake.requests == []


# --- errors ------------------------------------------------------------------------------------
def test_plain_429_waits_for_x_rate_limit_reset(fake, x):
    fake.rate_limit_next(T0 + timedelta(minutes=12))
    with pytest.raises(RateLimited) as info:
        x.publish(post("Kena batas"))
    assert info.value.retry_at == T0 + timedelta(minutes=12)
    assert info.value.scope == "account"


def test_exhausted_user_24_hour_cap_waits_for_its_own_reset(fake, x, clock):
    fake.user_24h_limit = 2
    x.publish(post("satu"))
    clock.advance(hours=1)
    x.publish(post("dua"))
    with pytest.raises(RateLimited) as info:
        x.publish(post("tiga"))
    # not the 15-minute x-rate-limit-reset: the 24-hour window of the first post
    assert info.value.retry_at == T0 + timedelta(hours=24)
    assert info.value.scope == "account"


def test_exhausted_app_24_hour_cap_has_app_scope(fake, x):
    fake.app_24h_limit = 1
    x.publish(post("satu"))
    with pytest.raises(RateLimited) as info:
        x.publish(post("dua"))
    assert info.value.scope == "app" and info.value.retry_at == T0 + timedelta(hours=24)


def test_rate_limit_wait_header_choice():
    now = T0
    epoch = lambda d: str(int((now + d).timestamp()))  # noqa: E731
    fifteen = {"x-rate-limit-reset": epoch(timedelta(minutes=15))}
    assert rate_limit_wait(fifteen, now) == (now + timedelta(minutes=15), "account")
    user_left = {**fifteen, "x-user-limit-24hour-remaining": "3", "x-user-limit-24hour-reset": epoch(timedelta(hours=9))}
    assert rate_limit_wait(user_left, now) == (now + timedelta(minutes=15), "account")
    both = {**fifteen, "x-user-limit-24hour-remaining": "0", "x-user-limit-24hour-reset": epoch(timedelta(hours=9)),
            "x-app-limit-24hour-remaining": "0", "x-app-limit-24hour-reset": epoch(timedelta(hours=5))}
    assert rate_limit_wait(both, now) == (now + timedelta(hours=9), "app")
    assert rate_limit_wait({}, now) == (now + timedelta(minutes=15), "account")
    past = {"x-rate-limit-reset": epoch(-timedelta(minutes=1))}
    assert rate_limit_wait(past, now) == (now, "account")


def test_usage_cap_is_a_rate_limit_not_a_failure(fake, x):
    fake.fail_next(Response(429, {"account_id": "123", "product_name": "standard-basic", "title": "UsageCapExceeded",
                                  "period": "Monthly", "scope": "Product",
                                  "detail": "Usage cap exceeded: Monthly product cap",
                                  "type": "https://api.twitter.com/2/problems/usage-capped"},
                            {"x-rate-limit-limit": "40000", "x-rate-limit-remaining": "39999",
                             "x-rate-limit-reset": str(int((T0 + timedelta(minutes=15)).timestamp()))}))
    with pytest.raises(RateLimited) as info:
        x.publish(post("Kena kuota bulanan"))
    assert info.value.scope == "app" and info.value.retry_at == T0 + timedelta(hours=24)
    assert "Monthly" in str(info.value)


def test_daily_usage_cap_waits_for_the_24_hour_reset(fake, x):
    fake.fail_next(Response(429, {"title": "UsageCapExceeded", "period": "Daily", "scope": "Account",
                                  "detail": "Usage cap exceeded: Daily account cap",
                                  "type": "https://api.x.com/2/problems/usage-capped"},
                            {"x-user-limit-24hour-remaining": "0",
                             "x-user-limit-24hour-reset": str(int((T0 + timedelta(hours=7)).timestamp()))}))
    with pytest.raises(RateLimited) as info:
        x.publish(post("Kena kuota harian"))
    assert info.value.scope == "account" and info.value.retry_at == T0 + timedelta(hours=7)


def test_expired_credentials_are_auth_expired(fake, x):
    fake.expire_credentials()
    with pytest.raises(AuthExpired):
        x.verify()


@pytest.mark.parametrize("status, unknown", [(500, True), (502, True), (503, False), (504, True)])
def test_server_errors_on_create_are_transient(fake, x, status, unknown):
    fake.server_error_next(status)
    with pytest.raises(Transient) as info:
        x.publish(post(f"status {status}"))
    assert info.value.outcome_unknown is unknown and info.value.http_status == status


def test_server_error_on_a_read_is_transient_and_known(fake, x):
    fake.server_error_next(500)
    with pytest.raises(Transient) as info:
        x.metrics(["1860000000000000000"])
    assert info.value.outcome_unknown is False


def test_other_4xx_is_permanent_with_the_problem_detail(fake, x):
    fake.fail_next(Response(400, {"errors": [{"parameters": {"text": []}, "message": "text is invalid"}],
                                  "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
                                  "type": "https://api.twitter.com/2/problems/invalid-request"}))
    with pytest.raises(Permanent, match="One or more parameters"):
        x.publish(post("rusak"))


# --- metrics, replies, delete, verify ----------------------------------------------------------
def test_metrics_in_batches_of_100_with_missing_posts(fake, x):
    ids = [fake.add_own_post(f"post {i}") for i in range(150)]
    fake.set_engagement(ids[0], likes=12, reposts=3, replies=2, quotes=1, impressions=900, bookmarks=4)
    fake.remove_post(ids[1])
    batch = x.metrics(ids + ["not-a-number"])
    lookups = fake.calls("GET", "/2/tweets")
    assert [len(r.query["ids"][0].split(",")) for r in lookups if r.path == "/2/tweets"] == [100, 50]
    assert batch.missing == {ids[1], "not-a-number"}
    m = batch.found[ids[0]]
    assert (m.likes, m.reposts, m.replies, m.quotes, m.impressions, m.bookmarks) == (12, 3, 2, 1, 900, 4)
    assert m.raw["retweet_count"] == 3
    assert len(batch.found) == 149


def test_metrics_accepts_repost_count_and_an_all_errors_body(fake, x):
    fake.metrics_naming = "repost"
    keep = fake.add_own_post("ada")
    fake.set_engagement(keep, reposts=7)
    gone = fake.add_own_post("hilang")
    fake.remove_post(gone)
    assert x.metrics([keep]).found[keep].reposts == 7
    only_missing = x.metrics([gone])
    assert only_missing.found == {} and only_missing.missing == {gone}


def test_replies_from_the_conversation(fake, x, clock):
    root = x.publish(post("Apa tuntutanmu untuk 2027?"))
    own_part = x.publish(post("(2/2) tulis di bawah", reply_to=root.remote_id))
    first = fake.add_reply(root.remote_id, "buruh_pabrik", "Upah naik 15%!", T0 + timedelta(minutes=5))
    second = fake.add_reply(own_part.remote_id, "ojol_bersatu", "Status pekerja tetap", T0 + timedelta(minutes=9))
    replies = x.replies(root.remote_id)
    assert [(r.remote_id, r.author, r.text, r.in_reply_to) for r in replies] == [
        (first, "buruh_pabrik", "Upah naik 15%!", root.remote_id),
        (second, "ojol_bersatu", "Status pekerja tetap", own_part.remote_id)]
    assert replies[0].created_at == T0 + timedelta(minutes=5)
    assert x.replies(root.remote_id, since=T0 + timedelta(minutes=7))[0].remote_id == second


def test_replies_on_a_tier_without_search_are_not_supported(fake, x):
    root = x.publish(post("Tanpa pencarian"))
    fake.search_allowed = False
    with pytest.raises(NotSupported, match="not available on this X access tier"):
        x.replies(root.remote_id)


def test_delete_and_delete_again(fake, x):
    published = x.publish(post("Hapus saya"))
    x.delete(published.remote_id)
    assert fake.posts() == {}
    x.delete(published.remote_id)  # already gone: nothing to do


def test_verify(fake, x):
    identity = x.verify()
    assert (identity.remote_id, identity.handle, identity.url) == (Fake.USER_ID, Fake.HANDLE,
                                                                   f"https://x.com/{Fake.HANDLE}")


# --- secrets -----------------------------------------------------------------------------------
@pytest.mark.parametrize("auth", ["oauth1", "bearer"])
def test_no_secret_in_debug_logs_errors_or_reprs(auth, clock, caplog, tmp_path):
    fake = Fake(auth=auth)
    fake.clock = clock
    fake.start()
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    try:
        config = fake.account_config()
        x = XConnector(config, clock=clock)
        texts += [repr(config), repr(x), str(config)]
        image = tmp_path / "p.png"
        image.write_bytes(PNG)
        published = x.publish(post("Rahasia aman", media=(MediaFile(image, "image/png", "alt"),)))
        x.metrics([published.remote_id, "1"])
        failures = []
        for trigger in (lambda: x.publish(post("Rahasia aman")),            # 403 duplicate
                        lambda: (fake.server_error_next(502), x.metrics(["1"])),
                        lambda: (fake.expire_credentials(), x.verify())):   # 401
            with pytest.raises(Exception) as info:
                trigger()
            failures.append(info.value)
        bad = dataclasses.replace(config, secrets={k: v + "-wrong" for k, v in config.secrets.items()})
        with pytest.raises(AuthExpired) as info:
            XConnector(bad, clock=clock).verify()
        failures.append(info.value)
        texts += [str(e) for e in failures] + [repr(e) for e in failures]
        texts += [str(e.__cause__ or "") + str(e.__context__ or "") for e in failures]
    finally:
        fake.stop()
    texts.append(caplog.text)
    texts += [json.dumps(r.__dict__, default=str) for r in caplog.records]
    loggers = {r.name for r in caplog.records}
    assert {"tweepy.client", "urllib3.connectionpool"} <= loggers  # the chatty libraries did log
    if auth == "oauth1":
        assert "requests_oauthlib.oauth1_auth" in loggers and "oauthlib.oauth1.rfc5849" in loggers
    secrets = fake.secret_values() + [v + "-wrong" for v in fake.secret_values()]
    for secret in secrets:
        for text in texts:
            assert secret not in text


def test_the_fake_refuses_101_ids_like_x(fake, x):
    import tweepy

    with pytest.raises(tweepy.BadRequest):
        x.client.get_tweets(ids=[str(10**18 + i) for i in range(101)], user_auth=True)
    with pytest.raises(Permanent):  # what the connector would make of it
        x._call("read metrics", x.client.get_tweets, ids=[str(10**18 + i) for i in range(101)], user_auth=True)
