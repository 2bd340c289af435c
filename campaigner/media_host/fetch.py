"""One GET of a public media URL the way Meta makes it: no redirect followed, a total deadline,
a byte cap. Used by ``MediaHost.probe`` to check that what campaigner puts is what the web serves.

requests' ``timeout`` bounds each socket read and restarts with every byte, so the body is read
with ``read1`` (what has arrived, never waiting for a full chunk) and the clock checked between
reads: a server trickling its answer is cut off at the deadline.
"""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Callable
from urllib.parse import urljoin

#: seconds the whole fetch may take
DEADLINE = 10.0
#: the most bytes read from one answer
MAX_BYTES = 1024 * 1024
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Fetched:
    """What the server answered: status, content type (lower case, no parameters), where a
    redirect points, and the body (empty for a redirect)."""

    status: int
    content_type: str
    location: str | None
    body: bytes


class FetchFailed(Exception):
    """No complete answer: refused, dropped, past the deadline or over the byte cap (the text
    says which, without the URL)."""


#: what ``MediaHost.probe`` calls: ``fetch(url) -> Fetched``, raising ``FetchFailed``
Fetch = Callable[[str], Fetched]


def fetch_public(url: str, *, deadline: float = DEADLINE, max_bytes: int = MAX_BYTES) -> Fetched:
    """GET ``url`` within ``deadline`` seconds, reading at most ``max_bytes`` of the answer."""
    import requests
    import urllib3

    from connectors.http import USER_AGENT

    give_up = time.monotonic() + deadline
    late = f"no complete answer within {deadline:g} s"
    try:
        with requests.Session() as session:
            session.headers["User-Agent"] = USER_AGENT
            with session.get(url, stream=True, allow_redirects=False, timeout=(deadline, deadline)) as response:
                kind = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()[:100]
                if response.is_redirect:
                    location = response.headers.get("Location")
                    return Fetched(response.status_code, kind, urljoin(url, location) if location else None, b"")
                body = bytearray()
                while chunk := response.raw.read1(_CHUNK, decode_content=True):
                    body += chunk
                    if len(body) > max_bytes:
                        raise FetchFailed(f"the answer is larger than {max_bytes} bytes")
                    if time.monotonic() > give_up:
                        raise FetchFailed(late)
                return Fetched(response.status_code, kind, None, bytes(body))
    except (requests.exceptions.Timeout, urllib3.exceptions.TimeoutError):
        raise FetchFailed(late) from None
    except requests.exceptions.ConnectionError as exc:
        text = str(exc).lower()
        raise FetchFailed("connection refused" if "refused" in text else "host not found"
                          if "name or service" in text or "resolution" in text else "connection failed") from None
    except (requests.exceptions.ChunkedEncodingError, urllib3.exceptions.ProtocolError):
        raise FetchFailed("the server hung up before the whole answer arrived") from None
    except (requests.exceptions.RequestException, urllib3.exceptions.HTTPError, OSError) as exc:
        raise FetchFailed(type(exc).__name__) from None
