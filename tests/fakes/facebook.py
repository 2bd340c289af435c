"""A stateful fake of the Graph API for one Facebook Page, in Graph's own shapes.

Checks: the pinned version prefix, the Page access token (query or form ``access_token``; code 190
when wrong or expired), ``message``/``link``/``attached_media`` on feed posts (attached photos must
be this Page's unpublished uploads), a ``source`` file on photo uploads, duplicate status messages
(code 506), batch requests of at most 50 operations (each answered separately — a missing post
is an error *inside* the batch, not a failed batch), field expansion for
``reactions/comments.summary(total_count)``, ``shares`` (absent when 0) and
``insights.metric(post_media_view)``, and ``GET /debug_token`` (``input_token`` and ``access_token``
both required and both the Page token — the token inspecting itself; ``expires_at`` /
``data_access_expires_at`` from ``token_expires_at`` / ``data_access_expires_at``, 0 for None; an
``invalidate_token``-ed token answers ``is_valid: false`` with ``data.error``; a token past either
time is refused everywhere with code 190/463). Errors are ``{"error": {message, type, code, error_subcode?,
fbtrace_id}}``; throttling carries ``X-Business-Use-Case-Usage``.
"""
from __future__ import annotations

import json
import math
import re
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from connectors.base import AccountConfig
from connectors.facebook import GRAPH_API_VERSION
from tests.fakes.server import ContractFake, Part, Request, Response

BATCH_LIMIT = 50
#: ``data.error.message`` of an invalid token in a debug_token answer, by subcode
INVALID_TOKEN_MESSAGES = {
    458: "Error validating access token: The user has not authorized application 1234567890123456.",
    460: "Error validating access token: The session has been invalidated because the user changed their "
         "password or Facebook has changed the session for security reasons.",
    463: "Error validating access token: Session has expired.",
    467: "Error validating access token: The session is invalid because the user logged out.",
}


def _fbtime(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%dT%H:%M:%S+0000")


def _err(message: str, code: int, *, subcode: int | None = None, type_: str = "OAuthException",
         status: int = 400, transient: bool | None = None, headers: dict[str, str] | None = None,
         ) -> tuple[int, dict[str, Any], dict[str, str]]:
    error: dict[str, Any] = {"message": message, "type": type_, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    if transient is not None:
        error["is_transient"] = transient
    error["fbtrace_id"] = "AbCdEfGhIjKlMnOp"
    return status, {"error": error}, headers or {}


#: Graph's answer when it cannot answer for now (a 5xx with ``is_transient``)
UNAVAILABLE = Response(503, {"error": {"message": "(#2) Service temporarily unavailable", "type": "OAuthException",
                                       "code": 2, "is_transient": True, "fbtrace_id": "AbC"}})


def fail_page_once(fake: Any, edge: str, after: str) -> list[Request]:
    """Make a Graph fake (Facebook, Instagram, Threads) answer the page of the edge whose path ends
    with ``edge`` that starts after cursor ``after`` with ``UNAVAILABLE``, once; returns the list
    the refused request is put in (empty while it has not come)."""
    first, failed = fake.route, []

    def route(req: Request) -> Response:
        if req.path.endswith(edge) and req.query.get("after") == [after] and not failed:
            failed.append(req)
            return UNAVAILABLE
        return first(req)
    fake.route = route
    return failed


def _not_found(object_id: str) -> tuple[int, dict[str, Any], dict[str, str]]:
    return _err(f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be loaded due "
                "to missing permissions, or does not support this operation. Please read the Graph API "
                "documentation at https://developers.facebook.com/docs/graph-api",
                100, subcode=33, type_="GraphMethodException")


class Fake(ContractFake):
    platform = "facebook"
    PAGE_ID = "104857600123456"
    APP_ID = "1234567890123456"
    USER_ID = "10215241773831025"
    TOKEN = "EAAGm0PX4ZCpsBAPageTokenQx7Rk2LmN9sVb3HcT1uYw8Zd"

    def __init__(self) -> None:
        super().__init__()
        self.page = {"id": self.PAGE_ID, "name": "Serikat Pekerja Nusantara", "username": "spn.pusat",
                     "link": "https://www.facebook.com/spn.pusat"}
        self.objects: dict[str, dict[str, Any]] = {}    # posts and comments by id
        self.photos: dict[str, dict[str, Any]] = {}     # uploaded photos by id
        self.views_supported = True                     # False: post_media_view is refused
        self._counter = 900000000000
        self._creates = 0
        self._token_state = "ok"                        # ok | expired
        # debug_token: when the token expires (None = never, sent as 0); past either → code 190
        self.token_expires_at: datetime | None = None
        self.data_access_expires_at: datetime | None = None
        self.debug_token_refused = False                # True: debug_token answers code 100
        self._invalid_subcode: int | None = None        # set by invalidate_token

    # --- ContractFake ----------------------------------------------------------------------
    def account_config(self, state_dir=None) -> AccountConfig:
        return AccountConfig(name="spn-facebook", platform="facebook", base_url=self.base_url,
                             handle="spn.pusat",
                             secrets={"PAGE_ID": self.PAGE_ID, "PAGE_ACCESS_TOKEN": self.TOKEN},
                             timeout=5.0, state_dir=state_dir)

    def secret_values(self) -> list[str]:
        return [self.TOKEN]

    def posts(self) -> dict[str, str]:
        with self.lock:
            return {oid: o["message"] for oid, o in self.objects.items()
                    if o["kind"] == "post" or o["from"]["id"] == self.PAGE_ID}

    def create_count(self) -> int:
        return self._creates

    def set_engagement(self, remote_id: str, **counts: int) -> None:
        names = {"likes": "reactions", "reposts": "shares", "replies": "comments_extra",
                 "impressions": "views"}
        with self.lock:
            for key, value in counts.items():
                if key in names:
                    self.objects[remote_id][names[key]] = value

    def add_reply(self, remote_id: str, author: str, text: str, created_at) -> str:
        with self.lock:
            return self._new_comment(remote_id, text, {"id": str(300000 + len(self.objects)), "name": author},
                                     created_at)["id"]

    def add_own_reply(self, remote_id: str, text: str, created_at) -> str:
        """The Page itself replies to comment ``remote_id`` (on Facebook, not through campaigner)."""
        with self.lock:
            return self._new_comment(remote_id, text, {"id": self.PAGE_ID, "name": self.page["name"]}, created_at)["id"]

    def remove_post(self, remote_id: str) -> None:
        with self.lock:
            self.objects.pop(remote_id, None)

    def expire_credentials(self) -> None:
        self._token_state = "expired"

    def invalidate_token(self, subcode: int = 460) -> None:
        """debug_token answers ``is_valid: false`` (as when an app token inspects a dead token);
        other calls still pass, so the connector's own check of the answer is what gets tested."""
        self._invalid_subcode = subcode

    def rate_limit_next(self, reset_at) -> None:
        self.throttle_next(80001, minutes=max(1, math.ceil((reset_at - self.clock()).total_seconds() / 60)))

    def throttle_next(self, code: int, minutes: int | None = None) -> None:
        """The next call is throttled with ``code``; ``minutes`` fills X-Business-Use-Case-Usage."""
        messages = {4: "(#4) Application request limit reached", 17: "(#17) User request limit reached",
                    32: "(#32) Page request limit reached", 613: "(#613) Calls to this api have exceeded the rate limit.",
                    80001: "(#80001) There have been too many calls to this Page account. Wait a bit and try again."}
        headers = {"X-App-Usage": json.dumps({"call_count": 100, "total_cputime": 12, "total_time": 30})}
        if minutes is not None:
            headers["X-Business-Use-Case-Usage"] = json.dumps({self.PAGE_ID: [
                {"type": "pages", "call_count": 100, "total_cputime": 25, "total_time": 40,
                 "estimated_time_to_regain_access": minutes}]})
        status, body, headers = _err(messages.get(code, f"(#{code}) Rate limited"), code, headers=headers)
        self.fail_next(Response(status, body, headers))

    def server_error_next(self, status: int = 500) -> None:
        _, body, _ = _err("An unexpected error has occurred. Please retry your request later.", 2,
                          transient=True)
        self.fail_next(Response(status, body))

    def reply_parent(self, remote_id: str) -> str | None:
        return self.objects[remote_id].get("parent")

    # --- objects -----------------------------------------------------------------------------
    def _next_id(self) -> str:
        self._counter += 1
        return str(self._counter)

    def _new_post(self, message: str, link: str | None = None, photos: list[str] | None = None) -> dict[str, Any]:
        post_id = f"{self.PAGE_ID}_{self._next_id()}"
        post = {"id": post_id, "kind": "post", "message": message, "link": link, "photos": photos or [],
                "created": self.clock(), "from": {"id": self.PAGE_ID, "name": self.page["name"]},
                "reactions": 0, "shares": 0, "comments_extra": 0, "views": 0, "parent": None}
        self.objects[post_id] = post
        self._creates += 1
        return post

    def _new_comment(self, target: str, message: str, author: dict[str, str], created: datetime) -> dict[str, Any]:
        story = target.rpartition("_")[2]
        comment_id = f"{story}_{self._next_id()}"
        comment = {"id": comment_id, "kind": "comment", "message": message, "created": created,
                   "from": author, "parent": target, "reactions": 0, "comments_extra": 0}
        self.objects[comment_id] = comment
        return comment

    def _comments_of(self, object_id: str) -> list[dict[str, Any]]:
        return [o for o in self.objects.values() if o["kind"] == "comment" and o["parent"] == object_id]

    # --- HTTP --------------------------------------------------------------------------------
    def route(self, req: Request) -> Response:
        prefix = f"/{GRAPH_API_VERSION}"
        if not (req.path == prefix or req.path.startswith(prefix + "/")):
            status, body, headers = _err(f"Unknown path components: {req.path}", 2500)
            return Response(status, body, headers)
        params = req.params()
        status, body, headers = self._dispatch(req.method, req.path[len(prefix):] or "/", params, req)
        return Response(status, body, headers)

    def _auth(self, params: dict[str, Any]) -> tuple[int, dict[str, Any], dict[str, str]] | None:
        token = params.get("access_token")
        if not token:
            return _err("An active access token must be used to query information about the current user.", 2500)
        if token != self.TOKEN:
            return _err("Invalid OAuth access token - Cannot parse access token", 190)
        now = self.clock()
        if self._token_state == "expired" or any(
                t is not None and now >= t for t in (self.token_expires_at, self.data_access_expires_at)):
            return _err("Error validating access token: Session has expired on Monday, 30-Nov-26 18:00:00 PST. "
                        "The current time is Tuesday, 01-Dec-26 02:00:00 PST.", 190, subcode=463)
        return None

    def _dispatch(self, method: str, path: str, params: dict[str, Any], req: Request | None
                  ) -> tuple[int, Any, dict[str, str]]:
        refused = self._auth(params)
        if refused:
            return refused
        path = path.rstrip("/") or "/"
        if method == "POST" and path == "/":
            return self._batch(params)
        if method == "GET" and path == "/debug_token":
            return self._debug_token(params)
        parts = path.strip("/").split("/")
        if len(parts) == 1:
            object_id = parts[0]
            if method == "GET":
                return self._read(object_id, params)
            if method == "DELETE":
                if object_id not in self.objects:
                    return _not_found(object_id)
                for comment in self._comments_of(object_id):
                    self.objects.pop(comment["id"], None)
                del self.objects[object_id]
                return 200, {"success": True}, {}
        if len(parts) == 2:
            object_id, edge = parts
            if object_id == self.PAGE_ID and edge == "feed" and method == "POST":
                return self._post_feed(params)
            if object_id == self.PAGE_ID and edge == "photos" and method == "POST":
                return self._post_photo(params, req)
            if object_id == self.PAGE_ID and edge == "feed" and method == "GET":
                return self._list_feed(params)
            if edge == "comments" and method == "POST":
                if object_id not in self.objects:
                    return _not_found(object_id)
                message = params.get("message") or ""
                if not message.strip() and not isinstance(params.get("source"), Part):
                    return _err("(#100) Missing message or attachment", 100)
                comment = self._new_comment(object_id, message, {"id": self.PAGE_ID, "name": self.page["name"]},
                                            self.clock())
                self._creates += 1
                return 200, {"id": comment["id"]}, {}
            if edge == "comments" and method == "GET":
                return self._list_comments(object_id, params)
        return _err(f"(#100) Unknown path or method: {method} {path}", 100)

    # --- endpoints -----------------------------------------------------------------------------
    def _post_feed(self, params: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        message = params.get("message") or ""
        link = params.get("link")
        attached = []
        for key in sorted(k for k in params if k.startswith("attached_media[")):
            try:
                fbid = str(json.loads(params[key])["media_fbid"])
            except (ValueError, KeyError, TypeError):
                return _err(f"(#100) param {key} must be a JSON object with media_fbid", 100)
            photo = self.photos.get(fbid)
            if photo is None or photo["published"] or photo["used"]:
                return _err(f"(#100) Invalid media_fbid {fbid}: it must be an unpublished photo of this Page", 100)
            attached.append(fbid)
        if attached and link:
            return _err("(#100) link and attached_media cannot be used together", 100)
        if not message.strip() and not link and not attached:
            return _err("(#100) Missing message or attachment", 100)
        if message.strip() and any(o["kind"] == "post" and o["message"] == message for o in self.objects.values()):
            return _err("(#506) Duplicate status message", 506)
        for fbid in attached:
            self.photos[fbid]["used"] = True
        post = self._new_post(message, link, attached)
        return 200, {"id": post["id"]}, {}

    def _post_photo(self, params: dict[str, Any], req: Request | None) -> tuple[int, Any, dict[str, str]]:
        source = params.get("source")
        if not isinstance(source, Part) and not params.get("url"):
            return _err("(#324) Requires upload file", 324)
        published = str(params.get("published", "true")).lower() != "false"
        photo_id = self._next_id()
        self.photos[photo_id] = {"published": published, "used": False,
                                 "size": len(source.data) if isinstance(source, Part) else 0,
                                 "data": source.data if isinstance(source, Part) else b""}
        if not published:
            return 200, {"id": photo_id}, {}
        post = self._new_post(params.get("caption") or params.get("message") or "", photos=[photo_id])
        return 200, {"id": photo_id, "post_id": post["id"]}, {}

    def _read(self, object_id: str, params: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        fields = [f for f in re.split(r",(?![^()]*\))", params.get("fields") or "id") if f]
        if object_id == self.PAGE_ID:
            return 200, {k: v for k, v in self.page.items() if k in fields or k == "id"}, {}
        obj = self.objects.get(object_id)
        if obj is None:
            return _not_found(object_id)
        out: dict[str, Any] = {"id": obj["id"]}
        for field in fields:
            name = field.split(".")[0].split("{")[0]
            if name == "message":
                out["message"] = obj["message"]
            elif name == "created_time":
                out["created_time"] = _fbtime(obj["created"])
            elif name == "reactions":
                out["reactions"] = {"data": [], "summary": {"total_count": obj["reactions"], "viewer_reaction": "NONE"}}
            elif name == "comments":
                total = len(self._comments_of(obj["id"])) + obj["comments_extra"]
                out["comments"] = {"data": [], "summary": {"order": "ranked", "total_count": total, "can_comment": True}}
            elif name == "shares":
                if obj["kind"] != "post":
                    return _err("(#100) Tried accessing nonexisting field (shares) on node type (Comment)", 100)
                if obj["shares"]:
                    out["shares"] = {"count": obj["shares"]}
            elif name == "insights":
                metric = re.search(r"metric\(([^)]*)\)", field)
                names = metric.group(1).split(",") if metric else []
                if any(n != "post_media_view" for n in names) or not self.views_supported:
                    return _err("(#100) The value must be a valid insights metric", 100)
                out["insights"] = {"data": [{"name": "post_media_view", "period": "lifetime",
                                             "values": [{"value": obj.get("views", 0)}],
                                             "title": "Lifetime Media Views",
                                             "description": "Lifetime: The number of times your post was on screen.",
                                             "id": f"{obj['id']}/insights/post_media_view/lifetime"}],
                                   "paging": {}}
            elif name != "id":
                return _err(f"(#100) Tried accessing nonexisting field ({name})", 100)
        return 200, out, {}

    def _debug_token(self, params: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        """Metadata of ``input_token``; ``access_token`` (already checked) is the Page token itself."""
        if self.debug_token_refused:
            return _err("(#100) You must provide an app access token, or a user access token that is an "
                        "owner or developer of the app", 100)
        input_token = params.get("input_token")
        if not input_token:
            return _err("(#100) The parameter input_token is required", 100)
        if input_token != self.TOKEN:
            return 200, {"data": {"error": {"code": 190, "message": "Invalid OAuth access token."},
                                  "is_valid": False, "scopes": []}}, {}

        def epoch(value: datetime | None) -> int:
            return int(value.astimezone(timezone.utc).timestamp()) if value is not None else 0

        scopes = ["pages_show_list", "pages_read_engagement", "pages_manage_posts",
                  "pages_manage_engagement", "pages_read_user_engagement", "public_profile"]
        data: dict[str, Any] = {
            "app_id": self.APP_ID, "type": "PAGE", "application": "Campaigner SPN",
            "data_access_expires_at": epoch(self.data_access_expires_at),
            "expires_at": epoch(self.token_expires_at), "is_valid": True, "issued_at": 1767225600,
            "profile_id": self.PAGE_ID, "scopes": scopes,
            "granular_scopes": [{"scope": s, "target_ids": [self.PAGE_ID]} for s in scopes[:-1]]
                               + [{"scope": "public_profile"}],
            "user_id": self.USER_ID}
        if self._invalid_subcode is not None:
            data["is_valid"] = False
            data["scopes"] = []
            data.pop("granular_scopes")
            data["error"] = {"code": 190, "subcode": self._invalid_subcode,
                             "message": INVALID_TOKEN_MESSAGES.get(self._invalid_subcode,
                                                                   "Error validating access token.")}
        return 200, {"data": data}, {}

    def _batch(self, params: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        try:
            operations = json.loads(params.get("batch") or "")
        except ValueError:
            return _err("(#100) The parameter batch is required and must be a JSON array", 100)
        if not isinstance(operations, list) or not operations:
            return _err("(#100) The parameter batch is required and must be a JSON array", 100)
        if len(operations) > BATCH_LIMIT:
            return _err(f"(#100) Too many requests in batch message. Maximum batch size is {BATCH_LIMIT}", 100)
        include_headers = str(params.get("include_headers", "true")).lower() != "false"
        answers = []
        for op in operations:
            url = urlsplit("/" + str(op.get("relative_url", "")).lstrip("/"))
            sub_params = {k: v[0] for k, v in parse_qs(url.query, keep_blank_values=True).items()}
            sub_params.setdefault("access_token", params.get("access_token"))
            status, body, _ = self._dispatch(str(op.get("method", "GET")).upper(), url.path, sub_params, None)
            answer: dict[str, Any] = {"code": status, "body": json.dumps(body)}
            if include_headers:
                answer["headers"] = [{"name": "Content-Type", "value": "text/javascript; charset=UTF-8"}]
            answers.append(answer)
        return 200, answers, {}

    def _paged(self, items: list[dict[str, Any]], params: dict[str, Any], path: str
               ) -> tuple[int, Any, dict[str, str]]:
        limit = min(int(params.get("limit") or 25), 100)
        offset = int(params.get("after") or 0)
        page = items[offset:offset + limit]
        body: dict[str, Any] = {"data": page, "paging": {"cursors": {"before": str(offset), "after": str(offset + len(page))}}}
        if offset + limit < len(items):
            query = {k: v for k, v in params.items() if isinstance(v, str)}
            query["after"] = str(offset + limit)
            body["paging"]["next"] = f"{self.base_url}/{GRAPH_API_VERSION}{path}?{urlencode(query)}"
        return 200, body, {}

    def _list_feed(self, params: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        since = int(params.get("since") or 0)
        posts = sorted((o for o in self.objects.values() if o["kind"] == "post"
                        and o["created"].timestamp() >= since), key=lambda o: (o["created"], o["id"]), reverse=True)
        items = [{"id": p["id"], "message": p["message"], "created_time": _fbtime(p["created"])} for p in posts]
        return self._paged(items, params, f"/{self.PAGE_ID}/feed")

    def _list_comments(self, object_id: str, params: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        if object_id not in self.objects:
            return _not_found(object_id)
        comments = self._comments_of(object_id)
        if params.get("filter") == "stream":   # all comments, replies to comments included
            frontier = list(comments)
            while frontier:
                children = self._comments_of(frontier.pop()["id"])
                comments.extend(children)
                frontier.extend(children)
        comments.sort(key=lambda c: (c["created"], c["id"]),
                      reverse=params.get("order") == "reverse_chronological")
        fields = str(params.get("fields") or "")
        items = [{"id": c["id"], "message": c["message"], "created_time": _fbtime(c["created"]),
                  "from": c["from"]} for c in comments]
        if "parent" in fields:  # a reply to a comment names it (a top-level comment has no parent)
            for item, c in zip(items, comments):
                if self.objects.get(c["parent"], {}).get("kind") == "comment":
                    item["parent"] = {"id": c["parent"]}
        return self._paged(items, params, f"/{object_id}/comments")
