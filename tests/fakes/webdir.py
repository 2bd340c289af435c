"""A real web server on 127.0.0.1 serving one folder, as a union's own web server serves the
``[media]`` public_dir: Meta's fakes download media from it over real HTTP.

``redirects`` maps a path to the address a 301 sends it to (a Google Drive style link), so a fake can
be shown what Meta refuses; everything else is Python's ``SimpleHTTPRequestHandler`` (a ``.html``
file is served as ``text/html``, a missing file is a 404 page).
"""
from __future__ import annotations

import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any


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
