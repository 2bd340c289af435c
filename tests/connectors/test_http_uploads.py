"""A request's deadline grows with its body: a post with photos or a video goes out on a link that
takes it in slowly but steadily, while an upload the server stops taking in is still cut.

Real servers on 127.0.0.1 (tests/connectors/hostile_http.py) take request bodies in at a set pace.
The base timeout is 0.5 s; a few MB at 2 MB/s take longer than that, and far less than the
deadline's allowance at ``MIN_UPLOAD_RATE``.
"""
from __future__ import annotations

import io
import json

import pytest

from connectors.base import Transient
from connectors.http import MIN_UPLOAD_RATE, HttpClient, body_size
from tests.connectors import hostile_http

MB = 1024 * 1024
OK = hostile_http.answer(b'{"ok": true}', content_type="application/json")


@pytest.fixture
def server():
    started = []

    def start(behaviour, **kw):
        started.append(hostile_http.HostileServer(behaviour, give_up_after=5.0, **kw).start())
        return started[-1]

    yield start
    for s in started:
        s.stop()


def test_a_multi_mb_upload_taken_in_steadily_goes_out_past_the_base_timeout(server, tmp_path):
    steady = server(OK, read_rate=2 * MB)  # 3 MB take 1.5 s: three times the base timeout
    video = tmp_path / "aksi.mp4"
    video.write_bytes(b"v" * 3 * MB)
    with video.open("rb") as fh:
        response = HttpClient(steady.base_url, timeout=0.5).request(
            "POST", "/upload", data={"caption": "Aksi 1 Mei"}, files={"source": ("aksi.mp4", fh, "video/mp4")})
    assert response.json() == {"ok": True}
    [received] = steady.received
    assert received.body.count(b"v" * 1024) == 3 * 1024  # every byte arrived


def test_an_upload_the_server_stops_taking_in_is_still_cut_at_the_grown_deadline(server):
    stalled = server(OK, read_rate=0)
    body = b"p" * MIN_UPLOAD_RATE  # one second's allowance (and more than the server's first read)
    with pytest.raises(Transient) as caught:
        HttpClient(stalled.base_url, timeout=0.5).request("POST", "/upload", data=body)
    assert str(caught.value) == f"POST {stalled.base_url}/upload: no complete answer within 1.5s"
    assert caught.value.outcome_unknown is True


def test_body_size_counts_what_requests_sends(tmp_path):
    photo = tmp_path / "poster.jpg"
    photo.write_bytes(b"j" * 5000)
    with photo.open("rb") as fh:
        fh.read(1000)  # a file counts from where it stands
        assert body_size(files={"photo": ("poster.jpg", fh, "image/jpeg")}) == 4000 + len("photoposter.jpgimage/jpeg")
        assert body_size(files={"photo": fh}) == len("photo") + 4000
    assert body_size(data=b"x" * 700) == 700
    assert body_size(data="Mogok nasional — tolak!") == len("Mogok nasional — tolak!".encode())
    assert body_size(data={"chat_id": "@spn", "n": 7}) == len("chat_id@spnn7")
    assert body_size(data=[("a", "bc"), ("a", "d")]) == 5
    assert body_size(data=io.BytesIO(b"z" * 300)) == 300
    assert body_size(files=[("media", b"b" * 800)]) == 5 + 800
    assert body_size(json_data={"status": "Upah layak!"}) == len(json.dumps({"status": "Upah layak!"}))
    assert body_size(data=(chunk for chunk in [b"unknown"])) == 0  # a stream of unknown length
    assert body_size() == 0
