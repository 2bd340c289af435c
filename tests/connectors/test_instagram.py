"""Instagram specifics against the fake (which downloads each media URL from a real web server):
the container flow (images, carousels made in parallel, reels being processed), resuming from
progress, exactly once after a lost media_publish, Meta's publishing errors, the quota and its daily
limit, metrics per media product type, comments, token renewal. Time moves by the test clock only."""
from __future__ import annotations

import dataclasses
import socket
import threading
from datetime import timedelta

import pytest

from connectors import meta
from connectors.base import (AlreadyPublished, AuthExpired, MediaFile, NotReady, NotSupported, Permanent, Quota,
                             RateLimited, Transient)
from connectors.instagram import GRAPH_API_VERSION, InstagramConnector
from tests.connectors.conftest import new_post
from tests.fakes.instagram import TOKEN, USER_ID, USERNAME, Fake
from tests.fakes.server import Failure, Response
from tests.fakes.webdir import jpeg_bytes, png_bytes


@pytest.fixture
def fake(serve):
    return serve(Fake())


@pytest.fixture
def conn(fake, clock):
    return InstagramConnector(fake.account_config(), clock=clock)


def _ig_error(code, subcode=None, message="boom", status=400, **extra):
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "X", **extra}
    if subcode is not None:
        error["error_subcode"] = subcode
    return Response(status, {"error": error})


def post_with(fake, *kinds, text=None, **fields):
    return new_post(text, media=fake.sample_media(*kinds), **fields)


def until_done(conn, outgoing, clock, limit=30):
    """Publish as the engine does: on NotReady, move the clock to check_at and call again."""
    delays = []
    for _ in range(limit):
        try:
            return conn.publish(outgoing), delays
        except NotReady as exc:
            delays.append((exc.check_at - clock()).total_seconds())
            clock.now = exc.check_at
            outgoing = dataclasses.replace(outgoing, progress=exc.progress)
    raise AssertionError("never published")


def creates(fake):
    return [r for r in fake.calls("POST") if r.path.endswith(f"/{USER_ID}/media")]


# --- publishing ---------------------------------------------------------------------------------------
def test_one_image_is_a_container_then_media_publish_with_the_token_in_the_form(conn, fake):
    outgoing = post_with(fake, "image", text="Tolak Tapera!", link="https://spn.example/tapera")
    published = conn.publish(outgoing)

    sent = creates(fake)[-1]
    form = sent.params()
    assert sent.path == f"/{GRAPH_API_VERSION}/{USER_ID}/media" and GRAPH_API_VERSION == "v27.0"
    assert form["image_url"] == outgoing.media[0].url and form["alt_text"] == outgoing.media[0].alt_text
    assert form["caption"] == "Tolak Tapera!\n\nhttps://spn.example/tapera"
    assert form["access_token"] == TOKEN and "access_token" not in sent.query
    assert fake.downloads == [outgoing.media[0].url]          # Meta fetched it from the web server
    publish = fake.calls("POST", "/media_publish")[-1].params()
    assert list(fake.containers) == [publish["creation_id"]]
    assert fake.containers[publish["creation_id"]]["status"] == "PUBLISHED"
    assert fake.posts()[published.remote_id] == form["caption"]
    assert published.url and published.url.startswith("https://www.instagram.com/p/")
    assert [r.method for r in fake.requests] == ["POST", "POST", "GET"]   # create, publish, permalink


def test_a_carousel_makes_its_children_in_parallel_and_captions_only_the_parent(conn, fake, clock):
    peak, lock = [0], threading.Lock()

    def watch(req):
        with lock:
            peak[0] = max(peak[0], fake._in_flight)
    fake.on_request = watch
    fake.latency = 0.05                                      # requests overlap only if sent together
    outgoing = post_with(fake, *["image"] * 10, text="Sepuluh poster aksi")
    published = conn.publish(outgoing)

    sent = [r.params() for r in creates(fake)]
    children, parent = sent[:10], sent[10]
    assert all(c["is_carousel_item"] == "true" and "caption" not in c for c in children)
    assert sorted(c["image_url"] for c in children) == sorted(m.url for m in outgoing.media)
    assert parent["media_type"] == "CAROUSEL" and parent["caption"] == "Sepuluh poster aksi"
    ids = parent["children"].split(",")
    assert len(set(ids)) == 10 and all(fake.containers[i]["item"] for i in ids)
    assert peak[0] > 1, "the children were created one after another"
    assert fake.posts()[published.remote_id] == "Sepuluh poster aksi"


def test_carousel_children_keep_the_order_of_the_media(conn, fake):
    outgoing = post_with(fake, "image", "video", "image")
    until_done(conn, outgoing, conn.clock)
    parent = creates(fake)[-1].params()
    assert [fake.containers[i]["url"] for i in parent["children"].split(",")] == [m.url for m in outgoing.media]
    video = next(r.params() for r in creates(fake) if r.params().get("video_url"))
    assert video["media_type"] == "VIDEO" and video["is_carousel_item"] == "true"


def test_a_reel_is_polled_sooner_first_and_published_once_ready(conn, fake, clock):
    fake.processing_checks = 5
    outgoing = post_with(fake, "video", text="Video aksi May Day")
    (published, delays) = until_done(conn, outgoing, clock)

    form = creates(fake)[0].params()
    assert form["media_type"] == "REELS" and form["video_url"] == outgoing.media[0].url
    assert "alt_text" not in form
    assert len(creates(fake)) == 1                           # resumed, never made again
    assert delays == [2, 5, 10, 20, 30, 60]
    container = next(iter(fake.containers))
    reads = fake.calls("GET", f"/{container}")
    assert len(reads) == 6 and all(r.query["fields"] == ["status_code,status"] for r in reads)
    assert fake.posts()[published.remote_id] == "Video aksi May Day"
    assert published.url.startswith("https://www.instagram.com/reel/")


def test_not_ready_keeps_the_container_and_its_poll_count(conn, fake, clock):
    outgoing = post_with(fake, "video")
    with pytest.raises(NotReady) as first:
        conn.publish(outgoing)
    assert first.value.check_at == clock() + timedelta(seconds=2)
    kept = first.value.progress["items"][0]
    assert kept["id"] in fake.containers and kept["polls"] == 0
    assert not fake.calls("GET")                            # just made: nothing to ask yet
    clock.now = first.value.check_at
    with pytest.raises(NotReady) as second:
        conn.publish(dataclasses.replace(outgoing, progress=first.value.progress))
    assert second.value.progress["items"][0] == {**kept, "polls": 1, "next_check": second.value.check_at.isoformat()}
    assert second.value.check_at == clock() + timedelta(seconds=5)


def test_a_video_still_processing_after_five_minutes_is_dropped(conn, fake, clock):
    fake.processing_checks = 100
    with pytest.raises(Transient) as caught:
        until_done(conn, post_with(fake, "video"), clock)
    assert "still being processed after 5 minutes" in str(caught.value)
    assert caught.value.progress == {} and not caught.value.outcome_unknown
    assert fake.create_count() == 0


def test_a_container_meta_could_not_process_fails_with_metas_words(conn, fake, clock):
    fake.fail_processing("Error: Media upload has failed with error code 2207026")
    with pytest.raises(Permanent) as caught:
        until_done(conn, post_with(fake, "video"), clock)
    assert str(caught.value) == ("instagram: Meta could not prepare the media: "
                                 "Error: Media upload has failed with error code 2207026")
    assert caught.value.progress == {}


def test_a_container_a_day_old_is_replaced(conn, fake, clock):
    outgoing = post_with(fake, "video")
    with pytest.raises(NotReady) as caught:
        conn.publish(outgoing)
    clock.advance(hours=25)
    published, _ = until_done(conn, dataclasses.replace(outgoing, progress=caught.value.progress), clock)
    assert len(creates(fake)) == 2
    assert fake.posts()[published.remote_id] == outgoing.text


def test_an_expired_container_is_made_anew_in_the_same_call(conn, fake, clock):
    outgoing = post_with(fake, "image")
    fake.fail_next(Failure.DROP, path_contains="/media_publish")
    with pytest.raises(Transient) as caught:
        conn.publish(outgoing)
    fake.expire_container(caught.value.progress["items"][0]["id"])
    published = conn.publish(dataclasses.replace(outgoing, progress=caught.value.progress))
    assert len(creates(fake)) == 2 and fake.create_count() == 1
    assert fake.posts()[published.remote_id] == outgoing.text


def test_meta_saying_the_container_expired_at_publish_makes_a_new_one(conn, fake):
    fake.fail_next(_ig_error(-2, 2207020, "The media you are trying to access has expired. Please try to upload "
                             "again."), path_contains="/media_publish")
    published = conn.publish(post_with(fake, "image", "image"))
    assert len(creates(fake)) == 6 and fake.create_count() == 1
    assert published.remote_id in fake.posts()


def test_not_ready_at_publish_is_not_ready(conn, fake, clock):
    fake.fail_next(_ig_error(9007, 2207027, "The media is not ready for publishing, please wait for a moment"),
                   path_contains="/media_publish")
    with pytest.raises(NotReady) as caught:
        conn.publish(post_with(fake, "image", "image"))
    assert caught.value.check_at == clock() + timedelta(seconds=2)
    assert caught.value.progress["parent"]["id"] in fake.containers


def test_refused_before_any_request(conn, fake, tmp_path):
    jpeg = fake.sample_media("image")[0]
    cases = [
        (new_post(), "needs at least one image or video"),
        (new_post(media=(dataclasses.replace(jpeg, url=None),)), "configure [media]"),
        (new_post(media=(dataclasses.replace(jpeg, mime_type="image/png"),)), "JPEG images and MP4/MOV videos"),
        (new_post(media=(jpeg,) * 11), "at most 10"),
        (new_post("x" * 2201, media=(jpeg,)), "at most 2200"),
    ]
    before = len(fake.requests)
    for outgoing, words in cases:
        with pytest.raises(Permanent, match=words.replace("[", r"\[").replace("]", r"\]")):
            conn.publish(outgoing)
    with pytest.raises(NotSupported, match="thread"):
        conn.publish(new_post(media=(jpeg,), reply_to="17900000000000001"))
    assert len(fake.requests) == before


@pytest.mark.parametrize("kind, words", [
    ("redirect", "Only photo or video can be accepted as media type.: The media could not be fetched from this uri"),
    ("html", "Only photo or video can be accepted as media type."),
    ("png", "The image format is not supported.: The image format is not supported. Supported format: JPEG "
            "(code 36001, subcode 2207005)"),
    ("missing", "The media could not be fetched"),
    ("wide", "cannot be published. Please submit an image with a valid aspect ratio. (code 36003, subcode 2207009)"),
])
def test_what_metas_fetcher_refuses_is_permanent_in_its_words(conn, fake, kind, words):
    name = {"redirect": "drive.jpg", "html": "index.html", "png": "poster.jpg", "missing": "gone.jpg",
            "wide": "wide.jpg"}[kind]
    if kind == "redirect":
        url = fake.web.redirect(name, "https://drive.example/file/d/abc/view")
    elif kind == "html":
        url = fake.web.put(name, b"<html><body>Selamat datang</body></html>")
    elif kind == "png":
        url = fake.web.put(name, png_bytes())             # named .jpg, served as image/jpeg: Meta reads the bytes
    elif kind == "wide":
        url = fake.web.put(name, jpeg_bytes(400, 100))
    else:
        url = fake.web.url(name)
    media = MediaFile(path=fake.web.folder / name, mime_type="image/jpeg", url=url)
    with pytest.raises(Permanent) as caught:
        conn.publish(new_post(media=(media,)))
    assert words in str(caught.value)
    assert fake.downloads == [url] and fake.create_count() == 0


def test_a_media_server_too_slow_for_metas_fetcher_is_a_passing_failure(conn, fake):
    with socket.socket() as silent:            # takes the connection, never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        fake.download_timeout = 0.2
        url = f"http://127.0.0.1:{silent.getsockname()[1]}/poster.jpg"
        with pytest.raises(Transient, match=r"It takes too long to download the media. \(code -2, subcode 2207003\)"):
            conn.publish(new_post(media=(MediaFile(path=fake.web.folder / "poster.jpg", mime_type="image/jpeg",
                                                   url=url),)))
    assert fake.downloads == [url] and fake.create_count() == 0


def test_a_video_that_is_not_mp4_is_refused_by_meta(conn, fake):
    url = fake.web.put("clip.mp4", b"not a video at all" * 10)
    with pytest.raises(Permanent, match="2207026"):
        conn.publish(new_post(media=(MediaFile(path=fake.web.folder / "clip.mp4", mime_type="video/mp4", url=url),)))


# --- exactly once ---------------------------------------------------------------------------------------
def test_a_lost_media_publish_answer_is_settled_from_the_container(conn, fake, clock):
    since = clock() - timedelta(minutes=1)
    outgoing = post_with(fake, "image", "image")
    fake.fail_next(Failure.DROP_AFTER, path_contains="/media_publish")
    with pytest.raises(Transient) as caught:
        conn.publish(outgoing)
    assert caught.value.outcome_unknown
    progress = caught.value.progress
    assert progress["publishing_at"] == clock().isoformat() and progress["parent"]["id"] in fake.containers

    kept = dataclasses.replace(outgoing, progress=progress)
    found = conn.find_existing(kept, since)
    assert found is not None and fake.posts()[found.remote_id] == outgoing.text
    assert found.url.startswith("https://www.instagram.com/p/")
    with pytest.raises(AlreadyPublished):                     # sending again reads the container first
        conn.publish(kept)
    assert fake.create_count() == 1 and len(creates(fake)) == 3


def test_a_media_publish_that_never_arrived_is_sent_again_with_the_same_container(conn, fake, clock):
    since = clock() - timedelta(minutes=1)
    outgoing = post_with(fake, "image")
    fake.fail_next(Failure.DROP, path_contains="/media_publish")
    with pytest.raises(Transient) as caught:
        conn.publish(outgoing)
    assert caught.value.outcome_unknown                       # the connection broke: it may have landed
    kept = dataclasses.replace(outgoing, progress=caught.value.progress)
    assert conn.find_existing(kept, since) is None            # the container is FINISHED, not PUBLISHED
    published = conn.publish(kept)
    assert len(creates(fake)) == 1 and fake.create_count() == 1
    assert fake.posts()[published.remote_id] == outgoing.text


def test_a_published_container_whose_media_is_not_listed_yet_is_looked_for_again(conn, fake, clock):
    outgoing = post_with(fake, "image")
    fake.fail_next(Failure.DROP_AFTER, path_contains="/media_publish")
    with pytest.raises(Transient) as caught:
        conn.publish(outgoing)
    fake.media.clear()                                        # not in the account's media list (yet)
    with pytest.raises(Transient, match="not among the account's recent media yet"):
        conn.find_existing(dataclasses.replace(outgoing, progress=caught.value.progress), clock())


def test_a_lost_container_create_is_not_an_unknown_outcome(conn, fake):
    fake.fail_next(Failure.DROP_AFTER, path_contains=f"/{USER_ID}/media")  # the first: a create
    with pytest.raises(Transient) as caught:
        conn.publish(post_with(fake, "image"))
    assert not caught.value.outcome_unknown                   # a container is not a post
    assert fake.create_count() == 0


def test_one_failed_child_keeps_the_others_for_the_next_call(conn, fake):
    outgoing = post_with(fake, "image", "image", "image")
    fake.fail_next(_ig_error(-2, 2207003, "It takes too long to download the media."),
                   path_contains=f"/{USER_ID}/media")
    with pytest.raises(Transient) as caught:
        conn.publish(outgoing)
    kept = [k for k in caught.value.progress["items"] if k]
    assert len(kept) == 2
    conn.publish(dataclasses.replace(outgoing, progress=caught.value.progress))
    assert len(creates(fake)) == 3 + 1 + 1                     # the missing child, then the carousel


# --- errors ---------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("error, kind, words", [
    (_ig_error(4, 2207051, "We restrict certain activity to protect our community. Tell us if you think we made a "
                           "mistake."), Permanent, "suspects this post is spam"),
    (_ig_error(-1, 2207001, "Instagram server error. Try again."), Transient, "(code -1, subcode 2207001)"),
    (_ig_error(-1, 2207032, "Create media fail, please try to re-create media"), Transient, "subcode 2207032"),
    (_ig_error(190, None, "Error validating access token: Session has expired"), AuthExpired, "code 190"),
    (_ig_error(10, None, "(#10) Application does not have permission for this action"), AuthExpired, "code 10"),
    (_ig_error(100, None, "(#100) Invalid parameter"), Permanent, "(code 100)"),
    (Response(502, b"<html>Bad gateway</html>"), Transient, "server error 502"),
])
def test_metas_publishing_errors(conn, fake, error, kind, words):
    fake.fail_next(error, path_contains="/media_publish")
    with pytest.raises(kind) as caught:
        conn.publish(post_with(fake, "image"))
    assert words in str(caught.value)
    assert fake.create_count() == 0


def test_the_daily_limit_waits_until_the_oldest_post_of_the_day_leaves_the_window(conn, fake, clock):
    fake.quota_total = 2
    first = clock()
    conn.publish(post_with(fake, "image"))
    clock.advance(hours=3)
    conn.publish(post_with(fake, "image"))
    clock.advance(hours=1)
    with pytest.raises(RateLimited) as caught:
        conn.publish(post_with(fake, "image"))
    assert isinstance(caught.value, meta.DailyLimitReached)
    assert caught.value.retry_at == first + timedelta(hours=24)
    assert "2207042" in str(caught.value) and caught.value.progress["items"][0]["id"]
    assert conn.quota() == Quota(used=2, total=2, window=timedelta(hours=24))


def test_throttling_waits_as_the_usage_header_says(conn, fake, clock):
    fake.rate_limit_next(clock() + timedelta(minutes=42))
    with pytest.raises(RateLimited) as caught:
        conn.metrics(["17900000000000001"])
    assert caught.value.retry_at == clock() + timedelta(minutes=42)


# --- identity, quota, token -------------------------------------------------------------------------------------
def test_verify_names_the_account_and_its_quota_but_not_the_tokens_expiry(conn, fake):
    conn.publish(post_with(fake, "image"))
    identity = conn.verify()
    assert (identity.remote_id, identity.handle) == (USER_ID, USERNAME)
    assert identity.url == f"https://www.instagram.com/{USERNAME}/"
    assert identity.quota == Quota(used=1, total=50, window=timedelta(hours=24))
    assert identity.token_expires_at is None
    assert fake.calls("GET", "/me")[0].query["fields"] == ["user_id,username,name"]


def test_a_token_of_another_account_is_refused(fake, clock):
    config = fake.account_config()
    config = dataclasses.replace(config, secrets={**config.secrets, "USER_ID": "17841400000000099"})
    with pytest.raises(AuthExpired, match=f"set USER_ID to {USER_ID}"):
        InstagramConnector(config, clock=clock).verify()


def test_a_token_is_renewed_for_sixty_days_and_used_from_then_on(conn, fake, clock, all_logs):
    refreshed = conn.refresh_token()
    assert refreshed.secret == "ACCESS_TOKEN" and refreshed.value != TOKEN
    assert refreshed.expires_at == clock() + timedelta(seconds=5183944)
    call = fake.calls("GET", "/refresh_access_token")[0]
    assert call.path == "/refresh_access_token" and call.query["grant_type"] == ["ig_refresh_token"]
    conn.verify()
    assert fake.calls("GET", "/me")[-1].query["access_token"] == [refreshed.value]
    assert refreshed.value not in repr(refreshed)
    assert refreshed.value not in all_logs.getvalue() and TOKEN not in all_logs.getvalue()


def test_a_token_younger_than_a_day_is_not_renewed_yet(conn, fake, clock):
    fake.issue_token(clock() - timedelta(hours=3))
    with pytest.raises(NotSupported, match="at least 24 hours old"):
        conn.refresh_token()


def test_a_refused_token_cannot_be_renewed(conn, fake):
    fake.expire_credentials()
    with pytest.raises(AuthExpired):
        conn.refresh_token()


# --- metrics ------------------------------------------------------------------------------------------------------
def test_metrics_map_metas_names_and_keep_them_raw(conn, fake):
    reel = until_done(conn, post_with(fake, "video"), conn.clock)[0].remote_id
    fake.set_engagement(reel, likes=40, impressions=900, reach=700, bookmarks=12, shares=9)
    fake.add_reply(reel, "rina_buruh", "Mantap!", conn.clock())
    m = conn.metrics([reel]).found[reel]
    assert (m.likes, m.replies, m.impressions, m.reach, m.bookmarks, m.shares) == (40, 1, 900, 700, 12, 9)
    assert m.reposts is None and m.quotes is None and m.clicks is None
    assert m.raw["views"] == 900 and m.raw["saved"] == 12 and m.raw["total_interactions"] == 62
    assert m.raw["media_product_type"] == "REELS"


def test_a_refused_metric_is_asked_without_and_remembered_per_product_type(conn, fake):
    image = conn.publish(post_with(fake, "image")).remote_id
    fake.set_engagement(image, impressions=50, shares=3)
    first = conn.metrics([image]).found[image]
    assert first.shares is None and first.impressions == 50      # FEED refuses shares: not known, not 0
    asked = [r.query["metric"][0] for r in fake.calls("GET", "/insights")]
    assert "shares" in asked[0] and "shares" not in asked[1] and len(asked) == 2
    conn.metrics([image])
    assert "shares" not in fake.calls("GET", "/insights")[-1].query["metric"][0]
    assert len(fake.calls("GET", "/insights")) == 3


def test_views_refused_for_reels_in_the_other_words_meta_uses(conn, fake, clock):
    fake.refused_metrics["REELS"] = {"views": "(#100) The Media Insights API does not support the views metric "
                                              "for this media product type."}
    reel = until_done(conn, post_with(fake, "video"), clock)[0].remote_id
    fake.set_engagement(reel, reach=10, shares=2)
    m = conn.metrics([reel]).found[reel]
    assert m.impressions is None and (m.reach, m.shares) == (10, 2)


def test_not_enough_viewers_is_not_known_never_zero(conn, fake):
    image = conn.publish(post_with(fake, "image")).remote_id
    fake.set_engagement(image, likes=3)
    fake.few_viewers.add(image)
    m = conn.metrics([image]).found[image]
    assert m.impressions is None and m.reach is None and m.bookmarks is None and m.shares is None
    assert m.likes == 3 and m.replies == 0                       # counts on the media itself are known
    assert m.raw["insights"] == "not enough viewers"


def test_missing_media_are_missing(conn, fake):
    kept = conn.publish(post_with(fake, "image")).remote_id
    batch = conn.metrics([kept, "17999999999999999"])
    assert set(batch.found) == {kept} and batch.missing == {"17999999999999999"}


# --- replies -------------------------------------------------------------------------------------------------------
def test_comments_and_their_replies_are_replies_and_the_accounts_own_answers_are_ours(conn, fake, clock):
    media = conn.publish(post_with(fake, "image")).remote_id
    top = fake.add_reply(media, "rina_buruh", "Setuju!", clock())
    answer = fake.add_reply(media, "budi.serikat", "Ayo aksi!", clock() + timedelta(minutes=1), parent=top)
    ours = fake.add_reply(media, USERNAME, "Terima kasih, kawan", clock() + timedelta(minutes=2), parent=top)
    fake.add_reply(media, USERNAME, "Info lengkap di bio", clock() + timedelta(minutes=3))  # its own comment
    replies = conn.replies(media)
    assert {(r.remote_id, r.author, r.text, r.in_reply_to, r.ours) for r in replies} == {
        (top, "rina_buruh", "Setuju!", media, False), (answer, "budi.serikat", "Ayo aksi!", top, False),
        (ours, USERNAME, "Terima kasih, kawan", top, True)}
    assert all(r.created_at.tzinfo is not None for r in replies)
    # ``since`` leaves out older comments by others, never the account's answers
    assert [r.remote_id for r in conn.replies(media, since=clock() + timedelta(seconds=30))] == [answer, ours]


def test_replies_read_a_bounded_number_of_pages(conn, fake, clock):
    media = conn.publish(post_with(fake, "image")).remote_id
    for n in range(300):
        fake.add_reply(media, f"anggota{n}", f"komentar {n}", clock())
    before = len(fake.calls("GET", "/comments"))
    replies = conn.replies(media)
    assert len(fake.calls("GET", "/comments")) - before == 5 and len(replies) == 250


def test_delete_is_not_offered_by_instagram_login(conn, fake):
    media = conn.publish(post_with(fake, "image")).remote_id
    with pytest.raises(NotSupported, match="delete it in the Instagram app"):
        conn.delete(media)
    assert media in fake.posts()


def test_secrets_stay_out_of_errors_on_every_path(conn, fake, clock):
    fake.fail_next(_ig_error(100, None, f"(#100) bad token {TOKEN} echoed"), path_contains="/media_publish")
    with pytest.raises(Permanent) as caught:
        conn.publish(post_with(fake, "image"))
    assert TOKEN not in str(caught.value) and "***" in str(caught.value)
    fake.fail_next(Failure.DROP, path_contains="/media_publish")
    with pytest.raises(Transient) as dropped:
        conn.publish(post_with(fake, "image"))
    assert TOKEN not in str(dropped.value) and TOKEN not in repr(dropped.value.progress)
