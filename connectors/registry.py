"""Each platform's wire-side record: its secret fields, default host, connector class, what it can
do (look for a post, replies, which metrics) and how a post's address gives its id — declared once.

``content.platforms`` holds the text and media side of the same platforms (a test checks that both
declare the same names). Connector modules are imported only when a connector is built, so listing
platforms stays cheap.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping
from urllib.parse import SplitResult, parse_qs

from connectors.base import N_, AccountConfig, Connector, CountsTags

def _last_number(url: SplitResult, segs: list[str]) -> str | None:
    """t.me/<channel>/<id>, t.me/c/<chat>/<id>; <instance>/@user/<id>"""
    return segs[-1] if segs and segs[-1].isdigit() else None


def _x_status(url: SplitResult, segs: list[str]) -> str | None:
    """x.com/<user>/status/<id>"""
    return segs[-1] if len(segs) >= 2 and segs[-2] == "status" and segs[-1].isdigit() else None


def _bluesky_post(url: SplitResult, segs: list[str]) -> str | None:
    """bsky.app/profile/did:…/post/<rkey> (a handle in place of the DID does not tell the account)"""
    if len(segs) == 4 and segs[0] == "profile" and segs[2] == "post" and segs[1].startswith("did:"):
        return f"at://{segs[1]}/app.bsky.feed.post/{segs[3]}"
    return None


def _facebook_post(url: SplitResult, segs: list[str]) -> str | None:
    """facebook.com/<page>/posts/<post> with numeric ids, or permalink.php?story_fbid=…&id=…"""
    q = parse_qs(url.query)
    if len(segs) >= 3 and segs[-2] == "posts" and segs[-3].isdigit() and segs[-1].isdigit():
        return f"{segs[-3]}_{segs[-1]}"
    if q.get("story_fbid", [""])[0].isdigit() and q.get("id", [""])[0].isdigit():
        return f"{q['id'][0]}_{q['story_fbid'][0]}"
    return None


def _no_address(url: SplitResult, segs: list[str]) -> str | None:
    """instagram.com/p/<shortcode>: the shortcode is not the media id the API uses (nor is a sandbox
    post anywhere)"""
    return None


@dataclass(frozen=True)
class PlatformInfo:
    """One platform's wire side.

    ``can_find_existing``: the connector can look for a post on the account (so an unknown outcome
    is settled without a person); ``replies``: it can fetch replies; ``metrics``: the ``Metrics``
    fields it fills (the others are always None: the platform does not tell); ``key``: the kind of
    idempotency key each post part gets (``random`` 128 bits, or an atproto ``tid`` record key);
    ``post_id``: the post's id from its address (None when the address does not tell), and
    ``id_hint`` what to give instead. ``metric_labels``: the platform's own name for a ``Metrics``
    field where it differs (Instagram's ``impressions`` are "views", its ``bookmarks`` "saves").
    ``media_by_url``: the platform fetches media from a public address (``MediaFile.url``, the
    ``[media]`` host) instead of taking an upload; ``quota``: the connector reports the platform's
    own publishing quota (``HasQuota``); ``refreshes_token``: its token can be renewed before it
    expires (``RefreshesToken``), and ``refresh_secret`` is the secret field that token is kept in
    (known before renewing: a token read from an environment variable cannot be rewritten, so it
    is not renewed, and the renewed one would be lost). ``counts_tags``: the connector counts public
    posts per hashtag and day (``CountsTags``, listening); ``public_tag_counts``: the class (in
    ``module``) that does so for a server campaigner has no account on, built with its base URL
    (Mastodon's public tag history), or None; ``tag_counts_secret``: the secret field of the account
    whose credentials count there (what to renew when the platform refuses them).
    ``answers``: a post can answer someone's reply, threaded under it (``OutgoingPost.answer``: the
    inbox's ``replies answer``); ``no_answers`` says why not where it cannot.
    """

    name: str
    label: str
    secret_fields: tuple[str, ...]
    optional_secret_fields: tuple[str, ...]
    default_base_url: str | None
    module: str
    class_name: str
    can_find_existing: bool
    replies: bool
    metrics: tuple[str, ...]
    post_id: Callable[[SplitResult, list[str]], str | None]
    id_hint: str = "its id"
    key: str = "random"
    metric_labels: Mapping[str, str] = field(default_factory=dict)
    media_by_url: bool = False
    quota: bool = False
    refreshes_token: bool = False
    refresh_secret: str = "ACCESS_TOKEN"
    counts_tags: bool = False
    public_tag_counts: str | None = None
    tag_counts_secret: str | None = None
    answers: bool = False
    no_answers: str = ""

    def metric_label(self, metric: str) -> str:
        """What the platform calls the ``Metrics`` field ``metric``."""
        return self.metric_labels.get(metric, metric)


PLATFORMS: dict[str, PlatformInfo] = {
    p.name: p
    for p in (
        PlatformInfo("x", "X", ("API_KEY", "API_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET"),
                     ("BEARER_TOKEN", "USER_ID"), "https://api.twitter.com", "connectors.x", "XConnector",
                     can_find_existing=True, replies=True,
                     metrics=("likes", "reposts", "replies", "quotes", "impressions", "bookmarks"),
                     post_id=_x_status, counts_tags=True, tag_counts_secret="BEARER_TOKEN", answers=True),
        PlatformInfo("mastodon", "Mastodon", ("ACCESS_TOKEN",), (), "https://mastodon.social",
                     "connectors.mastodon", "MastodonConnector", can_find_existing=True, replies=True,
                     metrics=("likes", "reposts", "replies", "quotes"), post_id=_last_number,
                     counts_tags=True, public_tag_counts="MastodonInstance", tag_counts_secret="ACCESS_TOKEN",
                     answers=True),
        PlatformInfo("bluesky", "Bluesky", ("IDENTIFIER", "APP_PASSWORD"), (), "https://bsky.social",
                     "connectors.bluesky", "BlueskyConnector", can_find_existing=True, replies=True,
                     metrics=("likes", "reposts", "replies", "quotes", "bookmarks"), post_id=_bluesky_post,
                     id_hint="its at:// URI (bsky.app links with a handle do not tell the account's DID)",
                     key="tid", counts_tags=True, tag_counts_secret="APP_PASSWORD", answers=True),
        PlatformInfo("facebook", "Facebook Page", ("PAGE_ID", "PAGE_ACCESS_TOKEN"), (),
                     "https://graph.facebook.com", "connectors.facebook", "FacebookConnector",
                     can_find_existing=True, replies=True, metrics=("likes", "reposts", "replies", "impressions"),
                     post_id=_facebook_post, id_hint="its id PAGEID_POSTID", answers=True),
        PlatformInfo("instagram", "Instagram", ("USER_ID", "ACCESS_TOKEN"), (), "https://graph.instagram.com",
                     "connectors.instagram", "InstagramConnector", can_find_existing=True, replies=True,
                     metrics=("likes", "replies", "impressions", "bookmarks", "reach", "shares"),
                     post_id=_no_address,
                     id_hint="its media id (a long number, from `post show` or the API; an instagram.com/p/… "
                             "address does not tell it)",
                     metric_labels={"impressions": "views", "bookmarks": "saves", "replies": "comments"},
                     media_by_url=True, quota=True, refreshes_token=True,
                     no_answers=N_("campaigner cannot post replies to Instagram comments yet")),
        PlatformInfo("telegram", "Telegram channel", ("BOT_TOKEN", "CHAT_ID"), (),
                     "https://api.telegram.org", "connectors.telegram", "TelegramConnector",
                     can_find_existing=False, replies=False, metrics=(), post_id=_last_number,
                     no_answers=N_("Telegram channels have no replies")),
        PlatformInfo("threads", "Threads", ("ACCESS_TOKEN",), ("USER_ID",), "https://graph.threads.net",
                     "connectors.threads", "ThreadsConnector", can_find_existing=True, replies=True,
                     metrics=("impressions", "likes", "replies", "reposts", "quotes", "shares"),
                     post_id=_no_address, metric_labels={"impressions": "views"},
                     id_hint="its media id (a threads.net address shows only a shortcode)",
                     media_by_url=True, quota=True, refreshes_token=True, answers=True),
        PlatformInfo("sandbox", "Sandbox (offline)", (), (), None, "connectors.sandbox", "SandboxConnector",
                     can_find_existing=True, replies=True,
                     metrics=("likes", "reposts", "replies", "quotes", "impressions"), post_id=_no_address,
                     counts_tags=True, answers=True),
    )
}


def platform_info(name: str) -> PlatformInfo:
    """The platform called ``name``; KeyError if there is none."""
    return PLATFORMS[name]


def connector_class(name: str) -> Any:
    """The connector class of platform ``name`` (its module imported now; a class keeping the
    ``Connector`` protocol, built with an ``AccountConfig``)."""
    info = PLATFORMS[name]
    return getattr(importlib.import_module(info.module), info.class_name)


def public_tag_counter(name: str, base_url: str, **options) -> CountsTags:
    """What counts platform ``name``'s hashtags on the server at ``base_url`` without an account
    (``PlatformInfo.public_tag_counts``); KeyError for a platform that has none."""
    info = PLATFORMS[name]
    if info.public_tag_counts is None:
        raise KeyError(name)
    return getattr(importlib.import_module(info.module), info.public_tag_counts)(base_url, **options)


def build_connector(config: AccountConfig, **options) -> Connector:
    """A connector for ``config.platform``, pointed at the account's base URL (or the default)."""
    return connector_class(config.platform)(config, **options)
