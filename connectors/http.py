"""The one HTTP helper every requests-based connector uses.

Every request has a total deadline — connect, upload and the whole answer, not only each socket
read (``connectors.deadline``), grown by the time its body takes at ``MIN_UPLOAD_RATE`` so a post
with photos or a video can go out on an ordinary link — and the answer is read up to a byte cap,
counted as sent and once decompressed (a few MB of gzip can inflate to gigabytes). Redirects are
never followed: requests would carry a POST body holding a Page token or an app password to
whatever host a 307 names, so a 3xx is an error naming the new location. Network failures become
typed errors (telling apart "never reached the platform" from "outcome unknown"), and secrets stay
out of every message: URLs are shown without their query and with any registered secret as ``***``.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from gettext import gettext as _
from typing import Any, Iterable, Mapping
from urllib.parse import urljoin

import requests
from requests.utils import super_len

from connectors import deadline
from connectors.numbers import decimal
from connectors.base import Permanent, Transient, one_line

log = logging.getLogger(__name__)

USER_AGENT = "campaigner/0.1 (+https://example.invalid/campaigner)"
#: seconds a request may take from connect to the answer's last byte, unless the caller says
DEFAULT_TIMEOUT = 20.0
#: the slowest upload (bytes a second) a request's deadline allows for: each byte of its body adds
#: 1/MIN_UPLOAD_RATE s, so 10 MB of photos may take 160 s more (64 KB/s: a poor mobile uplink)
MIN_UPLOAD_RATE = 64 * 1024
#: the most bytes of one answer read (as sent, and again once decompressed); the largest answers
#: campaigner reads (a page of 40 statuses, a batch of 50 posts' counts) are a few hundred KB
MAX_RESPONSE_BYTES = 8 * 1024 * 1024
_CHUNK = 64 * 1024
#: the most characters of a server's header text (a redirect's target, a content type) put in a message
MAX_HEADER_SHOWN = 120


class Redactor:
    """Replaces every known secret value in a text with ``***``."""

    def __init__(self, secrets: Iterable[str] = ()):
        self._secrets = sorted({s for s in secrets if s and len(s) >= 4}, key=len, reverse=True)

    def add(self, secret: str | None) -> None:
        if secret and len(secret) >= 4 and secret not in self._secrets:
            self._secrets.append(secret)
            self._secrets.sort(key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for s in self._secrets:
            text = text.replace(s, "***")
        return text


def json_body(response: requests.Response) -> Any:
    """The response's JSON body, or ``None`` when it is empty or not JSON (never raises)."""
    try:
        return json.loads(response.content or b"null")
    except (ValueError, UnicodeDecodeError):
        return None


def unexpected_answer(what: str, response: requests.Response, expected: str) -> Transient:
    """The ``Transient`` for a success whose body is not what the API sends (a captive portal's
    page, a proxy's error page, a base URL pointing at a website), so it is never taken as valid."""
    kind = one_line((response.headers.get("Content-Type") or _("no content type")).split(";")[0], MAX_HEADER_SHOWN)
    return Transient(_("{what}: the answer (HTTP {status}, {kind}) is not {expected}").format(
        what=what, status=response.status_code, kind=kind, expected=_(expected)))


def parse_http_time(value: str | None) -> datetime | None:
    """An aware UTC datetime from an ISO 8601 or RFC 7231 (``Retry-After`` style) text; None if unparsable."""
    if not value:
        return None
    value = value.strip()
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        try:
            parsed = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def require_time(value: str | None, platform: str) -> datetime:
    """``parse_http_time`` for a time the platform must send: unreadable → ``Permanent``."""
    parsed = parse_http_time(value)
    if parsed is None:
        raise Permanent(f"{platform}: unreadable time {value!r}")
    return parsed


def server_error(method: str, status: int, what: str) -> Transient:
    """The ``Transient`` for a 5xx answer.

    A write that got 500/502/504 may have been carried out before the failure (a proxy timing out
    in front of a slow backend answers 502/504), so its outcome is unknown; 503 means the request was
    turned away before any work, and reads never change anything.
    """
    unknown = method.upper() not in ("GET", "HEAD") and status != 503
    return Transient(_("{what}: server error {status}").format(what=what, status=status), outcome_unknown=unknown,
                     http_status=status)


def body_size(data: Any = None, json_data: Any = None, files: Any = None) -> int:
    """About how many bytes the body made of requests' ``data``, ``json`` and ``files`` holds:
    bytes, text, files (what is left from their position), form fields and ``(name, content, type)``
    tuples; form and multipart framing is not counted, nor anything of unknown length (a generator)."""
    size = _size(data) + _size(files)
    if json_data is not None:
        try:
            size += len(json.dumps(json_data))
        except (TypeError, ValueError):  # requests refuses it too, before sending anything
            pass
    return size


def _size(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, Mapping):
        return sum(_size(k) + _size(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return sum(_size(v) for v in value)
    if isinstance(value, (int, float)):
        return len(str(value))
    return super_len(value)  # what requests itself uses for Content-Length: len, fstat or seek/tell


class _TooLarge(Exception):
    pass


class HttpClient:
    """A ``requests.Session`` bound to a base URL, with a total deadline and a size cap on every
    request, no redirects, and redacted errors."""

    def __init__(self, base_url: str, *, timeout: float = DEFAULT_TIMEOUT, redactor: Redactor | None = None,
                 session: requests.Session | None = None, max_bytes: int = MAX_RESPONSE_BYTES):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.max_bytes = max_bytes
        self.redact = redactor or Redactor()
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", USER_AGENT)
        # Not following a redirect, requests still works out where it would go: it reads the 3xx
        # answer's whole body (no cap, gzip inflated) and parses its Location (a ValueError on
        # "http://[x"). With no redirect target it does neither; ``request`` reads the Location.
        self.session.get_redirect_target = lambda resp: None  # type: ignore[method-assign]
        adapter = deadline.DeadlineAdapter()
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"

    def shown(self, url: str) -> str:
        """``url`` as it may appear in a message: no query, secrets replaced."""
        return self.redact(url.split("?", 1)[0].split("#", 1)[0])

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send one request and read its whole answer within ``timeout`` seconds, plus the time its
        body takes at ``MIN_UPLOAD_RATE``.

        Raises ``Transient`` on network failure, on the deadline and on an answer over
        ``max_bytes`` (outcome unknown for a write: it may have been carried out), and
        ``Permanent`` on a redirect; never retries. The client's own deadline, streaming and
        redirect settings always apply (``timeout``, ``stream`` and ``allow_redirects`` are ignored).
        """
        url = self.url(path)
        shown = self.shown(url)
        write = method.upper() not in ("GET", "HEAD")
        for name in ("timeout", "stream", "allow_redirects"):
            kwargs.pop(name, None)
        upload = body_size(kwargs.get("data"), kwargs.get("json"), kwargs.get("files"))
        limit = self.timeout + upload / MIN_UPLOAD_RATE
        late = _("no complete answer within {seconds}s").format(seconds=decimal(limit, 1))
        watch = deadline.start(limit)
        failure: str | None = None
        refused = False
        response = None
        try:
            # connecting gets the plain timeout; once connected, a server may take in the body slowly
            # and still be draining the socket buffers when the last byte is handed to them
            response = self.session.request(method, url, timeout=(self.timeout, limit), stream=True,
                                            allow_redirects=False, **kwargs)
            if not 300 <= response.status_code < 400:
                self._read(response)
        except _TooLarge:
            failure = _("the answer is larger than {n} bytes").format(n=self.max_bytes)
        except requests.exceptions.ConnectTimeout:
            failure, refused = _("connection timed out"), True
        except requests.exceptions.ReadTimeout:
            failure = late
        except requests.exceptions.ConnectionError as exc:
            # A refused connection never reached the platform; a dropped one may have.
            text = str(exc).lower()
            refused = "refused" in text or "name or service" in text
            failure = _("connection failed (refused)") if refused else _("connection failed (dropped)")
        except requests.exceptions.RequestException as exc:
            failure = type(exc).__name__
        finally:
            if watch.finish():  # whatever happened after, the deadline cut the answer short
                failure, refused = (late, False) if watch.connected else (_("connection timed out"), True)
            if response is not None:
                if failure is not None:
                    response.raw.close()  # a half-read answer: the connection is not reused
                response.close()
        if failure is not None:
            raise Transient(f"{method} {shown}: {failure}", outcome_unknown=write and not refused) from None
        assert response is not None
        if 300 <= response.status_code < 400:
            where = self._redirect_target(url, response.headers.get("Location"))
            raise Permanent(_("{method} {url}: the server redirects to {where} (HTTP {status}); redirects are not "
                              "followed — point the account's base URL at the API itself").format(
                method=method, url=shown, where=where, status=response.status_code))
        log.debug("%s %s -> %s", method, shown, response.status_code)
        return response

    def _redirect_target(self, url: str, location: str | None) -> str:
        """Where a redirect points, fit for a message: the server chose the text, so it is redacted,
        made one printable line and bounded (the advice after it must survive the message's cut)."""
        if not location:
            return "nowhere"
        try:
            target = urljoin(url, location)
        except ValueError:  # e.g. "http://[x": not a URL at all
            target = location
        return one_line(self.shown(target), MAX_HEADER_SHOWN)

    def _read(self, response: requests.Response) -> None:
        """Read the whole (decompressed) answer into ``response.content``, at most ``max_bytes``
        of it as sent and as decompressed (urllib3 decompresses at most one chunk at a time)."""
        body = bytearray()
        for chunk in response.iter_content(_CHUNK):
            body += chunk
            if len(body) > self.max_bytes or response.raw.tell() > self.max_bytes:
                raise _TooLarge
        response._content = bytes(body)  # where requests keeps what it read (``.content``, ``.json()``)
