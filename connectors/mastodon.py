"""Mastodon (any instance) through its REST API, with plain ``requests`` on the shared HTTP helper.

Exactly-once: every status is created with an ``Idempotency-Key`` header (the delivery's random key).
Mastodon keeps the key per account for an hour and answers a repeat with the *original* status, so
a retry after an unknown outcome within that hour cannot duplicate. Past the hour, ``find_existing``
reads the account's own recent statuses and matches the text.

Media: ``POST /api/v2/media`` answers 200 when the file is ready and 202 while the server is still
processing it (video, large images). Connectors never sleep, so by default a post whose media is
still processing raises ``Transient("media still processing", outcome_unknown=False)`` — nothing was
posted — and the uploaded media ids are remembered under the post's idempotency key (in memory, and
in ``state_dir`` when the account has one), so the retry checks ``GET /api/v1/media/:id`` instead of
uploading again. A caller that may block (a CLI "post now") can pass ``wait=time.sleep`` to the
constructor; the connector then polls a bounded number of times before giving up the same way.
"""
from __future__ import annotations

import html
import json
import logging
import re
from datetime import date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from gettext import gettext as _
from typing import Any, Callable, Sequence
from urllib.parse import quote, urlsplit

import requests

from connectors import logsafe
from connectors.base import (N_, AccountConfig, AuthExpired, Clock, ConnectorError, DayCount, Identity, Metrics,
                             MetricsBatch, NotSupported, OutgoingPost, Permanent, Published, RateLimited, Reply,
                             TagCounts, Transient, system_clock, whole_count)
from connectors.http import (HttpClient, Redactor, json_body, parse_http_time, require_time, server_error,
                             unexpected_answer)
from connectors.posttext import compose_text
from connectors.state_file import write_json

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://mastodon.social"
BATCH_SIZE = 20            # Api::BaseController::DEFAULT_STATUSES_LIMIT; more id[] → 422
TIMELINE_PAGE = 40         # maximum `limit` of GET /api/v1/accounts/:id/statuses
FIND_PAGES = 5             # pages of own statuses find_existing reads at most
MEDIA_POLLS = 5            # GET /api/v1/media/:id polls when a `wait` function is given
MEDIA_POLL_SECONDS = 2.0
MEDIA_CACHE_TTL = timedelta(hours=23)   # unattached media is removed by the server after about a day
#: entries of a tag's ``history`` read at most (Mastodon sends 7 days; a server sending more is not believed)
MAX_HISTORY = 14

#: an account as a status names it (user, or user@instance): what may go into a reply's address
_ACCT = re.compile(r"[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9.-]{1,253})?")


def html_to_text(content: str) -> str:
    """Plain text of a status' HTML ``content``: line breaks kept, tags dropped, entities decoded."""
    text = re.sub(r"<br\s*/?>", "\n", content, flags=re.I)
    text = re.sub(r"</p>\s*<p[^>]*>", "\n\n", text, flags=re.I)
    text = re.sub(r"<[^>]+>", "", text)
    return html.unescape(text).strip()


def _comparable(text: str) -> str:
    """Text reduced to what survives Mastodon's rendering: ``@user@domain`` shows as ``@user``."""
    text = re.sub(r"(?<![\w@])(@[\w.]+)@[\w.-]+\w", r"\1", text)
    return " ".join(text.split())


class MastodonConnector:
    """One account on one Mastodon instance."""

    platform = "mastodon"
    metrics_batch_size = BATCH_SIZE
    #: ``find_existing`` really looks, so None means "not there"
    can_find_existing = True

    def __init__(self, config: AccountConfig, *, clock: Clock = system_clock,
                 wait: Callable[[float], None] | None = None,
                 session: requests.Session | None = None):
        token = config.secrets.get("ACCESS_TOKEN")
        if not token:
            raise ValueError(f"mastodon account {config.name!r} needs the secret ACCESS_TOKEN")
        logsafe.register(token)
        self.config = config
        self.clock = clock
        self.wait = wait
        self.http = HttpClient(config.base_url or DEFAULT_BASE_URL, timeout=config.timeout,
                               redactor=Redactor([token]), session=session)
        self.http.session.headers["Authorization"] = f"Bearer {token}"
        self._account: dict[str, Any] | None = None
        self._batch_supported = True
        self._character_limit: int | None = None
        self._media_cache_path = (Path(config.state_dir) / f"mastodon-media-{_safe(config.name)}.json"
                                  if config.state_dir else None)
        self._media_memory: dict[str, dict[str, Any]] = {}

    # --- HTTP and errors ---------------------------------------------------------------------
    def _call(self, method: str, path: str, *, ok: tuple[int, ...] = (200,), **kwargs: Any) -> requests.Response:
        response = self.http.request(method, path, **kwargs)
        if response.status_code in ok:
            return response
        raise self._error(method, path, response)

    def _error(self, method: str, path: str, response: requests.Response) -> ConnectorError:
        error = self._refusal(method, path, response)
        error.http_status = response.status_code
        return error

    def _refusal(self, method: str, path: str, response: requests.Response) -> ConnectorError:
        return refusal(self.http, self.clock, method, path, response)

    # --- account and instance ----------------------------------------------------------------
    def _own_account(self) -> dict[str, Any]:
        if self._account is None:
            path = "/api/v1/accounts/verify_credentials"
            response = self._call("GET", path)
            account = json_body(response)
            if not (isinstance(account, dict) and account.get("id") and account.get("acct")):
                raise unexpected_answer(f"mastodon GET {path}", response, N_("a Mastodon account"))
            self._account = account
        return self._account

    def verify(self) -> Identity:
        self._account = None
        account = self._own_account()
        return Identity(remote_id=str(account.get("id")), handle=f"@{account.get('acct')}",
                        display_name=account.get("display_name") or None, url=account.get("url"))

    def character_limit(self) -> int:
        """The instance's maximum status length (``configuration.statuses.max_characters``, 500 on vanilla)."""
        if self._character_limit is None:
            response = self.http.request("GET", "/api/v2/instance")
            if response.status_code == 404:          # before 4.0: only the v1 instance entity
                response = self._call("GET", "/api/v1/instance")
            elif response.status_code != 200:
                raise self._error("GET", "/api/v2/instance", response)
            body = json_body(response) or {}
            statuses = (body.get("configuration") or {}).get("statuses") or {}
            limit = statuses.get("max_characters") or body.get("max_toot_chars") or 500
            self._character_limit = int(limit)
        return self._character_limit

    # --- publishing --------------------------------------------------------------------------
    @staticmethod
    def status_text(post: OutgoingPost) -> str:
        """The text sent for ``post``: its text, with the link appended unless already in it."""
        return compose_text(post.text, post.link)

    def publish(self, post: OutgoingPost) -> Published:
        body: dict[str, Any] = {"status": self.status_text(post)}
        if post.language:
            body["language"] = post.language
        if post.reply_to:
            body["in_reply_to_id"] = post.reply_to
        if post.media:
            body["media_ids"] = self._media_ids(post)
        response = self._call("POST", "/api/v1/statuses", json=body,
                              headers={"Idempotency-Key": post.idempotency_key})
        self._forget_media(post.idempotency_key)
        status = json_body(response) or {}
        return Published(remote_id=str(status["id"]), url=status.get("url"),
                         published_at=require_time(status.get("created_at"), "mastodon"))

    def find_existing(self, post: OutgoingPost, since: datetime) -> Published | None:
        """A status of this account created since ``since`` with the same text (and reply target).

        Reads the account's own statuses newest first, at most ``FIND_PAGES`` pages of 40.
        """
        wanted = _comparable(self.status_text(post))
        account_id = self._own_account().get("id")
        params: dict[str, Any] = {"limit": TIMELINE_PAGE, "exclude_reblogs": "true"}
        for _page in range(FIND_PAGES):
            page = json_body(self._call("GET", f"/api/v1/accounts/{account_id}/statuses",
                                        params=params)) or []
            for status in page:
                created = require_time(status.get("created_at"), "mastodon")
                if created < since - timedelta(minutes=1):
                    return None
                if (_comparable(html_to_text(status.get("content") or "")) == wanted
                        and (post.reply_to is None or str(status.get("in_reply_to_id")) == post.reply_to)):
                    return Published(str(status["id"]), status.get("url"), created)
            if len(page) < TIMELINE_PAGE:
                return None
            params["max_id"] = page[-1]["id"]
        return None

    def delete(self, remote_id: str) -> None:
        """Delete the status; one that is already gone (404) counts as deleted."""
        response = self.http.request("DELETE", f"/api/v1/statuses/{remote_id}")
        if response.status_code in (200, 404):
            return
        raise self._error("DELETE", "/api/v1/statuses/:id", response)

    # --- media -------------------------------------------------------------------------------
    def _media_ids(self, post: OutgoingPost) -> list[str]:
        """Ids of the post's uploaded media, uploading only what the cache does not hold yet."""
        entry = self._load_media(post.idempotency_key)
        uploads: list[dict[str, Any]] = entry["media"]
        for index, media in enumerate(post.media):
            if index < len(uploads):
                continue
            uploads.append(self._upload(media))
            self._save_media(post.idempotency_key, entry)
        for attempt in range(MEDIA_POLLS + 1):
            pending = [m for m in uploads if not m["ready"]]
            for item in pending:
                response = self._call("GET", f"/api/v1/media/{item['id']}", ok=(200, 206))
                item["ready"] = response.status_code == 200
            self._save_media(post.idempotency_key, entry)
            if all(m["ready"] for m in uploads):
                return [m["id"] for m in uploads]
            if self.wait is None or attempt == MEDIA_POLLS:
                break
            self.wait(MEDIA_POLL_SECONDS)
        raise Transient(_("mastodon: media still processing on the server; try again shortly (the upload is kept "
                          "and will not be repeated)"), outcome_unknown=False)

    def _upload(self, media: Any) -> dict[str, Any]:
        path = Path(media.path)
        try:
            fh = open(path, "rb")
        except OSError as exc:
            raise Permanent(_("mastodon: cannot read media file {name!r}: {reason}").format(
                name=path.name, reason=exc.strerror)) from None
        with fh:
            data = {"description": media.alt_text} if media.alt_text else {}
            response = self._call("POST", "/api/v2/media", ok=(200, 202),
                                  files={"file": (path.name, fh, media.mime_type)}, data=data)
        body = json_body(response) or {}
        return {"id": str(body["id"]), "ready": response.status_code == 200 and body.get("url") is not None}

    def _load_media(self, key: str) -> dict[str, Any]:
        entry = self._media_memory.get(key)
        if entry is None and self._media_cache_path is not None:
            entry = self._read_media_file().get(key)
        if entry is None or self.clock() - require_time(entry["at"], "mastodon") > MEDIA_CACHE_TTL:
            entry = {"at": self.clock().isoformat(), "media": []}
        self._media_memory[key] = entry
        return entry

    def _save_media(self, key: str, entry: dict[str, Any]) -> None:
        self._media_memory[key] = entry
        if self._media_cache_path is not None:
            cache = self._read_media_file()
            cache[key] = entry
            self._write_media_file(cache)

    def _forget_media(self, key: str) -> None:
        if self._media_memory.pop(key, None) is not None and self._media_cache_path is not None:
            cache = self._read_media_file()
            if cache.pop(key, None) is not None:
                self._write_media_file(cache)

    def _read_media_file(self) -> dict[str, Any]:
        try:
            return json.loads(self._media_cache_path.read_text(encoding="utf-8"))  # type: ignore[union-attr]
        except (FileNotFoundError, ValueError):
            return {}

    def _write_media_file(self, cache: dict[str, Any]) -> None:
        path = self._media_cache_path
        assert path is not None
        now = self.clock()
        cache = {k: v for k, v in cache.items() if now - require_time(v["at"], "mastodon") <= MEDIA_CACHE_TTL}
        write_json(path, cache)

    # --- reading back ------------------------------------------------------------------------
    def metrics(self, remote_ids: Sequence[str]) -> MetricsBatch:
        """Counters of many statuses, 20 per ``GET /api/v1/statuses?id[]=…`` (Mastodon 4.3+).

        Older servers answer that route with 404; then (and from then on) each status is read with
        ``GET /api/v1/statuses/:id``. Statuses the server no longer has come back in ``missing``.
        """
        ids = list(dict.fromkeys(remote_ids))
        found: dict[str, Metrics] = {}
        for start in range(0, len(ids), BATCH_SIZE):
            chunk = ids[start:start + BATCH_SIZE]
            statuses = self._batch(chunk) if self._batch_supported else None
            if statuses is None:
                statuses = [s for s in (self._one(i) for i in chunk) if s is not None]
            for status in statuses:
                sid = str(status.get("id"))
                if sid in chunk:
                    found[sid] = self._metrics_of(sid, status)
        return MetricsBatch(found=found, missing=frozenset(i for i in ids if i not in found))

    def _batch(self, chunk: list[str]) -> list[dict[str, Any]] | None:
        response = self.http.request("GET", "/api/v1/statuses", params=[("id[]", i) for i in chunk])
        if response.status_code in (404, 405, 501):
            log.info("mastodon: %s has no batch status lookup (before 4.3); reading one by one",
                     self.http.base_url)
            self._batch_supported = False
            return None
        if response.status_code != 200:
            raise self._error("GET", "/api/v1/statuses", response)
        return json_body(response) or []

    def _one(self, remote_id: str) -> dict[str, Any] | None:
        response = self.http.request("GET", f"/api/v1/statuses/{remote_id}")
        if response.status_code in (404, 410):
            return None
        if response.status_code != 200:
            raise self._error("GET", "/api/v1/statuses/:id", response)
        return json_body(response)

    @staticmethod
    def _metrics_of(remote_id: str, status: dict[str, Any]) -> Metrics:
        def count(name: str) -> int | None:
            value = status.get(name)
            return int(value) if isinstance(value, int) else None

        raw: dict[str, Any] = {k: status.get(k) for k in ("replies_count", "reblogs_count", "favourites_count",
                                          "quotes_count") if k in status}
        return Metrics(remote_id=remote_id, likes=count("favourites_count"),
                       reposts=count("reblogs_count"), replies=count("replies_count"),
                       quotes=count("quotes_count"), impressions=None, raw=raw)

    def replies(self, remote_id: str, since: datetime | None = None) -> list[Reply]:
        """The conversation under the status, from ``GET /api/v1/statuses/:id/context``: replies by
        other accounts (to it, or to replies under it) and the account's own answers to them (``ours``). A
        status without an id is passed over; one whose time cannot be read counts as seen now."""
        own_id = str(self._own_account().get("id"))
        context = json_body(self._call("GET", f"/api/v1/statuses/{remote_id}/context")) or {}
        found = []
        for status in context.get("descendants") or []:
            if not isinstance(status, dict) or not status.get("id") or not status.get("in_reply_to_id"):
                continue
            account = status.get("account") or {}
            ours = str(account.get("id")) == own_id
            if ours and str(status.get("in_reply_to_account_id")) == own_id:
                continue  # its own thread parts
            created = parse_http_time(str(status.get("created_at") or "")) or self.clock()
            if since is not None and created < since and not ours:
                continue
            acct = str(account.get("acct") or "")
            url = f"{self.http.base_url.rstrip('/')}/@{acct}/{status['id']}" if _ACCT.fullmatch(acct) \
                and str(status["id"]).isdigit() else None
            found.append(Reply(remote_id=str(status["id"]), author=acct or "?",
                               text=html_to_text(status.get("content") or ""), created_at=created,
                               language=status.get("language"), in_reply_to=str(status["in_reply_to_id"]),
                               url=url, ours=ours))
        return found

    # --- listening ---------------------------------------------------------------------------
    def tag_counts(self, tag: str, since: date, until: date, zone: tzinfo) -> TagCounts:
        """The hashtag's history on this account's instance (see ``tag_history``)."""
        return tag_history(self.http, self.clock, tag, since, until)


class MastodonInstance:
    """What a Mastodon instance shows anyone, without an account: a hashtag's history, for the
    instances campaigner listens on without having an account there."""

    platform = "mastodon"

    def __init__(self, base_url: str, *, timeout: float = 20.0, clock: Clock = system_clock,
                 session: requests.Session | None = None):
        self.http = HttpClient(base_url, timeout=timeout, session=session)
        self.clock = clock

    def __repr__(self) -> str:
        return f"MastodonInstance({self.http.base_url!r})"

    def tag_counts(self, tag: str, since: date, until: date, zone: tzinfo) -> TagCounts:
        return tag_history(self.http, self.clock, tag, since, until)


def refusal(http: HttpClient, clock: Clock, method: str, path: str, response: requests.Response) -> ConnectorError:
    """The typed error for a Mastodon answer that is not a success (secrets redacted)."""
    status = response.status_code
    body = json_body(response)
    detail = body.get("error") if isinstance(body, dict) else None
    what = f"mastodon {method} {path.split('?')[0]}"
    reason = http.redact(f"{what}: {detail or f'HTTP {status}'}")
    if status == 401:
        return AuthExpired(reason)
    if status == 429:
        retry_at = parse_http_time(response.headers.get("X-RateLimit-Reset"))
        if retry_at is None:
            retry_at = clock() + timedelta(minutes=5)   # the default limits reset every 5 min
        return RateLimited(retry_at, reason, scope="account")
    if status >= 500:
        return server_error(method, status, what)
    return Permanent(reason)


def tag_history(http: HttpClient, clock: Clock, tag: str, since: date, until: date) -> TagCounts:
    """How many statuses used ``tag`` (and how many accounts) each day, from ``GET
    /api/v1/tags/:name`` (Mastodon 4.0+, public): its ``history`` covers about the last 7 days.

    The days are **UTC days** as the instance counts them (``day_zone`` "UTC"), and the counts are
    what reached this instance (its own users, and what federated to it). Days from ``since`` to
    ``until`` (excluded) that the history holds are given; today's is ``at_least`` (not over). A
    tag the instance has never seen has a history of zeros; 404 means no such endpoint (before
    4.0) or a name the instance refuses: ``NotSupported``."""
    path = f"/api/v1/tags/{quote(tag.lstrip('#'), safe='')}"
    host = urlsplit(http.base_url).netloc
    response = http.request("GET", path)
    if response.status_code == 404:
        raise NotSupported(_("mastodon {host} has no history of #{tag} (GET /api/v1/tags needs Mastodon 4.0 or "
                             "later)").format(host=host, tag=tag.lstrip("#")), http_status=404)
    if response.status_code != 200:
        raise refusal(http, clock, "GET", "/api/v1/tags/:name", response)
    body = json_body(response)
    history = body.get("history") if isinstance(body, dict) else None
    if not isinstance(history, list):
        raise unexpected_answer("mastodon GET /api/v1/tags/:name", response, N_("a Mastodon tag with its history"))
    today = clock().astimezone(timezone.utc).date()
    days: dict[date, DayCount] = {}
    for entry in history[:MAX_HISTORY]:
        if not isinstance(entry, dict):
            continue
        stamp, uses = whole_count(entry.get("day")), whole_count(entry.get("uses"))
        if stamp is None or uses is None:
            continue
        day = datetime.fromtimestamp(stamp, timezone.utc).date()
        if since <= day < until and day <= today and day not in days:
            days[day] = DayCount(day, uses, at_least=day == today, accounts=whole_count(entry.get("accounts")))
    return TagCounts(tag=tag.lstrip("#"), source=host, day_zone="UTC",
                     days=tuple(days[d] for d in sorted(days)), requests=1)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", name) or "account"
