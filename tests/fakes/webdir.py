"""A real web server on 127.0.0.1 serving one folder, as a union's own web server serves the
``[media]`` public_dir: Meta's fakes download media from it over real HTTP.

``redirects`` maps a path to the address a 301 sends it to (a Google Drive style link), so a fake can
be shown what Meta refuses; everything else is Python's ``SimpleHTTPRequestHandler`` (a ``.html``
file is served as ``text/html``, a missing file is a 404 page).

``fetch`` is one download the way Meta's fetcher makes it, for the fakes to judge what they got.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests


class _Handler(SimpleHTTPRequestHandler):
    redirects: dict[str, str] = {}
    served: list[str]

    def log_message(self, *args: Any) -> None:  # no access log on stderr
        pass

    def do_GET(self) -> None:
        self.served.append(self.path)
        target = self.redirects.get(self.path.split("?")[0])
        if target is not None:
            self.send_response(301)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()


class WebDir:
    """``folder`` served at ``base_url``; ``url(name)`` is the public address of a file in it."""

    def __init__(self, folder: Path):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.redirects: dict[str, str] = {}
        #: the paths asked for, in order
        self.served: list[str] = []
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> "WebDir":
        handler = type("Handler", (_Handler,), {"redirects": self.redirects, "served": self.served})
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(self.folder)))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the server first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def url(self, name: str) -> str:
        return f"{self.base_url}/{name}"

    def put(self, name: str, data: bytes) -> str:
        """Write ``data`` as ``name`` in the folder; its public address."""
        (self.folder / name).write_bytes(data)
        return self.url(name)

    def redirect(self, name: str, to: str) -> str:
        """``/name`` answers 301 to ``to``; its public address."""
        self.redirects["/" + name] = to
        return self.url(name)


@dataclass(frozen=True)
class Fetched:
    """A file Meta's fetcher got: its bytes, the type the server said, and the type its bytes are."""

    data: bytes
    served_as: str
    kind: str | None


class FetchRefused(Exception):
    """What Meta could not use; the text says why (for the fake's logs and tests)."""


def sniff(data: bytes) -> str | None:
    """The type of a file from its first bytes (JPEG, PNG, GIF, MP4, QuickTime), or None."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "image/gif"
    if data[4:8] == b"ftyp":
        return "video/quicktime" if data[8:12] == b"qt  " else "video/mp4"
    return None


def fetch(url: str, accepted: dict[str, int], timeout: float = 5.0) -> Fetched:
    """GET ``url`` as Meta's fetcher does: one request, no redirect followed, the whole file within
    ``timeout``; refused unless the answer is 200, served as one of ``accepted`` (type → most bytes),
    is that type by its bytes and within its size."""
    if not url.isascii():
        raise FetchRefused("the URL is not US-ASCII")
    limit = max(accepted.values())
    try:
        with requests.get(url, allow_redirects=False, timeout=timeout, stream=True) as answer:
            served = (answer.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if 300 <= answer.status_code < 400:
                raise FetchRefused(f"the server redirects (HTTP {answer.status_code}); redirects are not followed")
            if answer.status_code != 200:
                raise FetchRefused(f"the server answered HTTP {answer.status_code}")
            data = answer.raw.read(limit + 1, decode_content=True)
    except requests.RequestException as exc:
        raise FetchRefused(f"the file could not be downloaded ({type(exc).__name__})") from None
    if served not in accepted:
        raise FetchRefused(f"the server says it is {served or 'of no type'}, not one of {', '.join(accepted)}")
    kind = sniff(data)
    if kind != served:
        raise FetchRefused(f"the file is {kind or 'of an unknown type'}, though served as {served}")
    if len(data) > accepted[served]:
        raise FetchRefused(f"the file is larger than {accepted[served]} bytes")
    return Fetched(data, served, kind)
