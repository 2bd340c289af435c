"""Facebook Page specifics: the pinned Graph version, photo posts, threads as comments, batch
metrics (views while allowed), throttling codes and their wait, error classes, find_existing, the
token's expiry from debug_token."""
from __future__ import annotations

import json
from datetime import timedelta, timezone

import pytest
import requests

from connectors.base import AlreadyPublished, AuthExpired, Permanent, RateLimited, Transient
from connectors.facebook import GRAPH_API_VERSION, FacebookConnector
from tests.connectors.conftest import new_post
from tests.fakes.facebook import Fake
from tests.fakes.server import Failure, Response

PAGE = Fake.PAGE_ID


@pytest.fixture
def fake(serve):
    return serve(Fake())


@pytest.fixture
def conn(fake, clock):
    return FacebookConnector(fake.account_config(), clock=clock)


def _fb_error(code, message="boom", status=400, **extra):
    return Response(status, {"error": {"message": message, "type": "OAuthException", "code": code,
                                       "fbtrace_id": "X", **extra}})


def test_every_call_uses_the_pinned_version(conn, fake, png):
    root = conn.publish(new_post(media=(png(),)))
    conn.publish(new_post(reply_to=root.remote_id, thread_root=root.remote_id))
    conn.metrics([root.remote_id])
    conn.verify()
    assert GRAPH_API_VERSION == "v27.0"
    assert fake.requests and all(r.path.startswith("/v27.0/") for r in fake.requests)


def test_text_post_sends_message_and_link(conn, fake):
    published = conn.publish(new_post("Tolak Tapera!", link="https://spn.example/tapera"))
    form = fake.calls("POST", "/feed")[-1].params()
    assert (form["message"], form["link"]) == ("Tolak Tapera!", "https://spn.example/tapera")
    assert form["access_token"] == Fake.TOKEN
    story = published.remote_id.split("_")[1]
    assert published.remote_id.startswith(f"{PAGE}_")
    assert published.url == f"https://www.facebook.com/{PAGE}/posts/{story}"


def test_one_image_is_a_photo_post_with_the_link_in_the_caption(conn, fake, png):
    published = conn.publish(new_post("Poster aksi", link="https://spn.example/aksi", media=(png(),)))
    sent = fake.calls("POST", "/photos")[-1].params()
    assert sent["caption"] == "Poster aksi\n\nhttps://spn.example/aksi"
    assert sent["source"].filename == "poster.png"
    assert fake.posts()[published.remote_id] == "Poster aksi\n\nhttps://spn.example/aksi"


def test_several_images_are_uploaded_unpublished_then_attached(conn, fake, png):
    published = conn.publish(new_post("Dokumentasi", media=tuple(png(f"f{i}") for i in range(3))))
    uploads = fake.calls("POST", "/photos")
    assert [u.params()["published"] for u in uploads] == ["false"] * 3
    feed = fake.calls("POST", "/feed")[-1].params()
    attached = [json.loads(feed[f"attached_media[{i}]"])["media_fbid"] for i in range(3)]
    assert fake.objects[published.remote_id]["photos"] == attached
    assert all(fake.photos[p]["used"] for p in attached)


def test_videos_are_not_supported(conn, tmp_path):
    from connectors.base import MediaFile, NotSupported
    clip = tmp_path / "aksi.mp4"
    clip.write_bytes(b"\x00" * 32)
    with pytest.raises(NotSupported):
        conn.publish(new_post(media=(MediaFile(clip, "video/mp4"),)))


def test_thread_parts_are_comments_on_the_first_post(conn, fake):
    root = conn.publish(new_post("Utas 1/3"))
    two = conn.publish(new_post("Utas 2/3", reply_to=root.remote_id, thread_root=root.remote_id))
    three = conn.publish(new_post("Utas 3/3", reply_to=two.remote_id, thread_root=root.remote_id))
    assert fake.reply_parent(two.remote_id) == fake.reply_parent(three.remote_id) == root.remote_id
    assert "?comment_id=" in three.url


def test_a_duplicate_message_is_already_published(conn):
    conn.publish(new_post("Sama persis"))
    with pytest.raises(AlreadyPublished, match="Duplicate status message") as info:
        conn.publish(new_post("Sama persis"))
    assert isinstance(info.value, Permanent) and info.value.http_status == 400


def test_fake_refuses_a_batch_over_50(fake):
    batch = [{"method": "GET", "relative_url": f"{PAGE}_{i}"} for i in range(51)]
    response = requests.post(f"{fake.base_url}/{GRAPH_API_VERSION}/",
                             data={"access_token": Fake.TOKEN, "batch": json.dumps(batch)}, timeout=5)
    assert response.status_code == 400 and response.json()["error"]["code"] == 100


def test_metrics_counts_views_and_absent_shares_as_zero(conn, fake, clock):
    a = conn.publish(new_post()).remote_id
    b = conn.publish(new_post()).remote_id
    fake.set_engagement(a, likes=12, reposts=3, impressions=900)
    fake.add_reply(a, "Budi", "Setuju", clock())
    batch = conn.metrics([a, b])
    ma, mb = batch.found[a], batch.found[b]
    assert (ma.likes, ma.reposts, ma.replies, ma.impressions) == (12, 3, 1, 900)
    assert ma.raw == {"reactions": 12, "comments": 1, "shares": 3, "post_media_view": 900}
    assert (mb.reposts, mb.quotes, mb.bookmarks, mb.clicks) == (0, None, None, None)


def test_refused_views_fall_back_to_counts_once_and_for_all(conn, fake):
    fake.views_supported = False
    remote_id = conn.publish(new_post()).remote_id
    fake.set_engagement(remote_id, likes=5)

    before = len(fake.requests)
    m = conn.metrics([remote_id]).found[remote_id]
    assert (m.likes, m.impressions) == (5, None)
    assert len(fake.requests) - before == 2 and conn.views_enabled is False

    before = len(fake.requests)
    conn.metrics([remote_id])
    assert len(fake.requests) - before == 1


def test_metrics_of_a_comment_are_unknown_not_missing(conn):
    root = conn.publish(new_post()).remote_id
    comment = conn.publish(new_post(reply_to=root, thread_root=root)).remote_id
    batch = conn.metrics([root, comment])
    assert root in batch.found and comment not in batch.found and comment not in batch.missing


@pytest.mark.parametrize("code", [4, 17, 32, 613, 80001])
def test_throttle_codes_wait_for_the_business_use_case_estimate(conn, fake, clock, code):
    fake.throttle_next(code, minutes=7)
    with pytest.raises(RateLimited) as caught:
        conn.publish(new_post())
    assert caught.value.retry_at == clock() + timedelta(minutes=7)
    assert caught.value.scope == ("app" if code == 4 else "account")


def test_throttle_without_an_estimate_waits_an_hour(conn, fake, clock):
    fake.throttle_next(17)
    with pytest.raises(RateLimited) as caught:
        conn.metrics(["1_2"])
    assert caught.value.retry_at == clock() + timedelta(hours=1)


def test_throttle_inside_a_batch_is_rate_limited(conn, fake, clock):
    remote_id = conn.publish(new_post()).remote_id
    fake.throttle_next(80001, minutes=3)  # the batch request itself answers the throttle
    with pytest.raises(RateLimited):
        conn.metrics([remote_id])


@pytest.mark.parametrize("error,expected", [
    (_fb_error(190, "Error validating access token", error_subcode=460), AuthExpired),
    (_fb_error(200, "(#200) Requires pages_manage_posts permission", status=403), AuthExpired),
    (_fb_error(10, "(#10) Permission denied", status=403), AuthExpired),
    (_fb_error(1, "An unknown error occurred", is_transient=True), Transient),
    (_fb_error(368, "(#368) The action attempted has been deemed abusive"), Permanent),
    (_fb_error(100, "(#100) Invalid parameter"), Permanent),
    (Response(502, b"<html>Bad Gateway</html>", {"Content-Type": "text/html"}), Transient),
])
def test_graph_errors_map_to_typed_errors(conn, fake, error, expected):
    fake.fail_next(error)
    with pytest.raises(expected):
        conn.publish(new_post())


def test_find_existing_reads_the_feed_across_pages(conn, fake, clock):
    target = new_post("Yang dicari di Facebook")
    published = conn.publish(target)
    for _ in range(105):
        conn.publish(new_post())
    found = conn.find_existing(target, clock() - timedelta(minutes=5))
    assert found is not None and found.remote_id == published.remote_id
    feed_reads = fake.calls("GET", "/feed")
    assert len(feed_reads) == 2 and feed_reads[0].query["since"]


def test_a_next_page_on_another_host_is_not_followed(conn, fake, serve, clock):
    elsewhere = serve(Fake())
    conn.publish(new_post("Yang lain"))
    fake.fail_next(Response(200, {"data": [], "paging": {"next": f"{elsewhere.base_url}/{GRAPH_API_VERSION}/"
                                                                 f"{PAGE}/feed?after=25"}}), path_contains="/feed")
    assert conn.find_existing(new_post("Yang dicari"), clock() - timedelta(minutes=5)) is None
    assert len(fake.calls("GET", "/feed")) == 1 and elsewhere.requests == []


def test_find_existing_for_a_thread_part_looks_in_the_comments(conn, clock):
    root = conn.publish(new_post()).remote_id
    part = new_post("Bagian kedua utas", reply_to=root, thread_root=root)
    published = conn.publish(part)
    found = conn.find_existing(part, clock() - timedelta(minutes=5))
    assert found is not None and found.remote_id == published.remote_id


def test_replies_are_comments_by_others(conn, fake, clock):
    root = conn.publish(new_post()).remote_id
    conn.publish(new_post("Bagian 2", reply_to=root, thread_root=root))
    fake.add_reply(root, "Siti Aminah", "Kapan aksinya?", clock())
    replies = conn.replies(root)
    assert [(r.author, r.text, r.language) for r in replies] == [("Siti Aminah", "Kapan aksinya?", None)]


def test_verify_reads_the_page(conn):
    identity = conn.verify()
    assert (identity.remote_id, identity.handle, identity.display_name, identity.url) == (
        PAGE, "spn.pusat", "Serikat Pekerja Nusantara", "https://www.facebook.com/spn.pusat")


def test_delete_of_a_missing_post_succeeds(conn, fake):
    conn.delete(f"{PAGE}_123")
    assert fake.calls("DELETE")[-1].path == f"/v27.0/{PAGE}_123"


# --- token expiry (debug_token) -----------------------------------------------------------------
def _in(clock, **kw):
    return clock().replace(microsecond=0) + timedelta(**kw)


def test_verify_reports_the_token_expiry_from_debug_token(conn, fake, clock):
    fake.token_expires_at = _in(clock, days=50)
    identity = conn.verify()
    assert identity.token_expires_at == fake.token_expires_at
    assert identity.token_expires_at.tzinfo == timezone.utc
    sent = fake.calls("GET", "/debug_token")[-1]
    assert sent.path == f"/{GRAPH_API_VERSION}/debug_token"
    assert sent.query["input_token"] == sent.query["access_token"] == [Fake.TOKEN]


@pytest.mark.parametrize("token_days,data_days,expected_days", [(60, 20, 20), (10, 90, 10), (None, 90, 90)])
def test_token_expiry_is_the_earlier_of_expires_at_and_data_access(conn, fake, clock, token_days, data_days,
                                                                   expected_days):
    fake.token_expires_at = _in(clock, days=token_days) if token_days else None
    fake.data_access_expires_at = _in(clock, days=data_days)
    assert conn.verify().token_expires_at == _in(clock, days=expected_days)


def test_a_token_that_never_expires_has_no_expiry(conn, fake):
    assert conn.verify().token_expires_at is None        # the fake sends expires_at 0, data_access 0
    assert len(fake.calls("GET", "/debug_token")) == 1


def test_absent_data_access_expiry_is_ignored(conn, fake, clock):
    fake.fail_next(Response(200, {"data": {"app_id": Fake.APP_ID, "type": "PAGE", "expires_at": 0,
                                           "is_valid": True, "profile_id": PAGE, "scopes": []}}),
                   path_contains="/debug_token")
    assert conn.verify().token_expires_at is None
    assert len(fake.calls("GET", "/debug_token")) == 1


@pytest.mark.parametrize("subcode", [458, 460, 463])
def test_a_token_debug_token_calls_invalid_is_auth_expired(conn, fake, subcode):
    fake.invalidate_token(subcode)
    with pytest.raises(AuthExpired, match=rf"no longer valid: Error validating access token.*subcode {subcode}"
                       ) as caught:
        conn.verify()
    assert Fake.TOKEN not in str(caught.value)


def test_debug_token_refusing_the_token_itself_is_auth_expired(conn, fake):
    fake.fail_next(_fb_error(190, "Error validating access token: Session has expired", error_subcode=463),
                   path_contains="/debug_token")
    with pytest.raises(AuthExpired, match="debug_token"):
        conn.verify()


def test_a_token_past_its_expiry_is_refused(conn, fake, clock):
    fake.token_expires_at = _in(clock, hours=1)
    conn.verify()
    clock.advance(hours=2)
    with pytest.raises(AuthExpired):
        conn.verify()


def test_throttled_debug_token_is_rate_limited(conn, fake, clock):
    conn.verify()
    fake.fail_next(_fb_error(4, "(#4) Application request limit reached"), path_contains="/debug_token")
    with pytest.raises(RateLimited) as caught:
        conn.verify()
    assert caught.value.scope == "app"


@pytest.mark.parametrize("refusal", [
    "not a developer of the app",
    _fb_error(200, "(#200) Requires the manage_app permission", status=403),
    _fb_error(10, "(#10) Permission denied", status=403),
    _fb_error(100, "(#100) Unsupported get request"),
    _fb_error(2, "An unexpected error has occurred.", status=500, is_transient=True),
    Response(502, b"<html>Bad Gateway</html>", {"Content-Type": "text/html"}),
    Response(200, b"<html>captive portal</html>", {"Content-Type": "text/html"}),
    Failure.DROP,
])
def test_verify_succeeds_without_expiry_when_debug_token_is_unavailable(conn, fake, clock, refusal):
    fake.token_expires_at = _in(clock, days=5)
    if refusal == "not a developer of the app":
        fake.debug_token_refused = True
    else:
        fake.fail_next(refusal, path_contains="/debug_token")
    identity = conn.verify()
    assert (identity.remote_id, identity.handle, identity.token_expires_at) == (PAGE, "spn.pusat", None)
    assert len(fake.calls("GET", "/debug_token")) == 1


def test_fake_debug_token_checks_both_tokens(fake):
    url = f"{fake.base_url}/{GRAPH_API_VERSION}/debug_token"

    def get(**params):
        return requests.get(url, params=params, timeout=5)

    missing_input = get(access_token=Fake.TOKEN)
    assert missing_input.status_code == 400 and missing_input.json()["error"]["code"] == 100
    missing_access = get(input_token=Fake.TOKEN)
    assert missing_access.status_code == 400 and missing_access.json()["error"]["code"] == 2500
    wrong_access = get(input_token=Fake.TOKEN, access_token="EAAnot-the-token")
    assert wrong_access.status_code == 400 and wrong_access.json()["error"]["code"] == 190
    wrong_input = get(input_token="EAAnot-the-token", access_token=Fake.TOKEN).json()["data"]
    assert wrong_input["is_valid"] is False and wrong_input["error"]["code"] == 190
    ok = get(input_token=Fake.TOKEN, access_token=Fake.TOKEN).json()["data"]
    assert (ok["is_valid"], ok["type"], ok["profile_id"], ok["expires_at"], ok["data_access_expires_at"]) == (
        True, "PAGE", PAGE, 0, 0)


def test_the_token_never_reaches_logs_or_errors_through_debug_token(fake, clock, all_logs, caplog):
    conn = FacebookConnector(fake.account_config(), clock=clock)
    fake.token_expires_at = _in(clock, days=30)
    seen = [repr(conn.verify())]
    fake.debug_token_refused = True
    seen.append(repr(conn.verify()))
    fake.debug_token_refused = False
    for trigger in (lambda: fake.fail_next(Failure.DROP, path_contains="/debug_token"),
                    lambda: fake.fail_next(_fb_error(2, f"boom {Fake.TOKEN}", status=500), path_contains="/debug_token")):
        trigger()
        seen.append(repr(conn.verify()))
    for trigger in (lambda: fake.invalidate_token(460),
                    lambda: fake.fail_next(_fb_error(190, f"Malformed access token {Fake.TOKEN}"),
                                           path_contains="/debug_token")):
        trigger()
        with pytest.raises(AuthExpired) as caught:
            conn.verify()
        seen += [str(caught.value), repr(caught.value)]
    logged = all_logs.getvalue() + caplog.text + "".join(json.dumps(r.__dict__, default=str) for r in caplog.records)
    assert "debug_token" in logged and "urllib3.connectionpool" in {r.name for r in caplog.records}
    assert "expiry stays unknown" in logged
    for text in [logged, *seen]:
        assert Fake.TOKEN not in text
