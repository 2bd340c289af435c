"""The comments of a post whose later replies a poll left unread, kept for the next poll.

A poll follows the pages of replies of only so many busy comments, and a page may fail partway; the
comments left are read first at the next poll (so none waits forever behind busier ones). Kept in
a JSON file in the account's private state folder (``AccountConfig.state_dir``), which a connector
built at each poll reads back; in memory only when there is none. The file is read as untrusted
(it may be broken or old): ids that are not comment ids are dropped, and so are posts not polled
for ``KEPT`` and all but the ``MAX_POSTS`` newest.
"""
from __future__ import annotations

import json
import logging
import re
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
        if self.path is None:
            return {}
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.warning("the list of unread replies %s cannot be read (%s); starting anew", self.path, exc)
            return {}
        posts: dict[str, dict[str, Any]] = {}
        for post, entry in (data.items() if isinstance(data, dict) else ()):
            if not isinstance(entry, dict) or not isinstance(entry.get("comments"), list):
                continue
            try:
                at = datetime.fromisoformat(str(entry.get("at")))
            except ValueError:
                continue
            ids = [c for c in entry["comments"][:MAX_COMMENTS] if isinstance(c, str) and self.comment_id.fullmatch(c)]
            if ids and at.tzinfo is not None and len(post) <= 100:
                posts[post] = {"at": at.isoformat(), "comments": ids}
        return self._bounded(posts)

    def _bounded(self, posts: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        """Without the posts not polled for ``KEPT``; the ``MAX_POSTS`` polled last."""
        now = self.clock()
        fresh = [(post, entry) for post, entry in posts.items()
                 if now - datetime.fromisoformat(entry["at"]) <= KEPT]
        fresh.sort(key=lambda item: datetime.fromisoformat(item[1]["at"]), reverse=True)
        return dict(fresh[:MAX_POSTS])

    def _write(self, posts: dict[str, dict[str, Any]]) -> None:
        self._posts = posts = self._bounded(posts)
        if self.path is None:
            return
        try:
            write_json(self.path, posts)
        except OSError as exc:  # the replies read are still returned; the next poll reads in the usual order
            log.warning("the list of unread replies %s cannot be written (%s)", self.path, exc)
