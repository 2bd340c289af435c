"""Hostile replies: what strangers, and servers that ignore their platform's limits, may send.

A pytest plugin (listed in tests/conftest.py): ``hostile_replies(fake, remote_id)`` adds them to a
post on a platform fake, which serves them in the platform's own wire format. Each platform gets
the longest values it allows (so a test on PostgreSQL shows they fit) and values beyond them;
plus control characters, terminal escapes, bidi overrides, HTML entities and whole-room mentions.
"""
from __future__ import annotations

from dataclasses import dataclass

import pytest

#: what each platform allows at most, from its documentation:
#: X: username (screen name) 15 characters (display name 50, not stored), posts 25,000 characters
#: for Premium long posts; Mastodon: a local username 30 characters, but ``acct`` adds the remote
#: server's domain (a DNS name, up to 253) and other servers set their own limits; Bluesky:
#: handle 253 characters, language tags are any BCP-47 tag, posts 3,000 bytes; Facebook: a name
#: has no documented limit, comments 8,000 characters.
LONGEST = {
    "x": {"author": "u" * 15, "text": "Upah & harga <naik>!" * 1250, "language": "zh-tw"},
    "mastodon": {"author": "m" * 30, "domain": ".".join(["d" * 63] * 3 + ["d" * 61]),
                 "text": ("Setuju! " * 63)[:499] + "!", "language": "zh-Hant-TW"},
    "bluesky": {"author": ".".join(["b" * 63] * 3 + ["b" * 61]), "text": ("Setuju. " * 38)[:299] + ".",
                "language": "sr-Latn-RS"},
    "facebook": {"author": "Budi " * 80, "text": ("Setuju banget! " * 534)[:7999] + "!", "language": None},
}
#: a text no language detector names, so the platform's tag is what is stored
UNDETECTED = "支持工人！"


@dataclass(frozen=True)
class Hostile:
    key: str
    author: str
    text: str
    language: str | None = "id"
    domain: str | None = None  # Mastodon: the replier's server


def hostile(platform: str) -> list[Hostile]:
    """The hostile replies for ``platform`` (each ``key`` says what it tries)."""
    top = LONGEST[platform]
    replies = [
        Hostile("longest", top["author"], top["text"], "id", top.get("domain")),
        Hostile("long tag", "lin", UNDETECTED, top["language"]),
        Hostile("beyond tag", "mei", UNDETECTED, "zh-Hant-TW-" + "-".join(["abcdefgh"] * 6)),
        Hostile("beyond", "panjang" * 150, "tolak " * 6000 + "akhir",
                "en-" + "-".join(["abcdefgh"] * 8), "e" * 300 + ".example"),
        Hostile("controls", "budi\n\x1b[31msantoso\x00", "Setuju\x00 upah\x1b[2J\x1b]0;pwned\x07 naik "
                "\u202egnp.exe\u202c!\r\nbaris dua\x9b31m", "id"),
        Hostile("entities", "sari", 'Upah & harga <naik> &amp; "Tapera" — setuju!', "in"),
        Hostile("mentions", "ana", "@everyone @here @channel tolak Tapera, setuju banget!", "id"),
        Hostile("bad tag", "joko", "Setuju, upah harus naik", "'; DROP TABLE replies; --"),
    ]
    if platform == "facebook":  # no language on a comment
        replies = [Hostile(r.key, r.author, r.text, None) for r in replies]
    return replies


@pytest.fixture
def hostile_replies(clock):
    """``hostile_replies(fake, remote_id, keys=None)`` adds the hostile replies (all, or those
    whose key is in ``keys``) to the post on the fake; returns [(reply, its remote id)]."""

    def add(fake, remote_id: str, keys: tuple[str, ...] | None = None) -> list[tuple[Hostile, str]]:
        replies = [r for r in hostile(fake.platform) if keys is None or r.key in keys]
        out = []
        for r in replies:
            extra: dict = {}
            if fake.platform in ("x", "bluesky", "mastodon"):
                extra["language"] = r.language
            if fake.platform == "mastodon" and r.domain:
                extra["domain"] = r.domain
            out.append((r, fake.add_reply(remote_id, r.author, r.text, clock.now, **extra)))
        return out

    return add
