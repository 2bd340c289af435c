"""One GET of a public media URL the way Meta makes it: no redirect followed, a total deadline,
a byte cap. Used by ``MediaHost.probe`` to check that what campaigner puts is what the web serves.

The deadline is the connectors' own (``connectors.deadline``): it covers connecting, the headers
and the whole body, so a server trickling its answer a byte at a time is cut off in time.
Unlike ``connectors.http.HttpClient``, a redirect is an answer here (the probe says where it
points), not an error.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable
from urllib.parse import urljoin

from campaigner.i18n import _, decimal, number

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

    from connectors import deadline as deadlines
    from connectors.http import USER_AGENT

    late = _("no complete answer within {seconds} s").format(seconds=decimal(deadline, 1))
    watch = deadlines.start(deadline)
    failure: str | None = None
    answer: Fetched | None = None
    try:
        with requests.Session() as session:
            session.headers["User-Agent"] = USER_AGENT
            session.mount("http://", deadlines.DeadlineAdapter())
            session.mount("https://", deadlines.DeadlineAdapter())
            with session.get(url, stream=True, allow_redirects=False, timeout=deadline) as response:
                kind = (response.headers.get("Content-Type") or "").split(";")[0].strip().lower()[:100]
                if response.is_redirect:
                    location = response.headers.get("Location")
                    answer = Fetched(response.status_code, kind, urljoin(url, location) if location else None, b"")
                else:
                    body = bytearray()
                    for chunk in response.iter_content(_CHUNK):
                        body += chunk
                        if len(body) > max_bytes or response.raw.tell() > max_bytes:
                            failure = _("the answer is larger than {n} bytes").format(n=number(max_bytes))
                            break
                    else:
                        answer = Fetched(response.status_code, kind, None, bytes(body))
    except requests.exceptions.Timeout:
        failure = late
    except requests.exceptions.ChunkedEncodingError:
        failure = _("the server hung up before the whole answer arrived")
    except requests.exceptions.ConnectionError as exc:
        text = str(exc).lower()
        failure = (_("connection refused") if "refused" in text else
                   _("host not found") if "name or service" in text or "resolution" in text
                   else _("connection failed"))
    except requests.exceptions.RequestException as exc:
        failure = type(exc).__name__
    finally:
        if watch.finish():  # whatever happened after (an error, or an answer cut short), the deadline did it
            failure = late
    if failure is not None or answer is None:
        raise FetchFailed(failure or _("no answer"))
    return answer
