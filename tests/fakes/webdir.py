"""A real web server on 127.0.0.1 serving one folder, as a union's own web server serves the
``[media]`` public_dir: Meta's fakes download media from it over real HTTP.

``redirects`` maps a path to the address a 301 sends it to (a Google Drive style link), so a fake can
be shown what Meta refuses; everything else is Python's ``SimpleHTTPRequestHandler`` (a ``.html``
file is served as ``text/html``, a missing file is a 404 page).

``download`` is one download the way Meta's fetcher makes it; ``fetch`` also judges what it got
(the fakes that judge it in their own words call ``download``). ``FetchingFake`` is the base of the
fakes of platforms that fetch media by URL (Instagram, Threads): its ``web`` server, the sample files
it puts there and the URLs it downloaded.
"""
from __future__ import annotations

import io
import itertools
import shutil
import tempfile
import threading
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import requests

from connectors.base import MediaFile
from tests.fakes.server import ContractFake


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


class FetchTimedOut(FetchRefused):
    """The server did not answer within the fetcher's time."""


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


def download(url: str, limit: int, timeout: float = 5.0) -> tuple[str, bytes]:
    """GET ``url`` as Meta's fetcher does: a US-ASCII URL, one request, no redirect followed, within
    ``timeout``; the type the server says (lower case, no parameters) and at most ``limit`` + 1 bytes
    of a 200 answer. Anything else → ``FetchRefused`` (``FetchTimedOut`` when the server is too slow)."""
    if not url.isascii():
        raise FetchRefused("the URL is not US-ASCII")
    try:
        with requests.get(url, allow_redirects=False, timeout=timeout, stream=True) as answer:
            served = (answer.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if 300 <= answer.status_code < 400:
                raise FetchRefused(f"the server redirects (HTTP {answer.status_code}); redirects are not followed")
            if answer.status_code != 200:
                raise FetchRefused(f"the server answered HTTP {answer.status_code}")
            return served, answer.raw.read(limit + 1, decode_content=True)
    except requests.Timeout:
        raise FetchTimedOut(f"the server did not answer within {timeout:g}s") from None
    except requests.RequestException as exc:
        raise FetchRefused(f"the file could not be downloaded ({type(exc).__name__})") from None


def fetch(url: str, accepted: dict[str, int], timeout: float = 5.0) -> Fetched:
    """``download`` ``url``, refused unless it is served as one of ``accepted`` (type → most bytes),
    is that type by its bytes and within its size."""
    served, data = download(url, max(accepted.values()), timeout)
    if served not in accepted:
        raise FetchRefused(f"the server says it is {served or 'of no type'}, not one of {', '.join(accepted)}")
    kind = sniff(data)
    if kind != served:
        raise FetchRefused(f"the file is {kind or 'of an unknown type'}, though served as {served}")
    if len(data) > accepted[served]:
        raise FetchRefused(f"the file is larger than {accepted[served]} bytes")
    return Fetched(data, served, kind)


# --- sample files ---------------------------------------------------------------------------------
def jpeg_bytes(width: int = 64, height: int = 64, color: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A real JPEG image of the given size."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), color).save(out, "JPEG", quality=80)
    return out.getvalue()


def png_bytes(width: int = 64, height: int = 64) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (width, height), (0, 90, 200)).save(out, "PNG")
    return out.getvalue()


#: the start of an MP4 file (an ``ftyp`` box, then an empty ``moov``): all the fakes look at
MP4_BYTES = (b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00\x00\x00\x08moov" + b"\x00" * 64)


class FetchingFake(ContractFake):
    """A platform fake that fetches media from public addresses, as Meta does: ``web`` serves a
    folder of its own (the union's server of the ``[media]`` folder), ``sample_media`` puts files
    there, and ``downloads`` lists the URLs the fake downloaded, in order."""

    def __init__(self) -> None:
        super().__init__()
        self._folder = Path(tempfile.mkdtemp(prefix=f"{self.platform}-media-"))
        self.web = WebDir(self._folder)
        self.downloads: list[str] = []
        self._samples = itertools.count(1)

    def start(self) -> "FetchingFake":
        self.web.start()
        super().start()
        return self

    def stop(self) -> None:
        super().stop()
        self.web.stop()
        shutil.rmtree(self._folder, ignore_errors=True)

    def sample_media(self, *kinds: str) -> tuple[MediaFile, ...]:
        """Files on the web server, one per kind ("image" a JPEG, "video" an MP4), with their URLs;
        each image differs from the others."""
        files = []
        for kind in kinds or ("image",):
            n = next(self._samples)
            if kind == "video":
                name, data, mime = f"video-{n}.mp4", MP4_BYTES, "video/mp4"
            else:
                name, data, mime = f"poster-{n}.jpg", jpeg_bytes(color=(200, n % 256, 30)), "image/jpeg"
            url = self.web.put(name, data)
            files.append(MediaFile(path=self._folder / name, mime_type=mime, alt_text=f"Poster aksi {n}", url=url))
        return tuple(files)
