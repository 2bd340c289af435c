"""X (Twitter) through tweepy's API v2 ``Client``, pointed at any base URL.

tweepy 4.17 builds every URL from a fixed ``https://api.twitter.com`` and passes no timeout, so
the client gets a ``requests.Session`` subclass that rewrites that prefix to the account's base
URL and sends everything through the shared ``HttpClient`` (a timeout on every request, network
failures as ``Transient`` with "outcome unknown" told apart). tweepy has no v2 media upload: the
connector calls ``POST /2/media/upload`` itself through the same transport and credentials.

Auth: OAuth 1.0a user context when the four OAuth 1.0a secrets are there (tweepy signs with
them), else an OAuth 2.0 user access token from ``BEARER_TOKEN`` (sent with ``user_auth=False``).
Hashtag counts (``tag_counts``, listening) take no OAuth 1.0a: they are sent with ``BEARER_TOKEN``
— beside the OAuth 1.0a secrets, the app's Bearer token.

X has no idempotency key: after an unknown outcome the scheduler calls ``find_existing``, which
reads the account's own recent posts and matches the text with URLs (t.co) left out.
"""
from __future__ import annotations

from gettext import gettext as _
import html
import logging
import re
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any, Sequence
from urllib.parse import urlsplit

import requests
import tweepy

from connectors import logsafe
from connectors.base import (MAX_TAG_COUNT, AccountConfig, AlreadyPublished, Answers, AuthExpired, Clock,
                             ConnectorError,
                             DayCount, Identity, MediaFile, Metrics, MetricsBatch, NotSupported, OutgoingPost, Permanent,
                             Published, RateLimited, Reply, TagCounts, Transient, system_clock, whole_count,
                             zone_name)
from connectors.http import HttpClient, Redactor
from connectors.posttext import compose_text, match_key

log = logging.getLogger(__name__)

TWEEPY_HOST = "https://api.twitter.com"
DEFAULT_BASE_URL = "https://api.twitter.com"
OAUTH1_FIELDS = ("API_KEY", "API_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET")
#: ``GET /2/tweets`` takes 1..100 ids (X API v2 OpenAPI, ``ids`` maxItems 100)
METRICS_BATCH = 100
#: pages of the own timeline (100 posts each) ``find_existing`` reads at most
FIND_PAGES = 3
#: pages of recent-search results ``replies`` reads at most
REPLY_PAGES = 5
MAX_IMAGES = 4
IMAGE_MAX_BYTES = 5 * 1024 * 1024
GIF_MAX_BYTES = 15 * 1024 * 1024
#: recent search only reaches 7 days back; a start_time beyond that is a 400
SEARCH_WINDOW = timedelta(days=7)
#: an X username (what may go into a reply's address)
_USERNAME = re.compile(r"[A-Za-z0-9_]{1,15}")
#: when X says "usage cap" without saying when it lifts, look again after this long
USAGE_CAP_RECHECK = timedelta(hours=24)
#: the counts endpoint wants ``end_time`` at least 10 seconds before the request; a little more
COUNTS_END_MARGIN = timedelta(seconds=30)
#: hourly buckets read at most from one counts answer (7 days are 168; more is not believed)
MAX_BUCKETS = 8 * 24


class _RoutedSession(requests.Session):
    """The session tweepy uses: its fixed host rewritten to the account's base URL, and every
    request sent through the shared ``HttpClient`` (timeout, typed network errors)."""

    def __init__(self, http: HttpClient):
        super().__init__()
        self._http = http

    def request(self, method, url, *args: Any, **kwargs: Any) -> requests.Response:
        if isinstance(url, str) and url.startswith(TWEEPY_HOST):
            url = self._http.base_url + url[len(TWEEPY_HOST):]
        if args:  # requests' positional order after url: params, data, headers, cookies, files, auth
            for name, value in zip(("params", "data", "headers", "cookies", "files", "auth"), args):
                kwargs.setdefault(name, value)
        return self._http.request(method, url, **kwargs)


def _json(resp: requests.Response) -> dict:
    try:
        body = resp.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _problem_text(body: dict, fallback: str) -> str:
    """The human text of an X error body: RFC 7807 ``detail``/``title`` or the ``errors[]`` messages."""
    if body.get("detail"):
        return str(body["detail"])
    messages = [str(e.get("message") or e.get("detail")) for e in body.get("errors") or []
                if isinstance(e, dict) and (e.get("message") or e.get("detail"))]
    if messages:
        return "; ".join(messages)
    return str(body.get("title") or fallback)


def _int_header(headers: Any, name: str) -> int | None:
    value = headers.get(name)
    try:
        return int(str(value).strip()) if value is not None else None
    except ValueError:
        return None


def _epoch(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, tz=timezone.utc)


def rate_limit_wait(headers: Any, now: datetime) -> tuple[datetime, str]:
    """When to try again after a 429, and whose limit it is ('account' or 'app').

    When a 24-hour cap is the one exhausted (``x-user-limit-24hour-remaining`` or
    ``x-app-limit-24hour-remaining`` is 0), its own reset is the wait — ``x-rate-limit-reset``
    only describes the 15-minute window and would retry far too early.
    """
    exhausted: list[tuple[datetime, str]] = []
    for prefix, scope in (("x-user-limit-24hour", "account"), ("x-app-limit-24hour", "app")):
        remaining = _int_header(headers, f"{prefix}-remaining")
        reset = _int_header(headers, f"{prefix}-reset")
        if remaining is not None and remaining <= 0 and reset is not None:
            exhausted.append((_epoch(reset), scope))
    if exhausted:
        retry_at = max(t for t, _ in exhausted)
        scope = "app" if any(s == "app" for _, s in exhausted) else "account"
    else:
        reset = _int_header(headers, "x-rate-limit-reset")
        retry_at = _epoch(reset) if reset is not None else now + timedelta(minutes=15)
        scope = "account"
    return max(retry_at, now), scope


class XConnector:
    """Publishes to and reads from one X account."""

    platform = "x"
    metrics_batch_size = METRICS_BATCH
    #: ``find_existing`` really looks, so None means "not there"
    can_find_existing = True

    def __init__(self, config: AccountConfig, *, clock: Clock = system_clock):
        self.config = config
        self._clock = clock
        secrets = dict(config.secrets)
        self._oauth1 = all(secrets.get(k) for k in OAUTH1_FIELDS)
        self._bearer = secrets.get("BEARER_TOKEN") or None
        if not self._oauth1 and not self._bearer:
            raise AuthExpired(_("X account {name!r} has no credentials: set {fields} (or an OAuth 2.0 user token as "
                                "BEARER_TOKEN)").format(name=config.name, fields=", ".join(OAUTH1_FIELDS)))
        secret_values = [v for k, v in secrets.items() if k != "USER_ID" and v]
        for value in secret_values:
            logsafe.register(value)
        self._redact = Redactor(secret_values)
        self.base_url = (config.base_url or DEFAULT_BASE_URL).rstrip("/")
        self._http = HttpClient(self.base_url, timeout=config.timeout, redactor=self._redact)
        self._secrets = secrets
        self._user_auth = self._oauth1
        self.client = tweepy.Client(
            bearer_token=None if self._oauth1 else self._bearer,
            consumer_key=secrets.get("API_KEY") if self._oauth1 else None,
            consumer_secret=secrets.get("API_SECRET") if self._oauth1 else None,
            access_token=secrets.get("ACCESS_TOKEN") if self._oauth1 else None,
            access_token_secret=secrets.get("ACCESS_TOKEN_SECRET") if self._oauth1 else None,
            wait_on_rate_limit=False,
        )
        self.client.session = _RoutedSession(self._http)
        self._user_id: str | None = secrets.get("USER_ID") or None
        self._handle: str | None = (config.handle or "").lstrip("@") or None

    def __repr__(self) -> str:
        return (f"XConnector(account={self.config.name!r}, base_url={self.base_url!r}, "
                f"auth={'oauth1' if self._oauth1 else 'oauth2-user'})")

    # --- the Connector protocol ----------------------------------------------------------
    def verify(self) -> Identity:
        resp = self._call("read the account", self.client.get_me, user_fields=["username", "name"],
                          user_auth=self._user_auth)
        user = resp.data
        if not isinstance(user, tweepy.User):  # a 200 without `data`: nothing says who this is
            raise Transient("X read the account: the answer has no account in it")
        self._user_id = str(user.id)
        self._handle = user.username
        return Identity(remote_id=str(user.id), handle=user.username, display_name=user.name,
                        url=f"https://x.com/{user.username}")

    def publish(self, post: OutgoingPost) -> Published:
        text = compose_text(post.text, post.link)
        if len(post.media) > MAX_IMAGES:
            raise Permanent(_("X takes at most {most} images per post, not {n}").format(most=MAX_IMAGES,
                                                                                      n=len(post.media)))
        images = [self._read_image(m) for m in post.media]  # every file checked before any upload
        media_ids = [self._upload_image(m, data) for m, data in zip(post.media, images)]
        kwargs: dict[str, Any] = {"text": text, "user_auth": self._user_auth}
        if media_ids:
            kwargs["media_ids"] = media_ids
        if post.reply_to:
            kwargs["in_reply_to_tweet_id"] = post.reply_to
        resp = self._call("create post", self.client.create_tweet, creating=True, **kwargs)
        data = resp.data or {}
        if not data.get("id"):
            raise Transient("X answered the create without a post id", outcome_unknown=True)
        remote_id = str(data["id"])
        return Published(remote_id=remote_id, url=self._url(remote_id), published_at=self._clock())

    def find_existing(self, post: OutgoingPost, since: datetime) -> Published | None:
        """The account's own post with this text (URLs ignored), created at or after ``since``."""
        wanted = match_key(compose_text(post.text, post.link))
        user_id = self._own_id()
        token = None
        for _page in range(FIND_PAGES):
            params: dict[str, Any] = {"max_results": 100, "start_time": since,
                                      "tweet_fields": ["created_at", "referenced_tweets"],
                                      "user_auth": self._user_auth}
            if token:
                params["pagination_token"] = token
            resp = self._call("read own posts", self.client.get_users_tweets, user_id, **params)
            for tweet in resp.data or []:
                raw = tweet.data
                if match_key(raw.get("text", "")) != wanted:
                    continue
                if post.reply_to and not self._replies_to(raw, post.reply_to):
                    continue
                created = _parse_time(raw.get("created_at")) or self._clock()
                return Published(remote_id=str(raw["id"]), url=self._url(str(raw["id"])), published_at=created)
            token = (resp.meta or {}).get("next_token")
            if not token:
                break
        return None

    def delete(self, remote_id: str) -> None:
        try:
            resp = self._call("delete post", self.client.delete_tweet, remote_id, user_auth=self._user_auth)
        except Permanent as exc:
            if exc.http_status == 404:  # already gone: the goal is reached
                return
            raise
        if not (resp.data or {}).get("deleted", False):
            raise Permanent(_("X did not delete post {id}").format(id=remote_id))

    def metrics(self, remote_ids: Sequence[str]) -> MetricsBatch:
        found: dict[str, Metrics] = {}
        missing: set[str] = set()
        ids = [str(i) for i in dict.fromkeys(remote_ids)]
        valid = [i for i in ids if i.isdigit() and len(i) <= 19]
        missing.update(set(ids) - set(valid))
        for start in range(0, len(valid), METRICS_BATCH):
            batch = valid[start:start + METRICS_BATCH]
            resp = self._call("read metrics", self.client.get_tweets, ids=batch,
                              tweet_fields=["public_metrics"], user_auth=self._user_auth)
            for tweet in resp.data or []:
                raw = tweet.data
                found[str(raw["id"])] = _metrics(str(raw["id"]), raw.get("public_metrics") or {})
            missing.update(i for i in batch if i not in found)
        return MetricsBatch(found=found, missing=frozenset(missing))

    def replies(self, remote_id: str, since: datetime | None = None) -> list[Reply]:
        """Posts in the conversation started by ``remote_id`` (recent search, 7 days), their text as
        written (X sends ``&``, ``<`` and ``>`` as HTML entities); the account's own are ``ours``."""
        now = self._clock()
        own_id = self._own_id()
        params: dict[str, Any] = {
            "max_results": 100,
            "tweet_fields": ["author_id", "created_at", "lang", "referenced_tweets", "conversation_id"],
            "expansions": ["author_id"], "user_fields": ["username"], "user_auth": self._user_auth,
        }
        if since is not None and since > now - SEARCH_WINDOW + timedelta(minutes=5):
            params["start_time"] = since
        out: list[Reply] = []
        authors: dict[str, str] = {str(remote_id): own_id or ""}  # tweet id → its author's id
        token = None
        for _page in range(REPLY_PAGES):
            if token:
                params["next_token"] = token
            resp = self._call("search replies", self.client.search_recent_tweets,
                              f"conversation_id:{remote_id}", replies=True, **params)
            users = {str(u.id): u.username for u in (resp.includes or {}).get("users", [])}
            for tweet in resp.data or []:
                raw = tweet.data
                if str(raw["id"]) == str(remote_id):
                    continue
                authors[str(raw["id"])] = str(raw.get("author_id", ""))
                ours = bool(own_id) and str(raw.get("author_id")) == own_id
                created = _parse_time(raw.get("created_at")) or now
                if since is not None and created < since and not ours:
                    continue
                parent = next((str(r["id"]) for r in raw.get("referenced_tweets") or []
                               if r.get("type") == "replied_to"), None)
                author_id = str(raw.get("author_id", ""))
                username = users.get(author_id)
                url = (f"https://x.com/{username}/status/{raw['id']}" if username and _USERNAME.fullmatch(username)
                       else f"https://x.com/i/web/status/{raw['id']}")
                out.append(Reply(remote_id=str(raw["id"]), author=username or author_id,
                                 text=html.unescape(str(raw.get("text", ""))), created_at=created,
                                 language=raw.get("lang"), in_reply_to=parent, url=url, ours=ours))
            token = (resp.meta or {}).get("next_token")
            if not token:
                break
        # the account's own posts count when they answer someone else's (not its thread parts);
        # one answering a post older than the search window is kept: the caller knows that post
        out = [r for r in out if not r.ours or authors.get(r.in_reply_to or "") != own_id]
        return sorted(out, key=lambda r: r.created_at)

    def answers(self, remote_id: str, reply_ids: Sequence[str]) -> Answers:
        """The account's own posts in the conversation that answer one of ``reply_ids``, whatever
        their time within the recent search's 7 days: one search ``conversation_id:… from:<own
        id>`` (only the account's posts, so one page nearly always) for them all."""
        wanted = {str(r) for r in reply_ids}
        own_id = self._own_id()
        params: dict[str, Any] = {"max_results": 100, "tweet_fields": ["author_id", "created_at", "lang",
                                                                         "referenced_tweets"],
                                  "expansions": ["author_id"], "user_fields": ["username"], "user_auth": self._user_auth}
        found: list[Reply] = []
        requests, token = 0, None
        for _page in range(REPLY_PAGES):
            if token:
                params["next_token"] = token
            resp = self._call("search answers", self.client.search_recent_tweets,
                              f"conversation_id:{remote_id} from:{own_id}", replies=True, **params)
            requests += 1
            users = {str(u.id): u.username for u in (resp.includes or {}).get("users", [])}
            for tweet in resp.data or []:
                raw = tweet.data
                if str(raw.get("author_id")) != own_id:
                    continue
                parent = next((str(r["id"]) for r in raw.get("referenced_tweets") or []
                               if r.get("type") == "replied_to"), None)
                if parent not in wanted:
                    continue
                username = users.get(own_id)
                url = (f"https://x.com/{username}/status/{raw['id']}" if username and _USERNAME.fullmatch(username)
                       else f"https://x.com/i/web/status/{raw['id']}")
                found.append(Reply(remote_id=str(raw["id"]), author=username or own_id,
                                   text=html.unescape(str(raw.get("text", ""))),
                                   created_at=_parse_time(raw.get("created_at")) or self._clock(),
                                   language=raw.get("lang"), in_reply_to=parent, url=url, ours=True))
            token = (resp.meta or {}).get("next_token")
            if not token:
                break
        return Answers(found, requests)

    # --- listening -----------------------------------------------------------------------
    def tag_counts(self, tag: str, since: date, until: date, zone: tzinfo) -> TagCounts:
        """Posts with ``#tag`` (reposts left out: ``-is:retweet``) per day of ``zone``, from ONE
        ``GET /2/tweets/counts/recent`` request with the app's Bearer token (``BEARER_TOKEN``).

        It costs money on X's pay-per-use plan (per request, whatever it returns), so it is made
        once and never paged: the hourly buckets of the last 7 days (``granularity=hour``, one
        answer of 168 buckets) are added up into local days — exact for zones whose offset is a
        whole number of hours, as every Indonesian zone's. A day the answer covers only in part
        (the oldest, today, or after a page X did not send) is ``at_least``."""
        if not self._bearer:
            raise NotSupported(_("X counts need the app's Bearer token: this account has no BEARER_TOKEN"))
        body = tag.lstrip("#")
        now = self._clock()
        first = max(datetime.combine(since, time(0), tzinfo=zone).astimezone(timezone.utc),
                    now - SEARCH_WINDOW + timedelta(minutes=1)).replace(microsecond=0)
        last = min(datetime.combine(until, time(0), tzinfo=zone).astimezone(timezone.utc),
                   now - COUNTS_END_MARGIN).replace(microsecond=0)
        source = urlsplit(self.base_url).netloc
        if last <= first:
            return TagCounts(tag=body, source=source, day_zone=zone_name(zone), days=(), requests=0)
        client = tweepy.Client(bearer_token=self._bearer, wait_on_rate_limit=False)
        client.session = _RoutedSession(self._http)
        resp = self._call("count posts", client.get_recent_tweets_count, f"#{body} -is:retweet",
                          granularity="hour", start_time=first, end_time=last)
        buckets: dict[datetime, tuple[datetime, int]] = {}
        for bucket in (resp.data if isinstance(resp.data, list) else [])[:MAX_BUCKETS]:
            if not isinstance(bucket, dict):
                continue
            start, end = _parse_time(bucket.get("start")), _parse_time(bucket.get("end"))
            count = whole_count(bucket.get("tweet_count"))
            if start is None or end is None or count is None or start.tzinfo is None or end.tzinfo is None:
                continue
            if first <= start < end <= min(start + timedelta(hours=1), last):  # an hour (or less) asked for
                buckets.setdefault(start, (end, count))
        totals: dict[date, int] = {}
        covered: dict[date, timedelta] = {}
        previous_end = first
        for start, (end, count) in sorted(buckets.items()):
            if start < previous_end:  # overlaps the bucket before: not X's answer, not counted twice
                continue
            previous_end = end
            day = start.astimezone(zone).date()
            if since <= day < until:
                totals[day] = totals.get(day, 0) + count
                covered[day] = covered.get(day, timedelta(0)) + (end - start)
        days = []
        for day in sorted(totals):
            day_start = datetime.combine(day, time(0), tzinfo=zone).astimezone(timezone.utc)
            day_end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(timezone.utc)
            whole = covered[day] >= day_end - day_start and first <= day_start and day_end <= last
            days.append(DayCount(day, min(totals[day], MAX_TAG_COUNT), at_least=not whole))
        return TagCounts(tag=body, source=source, day_zone=zone_name(zone), days=tuple(days), requests=1)

    # --- internals -----------------------------------------------------------------------
    def _url(self, remote_id: str) -> str:
        if self._handle:
            return f"https://x.com/{self._handle}/status/{remote_id}"
        return f"https://x.com/i/web/status/{remote_id}"

    def _own_id_cheap(self) -> str | None:
        """The user id without a network call: USER_ID, or the OAuth 1.0a access token's prefix."""
        if self._user_id:
            return self._user_id
        token = self._secrets.get("ACCESS_TOKEN", "") if self._oauth1 else ""
        prefix = token.partition("-")[0]
        if prefix.isdigit():
            self._user_id = prefix
        return self._user_id

    def _own_id(self) -> str:
        return self._own_id_cheap() or self.verify().remote_id

    @staticmethod
    def _replies_to(raw: dict, parent_id: str) -> bool:
        refs = raw.get("referenced_tweets")
        if refs is None:  # field not returned: nothing to contradict the text match
            return True
        return any(r.get("type") == "replied_to" and str(r.get("id")) == str(parent_id) for r in refs)

    def _call(self, what: str, fn, *args: Any, creating: bool = False, replies: bool = False, **kwargs: Any):
        """Run one tweepy call, turning its failures into the connector's typed errors."""
        try:
            return fn(*args, **kwargs)
        except tweepy.HTTPException as exc:
            raise self._http_error(exc.response, what, creating=creating, replies=replies) from None
        except ConnectorError:
            raise
        except tweepy.TweepyException as exc:
            raise Transient(self._redact(f"X {what}: {type(exc).__name__}"), outcome_unknown=creating) from None
        except ValueError:  # a success status with a body that is not JSON
            raise Transient(f"X {what}: the answer was not JSON", outcome_unknown=creating) from None

    def _http_error(self, resp: requests.Response, what: str, *, creating: bool = False,
                    replies: bool = False) -> ConnectorError:
        """The typed error for an X refusal, carrying its HTTP status."""
        error = self._refusal(resp, what, creating=creating, replies=replies)
        error.http_status = resp.status_code
        return error

    def _refusal(self, resp: requests.Response, what: str, *, creating: bool, replies: bool) -> ConnectorError:
        status = resp.status_code
        body = _json(resp)
        ptype = str(body.get("type") or "")
        detail = self._redact(_problem_text(body, resp.reason or str(status)))
        now = self._clock()
        if ptype.endswith("/usage-capped") or body.get("title") == "UsageCapExceeded":
            return self._usage_capped(body, resp.headers, now)
        if status == 429:
            retry_at, scope = rate_limit_wait(resp.headers, now)
            return RateLimited(retry_at, _("X rate limit on {what} (until {when} UTC)").format(
                what=what, when=f"{retry_at:%Y-%m-%d %H:%M}"), scope)
        if status == 401:
            return AuthExpired(_("X refused the credentials on {what} (401: {detail})").format(what=what, detail=detail))
        if status == 403:
            codes = {e.get("code") for e in body.get("errors") or [] if isinstance(e, dict)}
            if "duplicate content" in detail.lower() or 187 in codes:
                # the account already has this text: after a lost answer, it is this very post
                return AlreadyPublished(f"X refused {what} as a duplicate (403): {detail}")
            if replies and (ptype.endswith("/client-forbidden") or body.get("reason") == "client-not-enrolled"
                            or "not permitted" in detail.lower()
                            or "appropriate level of api access" in detail.lower()):
                return NotSupported(_("replies are not available on this X access tier"))
            if ptype.endswith("/unsupported-authentication"):
                return AuthExpired(_("X does not accept these credentials for {what}: {detail}").format(what=what,
                                                                                                       detail=detail))
            return Permanent(_("X refused {what} ({status}): {detail}").format(what=what, status=403, detail=detail))
        if status >= 500:
            # 503 means "not now" before any work; 500/502/504 on a create may hide a post made
            return Transient(_("X server error {status} on {what}").format(status=status, what=what),
                             outcome_unknown=creating and status != 503)
        return Permanent(_("X refused {what} ({status}): {detail}").format(what=what, status=status, detail=detail))

    def _usage_capped(self, body: dict, headers: Any, now: datetime) -> RateLimited:
        """A usage cap (``.../problems/usage-capped``) is temporary: the next day or billing period
        lifts it, and failing queued campaign posts for good would lose them. So it is a rate
        limit: until the 24-hour reset X names, else re-check in a day. Scope 'app' when X says
        the cap is the product's (every account on these app keys is blocked)."""
        period = str(body.get("period") or "")
        scope = "app" if str(body.get("scope") or "").lower() == "product" else "account"
        retry_at = None
        if period.lower() == "daily":
            resets = [r for p in ("x-user-limit-24hour", "x-app-limit-24hour")
                      if (r := _int_header(headers, f"{p}-reset")) is not None]
            if resets:
                retry_at = max(_epoch(max(resets)), now)
        retry_at = retry_at or now + USAGE_CAP_RECHECK
        label = ", ".join(p for p in (period, str(body.get("scope") or "")) if p)
        return RateLimited(retry_at, _("X usage cap reached ({details}); next try {when} UTC").format(
            details=label or _("no details"), when=f"{retry_at:%Y-%m-%d %H:%M}"), scope)

    def _auth_kwargs(self) -> dict[str, Any]:
        if self._oauth1:
            handler = tweepy.OAuth1UserHandler(self._secrets["API_KEY"], self._secrets["API_SECRET"],
                                               self._secrets["ACCESS_TOKEN"], self._secrets["ACCESS_TOKEN_SECRET"])
            return {"auth": handler.apply_auth()}
        return {"headers": {"Authorization": f"Bearer {self._bearer}"}}

    def _media_request(self, what: str, path: str, **kwargs: Any) -> dict:
        try:
            resp = self._http.request("POST", path, **kwargs, **self._auth_kwargs())
        except Transient as exc:  # an upload that may or may not have landed posts nothing
            raise Transient(str(exc), outcome_unknown=False) from None
        if resp.status_code >= 400:
            error = self._http_error(resp, what)
            if isinstance(error, Transient):
                error.outcome_unknown = False
            raise error
        return _json(resp)

    @staticmethod
    def _read_image(media: MediaFile) -> bytes:
        """The file's bytes, once it is known to be an image X takes."""
        mime = (media.mime_type or "").lower()
        if not mime.startswith("image/"):
            raise NotSupported(_("X: only images can be attached ({type} needs the chunked upload with processing, "
                                 "not supported yet)").format(type=mime or _("unknown type")))
        try:
            data = Path(media.path).read_bytes()
        except OSError as exc:
            raise Permanent(_("cannot read media file {name}: {reason}").format(name=Path(media.path).name,
                                                                               reason=exc.strerror)) from None
        limit = GIF_MAX_BYTES if mime == "image/gif" else IMAGE_MAX_BYTES
        if len(data) > limit:
            raise Permanent(_("{name} is {size} bytes; X takes at most {most}").format(
                name=Path(media.path).name, size=len(data), most=limit))
        return data

    def _upload_image(self, media: MediaFile, data: bytes) -> str:
        mime = media.mime_type.lower()
        gif = mime == "image/gif"
        body = self._media_request(
            "media upload", "/2/media/upload",
            files={"media": (Path(media.path).name, data, mime)},
            data={"media_category": "tweet_gif" if gif else "tweet_image"})
        info = body.get("data") or {}
        media_id = str(info.get("id") or body.get("media_id_string") or "")
        if not media_id:
            raise Transient("X media upload answered without a media id")
        state = (info.get("processing_info") or {}).get("state")
        if state == "failed":
            raise Permanent(_("X could not process {name}").format(name=Path(media.path).name))
        if state in ("pending", "in_progress"):
            raise Transient(f"X is still processing {Path(media.path).name}")
        if media.alt_text:
            self._media_request("media alt text", "/2/media/metadata",
                                json={"id": media_id, "metadata": {"alt_text": {"text": media.alt_text[:1000]}}})
        return media_id


def _parse_time(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=timezone.utc)
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None


def _metrics(remote_id: str, pm: dict) -> Metrics:
    def get(*names: str) -> int | None:
        for name in names:
            if isinstance(pm.get(name), int):
                return pm[name]
        return None

    return Metrics(remote_id=remote_id, likes=get("like_count"), reposts=get("retweet_count", "repost_count"),
                   replies=get("reply_count"), quotes=get("quote_count"), impressions=get("impression_count"),
                   bookmarks=get("bookmark_count"), raw=dict(pm))
