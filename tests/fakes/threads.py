"""A stateful fake of the Threads API (``graph.threads.net``, v1.0) for one Threads profile, in its
own wire shapes.

What it checks, as Threads does: the ``/v1.0`` prefix; the user token in ``access_token`` (query
or form; code 190 when wrong or expired); ``POST /{user}/threads`` with ``media_type`` TEXT, IMAGE,
VIDEO or CAROUSEL, ``text`` required for TEXT and at most 500 characters *as Threads counts them*
(each emoji its UTF-8 bytes — counted here code point by code point, independently of
``content.length``), ``image_url``/``video_url`` for IMAGE/VIDEO, carousel items
(``is_carousel_item=true``) and a CAROUSEL parent whose ``children`` are 2–20 of this profile's
finished, unused items, ``reply_to_id`` naming a post that exists; ``POST /{user}/threads_publish``
with a ``creation_id`` that is this profile's FINISHED container, not yet published, under the
profile's quota (250 posts and 1,000 replies per moving 24 hours, ``threads_publishing_limit``).

Media: every ``image_url``/``video_url`` is DOWNLOADED over real HTTP when the container is made
(``tests.fakes.webdir.fetch``: no redirect followed, a 200 answer of an accepted type whose bytes
are that type and within its size), from the fake's own web server ``web`` (a ``WebDir``: the
union's server of the ``[media]`` folder; ``sample_media`` puts files there). An image that cannot
be used fails the call at once, as Threads answers (code 1, subcode 2207052); a video that cannot be
used leaves its container ``ERROR`` with ``FAILED_DOWNLOADING_VIDEO``. Containers stay
``IN_PROGRESS`` for ``processing_checks[media_type]`` status reads, then ``FINISHED``; one not
published within 24 hours (fake clock) is ``EXPIRED``. ``not_found_publishes`` makes the next
``threads_publish`` calls answer 24/4279009 "The requested resource does not exist", as Threads does
when a container is published too soon after it was made.

Reads: ``/me`` (and ``/{user}``), ``/{user}/threads`` (top-level posts, newest first, ``since`` /
``until`` / ``limit`` ≤ 100, cursor paging), ``/{media}`` fields, ``/{media}/replies`` (top-level
replies) and ``/{media}/conversation`` (all depths), both ``reverse`` (default true) and paged,
``/{media}/insights?metric=…`` (``refused_metrics`` are refused for the whole request, naming the
metric), ``DELETE /{media}`` (``{"success": true, "deleted_id": …}``; 100 a day),
``/debug_token`` and ``/refresh_access_token`` (``grant_type=th_refresh_token``; no version prefix,
as on graph.threads.net). Errors are Graph's ``{"error": {message, type, code, error_subcode?,
fbtrace_id}}``; codes marked (inferred) below are not in a stored Meta page (Instagram's where Threads
says nothing).
"""
from __future__ import annotations

import math
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

import regex

from connectors.base import AccountConfig
from tests.fakes.facebook import _err as _graph_err, _fbtime, _not_found
from tests.fakes.server import Request, Response
from tests.fakes.webdir import FetchingFake, FetchRefused, fetch

API_VERSION = "v1.0"
TEXT_LIMIT = 500
CAROUSEL_MIN, CAROUSEL_MAX = 2, 20
POST_QUOTA, REPLY_QUOTA, DELETE_QUOTA = 250, 1000, 100
WINDOW = timedelta(hours=24)
IMAGE_TYPES = {"image/jpeg": 8 * 1024 * 1024, "image/png": 8 * 1024 * 1024}
VIDEO_TYPES = {"video/mp4": 1_000_000_000, "video/quicktime": 1_000_000_000}
METRICS = ("views", "likes", "replies", "reposts", "quotes", "shares")
_EMOJI = regex.compile(r"[\p{Extended_Pictographic}\p{Regional_Indicator}\p{Emoji_Modifier}"
                       r"\u200d\ufe0f\u20e3\U000e0020-\U000e007f]")


def _err(message: str, code: int, *, extra: dict[str, Any] | None = None, **kw: Any
         ) -> tuple[int, dict[str, Any], dict[str, str]]:
    """Graph's error answer, with Meta's ``error_user_title``/``error_user_msg`` when given."""
    status, body, headers = _graph_err(message, code, **kw)
    body["error"].update(extra or {})
    return status, body, headers


def threads_count(text: str) -> int:
    """Threads' length: one per code point, but each code point of an emoji (pictographs, flags'
    regional indicators, skin tones, joiners, variation selectors, keycaps, tags) its UTF-8 bytes."""
    return sum(len(ch.encode("utf-8")) if _EMOJI.match(ch) else 1 for ch in text)


class Fake(FetchingFake):
    platform = "threads"
    USER_ID = "25073924578920133"
    USERNAME = "spn.pusat"
    APP_ID = "1488906095289517"
    TOKEN = "THAAQ2pZbW9kMGxuLUZAZBEpzSlcwTkRVbXNUcnV1b3RoZA0NvYmtyZAXBPUlQ0Y2s"
    REFRESHED = "THAAQ2pZbW9kMGxuLUZAZBRefreshedV2l0aE5ld0xpZmVUb2tlblNlY29uZA"

    def __init__(self) -> None:
        super().__init__()
        self.profile = {"id": self.USER_ID, "username": self.USERNAME, "name": "Serikat Pekerja Nusantara",
                        "threads_profile_picture_url": "https://scontent.cdninstagram.com/v/t51.2885-19/spn.jpg",
                        "threads_biography": "Serikat pekerja. Upah layak untuk semua."}
        self.objects: dict[str, dict[str, Any]] = {}      # published media (posts, replies, carousel items)
        self.containers: dict[str, dict[str, Any]] = {}
        #: status reads a container of each media type answers IN_PROGRESS before FINISHED
        self.processing_checks = {"TEXT": 0, "IMAGE": 0, "VIDEO": 0, "CAROUSEL": 0}
        self.refused_metrics: set[str] = set()             # insights refused (the whole request fails)
        self.not_found_publishes = 0                       # next threads_publish calls answer 4279009
        self.post_quota, self.reply_quota = POST_QUOTA, REPLY_QUOTA
        self.published_at: list[tuple[datetime, bool]] = []  # (when, is a reply) of each publish
        self.deleted_at: list[datetime] = []
        self._counter = 18000000000000000
        self._creates = 0
        #: when set, the ``permalink`` every post or reply read answers instead of its own (a hostile answer)
        self.permalink_answer: Any = None
        self._token_state = "ok"                           # ok | expired
        self.tokens: dict[str, datetime | None] = {}       # token → when it expires (None: set at start)
        self.token_issued_at: datetime | None = None       # None: two days before the first request
        self.token_expires_at: datetime | None = None      # debug_token; None → 60 days after issue
        self.data_access_expires_at: datetime | None = None
        self.debug_token_refused = False

    # --- ContractFake ---------------------------------------------------------------------------
    def account_config(self, state_dir=None) -> AccountConfig:
        return AccountConfig(name="spn-threads", platform="threads", base_url=self.base_url, handle=self.USERNAME,
                             secrets={"USER_ID": self.USER_ID, "ACCESS_TOKEN": self.TOKEN},
                             timeout=5.0, state_dir=state_dir)

    def secret_values(self) -> list[str]:
        return [self.TOKEN, self.REFRESHED]

    def posts(self) -> dict[str, str]:
        with self.lock:
            return {oid: o["text"] for oid, o in self.objects.items()
                    if o["owner"] == self.USER_ID and not o["carousel_item"]}

    def create_count(self) -> int:
        return self._creates

    def set_engagement(self, remote_id: str, **counts: int) -> None:
        names = {"impressions": "views", "likes": "likes", "reposts": "reposts", "replies": "replies_extra",
                 "quotes": "quotes", "shares": "shares"}
        with self.lock:
            for key, value in counts.items():
                if key in names:
                    self.objects[remote_id][names[key]] = value

    def add_reply(self, remote_id: str, author: str, text: str, created_at) -> str:
        with self.lock:
            return self._new_media(text, "TEXT_POST", owner=f"user-{author}", username=author,
                                   parent=remote_id, created=created_at)["id"]

    def add_own_reply(self, remote_id: str, text: str, created_at) -> str:
        """The profile itself replies to ``remote_id`` (in the Threads app, not through campaigner)."""
        with self.lock:
            return self._new_media(text, "TEXT_POST", parent=remote_id, created=created_at)["id"]

    def remove_post(self, remote_id: str) -> None:
        with self.lock:
            self.objects.pop(remote_id, None)

    def expire_credentials(self) -> None:
        self._token_state = "expired"

    def rate_limit_next(self, reset_at) -> None:
        """Throttled by the app's call budget (code 4; no regain time given, Graph's shape)."""
        minutes = max(1, math.ceil((reset_at - self.clock()).total_seconds() / 60))
        status, body, headers = _err("(#4) Application request limit reached", 4, transient=True, headers={
            "X-Business-Use-Case-Usage": '{"%s": [{"type": "threads", "call_count": 100, "total_cputime": 20, '
                                         '"total_time": 30, "estimated_time_to_regain_access": %d}]}'
                                         % (self.USER_ID, minutes)})
        self.fail_next(Response(status, body, headers))

    def server_error_next(self, status: int = 500) -> None:
        _, body, _ = _err("An unexpected error has occurred. Please retry your request later.", 2, transient=True)
        self.fail_next(Response(status, body))

    def reply_parent(self, remote_id: str) -> str | None:
        return self.objects[remote_id]["parent"]

    # --- test controls --------------------------------------------------------------------------
    def fill_quota(self, used: int | None = None, *, replies: bool = False) -> None:
        """Record ``used`` publishes (default: the whole quota) in the last hour."""
        with self.lock:
            total = self.reply_quota if replies else self.post_quota
            at = self.clock() - timedelta(hours=1)
            self.published_at.extend([(at, replies)] * (total if used is None else used))

    def container(self, container_id: str) -> dict[str, Any]:
        return self.containers[container_id]

    # --- objects --------------------------------------------------------------------------------
    def _next_id(self) -> str:
        self._counter += 1
        return str(self._counter)

    def _new_media(self, text: str, media_type: str, *, owner: str | None = None, username: str | None = None,
                   parent: str | None = None, created: datetime | None = None, children: list[str] | None = None,
                   carousel_item: bool = False, media: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        media_id = self._next_id()
        root = None
        if parent is not None:
            root = self.objects[parent]["root"] or parent
        obj = {"id": media_id, "text": text, "media_type": media_type, "owner": owner or self.USER_ID,
               "username": username or self.USERNAME, "created": created or self.clock(), "parent": parent,
               "root": root, "children": children or [], "carousel_item": carousel_item, "media": media or [],
               "shortcode": f"DA{media_id[-9:]}x", "views": 0, "likes": 0, "reposts": 0, "quotes": 0,
               "shares": 0, "replies_extra": 0}
        self.objects[media_id] = obj
        return obj

    def _replies_to(self, media_id: str, *, nested: bool) -> list[dict[str, Any]]:
        if nested:
            return [o for o in self.objects.values() if o["root"] == media_id
                    or (o["parent"] == media_id and o["root"] is None)]
        return [o for o in self.objects.values() if o["parent"] == media_id]

    def _used(self, replies: bool) -> int:
        since = self.clock() - WINDOW
        return sum(1 for at, reply in self.published_at if at > since and reply is replies)

    # --- HTTP -----------------------------------------------------------------------------------
    def route(self, req: Request) -> Response:
        params = req.params()
        if req.path.rstrip("/") == "/refresh_access_token" and req.method == "GET":
            return Response(*self._refresh(params))
        prefix = f"/{API_VERSION}"
        if not req.path.startswith(prefix + "/"):
            return Response(*_err(f"Unknown path components: {req.path}", 2500))
        refused = self._auth(params)
        if refused:
            return Response(*refused)
        status, body, headers = self._dispatch(req.method, req.path[len(prefix):].strip("/"), params)
        return Response(status, body, headers)

    def _auth(self, params: dict[str, Any]) -> tuple[int, Any, dict[str, str]] | None:
        token = params.get("access_token")
        if not token:
            return _err("An active access token must be used to query information about the current user.", 2500)
        now = self.clock()
        valid = {self.TOKEN: self._expiry(self.TOKEN), **self.tokens}
        if token not in valid:
            return _err("Invalid OAuth access token - Cannot parse access token", 190)
        expiry = valid[token]
        if self._token_state == "expired" or (expiry is not None and now >= expiry) or (
                self.data_access_expires_at is not None and now >= self.data_access_expires_at):
            return _err("Error validating access token: Session has expired on Monday, 30-Nov-26 18:00:00 PST. "
                        "The current time is Tuesday, 01-Dec-26 02:00:00 PST.", 190, subcode=463)
        return None

    def _issued(self) -> datetime:
        if self.token_issued_at is None:
            self.token_issued_at = self.clock() - timedelta(days=2)
        return self.token_issued_at

    def _expiry(self, token: str) -> datetime:
        if token == self.TOKEN:
            return self.token_expires_at or self._issued() + timedelta(days=60)
        return self.tokens[token] or self._issued() + timedelta(days=60)

    def _dispatch(self, method: str, path: str, params: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        parts = path.split("/")
        if method == "GET" and path == "debug_token":
            return self._debug_token(params)
        if parts[0] == "me":
            parts[0] = self.USER_ID
        if len(parts) == 1:
            if method == "GET":
                return self._read(parts[0], params)
            if method == "DELETE":
                return self._delete(parts[0])
        if len(parts) == 2:
            node, edge = parts
            if node == self.USER_ID:
                if edge == "threads" and method == "POST":
                    return self._create(params)
                if edge == "threads_publish" and method == "POST":
                    return self._publish(params)
                if edge == "threads" and method == "GET":
                    return self._list_threads(params)
                if edge == "threads_publishing_limit" and method == "GET":
                    return self._limits(params)
            elif node.isdigit() and method == "GET":
                if edge in ("replies", "conversation"):
                    return self._list_replies(node, params, nested=edge == "conversation")
                if edge == "insights":
                    return self._insights(node, params)
        return _err(f"(#100) Unknown path or method: {method} /{path}", 100)

    # --- publishing -----------------------------------------------------------------------------
    def _create(self, params: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        media_type = str(params.get("media_type") or "")
        if media_type not in ("TEXT", "IMAGE", "VIDEO", "CAROUSEL"):
            return _err("(#100) Param media_type must be one of {TEXT, IMAGE, VIDEO, CAROUSEL}", 100)
        text = params.get("text")
        item = str(params.get("is_carousel_item", "false")).lower() == "true"
        if text is not None and threads_count(str(text)) > TEXT_LIMIT:
            return _err(f"(#100) Param text must be at most {TEXT_LIMIT} characters long.", 100)
        if media_type == "TEXT" and not str(text or "").strip():
            return _err("(#100) The parameter text is required for TEXT posts.", 100)
        if item and media_type not in ("IMAGE", "VIDEO"):
            return _err("(#100) Only IMAGE and VIDEO can be carousel items.", 100)
        reply_to = params.get("reply_to_id")
        if reply_to is not None:
            target = self.objects.get(str(reply_to))
            if target is None:
                return _not_found(str(reply_to))
            root = self.objects[target["root"]] if target["root"] else target
            if root["owner"] != self.USER_ID:
                return _err("(#10) The caller should be the owner of the root post", 10, type_="OAuthException")
        container: dict[str, Any] = {
            "id": self._next_id(), "media_type": media_type, "text": text, "reply_to": reply_to,
            "item": item, "children": [], "media": [], "created": self.clock(), "status": "IN_PROGRESS",
            "checks_left": self.processing_checks.get(media_type, 0), "error_message": None, "published": None,
            "alt_text": params.get("alt_text"), "used": False}
        if media_type == "IMAGE":
            url = str(params.get("image_url") or "")
            if not url:
                return _err("(#100) The parameter image_url is required for IMAGE.", 100)
            self.downloads.append(url)
            try:
                got = fetch(url, IMAGE_TYPES)
            except FetchRefused as exc:
                return _err("An unknown error occurred", 1, subcode=2207052, transient=False, extra={
                    "error_user_title": "Media download has failed.",
                    "error_user_msg": f"The media could not be fetched from this URI: {url}. ({exc})"})
            container["media"].append({"url": url, "kind": got.kind, "bytes": len(got.data)})
        elif media_type == "VIDEO":
            url = str(params.get("video_url") or "")
            if not url:
                return _err("(#100) The parameter video_url is required for VIDEO.", 100)
            self.downloads.append(url)
            try:
                got = fetch(url, VIDEO_TYPES)
                container["media"].append({"url": url, "kind": got.kind, "bytes": len(got.data)})
            except FetchRefused as exc:
                container["error_message"] = "FAILED_DOWNLOADING_VIDEO"
                container["why"] = str(exc)
        elif media_type == "CAROUSEL":
            children = [c for c in str(params.get("children") or "").split(",") if c]
            if not CAROUSEL_MIN <= len(children) <= CAROUSEL_MAX:  # (inferred wording; the 2–20 rule is Meta's)
                return _err(f"(#100) A carousel must have between {CAROUSEL_MIN} and {CAROUSEL_MAX} children.", 100)
            for child in children:
                found = self.containers.get(child)
                if found is None or not found["item"] or found["used"]:
                    return _err(f"(#100) Invalid carousel child {child}: it must be an unused carousel item "
                                "container of this profile", 100)
                if self._status(found) != "FINISHED":
                    return _err(f"(#100) The carousel item {child} is not ready to be published", 100,
                                subcode=2207027)
            for child in children:
                self.containers[child]["used"] = True
            container["children"] = children
        self.containers[container["id"]] = container
        return 200, {"id": container["id"]}, {}

    def _status(self, container: dict[str, Any]) -> str:
        """The container's status now (a status read of an unfinished one uses up one check)."""
        if container["published"]:
            return "PUBLISHED"
        if self.clock() >= container["created"] + WINDOW:
            return "EXPIRED"
        if container["checks_left"] > 0:
            return "IN_PROGRESS"
        return "ERROR" if container["error_message"] else "FINISHED"

    def _publish(self, params: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        creation_id = str(params.get("creation_id") or "")
        container = self.containers.get(creation_id)
        if not creation_id:
            return _err("(#100) The parameter creation_id is required.", 100)
        if container is None or self.not_found_publishes > 0:
            if self.not_found_publishes > 0:
                self.not_found_publishes -= 1
            return _err(f"Media Not Found: The media with id {creation_id} cannot be found.", 24,
                        subcode=4279009, transient=False)
        status = self._status(container)
        if container["item"]:
            return _err("(#100) A carousel item cannot be published on its own.", 100)
        if status == "PUBLISHED":
            # (inferred: Threads' answer is not documented)
            return _err("(#100) The media has already been published.", 100, subcode=2207006)
        if status == "EXPIRED":
            # (inferred: Instagram's answer to an expired container)
            return _err("The media you are trying to access has expired. Please try again", -2, subcode=2207020)
        if status == "IN_PROGRESS":
            return _err(f"Media Not Found: The media with id {creation_id} cannot be found.", 24,
                        subcode=4279009, transient=False)
        if status == "ERROR":
            return _err("(#100) The media could not be published: " + container["error_message"], 100,
                        subcode=2207032)
        reply = container["reply_to"] is not None
        if self._used(reply) >= (self.reply_quota if reply else self.post_quota):
            # (inferred: Threads documents the quota, not its refusal; this is Instagram's 9/2207042)
            kind = "replies" if reply else "posts"
            return _err("Application request limit reached", 9, subcode=2207042, transient=True, extra={
                "error_user_title": "Publishing limit reached",
                "error_user_msg": f"This profile has reached its limit of API-published {kind} in 24 hours."})
        items = []
        for child_id in container["children"]:
            child = self.containers[child_id]
            kind = "IMAGE" if child["media_type"] == "IMAGE" else "VIDEO"
            items.append(self._new_media("", kind, carousel_item=True, media=child["media"])["id"])
        kind = {"TEXT": "TEXT_POST", "CAROUSEL": "CAROUSEL_ALBUM"}.get(container["media_type"],
                                                                      container["media_type"])
        obj = self._new_media(str(container["text"] or ""), kind, parent=container["reply_to"], children=items,
                              media=container["media"])
        container["published"] = obj["id"]
        self.published_at.append((self.clock(), reply))
        self._creates += 1
        return 200, {"id": obj["id"]}, {}

    def _limits(self, params: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        fields = [f for f in str(params.get("fields") or "quota_usage").split(",") if f]
        entry: dict[str, Any] = {}
        for field in fields:
            if field == "quota_usage":
                entry["quota_usage"] = self._used(False)
            elif field == "config":
                entry["config"] = {"quota_total": self.post_quota, "quota_duration": int(WINDOW.total_seconds())}
            elif field == "reply_quota_usage":
                entry["reply_quota_usage"] = self._used(True)
            elif field == "reply_config":
                entry["reply_config"] = {"quota_total": self.reply_quota, "quota_duration": int(WINDOW.total_seconds())}
            else:
                return _err(f"(#100) Tried accessing nonexisting field ({field})", 100)
        return 200, {"data": [entry]}, {}

    # --- reads ----------------------------------------------------------------------------------
    def _shape(self, obj: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        out: dict[str, Any] = {"id": obj["id"]}
        for field in fields:
            if field == "text" and obj["text"]:
                out["text"] = obj["text"]
            elif field == "timestamp":
                out["timestamp"] = _fbtime(obj["created"])
            elif field == "username":
                out["username"] = obj["username"]
            elif field == "permalink":
                out["permalink"] = (f"https://www.threads.com/@{obj['username']}/post/{obj['shortcode']}"
                                    if self.permalink_answer is None else self.permalink_answer)
            elif field == "shortcode":
                out["shortcode"] = obj["shortcode"]
            elif field == "media_type":
                out["media_type"] = obj["media_type"]
            elif field == "media_product_type":
                out["media_product_type"] = "THREADS"
            elif field == "is_reply":
                out["is_reply"] = obj["parent"] is not None
            elif field == "root_post" and obj["root"]:
                out["root_post"] = {"id": obj["root"]}
            elif field == "replied_to" and obj["parent"]:
                out["replied_to"] = {"id": obj["parent"]}
            elif field == "has_replies":
                out["has_replies"] = bool(self._replies_to(obj["id"], nested=False))
            elif field == "children" and obj["children"]:
                out["children"] = {"data": [{"id": c} for c in obj["children"]]}
            elif field == "owner":
                out["owner"] = {"id": obj["owner"]}
        return out

    def _read(self, node: str, params: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        fields = [f for f in str(params.get("fields") or "id").split(",") if f]
        if node == self.USER_ID:
            unknown = [f for f in fields if f not in self.profile]
            if unknown:
                return _err(f"(#100) Tried accessing nonexisting field ({unknown[0]}) on node type (ThreadsUser)", 100)
            return 200, {k: v for k, v in self.profile.items() if k in fields or k == "id"}, {}
        container = self.containers.get(node)
        if container is not None:
            out: dict[str, Any] = {"id": node}
            for field in fields:
                if field == "status":
                    status = self._status(container)
                    if status == "IN_PROGRESS":
                        container["checks_left"] -= 1
                    out["status"] = status
                elif field == "error_message":
                    if self._status(container) == "ERROR":
                        out["error_message"] = container["error_message"]
                elif field != "id":
                    return _err(f"(#100) Tried accessing nonexisting field ({field}) on node type "
                                "(ThreadsMediaContainer)", 100)
            return 200, out, {}
        obj = self.objects.get(node)
        if obj is None:
            return _not_found(node)
        return 200, self._shape(obj, fields), {}

    def _paged(self, items: list[dict[str, Any]], params: dict[str, Any], path: str, default: int = 25
               ) -> tuple[int, Any, dict[str, str]]:
        try:
            limit = int(params.get("limit") or default)
        except ValueError:
            return _err("(#100) Param limit must be an integer", 100)
        if not 1 <= limit <= 100:
            return _err("(#100) Param limit must be between 1 and 100", 100)
        offset = int(params.get("after") or 0)
        page = items[offset:offset + limit]
        body: dict[str, Any] = {"data": page}
        if page:
            body["paging"] = {"cursors": {"before": str(offset), "after": str(offset + len(page))}}
        if offset + limit < len(items):
            query = {k: v for k, v in params.items() if isinstance(v, str)}
            query["after"] = str(offset + limit)
            body["paging"]["next"] = f"{self.base_url}/{API_VERSION}/{path}?{urlencode(query)}"
        return 200, body, {}

    def _list_threads(self, params: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        fields = [f for f in str(params.get("fields") or "id").split(",") if f]
        since = _epoch(params.get("since"))
        until = _epoch(params.get("until"))
        posts = sorted((o for o in self.objects.values() if o["owner"] == self.USER_ID and o["parent"] is None
                        and not o["carousel_item"] and (since is None or o["created"] >= since)
                        and (until is None or o["created"] <= until)),
                       key=lambda o: (o["created"], o["id"]), reverse=True)
        return self._paged([self._shape(o, fields) for o in posts], params, f"{self.USER_ID}/threads")

    def _list_replies(self, node: str, params: dict[str, Any], *, nested: bool) -> tuple[int, Any, dict[str, str]]:
        if node not in self.objects:
            return _not_found(node)
        fields = [f for f in str(params.get("fields") or "id").split(",") if f]
        reverse = str(params.get("reverse", "true")).lower() != "false"
        replies = sorted(self._replies_to(node, nested=nested), key=lambda o: (o["created"], o["id"]),
                         reverse=reverse)
        edge = "conversation" if nested else "replies"
        return self._paged([self._shape(o, fields) for o in replies], params, f"{node}/{edge}")

    def _insights(self, node: str, params: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        obj = self.objects.get(node)
        if obj is None:
            return _not_found(node)
        names = [m for m in str(params.get("metric") or "").split(",") if m]
        if not names:
            return _err("(#100) The parameter metric is required", 100)
        for name in names:
            if name not in METRICS:
                return _err(f"(#100) Param metric must be one of {{{', '.join(METRICS)}}}", 100)
            if name in self.refused_metrics:  # (inferred wording, Instagram's shape)
                return _err(f"(#100) The {name} metric is not supported for this media", 100)
        values = {"views": obj["views"], "likes": obj["likes"], "reposts": obj["reposts"], "quotes": obj["quotes"],
                  "shares": obj["shares"],
                  "replies": len(self._replies_to(node, nested=obj["parent"] is None)) + obj["replies_extra"]}
        data = [{"name": name, "period": "lifetime", "values": [{"value": values[name]}],
                 "title": name.capitalize(), "description": f"The number of {name} of your post.",
                 "id": f"{node}/insights/{name}/lifetime"} for name in names]
        return 200, {"data": data}, {}

    def _delete(self, node: str) -> tuple[int, Any, dict[str, str]]:
        obj = self.objects.get(node)
        if obj is None:
            return _not_found(node)
        if obj["owner"] != self.USER_ID:
            return _err("(#10) Application does not have permission for this action", 10)
        since = self.clock() - WINDOW
        if sum(1 for at in self.deleted_at if at > since) >= DELETE_QUOTA:
            return _err("Application request limit reached", 9, subcode=2207042, transient=True)
        for item in obj["children"]:
            self.objects.pop(item, None)
        del self.objects[node]
        self.deleted_at.append(self.clock())
        return 200, {"success": True, "deleted_id": node}, {}

    # --- tokens ---------------------------------------------------------------------------------
    def _debug_token(self, params: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        if self.debug_token_refused:
            return _err("(#100) The access_token must be the token of a Threads tester of this app", 100)
        token = params.get("input_token")
        if not token:
            return _err("(#100) The parameter input_token is required", 100)
        valid = {self.TOKEN, *self.tokens}
        if token not in valid:
            return 200, {"data": {"error": {"code": 190, "message": "Invalid OAuth access token."},
                                  "is_valid": False, "scopes": []}}, {}

        def epoch(value: datetime | None) -> int:
            return int(value.astimezone(timezone.utc).timestamp()) if value is not None else 0

        data = {"type": "USER", "application": "Campaigner SPN", "data_access_expires_at":
                epoch(self.data_access_expires_at or self._issued() + timedelta(days=90)),
                "expires_at": epoch(self._expiry(token)), "is_valid": True,
                "issued_at": epoch(self._issued()),
                "scopes": ["threads_basic", "threads_content_publish", "threads_manage_replies",
                           "threads_manage_insights", "threads_read_replies", "threads_delete"],
                "user_id": self.USER_ID}
        return 200, {"data": data}, {}

    def _refresh(self, params: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        if params.get("grant_type") != "th_refresh_token":
            return _err("(#100) Param grant_type must be th_refresh_token", 100)
        refused = self._auth(params)
        if refused:
            return refused
        if self.clock() - self._issued() < timedelta(hours=24):  # (inferred: the refusal is undocumented)
            return _err("(#100) The access token must be at least 24 hours old to be refreshed", 100)
        expires = self.clock() + timedelta(days=60)
        self.tokens[self.REFRESHED] = expires
        return 200, {"access_token": self.REFRESHED, "token_type": "bearer",
                     "expires_in": int((expires - self.clock()).total_seconds())}, {}


def _epoch(value: Any) -> datetime | None:
    try:
        return datetime.fromtimestamp(int(value), tz=timezone.utc) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
