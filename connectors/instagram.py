"""An Instagram professional account through the Instagram API with Instagram Login
(``graph.instagram.com``), with a long-lived Instagram User token.

What is worth knowing (sources in /work/shared/reference/next-platforms.md §1, §6):

* **Publishing is by media container** (``connectors.meta.ContainerFlow``): a single JPEG image
  (``image_url``, ``caption``, ``alt_text``), a reel (``media_type=REELS``, ``video_url``) or a carousel
  of 2–10 images and videos (children made in parallel with ``is_carousel_item=true``; the caption
  only on the ``CAROUSEL`` parent), then ``POST /{user}/media_publish``. Meta fetches each file from
  its public address (``MediaFile.url``, put on the ``[media]`` host by the engine) — there is no
  upload. A video is processed after Meta answers: ``publish`` raises ``NotReady(check_at, progress)``
  until its container is ``FINISHED`` and never sleeps.
* **Exactly once without an idempotency key**: a container can be published once. ``progress`` keeps
  the containers' ids, so a call after a lost ``media_publish`` answer reads the container first
  (``PUBLISHED`` → ``AlreadyPublished``) and ``find_existing`` settles an unknown outcome from it, then
  finds the new media among the account's recent media by caption and time.
* **Threads have no meaning here** (core refuses them at queue time); ``reply_to`` → ``NotSupported``.
* **Deleting is not offered** by the Instagram Login API (``DELETE /{media}`` needs
  ``instagram_manage_contents``, Facebook Login only): ``delete`` → ``NotSupported``.
* **Metrics** are two reads per media: its fields (``like_count``, ``comments_count``,
  ``media_product_type``) and its insights (``views``, ``reach``, ``likes``, ``comments``, ``saved``,
  ``shares``, ``total_interactions``) asked per product type; a metric Meta refuses for a type is
  dropped and remembered (``meta.Insights``); "not enough viewers" leaves the insights None.
* **Replies**: comments newest first (``COMMENT_PAGES`` × ``COMMENT_PAGE``; those past that cap, or
  past a page that failed, are read at the next polls from the cursor kept in the account's state
  folder, ``meta.comments_and_rest``), each with the first page
  of its replies in the nested ``replies{…}`` field (field expansion); when that page's ``paging``
  has a ``next`` on this host, the rest is read on ``GET /{ig-comment-id}/replies`` from its ``after``
  cursor (``REPLY_PAGES`` × ``REPLY_PAGE``, for ``REPLY_COMMENTS`` comments a call); each id once.
  The busy comments a call leaves (past that bound, or whose pages failed partway: what was read is
  kept) are followed first at the next call (``connectors.unread``, in the account's state folder),
  and replies read on the edge are returned whatever their time (``since``), so none is lost.
* **Quota** (``quota()``) from ``content_publishing_limit``, and in ``verify()``; the daily limit
  error (``9/2207042``) waits until the oldest post of the last 24 hours leaves the window.
* **Token**: ``verify`` cannot tell its expiry (this API does not say); ``refresh_token`` renews it
  for 60 days (``ig_refresh_token``) once it is 24 hours old.
"""
from __future__ import annotations
from gettext import gettext as _

import logging
import re
import unicodedata
from datetime import datetime, timedelta
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import requests

from connectors import meta
from connectors.base import (N_, AccountConfig, AuthExpired, Clock, ConnectorError, Identity,
                             MediaFile, Metrics, MetricsBatch, NotSupported, OutgoingPost, Permanent, Published,
                             Quota, RateLimited, RefreshedToken, Reply, Transient, system_clock)
from connectors.http import parse_http_time, unexpected_answer
from connectors.posttext import compose_text
from connectors.unread import UnreadComments, UnreadReplies

log = logging.getLogger(__name__)

GRAPH_API_VERSION = meta.GRAPH_VERSION
DEFAULT_BASE_URL = "https://graph.instagram.com"
#: a caption's limit (IG-MEDIA ``caption``: "Maximum 2200 characters")
CAPTION_LIMIT = 2200
MAX_CAROUSEL = 10
IMAGE_TYPES = frozenset({"image/jpeg"})
VIDEO_TYPES = frozenset({"video/mp4", "video/quicktime"})
#: recent media read to find a post (a page holds up to 100; the account publishes at most 100 a day)
MEDIA_PAGE = 50
MEDIA_PAGES = 2
COMMENT_PAGE = 50
COMMENT_PAGES = 5
#: a comment's replies as asked in its nested ``replies{…}`` field, and on its own replies edge
REPLY_FIELDS = "id,text,username,timestamp"
#: replies past the nested field's first page are read on ``/{comment}/replies``: at most
#: ``REPLY_PAGES`` pages of ``REPLY_PAGE`` per comment, for at most ``REPLY_COMMENTS`` comments a call
#: (the others are read first at the next call: ``connectors.unread``)
REPLY_PAGE = 50
REPLY_PAGES = 5
REPLY_COMMENTS = 10
#: what an Instagram comment id looks like (it goes into a path)
COMMENT_ID = re.compile(r"[0-9]{1,32}")
#: the longest paging cursor taken from an answer
MAX_CURSOR = 1024
#: fields of a media read for its metrics
METRIC_FIELDS = "id,media_product_type,media_type,like_count,comments_count,permalink"
#: the insights asked per media product type (organic; Meta refuses some, see ``meta.Insights``)
ALL_INSIGHTS = ("views", "reach", "likes", "comments", "saved", "shares", "total_interactions")
INSIGHTS = {"FEED": ALL_INSIGHTS, "REELS": ALL_INSIGHTS,
            "STORY": ("views", "reach", "shares", "total_interactions")}
#: how far around the publish time a media's timestamp may be and still be the post looked for
TIME_SLACK = timedelta(minutes=2)
#: where an Instagram post's address may point (``meta.web_link``): https://www.instagram.com/p/…
LINK_HOSTS = ("instagram.com",)


def _norm(text: str | None) -> str:
    return " ".join(unicodedata.normalize("NFC", text or "").split())


class InstagramConnector:
    """One Instagram professional account."""

    platform = "instagram"
    #: one media per request: its fields, then its insights (the API reads no batch)
    metrics_batch_size = 1
    #: ``find_existing`` really looks (the container's status, then the recent media)
    can_find_existing = True

    def __init__(self, config: AccountConfig, *, clock: Clock = system_clock,
                 session: requests.Session | None = None):
        user_id = (config.secrets.get("USER_ID") or "").strip()
        token = (config.secrets.get("ACCESS_TOKEN") or "").strip()
        if not user_id or not token:
            raise ValueError(f"instagram account {config.name!r} needs the secrets USER_ID and ACCESS_TOKEN")
        self.config = config
        self.clock = clock
        self.user_id = user_id
        self.graph = meta.GraphClient("instagram", config.base_url or DEFAULT_BASE_URL, GRAPH_API_VERSION, token,
                                      timeout=config.timeout, clock=clock, session=session)
        self.insights = meta.Insights(self.graph)
        self.flow = meta.ContainerFlow("instagram", create=self._create_container, status=self._container_status,
                                       publish=self._media_publish, clock=clock)
        self._username: str | None = None
        #: the comments whose later replies the last poll of a media left unread (``_follow_later``)
        self.unread = UnreadReplies(config.state_dir, "instagram-unread-replies.json", COMMENT_ID, clock)
        #: where the comments of a media the last polls left unread start (``meta.comments_and_rest``)
        self.unread_comments = UnreadComments(config.state_dir, "instagram-unread-comments.json", clock)

    # --- identity, quota, token ------------------------------------------------------------------
    def verify(self) -> Identity:
        """Who the token belongs to (``GET /me``) and the account's publishing quota. The token must
        be the account's named by USER_ID."""
        response, me = self.graph.send("GET", "/me", params={"fields": "user_id,username,name"})
        if response.status_code != 200 or (isinstance(me, dict) and "error" in me):
            raise self.graph.refusal("GET", "/me", response.status_code, response.headers, me)
        if not isinstance(me, dict) or not (me.get("user_id") or me.get("id")) or not me.get("username"):
            raise unexpected_answer("instagram GET /me", response, N_("an Instagram account"))
        user_id = str(me.get("user_id") or me.get("id"))
        username = str(me["username"])
        if self.user_id not in (user_id, str(me.get("id"))):
            raise AuthExpired(_("instagram: the access token is for @{username} (user id {id}), not the account with "
                                "USER_ID {user} — set USER_ID to {id} or use that account's token").format(
                username=username, id=user_id, user=self.user_id))
        self._username = username
        return Identity(remote_id=user_id, handle=username, display_name=me.get("name") or None,
                        url=f"https://www.instagram.com/{username}/", token_expires_at=None,
                        quota=meta.quota_if_readable(self.quota, "instagram"))

    def quota(self) -> Quota:
        """``GET /{user}/content_publishing_limit?fields=quota_usage,config``."""
        return meta.read_quota(self.graph, f"/{self.user_id}/content_publishing_limit")

    def refresh_token(self) -> RefreshedToken:
        """A renewed ACCESS_TOKEN, valid 60 days from now (``ig_refresh_token``); later calls use it."""
        return meta.refresh_token(self.graph, "ig_refresh_token", "ACCESS_TOKEN")

    def _own_username(self) -> str:
        if self._username is None:
            me = self.graph.call("GET", "/me", params={"fields": "user_id,username"})
            self._username = str(me.get("username") or "") if isinstance(me, dict) else ""
        return self._username

    # --- publishing --------------------------------------------------------------------------------
    @staticmethod
    def caption(post: OutgoingPost) -> str:
        """The caption as published: links are not clickable on Instagram, but join the text."""
        return compose_text(post.text, post.link)

    def publish(self, post: OutgoingPost) -> Published:
        if post.reply_to:
            raise NotSupported(_("instagram: a post cannot answer another one — a thread has no meaning on "
                                 "Instagram; post it as one caption"))
        items, parent = self._containers(post)
        try:
            media_id, _progress = self.flow.run(items, parent, post.progress)
        except meta.DailyLimitReached as exc:
            retry = meta.keep(meta.DailyLimitReached(self._window_frees_at(), str(exc), scope="account",
                                                     http_status=exc.http_status), exc.progress)
            raise retry from None
        return Published(remote_id=media_id, url=meta.permalink(self.graph, media_id, LINK_HOSTS),
                         published_at=self.clock())

    def _containers(self, post: OutgoingPost
                    ) -> tuple[list[meta.ContainerSpec], Callable[[list[str]], meta.ContainerSpec] | None]:
        """The containers a post is made of, checked before anything is sent."""
        media = list(post.media)
        if not media:
            raise Permanent(_("instagram: a post needs at least one image or video — attach a JPEG photo or an MP4 "
                              "video"))
        if len(media) > MAX_CAROUSEL:
            raise Permanent(_("instagram: a carousel holds at most {most} images and videos, not {n}").format(
                most=MAX_CAROUSEL, n=len(media)))
        caption = self.caption(post)
        if len(caption) > CAPTION_LIMIT:
            raise Permanent(_("instagram: the caption is {n} characters — Instagram takes at most {most}").format(
                n=len(caption), most=CAPTION_LIMIT))
        for file in media:
            self._check_media(file)
        if len(media) == 1:
            file = media[0]
            if file.mime_type in VIDEO_TYPES:
                spec = meta.ContainerSpec({"media_type": "REELS", "video_url": str(file.url), "caption": caption},
                                          processed=True)
            else:
                params = {"image_url": str(file.url), "caption": caption}
                if file.alt_text:
                    params["alt_text"] = file.alt_text
                spec = meta.ContainerSpec(params)
            return [spec], None
        children = []
        for file in media:
            if file.mime_type in VIDEO_TYPES:
                children.append(meta.ContainerSpec({"media_type": "VIDEO", "video_url": str(file.url),
                                                    "is_carousel_item": "true"}, processed=True))
            else:
                params = {"image_url": str(file.url), "is_carousel_item": "true"}
                if file.alt_text:
                    params["alt_text"] = file.alt_text
                children.append(meta.ContainerSpec(params))

        def parent(ids: list[str]) -> meta.ContainerSpec:
            return meta.ContainerSpec({"media_type": "CAROUSEL", "children": ",".join(ids), "caption": caption})

        return children, parent

    @staticmethod
    def _check_media(file: MediaFile) -> None:
        name = file.path.name if file.path else _("a file")
        if not file.url:
            raise Permanent(_("instagram: {name} has no public address — Instagram fetches media from a public https "
                              "URL: configure [media] (public_url with public_dir or a bucket)").format(name=name))
        if file.mime_type not in IMAGE_TYPES | VIDEO_TYPES:
            raise Permanent(_("instagram: {name} is {type}; Instagram takes JPEG images and MP4/MOV videos — convert "
                              "it").format(name=name, type=file.mime_type))
        if not file.url.isascii():
            raise Permanent(_("instagram: the address of {name} is not plain ASCII — Meta fetches only US-ASCII "
                              "URLs").format(name=name))

    def _create_container(self, params: Mapping[str, str]) -> str:
        body = self.graph.call("POST", f"/{self.user_id}/media", data=params)
        return self._id_of(body, "media container")

    def _container_status(self, container_id: str) -> meta.ContainerStatus:
        body = self.graph.call("GET", f"/{container_id}", params={"fields": "status_code,status"})
        code = body.get("status_code") if isinstance(body, dict) else None
        if not isinstance(code, str):
            raise Transient(f"instagram GET /{container_id}: the answer has no status_code")
        return meta.ContainerStatus(code, str(body.get("status") or "")[:300])

    def _media_publish(self, container_id: str) -> str:
        body = self.graph.call("POST", f"/{self.user_id}/media_publish", data={"creation_id": container_id})
        return self._id_of(body, "published media")

    @staticmethod
    def _id_of(body: Any, what: str) -> str:
        value = body.get("id") if isinstance(body, dict) else None
        if isinstance(value, (str, int)) and not isinstance(value, bool) and str(value).strip():
            return str(value)
        raise Transient(f"instagram: the answer names no {what}")

    def _window_frees_at(self) -> datetime:
        """When the moving 24 hours of the publishing quota free a slot: 24 hours after the oldest
        post of the last 24 hours (an upper bound is 24 hours from now)."""
        now = self.clock()
        try:
            recent = self._recent_media(now - meta.DAILY_WINDOW, fields="id,timestamp")
        except ConnectorError as exc:
            log.info("instagram: recent media unreadable (%s); waiting a whole day", exc)
            return now + meta.DAILY_WINDOW
        times = [t for t in (parse_http_time(str(m.get("timestamp") or "")) for m in recent) if t is not None]
        oldest = [t for t in times if t > now - meta.DAILY_WINDOW]
        return min(oldest) + meta.DAILY_WINDOW if oldest else now + meta.DAILY_WINDOW

    # --- finding a post ------------------------------------------------------------------------------
    def _recent_media(self, since: datetime, fields: str = "id,caption,timestamp,permalink,media_product_type"
                      ) -> list[dict[str, Any]]:
        """The account's media newer than ``since``, newest first (at most ``MEDIA_PAGES`` pages, and no
        page past the first older media)."""
        found: list[dict[str, Any]] = []
        for item in self.graph.pages(f"/{self.user_id}/media", {"fields": fields, "limit": MEDIA_PAGE}, MEDIA_PAGES):
            when = parse_http_time(str(item.get("timestamp") or ""))
            if when is not None and when < since:
                break
            if item.get("id"):
                found.append(item)
        return found

    def find_existing(self, post: OutgoingPost, since: datetime) -> Published | None:
        """The post, if it went out. With ``progress``, its container says: ``PUBLISHED`` → find the
        media by caption near the time it was published; any other status → not out. Without, the
        account's media since ``since`` with the same caption."""
        wanted = _norm(self.caption(post))
        kept = meta.final_container(post.progress)
        if kept is not None:
            try:
                status = self._container_status(kept.id)
            except Permanent as exc:   # the container is unknown here: look by caption alone
                log.info("instagram: container %s unreadable (%s); looking by caption", kept.id, exc)
            else:
                if status.code.upper() != meta.PUBLISHED:
                    return None
                start = min(since, kept.created_at) - TIME_SLACK
                found = self._match(wanted, start, near=kept.publishing_at)
                if found is None:
                    raise Transient(f"instagram: container {kept.id} is published but its media is not among the "
                                    "account's recent media yet")
                return found
        return self._match(wanted, since - TIME_SLACK, near=None)

    def _match(self, wanted: str, since: datetime, near: datetime | None) -> Published | None:
        """The newest media since ``since`` with caption ``wanted`` (the one closest to ``near``)."""
        matches = []
        for item in self._recent_media(since):
            if _norm(str(item.get("caption") or "")) != wanted:
                continue
            when = parse_http_time(str(item.get("timestamp") or "")) or self.clock()
            matches.append((when, item))
        if not matches:
            return None
        if near is not None:
            matches.sort(key=lambda m: abs((m[0] - near).total_seconds()))
        when, item = matches[0]
        return Published(str(item["id"]), meta.web_link(item.get("permalink"), LINK_HOSTS), when)

    def delete(self, remote_id: str) -> None:
        raise NotSupported(_("instagram: the Instagram API with Instagram Login cannot delete a post — delete it in "
                             "the Instagram app (⋯ → Delete)"))

    # --- metrics and replies ----------------------------------------------------------------------------
    def metrics(self, remote_ids: Sequence[str]) -> MetricsBatch:
        """Counts and insights of each media, one at a time; media Instagram no longer has → ``missing``."""
        found: dict[str, Metrics] = {}
        missing: set[str] = set()
        for media_id in dict.fromkeys(remote_ids):
            path = f"/{media_id}"
            try:
                body = self.graph.call("GET", path, params={"fields": METRIC_FIELDS})
            except meta.NoSuchObject:
                missing.add(media_id)
                continue
            if not isinstance(body, dict):
                raise Transient(f"instagram GET {path}: the answer is not a media")
            found[media_id] = self._metrics_of(media_id, body)
        return MetricsBatch(found=found, missing=frozenset(missing))

    def _metrics_of(self, media_id: str, media: dict[str, Any]) -> Metrics:
        def count(value: Any) -> int | None:
            return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None

        product = str(media.get("media_product_type") or "FEED").upper()
        values = self.insights.read(media_id, product, INSIGHTS.get(product, ALL_INSIGHTS))
        raw: dict[str, Any] = {"media_product_type": product, "media_type": media.get("media_type")}
        for name in ("like_count", "comments_count"):
            if count(media.get(name)) is not None:
                raw[name] = media[name]
        if values is None:
            raw["insights"] = "not enough viewers"
            values = {}
        raw.update(values)
        likes = values.get("likes", count(media.get("like_count")))
        comments = values.get("comments", count(media.get("comments_count")))
        return Metrics(remote_id=media_id, likes=likes, replies=comments, impressions=values.get("views"),
                       reach=values.get("reach"), bookmarks=values.get("saved"), shares=values.get("shares"), raw=raw)

    def replies(self, remote_id: str, since: datetime | None = None) -> list[Reply]:
        """Comments on the media and the replies under them, by others, and the account's own replies
        under comments (``ours``: they mark a comment as answered); at most ``COMMENT_PAGES`` pages
        of comments from the newest, then at most as many of those the last polls left (past that
        cap, or past a page that failed: ``meta.comments_and_rest``), returned whatever their time
        (each answer bounded by the HTTP client). A comment's
        nested ``replies`` field shows only its first page: when it says there is more
        (``paging.next`` on this host), the rest is read on the comment's replies edge
        (``_follow_later``). Each id once; a comment without an id is passed over; one whose time
        cannot be read counts as seen now."""
        own = self._own_username().lower()
        fields = f"id,text,username,timestamp,replies{{{REPLY_FIELDS}}}"
        found: list[Reply] = []
        seen: set[str] = set()
        busy: list[tuple[str, Iterator[dict[str, Any]]]] = []
        for comment, older in meta.comments_and_rest(
                self.graph, self.unread_comments, remote_id, {"fields": fields, "limit": COMMENT_PAGE},
                since=since, max_pages=COMMENT_PAGES, time_of=self._time_of, stop_at_since=False):
            self._add_reply(found, seen, comment, remote_id, own, None if older else since, remote_id)
            parent = str(comment.get("id") or remote_id)
            nested = comment.get("replies")
            if not isinstance(nested, dict):
                continue
            data = nested.get("data")
            answers: Iterable[Any] = data if isinstance(data, list) else []
            for answer in answers:
                if isinstance(answer, dict):
                    self._add_reply(found, seen, answer, parent, own, None if older else since, remote_id)
            more = self._later_replies(parent, nested) if parent != remote_id else None
            if more is not None and all(parent != c for c, _more in busy):  # (no request until it is read)
                busy.append((parent, more))
        self._follow_later(remote_id, busy, found, seen, own)
        return found

    def _follow_later(self, media: str, busy: list[tuple[str, Iterator[dict[str, Any]]]], found: list[Reply],
                      seen: set[str], own: str) -> None:
        """Read the later replies of at most ``REPLY_COMMENTS`` of the ``busy`` comments (with the
        pages they have past the nested one), those left unread by the last poll first. The others,
        and one whose pages fail partway (what was read is kept), are left unread for the next poll
        (``UnreadReplies``); their replies are returned whatever their time, so one read a poll
        later than it was written is not taken for one stored already. A refused token or a rate
        limit stops the whole read (the next poll starts again from the last one's list)."""
        waiting = {comment: rank for rank, comment in enumerate(self.unread.comments(media))}
        unread: list[str] = []
        followed = 0
        for comment, more in sorted(busy, key=lambda item: waiting.get(item[0], len(waiting))):
            if followed == REPLY_COMMENTS:
                unread.append(comment)
                continue
            followed += 1
            try:
                for answer in more:
                    self._add_reply(found, seen, answer, comment, own, None, media)
            except (RateLimited, AuthExpired):
                raise
            except ConnectorError as exc:
                log.warning("instagram: the later replies under comment %s of media %s were not all read (%s); "
                            "the rest are read at the next poll", comment, media, exc)
                unread.append(comment)
        if len(busy) > REPLY_COMMENTS:
            log.info("instagram: media %s has %d comments with more replies than their first page; the later "
                     "replies of %d are read at the next poll", media, len(busy), len(busy) - REPLY_COMMENTS)
        self.unread.keep(media, unread)

    def _later_replies(self, comment_id: str, nested: dict[str, Any]) -> Iterator[dict[str, Any]] | None:
        """The replies under ``comment_id`` past the first page its nested field showed, read on
        ``GET /{comment}/replies`` from the nested page's ``after`` cursor (or its ``next`` link);
        None when there are none (no ``paging.next``: Graph leaves it out at the end), or when the
        answer cannot be followed safely: a ``next`` off this host, a comment id that is not one."""
        paging = nested.get("paging")
        nxt = paging.get("next") if isinstance(paging, dict) else None
        if nxt is None:
            return None
        if not self.graph.own_url(nxt):
            log.warning("instagram: the next page of replies under comment %s is not on %s; not followed",
                        comment_id[:40], self.graph.http.base_url)
            return None
        if not COMMENT_ID.fullmatch(comment_id):
            log.warning("instagram: a comment id that is not one (%r); its later replies are not read",
                        comment_id[:40])
            return None
        cursors = paging.get("cursors") if isinstance(paging, dict) else None
        after = cursors.get("after") if isinstance(cursors, dict) else None
        if isinstance(after, str) and 0 < len(after) <= MAX_CURSOR:
            pages = self.graph.pages(f"/{comment_id}/replies",
                                     {"fields": REPLY_FIELDS, "limit": REPLY_PAGE, "after": after}, REPLY_PAGES)
        else:
            pages = self.graph.pages(nxt, {}, REPLY_PAGES)

        def unless_gone() -> Iterator[dict[str, Any]]:
            try:
                yield from pages
            except meta.NoSuchObject:  # the comment was deleted meanwhile: nothing more under it
                return
        return unless_gone()

    def _time_of(self, item: dict[str, Any]) -> datetime:
        """When a comment was written (now, when its time cannot be read)."""
        return parse_http_time(str(item.get("timestamp") or "")) or self.clock()

    def _add_reply(self, found: list[Reply], seen: set[str], item: dict[str, Any], parent: str, own: str,
                   since: datetime | None, top: str) -> None:
        if not item.get("id") or str(item["id"]) in seen:
            return
        author = str(item.get("username") or "")
        ours = bool(own) and author.lower() == own
        if ours and parent == top:  # a comment of the account's own on its post: no answer to anyone
            return
        created = parse_http_time(str(item.get("timestamp") or "")) or self.clock()
        if since is not None and created < since and not ours:
            return
        seen.add(str(item["id"]))
        found.append(Reply(remote_id=str(item["id"]), author=author or "unknown", text=str(item.get("text") or ""),
                           created_at=created, language=None, in_reply_to=parent, ours=ours))

