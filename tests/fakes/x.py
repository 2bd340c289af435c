"""A fake of the X API v2 (the parts campaigner uses), served on 127.0.0.1.

It answers in X's wire format — 201 ``{"data":{"id","text"}}`` for a create, RFC 7807 problem
bodies for errors (the 403 duplicate-content body verbatim), ``x-rate-limit-*`` and 24-hour
limit headers — and it checks what it receives: a valid OAuth 1.0a HMAC-SHA1 signature made
with the test secrets (or the OAuth 2.0 bearer token), ``CreatePostsRequest`` with no unknown
fields (``additionalProperties: false``), 280 weighted characters, 1..100 ids per lookup, and
the ``MediaUploadRequest`` shape of ``POST /2/media/upload``.

Like X, every URL in the text it returns is a t.co link and ``& < >`` come back as entities, and
the account's timeline may lag behind new posts (``timeline_lag``, on the fake's clock).

Counts (``GET /2/tweets/counts/recent``) take only a Bearer token — the app's (``APP_BEARER``) or,
with ``auth="bearer"``, the OAuth 2.0 user token — and refuse OAuth 1.0a as X does (403
``unsupported-authentication``). They check ``query`` (at most 512 characters; this fake knows
``#tag`` and ``-is:retweet``), ``granularity``, and that ``start_time``/``end_time`` lie in the last
7 days and end 10 seconds before now; the buckets start at ``start_time`` and are cut at each UTC
hour (or day, or minute), the last ending at ``end_time``. ``counts_page`` cuts an answer to that
many buckets with a ``next_token``. ``counts_requests`` counts the (billed) requests.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import html
import itertools
import re
from datetime import datetime, timedelta, timezone
from email.parser import BytesParser
from email.policy import default as email_policy
from typing import Any, Callable
from urllib.parse import quote, unquote, urlsplit

from twitter_text import parse_tweet

from connectors.base import AccountConfig
from tests.fakes.server import ContractFake, Request, Response

PROBLEMS = "https://api.twitter.com/2/problems"
DUPLICATE = {"detail": "You are not allowed to create a Tweet with duplicate content.",
             "type": "about:blank", "title": "Forbidden", "status": 403}
UNAUTHORIZED = {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}
TOO_MANY = {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}
CLIENT_FORBIDDEN = {
    "client_id": "29384756",
    "detail": "When authenticating requests to the Twitter API v2 endpoints, you must use keys and tokens "
              "from a Twitter developer App that is attached to a Project. You can create a project via "
              "the developer portal.",
    "registration_url": "https://developer.twitter.com/en/docs/projects/overview",
    "title": "Client Forbidden", "required_enrollment": "Appropriate Level of API Access",
    "reason": "client-not-enrolled", "type": f"{PROBLEMS}/client-forbidden",
}
CREATE_FIELDS = {"text", "reply", "media", "quote_tweet_id", "poll", "reply_settings", "community_id", "geo",
                 "nullcast", "for_super_followers_only", "edit_options", "made_with_ai", "paid_partnership",
                 "card_uri", "direct_message_deep_link", "share_with_followers"}
REPLY_FIELDS = {"in_reply_to_tweet_id", "exclude_reply_user_ids", "auto_populate_reply_metadata"}
MEDIA_FIELDS = {"media_ids", "tagged_user_ids", "call_to_actions", "description", "embeddable",
                "preview_media_id", "title"}
ID_RE = re.compile(r"^[0-9]{1,19}$")
URL_RE = re.compile(r"https?://\S+", re.IGNORECASE)
METRIC_NAMES = {"likes": "like_count", "reposts": "retweet_count", "replies": "reply_count",
                "quotes": "quote_count", "impressions": "impression_count", "bookmarks": "bookmark_count"}


def _esc(value: str) -> str:
    return quote(value, safe="~")


def invalid_request(message: str, parameter: str = "text", value: Any = None) -> Response:
    return Response(400, {
        "errors": [{"parameters": {parameter: [] if value is None else [str(value)]}, "message": message}],
        "title": "Invalid Request", "detail": "One or more parameters to your request was invalid.",
        "type": f"{PROBLEMS}/invalid-request"})


class Fake(ContractFake):
    platform = "x"

    USER_ID = "1500000000000000001"
    HANDLE = "kspi_test"
    API_KEY = "xk-consumer-KEY-3f9a7c21d0"
    API_SECRET = "xs-consumer-SECRET-8b1e44f09a6d"
    ACCESS_TOKEN = f"{USER_ID}-AcCeSsToKeN5e2d9c"
    ACCESS_TOKEN_SECRET = "xa-token-SECRET-71c0ffee42"
    BEARER_TOKEN = "xb-oauth2-USER-token-a1b2c3d4e5f6"
    APP_BEARER = "AAAAAAAAAAAAAAAAAAAAAxAppOnly%2Bbearer9f8e7d6c5b4a"

    def __init__(self, *, auth: str = "oauth1", clock: Callable[[], datetime] | None = None):
        super().__init__()
        assert auth in ("oauth1", "bearer")
        self.auth_mode = auth
        if clock is not None:
            self.clock = clock
        self.tweets: dict[str, dict] = {}
        self.usernames = {self.USER_ID: self.HANDLE}
        self.media: dict[str, dict] = {}
        self._ids = itertools.count(1860000000000000000, 7919)
        self._user_ids = itertools.count(1700000000000000000, 13)
        self.created = 0
        self.expired = False
        self.search_allowed = True          # False = an access tier without recent search
        self.metrics_naming = "retweet"     # or "repost" (the newest spec's name)
        #: the own timeline leaves out posts younger than this (X's lags behind new posts)
        self.timeline_lag = timedelta(0)
        self.user_24h_limit: int | None = None
        self.app_24h_limit: int | None = None
        self.nonces: set[str] = set()
        self.auth_failures: list[str] = []  # why a request was refused (for test assertions)
        self.counts_requests = 0            # GET /2/tweets/counts/recent calls answered (X bills each)
        self.counts_page: int | None = None  # at most this many buckets per counts answer

    # --- ContractFake --------------------------------------------------------------------
    def account_config(self, state_dir=None) -> AccountConfig:
        if self.auth_mode == "oauth1":
            secrets = {"API_KEY": self.API_KEY, "API_SECRET": self.API_SECRET,
                       "ACCESS_TOKEN": self.ACCESS_TOKEN, "ACCESS_TOKEN_SECRET": self.ACCESS_TOKEN_SECRET}
        else:
            secrets = {"BEARER_TOKEN": self.BEARER_TOKEN}
        return AccountConfig(name="x-test", platform="x", base_url=self.base_url, handle=self.HANDLE,
                             secrets=secrets, timeout=1.0, state_dir=state_dir)

    def secret_values(self) -> list[str]:
        if self.auth_mode == "oauth1":
            return [self.API_KEY, self.API_SECRET, self.ACCESS_TOKEN, self.ACCESS_TOKEN_SECRET]
        return [self.BEARER_TOKEN]

    def posts(self) -> dict[str, str]:
        with self.lock:
            return {i: t["text"] for i, t in self.tweets.items() if t["author_id"] == self.USER_ID}

    def create_count(self) -> int:
        return self.created

    def set_engagement(self, remote_id: str, **counts: int) -> None:
        with self.lock:
            metrics = self.tweets[str(remote_id)]["metrics"]
            for name, value in counts.items():
                metrics[METRIC_NAMES[name]] = value

    def add_reply(self, remote_id: str, author: str, text: str, created_at, language: str = "in") -> str:
        with self.lock:
            parent = self.tweets[str(remote_id)]
            author = author.lstrip("@")
            user_id = next((u for u, n in self.usernames.items() if n == author), None)
            if user_id is None:
                user_id = str(next(self._user_ids))
                self.usernames[user_id] = author
            if created_at.tzinfo is None:
                created_at = created_at.replace(tzinfo=timezone.utc)
            reply_id = self._store(text, user_id, created_at, reply_to=parent["id"])
            self.tweets[reply_id]["lang"] = language
            return reply_id

    def add_own_reply(self, remote_id: str, text: str, created_at) -> str:
        """The account itself replies to ``remote_id`` (in X's own app, not through campaigner)."""
        with self.lock:
            if created_at.tzinfo is None:
                created_at = created_at.replace(tzinfo=timezone.utc)
            return self._store(text, self.USER_ID, created_at, reply_to=str(remote_id))

    def reply_parent(self, remote_id: str) -> str | None:
        with self.lock:
            return self.tweets[str(remote_id)]["in_reply_to"]

    def remove_post(self, remote_id: str) -> None:
        with self.lock:
            self.tweets.pop(str(remote_id), None)

    def expire_credentials(self) -> None:
        self.expired = True

    def rate_limit_next(self, reset_at) -> None:
        self.fail_next(Response(429, dict(TOO_MANY), {
            "x-rate-limit-limit": "100", "x-rate-limit-remaining": "0",
            "x-rate-limit-reset": str(int(reset_at.timestamp()))}))

    def server_error_next(self, status: int = 503) -> None:
        titles = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
                  504: "Gateway Timeout"}
        title = titles.get(status, "Server Error")
        self.fail_next(Response(status, {"title": title, "detail": title, "type": "about:blank", "status": status}))

    # --- helpers for tests ---------------------------------------------------------------
    def tweet(self, remote_id: str) -> dict:
        return self.tweets[str(remote_id)]

    def add_own_post(self, text: str, created_at: datetime | None = None, reply_to: str | None = None) -> str:
        """A post on the account made outside campaigner (or by a call whose answer was lost)."""
        with self.lock:
            return self._store(text, self.USER_ID, created_at or self.clock(), reply_to=reply_to)

    def add_public_post(self, text: str, created_at: datetime, *, author: str = "warga_biasa",
                        retweet: bool = False) -> str:
        """A post by someone else (a repost of one when ``retweet``), as counts and search see it."""
        with self.lock:
            user_id = next((u for u, n in self.usernames.items() if n == author), None)
            if user_id is None:
                user_id = str(next(self._user_ids))
                self.usernames[user_id] = author
            tweet_id = self._store(("RT " if retweet else "") + text, user_id, created_at)
            self.tweets[tweet_id]["retweet"] = retweet
            return tweet_id

    # --- routing -------------------------------------------------------------------------
    def route(self, req: Request) -> Response:
        if req.method == "GET" and req.path == "/2/tweets/counts/recent":
            return self._counts(req)
        refused = self._check_auth(req)
        if refused is not None:
            return refused
        parts = req.path.rstrip("/").split("/")
        if req.method == "POST" and req.path == "/2/tweets":
            return self._create(req)
        if req.method == "DELETE" and len(parts) == 4 and parts[1:3] == ["2", "tweets"]:
            return self._delete(parts[3])
        if req.method == "GET" and req.path == "/2/tweets":
            return self._lookup(req)
        if req.method == "GET" and req.path == "/2/users/me":
            return self._ok({"data": {"id": self.USER_ID, "name": "KSPI (test)", "username": self.HANDLE}})
        if req.method == "GET" and len(parts) == 5 and parts[1:3] == ["2", "users"] and parts[4] == "tweets":
            return self._timeline(req, parts[3])
        if req.method == "GET" and req.path == "/2/tweets/search/recent":
            return self._search(req)
        if req.method == "POST" and req.path == "/2/media/upload":
            return self._upload(req)
        if req.method == "POST" and req.path == "/2/media/metadata":
            return self._metadata(req)
        return Response(404, {"title": "Not Found Error", "type": "about:blank", "status": 404,
                              "detail": f"no route {req.method} {req.path}"})

    # --- auth ----------------------------------------------------------------------------
    def _refuse(self, why: str) -> Response:
        self.auth_failures.append(why)
        return Response(401, dict(UNAUTHORIZED))

    def _check_auth(self, req: Request) -> Response | None:
        if self.expired:
            return self._refuse("credentials expired")
        header = req.header("Authorization") or ""
        if self.auth_mode == "bearer":
            return None if header == f"Bearer {self.BEARER_TOKEN}" else self._refuse("bad bearer token")
        if not header.startswith("OAuth "):
            return self._refuse("no OAuth 1.0a header")
        params = {k: unquote(v) for k, v in re.findall(r'(\w+)="([^"]*)"', header)}
        if params.get("oauth_consumer_key") != self.API_KEY or params.get("oauth_token") != self.ACCESS_TOKEN:
            return self._refuse("wrong consumer key or token")
        if params.get("oauth_signature_method") != "HMAC-SHA1" or not params.get("oauth_timestamp"):
            return self._refuse("unsupported signature method")
        nonce = params.get("oauth_nonce", "")
        if not nonce or nonce in self.nonces:
            return self._refuse("missing or replayed nonce")
        self.nonces.add(nonce)
        pairs = [(k, v) for k, vs in req.query.items() for v in vs]
        pairs += [(k, v) for k, v in params.items() if k.startswith("oauth_") and k != "oauth_signature"]
        if (req.header("Content-Type") or "").startswith("application/x-www-form-urlencoded"):
            pairs += [(k, v) for k, vs in req.form().items() for v in vs]
        normalized = "&".join(f"{k}={v}" for k, v in sorted((_esc(k), _esc(v)) for k, v in pairs))
        host = urlsplit(self.base_url)
        base = "&".join([req.method.upper(), _esc(f"{host.scheme}://{host.netloc}{req.path}"), _esc(normalized)])
        key = f"{_esc(self.API_SECRET)}&{_esc(self.ACCESS_TOKEN_SECRET)}".encode()
        expected = base64.b64encode(hmac.new(key, base.encode(), hashlib.sha1).digest()).decode()
        if not hmac.compare_digest(expected, params.get("oauth_signature", "")):
            return self._refuse("bad signature")
        return None

    # --- responses -----------------------------------------------------------------------
    def _limit_headers(self, limit: int = 900) -> dict[str, str]:
        reset = int((self.clock() + timedelta(minutes=15)).timestamp())
        return {"x-rate-limit-limit": str(limit), "x-rate-limit-remaining": str(limit - 1),
                "x-rate-limit-reset": str(reset)}

    def _ok(self, body: dict, status: int = 200, limit: int = 900) -> Response:
        return Response(status, body, self._limit_headers(limit))

    def _render(self, tweet: dict, fields: set[str]) -> dict:
        """A post as X returns it: URLs as t.co links, HTML entities, the requested fields."""
        text = URL_RE.sub(lambda m: "https://t.co/" + hashlib.sha1(m.group().encode()).hexdigest()[:10],
                          tweet["text"])
        text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        out: dict[str, Any] = {"id": tweet["id"], "text": text, "edit_history_tweet_ids": [tweet["id"]]}
        if "public_metrics" in fields:
            metrics = dict(tweet["metrics"])
            if self.metrics_naming == "repost":
                metrics["repost_count"] = metrics.pop("retweet_count")
            out["public_metrics"] = metrics
        if "created_at" in fields:
            out["created_at"] = tweet["created_at"].strftime("%Y-%m-%dT%H:%M:%S.000Z")
        if "author_id" in fields:
            out["author_id"] = tweet["author_id"]
        if "conversation_id" in fields:
            out["conversation_id"] = tweet["conversation_id"]
        if "lang" in fields:
            out["lang"] = tweet["lang"]
        if "referenced_tweets" in fields and tweet["in_reply_to"]:
            out["referenced_tweets"] = [{"type": "replied_to", "id": tweet["in_reply_to"]}]
        return out

    def _store(self, text: str, author_id: str, created_at: datetime, reply_to: str | None = None,
               media_ids: list[str] | None = None) -> str:
        tweet_id = str(next(self._ids))
        conversation = self.tweets[reply_to]["conversation_id"] if reply_to else tweet_id
        self.tweets[tweet_id] = {
            "id": tweet_id, "text": text, "author_id": author_id, "created_at": created_at,
            "conversation_id": conversation, "in_reply_to": reply_to, "lang": "in",
            "media_ids": list(media_ids or []),
            "metrics": {"retweet_count": 0, "reply_count": 0, "like_count": 0, "quote_count": 0,
                        "bookmark_count": 0, "impression_count": 0},
        }
        if reply_to:
            self.tweets[reply_to]["metrics"]["reply_count"] += 1
        return tweet_id

    def _daily_headers(self) -> tuple[dict[str, str], bool]:
        """The 24-hour cap headers X adds to POST /2/tweets, and whether a cap is used up."""
        now = self.clock()
        day_ago = now - timedelta(hours=24)
        mine = sorted(t["created_at"] for t in self.tweets.values()
                      if t["author_id"] == self.USER_ID and t["created_at"] > day_ago)
        headers: dict[str, str] = {}
        exhausted = False
        for prefix, limit in (("x-user-limit-24hour", self.user_24h_limit), ("x-app-limit-24hour", self.app_24h_limit)):
            if limit is None:
                continue
            remaining = max(limit - len(mine), 0)
            reset = (mine[0] if mine else now) + timedelta(hours=24)
            headers.update({f"{prefix}-limit": str(limit), f"{prefix}-remaining": str(remaining),
                            f"{prefix}-reset": str(int(reset.timestamp()))})
            exhausted = exhausted or remaining == 0
        return headers, exhausted

    # --- endpoints -----------------------------------------------------------------------
    def _create(self, req: Request) -> Response:
        body = req.json()
        if not isinstance(body, dict):
            return invalid_request("body must be a JSON object", "body")
        unknown = set(body) - CREATE_FIELDS
        if unknown:
            return invalid_request(f"unknown field(s) {sorted(unknown)}", sorted(unknown)[0])
        text = body.get("text", "")
        if not isinstance(text, str):
            return invalid_request("text must be a string")
        media_ids: list[str] = []
        if "media" in body:
            media = body["media"]
            if not isinstance(media, dict) or set(media) - MEDIA_FIELDS or "media_ids" not in media:
                return invalid_request("media must be {media_ids: [...]}", "media")
            media_ids = media["media_ids"]
            if not (1 <= len(media_ids) <= 4) or not all(isinstance(m, str) and ID_RE.match(m) for m in media_ids):
                return invalid_request("media.media_ids must be 1..4 numeric strings", "media.media_ids")
            if any(m not in self.media for m in media_ids):
                return invalid_request("unknown media id", "media.media_ids")
        if not text and not media_ids:
            return invalid_request("text is required unless media is given")
        if text and not parse_tweet(text).valid:
            # X's exact words for this refusal were not found in the sources: the shape is X's
            return Response(403, {"detail": "Your Tweet text is too long.", "type": "about:blank",
                                   "title": "Forbidden", "status": 403})
        reply_to = None
        if "reply" in body:
            reply = body["reply"]
            if not isinstance(reply, dict) or set(reply) - REPLY_FIELDS or "in_reply_to_tweet_id" not in reply:
                return invalid_request("reply must be {in_reply_to_tweet_id}", "reply")
            reply_to = reply["in_reply_to_tweet_id"]
            if not isinstance(reply_to, str) or not ID_RE.match(reply_to):
                return invalid_request("in_reply_to_tweet_id must be a numeric string", "reply.in_reply_to_tweet_id")
            if reply_to not in self.tweets:
                return Response(403, {"detail": "You attempted to reply to a Tweet that is deleted or not "
                                                "visible to you.", "type": "about:blank", "title": "Forbidden",
                                      "status": 403})
        headers, exhausted = self._daily_headers()
        if exhausted:
            return Response(429, dict(TOO_MANY), {**self._limit_headers(100), **headers})
        if any(t["text"] == text and t["author_id"] == self.USER_ID for t in self.tweets.values()) and text:
            return Response(403, dict(DUPLICATE), self._limit_headers(100))
        tweet_id = self._store(text, self.USER_ID, self.clock(), reply_to=reply_to, media_ids=media_ids)
        self.created += 1
        headers, _ = self._daily_headers()
        rendered = self._render(self.tweets[tweet_id], set())
        return Response(201, {"data": rendered},
                        {**self._limit_headers(100), **headers,
                         "location": f"https://api.twitter.com/2/tweets/{tweet_id}"})

    def _delete(self, tweet_id: str) -> Response:
        tweet = self.tweets.get(tweet_id)
        if tweet is None:
            return Response(404, {"title": "Not Found Error", "type": f"{PROBLEMS}/resource-not-found",
                                  "detail": f"Could not find tweet with id: [{tweet_id}].",
                                  "resource_type": "tweet", "resource_id": tweet_id, "parameter": "id"})
        if tweet["author_id"] != self.USER_ID:
            return Response(403, {"title": "Forbidden", "type": "about:blank", "status": 403,
                                  "detail": "You are not authorized to delete this Tweet."})
        del self.tweets[tweet_id]
        return self._ok({"data": {"deleted": True}}, limit=50)

    @staticmethod
    def _fields(req: Request, name: str = "tweet.fields") -> set[str]:
        return {f for v in req.query.get(name, []) for f in v.split(",") if f}

    def _lookup(self, req: Request) -> Response:
        ids = [i for v in req.query.get("ids", []) for i in v.split(",") if i]
        if not 1 <= len(ids) <= 100:
            return invalid_request(f"The number of values in the `ids` query parameter list [{len(ids)}] is "
                                   "not between 1 and 100", "ids")
        bad = [i for i in ids if not ID_RE.match(i)]
        if bad:
            return invalid_request(f"The `ids` query parameter value [{bad[0]}] is not valid", "ids", bad[0])
        fields = self._fields(req)
        data, errors = [], []
        for i in ids:
            tweet = self.tweets.get(i)
            if tweet is None:
                errors.append({"value": i, "detail": f"Could not find tweet with ids: [{i}].",
                               "title": "Not Found Error", "resource_type": "tweet", "parameter": "ids",
                               "resource_id": i, "type": f"{PROBLEMS}/resource-not-found"})
            else:
                data.append(self._render(tweet, fields))
        body: dict[str, Any] = {}
        if data:
            body["data"] = data
        if errors:
            body["errors"] = errors
        return self._ok(body, limit=3500)

    @staticmethod
    def _time_param(req: Request, name: str) -> datetime | None:
        value = (req.query.get(name) or [None])[0]
        return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None

    def _page(self, req: Request, tweets: list[dict], fields: set[str], token_param: str,
              max_results: int, includes: dict | None = None) -> Response:
        token = (req.query.get(token_param) or ["pt-0"])[0]
        offset = int(token.removeprefix("pt-"))
        page = tweets[offset:offset + max_results]
        meta: dict[str, Any] = {"result_count": len(page)}
        if page:
            meta.update(newest_id=page[0]["id"], oldest_id=page[-1]["id"])
        if offset + max_results < len(tweets):
            meta["next_token"] = f"pt-{offset + max_results}"
        body: dict[str, Any] = {"meta": meta}
        if page:
            body["data"] = [self._render(t, fields) for t in page]
            if includes is not None:
                authors = dict.fromkeys(t["author_id"] for t in page)
                body["includes"] = {"users": [{"id": a, "name": self.usernames[a], "username": self.usernames[a]}
                                              for a in authors]}
        return self._ok(body)

    def _timeline(self, req: Request, user_id: str) -> Response:
        max_results = int((req.query.get("max_results") or ["10"])[0])
        if not 5 <= max_results <= 100:
            return invalid_request("max_results must be between 5 and 100", "max_results", max_results)
        start = self._time_param(req, "start_time")
        shown_until = self.clock() - self.timeline_lag
        tweets = sorted((t for t in self.tweets.values() if t["author_id"] == user_id
                         and (start is None or t["created_at"] >= start) and t["created_at"] <= shown_until),
                        key=lambda t: -int(t["id"]))
        return self._page(req, tweets, self._fields(req), "pagination_token", max_results)

    def _search(self, req: Request) -> Response:
        if not self.search_allowed:
            return Response(403, dict(CLIENT_FORBIDDEN))
        query = (req.query.get("query") or [""])[0]
        match = re.fullmatch(r"conversation_id:(\d{1,19})(?: from:(\d{1,19}))?", query)
        if not match:
            return invalid_request("this fake only knows conversation_id: queries (and from:USER_ID)", "query", query)
        max_results = int((req.query.get("max_results") or ["10"])[0])
        if not 10 <= max_results <= 100:
            return invalid_request("max_results must be between 10 and 100", "max_results", max_results)
        now = self.clock()
        start = self._time_param(req, "start_time") or now - timedelta(days=7)
        if start < now - timedelta(days=7):
            return invalid_request("start_time must be within the last 7 days", "start_time")
        tweets = sorted((t for t in self.tweets.values() if t["conversation_id"] == match.group(1)
                         and t["created_at"] >= start and match.group(2) in (None, t["author_id"])),
                        key=lambda t: -int(t["id"]))
        return self._page(req, tweets, self._fields(req), "next_token", max_results,
                          includes={} if "author_id" in req.query.get("expansions", [""])[0] else None)

    def _counts(self, req: Request) -> Response:
        header = req.header("Authorization") or ""
        allowed = {f"Bearer {self.APP_BEARER}"} | ({f"Bearer {self.BEARER_TOKEN}"} if self.auth_mode == "bearer" else set())
        if self.expired:
            return self._refuse("credentials expired")
        if header.startswith("OAuth "):
            return Response(403, {"title": "Unsupported Authentication", "status": 403,
                                  "detail": "Authenticating with OAuth 1.0a User Context is forbidden for this "
                                            "endpoint.  Supported authentication types are [OAuth 2.0 "
                                            "Application-Only, OAuth 2.0 User Context].",
                                  "type": f"{PROBLEMS}/unsupported-authentication"})
        if header not in allowed:
            return self._refuse("bad bearer token for counts")
        query = (req.query.get("query") or [""])[0]
        if not query or len(query) > 512:
            return invalid_request("query must be 1 to 512 characters", "query", query)
        terms = query.split()
        tags = [t[1:].lower() for t in terms if t.startswith("#")]
        if not tags or any(t not in ("-is:retweet",) and not t.startswith("#") for t in terms):
            return invalid_request("this fake only knows #tag queries with -is:retweet", "query", query)
        granularity = (req.query.get("granularity") or ["hour"])[0]
        step = {"minute": timedelta(minutes=1), "hour": timedelta(hours=1), "day": timedelta(days=1)}.get(granularity)
        if step is None:
            return invalid_request(f"The `granularity` query parameter value [{granularity}] is not one of "
                                   "[minute,hour,day]", "granularity", granularity)
        now = self.clock()
        try:
            start = self._time_param(req, "start_time") or now - timedelta(days=7)
            end = self._time_param(req, "end_time") or now - timedelta(seconds=30)
        except ValueError:
            return invalid_request("start_time and end_time must be YYYY-MM-DDTHH:mm:ssZ", "start_time")
        if start < now - timedelta(days=7):
            return invalid_request("Invalid 'start_time':'%s'. 'start_time' must be on or after %s"
                                   % (start.isoformat(), (now - timedelta(days=7)).isoformat()), "start_time")
        if end > now - timedelta(seconds=10) or start >= end:
            return invalid_request("Invalid 'end_time': it must be a minimum of 10 seconds prior to the request "
                                   "time and after 'start_time'", "end_time")
        self.counts_requests += 1
        matching = [t for t in self.tweets.values()
                    if not ("-is:retweet" in terms and t.get("retweet"))
                    and all(tag in {m.lower() for m in re.findall(r"(?<![\w#])#(\w+)", t["text"])} for tag in tags)]
        buckets = []
        edge = start
        while edge < end:
            epoch = datetime(1970, 1, 1, tzinfo=timezone.utc)
            nxt = min(epoch + ((edge - epoch) // step + 1) * step, end)
            n = sum(1 for t in matching if edge <= t["created_at"] < nxt)
            buckets.append({"end": nxt.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                            "start": edge.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "tweet_count": n})
            edge = nxt
        meta: dict[str, Any] = {"total_tweet_count": sum(b["tweet_count"] for b in buckets)}
        if self.counts_page is not None and len(buckets) > self.counts_page:
            buckets = buckets[-self.counts_page:]  # the newest first page; older ones behind the token
            meta = {"total_tweet_count": sum(b["tweet_count"] for b in buckets), "next_token": "1jzu9lk96gu5npvxmgd2"}
        return self._ok({"data": buckets, "meta": meta}, limit=300)

    def _upload(self, req: Request) -> Response:
        content_type = req.header("Content-Type") or ""
        if content_type.startswith("multipart/form-data"):
            message = BytesParser(policy=email_policy).parsebytes(
                f"Content-Type: {content_type}\r\n\r\n".encode() + req.body)
            fields: dict[str, Any] = {}
            mime = None
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True)
                if name == "media":
                    mime = part.get_content_type()
                    fields[name] = payload
                else:
                    fields[name] = payload.decode()
        elif content_type.startswith("application/json"):
            fields = req.json()
            fields["media"] = base64.b64decode(fields.get("media", ""))
            mime = None
        else:
            return invalid_request("media upload must be multipart/form-data or JSON", "media")
        unknown = set(fields) - {"media", "media_category", "additional_owners"}
        if unknown or "media" not in fields or "media_category" not in fields:
            return invalid_request(f"MediaUploadRequest needs media and media_category (got {sorted(fields)})",
                                   "media")
        if fields["media_category"] not in ("tweet_image", "tweet_gif", "tweet_video", "dm_image", "dm_video",
                                            "dm_gif", "subtitles"):
            return invalid_request("unknown media_category", "media_category", fields["media_category"])
        media_id = str(next(self._ids))
        self.media[media_id] = {"bytes": fields["media"], "mime": mime, "category": fields["media_category"],
                                "alt_text": None}
        return self._ok({"data": {"id": media_id, "media_key": f"3_{media_id}", "size": len(fields["media"]),
                                  "expires_after_secs": 86400,
                                  "image": {"image_type": mime or "image/jpeg", "w": 1200, "h": 675}}}, limit=500)

    def _metadata(self, req: Request) -> Response:
        body = req.json()
        media_id = body.get("id") if isinstance(body, dict) else None
        if media_id not in self.media:
            return invalid_request("unknown media id", "id", media_id)
        alt = ((body.get("metadata") or {}).get("alt_text") or {}).get("text")
        if not isinstance(alt, str) or len(alt) > 1000:
            return invalid_request("metadata.alt_text.text must be a string of at most 1000 characters",
                                   "metadata.alt_text.text")
        self.media[media_id]["alt_text"] = alt
        return self._ok({"data": {"id": media_id, "associated_metadata": body["metadata"]}}, limit=500)


def unescape(text: str) -> str:
    """What a client shows of a rendered text (for tests)."""
    return html.unescape(text)
