"""What Meta's Graph APIs (Facebook Pages, Instagram, Threads) share: one way to call them, one
reading of their errors, the media-container publishing flow, publishing quotas, token renewal and
media insights that refuse some metrics.

* **Errors** come as ``{"error": {message, type, code, error_subcode, is_transient, error_user_msg,
  fbtrace_id}}`` (IG-ERR, https://developers.facebook.com/documentation/instagram-platform/
  instagram-graph-api/reference/error-codes). ``refusal`` turns one into a typed error: code 190/102
  (and permission errors 10, 200–299) → ``AuthExpired``; throttling (4, 17, 32, 613, 80001–80099) →
  ``RateLimited`` at ``estimated_time_to_regain_access`` of ``X-Business-Use-Case-Usage`` (an hour
  without it); ``9/2207042`` (daily publishing limit) → ``DailyLimitReached``; ``4/2207051`` (suspected
  spam) → ``Permanent`` with advice; ``-2/2207003``, ``-1/2207001``, ``-1/2207032``, ``2207008`` →
  ``Transient``; ``2207020``/``2207053`` (expired or broken container) → ``ContainerGone``, the signal
  to make a new container; ``9007/2207027`` (not ready yet) → ``ContainerNotReady``; 5xx → ``Transient``;
  ``506`` (a Page's duplicate status message) → ``AlreadyPublished``; ``100/33`` (no such object) →
  ``NoSuchObject``, a ``Permanent``.
  ``outcome_unknown`` is set only for a write whose answer was lost (or a 500/502/504, or Graph's
  code 1 "unknown error" on a write), never for a read.
* **Containers** (``ContainerFlow``): create the item containers (in parallel), wait while a video is
  ``IN_PROGRESS`` by raising ``NotReady(check_at, progress)`` on a schedule that asks sooner first
  (2 s, 5 s, 10 s, 20 s, 30 s, then once a minute) for at most 5 minutes, as Meta recommends ("once
  per minute, for no more than 5 minutes", IG-PUB), then publish. What was made is kept in
  ``progress`` so a later call resumes; a container 23 hours old is replaced (they expire after 24).
* **Quota** (``read_quota``): ``content_publishing_limit`` / ``threads_publishing_limit``.
* **Tokens** (``refresh_token``): ``GET /refresh_access_token?grant_type=ig_refresh_token`` (or
  ``th_refresh_token``) → a token valid ``expires_in`` seconds more.
* **Insights** (``Insights``): one refused metric fails the whole request ("(#100) The metric shares is
  not supported for this media type"), so the metric named is dropped, remembered per media product
  type, and the rest asked again; "(#10) Not enough viewers" means "not known", never 0.

Nothing here sleeps or retries a request: it only asks again without a refused metric, or makes a
container anew when Meta says the old one is gone.
"""
from __future__ import annotations

import hashlib
import json
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from gettext import gettext as _
from typing import Any, Callable, Iterator, Mapping, Sequence
from urllib.parse import parse_qs, urlsplit

import requests

from connectors import logsafe
from connectors.numbers import decimal
from connectors.unread import Rest, UnreadComments, cursor
from connectors.base import (N_, AlreadyPublished, AuthExpired, Clock, ConnectorError, NotReady, NotSupported,
                             Permanent, Quota, RateLimited, RefreshedToken, Transient, system_clock)
from connectors.http import HttpClient, Redactor, json_body, parse_http_time, server_error, unexpected_answer

log = logging.getLogger(__name__)

#: the Graph API version Facebook and Instagram calls are pinned to (v27.0, released 2026-11-04)
GRAPH_VERSION = "v27.0"

THROTTLE_CODES = frozenset({4, 17, 32, 613})
#: Business Use Case throttling codes (80001 Pages, 80002 Instagram, …)
BUC_CODES = range(80000, 80100)
AUTH_CODES = frozenset({102, 190})
DEFAULT_THROTTLE_WAIT = timedelta(hours=1)

# Instagram publishing subcodes (IG-ERR table)
DAILY_LIMIT = 2207042          # 9: "You reached maximum number of posts …" — try again the following day
SPAM = 2207051                 # 4: "We restrict certain activity to protect our community."
DOWNLOAD_TIMEOUT = 2207003     # -2: "It takes too long to download the media." — try again
SERVER_ERROR = 2207001         # -1: "Instagram server error. Try again."
CREATE_FAILED = 2207032        # -1: "Create media fail, please try to re-create media"
PUBLISH_TEMPORARY = 2207008    # "Temporary error publishing a container" — try again
CONTAINER_EXPIRED = 2207020    # -2: "The media you are trying to access has expired" — new container
UPLOAD_UNKNOWN = 2207053       # -1: "unknown upload error" — new container
NOT_READY = 2207027            # 9007: "The media is not ready for publishing, please wait for a moment"
#: code 100, subcode 33: "Unsupported get request. Object with ID '…' does not exist, cannot be loaded …"
NO_SUCH_OBJECT = 33
#: "(#506) Duplicate status message": a Facebook Page already has a post with this text
DUPLICATE_POST = 506
TRANSIENT_SUBCODES = frozenset({DOWNLOAD_TIMEOUT, SERVER_ERROR, CREATE_FAILED, PUBLISH_TEMPORARY})
GONE_SUBCODES = frozenset({CONTAINER_EXPIRED, UPLOAD_UNKNOWN})
#: how long a daily publishing limit lasts when nothing better is known (Meta: a moving 24 hours)
DAILY_WINDOW = timedelta(hours=24)


class ContainerGone(Transient):
    """Meta no longer has the media container (expired, or its upload broke): make a new one."""


class ContainerNotReady(Transient):
    """Meta is still processing the container asked to be published: check again soon."""


class NoSuchObject(Permanent):
    """Graph does not have the object asked for (code 100, subcode 33, or "does not exist"): a post
    deleted outside campaigner, a container Meta dropped."""


class DailyLimitReached(RateLimited):
    """The account's own publishing quota (``9/2207042``) is used up; ``retry_at`` is when the moving
    window frees a slot (24 hours from now unless the connector knows better)."""


@dataclass(frozen=True)
class GraphProblem:
    """The fields of a Graph error body that decide what it means."""

    code: int
    subcode: int | None
    message: str
    user_message: str
    type: str
    is_transient: bool


def graph_problem(body: Any) -> GraphProblem | None:
    """The ``error`` of a Graph answer, or None when the body has none (an HTML page, nothing)."""
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return None

    def number(value: Any) -> int | None:
        if isinstance(value, bool):
            return None
        try:
            return int(value)
        except (TypeError, ValueError):
            return None

    return GraphProblem(code=number(error.get("code")) or 0, subcode=number(error.get("error_subcode")),
                        message=str(error.get("message") or "unknown error"),
                        user_message=str(error.get("error_user_msg") or ""), type=str(error.get("type") or ""),
                        is_transient=error.get("is_transient") is True)


def no_such_object(problem: GraphProblem | None) -> bool:
    """Whether a Graph error says the object does not exist (code 100, subcode 33 or its words)."""
    return problem is not None and problem.code == 100 and (
        problem.subcode == NO_SUCH_OBJECT or "does not exist" in problem.message)


def regain_at(headers: Any, now: datetime) -> datetime:
    """When a throttle lifts: the largest ``estimated_time_to_regain_access`` (minutes) in
    ``X-Business-Use-Case-Usage``; otherwise an hour (Platform limits use a rolling hour)."""
    minutes = 0
    raw = headers.get("X-Business-Use-Case-Usage") if headers is not None else None
    if raw:
        try:
            usage = json.loads(raw)
            for entries in usage.values():
                for entry in entries if isinstance(entries, list) else [entries]:
                    minutes = max(minutes, int(entry.get("estimated_time_to_regain_access") or 0))
        except (ValueError, AttributeError, TypeError):
            log.debug("meta: unreadable X-Business-Use-Case-Usage header")
    return now + (timedelta(minutes=minutes) if minutes > 0 else DEFAULT_THROTTLE_WAIT)


def refusal(what: str, method: str, status: int, headers: Any, body: Any, *, now: datetime,
            redact: Callable[[str], str] = lambda text: text) -> ConnectorError:
    """The typed error for a Graph refusal of ``method`` (``what`` names the call in messages, e.g.
    ``instagram POST /123/media``). ``http_status`` is set; messages pass through ``redact``."""
    error = _refusal(what, method, status, headers, body, now=now, redact=redact)
    error.http_status = status
    return error


def _refusal(what: str, method: str, status: int, headers: Any, body: Any, *, now: datetime,
             redact: Callable[[str], str]) -> ConnectorError:
    write = method.upper() not in ("GET", "HEAD")
    problem = graph_problem(body)
    if problem is None:
        if status >= 500:
            return server_error(method, status, what)
        if status == 401:
            return AuthExpired(f"{what}: HTTP 401")
        if status == 429:
            return RateLimited(regain_at(headers, now), f"{what}: HTTP 429")
        return Permanent(f"{what}: HTTP {status}")
    code, subcode = problem.code, problem.subcode
    message = redact(problem.message)
    detail = f"code {code}{f', subcode {subcode}' if subcode else ''}"
    reason = f"{what}: {message} ({detail})"
    user = redact(problem.user_message)
    if user and user not in message:
        reason = f"{what}: {message}: {user} ({detail})"
    if code in AUTH_CODES:
        return AuthExpired(reason)
    if code == DUPLICATE_POST:
        # the Page already has this text: after a lost answer, it is this post
        return AlreadyPublished(reason)
    if subcode == DAILY_LIMIT:
        return DailyLimitReached(now + DAILY_WINDOW, reason, scope="account")
    if subcode == SPAM:
        return Permanent(_("{reason} — Instagram suspects this post is spam: change the caption or media (repeated "
                           "text, many hashtags or links), post less often, and ask Meta to review it in the app if "
                           "it is not spam").format(reason=reason))
    if subcode in GONE_SUBCODES:
        return ContainerGone(reason)
    if subcode == NOT_READY:
        return ContainerNotReady(reason)
    if subcode in TRANSIENT_SUBCODES:
        return Transient(reason)
    if code in THROTTLE_CODES or code in BUC_CODES:
        return RateLimited(regain_at(headers, now), reason, scope="app" if code == 4 else "account")
    if code == 10 or 200 <= code <= 299:
        # a permission the token lacks: every later call of the account fails the same way
        return AuthExpired(reason)
    if status >= 500:
        return server_error(method, status, f"{what} ({message})")
    if problem.is_transient or code in (1, 2):
        # Graph's code 1 "An unknown error occurred" on a write: it may have been carried out
        return Transient(reason, outcome_unknown=write and code == 1)
    return NoSuchObject(reason) if no_such_object(problem) else Permanent(reason)


def keep(error: ConnectorError, progress: Mapping[str, Any] | None) -> ConnectorError:
    """``error`` carrying ``progress`` (what the engine keeps for the next call; ``{}`` forgets)."""
    error.progress = progress
    return error


class GraphClient:
    """Calls of one Graph host with one token: the token goes in the query (GET/DELETE) or the form
    body (POST), never in a message or a log; refusals become typed errors (``refusal``).

    ``base_url`` is the host (``https://graph.instagram.com``); paths are put under ``version``
    unless ``versioned=False`` (``/refresh_access_token`` is not versioned)."""

    def __init__(self, platform: str, base_url: str, version: str, token: str, *, timeout: float,
                 clock: Clock = system_clock, session: requests.Session | None = None):
        logsafe.register(token)
        self.platform = platform
        self.version = version.strip("/")
        self.clock = clock
        self._token = token
        self.http = HttpClient(base_url.rstrip("/"), timeout=timeout, redactor=Redactor([token]), session=session)

    @property
    def token(self) -> str:
        return self._token

    def use_token(self, token: str) -> None:
        """Send ``token`` from now on (after a refresh); it is kept out of logs like the first."""
        logsafe.register(token)
        self.http.redact.add(token)
        self._token = token

    def path(self, path: str, versioned: bool = True) -> str:
        if path.startswith(("http://", "https://")) or not versioned:
            return path
        return f"/{self.version}/{path.lstrip('/')}"

    def what(self, method: str, path: str) -> str:
        """How a call is named in messages: platform, method and path, never the query."""
        if path.startswith(("http://", "https://")):
            return f"{self.platform} {method}"
        return f"{self.platform} {method} {path.split('?')[0]}"

    def send(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
             data: Mapping[str, Any] | None = None, files: Any = None,
             versioned: bool = True) -> tuple[requests.Response, Any]:
        """One request with the token added; the response and its JSON body, unjudged.
        A full URL (a ``paging.next`` link) already carries the token and its query. ``files`` go
        up as multipart form data (Facebook photo uploads)."""
        query = dict(params or {})
        form = dict(data or {}) if data is not None else None
        if method == "POST":
            form = {**(form or {}), "access_token": self._token}
        elif not path.startswith(("http://", "https://")):
            query["access_token"] = self._token
        response = self.http.request(method, self.path(path, versioned), params=query or None, data=form,
                                     files=files)
        return response, json_body(response)

    def call(self, method: str, path: str, *, params: Mapping[str, Any] | None = None,
             data: Mapping[str, Any] | None = None, files: Any = None, versioned: bool = True,
             reads_only: bool = False) -> Any:
        """``send``, and the body when Graph says yes; else the typed error. ``reads_only`` marks a
        POST that changes nothing, so its failures are never "outcome unknown"."""
        response, body = self.send(method, path, params=params, data=data, files=files, versioned=versioned)
        if response.status_code == 200 and not (isinstance(body, dict) and "error" in body):
            if body is None:
                raise unexpected_answer(self.what(method, path), response, N_("a Graph API answer"))
            return body
        raise self.refusal("GET" if reads_only else method, path, response.status_code, response.headers, body)

    def refusal(self, method: str, path: str, status: int, headers: Any, body: Any) -> ConnectorError:
        return refusal(self.what(method, path), method, status, headers, body, now=self.clock(),
                       redact=self.http.redact)

    def pages(self, path: str, params: Mapping[str, Any], max_pages: int) -> Iterator[dict[str, Any]]:
        """The items of a paged edge, page by page as they are consumed: a caller that stops early
        (its items are newest first and it has reached ``since``) asks for no further page.
        ``paging.next`` is followed for at most ``max_pages`` pages, and only to this host (each
        answer is bounded by the HTTP client's byte cap)."""
        return iter(Walk(self, path, params, max_pages))

    def own_url(self, value: Any) -> bool:
        """Whether ``value`` (a ``paging.next`` link from an answer) is a URL on this client's own
        host, the only place a paging link is followed (it carries the token)."""
        return isinstance(value, str) and value.startswith(self.http.base_url + "/")

    def under_each(self, parent_ids: Sequence[str], edge: str,
                   params: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
        """The items with an id on the first page of ``/{parent}/{edge}`` for each of ``parent_ids``
        (one request each), with the parent they are under; a parent that no longer exists
        (``NoSuchObject``) is passed over."""
        for parent in parent_ids:
            try:
                items = list(self.pages(f"/{parent}/{edge}", params, 1))
            except NoSuchObject:
                continue
            yield from ((str(parent), item) for item in items if item.get("id"))


class Walk:
    """The items of a paged edge, page by page as they are consumed (``GraphClient.pages``), from
    its start or from a kept cursor (``after``), remembering where it stopped: ``after`` is the
    cursor past the last page read whole, ``more`` whether pages are left past it (``max_pages``
    were read, or one failed). ``paging.next`` is followed only to the client's own host.

    With ``keep_going``, a page that fails (but not a refused token or a rate limit, which stop
    the account's whole poll) ends the walk instead of raising: ``failed`` is its error and what
    was read stays read. The first page of a walk from the start always raises: nothing was read."""

    def __init__(self, client: GraphClient, path: str, params: Mapping[str, Any], max_pages: int, *,
                 after: str | None = None, keep_going: bool = False):
        self.client, self.path, self.params, self.max_pages = client, path, dict(params), max_pages
        self.resumed = after is not None
        self.after = after
        self.keep_going = keep_going
        self.more = False
        #: whether the last page was read (none is left past it)
        self.ended = False
        self.failed: ConnectorError | None = None
        self.pages = 0

    def __iter__(self) -> Iterator[dict[str, Any]]:
        url: str | None = self.path
        params: dict[str, Any] | None = {**self.params, "after": self.after} if self.resumed else self.params
        for _page in range(self.max_pages):
            if url is None:
                return
            try:
                body = self.client.call("GET", url, params=params)
            except (AuthExpired, RateLimited):
                raise
            except ConnectorError as exc:
                if not self.keep_going or (self.pages == 0 and not self.resumed):
                    raise
                self.failed, self.more = exc, True
                return
            params = None
            self.pages += 1
            data = body.get("data") if isinstance(body, dict) else None
            yield from (item for item in (data if isinstance(data, list) else []) if isinstance(item, dict))
            paging = body.get("paging") if isinstance(body, dict) else None
            nxt = paging.get("next") if isinstance(paging, dict) else None
            url = nxt if self.client.own_url(nxt) else None
            self.more = url is not None
            self.ended = url is None
            self.after = self._cursor(paging, url) if url is not None else None

    @staticmethod
    def _cursor(paging: Any, nxt: str) -> str | None:
        """The ``after`` cursor of a page (or of its ``next`` link), when it can be one."""
        cursors = paging.get("cursors") if isinstance(paging, dict) else None
        value = cursors.get("after") if isinstance(cursors, dict) else None
        if value is None:
            value = next(iter(parse_qs(urlsplit(nxt).query).get("after") or []), None)
        return cursor(value)


def comments_and_rest(client: GraphClient, unread: UnreadComments, post: str, params: Mapping[str, Any], *,
                      edge: str = "comments", since: datetime | None, max_pages: int,
                      time_of: Callable[[dict[str, Any]], datetime], stop_at_since: bool
                      ) -> Iterator[tuple[dict[str, Any], bool]]:
    """The comments of ``post`` (``/{post}/{edge}``, newest first): those a poll reads from the top
    (at most ``max_pages`` pages; with ``stop_at_since``, down to the first older than ``since``),
    then at most ``max_pages`` more pages of those the last polls left unread (``unread``), each
    with whether it comes from there (``True``: older than ``since`` maybe, but never returned yet).

    A page past the first that fails ends that read but not the poll: what was read is returned,
    and the rest is read at the next poll from the cursor past the last page read. So are those
    past the cap, unless the read from the top reached ``since`` (older ones were read by earlier
    polls) or where the rest already kept starts. At most one cursor is kept per post: a new hole
    above the one kept is read down through it (read twice, stored once). A refused token or a rate
    limit raises (nothing is kept: the next poll starts from the same place)."""
    path = f"/{post}/{edge}"
    rest = unread.rest(post)
    hole = rest is not None and rest.after is not None
    top = Walk(client, path, params, max_pages, keep_going=True)
    last: datetime | None = None
    for item in top:
        last = time_of(item)
        if stop_at_since and since is not None and last < since:
            break
        # one as old as those left unread may be one of them (it is returned whatever its time)
        yield item, hole and (rest is None or rest.start is None or last <= rest.start)
    if top.failed is not None:
        log.warning("%s: the comments of %s were not all read (%s); the rest are read at the next poll",
                    client.platform, post, top.failed)
    if top.ended:  # every comment was read from the top: none is left
        rest = None
    if rest is not None and rest.after is not None:
        walk = Walk(client, path, params, max_pages, after=rest.after, keep_going=True)
        for item in walk:
            yield item, True
        if isinstance(walk.failed, Permanent) and walk.pages == 0:
            log.warning("%s: the older comments of %s cannot be read from where the last poll stopped (%s); "
                        "they are not read", client.platform, post, walk.failed)
            rest = Rest(None, rest.start)
        elif walk.failed is not None:
            log.warning("%s: the older comments of %s were not all read (%s); the rest are read at the next poll",
                        client.platform, post, walk.failed)
            rest = Rest(walk.after or rest.after, rest.start)
        else:
            rest = Rest(walk.after if walk.more else None, rest.start)
            if walk.more and walk.after is None:
                log.warning("%s: the older comments of %s go on with no cursor to read them from",
                            client.platform, post)
    reached = since is not None and last is not None and last < since
    below = rest is not None and rest.start is not None and last is not None and last <= rest.start
    if top.more and not reached and not below:
        if top.after is None:
            log.warning("%s: the comments of %s go on past the last page read, with no cursor to read them from",
                        client.platform, post)
        else:
            if top.failed is None:
                log.info("%s: %s has more comments than a poll reads; the rest are read at the next polls",
                         client.platform, post)
            rest = Rest(top.after, last)
    unread.keep(post, rest)


# --- quota and tokens -----------------------------------------------------------------------------
def read_quota(client: GraphClient, path: str) -> Quota:
    """The account's publishing quota from ``GET {path}?fields=quota_usage,config``
    (``{"data": [{"quota_usage": 2, "config": {"quota_total": 50, "quota_duration": 86400}}]}``)."""
    body = client.call("GET", path, params={"fields": "quota_usage,config"})
    data = body.get("data") if isinstance(body, dict) else None
    entry = data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else None
    config = entry.get("config") if entry else None
    try:
        assert entry is not None and isinstance(config, dict)
        used, total, seconds = (int(entry["quota_usage"]), int(config["quota_total"]),
                                int(config.get("quota_duration") or 86400))
        if used < 0 or total <= 0 or seconds <= 0:
            raise ValueError
    except (AssertionError, KeyError, TypeError, ValueError):
        raise Transient(f"{client.platform} GET {path}: the answer is not a publishing quota") from None
    return Quota(used=used, total=total, window=timedelta(seconds=seconds))


def quota_if_readable(read: Callable[[], Quota], platform: str) -> Quota | None:
    """The quota ``read`` gives, for ``verify``: refused credentials and throttling still raise; any
    other failure leaves the quota unknown (None), the identity check having passed."""
    try:
        return read()
    except (AuthExpired, RateLimited):
        raise
    except ConnectorError as exc:
        log.info("%s: the publishing quota could not be read (%s)", platform, exc)
        return None


#: the longest address kept from a platform's answer
MAX_LINK = 2048
#: what an address Meta gives may hold: RFC 3986's characters, nothing a browser reads otherwise
#: (no backslash, which browsers take for "/" and so for the end of the host; no quotes, spaces, ``<>``)
_LINK_CHARACTERS = re.compile(r"[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]+")


def web_link(value: Any, hosts: Sequence[str]) -> str | None:
    """An address Meta gave (a ``permalink``) that is safe to store and show: ``https`` on one of
    ``hosts`` or a subdomain of one (``www.instagram.com`` for ``instagram.com``), with no user,
    password or port, at most ``MAX_LINK`` characters of RFC 3986. None for anything else — a
    hostile or broken answer (``javascript:…``, ``http://…``, another host, ``https://x@evil.example``)
    is dropped, and the post is kept without an address."""
    if not isinstance(value, str) or len(value) > MAX_LINK or not _LINK_CHARACTERS.fullmatch(value):
        return None
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:
        return None
    host = (parts.hostname or "").lower()
    if parts.scheme != "https" or "@" in parts.netloc or port is not None or not host:
        return None
    wanted = [h.lower() for h in hosts]
    return value if any(host == h or host.endswith("." + h) for h in wanted) else None


def permalink(client: GraphClient, media_id: str, hosts: Sequence[str]) -> str | None:
    """A just-published media's address on one of ``hosts`` (``GET /{media}?fields=permalink``: its
    shortcode is not in its id; ``web_link``); None when it cannot be read now, or is not such an
    address — the post is out either way."""
    try:
        body = client.call("GET", f"/{media_id}", params={"fields": "permalink"})
    except ConnectorError as exc:
        log.info("%s: published %s, but its address could not be read (%s)", client.platform, media_id, exc)
        return None
    raw = body.get("permalink") if isinstance(body, dict) else None
    link = web_link(raw, hosts)
    if raw is not None and link is None:
        log.warning("%s: published %s, but the address Meta gave is not an https address on %s; it is not kept",
                    client.platform, media_id, ", ".join(hosts))
    return link


def refresh_token(client: GraphClient, grant_type: str, secret: str) -> RefreshedToken:
    """Renew the client's long-lived token (``GET /refresh_access_token?grant_type=…``, unversioned).

    ``expires_at`` = now + ``expires_in``. A refused token (code 190/102) → ``AuthExpired``: it can no
    longer be renewed; any other refusal → ``NotSupported``: Meta renews only a token at least 24
    hours old, so the next attempt may succeed. Throttling and server errors as usual."""
    path = "/refresh_access_token"
    now = client.clock()
    response, body = client.send("GET", path, params={"grant_type": grant_type}, versioned=False)
    if response.status_code != 200 or (isinstance(body, dict) and "error" in body):
        error = client.refusal("GET", path, response.status_code, response.headers, body)
        problem = graph_problem(body)
        refused = response.status_code == 401 or (problem is not None and problem.code in AUTH_CODES)
        if isinstance(error, (RateLimited, Transient)) or (isinstance(error, AuthExpired) and refused):
            raise error
        raise NotSupported(_("{reason} — Meta renews a token only once it is at least 24 hours old (and before it "
                             "expires); the next check tries again").format(reason=error)) from None
    token = body.get("access_token") if isinstance(body, dict) else None
    expires_in = body.get("expires_in") if isinstance(body, dict) else None
    if not isinstance(token, str) or not token.strip() or isinstance(expires_in, bool) \
            or not isinstance(expires_in, (int, float)) or expires_in <= 0:
        raise unexpected_answer(f"{client.platform} GET {path}", response, N_("a renewed token"))
    client.use_token(token)
    return RefreshedToken(secret=secret, value=token, expires_at=now + timedelta(seconds=int(expires_in)))


def token_expiry(client: GraphClient, advice: str) -> datetime | None:
    """When the client's token stops working, from ``GET /debug_token?input_token=…`` (the token
    inspecting itself, which Meta allows for a token of the same app: Facebook Page tokens, and
    Threads tokens of the app's own testers).

    The earlier of the non-zero ``expires_at`` and ``data_access_expires_at``; None when both are
    0/absent or the call is unavailable (unreachable, refused for another reason, an odd answer).
    ``is_valid: false`` or a refusal with code 190/102 → ``AuthExpired`` (with ``advice``);
    throttling → ``RateLimited``.
    """
    path = "/debug_token"
    try:
        response, body = client.send("GET", path, params={"input_token": client.token})
    except Transient as exc:
        log.debug("%s: debug_token unreachable (%s); the token's expiry stays unknown", client.platform, exc)
        return None
    problem = graph_problem(body)
    if response.status_code != 200 or problem is not None:
        mapped = client.refusal("GET", path, response.status_code, response.headers, body)
        if isinstance(mapped, RateLimited) or (isinstance(mapped, AuthExpired) and problem is not None
                                               and problem.code in AUTH_CODES):
            raise mapped
        log.debug("%s: debug_token unavailable (%s); the token's expiry stays unknown", client.platform, mapped)
        return None
    data = body.get("data") if isinstance(body, dict) else None
    if not isinstance(data, dict):
        log.debug("%s: debug_token answered without data; the token's expiry stays unknown", client.platform)
        return None
    if data.get("is_valid") is False:
        reported = data.get("error")
        said = reported if isinstance(reported, dict) else {}
        message = client.http.redact(str(said.get("message") or _("no reason given")))
        detail = ", ".join(f"{key} {said[key]}" for key in ("code", "subcode") if said.get(key))
        raise AuthExpired(_("{platform}: the access token is no longer valid: {message} — {advice}").format(
            platform=client.platform, message=message + (f" ({detail})" if detail else ""), advice=_(advice)))
    times = [t for t in (epoch_time(data.get("expires_at")), epoch_time(data.get("data_access_expires_at")))
             if t is not None]
    return min(times) if times else None


def epoch_time(value: Any) -> datetime | None:
    """An aware UTC datetime from Unix seconds; None for 0, absent or unreadable values."""
    if isinstance(value, bool):
        return None
    try:
        seconds = int(value)
        return datetime.fromtimestamp(seconds, tz=timezone.utc) if seconds > 0 else None
    except (TypeError, ValueError, OverflowError, OSError):
        return None


# --- insights ---------------------------------------------------------------------------------------
_METRIC_NAME = re.compile(r"[a-z_]+")
_METRIC_POSITION = re.compile(r"metric\[(\d{1,3})\] must be one of")


class Insights:
    """A media's insights, asked per media product type. One refused metric fails Meta's whole
    request; the metric the refusal names is dropped (and remembered for that product type) and the
    rest asked again. "(#10) Not enough viewers" → None: not known."""

    def __init__(self, client: GraphClient):
        self.client = client
        #: product type → metrics Meta refused for it (the connector's lifetime)
        self.refused: dict[str, set[str]] = {}

    def read(self, media_id: str, product_type: str, metrics: Sequence[str]) -> dict[str, int] | None:
        """The values Meta gives (a metric it gives no value for is left out); None when Meta says the
        media has too few viewers for insights."""
        refused = self.refused.setdefault(product_type, set())
        path = f"/{media_id}/insights"
        while True:
            asked = [m for m in metrics if m not in refused]
            if not asked:
                return {}
            response, body = self.client.send("GET", path, params={"metric": ",".join(asked)})
            if response.status_code == 200 and not (isinstance(body, dict) and "error" in body):
                return _insight_values(body, asked)
            problem = graph_problem(body)
            if problem is not None and problem.code == 10 and "not enough viewers" in problem.message.lower():
                return None
            named = _named_metrics(problem.message, asked) if problem is not None and problem.code == 100 else []
            if not named:
                raise self.client.refusal("GET", path, response.status_code, response.headers, body)
            log.info("%s: Meta refuses the %s insight for %s media; asking without it", self.client.platform,
                     ", ".join(named), product_type)
            refused.update(named)


def _named_metrics(message: str, asked: Sequence[str]) -> list[str]:
    """The asked metrics a "(#100) … metric …" refusal names: as whole words ("The metric shares is not
    supported …"), or by position ("metric[1] must be one of the following values: …", which lists
    the metrics that *are* known)."""
    position = _METRIC_POSITION.search(message)
    if position is not None:
        index = int(position.group(1))
        return [asked[index]] if index < len(asked) else []
    words = set(_METRIC_NAME.findall(message.lower()))
    if "metric" not in message.lower() and "metrics" not in words:
        return []
    return [m for m in asked if m in words]


def _insight_values(body: Any, asked: Sequence[str]) -> dict[str, int]:
    """``{"data": [{"name": "reach", "values": [{"value": 12}]}, …]}`` (or ``total_value.value``) →
    name → value; names not asked, and values that are not whole numbers, are left out."""
    values: dict[str, int] = {}
    data = body.get("data") if isinstance(body, dict) else None
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, dict) or item.get("name") not in asked:
            continue
        value: Any = None
        listed = item.get("values")
        if isinstance(listed, list) and listed and isinstance(listed[0], dict):
            value = listed[0].get("value")
        elif isinstance(item.get("total_value"), dict):
            value = item["total_value"].get("value")
        if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            values[str(item["name"])] = value
    return values


# --- media containers -------------------------------------------------------------------------------
#: seconds between a container's creation (or last status check) and the next check: sooner first
POLL_SCHEDULE = (2, 5, 10, 20, 30)
POLL_EVERY = 60
#: how long a container may stay IN_PROGRESS before it is dropped (Meta: "no more than 5 minutes")
MAX_PROCESSING = timedelta(minutes=5)
#: a kept container this old is replaced: Meta expires containers 24 hours after creation
REPLACE_AFTER = timedelta(hours=23)
#: containers created at once
PARALLEL = 10
FINISHED, IN_PROGRESS, ERROR, EXPIRED, PUBLISHED = "FINISHED", "IN_PROGRESS", "ERROR", "EXPIRED", "PUBLISHED"


@dataclass(frozen=True)
class ContainerSpec:
    """One container to make: the fields to ``POST`` (no token), and whether Meta processes it
    after answering (a video: wait for ``FINISHED``; an image is fetched before the answer)."""

    params: Mapping[str, str]
    processed: bool = False

    @property
    def fingerprint(self) -> str:
        """Tells a kept container made for other fields (the post was edited) from this one."""
        text = json.dumps(sorted(self.params.items()), ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class ContainerStatus:
    """A container's ``status_code`` (or Threads' ``status``) and Meta's words about it."""

    code: str
    text: str = ""


@dataclass
class _Kept:
    id: str
    created_at: datetime
    fingerprint: str
    polls: int = 0
    ready: bool = False
    next_check: datetime | None = None

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "created_at": self.created_at.isoformat(), "fp": self.fingerprint,
                               "polls": self.polls, "ready": self.ready}
        if self.next_check is not None:
            out["next_check"] = self.next_check.isoformat()
        return out

    @classmethod
    def load(cls, raw: Any) -> "_Kept | None":
        if not isinstance(raw, dict) or not isinstance(raw.get("id"), str) or not raw["id"]:
            return None
        created = parse_http_time(raw.get("created_at")) if isinstance(raw.get("created_at"), str) else None
        if created is None:
            return None
        polls = raw.get("polls")
        nxt = raw.get("next_check")
        return cls(raw["id"], created, str(raw.get("fp") or ""),
                   polls if isinstance(polls, int) and not isinstance(polls, bool) and polls >= 0 else 0,
                   raw.get("ready") is True, parse_http_time(nxt) if isinstance(nxt, str) else None)


@dataclass
class _State:
    items: list[_Kept | None]
    parent: _Kept | None = None
    publishing_at: datetime | None = None

    def json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"items": [k.json() if k else None for k in self.items]}
        if self.parent is not None:
            out["parent"] = self.parent.json()
        if self.publishing_at is not None:
            out["publishing_at"] = self.publishing_at.isoformat()
        return out


@dataclass(frozen=True)
class KeptContainer:
    """A container ``progress`` names (for ``find_existing``): its id, when it was made, and when
    ``media_publish`` was sent for it (None: not yet)."""

    id: str
    created_at: datetime
    publishing_at: datetime | None


def final_container(progress: Mapping[str, Any] | None) -> KeptContainer | None:
    """The container that is (or was to be) published, from ``progress``: the carousel's parent,
    else the single item; None when ``progress`` holds none."""
    if not progress:
        return None
    parent = _Kept.load(progress.get("parent"))
    items = progress.get("items")
    single = _Kept.load(items[0]) if isinstance(items, list) and len(items) == 1 else None
    kept = parent or single
    if kept is None:
        return None
    sent = progress.get("publishing_at")
    return KeptContainer(kept.id, kept.created_at, parse_http_time(sent) if isinstance(sent, str) else None)


class ContainerFlow:
    """Publishing through media containers: create → (status while processed) → publish.

    The connector gives three calls: ``create(params) -> container id``, ``status(id) ->
    ContainerStatus`` and ``publish(id) -> media id``; each raises typed errors (``refusal``). A
    ``publish`` call of the flow makes what ``progress`` does not already hold, and either returns
    the media id or raises with ``progress`` set on the error, so the next call resumes:

    * ``NotReady(check_at)`` while a container is ``IN_PROGRESS`` (checks at ``schedule`` then every
      ``every`` seconds); past ``max_processing`` a ``Transient`` that forgets it (``progress={}``);
    * ``FINISHED`` → publish; ``EXPIRED`` or ``ContainerGone`` → new container(s), once per call;
      ``ERROR`` → ``Permanent`` with Meta's status text; ``PUBLISHED`` → ``AlreadyPublished``;
    * a ``media_publish`` whose answer was lost → ``Transient(outcome_unknown=True)``, ``progress``
      naming the container and when it was sent (``final_container``).

    Creating a container publishes nothing, so a lost answer there is never "outcome unknown".
    """

    def __init__(self, platform: str, *, create: Callable[[Mapping[str, str]], str],
                 status: Callable[[str], ContainerStatus], publish: Callable[[str], str],
                 clock: Clock = system_clock, schedule: Sequence[int] = POLL_SCHEDULE, every: int = POLL_EVERY,
                 max_processing: timedelta = MAX_PROCESSING, replace_after: timedelta = REPLACE_AFTER,
                 parallel: int = PARALLEL):
        self.platform = platform
        self._create, self._status, self._publish = create, status, publish
        self.clock = clock
        self.schedule, self.every = tuple(schedule), every
        self.max_processing, self.replace_after = max_processing, replace_after
        self.parallel = max(1, parallel)

    # --- the flow ----------------------------------------------------------------------------
    def run(self, items: Sequence[ContainerSpec], parent: Callable[[list[str]], ContainerSpec] | None = None,
            progress: Mapping[str, Any] | None = None) -> tuple[str, dict[str, Any]]:
        """Publish ``items`` (with ``parent`` making the carousel container from the item ids) and
        return the media id and the final progress."""
        if not items:
            raise ValueError("nothing to publish")
        state = self._load(progress, items, parent is not None)
        for attempt in (1, 2):
            try:
                return self._run(state, items, parent)
            except ContainerGone as exc:
                if attempt == 2:
                    raise keep(Transient(_("{reason} — made anew and gone again: trying later with new "
                                           "containers").format(reason=exc)), {}) from None
                log.info("%s: %s; making new containers", self.platform, exc)
                state = _State([None] * len(items))
        raise AssertionError("unreachable")

    def _run(self, state: _State, items: Sequence[ContainerSpec],
             parent: Callable[[list[str]], ContainerSpec] | None) -> tuple[str, dict[str, Any]]:
        now = self.clock()
        resumed = {k.id for k in [*state.items, state.parent] if k is not None}
        self._make(state, items, now)
        made = [k for k in state.items if k is not None]
        if parent is not None:
            # children Meta processes after answering (videos) must be FINISHED before the carousel
            self._check(state, [k for k, spec in zip(made, items) if spec.processed], now, resumed)
            if state.parent is None:
                state.parent = self._create_one(parent([k.id for k in made]), state, now)
            final = state.parent
        else:
            final = made[0]
        if final.id in resumed or (parent is None and items[0].processed):
            # a kept container is read before it is published again: it may be out already
            self._check(state, [final], now, resumed)
        return self._send(state, final, now)

    def _send(self, state: _State, final: _Kept, now: datetime) -> tuple[str, dict[str, Any]]:
        state.publishing_at = now
        try:
            media_id = self._publish(final.id)
        except ContainerNotReady:
            state.publishing_at = None
            final.ready = False
            self._wait(state, [final], now, "Meta is still preparing the post")
            raise AssertionError("unreachable")
        except ContainerGone:
            raise
        except Transient as exc:
            if not exc.outcome_unknown:
                state.publishing_at = None
            raise keep(exc, state.json())
        except ConnectorError as exc:
            state.publishing_at = None
            raise keep(exc, {} if isinstance(exc, Permanent) else state.json())
        return media_id, state.json()

    # --- making containers ---------------------------------------------------------------------
    def _make(self, state: _State, items: Sequence[ContainerSpec], now: datetime) -> None:
        """Create every item container ``state`` lacks, at most ``parallel`` at once."""
        todo = [i for i, kept in enumerate(state.items) if kept is None]
        if not todo:
            return
        state.parent = None  # a carousel made of other children is no longer the one to publish
        errors: list[ConnectorError] = []
        results = self._each(self._create, [items[i].params for i in todo], "containers")
        for i, result in zip(todo, results):
            if isinstance(result, ConnectorError):
                errors.append(result)
            else:
                state.items[i] = _Kept(result, now, items[i].fingerprint)
        if errors:
            raise self._worst(errors, state)

    def _create_one(self, spec: ContainerSpec, state: _State, now: datetime) -> _Kept:
        try:
            return _Kept(self._create(spec.params), now, spec.fingerprint)
        except ConnectorError as exc:
            raise self._worst([exc], state) from None

    def _each(self, call: Callable[[Any], Any], args: Sequence[Any], what: str) -> list[Any]:
        """``call`` on each of ``args``, at most ``parallel`` at once: its results in order, a
        ``ConnectorError`` raised in place of its result."""
        def attempt(arg: Any) -> Any:
            try:
                return call(arg)
            except ConnectorError as exc:
                return exc

        if len(args) <= 1:
            return [attempt(arg) for arg in args]
        with ThreadPoolExecutor(max_workers=min(self.parallel, len(args)),
                                thread_name_prefix=f"{self.platform}-{what}") as pool:
            return list(pool.map(attempt, args))

    def _worst(self, errors: list[ConnectorError], state: _State) -> ConnectorError:
        """The error that decides what happens next, with the containers made so far kept: the
        account's credentials, then its limits, then the post itself, then a passing failure."""
        for kind in (AuthExpired, RateLimited, ContainerGone, Permanent, ConnectorError):
            for error in errors:
                if isinstance(error, kind):
                    if isinstance(error, ContainerGone):
                        return error
                    if isinstance(error, Transient) and error.outcome_unknown:
                        # a container may have been made, but nothing is published
                        error = keep(Transient(str(error), http_status=error.http_status), None)
                    return keep(error, {} if isinstance(error, Permanent) else state.json())
        raise AssertionError("no error")

    # --- status checks ---------------------------------------------------------------------------
    def _check(self, state: _State, kept: list[_Kept], now: datetime, resumed: set[str]) -> None:
        """Read the status of each container not known ready; raise when one is not (or no longer)
        usable. A container made by this very call is not read yet: it is being processed."""
        fresh = [k for k in kept if not k.ready and k.id not in resumed]
        due = [k for k in kept if not k.ready and k.id in resumed]
        statuses: list[ContainerStatus | ConnectorError] = self._each(self._status, [k.id for k in due], "status")
        pending = list(fresh)
        for k, status in zip(due, statuses):
            if isinstance(status, ContainerGone):
                raise status
            if isinstance(status, ConnectorError):
                raise keep(status, {} if isinstance(status, Permanent) else state.json())
            k.polls += 1
            code = status.code.upper()
            if code == FINISHED:
                k.ready = True
            elif code == IN_PROGRESS:
                pending.append(k)
            elif code == EXPIRED:
                raise ContainerGone(f"{self.platform}: container {k.id} expired before it was published")
            elif code == PUBLISHED:
                raise keep(AlreadyPublished(f"{self.platform}: container {k.id} is already published"), state.json())
            elif code == ERROR:
                text = status.text or _("no reason given")
                raise keep(Permanent(_("{platform}: Meta could not prepare the media: {reason}").format(
                    platform=self.platform, reason=text)), {})
            else:
                raise keep(Transient(f"{self.platform}: container {k.id} has an unknown status {status.code!r}"),
                           state.json())
        if pending:
            self._wait(state, pending, now, "Meta is still processing the media")

    def _wait(self, state: _State, pending: list[_Kept], now: datetime, why: str) -> None:
        """Raise ``NotReady`` for the soonest check, or the ``Transient`` that drops containers
        processed for longer than ``max_processing``."""
        stale = [k for k in pending if now - k.created_at >= self.max_processing]
        if stale:
            minutes = self.max_processing / timedelta(minutes=1)
            raise keep(Transient(_("{platform}: container {id} was still being processed after {minutes} minutes; it "
                                   "is dropped and a new one is made next time").format(
                platform=self.platform, id=stale[0].id, minutes=decimal(minutes))), {})
        for k in pending:
            k.next_check = now + timedelta(seconds=self.delay(k.polls))
        check_at = min(k.next_check for k in pending if k.next_check is not None)
        raise NotReady(check_at, state.json(), f"{self.platform}: {why}")

    def delay(self, polls: int) -> int:
        """Seconds to the next status check after ``polls`` checks."""
        return self.schedule[polls] if polls < len(self.schedule) else self.every

    # --- progress -------------------------------------------------------------------------------
    def _load(self, progress: Mapping[str, Any] | None, items: Sequence[ContainerSpec], carousel: bool) -> _State:
        """The containers ``progress`` keeps that still fit ``items`` and are young enough."""
        state = _State([None] * len(items))
        if not progress:
            return state
        now = self.clock()
        raw = progress.get("items")
        kept_items = raw if isinstance(raw, list) else []
        replaced = False
        for i, spec in enumerate(items):
            kept = _Kept.load(kept_items[i]) if i < len(kept_items) else None
            if kept is None or kept.fingerprint != spec.fingerprint or now - kept.created_at >= self.replace_after:
                replaced = replaced or kept is not None
                continue
            state.items[i] = kept
        if len(kept_items) != len(items):
            replaced = True
        parent = _Kept.load(progress.get("parent")) if carousel else None
        if parent is not None and not replaced and all(state.items) and now - parent.created_at < self.replace_after:
            parent.ready = False
            state.parent = parent
        elif replaced:
            log.info("%s: kept containers are too old or made for other media; making new ones", self.platform)
        return state
