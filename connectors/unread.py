"""The comments of a post whose later replies a poll left unread, kept for the next poll.

A poll follows the pages of replies of only so many busy comments, and a page may fail partway; the
comments left are read first at the next poll (so none waits forever behind busier ones). Kept in
a JSON file in the account's private state folder (``AccountConfig.state_dir``), which a connector
built at each poll reads back; in memory only when there is none. The file is read as untrusted
(it may be broken or old): ids that are not comment ids are dropped, and so are posts not polled
for ``KEPT`` and all but the ``MAX_POSTS`` newest.

``UnreadComments`` keeps, the same way, where a post's own comments left unread start: past the
per-poll cap of comments, or past a page of them that failed.
"""
from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Callable

from connectors.state_file import write_json

log = logging.getLogger(__name__)

#: how long a post's unread comments are kept without a poll of it (replies are polled for a week)
KEPT = timedelta(days=14)
#: the most posts kept, and the most comments kept per post
MAX_POSTS = 1000
MAX_COMMENTS = 500


class UnreadReplies:
    """Post id → the ids of its comments whose later replies are still to be read, oldest wait first."""

    def __init__(self, state_dir: Path | None, name: str, comment_id: re.Pattern[str],
                 clock: Callable[[], datetime]):
        self.path = Path(state_dir) / name if state_dir is not None else None
        self.comment_id = comment_id
        self.clock = clock
        self._posts: dict[str, dict[str, Any]] | None = None

    def comments(self, post: str) -> list[str]:
        """The comments of ``post`` left unread by the last poll, in the order they wait."""
        entry = self._load().get(post)
        return list(entry["comments"]) if entry else []

    def keep(self, post: str, comments: list[str]) -> None:
        """What this poll of ``post`` left unread (none: it is forgotten); written at once."""
        posts = self._load()
        before = posts.get(post)
        if not comments and before is None:
            return
        if comments:
            posts[post] = {"at": self.clock().isoformat(), "comments": comments[:MAX_COMMENTS]}
        else:
            del posts[post]
        self._write(posts)

    def _load(self) -> dict[str, dict[str, Any]]:
        if self._posts is None:
            self._posts = self._read()
        return self._posts

    def _read(self) -> dict[str, dict[str, Any]]:
        posts: dict[str, dict[str, Any]] = {}
        for post, entry in _read_json(self.path, "unread replies").items():
            if not isinstance(entry, dict) or not isinstance(entry.get("comments"), list):
                continue
            at = _aware(entry.get("at"))
            ids = [c for c in entry["comments"][:MAX_COMMENTS] if isinstance(c, str) and self.comment_id.fullmatch(c)]
            if ids and at is not None and len(post) <= 100:
                posts[post] = {"at": at.isoformat(), "comments": ids}
        return _bounded(posts, self.clock())

    def _write(self, posts: dict[str, dict[str, Any]]) -> None:
        # the replies read are still returned when it cannot be written; the next poll reads in the usual order
        self._posts = posts = _bounded(posts, self.clock())
        _write(self.path, posts, "unread replies")


#: what a paging cursor kept for the next poll may look like (Graph's are URL-safe base64); longer
#: or other text is not a cursor (a broken or hostile file) and is dropped
MAX_CURSOR = 1024
CURSOR = re.compile(r"[A-Za-z0-9_=+/%.~-]{1," + str(MAX_CURSOR) + "}")


def cursor(value: Any) -> str | None:
    """``value`` when it can be a paging cursor (``CURSOR``), else None."""
    return value if isinstance(value, str) and CURSOR.fullmatch(value) else None


@dataclass(frozen=True)
class Rest:
    """What the polls of a post left of its comments (newest first): those from ``after`` (a
    paging cursor of its comments edge; None: none are left) down to the end, under the comment
    read last from the top before them, at ``start`` (None: not known). A poll that reads from the
    top down to ``start`` leaves no hole above them."""

    after: str | None
    start: datetime | None


class UnreadComments:
    """Post id → where its comments left unread by the last polls start (``Rest``): the oldest
    past the per-poll cap, or past a page that failed (and once all are read, where the first of
    them was, so that a poll reaching it from the top knows none is left). At most one per post: a new hole above an
    older one is read from its own cursor down through the older one (what is read twice is
    stored once). Kept like ``UnreadReplies`` (a JSON file in the account's state folder, read as
    untrusted: cursors must match ``CURSOR``, times must be aware; ``KEPT``, ``MAX_POSTS``)."""

    def __init__(self, state_dir: Path | None, name: str, clock: Callable[[], datetime]):
        self.path = Path(state_dir) / name if state_dir is not None else None
        self.clock = clock
        self._posts: dict[str, dict[str, Any]] | None = None

    def rest(self, post: str) -> Rest | None:
        entry = self._load().get(post)
        if entry is None:
            return None
        start = entry.get("start")
        return Rest(entry.get("after"), datetime.fromisoformat(start) if start else None)

    def keep(self, post: str, rest: Rest | None) -> None:
        """What this poll of ``post`` left unread (None: nothing); written at once when it changed."""
        posts = self._load()
        before = posts.get(post)
        if rest is not None and rest.after is None and rest.start is None:
            rest = None
        if rest is None:
            if before is None:
                return
            del posts[post]
        else:
            if (rest.after is not None and cursor(rest.after) is None) or len(post) > 100:
                log.warning("a cursor of the comments of %s is not one; the rest is not read", post[:40])
                return
            entry = {"at": self.clock().isoformat(), "after": rest.after,
                     "start": rest.start.isoformat() if rest.start is not None else None}
            if before is not None and {**before, "at": ""} == {**entry, "at": ""}:
                return
            posts[post] = entry
        self._posts = _bounded(posts, self.clock())
        _write(self.path, self._posts, "unread comments")

    def _load(self) -> dict[str, dict[str, Any]]:
        if self._posts is None:
            self._posts = _bounded(self._read(), self.clock())
        return self._posts

    def _read(self) -> dict[str, dict[str, Any]]:
        posts: dict[str, dict[str, Any]] = {}
        for post, entry in _read_json(self.path, "unread comments").items():
            if not isinstance(entry, dict) or len(post) > 100:
                continue
            after, at, start = cursor(entry.get("after")), _aware(entry.get("at")), _aware(entry.get("start"))
            if at is None or (entry.get("after") is not None and after is None) or (after is None and start is None):
                continue
            posts[post] = {"at": at.isoformat(), "after": after,
                           "start": start.isoformat() if start is not None else None}
        return posts


def _aware(value: Any) -> datetime | None:
    """``value`` as an aware time (ISO 8601), else None."""
    try:
        when = datetime.fromisoformat(value) if isinstance(value, str) and len(value) <= 64 else None
    except ValueError:
        return None
    return when if when is not None and when.tzinfo is not None else None


def _read_json(path: Path | None, what: str) -> dict[str, Any]:
    if path is None:
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.warning("the list of %s %s cannot be read (%s); starting anew", what, path, exc)
        return {}
    return data if isinstance(data, dict) else {}


def _bounded(posts: dict[str, dict[str, Any]], now: datetime) -> dict[str, dict[str, Any]]:
    """Without the posts not polled for ``KEPT``; the ``MAX_POSTS`` polled last."""
    fresh = [(post, entry) for post, entry in posts.items() if now - datetime.fromisoformat(entry["at"]) <= KEPT]
    fresh.sort(key=lambda item: datetime.fromisoformat(item[1]["at"]), reverse=True)
    return dict(fresh[:MAX_POSTS])


def _write(path: Path | None, posts: dict[str, dict[str, Any]], what: str) -> None:
    if path is None:
        return
    try:
        write_json(path, posts)
    except OSError as exc:  # what was read is still returned; the next poll reads in the usual order
        log.warning("the list of %s %s cannot be written (%s)", what, path, exc)
