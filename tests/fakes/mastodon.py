"""A stateful fake of one Mastodon instance's REST API, answering in Mastodon's own shapes.

Checks what the real server checks: the bearer token, ``status`` not blank, the instance's
character limit (URLs count 23, ``@user@domain`` counts as ``@user``, grapheme clusters), at most
4 media that have finished processing, ``in_reply_to_id`` visible, at most 20 ``id[]`` in a batch
lookup (422 otherwise), ``limit`` ≤ 40 on account timelines. ``Idempotency-Key`` is honoured per
account for an hour (a repeat returns the original status). Every answer carries the
``X-RateLimit-*`` headers with an ISO 8601 reset time.

Hashtag history (``GET /api/v1/tags/:name``, public) counts per UTC day the statuses that used the
tag — the fake's own statuses and those other servers sent (``set_tag_history``) — for the 7
days ending today, newest first, numbers as strings, as Mastodon does; a name Mastodon refuses,
or a server before 4.0 (``tags_supported``), is a 404.
"""
from __future__ import annotations

import html
import re
from urllib.parse import unquote
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import regex

from connectors.base import AccountConfig
from tests.fakes.server import ContractFake, Request, Response

DOMAIN = "sosial.example"
URL_RE = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)]")
MENTION_RE = re.compile(r"(?<![\w@])@(\w+)(?:@([\w.-]+\w))?")
TAG_RE = re.compile(r"(?<![\w#&])#(\w+)")
#: Mastodon's Tag::HASHTAG_NAME_RE, near enough: word characters with single separators, not all digits
TAG_NAME_RE = re.compile(r"(?=.*[^\W\d])[\w]+(?:[·・_][\w]+)*")


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def status_length(text: str) -> int:
    """Mastodon's countable length: URLs are 23, remote mentions count their local part, graphemes."""
    text = URL_RE.sub("x" * 23, text)
    text = MENTION_RE.sub(lambda m: "@" + m.group(1), text)
    return len(regex.findall(r"\X", text))


def render_html(text: str) -> str:
    """The ``content`` Mastodon would render for a plain-text status (links, mentions, tags, paragraphs)."""
    out = []
    for paragraph in re.split(r"\n{2,}", text.strip()):
        pieces = []
        pos = 0
        for m in URL_RE.finditer(paragraph):
            pieces.append(_render_plain(paragraph[pos:m.start()]))
            url = m.group(0)
            scheme, rest = url.split("://", 1)
            shown, hidden = rest[:30], rest[30:]
            pieces.append(f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener">'
                          f'<span class="invisible">{scheme}://</span>'
                          f'<span class="{"ellipsis" if hidden else ""}">{html.escape(shown)}</span>'
                          f'<span class="invisible">{html.escape(hidden)}</span></a>')
            pos = m.end()
        pieces.append(_render_plain(paragraph[pos:]))
        out.append("<p>" + "".join(pieces).replace("\n", "<br />") + "</p>")
    return "".join(out)


def _render_plain(text: str) -> str:
    text = html.escape(text, quote=False)
    text = MENTION_RE.sub(lambda m: (f'<span class="h-card" translate="no"><a href="https://{m.group(2) or DOMAIN}'
                                     f'/@{m.group(1)}" class="u-url mention">@<span>{m.group(1)}</span></a></span>'),
                          text)
    return TAG_RE.sub(lambda m: (f'<a href="https://{DOMAIN}/tags/{m.group(1).lower()}" class="mention hashtag" '
                                 f'rel="tag">#<span>{m.group(1)}</span></a>'), text)


def _error(status: int, message: str, headers: dict[str, str] | None = None) -> Response:
    return Response(status, {"error": message}, headers or {})


class Fake(ContractFake):
    platform = "mastodon"
    TOKEN = "mstdn-Zq8vT3kLw9PxR2yN7cBa5HdE1fGjU4sO"

    def __init__(self, *, max_characters: int = 500, batch_supported: bool = True,
                 quotes_supported: bool = True) -> None:
        super().__init__()
        self.max_characters = max_characters
        self.batch_supported = batch_supported          # False = a server before 4.3
        self.quotes_supported = quotes_supported        # False = before 4.5 (no quotes_count)
        self.media_processing_polls = 1                 # 206 answers before a video is ready
        self.account = self._make_account("109355567012345678", "spn_pusat", "Serikat Pekerja Nusantara")
        self.statuses: dict[str, dict[str, Any]] = {}
        self.media: dict[str, dict[str, Any]] = {}
        self.idempotency: dict[str, tuple[str, datetime]] = {}
        self._next = 113500000000000000
        self._creates = 0
        self._expired = False
        self._remaining = 300
        self.tags_supported = True                      # False = a server before 4.0 (no tag endpoint)
        self.tags_need_auth = False                     # True = this instance shows tags only to users
        #: tag (lower case) → UTC day → (uses, accounts) by statuses from other servers
        self.tag_history: dict[str, dict[date, tuple[int, int]]] = {}

    # --- ContractFake ----------------------------------------------------------------------
    def account_config(self, state_dir=None) -> AccountConfig:
        return AccountConfig(name="spn-mastodon", platform="mastodon", base_url=self.base_url,
                             handle="@spn_pusat", secrets={"ACCESS_TOKEN": self.TOKEN},
                             timeout=5.0, state_dir=state_dir)

    def secret_values(self) -> list[str]:
        return [self.TOKEN]

    def posts(self) -> dict[str, str]:
        with self.lock:
            return {sid: s["text"] for sid, s in self.statuses.items()
                    if s["account"]["id"] == self.account["id"]}

    def create_count(self) -> int:
        return self._creates

    def set_engagement(self, remote_id: str, **counts: int) -> None:
        names = {"likes": "favourites_count", "reposts": "reblogs_count", "replies": "replies_count",
                 "quotes": "quotes_count"}
        with self.lock:
            for key, value in counts.items():
                if key in names:                      # Mastodon has no impressions/bookmark counts
                    self.statuses[remote_id][names[key]] = value

    def add_reply(self, remote_id: str, author: str, text: str, created_at, language: str | None = "id",
                  domain: str = "mastodon.other") -> str:
        with self.lock:
            account = self._make_account(str(200000 + len(self.statuses)), author, author.title(), domain=domain)
            status = self._new_status(text, account, created_at, in_reply_to_id=remote_id, language=language)
            self.statuses[remote_id]["replies_count"] += 1
            return status["id"]

    def add_own_reply(self, remote_id: str, text: str, created_at) -> str:
        """The account itself replies to ``remote_id`` (in Mastodon's own app, not through campaigner)."""
        with self.lock:
            status = self._new_status(text, self.account, created_at, in_reply_to_id=remote_id, language="id")
            self.statuses[remote_id]["replies_count"] += 1
            return status["id"]

    def remove_post(self, remote_id: str) -> None:
        with self.lock:
            self.statuses.pop(remote_id, None)

    def expire_credentials(self) -> None:
        self._expired = True

    def renew_credentials(self) -> None:
        """The token works again (someone renewed it on the instance)."""
        self._expired = False

    def rate_limit_next(self, reset_at) -> None:
        self.fail_next(_error(429, "Too many requests", {
            "X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0", "X-RateLimit-Reset": _iso(reset_at)}))

    def server_error_next(self, status: int = 503) -> None:
        self.fail_next(Response(status, f"<html><body><h1>{status}</h1>We're sorry, but something went "
                                        "wrong on our end.</body></html>".encode(),
                                {"Content-Type": "text/html; charset=utf-8"}))

    def reply_parent(self, remote_id: str) -> str | None:
        return self.statuses[remote_id]["in_reply_to_id"]

    def set_tag_history(self, tag: str, days: dict[date, tuple[int, int] | int]) -> None:
        """Statuses (and accounts) with ``#tag`` that reached this instance from elsewhere, per UTC day."""
        with self.lock:
            history = self.tag_history.setdefault(tag.lstrip("#").lower(), {})
            for day, value in days.items():
                history[day] = value if isinstance(value, tuple) else (value, value)

    # --- entities --------------------------------------------------------------------------
    def _make_account(self, account_id: str, username: str, display_name: str,
                      domain: str = DOMAIN) -> dict[str, Any]:
        local = domain == DOMAIN
        return {"id": account_id, "username": username, "acct": username if local else f"{username}@{domain}",
                "display_name": display_name, "locked": False, "bot": False, "discoverable": True,
                "group": False, "created_at": "2023-01-09T00:00:00.000Z", "note": "",
                "url": f"https://{domain}/@{username}", "uri": f"https://{domain}/users/{username}",
                "avatar": f"https://{domain}/avatars/original/missing.png", "header": "",
                "followers_count": 1520, "following_count": 12, "statuses_count": 318,
                "last_status_at": "2026-11-28", "emojis": [], "fields": []}

    def _new_status(self, text: str, account: dict[str, Any], created_at: datetime, *,
                    in_reply_to_id: str | None = None, language: str | None = None,
                    media: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        self._next += 1
        sid = str(self._next)
        parent = self.statuses.get(in_reply_to_id) if in_reply_to_id else None
        status = {"id": sid, "text": text, "created_at_dt": created_at, "in_reply_to_id": in_reply_to_id,
                  "in_reply_to_account_id": parent["account"]["id"] if parent else None,
                  "account": account, "language": language, "media": media or [],
                  "replies_count": 0, "reblogs_count": 0, "favourites_count": 0, "quotes_count": 0}
        self.statuses[sid] = status
        return status

    def _entity(self, s: dict[str, Any]) -> dict[str, Any]:
        domain = s["account"]["url"].split("/")[2]
        entity = {
            "id": s["id"], "created_at": s["created_at_dt"] and _iso(s["created_at_dt"]),  # None: undated
            "in_reply_to_id": s["in_reply_to_id"],
            "in_reply_to_account_id": s["in_reply_to_account_id"], "sensitive": False, "spoiler_text": "",
            "visibility": "public", "language": s["language"],
            "uri": f"https://{domain}/users/{s['account']['username']}/statuses/{s['id']}",
            "url": f"https://{domain}/@{s['account']['username']}/{s['id']}",
            "replies_count": s["replies_count"], "reblogs_count": s["reblogs_count"],
            "favourites_count": s["favourites_count"], "edited_at": None,
            "content": render_html(s["text"]), "reblog": None,
            "application": {"name": "campaigner", "website": None}, "account": s["account"],
            "media_attachments": s["media"], "mentions": [], "tags": [], "emojis": [], "card": None,
            "poll": None}
        if self.quotes_supported:
            entity["quotes_count"] = s["quotes_count"]
        return entity

    # --- HTTP --------------------------------------------------------------------------------
    def route(self, req: Request) -> Response:
        response = self._route(req)
        now = self.clock()
        self._remaining = max(0, self._remaining - 1)
        reset = now.replace(second=0, microsecond=0) + timedelta(minutes=5 - now.minute % 5)
        response.headers.setdefault("X-RateLimit-Limit", "300")
        response.headers.setdefault("X-RateLimit-Remaining", str(self._remaining))
        response.headers.setdefault("X-RateLimit-Reset", _iso(reset))
        return response

    def _route(self, req: Request) -> Response:
        path, method = req.path.rstrip("/"), req.method
        if method == "GET" and path in ("/api/v2/instance", "/api/v1/instance"):
            return self._instance(path)
        auth = req.header("Authorization") or ""
        m = re.fullmatch(r"/api/v1/tags/([^/]+)", path)
        if m and method == "GET":
            return self._tag(unquote(m.group(1)), auth) if self.tags_supported else _error(404, "Record not found")
        if auth != f"Bearer {self.TOKEN}" or self._expired:
            return _error(401, "The access token is invalid")
        if method == "GET" and path == "/api/v1/accounts/verify_credentials":
            return Response(200, {**self.account, "source": {"privacy": "public", "language": "id",
                                                             "note": "", "fields": []}})
        if method == "POST" and path == "/api/v1/statuses":
            return self._create(req)
        if method == "GET" and path == "/api/v1/statuses":
            return self._index(req)
        if method == "POST" and path == "/api/v2/media":
            return self._upload(req)
        m = re.fullmatch(r"/api/v1/media/(\d+)", path)
        if m and method == "GET":
            media = self.media.get(m.group(1))
            if media is None:
                return _error(404, "Record not found")
            if media["polls_left"] > 0:
                media["polls_left"] -= 1
                return Response(206, media["entity"])
            media["entity"]["url"] = f"https://{DOMAIN}/media/{media['entity']['id']}.mp4"
            return Response(200, media["entity"])
        m = re.fullmatch(r"/api/v1/statuses/(\d+)(/context)?", path)
        if m:
            status = self.statuses.get(m.group(1))
            if status is None:
                return _error(404, "Record not found")
            if m.group(2) and method == "GET":
                return Response(200, {"ancestors": self._ancestors(status), "descendants": self._descendants(status)})
            if method == "GET":
                return Response(200, self._entity(status))
            if method == "DELETE":
                if status["account"]["id"] != self.account["id"]:
                    return _error(404, "Record not found")
                entity = {**self._entity(status), "text": status["text"]}
                del self.statuses[status["id"]]
                return Response(200, entity)
        m = re.fullmatch(r"/api/v1/accounts/(\d+)/statuses", path)
        if m and method == "GET":
            return self._account_statuses(m.group(1), req)
        return _error(404, "Record not found")

    def _tag(self, name: str, auth: str) -> Response:
        """The Tag entity with its history: public, but a token that is sent must be valid."""
        if auth and (auth != f"Bearer {self.TOKEN}" or self._expired):
            return _error(401, "The access token is invalid")
        if self.tags_need_auth and not auth:
            return _error(401, "This method requires an authenticated user")
        if not TAG_NAME_RE.fullmatch(name):
            return _error(404, "Record not found")
        key = name.lower()
        today = self.clock().astimezone(timezone.utc).date()
        history = []
        for back in range(7):
            day = today - timedelta(days=back)
            start = datetime.combine(day, time(0), tzinfo=timezone.utc)
            mine = [s for s in self.statuses.values() if s["created_at_dt"] is not None
                    and start <= s["created_at_dt"] < start + timedelta(days=1)
                    and key in {t.lower() for t in TAG_RE.findall(s["text"])}]
            uses, accounts = self.tag_history.get(key, {}).get(day, (0, 0))
            uses += len(mine)
            accounts += len({s["account"]["id"] for s in mine})
            history.append({"day": str(int(start.timestamp())), "accounts": str(accounts), "uses": str(uses)})
        entity: dict[str, Any] = {"id": str(sum(map(ord, key))), "name": key, "url": f"https://{DOMAIN}/tags/{key}",
                                  "history": history}
        if auth:
            entity["following"] = False
        return Response(200, entity)

    def _instance(self, path: str) -> Response:
        statuses = {"max_characters": self.max_characters, "max_media_attachments": 4,
                    "characters_reserved_per_url": 23}
        return Response(200, {"domain": DOMAIN, "title": "Sosial Pekerja", "version": "4.5.2",
                              "source_url": "https://github.com/mastodon/mastodon",
                              "configuration": {"urls": {"streaming": f"wss://{DOMAIN}"},
                                                "accounts": {"max_featured_tags": 10},
                                                "statuses": statuses,
                                                "media_attachments": {"image_size_limit": 16777216}}})

    def _create(self, req: Request) -> Response:
        params = req.params()
        now = self.clock()
        key = req.header("Idempotency-Key")
        if key:
            seen = self.idempotency.get(f"{self.account['id']}:{key}")
            if seen and now - seen[1] < timedelta(hours=1) and seen[0] in self.statuses:
                return Response(200, self._entity(self.statuses[seen[0]]))
        text = params.get("status") or ""
        media_ids = params.get("media_ids") or params.get("media_ids[]") or []
        if isinstance(media_ids, str):
            media_ids = [media_ids]
        if not text.strip() and not media_ids:
            return _error(422, "Validation failed: Text can't be blank")
        if status_length(text) > self.max_characters:
            return _error(422, f"Validation failed: Text character limit of {self.max_characters} exceeded")
        if len(media_ids) > 4:
            return _error(422, "Cannot attach more than 4 files")
        attachments = []
        for mid in media_ids:
            media = self.media.get(str(mid))
            if media is None:
                return _error(422, "Validation failed: Media attachments is invalid")
            if media["polls_left"] > 0 or media["entity"]["url"] is None:
                return _error(422, "Cannot attach files that have not finished processing. Try again in a moment!")
            attachments.append(media["entity"])
        reply_to = params.get("in_reply_to_id")
        if reply_to is not None and str(reply_to) not in self.statuses:
            return _error(404, "Record not found")
        language = params.get("language")
        if language is not None and not re.fullmatch(r"[a-z]{2,3}", str(language)):
            return _error(422, "Validation failed: Language is not a valid ISO 639 code")
        status = self._new_status(text, self.account, now, in_reply_to_id=str(reply_to) if reply_to else None,
                                  language=language, media=attachments)
        if reply_to is not None:
            self.statuses[str(reply_to)]["replies_count"] += 1
        self._creates += 1
        if key:
            self.idempotency[f"{self.account['id']}:{key}"] = (status["id"], now)
        return Response(200, self._entity(status))

    def _index(self, req: Request) -> Response:
        if not self.batch_supported:
            return _error(404, "Record not found")
        ids = req.query.get("id[]", [])
        if len(ids) > 20:
            return _error(422, "Mastodon::ValidationError")
        return Response(200, [self._entity(self.statuses[i]) for i in dict.fromkeys(ids) if i in self.statuses])

    def _upload(self, req: Request) -> Response:
        parts = req.multipart()
        files = parts.get("file")
        if not files or files[0].filename is None:
            return _error(422, "Validation failed: File can't be blank")
        part = files[0]
        self._next += 1
        mid = str(self._next)
        kind = "video" if (part.content_type or "").startswith("video/") else "image"
        description = parts["description"][0].text if "description" in parts else None
        entity = {"id": mid, "type": kind, "url": None if kind == "video" else f"https://{DOMAIN}/media/{mid}.png",
                  "preview_url": f"https://{DOMAIN}/media/{mid}_small.png", "remote_url": None,
                  "meta": {}, "description": description, "blurhash": "UeKUpFxuo~R%0nW;WCnhF6RjaJt757oJodS$"}
        self.media[mid] = {"entity": entity, "polls_left": self.media_processing_polls if kind == "video" else 0,
                           "size": len(part.data)}
        return Response(202 if kind == "video" else 200, entity)

    def _ancestors(self, status: dict[str, Any]) -> list[dict[str, Any]]:
        chain = []
        parent = self.statuses.get(status["in_reply_to_id"] or "")
        while parent is not None:
            chain.insert(0, self._entity(parent))
            parent = self.statuses.get(parent["in_reply_to_id"] or "")
        return chain

    def _descendants(self, status: dict[str, Any]) -> list[dict[str, Any]]:
        out = []
        children = sorted((s for s in self.statuses.values() if s["in_reply_to_id"] == status["id"]),
                          key=lambda s: int(s["id"]))
        for child in children:
            out.append(self._entity(child))
            out.extend(self._descendants(child))
        return out

    def _account_statuses(self, account_id: str, req: Request) -> Response:
        if account_id != self.account["id"]:
            return _error(404, "Record not found")
        try:
            limit = int(req.query.get("limit", ["20"])[0])
        except ValueError:
            return _error(422, "Validation failed: limit is not a number")
        limit = max(1, min(limit, 40))              # Mastodon clamps limit to 40
        max_id = req.query.get("max_id", [None])[0]
        since_id = req.query.get("since_id", [None])[0]
        mine = sorted((s for s in self.statuses.values() if s["account"]["id"] == account_id),
                      key=lambda s: int(s["id"]), reverse=True)
        if max_id:
            mine = [s for s in mine if int(s["id"]) < int(max_id)]
        if since_id:
            mine = [s for s in mine if int(s["id"]) > int(since_id)]
        return Response(200, [self._entity(s) for s in mine[:limit]])
