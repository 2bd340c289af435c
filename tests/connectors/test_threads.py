"""Threads specifics: the container flow (text, image, video, carousel, a thread as a reply chain),
media Meta fetches from a real local web server, ``NotReady`` driven by the test clock, settling an
unknown outcome from the kept container, insights with a refused metric, replies, quota, token
expiry and renewal, and the errors Threads answers."""
from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta, timezone

import pytest

from connectors.base import (AlreadyPublished, AuthExpired, MediaFile, NotReady, NotSupported, Permanent,
                             RateLimited, Transient)
from connectors.meta import DailyLimitReached
from connectors.threads import API_VERSION, ThreadsConnector
from content.length import length
from tests.connectors.conftest import new_post
from tests.fakes.server import Failure, Response
from tests.fakes.threads import Fake, threads_count
from tests.fakes.webdir import MP4_BYTES, jpeg_bytes, png_bytes

MP4 = MP4_BYTES
MOV = b"\x00\x00\x00\x14ftypqt  \x00\x00\x02\x00qt  " + b"\x00" * 64


@pytest.fixture
def fake(serve):
    return serve(Fake())


@pytest.fixture
def conn(fake, clock):
    return ThreadsConnector(fake.account_config(), clock=clock)


@pytest.fixture
def web(fake):
    """The union's web server serving the [media] folder, which the fake fetches media from."""
    return fake.web


HTML_PAGE = b"<!DOCTYPE html><html><head><title>Google Drive</title></head><body>Sign in</body></html>"


@pytest.fixture
def media(web, tmp_path):
    """``media(name, data, mime)``: a file kept locally and put on the web server, as the engine
    does with ``[media]`` before publishing."""
    def _media(name: str, data: bytes | None = None, mime: str = "image/jpeg", alt: str = "") -> MediaFile:
        data = jpeg_bytes(color=(200, len(name) % 256, 30)) if data is None else data
        path = tmp_path / name
        path.write_bytes(data)
        return MediaFile(path, mime, alt, url=web.put(name, data))
    return _media


def _until_published(conn, clock, post, *, limit=20):
    """Call ``publish`` as the engine does: on ``NotReady`` keep the progress, move the clock to
    ``check_at`` and call again. Returns (Published, the NotReady answers)."""
    waits = []
    for _ in range(limit):
        try:
            return conn.publish(post), waits
        except NotReady as wait:
            assert wait.check_at > clock() and wait.progress
            waits.append(wait)
            clock.now = wait.check_at
            post = replace(post, progress=wait.progress)
    raise AssertionError("never published")


# --- publishing --------------------------------------------------------------------------------------
def test_text_post_is_a_container_then_threads_publish(conn, fake):
    published = conn.publish(new_post("Tolak Tapera!", link="https://spn.example/tapera"))
    created = fake.calls("POST", "/threads")
    assert len(created) == 2 and created[0].path == f"/{API_VERSION}/{Fake.USER_ID}/threads"
    sent = created[0].params()
    assert (sent["media_type"], sent["text"]) == ("TEXT", "Tolak Tapera!\n\nhttps://spn.example/tapera")
    assert sent["access_token"] == Fake.TOKEN and "reply_to_id" not in sent
    assert created[1].path.endswith("/threads_publish")
    assert created[1].params()["creation_id"] in fake.containers
    assert fake.posts()[published.remote_id] == "Tolak Tapera!\n\nhttps://spn.example/tapera"
    shortcode = fake.objects[published.remote_id]["shortcode"]
    assert published.url == f"https://www.threads.com/@{Fake.USERNAME}/post/{shortcode}"
    assert all(r.path.startswith(f"/{API_VERSION}/") for r in fake.requests)


def test_without_user_id_the_token_speaks_for_me(fake, clock):
    config = fake.account_config()
    config = replace(config, secrets={"ACCESS_TOKEN": Fake.TOKEN})
    conn = ThreadsConnector(config, clock=clock)
    published = conn.publish(new_post("Upah layak"))
    assert fake.calls("POST", "/threads")[0].path == f"/{API_VERSION}/me/threads"
    assert conn.verify().remote_id == Fake.USER_ID and published.remote_id in fake.posts()


def test_a_thread_is_a_chain_of_replies(conn, fake):
    first = conn.publish(new_post("1/3 Tolak outsourcing"))
    second = conn.publish(new_post("2/3 Upah layak", reply_to=first.remote_id, thread_root=first.remote_id))
    third = conn.publish(new_post("3/3 Turun ke jalan", reply_to=second.remote_id, thread_root=first.remote_id))
    replies_to = [r.params().get("reply_to_id") for r in fake.calls("POST", "/threads")
                  if "threads_publish" not in r.path]
    assert replies_to == [None, first.remote_id, second.remote_id]
    assert fake.reply_parent(second.remote_id) == first.remote_id
    assert fake.reply_parent(third.remote_id) == second.remote_id
    assert conn.quota().used == 1                     # replies count against the reply quota, not the 250


def test_an_image_is_fetched_by_meta_from_the_public_url(conn, fake, web, media):
    photo = media("poster.jpg", alt="Poster aksi 1 Mei")
    published = conn.publish(new_post("Aksi 1 Mei", media=(photo,)))
    sent = fake.calls("POST", "/threads")[0].params()
    assert (sent["media_type"], sent["image_url"], sent["alt_text"]) == ("IMAGE", photo.url, "Poster aksi 1 Mei")
    assert web.served == ["/poster.jpg"] and fake.downloads == [photo.url]
    assert fake.objects[published.remote_id]["media"][0]["kind"] == "image/jpeg"


def test_png_and_mov_are_taken(conn, fake, media, clock):
    published, _ = _until_published(conn, clock, new_post("Dua berkas", media=(
        media("spanduk.png", png_bytes(), "image/png"), media("orasi.mov", MOV, "video/quicktime"))))
    kinds = [fake.objects[c]["media"][0]["kind"] for c in fake.objects[published.remote_id]["children"]]
    assert kinds == ["image/png", "video/quicktime"]


@pytest.mark.parametrize("how", ["redirect", "html", "wrong_type", "missing"])
def test_an_image_meta_cannot_fetch_is_refused_with_advice(conn, fake, web, media, tmp_path, how):
    photo = media("poster.jpg")
    if how == "redirect":
        url = web.redirect("drive-link", photo.url)
    elif how == "html":
        url = web.put("drive-preview.html", HTML_PAGE)
    elif how == "wrong_type":
        url = web.put("poster.txt", photo.path.read_bytes())       # served as text/plain
    else:
        url = f"{web.base_url}/gone.jpg"
    with pytest.raises(Permanent) as caught:
        conn.publish(new_post("Aksi", media=(MediaFile(photo.path, "image/jpeg", url=url),)))
    assert "Meta could not fetch" in str(caught.value) and "no redirect" in str(caught.value)
    assert fake.create_count() == 0 and not fake.calls("POST", "threads_publish")


def test_a_file_without_a_public_address_is_refused_before_any_call(conn, fake, tmp_path):
    path = tmp_path / "poster.jpg"
    path.write_bytes(jpeg_bytes())
    with pytest.raises(Permanent, match=r"poster.jpg has no public address .*\[media\]"):
        conn.publish(new_post("Aksi", media=(MediaFile(path, "image/jpeg"),)))
    with pytest.raises(Permanent, match="JPEG or PNG images and MP4 or MOV"):
        conn.publish(new_post("Aksi", media=(MediaFile(path, "image/gif", url="https://x.example/a.gif"),)))
    assert fake.requests == []


def test_a_video_waits_on_the_shared_schedule_and_never_sleeps(conn, fake, media, clock):
    fake.processing_checks["VIDEO"] = 3
    start = clock()
    post = new_post("Video aksi", media=(media("aksi.mp4", MP4, "video/mp4"),))
    published, waits = _until_published(conn, clock, post)
    # made, then not read for 2 s; read IN_PROGRESS three times, 5, 10 and 20 s apart; then FINISHED
    assert [(w.check_at - start).total_seconds() for w in waits] == [2, 7, 17, 37]
    assert len(fake.containers) == 1 and fake.create_count() == 1              # one container, resumed
    statuses = fake.calls("GET", f"/{next(iter(fake.containers))}")
    assert all(r.params()["fields"] == "status,error_message" for r in statuses)
    assert len(statuses) == 3 + 1          # three IN_PROGRESS, then FINISHED
    assert fake.posts()[published.remote_id] == "Video aksi"


def test_a_video_meta_could_not_download_fails_with_its_reason(conn, fake, web, media, clock, tmp_path):
    clip = media("aksi.mp4", MP4, "video/mp4")
    broken = MediaFile(clip.path, "video/mp4", url=web.put("aksi-preview.html", HTML_PAGE))
    with pytest.raises(Permanent, match="FAILED_DOWNLOADING_VIDEO"):
        _until_published(conn, clock, new_post("Video", media=(broken,)))
    assert fake.create_count() == 0


def test_a_carousel_is_items_then_a_parent(conn, fake, media, clock):
    files = tuple(media(f"foto{i}.jpg") for i in range(3)) + (media("aksi.mp4", MP4, "video/mp4"),)
    fake.processing_checks["VIDEO"] = 1
    published, waits = _until_published(conn, clock, new_post("Dokumentasi aksi", media=files))
    made = fake.calls("POST", f"/{Fake.USER_ID}/threads")
    made = [r.params() for r in made if not r.path.endswith("threads_publish")]
    items, parent = made[:4], made[4]
    assert all(p["is_carousel_item"] == "true" and "text" not in p for p in items)
    assert sorted(p["media_type"] for p in items) == ["IMAGE", "IMAGE", "IMAGE", "VIDEO"]
    assert parent["media_type"] == "CAROUSEL" and parent["text"] == "Dokumentasi aksi"
    assert len(parent["children"].split(",")) == 4 and len(waits) == 2
    obj = fake.objects[published.remote_id]
    assert obj["media_type"] == "CAROUSEL_ALBUM" and len(obj["children"]) == 4
    assert len(fake.containers) == 5


def test_carousel_size_is_two_to_twenty(conn, fake, media):
    twenty = tuple(media(f"f{i}.jpg") for i in range(20))
    published = conn.publish(new_post("Dua puluh foto", media=twenty))
    assert len(fake.objects[published.remote_id]["children"]) == 20
    before = len(fake.requests)
    with pytest.raises(Permanent, match="at most 20"):
        conn.publish(new_post("Terlalu banyak", media=twenty + (media("f20.jpg"),)))
    assert len(fake.requests) == before


def test_the_fake_refuses_a_carousel_of_one(conn, fake, media):
    """The 2–20 rule is Threads': a one-file post is an IMAGE post, never a carousel of one."""
    item = conn._create({"media_type": "IMAGE", "image_url": media("f.jpg").url, "is_carousel_item": "true"})
    with pytest.raises(Permanent, match="between 2 and 20 children"):
        conn._create({"media_type": "CAROUSEL", "children": item, "text": "satu"})


def test_500_characters_as_threads_counts_them(conn, fake):
    fits = "\U0001F44D" * 125                        # 125 emoji × 4 bytes = 500
    over = fits + "a"
    assert length(fits, "threads") == threads_count(fits) == 500
    assert length(over, "threads") == threads_count(over) == 501
    conn.publish(new_post(fits))
    with pytest.raises(Permanent, match="at most 500 characters"):
        conn.publish(new_post(over))
    assert fake.create_count() == 1


def test_published_too_soon_is_not_ready_then_the_same_container_goes_out(conn, fake, clock):
    fake.not_found_publishes = 1
    published, waits = _until_published(conn, clock, new_post("Tolak PHK sepihak"))
    assert len(waits) == 1 and "still preparing" in str(waits[0])
    assert len(fake.containers) == 1 and fake.create_count() == 1
    assert fake.posts()[published.remote_id] == "Tolak PHK sepihak"


def test_a_container_past_24_hours_is_made_anew(conn, fake, media, clock):
    fake.processing_checks["VIDEO"] = 1
    post = new_post("Video", media=(media("aksi.mp4", MP4, "video/mp4"),))
    with pytest.raises(NotReady) as wait:
        conn.publish(post)
    clock.advance(hours=24, minutes=1)             # the engine was down for a day
    published, _ = _until_published(conn, clock, replace(post, progress=wait.value.progress))
    assert len(fake.containers) == 2 and fake.create_count() == 1
    assert fake.posts()[published.remote_id] == "Video"


# --- unknown outcomes ------------------------------------------------------------------------------------
def test_lost_publish_answer_keeps_the_container_and_is_settled_from_it(conn, fake, clock):
    since = clock() - timedelta(minutes=1)
    post = new_post("Mogok nasional")
    fake.fail_next(Failure.DROP_AFTER, path_contains="threads_publish")
    with pytest.raises(Transient) as lost:
        conn.publish(post)
    assert lost.value.outcome_unknown and lost.value.progress
    kept = replace(post, progress=lost.value.progress)
    found = conn.find_existing(kept, since)
    assert found is not None and fake.posts()[found.remote_id] == "Mogok nasional"
    with pytest.raises(AlreadyPublished):        # sending it again from the kept container: refused, not doubled
        conn.publish(kept)
    assert fake.create_count() == 1


def test_publish_never_reached_means_not_there_and_the_same_container_is_sent(conn, fake, clock):
    since = clock() - timedelta(minutes=1)
    post = new_post("Mogok nasional")
    fake.fail_next(Failure.DROP, path_contains="threads_publish")
    with pytest.raises(Transient) as lost:
        conn.publish(post)
    assert lost.value.outcome_unknown
    kept = replace(post, progress=lost.value.progress)
    assert conn.find_existing(kept, since) is None              # container FINISHED: it did not go out
    published = conn.publish(kept)
    assert len(fake.containers) == 1 and fake.create_count() == 1
    assert fake.posts()[published.remote_id] == "Mogok nasional"


def test_a_lost_reply_part_is_found_in_the_conversation(conn, fake, clock):
    since = clock() - timedelta(minutes=1)
    root = conn.publish(new_post("1/2 Tolak"))
    fake.add_reply(root.remote_id, "rina_buruh", "2/2 Setuju", clock())     # someone else, same words
    part = new_post("2/2 Setuju", reply_to=root.remote_id, thread_root=root.remote_id)
    assert conn.find_existing(part, since) is None
    fake.fail_next(Failure.DROP_AFTER, path_contains="threads_publish")
    with pytest.raises(Transient):
        conn.publish(part)
    found = conn.find_existing(part, since)
    assert found is not None and fake.objects[found.remote_id]["username"] == Fake.USERNAME
    assert fake.reply_parent(found.remote_id) == root.remote_id


def test_creating_a_container_publishes_nothing_so_its_lost_answer_is_not_unknown(conn, fake):
    fake.fail_next(Failure.DROP_AFTER, path_contains=f"{Fake.USER_ID}/threads")
    with pytest.raises(Transient) as caught:
        conn.publish(new_post("Upah"))
    assert not caught.value.outcome_unknown and fake.create_count() == 0


def test_server_errors(conn, fake):
    fake.server_error_next(503)
    with pytest.raises(Transient) as caught:
        conn.publish(new_post("Upah"))
    assert not caught.value.outcome_unknown                       # turned away before any work
    fake.fail_next(Response(500, {"error": {"message": "An unexpected error has occurred.", "type": "OAuthException",
                                            "code": 2, "is_transient": True}}), path_contains="threads_publish")
    with pytest.raises(Transient) as caught:
        conn.publish(new_post("Upah layak"))
    assert caught.value.outcome_unknown and caught.value.progress   # the publish may have gone through
    assert fake.create_count() == 0


# --- metrics and replies -------------------------------------------------------------------------------
def test_insights_become_metrics(conn, fake):
    remote_id = conn.publish(new_post("Upah")).remote_id
    fake.set_engagement(remote_id, impressions=1200, likes=40, reposts=5, quotes=2, shares=7, replies=3)
    metrics = conn.metrics([remote_id]).found[remote_id]
    assert (metrics.impressions, metrics.likes, metrics.reposts, metrics.quotes, metrics.shares, metrics.replies) \
        == (1200, 40, 5, 2, 7, 3)
    assert metrics.reach is None and metrics.bookmarks is None and metrics.raw["views"] == 1200
    asked = fake.calls("GET", "/insights")[-1].params()["metric"]
    assert asked == "views,likes,replies,reposts,quotes,shares"


def test_a_refused_metric_is_dropped_and_remembered(conn, fake):
    ids = [conn.publish(new_post(f"Upah {i}")).remote_id for i in range(2)]
    fake.refused_metrics = {"shares"}
    first = conn.metrics([ids[0]]).found[ids[0]]
    assert first.shares is None and first.impressions == 0
    assert len(fake.calls("GET", "/insights")) == 2              # refused, then asked without it
    conn.metrics([ids[1]])
    assert len(fake.calls("GET", "/insights")) == 3              # remembered: one request
    assert "shares" not in fake.calls("GET", "/insights")[-1].params()["metric"]


def test_deleted_posts_are_missing(conn, fake):
    kept, gone = (conn.publish(new_post(t)).remote_id for t in ("Satu", "Dua"))
    fake.remove_post(gone)
    batch = conn.metrics([kept, gone, kept])
    assert set(batch.found) == {kept} and batch.missing == {gone}


def test_replies_are_the_conversation_without_the_profiles_own_parts_and_are_bounded(conn, fake, clock):
    root = conn.publish(new_post("1/2 Tolak"))
    conn.publish(new_post("2/2 Lawan", reply_to=root.remote_id, thread_root=root.remote_id))
    for i in range(620):
        fake.add_reply(root.remote_id, f"buruh{i}", f"Setuju {i}", clock() + timedelta(seconds=i))
    replies = conn.replies(root.remote_id)
    assert len(replies) == 500 and replies[0].text == "Setuju 619"           # 5 pages of 100, newest first
    assert all(r.author != Fake.USERNAME and r.in_reply_to == root.remote_id for r in replies)
    assert len(fake.calls("GET", "/conversation")) == 5
    recent = conn.replies(root.remote_id, since=clock() + timedelta(seconds=610))
    # the first page reached `since`: no page more from the top; then the 120 past the first call's cap,
    # from where it stopped (2 pages), whatever their time
    assert [r.text for r in recent] == [f"Setuju {i}" for i in [*range(619, 609, -1), *range(119, -1, -1)]]
    assert [c.query.get("after") for c in fake.calls("GET", "/conversation")[5:]] == [None, ["500"], ["600"]]
    assert recent[0].created_at.tzinfo is not None
    again = conn.replies(root.remote_id, since=clock() + timedelta(seconds=610))
    assert [r.text for r in again] == [f"Setuju {i}" for i in range(619, 609, -1)]
    assert len(fake.calls("GET", "/conversation")) == 9      # all were read: from the top only


# --- identity, quota, tokens ------------------------------------------------------------------------------
def test_verify_gives_identity_quota_and_token_expiry(conn, fake, clock):
    fake.token_expires_at = clock() + timedelta(days=30)
    fake.data_access_expires_at = clock() + timedelta(days=80)
    fake.fill_quota(12)
    identity = conn.verify()
    assert (identity.remote_id, identity.handle, identity.display_name) == (Fake.USER_ID, "spn.pusat",
                                                                            "Serikat Pekerja Nusantara")
    assert identity.url == "https://www.threads.com/@spn.pusat"
    assert identity.token_expires_at == (clock() + timedelta(days=30)).replace(microsecond=0)
    assert identity.token_expires_at.tzinfo == timezone.utc
    assert (identity.quota.used, identity.quota.total, identity.quota.window) == (12, 250, timedelta(hours=24))
    debug = fake.calls("GET", "/debug_token")[-1].params()
    assert debug["input_token"] == debug["access_token"] == Fake.TOKEN


@pytest.mark.parametrize("answer, kind", [
    (Response(503, {"error": {"message": "Service temporarily unavailable", "type": "OAuthException", "code": 2,
                              "is_transient": True}}), None),
    (Response(200, {"data": []}), None),
    (Response(400, {"error": {"message": "Error validating access token", "type": "OAuthException", "code": 190}}),
     AuthExpired),
    (Response(400, {"error": {"message": "(#4) Application request limit reached", "type": "OAuthException",
                              "code": 4}}), RateLimited),
])
def test_a_quota_verify_cannot_read_is_unknown_but_a_refused_token_or_throttle_is_not(conn, fake, answer, kind):
    fake.fail_next(answer, path_contains="threads_publishing_limit")
    if kind is None:
        identity = conn.verify()
        assert identity.handle == Fake.USERNAME and identity.quota is None
    else:
        with pytest.raises(kind):
            conn.verify()


def test_verify_without_debug_token_leaves_the_expiry_unknown(conn, fake):
    fake.debug_token_refused = True
    assert conn.verify().token_expires_at is None


def test_a_token_of_another_profile_is_refused(fake, clock):
    config = fake.account_config()
    config = replace(config, secrets={"USER_ID": "123", "ACCESS_TOKEN": Fake.TOKEN})
    with pytest.raises(AuthExpired, match=f"set USER_ID to {Fake.USER_ID}"):
        ThreadsConnector(config, clock=clock).verify()


def test_expired_token_is_auth_expired(conn, fake):
    fake.expire_credentials()
    with pytest.raises(AuthExpired, match="code 190"):
        conn.verify()
    with pytest.raises(AuthExpired):
        conn.publish(new_post("Upah"))
    with pytest.raises(AuthExpired):
        conn.refresh_token()


def test_the_quota_used_up_is_rate_limited_for_a_day(conn, fake, clock):
    fake.fill_quota()
    assert conn.quota().left == 0
    with pytest.raises(DailyLimitReached) as caught:
        conn.publish(new_post("Upah"))
    assert isinstance(caught.value, RateLimited) and caught.value.retry_at == clock() + timedelta(hours=24)
    assert fake.create_count() == 0 and fake.objects == {}


def test_replies_have_their_own_quota(conn, fake):
    root = conn.publish(new_post("1/2"))
    fake.fill_quota()
    part = conn.publish(new_post("2/2", reply_to=root.remote_id, thread_root=root.remote_id))
    assert fake.reply_parent(part.remote_id) == root.remote_id


def test_throttling_waits_for_the_time_meta_gives(conn, fake, clock):
    fake.rate_limit_next(clock() + timedelta(minutes=15))
    with pytest.raises(RateLimited) as caught:
        conn.verify()
    assert caught.value.retry_at == clock() + timedelta(minutes=15)


def test_refresh_token(conn, fake, clock, all_logs):
    fake.token_issued_at = clock() - timedelta(hours=2)
    with pytest.raises(NotSupported, match="24 hours old"):
        conn.refresh_token()
    clock.advance(hours=23)
    renewed = conn.refresh_token()
    assert (renewed.secret, renewed.value) == ("ACCESS_TOKEN", Fake.REFRESHED)
    assert renewed.expires_at == clock() + timedelta(days=60)
    assert Fake.REFRESHED not in repr(renewed)
    asked = fake.calls("GET", "/refresh_access_token")[-1]
    assert asked.path == "/refresh_access_token" and asked.params()["grant_type"] == "th_refresh_token"
    conn.publish(new_post("Upah"))                                # the renewed token is used from now on
    assert fake.calls("POST", "/threads")[-1].params()["access_token"] == Fake.REFRESHED
    assert Fake.REFRESHED not in all_logs.getvalue() and Fake.TOKEN not in all_logs.getvalue()


def test_delete(conn, fake):
    remote_id = conn.publish(new_post("Salah ketik")).remote_id
    conn.delete(remote_id)
    assert remote_id not in fake.posts()
    assert fake.calls("DELETE")[-1].path == f"/{API_VERSION}/{remote_id}"
    conn.delete(remote_id)                                        # already gone: fine


def test_a_lost_carousel_without_text_is_told_apart_by_its_container(conn, fake, media, clock):
    since = clock() - timedelta(minutes=1)
    conn.publish(new_post("", media=(media("a.jpg"), media("b.jpg"))))          # an earlier one, no text
    clock.advance(minutes=3)
    post = new_post("", media=(media("c.jpg"), media("d.jpg")))
    fake.fail_next(Failure.DROP_AFTER, path_contains="threads_publish")
    with pytest.raises(Transient) as lost:
        conn.publish(post)
    clock.advance(minutes=3)
    conn.publish(new_post("", media=(media("e.jpg"), media("f.jpg"))))          # a later one, no text
    kept = replace(post, progress=lost.value.progress)
    found = conn.find_existing(kept, since)
    mine = fake.containers[lost.value.progress["parent"]["id"]]["published"]
    assert found is not None and found.remote_id == mine


def test_a_status_read_timing_out_keeps_the_container(fake, clock, media):
    conn = ThreadsConnector(replace(fake.account_config(), timeout=1.0), clock=clock)
    fake.processing_checks["VIDEO"] = 1
    post = new_post("Video", media=(media("aksi.mp4", MP4, "video/mp4"),))
    with pytest.raises(NotReady) as wait:
        conn.publish(post)
    container = next(iter(fake.containers))
    clock.now = wait.value.check_at
    fake.fail_next(Failure.SLOW, path_contains=f"/{container}")
    with pytest.raises(Transient) as slow:
        conn.publish(replace(post, progress=wait.value.progress))
    assert not slow.value.outcome_unknown and slow.value.progress      # a read: nothing can have gone out
    published, _ = _until_published(conn, clock, replace(post, progress=slow.value.progress))
    assert len(fake.containers) == 1 and fake.posts()[published.remote_id] == "Video"


def test_a_bare_401_is_auth_expired_and_progress_never_holds_the_token(conn, fake, clock):
    fake.fail_next(Response(401, b"Unauthorized"), path_contains="/threads")
    with pytest.raises(AuthExpired):
        conn.publish(new_post("Upah"))
    fake.fail_next(Failure.DROP_AFTER, path_contains="threads_publish")
    with pytest.raises(Transient) as lost:
        conn.publish(new_post("Upah layak"))
    assert Fake.TOKEN not in json.dumps(lost.value.progress) and Fake.TOKEN not in str(lost.value)


def test_a_container_meta_no_longer_has_is_made_anew(conn, fake, media, clock):
    fake.processing_checks["VIDEO"] = 1
    post = new_post("Video", media=(media("aksi.mp4", MP4, "video/mp4"),))
    with pytest.raises(NotReady) as wait:
        conn.publish(post)
    fake.containers.clear()                         # gone on Meta's side
    clock.now = wait.value.check_at
    published, _ = _until_published(conn, clock, replace(post, progress=wait.value.progress))
    assert len(fake.containers) == 1 and fake.posts()[published.remote_id] == "Video"
