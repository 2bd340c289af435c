"""Mastodon specifics: idempotency key, instance limits, batch lookup and its fallback, media
processing without sleeping, find_existing through the HTML rendering, replies."""
from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from connectors.base import MAX_ERROR_LENGTH, MediaFile, Permanent, RateLimited, Transient
from connectors.mastodon import MastodonConnector, html_to_text
from tests.connectors.conftest import new_post
from tests.fakes.mastodon import Fake, status_length
from tests.fakes.server import Response


@pytest.fixture
def fake(serve):
    return serve(Fake())


@pytest.fixture
def conn(fake, clock, state_dir):
    return MastodonConnector(fake.account_config(state_dir), clock=clock)


@pytest.fixture
def video(tmp_path):
    path = tmp_path / "aksi.mp4"
    path.write_bytes(b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 64)
    return MediaFile(path=path, mime_type="video/mp4", alt_text="Video aksi")


def _creates(fake):
    return fake.calls("POST", "/api/v1/statuses")


def test_publish_sends_idempotency_key_language_and_link(conn, fake):
    post = new_post("Upah layak untuk semua pekerja!", link="https://spn.example/upah", language="id")
    published = conn.publish(post)

    sent = _creates(fake)[-1]
    assert sent.header("Idempotency-Key") == post.idempotency_key
    assert sent.header("Authorization") == f"Bearer {Fake.TOKEN}"
    body = sent.json()
    assert body["language"] == "id"
    assert body["status"] == "Upah layak untuk semua pekerja!\n\nhttps://spn.example/upah"
    assert published.url == f"https://sosial.example/@spn_pusat/{published.remote_id}"


def test_a_repeat_with_the_same_key_returns_the_original(conn, fake):
    post = new_post()
    first = conn.publish(post)
    again = conn.publish(post)
    assert again.remote_id == first.remote_id
    assert fake.create_count() == 1 and len(_creates(fake)) == 2


def test_link_already_in_the_text_is_not_added_twice(conn, fake):
    conn.publish(new_post("Baca: https://spn.example/upah sekarang", link="https://spn.example/upah"))
    assert _creates(fake)[-1].json()["status"] == "Baca: https://spn.example/upah sekarang"


def test_thread_part_sends_in_reply_to_id(conn, fake):
    root = conn.publish(new_post())
    conn.publish(new_post(reply_to=root.remote_id, thread_root=root.remote_id))
    assert _creates(fake)[-1].json()["in_reply_to_id"] == root.remote_id


def test_character_limit_comes_from_the_instance_and_is_cached(fake, clock):
    fake.max_characters = 1000
    conn = MastodonConnector(fake.account_config(), clock=clock)
    assert conn.character_limit() == 1000
    assert conn.character_limit() == 1000
    assert len(fake.calls("GET", "/api/v2/instance")) == 1


def test_over_the_limit_is_permanent_with_the_servers_reason(conn):
    with pytest.raises(Permanent, match="character limit of 500"):
        conn.publish(new_post("a" * 501))


def test_fake_counts_like_mastodon():
    # cases from mastodon's spec/validators/status_length_validator_spec.rb (limit 500)
    assert status_length("a" * 476 + " " + "http://" + "b" * 30 + ".com/example") == 500
    assert status_length("a" * 475 + " @alice@" + "b" * 30 + ".com") == 475 + 7
    assert status_length("🏳️‍⚧️" * 500) == 500


def test_fake_refuses_more_than_20_ids(fake):
    ids = [("id[]", str(i)) for i in range(21)]
    response = requests.get(f"{fake.base_url}/api/v1/statuses", params=ids,
                            headers={"Authorization": f"Bearer {Fake.TOKEN}"}, timeout=5)
    assert response.status_code == 422 and response.json() == {"error": "Mastodon::ValidationError"}


def test_metrics_fall_back_to_one_by_one_before_4_3(conn, fake):
    fake.batch_supported = False
    ids = [conn.publish(new_post()).remote_id for _ in range(3)]
    fake.remove_post(ids[1])

    before = len(fake.requests)
    batch = conn.metrics(ids)
    assert set(batch.found) == {ids[0], ids[2]} and batch.missing == {ids[1]}
    assert len(fake.requests) - before == 1 + 3          # the refused batch, then one each

    before = len(fake.requests)
    conn.metrics(ids)
    assert len(fake.requests) - before == 3              # it remembers: no more batch attempts


def test_quotes_count_absent_is_none_not_zero(fake, clock):
    fake.quotes_supported = False
    conn = MastodonConnector(fake.account_config(), clock=clock)
    remote_id = conn.publish(new_post()).remote_id
    fake.set_engagement(remote_id, likes=4, reposts=2)
    m = conn.metrics([remote_id]).found[remote_id]
    assert (m.likes, m.reposts, m.replies, m.quotes, m.impressions) == (4, 2, 0, None, None)
    assert m.raw == {"replies_count": 0, "reblogs_count": 2, "favourites_count": 4}


def test_rate_limit_reset_is_read_as_iso_8601(conn, fake, clock):
    fake.rate_limit_next(clock() + timedelta(minutes=3, seconds=20))
    with pytest.raises(RateLimited) as caught:
        conn.metrics(["1"])
    assert caught.value.retry_at == clock() + timedelta(minutes=3, seconds=20)


def test_rate_limit_without_reset_header_waits_five_minutes(conn, fake, clock):
    fake.fail_next(Response(429, {"error": "Too many requests"}, {"X-RateLimit-Reset": ""}))
    with pytest.raises(RateLimited) as caught:
        conn.publish(new_post())
    assert caught.value.retry_at == clock() + timedelta(minutes=5)


@pytest.mark.parametrize("status,message", [(403, "This action is outside the authorized scopes"),
                                            (422, "Validation failed: Text can't be blank"),
                                            (400, "Bad request")])
def test_client_errors_are_permanent_with_the_error_text(conn, fake, status, message):
    fake.fail_next(Response(status, {"error": message}))
    with pytest.raises(Permanent) as caught:
        conn.publish(new_post())
    assert message in caught.value.reason


def test_reply_to_a_missing_status_is_permanent(conn):
    with pytest.raises(Permanent, match="Record not found"):
        conn.publish(new_post(reply_to="999", thread_root="999"))


def test_image_is_uploaded_with_its_description_and_attached(conn, fake, png):
    published = conn.publish(new_post(media=(png("poster"),)))
    upload = fake.calls("POST", "/api/v2/media")[0].multipart()
    assert upload["file"][0].filename == "poster.png"
    assert upload["description"][0].text == "Poster aksi upah layak"
    media_id = _creates(fake)[-1].json()["media_ids"][0]
    assert fake.statuses[published.remote_id]["media"][0]["id"] == media_id


def test_processing_media_raises_transient_and_the_retry_does_not_upload_again(fake, clock, state_dir, video):
    fake.media_processing_polls = 2
    post = new_post(media=(video,))
    with pytest.raises(Transient) as caught:
        MastodonConnector(fake.account_config(state_dir), clock=clock).publish(post)
    assert not caught.value.outcome_unknown and "processing" in str(caught.value)
    assert fake.create_count() == 0

    # a new process (new connector, same state_dir) picks up the uploaded media
    with pytest.raises(Transient):
        MastodonConnector(fake.account_config(state_dir), clock=clock).publish(post)
    published = MastodonConnector(fake.account_config(state_dir), clock=clock).publish(post)

    assert len(fake.calls("POST", "/api/v2/media")) == 1
    assert len(fake.calls("GET", "/api/v1/media/")) == 3
    assert fake.statuses[published.remote_id]["media"][0]["type"] == "video"
    assert not list(state_dir.glob(".mastodon-media-*.tmp"))


def test_with_a_wait_function_processing_media_is_polled(fake, clock, video):
    fake.media_processing_polls = 3
    waited: list[float] = []
    conn = MastodonConnector(fake.account_config(), clock=clock, wait=waited.append)
    published = conn.publish(new_post(media=(video,)))
    assert published.remote_id in fake.posts()
    assert waited == [2.0, 2.0, 2.0]
    assert len(fake.calls("POST", "/api/v2/media")) == 1


def test_missing_media_file_is_permanent(conn, tmp_path):
    gone = MediaFile(path=tmp_path / "nope.png", mime_type="image/png")
    with pytest.raises(Permanent, match="nope.png"):
        conn.publish(new_post(media=(gone,)))


def test_html_to_text_undoes_mastodons_rendering():
    content = ('<p>Aksi <a href="https://sosial.example/tags/upahlayak" class="mention hashtag" rel="tag">'
               '#<span>UpahLayak</span></a> &amp; solidaritas<br />baris dua</p><p>paragraf dua</p>')
    assert html_to_text(content) == "Aksi #UpahLayak & solidaritas\nbaris dua\n\nparagraf dua"


def test_find_existing_sees_through_links_mentions_and_tags(conn, clock):
    text = ("Bersama @budi@mastodon.other kami menolak #Tapera & <potongan> gaji!\n"
            "Baca https://spn.example/artikel/tolak-potongan-tapera-untuk-buruh-kontrak?src=masto")
    post = new_post(text)
    published = conn.publish(post)
    found = conn.find_existing(post, clock() - timedelta(minutes=5))
    assert found is not None and found.remote_id == published.remote_id


def test_find_existing_checks_the_reply_target(conn, clock):
    root = conn.publish(new_post())
    part = new_post("Bagian kedua", reply_to=root.remote_id, thread_root=root.remote_id)
    conn.publish(part)
    other = new_post("Bagian kedua", reply_to="12345", thread_root="12345")
    assert conn.find_existing(other, clock() - timedelta(minutes=5)) is None
    assert conn.find_existing(part, clock() - timedelta(minutes=5)) is not None


def test_find_existing_reads_further_pages_and_stops_at_since(conn, fake, clock):
    target = new_post("Yang dicari")
    published = conn.publish(target)
    for _ in range(45):
        conn.publish(new_post())
    assert conn.find_existing(target, clock() - timedelta(minutes=5)).remote_id == published.remote_id
    assert len(fake.calls("GET", "/statuses")) == 2

    clock.advance(hours=3)
    assert conn.find_existing(target, clock() - timedelta(minutes=5)) is None


def test_replies_leave_out_our_own_thread_parts_and_keep_language(conn, fake, clock):
    root = conn.publish(new_post()).remote_id
    conn.publish(new_post("Bagian 2", reply_to=root, thread_root=root))
    fake.add_reply(root, "worker_uk", "Solidarity from Leeds!", clock(), language="en")
    replies = conn.replies(root)
    assert [(r.author, r.text, r.language, r.in_reply_to) for r in replies] == [
        ("worker_uk@mastodon.other", "Solidarity from Leeds!", "en", root)]


def test_verify_reports_the_account(conn):
    identity = conn.verify()
    assert (identity.remote_id, identity.handle, identity.url) == (
        "109355567012345678", "@spn_pusat", "https://sosial.example/@spn_pusat")


def test_a_long_multi_line_error_is_kept_as_one_short_printable_line(conn, fake):
    """A platform's (or a proxy's) error text may be long, span lines and hold control bytes: it is
    stored, shown by `status` and e-mailed, so the error keeps one line of at most 500 characters."""
    noisy = "Validation failed:\r\n  Text \x00\x1b[31mcan't\x1b[0m be blank\n" + "detail " * 200
    fake.fail_next(Response(422, {"error": noisy}), path_contains="/api/v1/statuses")
    with pytest.raises(Permanent) as caught:
        conn.publish(new_post("Satu"))
    message = str(caught.value)
    assert message.startswith("mastodon POST /api/v1/statuses: Validation failed: Text ??[31mcan't?[0m be blank detail ")
    assert len(message) == MAX_ERROR_LENGTH and message.endswith("…") and message.isprintable()
    assert caught.value.reason == message
