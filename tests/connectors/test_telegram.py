"""Telegram specifics: URLs, captions and albums, replies in threads, the 48-hour delete window,
what counts as lost credentials, and the things the Bot API cannot do (asserted, not faked)."""
from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from connectors.base import AuthExpired, NotSupported, Permanent, RateLimited, Transient
from connectors.telegram import TelegramConnector, utf16_length
from tests.connectors.conftest import new_post
from tests.fakes.server import Failure
from tests.fakes.telegram import Fake


@pytest.fixture
def fake(serve):
    return serve(Fake())


@pytest.fixture
def conn(fake, clock):
    return TelegramConnector(fake.account_config(), clock=clock)


def _last(fake, method):
    return fake.calls("POST", f"/{method}")[-1]


def test_text_post_has_a_t_me_url_and_the_message_id(conn, fake):
    published = conn.publish(new_post("Mogok nasional 2 Desember!"))
    assert published.remote_id.isdigit()
    assert published.url == f"https://t.me/spn_info/{published.remote_id}"
    assert fake.posts()[published.remote_id] == "Mogok nasional 2 Desember!"


def test_a_chat_without_username_has_no_url(serve, clock):
    fake = serve(Fake(chat_username=None))
    conn = TelegramConnector(fake.account_config(), clock=clock)
    assert conn.publish(new_post()).url is None


def test_the_link_gets_a_preview_and_joins_the_text(conn, fake):
    conn.publish(new_post("Baca tuntutan kami", link="https://spn.example/tuntutan"))
    body = _last(fake, "sendMessage").json()
    assert body["link_preview_options"] == {"url": "https://spn.example/tuntutan"}
    assert body["text"] == "Baca tuntutan kami\n\nhttps://spn.example/tuntutan"
    assert body["chat_id"] == "@spn_info"


def test_thread_parts_reply_to_the_previous_message(conn, fake):
    first = conn.publish(new_post())
    conn.publish(new_post(reply_to=first.remote_id, thread_root=first.remote_id))
    assert _last(fake, "sendMessage").json()["reply_parameters"] == {"message_id": int(first.remote_id)}


def test_reply_to_a_vanished_message_is_permanent(conn):
    with pytest.raises(Permanent, match="message to be replied not found"):
        conn.publish(new_post(reply_to="999999", thread_root="999999"))


def test_one_image_goes_with_send_photo_and_a_caption(conn, fake, png):
    published = conn.publish(new_post("Poster aksi", media=(png(),)))
    parts = _last(fake, "sendPhoto").multipart()
    assert parts["photo"][0].filename == "poster.png" and parts["photo"][0].data.startswith(b"\x89PNG")
    assert parts["caption"][0].text == "Poster aksi"
    assert fake.messages[int(published.remote_id)]["caption"] == "Poster aksi"


def test_a_caption_over_1024_is_refused_before_sending(conn, fake, png):
    before = len(fake.requests)
    with pytest.raises(Permanent, match="1024"):
        conn.publish(new_post("x" * 1025, media=(png(),)))
    assert len(fake.requests) == before


def test_text_length_counts_utf16_code_units(conn, fake):
    assert utf16_length("✊") == 1 and utf16_length("😀") == 2
    with pytest.raises(Permanent, match="4096"):
        conn.publish(new_post("😀" * 2049))            # 4098 code units, 2049 characters
    conn.publish(new_post("😀" * 2048))                # exactly 4096


def test_fake_refuses_text_over_4096(conn):
    with pytest.raises(Permanent, match="message is too long"):
        conn._call("sendMessage", json={"chat_id": "@spn_info", "text": "a" * 4097})


def test_several_images_become_one_album_and_delete_removes_it_all(conn, fake, png):
    media = tuple(png(f"foto{i}") for i in range(3))
    published = conn.publish(new_post("Dokumentasi aksi", media=media))
    ids = published.remote_id.split(",")
    assert len(ids) == 3 and len(fake.calls("POST", "/sendMediaGroup")) == 1
    album = [fake.messages[int(i)] for i in ids]
    assert album[0]["caption"] == "Dokumentasi aksi" and "caption" not in album[1]
    assert len({m["media_group_id"] for m in album}) == 1
    assert published.url == f"https://t.me/spn_info/{ids[0]}"

    conn.delete(published.remote_id)
    assert not any(int(i) in fake.messages for i in ids)
    assert _last(fake, "deleteMessages").json()["message_ids"] == [int(i) for i in ids]


def test_more_than_ten_images_is_permanent(conn, png):
    with pytest.raises(Permanent, match="2–10"):
        conn.publish(new_post(media=tuple(png(f"f{i}") for i in range(11))))


def test_other_media_types_are_refused(conn, tmp_path):
    from connectors.base import MediaFile
    pdf = tmp_path / "leaflet.pdf"
    pdf.write_bytes(b"%PDF-1.4")
    with pytest.raises(Permanent, match="application/pdf"):
        conn.publish(new_post(media=(MediaFile(pdf, "application/pdf"),)))


def test_delete_after_48_hours_is_permanent_and_says_why(conn, clock):
    published = conn.publish(new_post())
    clock.advance(hours=49)
    with pytest.raises(Permanent, match="48 hours"):
        conn.delete(published.remote_id)


def test_delete_within_48_hours_works(conn, fake, clock):
    published = conn.publish(new_post())
    clock.advance(hours=47)
    conn.delete(published.remote_id)
    assert published.remote_id not in fake.posts()


def test_a_kicked_bot_pauses_the_account(conn, fake):
    fake.kick_bot()
    with pytest.raises(AuthExpired, match="administrator"):
        conn.publish(new_post())


def test_a_malformed_token_is_auth_expired(fake, clock):
    config = fake.account_config()
    config = dataclasses.replace(config, secrets={**config.secrets, "BOT_TOKEN": "not-a-token"})
    with pytest.raises(AuthExpired, match="BOT_TOKEN"):
        TelegramConnector(config, clock=clock).verify()
    assert fake.calls()[-1].path == "/botnot-a-token/getMe"


def test_verify_checks_the_bot_may_post(conn, fake):
    identity = conn.verify()
    assert (identity.remote_id, identity.handle, identity.url) == (
        "-1001987654321", "@spn_info", "https://t.me/spn_info")
    fake.can_post_messages = False
    with pytest.raises(AuthExpired, match="may not post"):
        conn.verify()


def test_rate_limit_is_app_wide_and_uses_retry_after(conn, fake, clock):
    fake.rate_limit_next(clock() + timedelta(seconds=35))
    with pytest.raises(RateLimited) as caught:
        conn.publish(new_post())
    assert caught.value.retry_at == clock() + timedelta(seconds=35)
    assert caught.value.scope == "app"


def test_no_metrics_replies_or_history_and_no_requests_for_them(conn, fake, clock):
    published = conn.publish(new_post())
    before = len(fake.requests)
    batch = conn.metrics([published.remote_id, "123"])
    assert set(batch.found) == {published.remote_id, "123"} and not batch.missing
    assert all(v is None for v in (batch.found["123"].likes, batch.found["123"].impressions))
    assert conn.find_existing(new_post(), clock() - timedelta(hours=1)) is None
    assert conn.can_find_existing is False         # so the engine knows None means "cannot tell"
    with pytest.raises(NotSupported):
        conn.replies(published.remote_id)
    assert len(fake.requests) == before


def test_network_errors_never_show_the_token(conn, fake):
    fake.fail_next(Failure.DROP)
    with pytest.raises(Transient) as caught:
        conn.publish(new_post())
    assert Fake.TOKEN not in str(caught.value) and "/bot***/sendMessage" in str(caught.value)
