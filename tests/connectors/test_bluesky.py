"""Bluesky connector specifics, against the fake PDS on 127.0.0.1 (tests/fakes/bluesky.py), and
the TID helper against the atproto interop test vectors."""
from __future__ import annotations

import dataclasses
import json
import logging
import os
import stat
from datetime import datetime, timedelta, timezone

import pytest

from connectors.base import AlreadyPublished, AuthExpired, MediaFile, OutgoingPost, Permanent, RateLimited, Transient
from connectors.bluesky import BlueskyConnector, build_facets
from connectors.tid import is_valid_tid, new_tid, tid_clock_id, tid_time
from tests.conftest import T0
from tests.fakes.bluesky import Fake, xrpc_error
from tests.fakes.server import Failure, Response

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4"
       b"\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82")

# bluesky-social/atproto-interop-tests syntax/tid_syntax_valid.txt and tid_syntax_invalid.txt
# (as vendored in bluesky-social/atproto packages/syntax/tests/interop-files/)
TID_VALID = ["3jzfcijpj2z2a", "7777777777777", "3zzzzzzzzzzzz", "2222222222222"]
TID_INVALID = ["3jzfcijpj2z21", "0000000000000", "3jzfcijpj2z2aa", "3jzfcijpj2z2", "3jzf-cij-pj2z-2a",
               "zzzzzzzzzzzzz", "kjzfcijpj2z2a", ""]


@pytest.fixture
def fake(serve):
    return serve(Fake())


@pytest.fixture
def bsky(fake, clock) -> BlueskyConnector:
    return BlueskyConnector(fake.account_config(), clock=clock)


_keys = iter(range(1, 10**6))


def post(text: str, **kw) -> OutgoingPost:
    key = kw.pop("key", None) or new_tid(T0, clock_id=next(_keys) % 1024)
    return OutgoingPost(text=text, idempotency_key=key, **kw)


def sessions_made(fake: Fake) -> int:
    return len(fake.calls("POST", "createSession"))


# --- TIDs --------------------------------------------------------------------------------------
@pytest.mark.parametrize("tid", TID_VALID)
def test_interop_valid_tids(tid):
    assert is_valid_tid(tid)


@pytest.mark.parametrize("tid", TID_INVALID)
def test_interop_invalid_tids(tid):
    assert not is_valid_tid(tid)


def test_new_tid_matches_the_reference_encoding():
    # bluesky's own TID library test: create(1723819911723000 µs, clock id 490) == '3kztsgrxhzsje'
    when = datetime(1970, 1, 1, tzinfo=timezone.utc) + timedelta(microseconds=1723819911723000)
    assert new_tid(when, clock_id=490) == "3kztsgrxhzsje"
    assert tid_time("3kztsgrxhzsje") == when and tid_clock_id("3kztsgrxhzsje") == 490


def test_new_tid_is_valid_and_sortable():
    times = [T0 + timedelta(microseconds=i * 977) for i in range(200)]
    tids = [new_tid(t, clock_id=i % 1024) for i, t in enumerate(times)]
    assert all(is_valid_tid(t) and len(t) == 13 for t in tids)
    assert tids == sorted(tids)
    assert [tid_time(t) for t in tids] == times
    by_second = [new_tid(T0 + timedelta(seconds=s)) for s in range(20)]  # random digits stay in their second
    assert by_second == sorted(by_second)


def test_default_tids_for_one_instant_rarely_collide():
    # ~2^30 values a second: 5,000 keys for one instant hold 0.012 colliding pairs on average, so
    # "none" failed about once in 85 runs; more than two happens about once in 3 million
    tids = [new_tid(T0) for _ in range(5000)]
    assert len(set(tids)) >= 4998 and all(is_valid_tid(t) for t in tids)
    assert all(T0 <= tid_time(t) < T0 + timedelta(seconds=1) for t in tids)  # same second as asked
    assert len({tid_clock_id(t) for t in tids}) > 500


def test_new_tid_time_zones_and_limits():
    assert new_tid(T0.replace(tzinfo=None), 7) == new_tid(T0, 7)  # naive = UTC
    assert new_tid(T0.astimezone(timezone(timedelta(hours=7))), 7) == new_tid(T0, 7)
    with pytest.raises(ValueError):
        new_tid(T0, clock_id=1024)


# --- facets ------------------------------------------------------------------------------------
def test_facets_use_utf8_byte_offsets_for_indonesian_text_with_emoji():
    text = ("✊🏽 Upah layak untuk semua pekerja! Dukung @kspi.bsky.social & @tidak.ada.example "
            "#TolakUpahMurah #2027 (baca https://kspi.or.id/upah?tahun=2027). 💪🏾 #MayDay!")
    dids = {"kspi.bsky.social": "did:plc:kspi"}
    facets = build_facets(text, dids.get)
    data = text.encode("utf-8")
    covered = [(data[f["index"]["byteStart"]:f["index"]["byteEnd"]].decode(), f["features"][0]) for f in facets]
    assert covered == [
        ("@kspi.bsky.social", {"$type": "app.bsky.richtext.facet#mention", "did": "did:plc:kspi"}),
        ("#TolakUpahMurah", {"$type": "app.bsky.richtext.facet#tag", "tag": "TolakUpahMurah"}),
        ("https://kspi.or.id/upah?tahun=2027",
         {"$type": "app.bsky.richtext.facet#link", "uri": "https://kspi.or.id/upah?tahun=2027"}),
        ("#MayDay", {"$type": "app.bsky.richtext.facet#tag", "tag": "MayDay"}),
    ]
    # byte offsets, not character offsets: "✊🏽" is 2 characters but 7 bytes (3 + 4)
    mention = facets[0]["index"]
    assert mention["byteStart"] == text.index("@kspi") + 5
    assert mention["byteStart"] == len("✊🏽 Upah layak untuk semua pekerja! Dukung ".encode())


def test_published_facets_are_accepted_and_unresolvable_mentions_stay_text(fake, bsky):
    friend = fake.add_account("fspmi.bsky.social")
    text = "🔥 Bersama @fspmi.bsky.social dan @hantu.example menolak #Tapera → https://kspi.or.id/tapera"
    published = bsky.publish(post(text))
    record = fake.record(published.remote_id)["value"]
    kinds = [(f["features"][0]["$type"].split("#")[1], f["features"][0].get("did")) for f in record["facets"]]
    assert kinds == [("mention", friend), ("tag", None), ("link", None)]
    assert len(fake.calls("GET", "resolveHandle")) == 2


# --- session -----------------------------------------------------------------------------------
def test_one_login_then_refresh_on_expired_token_without_the_password(fake, bsky):
    first = bsky.publish(post("satu"))
    bsky.publish(post("dua"))
    assert sessions_made(fake) == 1
    fake.expire_access_tokens()
    third = bsky.publish(post("tiga"))
    assert sessions_made(fake) == 1 and fake.refreshes == 1
    assert len(fake.posts()) == 3 and fake.create_count() == 3
    refresh = fake.calls("POST", "refreshSession")[0]
    assert refresh.body == b"" and fake.APP_PASSWORD.encode() not in refresh.body
    assert sum(fake.APP_PASSWORD.encode() in r.body for r in fake.requests) == 1
    assert bsky.metrics([first.remote_id, third.remote_id]).missing == frozenset()


def test_expired_refresh_token_logs_in_again(fake, bsky):
    bsky.publish(post("satu"))
    fake.advance(timedelta(days=61))  # both JWTs are past their lifetime
    bsky.publish(post("dua"))
    assert sessions_made(fake) == 2 and fake.refreshes == 0


def test_session_is_persisted_with_mode_0600_and_reused_by_a_new_process(fake, clock, tmp_path):
    state = tmp_path / "state"
    first = BlueskyConnector(fake.account_config(state_dir=state), clock=clock)
    first.publish(post("satu"))
    [path] = list(state.iterdir())
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert fake.APP_PASSWORD not in path.read_text()
    second = BlueskyConnector(fake.account_config(state_dir=state), clock=clock)
    assert second.verify().handle == Fake.HANDLE
    second.publish(post("dua"))
    assert sessions_made(fake) == 1
    # a refresh by one process is picked up by the other instead of refreshing again
    fake.expire_access_tokens()
    second.publish(post("tiga"))
    first.publish(post("empat"))
    assert fake.refreshes == 1 and sessions_made(fake) == 1
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_a_stale_session_file_leads_to_one_new_login(clock, tmp_path):
    state = tmp_path / "state"
    old = Fake()
    old.clock = clock
    old.start()
    BlueskyConnector(old.account_config(state_dir=state), clock=clock).verify()
    old.stop()
    new = Fake()  # a PDS that never issued those tokens
    new.clock = clock
    new.start()
    try:
        bsky = BlueskyConnector(new.account_config(state_dir=state), clock=clock)
        bsky.publish(post("setelah pindah"))
        assert sessions_made(new) == 1 and len(new.posts()) == 1
    finally:
        new.stop()


def test_wrong_password_is_auth_expired(fake, clock):
    config = fake.account_config()
    config = dataclasses.replace(config, secrets={**config.secrets, "APP_PASSWORD": "salah-salah-salah"})
    with pytest.raises(AuthExpired):
        BlueskyConnector(config, clock=clock).verify()


def test_revoked_credentials_are_auth_expired_and_the_session_file_is_dropped(fake, clock, tmp_path):
    bsky = BlueskyConnector(fake.account_config(state_dir=tmp_path), clock=clock)
    bsky.verify()
    assert list(tmp_path.iterdir())
    fake.expire_credentials()
    with pytest.raises(AuthExpired):
        bsky.publish(post("ditolak"))
    assert list(tmp_path.iterdir()) == []


# --- publish -----------------------------------------------------------------------------------
def test_record_shape_rkey_and_url(fake, bsky, clock):
    key = new_tid(T0, clock_id=5)
    published = bsky.publish(post("Tolak upah murah", key=key, link="https://kspi.or.id/a", language="id"))
    assert published.remote_id == f"at://{Fake.DID}/app.bsky.feed.post/{key}"
    assert published.url == f"https://bsky.app/profile/{Fake.HANDLE}/post/{key}"
    assert published.published_at == T0
    [call] = fake.calls("POST", "createRecord")
    body = call.json()
    assert call.header("Authorization").startswith("Bearer ")
    assert body["repo"] == Fake.DID and body["collection"] == "app.bsky.feed.post" and body["rkey"] == key
    record = body["record"]
    assert record["$type"] == "app.bsky.feed.post"
    assert record["text"] == "Tolak upah murah\n\nhttps://kspi.or.id/a"
    assert record["createdAt"] == "2026-11-30T01:00:00.000Z" and record["langs"] == ["id"]


def test_a_key_that_is_not_a_tid_is_refused_before_any_call(fake, bsky):
    with pytest.raises(Permanent, match="TID"):
        bsky.publish(post("kunci salah", key="delivery-17"))
    assert fake.calls("POST", "createRecord") == []


def test_over_300_graphemes_is_permanent(fake, bsky):
    with pytest.raises(Permanent, match="300 graphemes"):
        bsky.publish(post("e\u0301" * 301))  # 602 code points, 903 bytes, 301 graphemes
    bsky.publish(post("e\u0301" * 300))
    assert len(fake.posts()) == 1


def test_thread_refs_root_and_parent(fake, bsky):
    first = bsky.publish(post("Utas (1/3)"))
    second = bsky.publish(post("Utas (2/3)", reply_to=first.remote_id, thread_root=first.remote_id))
    third = bsky.publish(post("Utas (3/3)", reply_to=second.remote_id, thread_root=first.remote_id))
    fourth = bsky.publish(post("Utas (4/3)", reply_to=third.remote_id))  # root found from the parent
    ref = lambda p: {"uri": p.remote_id, "cid": fake.record(p.remote_id)["cid"]}  # noqa: E731
    assert fake.record(second.remote_id)["value"]["reply"] == {"root": ref(first), "parent": ref(first)}
    assert fake.record(third.remote_id)["value"]["reply"] == {"root": ref(first), "parent": ref(second)}
    assert fake.record(fourth.remote_id)["value"]["reply"] == {"root": ref(first), "parent": ref(third)}
    assert fake.reply_parent(third.remote_id) == second.remote_id


def test_reply_to_a_deleted_post_is_permanent(fake, bsky):
    first = bsky.publish(post("akan hilang"))
    fake.remove_post(first.remote_id)
    with pytest.raises(Permanent, match="gone"):
        bsky.publish(post("balasan", reply_to=first.remote_id))


def test_images_are_uploaded_as_blobs_with_alt_text(fake, bsky, tmp_path):
    a, b = tmp_path / "a.png", tmp_path / "b.jpg"
    a.write_bytes(PNG)
    b.write_bytes(b"\xff\xd8\xff" + b"\x00" * 100)
    published = bsky.publish(post("Foto aksi", media=(MediaFile(a, "image/png", "Massa aksi di depan DPR"),
                                                       MediaFile(b, "image/jpeg", ""))))
    uploads = fake.calls("POST", "uploadBlob")
    assert [u.header("Content-Type") for u in uploads] == ["image/png", "image/jpeg"]
    assert uploads[0].body == PNG
    embed = fake.record(published.remote_id)["value"]["embed"]
    assert embed["$type"] == "app.bsky.embed.images"
    assert [i["alt"] for i in embed["images"]] == ["Massa aksi di depan DPR", ""]
    assert embed["images"][0]["image"]["mimeType"] == "image/png" and embed["images"][0]["image"]["size"] == len(PNG)


def test_image_limits(fake, bsky, tmp_path):
    big = tmp_path / "big.jpg"
    big.write_bytes(b"\xff" * 2_000_001)
    small = tmp_path / "s.png"
    small.write_bytes(PNG)
    with pytest.raises(Permanent, match="2000000"):  # checked before the small one is uploaded
        bsky.publish(post("besar", media=(MediaFile(small, "image/png", "x"), MediaFile(big, "image/jpeg", "x"))))
    with pytest.raises(Permanent, match="at most 4"):
        bsky.publish(post("lima", media=tuple(MediaFile(small, "image/png") for _ in range(5))))
    assert fake.calls("POST", "uploadBlob") == []


# --- exactly once ------------------------------------------------------------------------------
def test_find_existing_is_an_exact_record_lookup(fake, bsky):
    p = post("Dicari dengan kunci")
    assert bsky.find_existing(p, since=T0) is None
    published = bsky.publish(p)
    found = bsky.find_existing(p, since=T0 + timedelta(days=300))  # since plays no part
    assert found is not None and found.remote_id == published.remote_id and found.published_at == T0
    assert bsky.find_existing(post("Dicari dengan kunci"), since=T0) is None  # same text, other key


def test_a_lost_create_answer_is_resolved_by_the_record_key(fake, bsky):
    p = post("Jawaban hilang")
    fake.fail_next(Failure.DROP_AFTER, path_contains="createRecord")
    published = bsky.publish(p)
    assert fake.create_count() == 1 and published.remote_id.endswith(p.idempotency_key)


@pytest.mark.parametrize("answer", [
    xrpc_error(500, "InternalServerError", "Internal Server Error"),
    xrpc_error(409, "RecordAlreadyExists", "Record already exists"),
    xrpc_error(400, "InvalidRequest", "Record already exists at that key"),
])
def test_create_answered_conflict_for_our_own_key_is_success(fake, bsky, answer):
    p = post("Sudah ada")
    first = bsky.publish(p)
    fake.duplicate_rkey_response = answer
    again = bsky.publish(p)
    assert again.remote_id == first.remote_id and fake.create_count() == 1


def test_a_taken_key_that_cannot_be_read_yet_is_already_published(fake, bsky):
    p = post("Sudah ada, belum terbaca")
    bsky.publish(p)
    fake.duplicate_rkey_response = xrpc_error(409, "RecordAlreadyExists", "Record already exists")
    # the look at the key fails: the key is still ours, and taken
    fake.fail_next(xrpc_error(502, "UpstreamFailure", "UpstreamFailure"), path_contains="getRecord")
    with pytest.raises(AlreadyPublished, match="RecordAlreadyExists") as info:
        bsky.publish(p)
    assert info.value.http_status == 409 and fake.create_count() == 1


def test_a_key_holding_another_post_is_permanent(fake, bsky):
    key = new_tid(T0, clock_id=900)
    bsky.publish(post("Teks pertama", key=key))
    with pytest.raises(Permanent, match="different post"):
        bsky.publish(post("Teks lain", key=key))


def test_a_5xx_with_no_record_behind_it_stays_transient(fake, bsky):
    bsky.verify()
    fake.server_error_next(502)
    with pytest.raises(Transient) as info:
        bsky.publish(post("Gagal 502"))
    assert info.value.outcome_unknown is True and fake.posts() == {}
    fake.server_error_next(503)
    with pytest.raises(Transient) as info:
        bsky.publish(post("Gagal 503"))
    assert info.value.outcome_unknown is False


# --- errors ------------------------------------------------------------------------------------
def test_rate_limit_uses_ratelimit_reset(fake, bsky):
    bsky.verify()
    fake.rate_limit_next(T0 + timedelta(minutes=20))
    with pytest.raises(RateLimited) as info:
        bsky.publish(post("terlalu cepat"))
    assert info.value.retry_at == T0 + timedelta(minutes=20)


def test_rate_limit_falls_back_to_retry_after(fake, bsky):
    bsky.verify()
    fake.fail_next(Response(429, {"error": "RateLimitExceeded", "message": "Rate Limit Exceeded"},
                            {"Retry-After": "90"}))
    with pytest.raises(RateLimited) as info:
        bsky.metrics([f"at://{Fake.DID}/app.bsky.feed.post/3jzfcijpj2z2a"])
    assert info.value.retry_at == T0 + timedelta(seconds=90)


def test_rate_limited_login_is_rate_limited(fake, bsky):
    fake.rate_limit_next(T0 + timedelta(minutes=5))
    with pytest.raises(RateLimited):
        bsky.verify()


# --- metrics, replies, delete ------------------------------------------------------------------
def test_metrics_in_batches_of_25(fake, bsky):
    uris = [bsky.publish(post(f"pos {i}")).remote_id for i in range(30)]
    fake.set_engagement(uris[0], likes=40, reposts=5, replies=3, quotes=2, bookmarks=6, impressions=999)
    fake.remove_post(uris[1])
    batch = bsky.metrics(uris + ["https://bsky.app/not-an-at-uri"])
    sizes = [len(r.query["uris"]) for r in fake.calls("GET", "getPosts")]
    assert sizes == [25, 5]
    assert batch.missing == {uris[1], "https://bsky.app/not-an-at-uri"}
    m = batch.found[uris[0]]
    assert (m.likes, m.reposts, m.replies, m.quotes, m.bookmarks, m.impressions) == (40, 5, 3, 2, 6, None)
    assert m.raw == {"likeCount": 40, "repostCount": 5, "replyCount": 3, "quoteCount": 2, "bookmarkCount": 6}


def test_replies_are_the_conversation_by_others_and_our_answers(fake, bsky):
    root = bsky.publish(post("Apa tuntutanmu?"))
    bsky.publish(post("(2/2) balas di sini", reply_to=root.remote_id, thread_root=root.remote_id))
    first = fake.add_reply(root.remote_id, "buruh.bsky.social", "Upah naik!", T0 + timedelta(minutes=3))
    nested = fake.add_reply(first, "lain.bsky.social", "setuju", T0 + timedelta(minutes=4))  # a reply to a reply
    second = fake.add_reply(root.remote_id, "ojol.bsky.social", "Status mitra", T0 + timedelta(minutes=8))
    answer = bsky.publish(post("Terima kasih, kumpul jam 9", reply_to=first, thread_root=root.remote_id, answer=True))
    replies = bsky.replies(root.remote_id)
    assert [(r.remote_id, r.author, r.text, r.language, r.in_reply_to, r.ours) for r in replies] == [
        (answer.remote_id, "kspi-test.bsky.social", "Terima kasih, kumpul jam 9", "id", first, True),
        (first, "buruh.bsky.social", "Upah naik!", "id", root.remote_id, False),
        (nested, "lain.bsky.social", "setuju", "id", first, False),
        (second, "ojol.bsky.social", "Status mitra", "id", root.remote_id, False)]
    assert replies[1].created_at == T0 + timedelta(minutes=3)
    assert replies[1].url == f"https://bsky.app/profile/buruh.bsky.social/post/{first.rsplit('/', 1)[1]}"
    # the answer went under the reply, in the post's thread
    record = fake.records[fake._key(answer.remote_id)]["value"]["reply"]
    assert (record["parent"]["uri"], record["root"]["uri"]) == (first, root.remote_id)
    # ``since`` leaves out older replies by others, never the account's answers
    assert [r.remote_id for r in bsky.replies(root.remote_id, since=T0 + timedelta(minutes=5))] == [
        answer.remote_id, second]
    fake.remove_post(root.remote_id)
    assert bsky.replies(root.remote_id) == []


def test_delete_and_delete_again(fake, bsky):
    published = bsky.publish(post("hapus"))
    bsky.delete(published.remote_id)
    assert fake.posts() == {}
    bsky.delete(published.remote_id)
    [first, second] = fake.calls("POST", "deleteRecord")
    assert first.json() == {"repo": Fake.DID, "collection": "app.bsky.feed.post",
                            "rkey": published.remote_id.rsplit("/", 1)[1]}


# --- secrets -----------------------------------------------------------------------------------
def test_no_secret_in_debug_logs_errors_or_reprs(fake, clock, caplog, tmp_path):
    caplog.set_level(logging.DEBUG)
    config = fake.account_config(state_dir=tmp_path)
    bsky = BlueskyConnector(config, clock=clock)
    texts = [repr(config), str(config), repr(bsky)]
    image = tmp_path / "p.png"
    image.write_bytes(PNG)
    published = bsky.publish(post("Rahasia @kspi-test.bsky.social", media=(MediaFile(image, "image/png", "x"),)))
    fake.expire_access_tokens()
    bsky.metrics([published.remote_id])               # refreshes the session
    failures = []
    for trigger in (lambda: bsky.publish(post("👨‍👩‍👧‍👧" * 301)),           # 400 InvalidRequest
                    lambda: (fake.server_error_next(500), bsky.metrics([published.remote_id])),
                    lambda: (fake.expire_credentials(), bsky.verify())):  # dead session
        with pytest.raises(Exception) as info:
            trigger()
        failures.append(info.value)
    bad = dataclasses.replace(config, state_dir=None,
                              secrets={**config.secrets, "APP_PASSWORD": config.secrets["APP_PASSWORD"] + "x"})
    with pytest.raises(AuthExpired) as info:
        BlueskyConnector(bad, clock=clock).verify()
    failures.append(info.value)
    texts += [str(e) for e in failures] + [repr(e) for e in failures]
    texts += [str(e.__cause__ or "") + str(e.__context__ or "") for e in failures]
    texts.append(caplog.text)
    texts += [json.dumps(r.__dict__, default=str) for r in caplog.records]
    assert {"urllib3.connectionpool", "connectors.http"} <= {r.name for r in caplog.records}
    secrets = fake.secret_values()
    assert len(secrets) >= 5  # the password and two pairs of session JWTs
    for secret in secrets:
        for text in texts:
            assert secret not in text


def test_access_jwt_lifetime_passing_triggers_one_refresh(fake, bsky):
    bsky.verify()
    fake.advance(fake.access_lifetime - timedelta(seconds=1))
    bsky.verify()
    assert fake.refreshes == 0
    fake.advance(timedelta(seconds=2))
    bsky.verify()
    assert fake.refreshes == 1 and sessions_made(fake) == 1


def test_a_failed_refresh_is_transient_and_never_outcome_unknown(fake, bsky):
    bsky.verify()
    fake.expire_access_tokens()
    fake.fail_next(xrpc_error(500, "InternalServerError", "Internal Server Error"), path_contains="refreshSession")
    with pytest.raises(Transient) as info:
        bsky.publish(post("tidak jadi"))
    assert info.value.outcome_unknown is False and fake.create_count() == 0
    assert [r.path.rsplit(".", 1)[1] for r in fake.requests[-2:]] == ["createRecord", "refreshSession"]


def test_the_fake_refuses_more_than_25_uris(fake, bsky):
    import requests

    bsky.verify()
    token = bsky._session.access
    uris = [f"at://{Fake.DID}/app.bsky.feed.post/{new_tid(T0)}" for _ in range(26)]
    resp = requests.get(f"{fake.base_url}/xrpc/app.bsky.feed.getPosts", params={"uris": uris},
                        headers={"Authorization": f"Bearer {token}"}, timeout=2)
    assert resp.status_code == 400 and resp.json()["error"] == "InvalidRequest"
