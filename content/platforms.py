"""Each platform as one record: what ``content`` must know of it (names, how text is counted and
its limit, media rules, default cap), declared once; every other table is derived from these.

The names match ``connectors.registry`` (``content`` may not import it; a test checks that both
declare the same platforms), so core can pass an account's ``platform`` string straight through.
A new platform is a record here, one in ``connectors.registry``, its connector module, its fake and
its tests.
"""

from __future__ import annotations

from dataclasses import dataclass
from gettext import gettext as _

from content.mime import GIF, JPEG, MB, MP4, PNG, QUICKTIME, WEBP


@dataclass(frozen=True)
class MediaRules:
    """What one platform accepts in a single post.

    ``max_bytes`` maps each accepted MIME type to its size limit; ``max_count`` is the most files in
    one post; ``alone`` lists types that must be the post's only file (a video, an animated GIF).
    ``max_edge`` (the longer side) and ``max_pixels`` (width × height) bound still images, which
    campaigner scales to fit (``campaigner.imaging``). ``source`` says where the numbers come from.
    """

    platform: str
    max_count: int
    max_bytes: dict[str, int]
    alone: frozenset[str]
    source: str
    max_edge: int | None = None
    max_pixels: int | None = None
    #: a post must carry at least one file (Instagram)
    required: bool = False
    #: width ÷ height allowed for still images (Instagram: 4:5 … 1.91:1); None = any
    min_aspect: float | None = None
    max_aspect: float | None = None

    @property
    def accepted(self) -> tuple[str, ...]:
        """Accepted MIME types, in a stable order."""
        return tuple(self.max_bytes)


@dataclass(frozen=True)
class Platform:
    """What the text and media rules need to know of one platform.

    ``count`` names how a text's length is counted (``content.length`` has one function for each:
    ``x-weighted``, ``mastodon``, ``graphemes``, ``utf16``, ``threads``) and ``unit`` what the count is in;
    ``limit`` is the default limit in that unit, ``limit_with_media`` the limit when media is
    attached (Telegram's captions), ``byte_limit`` a second limit in UTF-8 bytes (Bluesky) and
    ``invalid_chars`` code points the platform refuses outright. ``own_limit``: an account may set
    its own limit (a Mastodon instance's, X Premium's). ``default_daily_cap``: the cap an account
    gets when none is given (X's free tier).
    """

    name: str
    label: str
    count: str
    unit: str
    limit: int
    media: MediaRules
    aliases: tuple[str, ...] = ()
    limit_with_media: int | None = None
    byte_limit: int | None = None
    invalid_chars: tuple[str, ...] = ()
    own_limit: bool = False
    default_daily_cap: int | None = None
    threads: bool = True
    max_hashtags: int | None = None
    max_mentions: int | None = None


RECORDS: tuple[Platform, ...] = (
    Platform("x", "X", count="x-weighted", unit="weighted characters",
             limit=280,  # twitter-text config v3 maxWeightedTweetLength
             aliases=("twitter",), invalid_chars=("\ufffe", "\ufeff", "\uffff"),  # twitter-text invalidCharsGroup
             own_limit=True,  # X Premium's long posts
             default_daily_cap=17,  # the free tier's 17 posts per 24 hours
             media=MediaRules(
                 "x", 4, {JPEG: 5 * MB, PNG: 5 * MB, WEBP: 5 * MB, GIF: 15 * MB, MP4: 512 * MB},
                 frozenset({GIF, MP4}),
                 "X media best practices: images ≤ 5 MB, animated GIF ≤ 15 MB, video ≤ 512 MB; "
                 "up to 4 images, or 1 GIF, or 1 video (POST /2/tweets media_ids 1..4)")),
    Platform("mastodon", "Mastodon", count="mastodon", unit="characters",
             limit=500,  # vanilla instance configuration.statuses.max_characters; read yours from the instance
             own_limit=True,  # each instance sets its own
             media=MediaRules(
                 "mastodon", 4,
                 {JPEG: 16 * MB, PNG: 16 * MB, GIF: 16 * MB, WEBP: 16 * MB, MP4: 103809024},
                 frozenset({MP4}),
                 "vanilla Mastodon instance configuration: max_media_attachments 4, image_size_limit "
                 "16777216, image_matrix_limit 33177600 pixels, video_size_limit 103809024; a video cannot "
                 "be combined with images", max_pixels=33_177_600)),
    Platform("bluesky", "Bluesky", count="graphemes", unit="characters",
             limit=300,  # app.bsky.feed.post text maxGraphemes
             byte_limit=3000,  # app.bsky.feed.post text maxLength, in UTF-8 bytes
             aliases=("bsky",),
             media=MediaRules(
                 "bluesky", 4, {JPEG: 2_000_000, PNG: 2_000_000, WEBP: 2_000_000, GIF: 2_000_000,
                                        MP4: 50_000_000},
                 frozenset({MP4}),
                 "app.bsky.embed.images: ≤ 4 images, blob maxSize raised from 1,000,000 to 2,000,000 bytes "
                 "in 2026 (bsky-docs#414); app.bsky.embed.video: one video/mp4 ≤ 50,000,000 bytes; the "
                 "Bluesky app itself scales images to 2000 px, so larger ones gain nothing", max_edge=2000)),
    Platform("telegram", "Telegram channel", count="utf16", unit="characters",
             limit=4096,  # sendMessage text, "1-4096 characters after entities parsing"
             limit_with_media=1024,  # captions (sendPhoto / sendMediaGroup)
             aliases=("tg",),
             media=MediaRules(
                 "telegram", 10, {JPEG: 10_000_000, PNG: 10_000_000, WEBP: 10_000_000, GIF: 50_000_000,
                                          MP4: 50_000_000},
                 frozenset({GIF}),
                 "Bot API: sendPhoto ≤ 10 MB, other uploads ≤ 50 MB; sendMediaGroup 2–10 photos/videos "
                 "(a single file goes by sendPhoto/sendVideo); an animation (GIF) cannot join an album; a "
                 "photo's width + height at most 10,000 (kept by a 5,000 px longer side)", max_edge=5000)),
    Platform("facebook", "Facebook Page", count="graphemes", unit="characters",
             limit=63206,  # commonly quoted Page post limit (not documented by Meta)
             aliases=("fb",),
             media=MediaRules(
                 "facebook", 10, {JPEG: 4_000_000, PNG: 4_000_000, GIF: 4_000_000, WEBP: 4_000_000,
                                          MP4: 1_000_000_000},
                 frozenset({MP4}),
                 "Graph API page photos: JPEG/PNG/GIF/WEBP under 4 MB; videos via graph-video ≤ 1 GB "
                 "non-resumable; at most 10 photos per post is this project's conservative choice")),
    Platform("instagram", "Instagram", count="utf16", unit="characters",
             # IG-MEDIA caption: "Maximum 2200 characters, 30 hashtags, and 20 @ tags"; Meta does not say how it
             # counts, so the stricter reading (UTF-16 units: an emoji counts 2) is checked
             limit=2200,
             aliases=("ig", "insta"),
             threads=False,  # a reply chain has no meaning on Instagram
             max_hashtags=5,  # Instagram's product-wide cap since December 2025 (the API still documents 30)
             max_mentions=20,
             default_daily_cap=None,  # the quota comes from the API (content_publishing_limit)
             media=MediaRules(
                 "instagram", 10, {JPEG: 8 * MB, MP4: 300 * MB, QUICKTIME: 300 * MB},
                 frozenset(),
                 "Instagram content publishing: JPEG images only, at most 8 MiB (error 2207004), aspect ratio "
                 "4:5 to 1.91:1, at most 1440 px wide (kept by a 1,440 px longer side); reels MP4/MOV up to 300 MB "
                 "(3rd-party figure); a carousel holds 2-10 images and videos; every post needs media",
                 max_edge=1440, required=True, min_aspect=0.8, max_aspect=1.91)),
    Platform("threads", "Threads", count="threads", unit="characters",
             limit=500,  # "Text posts are limited to 500 characters"; an emoji counts its UTF-8 bytes
             aliases=("th",),
             # no default cap: the account's quota comes from threads_publishing_limit (250 per 24 h)
             media=MediaRules(
                 "threads", 20, {JPEG: 8 * MB, PNG: 8 * MB, MP4: 1_000_000_000, QUICKTIME: 1_000_000_000},
                 frozenset(),
                 "Threads API (developers.facebook.com/docs/threads/posts, overview): images JPEG or PNG "
                 "≤ 8 MB, aspect ratio up to 10:1; video MOV or MP4 ≤ 1 GB, ≤ 5 minutes; a carousel holds "
                 "2–20 images and videos mixed; media is fetched by Meta from a public URL",
                 min_aspect=0.1, max_aspect=10.0)),
    Platform("sandbox", "Sandbox (offline)", count="graphemes", unit="characters",
             limit=5000,  # the offline connector; roomy but finite so tests can exceed it
             own_limit=True,  # to try --char-limit offline
             media=MediaRules(
                 "sandbox", 10, {JPEG: 50 * MB, PNG: 50 * MB, GIF: 50 * MB, WEBP: 50 * MB, MP4: 50 * MB},
                 frozenset(), "offline sandbox connector: permissive but finite")),
)

#: every record by its canonical name
BY_NAME: dict[str, Platform] = {p.name: p for p in RECORDS}
PLATFORMS: tuple[str, ...] = tuple(BY_NAME)

# Common spellings staff type; the canonical name is what the rest of the project stores.
_ALIASES: dict[str, str] = {alias: p.name for p in RECORDS for alias in p.aliases}


def check_platform(platform: str) -> str:
    """Return the canonical platform name for ``platform`` (case-insensitive, or an alias).

    Raises ValueError naming the accepted platforms, so a typo never falls back to a default limit.
    """
    if type(platform) is str and platform in BY_NAME:  # the usual case: a stored name, per row of an import
        return platform
    key = str(platform).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in BY_NAME:
        raise ValueError(_("unknown platform {platform!r} — use one of: {platforms}")
                         .format(platform=platform, platforms=", ".join(sorted(PLATFORMS))))
    return key


def platform_record(platform: str) -> Platform:
    """The record of ``platform`` (any accepted spelling); ValueError for an unknown platform."""
    return BY_NAME[check_platform(platform)]
