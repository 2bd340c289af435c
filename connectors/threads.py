"""A Threads profile through the Threads API (``graph.threads.net``, pinned to ``v1.0``), with a
long-lived Threads user token. Built on ``connectors.meta`` (errors, the media-container flow,
quota, token renewal, insights); what is Threads' own is here.

* **Publishing** goes through media containers (``meta.ContainerFlow``): ``POST /{user}/threads``
  (``media_type`` TEXT, IMAGE or VIDEO; a carousel is 2–20 items made with ``is_carousel_item=true``
  and a ``CAROUSEL`` parent naming them in ``children``) → for a video, ``GET /{container}?fields=
  status,error_message`` until ``FINISHED``, raising ``NotReady`` in between (never sleeping) →
  ``POST /{user}/threads_publish?creation_id=…``. A part of a thread is a reply to the part before
  it (``reply_to_id``); replies count against Threads' reply quota (1,000 a day), not the 250 posts.
  Meta fetches media from ``MediaFile.url`` (the ``[media]`` host); a file without one is refused.
  The link joins the text (Threads previews the first URL in it).
* **Too soon**: Meta recommends waiting about 30 s before publishing a container, and answers
  ``threads_publish`` with 24/4279009 "The requested resource does not exist" when it is asked too
  soon (gitroomhq/postiz-app#2047 counted 210 such answers a median 7 s after creation). That answer
  is "not ready yet": ``NotReady`` on the shared schedule, the container kept.
* **Media the fetcher refused**: an image Meta could not fetch fails the container's creation with
  subcode 2207052 ("Media download has failed"): ``Permanent``, saying what Meta needs (a public
  https URL answering the file itself, no redirect, no HTML page). A video's download fails later:
  its container turns ``ERROR`` (``FAILED_DOWNLOADING_VIDEO``), also ``Permanent``.
* **Exactly once**: there is no idempotency key. A lost ``threads_publish`` answer is
  ``Transient(outcome_unknown=True)`` with the container kept in ``progress``; ``find_existing``
  reads that container's status (``PUBLISHED``: it went out; anything else: it did not) and finds
  the post among the profile's threads (``GET /{user}/threads``), or for a reply part in the root
  post's conversation (``GET /{root}/conversation``), by its text and time.
* **Metrics**: ``GET /{media}/insights?metric=views,likes,replies,reposts,quotes,shares`` per post
  (Threads has no batch read); ``views`` is reported as ``impressions``. A refused metric is
  dropped and the rest asked again (``meta.Insights``). A post that no longer exists is ``missing``.
* **Replies**: ``GET /{media}/conversation`` (replies at every depth, newest first), down to
  ``since`` and at most ``MAX_PAGES`` pages of ``PAGE_SIZE``: replies by others, and the profile's own
  answers to them (``ours``); its own thread parts are left out. Those past that cap, or past a page
  that failed, are read at the next polls from the cursor kept in the account's state folder
  (``meta.comments_and_rest``).
* **Tokens**: 60 days, renewed with ``th_refresh_token`` (``RefreshesToken``); ``verify`` asks
  ``GET /debug_token`` for the expiry, which Meta answers for tokens of the app's own Threads
  testers — otherwise the expiry stays unknown (None) and verify still succeeds.
"""
from __future__ import annotations
from gettext import gettext as _

import logging
from datetime import datetime, timedelta
from typing import Any, Mapping, Sequence

import requests

from connectors import meta
from connectors.base import (N_, AccountConfig, Answers, AuthExpired, Clock, Identity, MediaFile, Metrics, MetricsBatch,
                             OutgoingPost, Permanent, Published, Quota, RefreshedToken, Reply, Transient,
                             system_clock)
from connectors.http import parse_http_time, unexpected_answer
from connectors.posttext import compose_text, match_key
from connectors.unread import UnreadComments

log = logging.getLogger(__name__)

API_VERSION = "v1.0"
DEFAULT_BASE_URL = "https://graph.threads.net"
CAROUSEL_MIN, CAROUSEL_MAX = 2, 20
PAGE_SIZE = 100
MAX_PAGES = 5
IMAGE_TYPES = frozenset({"image/jpeg", "image/png"})
VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime"})
#: what ``GET /{media}/insights`` is asked for, and the ``Metrics`` field each becomes
METRICS = {"views": "impressions", "likes": "likes", "replies": "replies", "reposts": "reposts",
           "quotes": "quotes", "shares": "shares"}
PRODUCT_TYPE = "THREADS"
#: ``threads_publish`` asked too soon: "Media Not Found … cannot be found" (code 24)
PUBLISHED_TOO_SOON = 4279009
#: creating an image container: Meta could not fetch the image (code 1)
MEDIA_FETCH_FAILED = 2207052
FIELDS = "id,text,timestamp,permalink,username"
#: a post's time may read a little before the call that made it (clocks differ)
SLACK = timedelta(minutes=1)
#: where a Threads post's address may point (``meta.web_link``): https://www.threads.com/@…/post/…
LINK_HOSTS = ("threads.com", "threads.net")


class ThreadsConnector:
    """One Threads profile."""

    platform = "threads"
    #: Threads has no batch read: one insights request per post
    metrics_batch_size = 1
    #: ``find_existing`` really looks, so None means "not there"
    can_find_existing = True

    def __init__(self, config: AccountConfig, *, clock: Clock = system_clock,
                 session: requests.Session | None = None):
        token = (config.secrets.get("ACCESS_TOKEN") or "").strip()
        if not token:
            raise ValueError(f"threads account {config.name!r} needs the secret ACCESS_TOKEN")
        self.config = config
        self.clock = clock
        self.user = (config.secrets.get("USER_ID") or "").strip() or "me"
        self.client = meta.GraphClient("threads", config.base_url or DEFAULT_BASE_URL, API_VERSION, token,
                                       timeout=config.timeout, clock=clock, session=session)
        self.flow = meta.ContainerFlow("threads", create=self._create, status=self._status,
                                       publish=self._publish_container, clock=clock)
        self.insights = meta.Insights(self.client)
        #: where the conversation of a post the last polls left unread starts (``meta.comments_and_rest``)
        self.unread_comments = UnreadComments(config.state_dir, "threads-unread-replies.json", clock)
        #: the profile's username, as Threads gives it (``verify``, or asked once when needed)
        self._username: str | None = None

    # --- the three container calls ---------------------------------------------------------------
    def _create(self, params: Mapping[str, str]) -> str:
        path = f"/{self.user}/threads"
        response, body = self.client.send("POST", path, data=params)
        if response.status_code == 200 and isinstance(body, dict) and "error" not in body:
            if body.get("id"):
                return str(body["id"])
            raise meta.keep(Transient(f"threads POST {path}: the answer names no container"), None)
        problem = meta.graph_problem(body)
        if problem is not None and problem.subcode == MEDIA_FETCH_FAILED:
            url = params.get("image_url") or params.get("video_url") or _("the media URL")
            raise Permanent(_("threads: Meta could not fetch {url} (subcode {subcode}) — the [media] public_url must "
                              "answer the file itself over https to anyone: no redirect, no login or preview page, a "
                              "JPEG or PNG image (MP4 or MOV video); `campaigner media check` tests it").format(
                url=url, subcode=MEDIA_FETCH_FAILED))
        raise self.client.refusal("POST", path, response.status_code, response.headers, body)

    def _status(self, container_id: str) -> meta.ContainerStatus:
        path = f"/{container_id}"
        response, body = self.client.send("GET", path, params={"fields": "status,error_message"})
        if response.status_code != 200 or (isinstance(body, dict) and "error" in body):
            error = self.client.refusal("GET", path, response.status_code, response.headers, body)
            if isinstance(error, meta.NoSuchObject):  # Meta no longer has it: a new container is made
                raise meta.ContainerGone(str(error))
            raise error
        status = body.get("status") if isinstance(body, dict) else None
        if not isinstance(status, str) or not status:
            raise Transient(f"threads GET /{container_id}: the answer has no container status")
        return meta.ContainerStatus(status, str(body.get("error_message") or ""))

    def _publish_container(self, container_id: str) -> str:
        path = f"/{self.user}/threads_publish"
        response, body = self.client.send("POST", path, data={"creation_id": container_id})
        if response.status_code == 200 and isinstance(body, dict) and "error" not in body and body.get("id"):
            return str(body["id"])
        problem = meta.graph_problem(body)
        if problem is not None and problem.subcode == PUBLISHED_TOO_SOON:
            raise meta.ContainerNotReady(f"threads POST {path}: {self.client.http.redact(problem.message)} "
                                         f"(code {problem.code}, subcode {problem.subcode})")
        if response.status_code == 200 and problem is None:
            # a 200 without the new post's id: it may well have gone out
            raise Transient(f"threads POST {path}: the answer names no post", outcome_unknown=True)
        raise self.client.refusal("POST", path, response.status_code, response.headers, body)

    # --- publishing --------------------------------------------------------------------------------
    def publish(self, post: OutgoingPost) -> Published:
        text = compose_text(post.text, post.link)
        replying = {"reply_to_id": str(post.reply_to)} if post.reply_to else {}
        media = list(post.media)
        if len(media) > CAROUSEL_MAX:
            raise Permanent(_("threads: a post holds at most {most} images and videos, not {n}").format(
                most=CAROUSEL_MAX, n=len(media)))
        parent = None
        if not media:
            if not text.strip():
                raise Permanent(_("threads: a post without media needs text"))
            items = [meta.ContainerSpec({"media_type": "TEXT", "text": text, **replying})]
        elif len(media) == 1:
            items = [self._item(media[0], {"text": text, **replying} if text else dict(replying))]
        else:
            items = [self._item(m, {"is_carousel_item": "true"}) for m in media]

            def parent(ids: list[str]) -> meta.ContainerSpec:
                fields = {"media_type": "CAROUSEL", "children": ",".join(ids), **replying}
                return meta.ContainerSpec({**fields, "text": text} if text else fields)
        media_id, _progress = self.flow.run(items, parent, post.progress)
        return Published(remote_id=media_id, url=meta.permalink(self.client, media_id, LINK_HOSTS),
                         published_at=self.clock())

    @staticmethod
    def _item(file: MediaFile, extra: Mapping[str, str]) -> meta.ContainerSpec:
        name = file.path.name
        if not file.url:
            raise Permanent(_("threads: {name} has no public address — Threads fetches media from a public https "
                              "URL: configure [media] (public_url and public_dir or a bucket)").format(name=name))
        fields: dict[str, str] = {}
        if file.mime_type in IMAGE_TYPES:
            fields = {"media_type": "IMAGE", "image_url": file.url}
        elif file.mime_type in VIDEO_TYPES:
            fields = {"media_type": "VIDEO", "video_url": file.url}
        else:
            raise Permanent(_("threads: {name} is {type}; Threads takes JPEG or PNG images and MP4 or MOV "
                              "videos").format(name=name, type=file.mime_type))
        if file.alt_text:
            fields["alt_text"] = file.alt_text
        return meta.ContainerSpec({**fields, **extra}, processed=fields["media_type"] == "VIDEO")

    # --- finding a post after an unknown outcome ----------------------------------------------------
    def find_existing(self, post: OutgoingPost, since: datetime) -> Published | None:
        """The post if it is on the profile: from the kept container's status when ``progress`` names
        one (not ``PUBLISHED`` means it did not go out), then among the profile's threads (or the
        root's conversation, for a reply part) by its text, from ``since``."""
        kept = meta.final_container(post.progress)
        if kept is not None:
            try:
                status = self._status(kept.id)
            except (Permanent, meta.ContainerGone) as exc:  # unknown to Meta now: look by text
                log.info("threads: container %s cannot be read (%s); looking for the post by its text", kept.id, exc)
            else:
                if status.code.upper() != meta.PUBLISHED:
                    return None
                since = min(since, kept.created_at)
        wanted = {match_key(post.text), match_key(compose_text(post.text, post.link))}
        if post.reply_to:
            candidates = self._own_replies(post, since)
        else:
            start = int((since - SLACK).timestamp())
            candidates = [item for item in self.client.pages(
                f"/{self.user}/threads", {"fields": FIELDS, "since": start, "limit": PAGE_SIZE}, MAX_PAGES)
                if item.get("id")]
        same = [item for item in candidates if match_key(str(item.get("text") or "")) in wanted]
        if "" in wanted and len(same) > 1 and kept is not None:
            # media without text: the one published nearest to when the kept container was sent
            anchor = kept.publishing_at or kept.created_at
            same.sort(key=lambda item: abs((parse_http_time(str(item.get("timestamp") or "")) or anchor) - anchor))
        elif "" in wanted and len(same) > 1:
            log.warning("threads: %d posts without text since %s; taking the newest as this one", len(same), since)
        return self._published(same[0]) if same else None

    def _own_replies(self, post: OutgoingPost, since: datetime) -> list[dict[str, Any]]:
        """The profile's replies to ``post.reply_to`` in the root post's conversation, newest first."""
        root = str(post.thread_root or post.reply_to)
        me = self._me()
        found = []
        for item in self.client.pages(f"/{root}/conversation",
                                      {"fields": FIELDS + ",replied_to", "reverse": "true", "limit": PAGE_SIZE},
                                      MAX_PAGES):
            created = parse_http_time(str(item.get("timestamp") or ""))
            if created is not None and created < since - SLACK:
                break                                   # newest first: the rest is older
            parent = item.get("replied_to")
            parent_id = parent.get("id") if isinstance(parent, dict) else None
            if item.get("id") and item.get("username") == me and parent_id in (None, str(post.reply_to)):
                found.append(item)
        return found

    def _published(self, item: Mapping[str, Any]) -> Published:
        return Published(str(item["id"]), meta.web_link(item.get("permalink"), LINK_HOSTS),
                         parse_http_time(str(item.get("timestamp") or "")) or self.clock())

    def _me(self) -> str | None:
        """The profile's username, asked once (not taken from the account's handle, which a person
        typed: a wrong one would make the profile's own thread parts look like replies)."""
        if self._username is None:
            body = self.client.call("GET", "/me", params={"fields": "id,username"})
            name = body.get("username") if isinstance(body, dict) else None
            self._username = str(name) if name else None
        return self._username

    # --- identity, quota, token ------------------------------------------------------------------------
    def verify(self) -> Identity:
        path = "/me"       # whose token it is, whatever USER_ID says
        response, body = self.client.send("GET", path, params={"fields": "id,username,name"})
        if response.status_code != 200 or (isinstance(body, dict) and "error" in body):
            raise self.client.refusal("GET", path, response.status_code, response.headers, body)
        if not isinstance(body, dict) or not body.get("id") or not body.get("username"):
            raise unexpected_answer(f"threads GET {path}", response, N_("a Threads profile"))
        if self.user != "me" and str(body["id"]) != self.user:
            raise AuthExpired(_("threads: the access token belongs to profile {id} (@{username}), not USER_ID {user} "
                                "— set USER_ID to {id}, or use that profile's token").format(
                id=body["id"], username=body["username"], user=self.user))
        self._username = str(body["username"])
        return Identity(remote_id=str(body["id"]), handle=self._username, display_name=body.get("name") or None,
                        url=f"https://www.threads.com/@{self._username}",
                        token_expires_at=meta.token_expiry(self.client, N_("make a new long-lived Threads token")),
                        quota=meta.quota_if_readable(self.quota, "threads"))

    def quota(self) -> Quota:
        """Posts published through the API in the moving 24 hours, of the profile's quota (250)."""
        return meta.read_quota(self.client, f"/{self.user}/threads_publishing_limit")

    def refresh_token(self) -> RefreshedToken:
        return meta.refresh_token(self.client, "th_refresh_token", "ACCESS_TOKEN")

    # --- metrics, replies, deletion --------------------------------------------------------------------
    def metrics(self, remote_ids: Sequence[str]) -> MetricsBatch:
        """Each post's insights; a post Threads no longer has is ``missing``."""
        found: dict[str, Metrics] = {}
        missing: set[str] = set()
        for remote_id in dict.fromkeys(remote_ids):
            try:
                values = self.insights.read(remote_id, PRODUCT_TYPE, list(METRICS))
            except meta.NoSuchObject:
                missing.add(remote_id)
                continue
            counts = {METRICS[name]: value for name, value in (values or {}).items() if name in METRICS}
            found[remote_id] = Metrics(remote_id=remote_id, raw=dict(values or {}), **counts)
        return MetricsBatch(found=found, missing=frozenset(missing))

    def replies(self, remote_id: str, since: datetime | None = None) -> list[Reply]:
        """The conversation under the post (``/conversation``: replies at every depth), newest first
        down to ``since`` (at most ``MAX_PAGES`` × ``PAGE_SIZE``; then at most as many of those the last
        polls left, past that cap or a page that failed, whatever their time): replies by others, and the
        profile's own answers to them (``ours``; its own thread parts, which answer its own posts, are left
        out). A reply without an id is passed over; one whose time cannot be read counts as seen now."""
        me = self._me()
        items = []
        for item, _older in meta.comments_and_rest(
                self.client, self.unread_comments, remote_id,
                {"fields": FIELDS + ",replied_to", "reverse": "true", "limit": PAGE_SIZE}, edge="conversation",
                since=since, max_pages=MAX_PAGES, time_of=self._time_of, stop_at_since=True):
            if not item.get("id"):
                continue
            created = self._time_of(item)
            mine = bool(me) and str(item.get("username") or "") == me
            parent = item.get("replied_to")
            parent_id = str(parent.get("id")) if isinstance(parent, dict) and parent.get("id") else remote_id
            items.append((item, created, mine, parent_id))
        authors = {str(item["id"]): mine for item, _, mine, _ in items}
        authors[str(remote_id)] = True  # the post itself is the profile's
        found: list[Reply] = []
        for item, created, mine, parent_id in items:
            if mine and authors.get(parent_id, False):
                continue  # a thread part: it answers the profile's own post
            found.append(Reply(remote_id=str(item["id"]), author=str(item.get("username") or "") or "unknown",
                               text=str(item.get("text") or ""), created_at=created, in_reply_to=parent_id,
                               url=meta.web_link(item.get("permalink"), LINK_HOSTS), ours=mine))
        return found

    def _time_of(self, item: dict[str, Any]) -> datetime:
        """When a reply was written (now, when its time cannot be read)."""
        return parse_http_time(str(item.get("timestamp") or "")) or self.clock()

    def answers(self, remote_id: str, reply_ids: Sequence[str]) -> Answers:
        """The profile's own replies directly under each of ``reply_ids``: the reply's ``/replies``
        edge (oldest first, the first page of ``PAGE_SIZE``), one request per reply. A reply that
        was deleted is passed over."""
        me = self._me()
        found: list[Reply] = []
        for reply_id, item in self.client.under_each(
                reply_ids, "replies", {"fields": FIELDS, "reverse": "false", "limit": PAGE_SIZE}):
            if me and str(item.get("username") or "") == me:
                found.append(Reply(remote_id=str(item["id"]), author=me, text=str(item.get("text") or ""),
                                   created_at=parse_http_time(str(item.get("timestamp") or "")) or self.clock(),
                                   in_reply_to=reply_id, url=meta.web_link(item.get("permalink"), LINK_HOSTS),
                                   ours=True))
        return Answers(found, len(reply_ids))

    def delete(self, remote_id: str) -> None:
        """Delete the post; one that no longer exists counts as deleted."""
        try:
            body = self.client.call("DELETE", f"/{remote_id}")
        except meta.NoSuchObject:
            return
        if not (isinstance(body, dict) and body.get("success") is True):
            raise Transient(f"threads DELETE /{remote_id}: Threads did not say the post was deleted",
                            outcome_unknown=True)

