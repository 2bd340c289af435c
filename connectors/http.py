"""The one HTTP helper every requests-based connector uses.

It sets a timeout on every request, turns network failures into typed errors (telling apart
"never reached the platform" from "outcome unknown"), and keeps secrets out of every message:
URLs are shown without their query and with any registered secret replaced by ``***``.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Any, Iterable

import requests

from connectors.base import Permanent, Transient

log = logging.getLogger(__name__)

USER_AGENT = "campaigner/0.1 (+https://example.invalid/campaigner)"


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
    return Transient(f"{what}: server error {status}", outcome_unknown=unknown)


class HttpClient:
    """A ``requests.Session`` bound to a base URL, with a timeout and redacted errors."""

    def __init__(self, base_url: str, *, timeout: float = 20.0, redactor: Redactor | None = None,
                 session: requests.Session | None = None):
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.redact = redactor or Redactor()
        self.session = session or requests.Session()
        self.session.headers.setdefault("User-Agent", USER_AGENT)

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else f"{self.base_url}/{path.lstrip('/')}"

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        """Send one request. Raises ``Transient`` on network failure; never retries."""
        url = self.url(path)
        shown = self.redact(url.split("?", 1)[0])
        kwargs.setdefault("timeout", self.timeout)
        try:
            response = self.session.request(method, url, **kwargs)
        except requests.exceptions.ConnectTimeout:
            raise Transient(f"{method} {shown}: connection timed out", outcome_unknown=False) from None
        except requests.exceptions.ReadTimeout:
            raise Transient(f"{method} {shown}: no answer within {kwargs['timeout']}s",
                            outcome_unknown=method != "GET") from None
        except requests.exceptions.ConnectionError as exc:
            # A refused connection never reached the platform; a dropped one may have.
            refused = "refused" in str(exc).lower() or "name or service" in str(exc).lower()
            raise Transient(f"{method} {shown}: connection failed"
                            + (" (refused)" if refused else " (dropped)"),
                            outcome_unknown=(method != "GET" and not refused)) from None
        except requests.exceptions.RequestException as exc:
            raise Transient(f"{method} {shown}: {type(exc).__name__}", outcome_unknown=method != "GET") from None
        log.debug("%s %s -> %s", method, shown, response.status_code)
        return response
