"""Bluesky (AT Protocol) over plain XRPC with the shared ``HttpClient``.

Session: ``com.atproto.server.createSession`` once (identifier + app password), then the access
JWT is reused and renewed with ``com.atproto.server.refreshSession`` (Bearer refresh JWT) when
the PDS answers ``ExpiredToken`` — the password is sent again only when the refresh token itself
is dead. With ``config.state_dir`` the session is kept in a mode-0600 file so the next process
does not log in again (createSession is limited to 30 per 5 minutes and 300 a day).

Exactly once: each post is created with the caller's TID as record key (``rkey``), so whether a
post exists is one exact ``com.atproto.repo.getRecord`` — no guessing from timelines.

Remote ids are AT URIs (``at://<did>/app.bsky.feed.post/<rkey>``): replies need the parent's
and the root's uri *and* cid, which ``getRecord`` gives.
"""
from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import stat
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from pathlib import Path
from gettext import gettext as _
from typing import Any, Callable, Sequence
from urllib.parse import urlsplit

import requests

from connectors import logsafe
from connectors.base import (AccountConfig, AlreadyPublished, AuthExpired, Clock, ConnectorError, DayCount, Identity,
                             MediaFile, Metrics, MetricsBatch, NotSupported, OutgoingPost, Permanent, Published,
                             RateLimited, Reply, TagCounts, Transient, system_clock, whole_count, zone_name)
from connectors.http import HttpClient, Redactor
from connectors.posttext import compose_text
from connectors.state_file import write_json
from connectors.tid import is_valid_tid

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://bsky.social"
POST = "app.bsky.feed.post"
#: ``app.bsky.feed.getPosts`` takes at most 25 uris (lexicon ``maxLength: 25``)
METRICS_BATCH = 25
#: ``app.bsky.embed.images``: at most 4 images, each blob at most 2,000,000 bytes
MAX_IMAGES = 4
IMAGE_MAX_BYTES = 2_000_000
#: error names that mean "this session is no good"
_DEAD_SESSION = {"ExpiredToken", "InvalidToken", "AuthenticationRequired", "AuthMissing"}
#: error names (or 409) a PDS may use when the record key is taken
_CONFLICT = {"RecordAlreadyExists", "AlreadyExists", "Conflict", "DuplicateRecord"}
#: ``app.bsky.feed.searchPosts`` returns at most 100 posts a page (lexicon ``limit`` maximum)
SEARCH_PAGE = 100
#: pages of one day's search read at most by default (more: the day's count is "at least")
SEARCH_PAGES = 10
#: the longest search cursor followed (a longer one is not a cursor: the count stops there, "at least")
MAX_CURSOR = 1024
_AT_URI = re.compile(r"^at://(?P<repo>[^/]+)/(?P<collection>[^/]+)/(?P<rkey>[^/?#]+)$")
#: levels of a conversation read (getPostThread's default; its maximum is 1000)
THREAD_DEPTH = 6
#: the most replies of one conversation read (a hostile or viral thread stays bounded)
MAX_THREAD_REPLIES = 2000
#: what may go into a reply's bsky.app address: a handle, a DID, a record key
_HANDLE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,252}")
_DID = re.compile(r"did:[a-z]+:[A-Za-z0-9._:%-]{1,2048}")
_RKEY = re.compile(r"[A-Za-z0-9._:~-]{1,512}")


@dataclass
class _Session:
    did: str
    handle: str
    access: str
    refresh: str
    source: str  # "login", "refresh" or "disk"


@dataclass
class XrpcError:
    status: int
    name: str
    message: str


def parse_at_uri(uri: str) -> tuple[str, str, str]:
    """(repo, collection, rkey) of an AT URI; ``Permanent`` when it is not one."""
    match = _AT_URI.match(uri or "")
    if not match:
        raise Permanent(f"not an AT URI of a record: {uri!r}")
    return match["repo"], match["collection"], match["rkey"]


def iso_datetime(when: datetime) -> str:
    """atproto datetime: UTC, milliseconds, trailing Z."""
    when = when.astimezone(timezone.utc) if when.tzinfo else when.replace(tzinfo=timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{when.microsecond // 1000:03d}Z"


def _parse_time(value: Any) -> datetime | None:
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


# --- rich text facets ------------------------------------------------------------------------
_URL_RE = re.compile(r"(?<![^\s(])https?://\S+", re.IGNORECASE)
_MENTION_RE = re.compile(r"(?<![^\s(])@([a-zA-Z0-9][a-zA-Z0-9.-]*)")
_TAG_RE = re.compile(r"(?<!\S)[#＃]([^\s#＃\u00ad\u2060\u200a\u200b\u200c\u200d\u20e2]+)")
_LABEL_RE = re.compile(r"^[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?$")
_TRAILING = ".,;:!?\"'"


def _trim_url(url: str) -> str:
    while True:
        before = url
        url = url.rstrip(_TRAILING)
        if url.endswith(")") and url.count("(") < url.count(")"):
            url = url[:-1]
        if url == before:
            return url


def is_handle(text: str) -> bool:
    labels = text.split(".")
    return (len(text) <= 253 and len(labels) >= 2 and all(_LABEL_RE.match(label) for label in labels)
            and labels[-1][0].isalpha())


def build_facets(text: str, resolve_handle: Callable[[str], str | None]) -> list[dict]:
    """Link, mention and hashtag facets with UTF-8 byte offsets (``app.bsky.richtext.facet``).

    Bluesky detects nothing itself: without facets a URL is not a link. A mention whose handle
    does not resolve to a DID stays plain text.
    """
    spans: list[tuple[int, int, dict]] = []  # character start, end, feature

    for m in _URL_RE.finditer(text):
        url = _trim_url(m.group())
        if len(url) > len("https://"):
            spans.append((m.start(), m.start() + len(url), {"$type": "app.bsky.richtext.facet#link", "uri": url}))

    def free(start: int, end: int) -> bool:
        return all(end <= s or start >= e for s, e, _ in spans)

    for m in _MENTION_RE.finditer(text):
        handle = m.group(1).rstrip(".-")
        start, end = m.start(), m.start(1) + len(handle)
        if not is_handle(handle) or not free(start, end):
            continue
        did = resolve_handle(handle.lower())
        if did:
            spans.append((start, end, {"$type": "app.bsky.richtext.facet#mention", "did": did}))

    for m in _TAG_RE.finditer(text):
        tag = m.group(1)
        while tag and unicodedata.category(tag[-1]).startswith("P"):
            tag = tag[:-1]
        if tag.startswith("\ufe0f") or not tag or len(tag) > 64:
            continue
        if all(c.isdigit() or unicodedata.category(c).startswith("P") for c in tag):
            continue
        start, end = m.start(), m.start(1) + len(tag)
        if free(start, end):
            spans.append((start, end, {"$type": "app.bsky.richtext.facet#tag", "tag": tag}))

    facets = []
    for start, end, feature in sorted(spans, key=lambda s: s[0]):
        byte_start = len(text[:start].encode("utf-8"))
        byte_end = byte_start + len(text[start:end].encode("utf-8"))
        facets.append({"index": {"byteStart": byte_start, "byteEnd": byte_end}, "features": [feature]})
    return facets


# --- the connector -----------------------------------------------------------------------------
class BlueskyConnector:
    """Publishes to and reads from one Bluesky account on its PDS."""

    platform = "bluesky"
    metrics_batch_size = METRICS_BATCH
    #: ``find_existing`` really looks, so None means "not there"
    can_find_existing = True

    def __init__(self, config: AccountConfig, *, clock: Clock = system_clock):
        self.config = config
        self._clock = clock
        self._identifier = (config.secrets.get("IDENTIFIER") or config.handle or "").lstrip("@")
        self._password = config.secrets.get("APP_PASSWORD") or ""
        if not self._identifier or not self._password:
            raise AuthExpired(_("Bluesky account {name!r} needs IDENTIFIER and APP_PASSWORD").format(name=config.name))
        logsafe.register(self._password)
        self._redact = Redactor([self._password])
        self.base_url = (config.base_url or DEFAULT_BASE_URL).rstrip("/")
        self._http = HttpClient(self.base_url, timeout=config.timeout, redactor=self._redact)
        self._session: _Session | None = None
        self._dids: dict[str, str | None] = {}
        self._session_path: Path | None = None
        if config.state_dir is not None:
            key = hashlib.sha256(f"{self.base_url}\n{self._identifier.lower()}".encode()).hexdigest()[:16]
            self._session_path = Path(config.state_dir) / f"bluesky-session-{key}.json"

    def __repr__(self) -> str:
        return f"BlueskyConnector(account={self.config.name!r}, base_url={self.base_url!r})"

    # --- the Connector protocol ----------------------------------------------------------
    def verify(self) -> Identity:
        out = self._xrpc("GET", "com.atproto.server.getSession", what="read the session")
        session = self._ensure_session()
        session.handle = out.get("handle") or session.handle
        return Identity(remote_id=out.get("did") or session.did, handle=session.handle,
                        url=f"https://bsky.app/profile/{session.handle}")

    def publish(self, post: OutgoingPost) -> Published:
        rkey = post.idempotency_key
        if not is_valid_tid(rkey):
            raise Permanent(f"a Bluesky record key must be a TID (see connectors.tid.new_tid), not {rkey!r}")
        session = self._ensure_session()
        text = compose_text(post.text, post.link)
        created_at = self._clock()
        record: dict[str, Any] = {"$type": POST, "text": text, "createdAt": iso_datetime(created_at)}
        if post.language:
            record["langs"] = [post.language]
        facets = build_facets(text, self._resolve_handle)
        if facets:
            record["facets"] = facets
        if post.reply_to:
            record["reply"] = self._reply_refs(post)
        if post.media:
            record["embed"] = self._images(post.media)
        body = {"repo": session.did, "collection": POST, "rkey": rkey, "validate": True, "record": record}
        try:
            out = self._xrpc("POST", "com.atproto.repo.createRecord", json=body, what="create post")
        except (Transient, Permanent) as exc:
            conflict = exc.http_status == 409 or getattr(exc, "xrpc_error", None) in _CONFLICT \
                or "already exist" in str(exc).lower()
            if not conflict and not (isinstance(exc, Transient) and exc.outcome_unknown):
                raise
            # The key may already hold our post (a create whose answer was lost): look, exactly.
            try:
                existing = self._get_record(session.did, POST, rkey)
            except ConnectorError as look:
                if conflict:  # the key is ours and taken: the post is there, only the look failed
                    raise AlreadyPublished(f"Bluesky says record key {rkey} is taken ({exc}); could not read "
                                           f"it yet: {look}", http_status=exc.http_status) from None
                raise exc from None
            if existing is None:
                if conflict:
                    raise AlreadyPublished(f"Bluesky says record key {rkey} is taken ({exc}) but does not show "
                                           "it yet", http_status=exc.http_status) from None
                raise exc from None
            if (existing.get("value") or {}).get("text") != text:
                raise Permanent(f"record key {rkey} already holds a different post") from None
            return self._published(existing)
        uri = out.get("uri")
        if not uri:
            raise Transient("Bluesky answered the create without a uri", outcome_unknown=True)
        return Published(remote_id=uri, url=self._url(uri), published_at=created_at)

    def find_existing(self, post: OutgoingPost, since: datetime) -> Published | None:
        """The post stored under this delivery's record key, if there is one (``since`` unused:
        the key is exact)."""
        if not is_valid_tid(post.idempotency_key):
            return None
        session = self._ensure_session()
        record = self._get_record(session.did, POST, post.idempotency_key)
        return self._published(record) if record else None

    def delete(self, remote_id: str) -> None:
        repo, collection, rkey = parse_at_uri(remote_id)
        session = self._ensure_session()
        if repo not in (session.did, session.handle):
            raise Permanent(f"{remote_id} belongs to another account")
        # deleteRecord succeeds for a record that is already gone ("ensure it doesn't exist")
        self._xrpc("POST", "com.atproto.repo.deleteRecord", what="delete post",
                   json={"repo": session.did, "collection": collection, "rkey": rkey})

    def metrics(self, remote_ids: Sequence[str]) -> MetricsBatch:
        found: dict[str, Metrics] = {}
        uris = list(dict.fromkeys(str(u) for u in remote_ids))
        valid = [u for u in uris if _AT_URI.match(u)]
        missing = set(uris) - set(valid)
        for start in range(0, len(valid), METRICS_BATCH):
            batch = valid[start:start + METRICS_BATCH]
            out = self._xrpc("GET", "app.bsky.feed.getPosts", params={"uris": batch}, what="read metrics")
            for view in out.get("posts") or []:
                uri = view.get("uri")
                if uri in batch:
                    found[uri] = _metrics(uri, view)
            missing.update(u for u in batch if u not in found)
        return MetricsBatch(found=found, missing=frozenset(missing))

    def replies(self, remote_id: str, since: datetime | None = None) -> list[Reply]:
        """The conversation under the post, from ``app.bsky.feed.getPostThread`` (``THREAD_DEPTH``
        levels): replies by others, and the account's own answers to them (``ours``)."""
        parse_at_uri(remote_id)
        session = self._ensure_session()
        try:
            out = self._xrpc("GET", "app.bsky.feed.getPostThread", what="read replies",
                             params={"uri": remote_id, "depth": THREAD_DEPTH, "parentHeight": 0})
        except Permanent as exc:
            if getattr(exc, "xrpc_error", None) == "NotFound":
                return []
            raise
        result: list[Reply] = []
        # (thread node, the uri it answers, whether that is someone else's post)
        level = [(item, remote_id, False) for item in (out.get("thread") or {}).get("replies") or []]
        for _level in range(THREAD_DEPTH):
            below = []
            for item, parent, theirs in level[:MAX_THREAD_REPLIES]:
                view = item.get("post") if isinstance(item, dict) else None
                if not isinstance(view, dict) or not view.get("uri"):  # notFoundPost / blockedPost
                    continue
                found = self._reply(view, parent, session.did, since)
                if found is not None and (theirs or not found.ours):  # not the account's thread parts
                    result.append(found)
                mine = (view.get("author") or {}).get("did") == session.did
                below += [(child, str(view["uri"]), not mine) for child in item.get("replies") or []]
            level = below
            if not level or len(result) >= MAX_THREAD_REPLIES:
                break
        return sorted(result, key=lambda r: r.created_at)

    # --- listening -----------------------------------------------------------------------
    def tag_counts(self, tag: str, since: date, until: date, zone: tzinfo, *,
                   max_pages: int = SEARCH_PAGES) -> TagCounts:
        """Posts with ``#tag`` per day of ``zone``, counted from ``app.bsky.feed.searchPosts``
        (``tag`` filter, ``since``/``until`` the day's bounds, 100 a page, following the cursor),
        through the account's session: Bluesky's search is not open to anonymous callers.

        A day's count is ``at_least`` when it may be short: the day is not over, ``max_pages``
        pages were read and the cursor goes on, the cursor stopped after a full page, or the
        service's own ``hitsTotal`` is higher. Each post counts once (by its URI)."""
        body = tag.lstrip("#")
        now = self._clock()
        days = []
        requests_made = 0
        for n in range((until - since).days):
            day = since + timedelta(days=n)
            start = datetime.combine(day, time(0), tzinfo=zone).astimezone(timezone.utc)
            end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(timezone.utc)
            if start > now:
                break
            seen: set[str] = set()
            short = end > now  # the day is not over
            cursor: str | None = None
            for page in range(max_pages):
                params: dict[str, Any] = {"q": f"#{body}", "tag": body, "sort": "latest", "limit": SEARCH_PAGE,
                                          "since": iso_datetime(start), "until": iso_datetime(min(end, now))}
                if cursor:
                    params["cursor"] = cursor
                out = self._xrpc("GET", "app.bsky.feed.searchPosts", params=params, what="search posts")
                requests_made += 1
                posts = out.get("posts")
                if not isinstance(posts, list):
                    raise Transient("Bluesky search posts: the answer has no list of posts")
                page_posts = posts[:SEARCH_PAGE]
                seen.update(view["uri"] for view in page_posts if isinstance(view, dict)
                            and isinstance(view.get("uri"), str) and _AT_URI.match(view["uri"]))
                hits = whole_count(out.get("hitsTotal"))
                if hits is not None and hits > len(seen):
                    short = True
                cursor = out.get("cursor") if isinstance(out.get("cursor"), str) and out.get("cursor") else None
                if cursor is not None and len(cursor) > MAX_CURSOR:
                    short, cursor = True, None
                if cursor is None:
                    if len(page_posts) >= SEARCH_PAGE:  # a full page and no cursor: the search stopped early
                        short = True
                    break
                if page == max_pages - 1:  # the cursor goes on past the last page read
                    short = True
            days.append(DayCount(day, len(seen), at_least=short))
        return TagCounts(tag=body, source=urlsplit(self.base_url).netloc, day_zone=zone_name(zone),
                         days=tuple(days), requests=requests_made)

    def _reply(self, view: dict, parent: str, did: str, since: datetime | None) -> Reply | None:
        author = view.get("author") or {}
        ours = author.get("did") == did
        record = view.get("record") or {}
        created = _parse_time(record.get("createdAt")) or _parse_time(view.get("indexedAt")) or self._clock()
        if since is not None and created < since and not ours:
            return None
        langs = record.get("langs") or []
        uri = str(view["uri"])
        who = str(author.get("handle") or "") if _HANDLE.fullmatch(str(author.get("handle") or "")) else ""
        who = who or (str(author.get("did") or "") if _DID.fullmatch(str(author.get("did") or "")) else "")
        match = _AT_URI.match(uri)
        url = f"https://bsky.app/profile/{who}/post/{match['rkey']}" if who and match \
            and _RKEY.fullmatch(match["rkey"]) else None
        return Reply(remote_id=uri, author=author.get("handle") or author.get("did", ""),
                     text=record.get("text", ""), created_at=created,
                     language=langs[0] if langs else None, in_reply_to=parent, url=url, ours=ours)

    # --- posting helpers -----------------------------------------------------------------
    def _url(self, uri: str) -> str:
        repo, _, rkey = parse_at_uri(uri)
        handle = (self._session.handle if self._session else None) or (self.config.handle or "").lstrip("@") or repo
        return f"https://bsky.app/profile/{handle}/post/{rkey}"

    def _published(self, record: dict) -> Published:
        uri = record["uri"]
        created = _parse_time((record.get("value") or {}).get("createdAt")) or self._clock()
        return Published(remote_id=uri, url=self._url(uri), published_at=created)

    def _resolve_handle(self, handle: str) -> str | None:
        if handle not in self._dids:
            try:
                out = self._xrpc("GET", "com.atproto.identity.resolveHandle", params={"handle": handle},
                                 what="resolve a handle", auth=False)
                self._dids[handle] = out.get("did") or None
            except Permanent:  # "Unable to resolve handle": the mention stays plain text
                self._dids[handle] = None
        return self._dids[handle]

    def _get_record(self, repo: str, collection: str, rkey: str) -> dict | None:
        try:
            return self._xrpc("GET", "com.atproto.repo.getRecord", what="read a record",
                              params={"repo": repo, "collection": collection, "rkey": rkey})
        except Permanent as exc:
            name = getattr(exc, "xrpc_error", None)
            if name == "RecordNotFound" or exc.http_status == 404 \
                    or "could not locate record" in str(exc).lower():
                return None
            raise

    def _strong_ref(self, uri: str) -> tuple[dict, dict]:
        """({uri, cid}, record value) of an existing post."""
        repo, collection, rkey = parse_at_uri(uri)
        record = self._get_record(repo, collection, rkey)
        if record is None or not record.get("cid"):
            raise Permanent(_("the post to reply to is gone: {uri}").format(uri=uri))
        return {"uri": record["uri"], "cid": record["cid"]}, record.get("value") or {}

    def _reply_refs(self, post: OutgoingPost) -> dict:
        parent, value = self._strong_ref(post.reply_to or "")
        root = (value.get("reply") or {}).get("root")
        if not (isinstance(root, dict) and root.get("uri") and root.get("cid")):
            if post.thread_root and post.thread_root != post.reply_to:
                root, _ = self._strong_ref(post.thread_root)
            else:
                root = parent
        return {"root": {"uri": root["uri"], "cid": root["cid"]}, "parent": parent}

    def _images(self, media: Sequence[MediaFile]) -> dict:
        if len(media) > MAX_IMAGES:
            raise Permanent(_("Bluesky takes at most {most} images per post, not {n}").format(most=MAX_IMAGES,
                                                                                            n=len(media)))
        files = []
        for item in media:  # every file checked before any upload
            mime = (item.mime_type or "").lower()
            name = Path(item.path).name
            if not mime.startswith("image/"):
                raise NotSupported(_("Bluesky: only images can be attached ({type})").format(
                    type=mime or _("unknown type")))
            try:
                data = Path(item.path).read_bytes()
            except OSError as exc:
                raise Permanent(_("cannot read media file {name}: {reason}").format(name=name,
                                                                                   reason=exc.strerror)) from None
            if len(data) > IMAGE_MAX_BYTES:
                raise Permanent(_("{name} is {size} bytes; Bluesky takes at most {most} per image").format(
                    name=name, size=len(data), most=IMAGE_MAX_BYTES))
            files.append((item, mime, data))
        images = []
        for item, mime, data in files:
            try:
                out = self._xrpc("POST", "com.atproto.repo.uploadBlob", data=data,
                                 headers={"Content-Type": mime}, what="upload an image")
            except Transient as exc:  # an unreferenced blob is harmless: nothing was posted
                raise Transient(str(exc), outcome_unknown=False) from None
            if not isinstance(out.get("blob"), dict):
                raise Transient("Bluesky answered the upload without a blob")
            images.append({"alt": item.alt_text or "", "image": out["blob"]})
        return {"$type": "app.bsky.embed.images", "images": images}

    # --- XRPC and the session ------------------------------------------------------------
    def _xrpc(self, method: str, nsid: str, *, what: str, params: dict | None = None, json: Any = None,
              data: bytes | None = None, headers: dict | None = None, auth: bool = True) -> dict:
        for attempt in (0, 1):
            sent = dict(headers or {})
            session = self._ensure_session() if auth else None
            if session:
                sent["Authorization"] = f"Bearer {session.access}"
            resp = self._http.request(method, f"/xrpc/{nsid}", params=params, json=json, data=data, headers=sent)
            if resp.status_code < 400:
                return _json_body(resp)
            error = _xrpc_error(resp)
            if session and attempt == 0:
                if error.name == "ExpiredToken":
                    self._renew(session)  # session upkeep, not a retry: the call never ran
                    continue
                if error.name in _DEAD_SESSION and session.source == "disk":
                    self._login()  # a stored session from an earlier run is no longer valid
                    continue
            if session and error.name in _DEAD_SESSION:
                self._forget_session()
            raise self._error(error, resp, what, method)
        raise AssertionError("unreachable")

    def _error(self, error: XrpcError, resp: requests.Response, what: str, method: str) -> ConnectorError:
        message = self._redact(f"Bluesky {what}: {error.name}" + (f": {error.message}" if error.message else ""))
        now = self._clock()
        if error.status == 429 or error.name == "RateLimitExceeded":
            exc: ConnectorError = RateLimited(_retry_at(resp.headers, now), message)
        elif error.name in _DEAD_SESSION or error.name in ("AccountTakedown", "AuthFactorTokenRequired") \
                or error.status == 401:
            exc = AuthExpired(message)
        elif error.status >= 500:
            exc = Transient(message, outcome_unknown=method == "POST" and error.status != 503)
        else:
            exc = Permanent(message)
        exc.http_status = error.status
        exc.xrpc_error = error.name  # type: ignore[attr-defined]
        return exc

    def _ensure_session(self) -> _Session:
        if self._session is None:
            self._session = self._load_session()
        if self._session is None:
            self._login()
        assert self._session is not None
        return self._session

    def _adopt(self, out: dict, source: str) -> None:
        if not all(out.get(k) for k in ("accessJwt", "refreshJwt", "did")):
            raise Transient("Bluesky answered without a complete session")
        self._session = _Session(did=out["did"], handle=out.get("handle") or self._identifier,
                                 access=out["accessJwt"], refresh=out["refreshJwt"], source=source)
        self._protect(self._session)
        self._save_session()

    def _protect(self, session: _Session) -> None:
        self._redact.add(session.access)
        self._redact.add(session.refresh)
        logsafe.register(session.access, slot=f"bluesky-access:{id(self)}")
        logsafe.register(session.refresh, slot=f"bluesky-refresh:{id(self)}")

    def _session_call(self, nsid: str, **kwargs: Any) -> requests.Response:
        """A session request. Its failure never leaves a post in doubt (the call it serves has not
        run, or was refused at the door), so a network error here is never "outcome unknown"."""
        try:
            return self._http.request("POST", f"/xrpc/{nsid}", **kwargs)
        except Transient as exc:
            raise Transient(str(exc), outcome_unknown=False) from None

    def _login(self) -> None:
        resp = self._session_call("com.atproto.server.createSession",
                                  json={"identifier": self._identifier, "password": self._password})
        if resp.status_code >= 400:
            error = _xrpc_error(resp)
            self._forget_session()
            if error.status in (400, 401) and error.name in ("AuthenticationRequired", "InvalidRequest",
                                                              "AccountTakedown", "AuthFactorTokenRequired"):
                raise AuthExpired(self._redact(_("Bluesky refused the login for {name!r}: {error}: {message}").format(
                    name=self.config.name, error=error.name, message=error.message)))
            raise self._error(error, resp, "log in", "session")
        self._adopt(_json_body(resp), "login")
        log.info("bluesky: new session for %s", self.config.name)

    def _renew(self, session: _Session) -> None:
        """A fresh access token: from the session file if another process already renewed it,
        else refreshSession, else (refresh token dead too) a new login."""
        stored = self._load_session()
        if stored is not None and stored.access != session.access:
            self._session = stored
            return
        resp = self._session_call("com.atproto.server.refreshSession",
                                  headers={"Authorization": f"Bearer {session.refresh}"})
        if resp.status_code < 400:
            self._adopt(_json_body(resp), "refresh")
            return
        error = _xrpc_error(resp)
        if error.name in _DEAD_SESSION or error.status in (400, 401):
            self._login()
            return
        raise self._error(error, resp, "refresh the session", "session")

    # --- the session file ----------------------------------------------------------------
    def _load_session(self) -> _Session | None:
        path = self._session_path
        if path is None or not path.exists():
            return None
        try:
            if stat.S_IMODE(path.stat().st_mode) & 0o077:
                os.chmod(path, 0o600)
            data = json.loads(path.read_text(encoding="utf-8"))
            session = _Session(did=data["did"], handle=data.get("handle") or self._identifier,
                               access=data["accessJwt"], refresh=data["refreshJwt"], source="disk")
        except (OSError, ValueError, KeyError, TypeError):
            return None
        self._protect(session)
        return session

    def _save_session(self) -> None:
        path, session = self._session_path, self._session
        if path is None or session is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        write_json(path, {"did": session.did, "handle": session.handle, "accessJwt": session.access,
                          "refreshJwt": session.refresh, "service": self.base_url})

    def _forget_session(self) -> None:
        self._session = None
        if self._session_path is not None:
            self._session_path.unlink(missing_ok=True)


def _json_body(resp: requests.Response) -> dict:
    if not resp.content:
        return {}
    try:
        body = resp.json()
    except ValueError:
        raise Transient(f"Bluesky answered {resp.status_code} with a body that is not JSON") from None
    return body if isinstance(body, dict) else {}


def _xrpc_error(resp: requests.Response) -> XrpcError:
    try:
        body = resp.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    return XrpcError(status=resp.status_code, name=str(body.get("error") or resp.reason or resp.status_code),
                     message=str(body.get("message") or ""))


def _retry_at(headers: Any, now: datetime) -> datetime:
    """From ``RateLimit-Reset`` (epoch seconds), else ``Retry-After`` (seconds or HTTP date)."""
    reset = headers.get("RateLimit-Reset")
    if reset and str(reset).strip().isdigit():
        return max(datetime.fromtimestamp(int(reset), tz=timezone.utc), now)
    after = headers.get("Retry-After")
    if after:
        after = str(after).strip()
        if after.isdigit():
            return now + timedelta(seconds=int(after))
        try:
            return max(parsedate_to_datetime(after).astimezone(timezone.utc), now)
        except (TypeError, ValueError):
            pass
    return now + timedelta(minutes=1)


def _metrics(uri: str, view: dict) -> Metrics:
    names = ("likeCount", "repostCount", "replyCount", "quoteCount", "bookmarkCount")
    counts = {n: view[n] for n in names if isinstance(view.get(n), int)}
    return Metrics(remote_id=uri, likes=counts.get("likeCount"), reposts=counts.get("repostCount"),
                   replies=counts.get("replyCount"), quotes=counts.get("quoteCount"),
                   bookmarks=counts.get("bookmarkCount"), impressions=None, raw=counts)
