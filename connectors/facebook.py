"""A Facebook Page through the Graph API, with a Page access token.

The Graph API version is pinned in ``GRAPH_API_VERSION`` (v27.0, released 2026-11-04, the newest
found). Calls, error codes, paging and the token's expiry go through ``connectors.meta`` (``GraphClient``,
``refusal``, ``token_expiry``), as for Instagram and Threads. Choices worth knowing:

* **Metrics use synchronous batch requests** (``POST /`` with ``batch=[…]``, at most 50 operations),
  not the multi-id read ``GET /?ids=…``: multi-id reads fail as a whole when one id no longer exists
  (mobolic/facebook-sdk#271), are one of the "legacy features" new apps may not use since 2026-11-04
  (Graph API v27 announcement) and are reported refused on v26 (restfb/restfb#1692). A batch answers
  per operation, so a deleted post lands in ``missing``.
* **Counts** come from the post object: ``reactions.summary(total_count)`` → likes,
  ``comments.summary(total_count)`` → replies, ``shares.count`` → reposts (the field is absent when
  nobody shared, which means 0). **Views**: Meta removed ``post_impressions*`` (June and November
  2025) and names ``post_media_view`` as the replacement; it is asked for through
  ``insights.metric(post_media_view)`` and reported as ``impressions``. Insights need the ANALYZE
  task and may be refused (or renamed again); the connector then drops the metric for the rest of
  its life and reports ``impressions=None``. Quotes, bookmarks and clicks: ``None``.
* **Threads** become comments by the Page on the first part (``POST /{post-id}/comments``).
* **No idempotency.** ``find_existing`` reads ``/{page-id}/feed`` since ``since`` (or the root
  post's comments for a thread part) and matches the message text.
* **Throttling** arrives as error codes 4, 17, 32, 613 or 80001-style (Business Use Case) in the
  body, usually with HTTP 400/403. ``retry_at`` comes from ``X-Business-Use-Case-Usage``
  ``estimated_time_to_regain_access`` (minutes); without it, one hour (the rolling window of the
  Platform rate limits reported in ``X-App-Usage``/``X-Page-Usage``).
* **Auth**: code 190 (and 102) → ``AuthExpired``; permission errors (10, 200–299) → ``AuthExpired``
  as well, because every later call of the account fails the same way until someone fixes the
  token's permissions.
* **Token expiry**: ``verify`` also asks ``GET /debug_token?input_token=…`` (the Page token
  inspecting itself, as Meta allows for a token of the same app) and reports the earlier of the
  non-zero ``expires_at`` / ``data_access_expires_at`` as ``Identity.token_expires_at`` (0 or absent
  = never). ``is_valid: false``, code 190/102 → ``AuthExpired``; throttling → ``RateLimited``; any
  other failure of that call (a permission error, a 5xx, a network error, an odd body) leaves the
  expiry unknown (None) and ``verify`` still succeeds — the page lookup is the identity check.

Photos: one image → ``POST /{page-id}/photos`` (caption); several → each uploaded unpublished, then
one feed post with ``attached_media``. Videos need the separate video host and are not supported.
"""
from __future__ import annotations

import json
import logging
from contextlib import ExitStack
from datetime import datetime, timedelta
from pathlib import Path
from gettext import gettext as _
from typing import Any, Sequence

import requests

from connectors import meta
from connectors.base import (N_, AccountConfig, Answers, AuthExpired, Clock, Identity, Metrics, MetricsBatch,
                             NotSupported,
                             OutgoingPost, Permanent, Published, RateLimited, Reply, Transient, system_clock)
from connectors.http import parse_http_time, require_time, unexpected_answer
from connectors.posttext import compose_text
from connectors.unread import UnreadComments

log = logging.getLogger(__name__)

GRAPH_API_VERSION = meta.GRAPH_VERSION
DEFAULT_BASE_URL = "https://graph.facebook.com"
BATCH_SIZE = 50
PAGE_SIZE = 100
MAX_PAGES = 5
VIEWS_METRIC = "post_media_view"
COUNT_FIELDS = "reactions.summary(total_count).limit(0),comments.summary(total_count).limit(0),shares"


def _norm(text: str | None) -> str:
    return " ".join((text or "").split())


class FacebookConnector:
    """One Facebook Page."""

    platform = "facebook"
    metrics_batch_size = BATCH_SIZE
    #: ``find_existing`` really looks, so None means "not there"
    can_find_existing = True

    def __init__(self, config: AccountConfig, *, clock: Clock = system_clock,
                 session: requests.Session | None = None):
        page_id = config.secrets.get("PAGE_ID")
        token = config.secrets.get("PAGE_ACCESS_TOKEN")
        if not page_id or not token:
            raise ValueError(f"facebook account {config.name!r} needs the secrets PAGE_ID and PAGE_ACCESS_TOKEN")
        self.config = config
        self.clock = clock
        self.page_id = page_id.strip()
        self.graph = meta.GraphClient("facebook", config.base_url or DEFAULT_BASE_URL, GRAPH_API_VERSION, token,
                                      timeout=config.timeout, clock=clock, session=session)
        #: ask for the views insight until the API refuses it once
        self.views_enabled = True
        #: where the comments of a post the last polls left unread start (``meta.comments_and_rest``)
        self.unread_comments = UnreadComments(config.state_dir, "facebook-unread-comments.json", clock)

    # --- helpers -----------------------------------------------------------------------------
    def _time_of(self, item: dict[str, Any]) -> datetime:
        """When a comment was written (now, when its time cannot be read)."""
        return parse_http_time(str(item.get("created_time") or "")) or self.clock()

    def _post_url(self, post_id: str) -> str:
        page, _, story = post_id.partition("_")
        return f"https://www.facebook.com/{page}/posts/{story or page}"

    @staticmethod
    def message_with_link(post: OutgoingPost) -> str:
        """Photo captions and comments have no link field: the link joins the text."""
        return compose_text(post.text, post.link)

    @staticmethod
    def _open(media: Any, stack: Any) -> tuple[str, Any, str]:
        if not media.mime_type.startswith("image/"):
            raise NotSupported(_("facebook: only images can be attached, not {type!r}").format(type=media.mime_type))
        path = Path(media.path)
        try:
            return (path.name, stack.enter_context(open(path, "rb")), media.mime_type)
        except OSError as exc:
            raise Permanent(_("facebook: cannot read media file {name!r}: {reason}").format(
                name=path.name, reason=exc.strerror)) from None

    # --- Connector protocol ------------------------------------------------------------------
    def verify(self) -> Identity:
        path = f"/{self.page_id}"
        response, page = self.graph.send("GET", path, params={"fields": "id,name,link,username"})
        if response.status_code != 200 or (isinstance(page, dict) and "error" in page):
            raise self.graph.refusal("GET", path, response.status_code, response.headers, page)
        if not (isinstance(page, dict) and page.get("id")):
            raise unexpected_answer(f"facebook GET {path}", response, N_("a Facebook Page"))
        return Identity(remote_id=str(page["id"]), handle=page.get("username") or page.get("name") or str(page["id"]),
                        display_name=page.get("name"), url=page.get("link"),
                        token_expires_at=meta.token_expiry(self.graph, N_("generate a new Page token")))

    def publish(self, post: OutgoingPost) -> Published:
        if post.reply_to:
            return self._comment(post)
        with ExitStack() as stack:
            if not post.media:
                data = {"message": post.text}
                if post.link:
                    data["link"] = post.link
                body = self.graph.call("POST", f"/{self.page_id}/feed", data=data)
                post_id = str(body["id"])
            elif len(post.media) == 1:
                file = self._open(post.media[0], stack)
                body = self.graph.call("POST", f"/{self.page_id}/photos",
                                  data={"caption": self.message_with_link(post), "published": "true"},
                                  files={"source": file})
                post_id = str(body.get("post_id") or f"{self.page_id}_{body['id']}")
            else:
                photo_ids = []
                for media in post.media:
                    file = self._open(media, stack)
                    uploaded = self.graph.call("POST", f"/{self.page_id}/photos",
                                          data={"published": "false"}, files={"source": file})
                    photo_ids.append(str(uploaded["id"]))
                data = {"message": self.message_with_link(post)}
                for i, photo_id in enumerate(photo_ids):
                    data[f"attached_media[{i}]"] = json.dumps({"media_fbid": photo_id})
                body = self.graph.call("POST", f"/{self.page_id}/feed", data=data)
                post_id = str(body["id"])
        return Published(remote_id=post_id, url=self._post_url(post_id), published_at=self.clock())

    @staticmethod
    def _target(post: OutgoingPost) -> str:
        """What a comment goes under: an answer under the comment it answers (a reply to a
        comment), a thread part under the thread's first post."""
        return str(post.reply_to if post.answer else post.thread_root or post.reply_to)

    def _comment_url(self, post: OutgoingPost | str, comment_id: str) -> str:
        """The address of a comment under ``post`` (the Page's post, ``PAGEID_STORYID``), or under
        the comment an answer goes under (``STORYID_COMMENTID``)."""
        if isinstance(post, str):
            story = post.partition("_")[2] or post
        elif post.answer:
            story = str(post.reply_to).partition("_")[0]
        else:
            target = str(post.thread_root or post.reply_to)
            story = target.partition("_")[2] or target
        return f"https://www.facebook.com/{self.page_id}/posts/{story}?comment_id={comment_id.rpartition('_')[2]}"

    def _comment(self, post: OutgoingPost) -> Published:
        """A thread part (a comment by the Page on the thread's first post), or an answer (a reply
        by the Page under someone's comment)."""
        target = self._target(post)
        if len(post.media) > 1:
            raise Permanent(_("facebook: a comment can carry one image at most"))
        with ExitStack() as stack:
            files = {"source": self._open(post.media[0], stack)} if post.media else None
            body = self.graph.call("POST", f"/{target}/comments",
                              data={"message": self.message_with_link(post)}, files=files)
        comment_id = str(body["id"])
        return Published(remote_id=comment_id, url=self._comment_url(post, comment_id), published_at=self.clock())

    def find_existing(self, post: OutgoingPost, since: datetime) -> Published | None:
        """The Page's post (or, for a thread part, its comment on the root) with the same message."""
        wanted = {_norm(post.text), _norm(self.message_with_link(post))}
        if post.reply_to:
            target = self._target(post)
            for comment in self.graph.pages(f"/{target}/comments",
                                            {"fields": "id,message,created_time,from", "filter": "stream",
                                             "order": "reverse_chronological", "limit": PAGE_SIZE}, MAX_PAGES):
                created = require_time(comment.get("created_time"), "facebook")
                if created < since - timedelta(minutes=1):
                    return None
                author = (comment.get("from") or {}).get("id")
                if _norm(comment.get("message")) in wanted and author in (None, self.page_id):
                    return Published(str(comment["id"]), self._comment_url(post, str(comment["id"])), created)
            return None
        since_ts = int((since - timedelta(minutes=1)).timestamp())
        for item in self.graph.pages(f"/{self.page_id}/feed",
                                     {"fields": "id,message,created_time", "since": since_ts, "limit": PAGE_SIZE},
                                     MAX_PAGES):
            if _norm(item.get("message")) in wanted:
                return Published(str(item["id"]), self._post_url(str(item["id"])),
                                 require_time(item.get("created_time"), "facebook"))
        return None

    def delete(self, remote_id: str) -> None:
        """Delete the post or comment; one that no longer exists counts as deleted."""
        try:
            self.graph.call("DELETE", f"/{remote_id}")
        except meta.NoSuchObject:
            return

    def metrics(self, remote_ids: Sequence[str]) -> MetricsBatch:
        """Counts (and views, while allowed) of many posts, 50 per batch request.

        Posts that no longer exist land in ``missing``; operations the batch could not answer
        (timed out, or a field this object type lacks) are left out of both, to be asked again.
        """
        ids = list(dict.fromkeys(remote_ids))
        found: dict[str, Metrics] = {}
        missing: set[str] = set()
        for start in range(0, len(ids), BATCH_SIZE):
            chunk = ids[start:start + BATCH_SIZE]
            retry = self._metrics_batch(chunk, found, missing)
            if retry:
                self._metrics_batch(chunk, found, missing)
        return MetricsBatch(found=found, missing=frozenset(missing))

    def _metrics_batch(self, chunk: list[str], found: dict[str, Metrics], missing: set[str]) -> bool:
        """Run one batch; True when the views insight was refused and the batch must be redone."""
        fields = COUNT_FIELDS + (f",insights.metric({VIEWS_METRIC})" if self.views_enabled else "")
        batch = [{"method": "GET", "relative_url": f"{rid}?fields={fields}"} for rid in chunk]
        answers = self.graph.call("POST", "/", data={"batch": json.dumps(batch), "include_headers": "false"},
                                  reads_only=True)
        if not isinstance(answers, list):
            raise Transient("facebook: the batch answer is not a list")
        for rid, answer in zip(chunk, answers):
            if not answer:
                continue                        # the operation timed out inside the batch
            body = json.loads(answer.get("body") or "null")
            code = answer.get("code")
            if code == 200 and isinstance(body, dict) and "error" not in body:
                found[rid] = self._metrics_of(rid, body)
                continue
            problem = meta.graph_problem(body)
            if meta.no_such_object(problem):
                missing.add(rid)
                continue
            message = problem.message if problem is not None else ""
            err_code = problem.code if problem is not None else 0
            if self.views_enabled and ("insight" in message.lower() or "metric" in message.lower()
                                       or err_code == 10 or 200 <= err_code <= 299):
                log.warning("facebook: the %s insight was refused (%s); reporting views as unknown",
                            VIEWS_METRIC, self.graph.http.redact(message))
                self.views_enabled = False
                return True
            mapped = self.graph.refusal("GET", f"/{rid}", int(code or 400), {}, body)
            if isinstance(mapped, (AuthExpired, RateLimited, Transient)):
                raise mapped
            log.info("facebook: no metrics for %s: %s", rid, mapped)
        return False

    @staticmethod
    def _metrics_of(remote_id: str, body: dict[str, Any]) -> Metrics:
        def total(edge: str) -> int | None:
            summary = (body.get(edge) or {}).get("summary") or {}
            value = summary.get("total_count")
            return int(value) if isinstance(value, int) else None

        shares = int((body.get("shares") or {}).get("count") or 0)
        views = None
        for item in (body.get("insights") or {}).get("data") or []:
            if item.get("name") == VIEWS_METRIC:
                values = item.get("values") or []
                if values and isinstance(values[0].get("value"), int):
                    views = values[0]["value"]
        raw = {"reactions": total("reactions"), "comments": total("comments"), "shares": shares}
        if views is not None:
            raw[VIEWS_METRIC] = views
        return Metrics(remote_id=remote_id, likes=total("reactions"), replies=total("comments"),
                       reposts=shares, impressions=views, raw=raw)

    def replies(self, remote_id: str, since: datetime | None = None) -> list[Reply]:
        """Top-level comments on the post by anyone but the Page itself, newest first, and the
        Page's own replies under them (``ours``: they mark a comment as answered), read as one
        stream (``filter=stream``, ``parent`` telling a reply from a top-level comment). Replies by
        others to comments are passed over (the inbox answers top-level comments: Facebook nests
        one level). A comment without an id is passed over; one whose time cannot be read counts
        as seen now. At most ``MAX_PAGES`` pages from the newest down to ``since``, then at most as
        many of those the last polls left (past that cap, or past a page that failed:
        ``meta.comments_and_rest``), returned whatever their time."""
        found = []
        for comment, _older in meta.comments_and_rest(
                self.graph, self.unread_comments, remote_id,
                {"fields": "id,message,created_time,from{id,name},parent{id}", "filter": "stream",
                 "order": "reverse_chronological", "limit": PAGE_SIZE},
                since=since, max_pages=MAX_PAGES, time_of=self._time_of, stop_at_since=True):
            if not comment.get("id"):
                continue
            created = self._time_of(comment)
            author = comment.get("from") or {}
            ours = str(author.get("id")) == self.page_id
            parent = comment.get("parent")
            parent_id = str(parent.get("id")) if isinstance(parent, dict) and parent.get("id") else remote_id
            if ours != (parent_id != remote_id):  # the Page's own thread parts; others' replies to comments
                continue
            found.append(Reply(remote_id=str(comment["id"]), author=author.get("name") or "unknown",
                               text=comment.get("message") or "", created_at=created,
                               language=None, in_reply_to=parent_id, url=self._comment_url(remote_id, str(comment["id"])),
                               ours=ours))
        return found

    def answers(self, remote_id: str, reply_ids: Sequence[str]) -> Answers:
        """The Page's own replies under each comment of ``reply_ids``: the comment's ``/comments``
        edge (its replies, oldest first: the first page of ``PAGE_SIZE``), one request per comment. A
        comment that was deleted is passed over."""
        found: list[Reply] = []
        for comment_id, item in self.graph.under_each(
                reply_ids, "comments", {"fields": "id,message,created_time,from{id,name}", "limit": PAGE_SIZE}):
            author = item.get("from")
            if isinstance(author, dict) and str(author.get("id")) == self.page_id:
                found.append(Reply(remote_id=str(item["id"]), author=author.get("name") or "unknown",
                                   text=item.get("message") or "",
                                   created_at=parse_http_time(str(item.get("created_time") or "")) or self.clock(),
                                   in_reply_to=comment_id, url=self._comment_url(remote_id, str(item["id"])),
                                   ours=True))
        return Answers(found, len(reply_ids))

