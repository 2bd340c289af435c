"""A real web server on 127.0.0.1 serving a folder, as the union's own web server serves the
``[media]`` ``public_dir``: the Meta fakes fetch each ``image_url``/``video_url`` from it over real
HTTP, as Meta's fetcher does, and refuse what Meta refuses (see ``fetch``).

Besides the files in ``root`` (each served with the type its name says, like nginx), a path can be
made to redirect (``redirect``) or to answer an HTML page (``html_page``), the ways a link from a
file-sharing site fails.
"""
from __future__ import annotations

import mimetypes
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import requests

#: how long the fetcher waits for a whole file
FETCH_TIMEOUT = 5.0
_TYPES = {".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".png": "image/png", ".gif": "image/gif",
          ".mp4": "video/mp4", ".mov": "video/quicktime", ".html": "text/html; charset=utf-8"}


class MediaWeb:
    """``start()``, put files with ``put(name, data)`` (the URL comes back), ``stop()``."""

    def __init__(self, root: Path):
        self.root = root
        self.root.mkdir(parents=True, exist_ok=True)
        self.redirects: dict[str, str] = {}
        self.pages: set[str] = set()
        self.fetched: list[str] = []         # paths asked for, in order
        self._server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the web server first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def put(self, name: str, data: bytes) -> str:
        (self.root / name).write_bytes(data)
        return f"{self.base_url}/{name}"

    def redirect(self, name: str, to: str) -> str:
        """``/name`` answers 302 to ``to`` (a file-sharing link that bounces to the file)."""
        self.redirects[name] = to
        return f"{self.base_url}/{name}"

    def html_page(self, name: str) -> str:
        """``/name`` answers 200 with an HTML page (a sharing site's preview page, a login wall)."""
        self.pages.add(name)
        return f"{self.base_url}/{name}"

    def start(self) -> "MediaWeb":
        web = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                name = unquote(urlsplit(self.path).path).lstrip("/")
                web.fetched.append(name)
                if name in web.redirects:
                    self._send(302, b"", "text/html", {"Location": web.redirects[name]})
                elif name in web.pages:
                    self._send(200, b"<!DOCTYPE html><html><head><title>Google Drive</title></head>"
                                    b"<body>Sign in to continue</body></html>", "text/html; charset=utf-8")
                else:
                    path = (web.root / name).resolve()
                    if web.root.resolve() not in path.parents or not path.is_file():
                        self._send(404, b"<html><body>404 Not Found</body></html>", "text/html")
                        return
                    kind = _TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0]
                    self._send(200, path.read_bytes(), kind or "application/octet-stream")

            def _send(self, status: int, body: bytes, kind: str, headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None


@dataclass(frozen=True)
class Fetched:
    """A file Meta's fetcher got: its bytes, the type the server said, and the type its bytes are."""

    data: bytes
    served_as: str
    kind: str


class FetchRefused(Exception):
    """What Meta would say it could not use (the text names why)."""


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


def fetch(url: str, accepted: dict[str, int]) -> Fetched:
    """GET ``url`` as Meta's fetcher does: one request, no redirect followed, the whole file within
    ``FETCH_TIMEOUT``; refused unless the answer is 200, served as one of ``accepted`` (type → most
    bytes), is that type by its bytes and within its size."""
    if not url.isascii():
        raise FetchRefused("the URL is not US-ASCII")
    try:
        with requests.get(url, allow_redirects=False, timeout=FETCH_TIMEOUT, stream=True) as answer:
            served = (answer.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if 300 <= answer.status_code < 400:
                raise FetchRefused(f"the server redirects (HTTP {answer.status_code}); redirects are not followed")
            if answer.status_code != 200:
                raise FetchRefused(f"the server answered HTTP {answer.status_code}")
            limit = max(accepted.values())
            data = bytearray()
            for chunk in answer.iter_content(64 * 1024):
                data += chunk
                if len(data) > limit:
                    raise FetchRefused(f"the file is larger than {limit} bytes")
    except requests.RequestException as exc:
        raise FetchRefused(f"the file could not be downloaded ({type(exc).__name__})") from None
    if served not in accepted:
        raise FetchRefused(f"the server says it is {served or 'of no type'}, not one of {', '.join(accepted)}")
    kind = sniff(bytes(data))
    if kind != served and not (kind == "video/mp4" and served == "video/quicktime"):
        raise FetchRefused(f"the file is {kind or 'of an unknown type'}, though served as {served}")
    if len(data) > accepted[served]:
        raise FetchRefused(f"the file is larger than {accepted[served]} bytes")
    return Fetched(bytes(data), served, kind)
