"""A real HTTP server on 127.0.0.1 that each fake platform builds on.

A fake subclasses ``FakePlatform`` and implements ``route(req)``; the base records every request,
injects failures on demand (``fail_next``), adds latency, and serves in threads so a client's
timeout or a dropped connection is real, not simulated.
"""
from __future__ import annotations

import email.parser
import email.policy
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit


@dataclass
class Part:
    """One part of a multipart/form-data body."""

    name: str
    data: bytes
    filename: str | None = None
    content_type: str | None = None

    @property
    def text(self) -> str:
        return self.data.decode()


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"null")

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode(), keep_blank_values=True)

    @property
    def content_type(self) -> str:
        return (self.header("Content-Type") or "").split(";")[0].strip().lower()

    def multipart(self) -> dict[str, list[Part]]:
        """The parts of a multipart/form-data body by field name ({} for any other body)."""
        if self.content_type != "multipart/form-data":
            return {}
        head = f"Content-Type: {self.header('Content-Type')}\r\n\r\n".encode()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + self.body)
        parts: dict[str, list[Part]] = {}
        for sub in message.iter_parts():
            name = sub.get_param("name", header="content-disposition")
            if name is None:
                continue
            parts.setdefault(name, []).append(Part(
                name=name, data=sub.get_payload(decode=True) or b"",
                filename=sub.get_filename(), content_type=sub.get_content_type()))
        return parts

    def params(self) -> dict[str, Any]:
        """Query, form, JSON-object or multipart fields merged into one dict (single values unwrapped).

        File parts stay ``Part`` objects; repeated fields become lists.
        """
        merged: dict[str, Any] = {}

        def put(key: str, values: list[Any]) -> None:
            merged[key] = values[0] if len(values) == 1 else list(values)

        for k, v in self.query.items():
            put(k, v)
        ctype = self.content_type
        if ctype == "application/json":
            body = self.json()
            if isinstance(body, dict):
                merged.update(body)
        elif ctype == "application/x-www-form-urlencoded":
            for k, v in self.form().items():
                put(k, v)
        elif ctype == "multipart/form-data":
            for k, parts in self.multipart().items():
                put(k, [p if p.filename is not None else p.text for p in parts])
        return merged

    def header(self, name: str) -> str | None:
        for k, v in self.headers.items():
            if k.lower() == name.lower():
                return v
        return None


@dataclass
class Response:
    status: int = 200
    body: Any = None                 # dict/list → JSON; bytes → raw
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self) -> bytes:
        if isinstance(self.body, bytes):
            return self.body
        if self.body is None:
            return b""
        return json.dumps(self.body).encode()


class Failure:
    """Named failures any fake can be told to produce for its next matching request."""

    SLOW = "slow"          # answer only after the client's timeout
    DROP = "drop"          # close the connection without answering
    DROP_AFTER = "drop_after"  # do the work, then close without answering (outcome unknown)


class FakePlatform:
    """Base of every fake. Thread-safe; start with ``start()``, stop with ``stop()``."""

    slow_seconds = 3.0

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.lock = threading.RLock()
        self._failures: list[tuple[str | None, Any]] = []
        self.latency = 0.0
        self._server: ThreadingHTTPServer | None = None
        self._stopping = threading.Event()  # wakes handlers held back by SLOW when the fake stops
        #: test-only hook, called under the lock with each request before its failure is taken: it may
        #: queue a failure for this very request (``fail_next``, ``server_error_next``, ``rate_limit_next``),
        #: e.g. to fail a random share of creates (tests/reliability)
        self.on_request: Callable[[Request], None] | None = None
        self._in_flight = 0
        self._idle = threading.Condition(self.lock)

    # --- control -------------------------------------------------------------------------
    def fail_next(self, failure: Any, path_contains: str | None = None, times: int = 1) -> None:
        """Make the next ``times`` requests (whose path contains ``path_contains`` as whole path
        segments: ``path_matches``) fail.

        ``failure`` is a ``Failure`` name or a ``Response`` to send instead of the real answer.
        """
        with self.lock:
            self._failures.extend([(path_contains, failure)] * times)

    def wait_idle(self, timeout: float = 10.0) -> bool:
        """Wait until no request is being handled (e.g. a SLOW answer still on its way); True if idle."""
        with self._idle:
            return self._idle.wait_for(lambda: self._in_flight == 0, timeout)

    def calls(self, method: str | None = None, path_contains: str = "") -> list[Request]:
        with self.lock:
            return [r for r in self.requests
                    if (method is None or r.method == method) and path_contains in r.path]

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakePlatform":
        fake = self
        self._stopping.clear()

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True   # headers and body go out separately: no 40 ms stalls

            def log_message(self, *args: Any) -> None:  # keep test output clean
                pass

            def _serve(self) -> None:
                with fake.lock:
                    fake._in_flight += 1
                try:
                    self._answer()
                finally:
                    with fake.lock:
                        fake._in_flight -= 1
                        fake._idle.notify_all()

            def _answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                parts = urlsplit(self.path)
                req = Request(self.command, parts.path, parse_qs(parts.query, keep_blank_values=True),
                              dict(self.headers.items()), body)
                with fake.lock:
                    fake.requests.append(req)
                    if fake.on_request is not None:
                        fake.on_request(req)
                    failure = fake._take_failure(req)
                if fake.latency:
                    time.sleep(fake.latency)
                if failure == Failure.DROP:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                if failure == Failure.SLOW and fake._stopping.wait(fake.slow_seconds):
                    self.close_connection = True  # the test is over: answer nobody, touch no state
                    return
                if isinstance(failure, Response):
                    resp = failure
                else:
                    with fake.lock:
                        resp = fake.route(req)
                if failure == Failure.DROP_AFTER:
                    self.close_connection = True
                    self.connection.shutdown(2)
                    return
                data = resp.encode()
                try:
                    self.send_response(resp.status)
                    headers = {"Content-Type": "application/json; charset=utf-8", **resp.headers}
                    for k, v in headers.items():
                        self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _serve

        self._server = _Server(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        # a short poll interval: stop() (shutdown) waits up to one interval, once per test
        threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def _take_failure(self, req: Request) -> Any:
        for i, (needle, failure) in enumerate(self._failures):
            if needle is None or path_matches(req.path, needle):
                del self._failures[i]
                return failure
        return None

    # --- to implement --------------------------------------------------------------------
    def route(self, req: Request) -> Response:  # pragma: no cover - abstract
        raise NotImplementedError


#: what ends a path segment (``/``), or a part of an XRPC method name (``com.atproto.repo.createRecord``)
_SEGMENT_ENDS = "/."


def path_matches(path: str, needle: str) -> bool:
    """Whether ``needle`` occurs in ``path`` as whole segments: ``threads_publish`` matches
    ``/v1.0/1/threads_publish`` but not ``/v1.0/1/threads_publishing_limit``; ``/2/tweets`` matches
    ``/2/tweets`` and ``/2/tweets/search/recent``; ``createRecord`` matches
    ``/xrpc/com.atproto.repo.createRecord``. A needle that starts or ends with ``/`` is its own
    boundary on that side."""
    if not needle:
        return True
    start = path.find(needle)
    while start >= 0:
        end = start + len(needle)
        before = start == 0 or needle[0] in _SEGMENT_ENDS or path[start - 1] in _SEGMENT_ENDS
        after = end == len(path) or needle[-1] in _SEGMENT_ENDS or path[end] in _SEGMENT_ENDS
        if before and after:
            return True
        start = path.find(needle, start + 1)
    return False


class _Server(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that went away (killed, timed out) is normal here; anything else is printed."""
        import sys

        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            return
        super().handle_error(request, client_address)


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class ContractFake(FakePlatform):
    """What every platform fake offers the shared contract tests (tests/connectors/test_contract.py).

    Each ``tests/fakes/<platform>.py`` defines one subclass named ``Fake`` with these methods,
    answering in the platform's real wire format and checking what it receives (auth present,
    body shape, limits) — a request that breaks the platform's rules gets the platform's error.

    ``clock`` is what the fake believes "now" is (creation times, time windows); tests replace it
    with the same fake clock they give the connector (``fake.clock = clock``).
    """

    platform: str = ""
    clock: Callable[[], datetime] = staticmethod(_utcnow)

    def account_config(self, state_dir=None):
        """An ``AccountConfig`` pointed at this fake, with its test secrets."""
        raise NotImplementedError

    def secret_values(self) -> list[str]:
        """Every secret string (tokens, passwords, session JWTs the fake issued) that must never leak."""
        raise NotImplementedError

    def posts(self) -> dict[str, str]:
        """remote id → text of every post that exists on the fake account now."""
        raise NotImplementedError

    def create_count(self) -> int:
        """How many create calls actually created a post (duplicates refused/deduplicated excluded)."""
        raise NotImplementedError

    def set_engagement(self, remote_id: str, **counts: int) -> None:
        """Set likes/reposts/replies/quotes/impressions/bookmarks for a post (names as in Metrics)."""
        raise NotImplementedError

    def add_reply(self, remote_id: str, author: str, text: str, created_at) -> str:
        """Add a reply by someone else to a post; returns the reply's remote id."""
        raise NotImplementedError

    def remove_post(self, remote_id: str) -> None:
        """The post disappears (deleted on the platform, outside campaigner)."""
        raise NotImplementedError

    def expire_credentials(self) -> None:
        """From now on every call answers the platform's 'token expired/invalid' error."""
        raise NotImplementedError

    def rate_limit_next(self, reset_at) -> None:
        """The next call answers the platform's rate-limit error with reset info for ``reset_at``."""
        raise NotImplementedError

    def server_error_next(self, status: int = 503) -> None:
        """The next call answers the platform's server error with this status."""
        raise NotImplementedError

    # --- optional ------------------------------------------------------------------------
    def sample_media(self, *kinds: str):
        """Media files a post on this platform can carry, one per kind (``"image"``, ``"video"``), as
        ``MediaFile``s with their public ``url`` on a real web server the fake fetches them from.

        Optional: required by platforms whose posts need media (Instagram); the contract's media tests
        skip a fake that leaves it out.
        """
        raise NotImplementedError

    def reply_parent(self, remote_id: str) -> str | None:
        """The remote id of the post that ``remote_id`` replies to (None for a top-level post).

        Optional: the contract tests skip the thread-linking check when a fake leaves it out.
        """
        raise NotImplementedError
