"""A stateful fake of the Instagram API with Instagram Login (``graph.instagram.com``) for one
professional account, in Meta's own shapes, that fetches every media URL over real HTTP as Meta does.

Checks: the pinned version prefix (``/refresh_access_token`` is unversioned), the token (query or
form ``access_token``; 190 when wrong, 190/463 when expired), ``POST /{user}/media`` (``image_url`` or
``video_url`` by ``media_type``: none/IMAGE → an image, ``REELS``, ``VIDEO`` only as a carousel item,
``CAROUSEL`` with 2–10 ``children`` that are this account's finished, unused carousel items; a caption
of at most 2,200 characters and never on a carousel item; ``alt_text`` only on images), and it
DOWNLOADS each ``image_url``/``video_url`` from its web server without following redirects: a redirect,
an error status or a non-media answer (an HTML page) → ``9004/2207052``, an image that is not a JPEG
→ ``2207005``, one over 8 MiB → ``36000/2207004`` (IG-ERR's own sample), an aspect ratio outside 4:5 …
1.91:1 → ``2207009``, a video without an MP4/MOV ``ftyp`` box → ``2207026``, a download slower than
``download_timeout`` → ``-2/2207003``. Video containers stay ``IN_PROGRESS`` for ``processing_checks``
status reads (then ``FINISHED``, or ``ERROR`` after ``fail_processing``); a container 24 hours old is
``EXPIRED`` (``-2/2207020`` at publish). ``media_publish`` refuses an unfinished container with
``9007/2207027``, counts the 24-hour quota (``9/2207042`` when used up; ``content_publishing_limit``
reports it), and marks the container ``PUBLISHED``. Insights refuse metrics per media product type
(``refused_metrics``, in the two message shapes seen from Meta), answer ``(#10) Not enough viewers``
for ``few_viewers`` media and refuse unknown metrics as Graph does. Comments carry the first page of
their replies (``NESTED_REPLY_PAGE``) with its paging; the rest is on ``GET /{comment}/replies``.

Shapes marked (inferred) in the code are not in a stored Meta page; the rest follow IG-ERR and the
reference pages cited in /work/shared/reference/next-platforms.md §1.
"""
from __future__ import annotations

import io
import itertools
import math
import re
import secrets
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import urlencode

from connectors.base import AccountConfig
from connectors.instagram import GRAPH_API_VERSION
from tests.fakes.server import Request, Response
from tests.fakes.webdir import FetchingFake, FetchRefused, FetchTimedOut, download
# the sample files, where tests of the engine have long taken them from
from tests.fakes.webdir import MP4_BYTES, jpeg_bytes, png_bytes  # noqa: F401

USER_ID = "17841405309211844"
APP_SCOPED_ID = "7012345678901234"
USERNAME = "spn_kspi"
TOKEN = "IGAAHsPnKspiLongLivedTokenZx81Qm4T8zKw1PxRdeadbeef"
IMAGE_LIMIT = 8 * 1024 * 1024
VIDEO_LIMIT = 300 * 1024 * 1024
CAPTION_LIMIT = 2200
KNOWN_METRICS = ("comments", "follows", "likes", "profile_activity", "profile_visits", "reach", "saved", "shares",
                 "total_interactions", "views", "navigation", "replies", "ig_reels_avg_watch_time",
                 "ig_reels_video_view_total_time")
#: what Meta has been seen refusing (meta-mcp#120/#174: shares on IMAGE posts; saved on stories)
DEFAULT_REFUSED = {"FEED": {"shares"}, "STORY": {"saved", "likes", "comments"}}
#: replies shown in a comment's nested ``replies{…}`` field before its paging (inferred: Graph's edge default)
NESTED_REPLY_PAGE = 25
CONTAINER_LIFETIME = timedelta(hours=24)
STATUS_TEXT = {"FINISHED": "Finished: Media has been uploaded and it is ready to be published.",
               "IN_PROGRESS": "In Progress: Media is still being processed.",
               "EXPIRED": "Expired: The media container has expired because it was not published within 24 hours.",
               "PUBLISHED": "Published: Media has been published."}


def _err(message: str, code: int, subcode: int | None = None, *, status: int = 400, title: str | None = None,
         user_msg: str | None = None, transient: bool = False, kind: str = "OAuthException",
         headers: dict[str, str] | None = None) -> Response:
    error: dict[str, Any] = {"message": message, "type": kind, "code": code}
    if subcode is not None:
        error["error_subcode"] = subcode
    error["is_transient"] = transient
    if title:
        error["error_user_title"] = title
    if user_msg:
        error["error_user_msg"] = user_msg
    error["fbtrace_id"] = "A" + secrets.token_urlsafe(16)
    return Response(status, {"error": error}, headers or {})


def _not_found(object_id: str, method: str = "get") -> Response:
    return _err(f"Unsupported {method} request. Object with ID '{object_id}' does not exist, cannot be loaded due "
                "to missing permissions, or does not support this operation. Please read the Graph API "
                "documentation at https://developers.facebook.com/docs/graph-api", 100, 33, kind="GraphMethodException")


def _igtime(value: datetime) -> str:
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+0000")


class Fake(FetchingFake):
    platform = "instagram"
    USER_ID = USER_ID
    TOKEN = TOKEN
    download_timeout = 2.0

    def __init__(self) -> None:
        super().__init__()
        self._ids = itertools.count(17_900_000_000_000_001)
        self.containers: dict[str, dict[str, Any]] = {}
        self.media: dict[str, dict[str, Any]] = {}
        self.comments: dict[str, dict[str, Any]] = {}
        self.published_at: list[datetime] = []
        self.quota_total = 50
        #: status reads a video container stays IN_PROGRESS
        self.processing_checks = 2
        self._fail_processing: str | None = None
        self.refused_metrics: dict[str, dict[str, str]] = {
            product: {m: f"(#100) The metric {m} is not supported for this media type" for m in metrics}
            for product, metrics in DEFAULT_REFUSED.items()}
        self.few_viewers: set[str] = set()
        self._tokens: dict[str, datetime | None] = {TOKEN: None}   # token → when issued (None: long ago)
        self._expired = False
        self._creates = 0
        #: when set, the ``permalink`` every media read answers instead of its own (a hostile answer)
        self.permalink_answer: Any = None
        #: when set, the ``paging.next`` of every comment's nested replies page that has more (a hostile answer)
        self.replies_next_answer: Any = None

    # --- ContractFake ---------------------------------------------------------------------------------
    def account_config(self, state_dir=None) -> AccountConfig:
        return AccountConfig(name="spn-ig", platform="instagram", base_url=self.base_url,
                             secrets={"USER_ID": USER_ID, "ACCESS_TOKEN": TOKEN}, state_dir=state_dir)

    def secret_values(self) -> list[str]:
        return list(self._tokens)

    def posts(self) -> dict[str, str]:
        with self.lock:
            return {mid: m["caption"] for mid, m in self.media.items() if not m["child"]}

    def create_count(self) -> int:
        return self._creates

    def set_engagement(self, remote_id: str, **counts: int) -> None:
        names = {"likes": "likes", "replies": "comments_extra", "impressions": "views", "bookmarks": "saved",
                 "reach": "reach", "shares": "shares"}
        with self.lock:
            media = self.media[remote_id]
            for name, value in counts.items():
                if name in names:
                    media[names[name]] = value

    def add_reply(self, remote_id: str, author: str, text: str, created_at, parent: str | None = None) -> str:
        """A comment by ``author`` on the media (or, with ``parent``, a reply to that comment)."""
        with self.lock:
            comment_id = str(next(self._ids))
            self.comments[comment_id] = {"id": comment_id, "media": remote_id, "parent": parent, "text": text,
                                         "username": author, "timestamp": created_at}
            return comment_id

    def remove_post(self, remote_id: str) -> None:
        with self.lock:
            self.media.pop(remote_id, None)

    def expire_credentials(self) -> None:
        self._expired = True

    def rate_limit_next(self, reset_at) -> None:
        minutes = max(1, math.ceil((reset_at - self.clock()).total_seconds() / 60))
        usage = ('{"%s":[{"type":"instagram","call_count":100,"total_cputime":12,"total_time":30,'
                 '"estimated_time_to_regain_access":%d}]}' % (USER_ID, minutes))
        self.fail_next(_err("(#80002) There have been too many calls to this Instagram account. Wait a bit and "
                            "try again. For more info, please refer to "
                            "https://developers.facebook.com/docs/graph-api/overview/rate-limiting.", 80002,
                            headers={"X-Business-Use-Case-Usage": usage}))

    def server_error_next(self, status: int = 503) -> None:
        if status == 503:
            self.fail_next(_err("(#2) Service temporarily unavailable", 2, status=503, transient=True))
        else:
            self.fail_next(_err("An unexpected error has occurred. Please retry your request later.", 2,
                                status=status, transient=True))

    # --- test controls ----------------------------------------------------------------------------------
    def fail_processing(self, text: str = "Error: Media upload has failed with error code 2207026") -> None:
        """The next video container ends in ERROR with this status text."""
        self._fail_processing = text

    def expire_container(self, container_id: str) -> None:
        with self.lock:
            self.containers[container_id]["status"] = "EXPIRED"

    def issue_token(self, issued_at: datetime | None) -> None:
        """The account's token was issued at ``issued_at`` (Meta renews it only once it is 24 h old)."""
        self._tokens[TOKEN] = issued_at

    # --- HTTP ----------------------------------------------------------------------------------------------
    def route(self, req: Request) -> Response:
        params = req.params()
        token = params.get("access_token")
        if req.path == "/refresh_access_token":
            return self._refresh(params)
        prefix = f"/{GRAPH_API_VERSION}/"
        if not req.path.startswith(prefix):
            return _err(f"Unsupported request - unknown version in path {req.path}", 100, kind="IGApiException")
        if not token:
            return _err("An active access token must be used to query information about the current user.", 2500)
        if token not in self._tokens:
            return _err("Invalid OAuth access token - Cannot parse access token", 190)
        if self._expired:
            return _err("Error validating access token: Session has expired on Monday, 30-Nov-26 18:00:00 PST. "
                        "The current time is Tuesday, 01-Dec-26 02:00:00 PST.", 190, 463)
        parts = req.path[len(prefix):].strip("/").split("/")
        method = req.method
        if parts == ["me"] and method == "GET":
            return self._me(params)
        if len(parts) == 2 and parts[0] == USER_ID:
            edge = parts[1]
            if edge == "media" and method == "POST":
                return self._create(params)
            if edge == "media" and method == "GET":
                return self._list_media(params)
            if edge == "media_publish" and method == "POST":
                return self._publish(params)
            if edge == "content_publishing_limit" and method == "GET":
                return self._quota(params)
        if len(parts) == 2 and parts[0] != USER_ID:
            object_id, edge = parts
            if edge == "insights" and method == "GET":
                return self._insights(object_id, params)
            if edge == "comments" and method == "GET":
                return self._list_comments(object_id, params)
            if edge == "replies" and method == "GET":
                return self._list_replies(object_id, params)
        if len(parts) == 1 and method == "GET":
            return self._read(parts[0], params)
        if len(parts) == 1 and method == "DELETE":
            # (inferred) Instagram Login tokens cannot delete: instagram_manage_contents is Facebook Login only
            return _not_found(parts[0], "delete")
        return _err(f"Unsupported {method.lower()} request. Object with ID '{parts[0]}' does not exist, cannot be "
                    "loaded due to missing permissions, or does not support this operation.", 100, 33,
                    kind="GraphMethodException")

    # --- account ----------------------------------------------------------------------------------------------
    def _me(self, params: dict[str, Any]) -> Response:
        fields = [f for f in str(params.get("fields") or "id").split(",") if f]
        record = {"id": APP_SCOPED_ID, "user_id": USER_ID, "username": USERNAME, "name": "Serikat Pekerja Nasional",
                  "account_type": "BUSINESS"}
        unknown = [f for f in fields if f not in record]
        if unknown:
            return _err(f"(#100) Tried accessing nonexisting field ({unknown[0]}) on node type (User)", 100)
        return Response(200, {**{f: record[f] for f in fields}, "id": APP_SCOPED_ID})

    def _quota_used(self) -> int:
        since = self.clock() - timedelta(hours=24)
        return sum(1 for t in self.published_at if t > since)

    def _quota(self, params: dict[str, Any]) -> Response:
        fields = str(params.get("fields") or "")
        entry: dict[str, Any] = {}
        if "quota_usage" in fields:
            entry["quota_usage"] = self._quota_used()
        if "config" in fields:
            entry["config"] = {"quota_total": self.quota_total, "quota_duration": 86400}
        return Response(200, {"data": [entry]})

    def _refresh(self, params: dict[str, Any]) -> Response:
        token = params.get("access_token")
        if params.get("grant_type") != "ig_refresh_token":
            return _err("Unsupported grant_type", 100, kind="IGApiException")
        if token not in self._tokens or self._expired:
            return _err("Invalid OAuth access token - Cannot parse access token", 190)
        issued = self._tokens[token]
        if issued is not None and self.clock() - issued < timedelta(hours=24):
            # (inferred) the answer Meta gives a token younger than 24 hours
            return _err("Unsupported request - method type: get", 100, kind="IGApiException")
        new = "IGAAHsPnKspiRefreshed" + secrets.token_hex(12)
        self._tokens[new] = self.clock()
        return Response(200, {"access_token": new, "token_type": "bearer", "expires_in": 5183944})

    # --- containers -----------------------------------------------------------------------------------------------
    def _download(self, url: str, kind: str) -> tuple[bytes | None, Response | None]:
        """GET ``url`` as Meta's fetcher does: no redirects, a deadline, a size cap."""
        self.downloads.append(url)
        failed = _err("Only photo or video can be accepted as media type.", 9004, 2207052,
                      title="Media download has failed.", user_msg=f"The media could not be fetched from this uri: {url}")
        limit = IMAGE_LIMIT if kind == "image" else VIDEO_LIMIT
        try:
            served, data = download(url, limit, self.download_timeout)
        except FetchTimedOut:
            return None, _err("It takes too long to download the media.", -2, 2207003, title="Media download timeout",
                              user_msg="It takes too long to download the media.")
        except FetchRefused:
            return None, failed
        if not served.startswith(("image/", "video/", "application/octet-stream", "binary/")):
            return None, failed
        if len(data) > limit:
            if kind == "image":
                return None, _err("The image size is too large.", 36000, 2207004, title="Image size too large",
                                  user_msg="The image is too large to download. It should be less than 8 MiB.")
            return None, _err("The video file size is too large.", 352, 2207026)
        return data, None

    def _check_image(self, data: bytes) -> Response | None:
        if not data.startswith(b"\xff\xd8\xff"):
            # (inferred code) Meta takes JPEG only
            return _err("The image format is not supported.", 36001, 2207005, title="Unsupported format",
                        user_msg="The image format is not supported. Supported format: JPEG")
        from PIL import Image

        try:
            width, height = Image.open(io.BytesIO(data)).size
        except Exception:
            return _err("The image format is not supported.", 36001, 2207005)
        ratio = width / height
        if not 0.8 <= ratio <= 1.91:
            return _err(f"The submitted image with aspect ratio ('{width}/{height}') cannot be published. Please "
                        "submit an image with a valid aspect ratio.", 36003, 2207009,
                        title="Aspect ratio not supported")
        return None

    def _create(self, params: dict[str, Any]) -> Response:
        media_type = str(params.get("media_type") or "IMAGE").upper()
        caption = params.get("caption")
        is_item = str(params.get("is_carousel_item") or "").lower() == "true"
        if caption is not None and len(caption) > CAPTION_LIMIT:
            return _err("Param caption must be at most 2200 characters long.", 100, 2207010,
                        title="The caption is too long")
        if is_item and caption:
            return _err("(#100) The parameter caption is not supported on carousel items", 100)
        if params.get("alt_text") is not None and media_type != "IMAGE":
            return _err("(#100) The parameter alt_text is supported on images only", 100)
        if media_type == "VIDEO" and not is_item:
            return _err("The VIDEO media type is no longer supported for single feed videos. Please use REELS.",
                        100, 2207023)
        container: dict[str, Any] = {"kind": media_type, "item": is_item, "caption": caption or "",
                                     "created": self.clock(), "checks": 0, "status": "FINISHED", "used": False,
                                     "children": [], "alt_text": params.get("alt_text"),
                                     "url": params.get("image_url") or params.get("video_url")}
        if media_type == "IMAGE":
            url = params.get("image_url")
            if not url:
                return _err("(#100) The parameter image_url is required", 100)
            data, refused = self._download(str(url), "image")
            if refused is None:
                assert data is not None
                refused = self._check_image(data)
            if refused is not None:
                return refused
        elif media_type in ("REELS", "VIDEO"):
            url = params.get("video_url")
            if not url:
                return _err("(#100) The parameter video_url is required", 100)
            data, refused = self._download(str(url), "video")
            if refused is not None:
                return refused
            assert data is not None
            if data[4:8] != b"ftyp":
                return _err("The video format is not supported. Please check spec for supported video formats.",
                            352, 2207026, title="Unsupported video format")
            container["status"] = "IN_PROGRESS"
            container["checks"] = self.processing_checks
            container["error"] = self._fail_processing
            self._fail_processing = None
        elif media_type == "CAROUSEL":
            children = [c for c in str(params.get("children") or "").split(",") if c]
            if not 2 <= len(children) <= 10:
                return _err("(#100) The carousel must have between 2 and 10 children", 100, 2207028,
                            title="Carousel validation failed")
            for child in children:
                item = self.containers.get(child)
                if item is None or not item["item"] or item["used"]:
                    return _err(f"(#100) Param children contains an invalid carousel item: {child}", 100)
                if self._status_of(item) != "FINISHED":
                    return _err("The media is not ready for publishing, please wait for a moment", 9007, 2207027,
                                title="Media ID is not available")
            for child in children:
                self.containers[child]["used"] = True
            container["children"] = children
        else:
            return _err(f"The media type {media_type} is unknown", 100, 2207023)
        container_id = str(next(self._ids))
        container["id"] = container_id
        self.containers[container_id] = container
        return Response(200, {"id": container_id})

    def _status_of(self, container: dict[str, Any]) -> str:
        if container["status"] in ("PUBLISHED", "ERROR", "EXPIRED"):
            return container["status"]
        if self.clock() - container["created"] >= CONTAINER_LIFETIME:
            container["status"] = "EXPIRED"
        return container["status"]

    def _read_container(self, container: dict[str, Any], fields: list[str]) -> Response:
        status = self._status_of(container)
        if status == "IN_PROGRESS":
            if container["checks"] <= 0:
                container["status"] = "ERROR" if container.get("error") else "FINISHED"
                status = container["status"]
            container["checks"] -= 1
        out: dict[str, Any] = {"id": container["id"]}
        for field in fields:
            if field == "status_code":
                out["status_code"] = status
            elif field == "status":
                out["status"] = container.get("error") if status == "ERROR" else STATUS_TEXT[status]
            elif field != "id":
                return _err(f"(#100) Tried accessing nonexisting field ({field}) on node type (ShadowIGMediaBuilder)",
                            100)
        return Response(200, out)

    def _publish(self, params: dict[str, Any]) -> Response:
        creation = str(params.get("creation_id") or "")
        container = self.containers.get(creation)
        if container is None:
            return _err("Media ID is not available", 9007, 2207006,
                        title="Media not found", user_msg="The media with this ID could not be found.")
        status = self._status_of(container)
        if container["item"]:
            return _err("(#100) A carousel item cannot be published on its own", 100)   # (inferred)
        if status == "EXPIRED":
            return _err("The media you are trying to access has expired. Please try to upload again.", -2, 2207020,
                        title="Media expired")
        if status == "PUBLISHED":
            return _err("(#100) The media container has already been published", 100)   # (inferred)
        if status != "FINISHED":
            return _err("The media is not ready for publishing, please wait for a moment", 9007, 2207027,
                        title="Media ID is not available")
        if self._quota_used() >= self.quota_total:
            return _err("You reached maximum number of posts that is allowed to be published by Content "
                        "Publishing API.", 9, 2207042, title="Maximum number of posts reached",
                        user_msg="You reached maximum number of posts that is allowed to be published by Content "
                                 "Publishing API.")
        container["status"] = "PUBLISHED"
        media_id = str(next(self._ids))
        shortcode = secrets.token_urlsafe(8)[:11].replace("-", "A").replace("_", "B")
        reel = container["kind"] == "REELS"
        self.media[media_id] = {
            "id": media_id, "caption": container["caption"], "timestamp": self.clock(), "child": False,
            "media_type": {"IMAGE": "IMAGE", "REELS": "VIDEO", "CAROUSEL": "CAROUSEL_ALBUM"}[container["kind"]],
            "product": "REELS" if reel else "FEED", "container": creation,
            "permalink": f"https://www.instagram.com/{'reel' if reel else 'p'}/{shortcode}/",
            "likes": 0, "comments_extra": 0, "views": 0, "reach": 0, "saved": 0, "shares": 0,
            "children": list(container["children"])}
        self.published_at.append(self.clock())
        self._creates += 1
        return Response(200, {"id": media_id})

    # --- media -------------------------------------------------------------------------------------------------------
    def _comment_count(self, media_id: str) -> int:
        return sum(1 for c in self.comments.values() if c["media"] == media_id) + self.media[media_id]["comments_extra"]

    def _read(self, object_id: str, params: dict[str, Any]) -> Response:
        fields = [f for f in str(params.get("fields") or "id").split(",") if f]
        if object_id in self.containers:
            return self._read_container(self.containers[object_id], fields)
        media = self.media.get(object_id)
        if media is None:
            return _not_found(object_id)
        values = {"id": media["id"], "caption": media["caption"], "media_type": media["media_type"],
                  "media_product_type": media["product"], "like_count": media["likes"],
                  "comments_count": self._comment_count(object_id),
                  "permalink": media["permalink"] if self.permalink_answer is None else self.permalink_answer,
                  "timestamp": _igtime(media["timestamp"]), "username": USERNAME}
        out: dict[str, Any] = {}
        for field in fields:
            if field not in values:
                return _err(f"(#100) Tried accessing nonexisting field ({field}) on node type (IGMedia)", 100)
            out[field] = values[field]
        out.setdefault("id", media["id"])
        return Response(200, out)

    def _list_media(self, params: dict[str, Any]) -> Response:
        fields = [f for f in str(params.get("fields") or "id").split(",") if f]
        items = sorted((m for m in self.media.values() if not m["child"]),
                       key=lambda m: (m["timestamp"], m["id"]), reverse=True)
        rows = []
        for media in items:
            answer = self._read(media["id"], {"fields": ",".join(fields)})
            if answer.status != 200:
                return answer
            rows.append(answer.body)
        return self._paged(rows, params, f"/{USER_ID}/media")

    def _paged(self, rows: list[Any], params: dict[str, Any], path: str) -> Response:
        limit = min(int(params.get("limit") or 25), 100)
        offset = int(params.get("after") or 0)
        page = rows[offset:offset + limit]
        body: dict[str, Any] = {"data": page,
                                "paging": {"cursors": {"before": str(offset), "after": str(offset + len(page))}}}
        if offset + limit < len(rows):
            query = {k: v for k, v in params.items() if isinstance(v, str)}
            query["after"] = str(offset + limit)
            body["paging"]["next"] = f"{self.base_url}/{GRAPH_API_VERSION}{path}?{urlencode(query)}"
        return Response(200, body)

    def _insights(self, media_id: str, params: dict[str, Any]) -> Response:
        media = self.media.get(media_id)
        if media is None:
            return _not_found(media_id)
        metrics = [m for m in str(params.get("metric") or "").split(",") if m]
        if not metrics:
            return _err("(#100) The parameter metric is required", 100)
        for i, metric in enumerate(metrics):
            if metric not in KNOWN_METRICS:
                return _err(f"(#100) metric[{i}] must be one of the following values: {', '.join(KNOWN_METRICS)}", 100)
        refused = self.refused_metrics.get(media["product"], {})
        for metric in metrics:
            if metric in refused:
                return _err(refused[metric], 100)
        if media_id in self.few_viewers:
            return _err("(#10) Not enough viewers for the media to show insights", 10)
        comments = self._comment_count(media_id)
        values = {"views": media["views"], "reach": media["reach"], "likes": media["likes"], "comments": comments,
                  "saved": media["saved"], "shares": media["shares"],
                  "total_interactions": media["likes"] + comments + media["saved"] + media["shares"]}
        data = [{"name": m, "period": "lifetime", "values": [{"value": values.get(m, 0)}],
                 "title": m.replace("_", " ").title(), "description": f"The number of {m.replace('_', ' ')}.",
                 "id": f"{media_id}/insights/{m}/lifetime"} for m in metrics]
        return Response(200, {"data": data})

    @staticmethod
    def _comment_shape(comment: dict[str, Any], fields: list[str]) -> dict[str, Any]:
        values = {"id": comment["id"], "text": comment["text"], "username": comment["username"],
                  "timestamp": _igtime(comment["timestamp"]), "like_count": 0, "hidden": False}
        return {f: values[f] for f in fields if f in values}

    def _answers(self, comment_id: str) -> list[dict[str, Any]]:
        """The replies under a comment, oldest first (as Instagram shows them under it)."""
        return sorted((c for c in self.comments.values() if c["parent"] == comment_id),
                      key=lambda c: (c["timestamp"], c["id"]))

    def _list_comments(self, media_id: str, params: dict[str, Any]) -> Response:
        """Top-level comments, newest first; with ``replies{…}`` each carries the first page of its
        replies (``NESTED_REPLY_PAGE``, or ``replies.limit(n){…}``) and, when there are more, that
        page's own ``paging`` — cursors and a ``next`` link on the comment's replies edge (field
        expansion's shape; the page size is inferred: Graph's default for an edge)."""
        if media_id not in self.media:
            return _not_found(media_id)
        fields_text = str(params.get("fields") or "id,text")
        nested = re.search(r"replies(?:\.limit\((\d+)\))?\{([^}]*)\}", fields_text)
        top = [f for f in re.sub(r"replies(?:\.limit\(\d+\))?\{[^}]*\}", "", fields_text).split(",") if f]
        rows = []
        ordered = sorted(self.comments.values(), key=lambda c: (c["timestamp"], c["id"]), reverse=True)
        for comment in ordered:
            if comment["media"] != media_id or comment["parent"] is not None:
                continue
            row = self._comment_shape(comment, top)
            if nested is not None:
                inner = [f for f in nested.group(2).split(",") if f]
                answers = [self._comment_shape(c, inner) for c in self._answers(comment["id"])]
                if answers:
                    limit = min(int(nested.group(1) or NESTED_REPLY_PAGE), 100)
                    page = self._paged(answers, {"access_token": params.get("access_token"),
                                                 "fields": ",".join(inner), "limit": str(limit)},
                                       f"/{comment['id']}/replies").body
                    if "next" in page["paging"] and self.replies_next_answer is not None:
                        page["paging"]["next"] = self.replies_next_answer
                    row["replies"] = page
            rows.append(row)
        return self._paged(rows, params, f"/{media_id}/comments")

    def _list_replies(self, comment_id: str, params: dict[str, Any]) -> Response:
        """``GET /{ig-comment-id}/replies``: the replies under a top-level comment, oldest first, paged
        by ``after`` like any edge; an unknown field is refused as Graph does."""
        comment = self.comments.get(comment_id)
        if comment is None:
            return _not_found(comment_id)
        fields = [f for f in str(params.get("fields") or "id,text,timestamp").split(",") if f]
        known = {"id", "text", "username", "timestamp", "like_count", "hidden"}
        unknown = [f for f in fields if f not in known]
        if unknown:
            return _err(f"(#100) Tried accessing nonexisting field ({unknown[0]}) on node type (IGComment)", 100)
        rows = [self._comment_shape(c, fields) for c in self._answers(comment_id)]
        return self._paged(rows, params, f"/{comment_id}/replies")
