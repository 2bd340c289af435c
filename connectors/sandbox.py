"""An offline platform for trying campaigner out and for testing the engine without a network.

Posts live in one JSON file per account under ``config.state_dir``; every change is made under an
exclusive ``fcntl`` lock on a side file and written atomically (temporary file + ``os.replace``),
so several worker processes can share one sandbox account safely.

Engagement is invented but deterministic: it depends only on the post's remote id and its age
(``clock() - published_at``), grows along a saturating curve and stops growing after a day or two.
A few canned replies — Bahasa Indonesia and English, supportive and hostile — appear as the post
ages. Same inputs, same numbers, so reports built on sandbox data are reproducible.

The state file can also carry *faults* (``inject_fault``) that the next call turns into the typed
errors a real platform would cause (expired credentials, rate limit, server error, a lost answer),
so the scheduler's retry logic can be rehearsed offline.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import math
import os
import re
import tempfile
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from gettext import gettext as _
from pathlib import Path
from typing import Any, Iterator, Sequence
from urllib.parse import quote

from connectors.base import (AccountConfig, AuthExpired, Clock, Identity, Metrics, MetricsBatch,
                             NotSupported, OutgoingPost, Permanent, Published, RateLimited, Reply, Transient,
                             system_clock)
from connectors.posttext import compose_text

log = logging.getLogger(__name__)

STATE_VERSION = 1

#: canned replies: (language, sentiment, author, text)
REPLY_POOL: tuple[tuple[str, str, str, str], ...] = (
    ("id", "positive", "buruh_bekasi", "Setuju! Upah layak untuk semua pekerja. ✊"),
    ("id", "positive", "sari.wulandari", "Terima kasih sudah memperjuangkan nasib buruh kontrak."),
    ("id", "negative", "warga_macet", "Demo terus, jalanan macet di mana-mana. Kapan kerjanya?"),
    ("id", "negative", "hrd_realistis", "Kalau upah naik terus, pabrik pindah ke luar negeri. Pikirkan itu."),
    ("id", "neutral", "kartini_garment", "Aksinya jam berapa dan kumpul di mana?"),
    ("en", "positive", "solidarity_manila", "Solidarity from Manila! Fair wages now."),
    ("en", "negative", "market_first", "This campaign is misleading, the numbers don't add up."),
    ("en", "positive", "union_local_12", "Great thread, sharing it with our members."),
)


def _slug(name: str) -> str:
    """A file-name-safe form of an account name; a short hash keeps rewritten names apart."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "account"
    if slug != name:
        slug += "-" + hashlib.sha256(name.encode()).hexdigest()[:8]
    return slug


def _iso(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).isoformat()


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(timezone.utc)


class SandboxStore:
    """The locked, atomically replaced JSON file that holds one sandbox account."""

    def __init__(self, state_dir: Path, account: str):
        self.path = Path(state_dir) / f"sandbox-{_slug(account)}.json"
        self.lock_path = self.path.with_suffix(".lock")
        self.account = account

    def _empty(self) -> dict[str, Any]:
        return {"version": STATE_VERSION, "account": self.account, "next_id": 1, "posts": {},
                "overrides": {}, "extra_replies": {}, "faults": [], "auth_expired": False}

    def read(self) -> dict[str, Any]:
        """The current state (a copy; changes need ``transaction``)."""
        try:
            with open(self.path, encoding="utf-8") as fh:
                state = json.load(fh)
        except FileNotFoundError:
            return self._empty()
        except ValueError as exc:
            raise Permanent(_("sandbox state file {path} is damaged: {reason}").format(path=self.path,
                                                                                      reason=exc)) from None
        for key, value in self._empty().items():
            state.setdefault(key, value)
        return state

    @contextmanager
    def transaction(self) -> Iterator[dict[str, Any]]:
        """Hold the lock, yield the state; whatever the block leaves in it is written back atomically."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock_path, "a+") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                state = self.read()
                before = json.dumps(state, sort_keys=True)
                yield state
                if json.dumps(state, sort_keys=True) != before:
                    self._write(state)
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _write(self, state: dict[str, Any]) -> None:
        fd, tmp = tempfile.mkstemp(prefix=".sandbox-", suffix=".tmp", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(state, fh, ensure_ascii=False, indent=1)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            try:
                os.unlink(tmp)
            except FileNotFoundError:
                pass
            raise


def inject_fault(state_dir: Path, account: str, kind: str, **info: Any) -> None:
    """Make the sandbox account's next call fail like a real platform would.

    ``kind``: ``"auth"`` (credentials expire, until cleared with ``kind="auth_ok"``),
    ``"rate_limit"`` (``retry_at=datetime``), ``"server_error"`` (``status=503``),
    ``"lost_answer"`` (the call takes effect, then raises ``Transient(outcome_unknown=True)``), or
    ``"not_supported"`` (a platform that does not offer the operation: ``NotSupported``).
    """
    store = SandboxStore(state_dir, account)
    with store.transaction() as state:
        if kind == "auth":
            state["auth_expired"] = True
        elif kind == "auth_ok":
            state["auth_expired"] = False
        elif kind in ("rate_limit", "server_error", "lost_answer", "not_supported"):
            fault: dict[str, Any] = {"kind": kind}
            if "retry_at" in info:
                fault["retry_at"] = _iso(info["retry_at"])
            if "status" in info:
                fault["status"] = int(info["status"])
            state["faults"].append(fault)
        else:
            raise ValueError(f"unknown sandbox fault {kind!r}")


@dataclass(frozen=True)
class _Shape:
    """The engagement a post is destined to reach, drawn from the hash of its remote id."""

    reach: float          # impressions ceiling
    tau_hours: float      # how fast it saturates
    like_rate: float
    repost_ratio: float
    quote_ratio: float
    reply_count: int
    reply_order: tuple[int, ...]
    reply_delays: tuple[float, ...]   # minutes after publishing

    @classmethod
    def of(cls, remote_id: str) -> "_Shape":
        h = hashlib.sha256(remote_id.encode()).digest()

        def unit(i: int) -> float:
            return int.from_bytes(h[2 * i:2 * i + 2], "big") / 65535

        order = sorted(range(len(REPLY_POOL)), key=lambda i: hashlib.sha256(h + bytes([i])).digest())
        count = 2 + h[12] % 5
        delays, t = [], 0.0
        for i in range(count):
            t += 8 + h[13 + i] / 255 * 180 * (i + 1)   # later replies come slower
            delays.append(t)
        return cls(reach=300 + unit(0) ** 2 * 20000, tau_hours=3 + unit(1) * 21,
                   like_rate=0.01 + unit(2) * 0.05, repost_ratio=0.08 + unit(3) * 0.25,
                   quote_ratio=0.02 + unit(4) * 0.08, reply_count=count,
                   reply_order=tuple(order[:count]), reply_delays=tuple(delays))


class SandboxConnector:
    """A fake platform kept in a file: real persistence, invented engagement, no network."""

    platform = "sandbox"
    metrics_batch_size = 100
    #: ``find_existing`` really looks, so None means "not there"
    can_find_existing = True

    def __init__(self, config: AccountConfig, *, clock: Clock = system_clock):
        if config.state_dir is None:
            raise ValueError(f"sandbox account {config.name!r} needs a state_dir to keep its posts in")
        self.config = config
        self.clock = clock
        self.store = SandboxStore(Path(config.state_dir), config.name)

    # --- helpers ---------------------------------------------------------------------------
    def _url(self, remote_id: str) -> str:
        return f"sandbox://{quote(self.config.name, safe='')}/{remote_id}"

    def _take_fault(self) -> dict[str, Any] | None:
        """Pop the next injected fault (in its own transaction, so the pop sticks even if we raise)."""
        with self.store.transaction() as state:
            if state.get("auth_expired"):
                return {"kind": "auth"}
            return state["faults"].pop(0) if state["faults"] else None

    @contextmanager
    def _call(self) -> Iterator[dict[str, Any]]:
        """Run one operation on the locked state, honouring any injected fault."""
        fault = self._take_fault() or {}
        kind = fault.get("kind")
        if kind == "auth":
            raise AuthExpired(_("sandbox account {name!r}: credentials expired (injected)").format(
                name=self.config.name))
        if kind == "rate_limit":
            retry_at = (_parse(fault["retry_at"]) if "retry_at" in fault
                        else self.clock() + timedelta(minutes=15))
            raise RateLimited(retry_at, _("sandbox: rate limited (injected)"))
        if kind == "server_error":
            raise Transient(_("sandbox: server error {status} (injected)").format(status=fault.get("status", 503)))
        if kind == "not_supported":
            raise NotSupported(_("sandbox: this platform does not offer it (injected)"))
        with self.store.transaction() as state:
            yield state
        if kind == "lost_answer":
            raise Transient(_("sandbox: connection dropped after the request (injected)"), outcome_unknown=True)

    # --- Connector protocol ----------------------------------------------------------------
    def verify(self) -> Identity:
        with self._call():
            pass
        handle = self.config.handle or self.config.name
        return Identity(remote_id=f"sandbox:{self.config.name}", handle=handle,
                        display_name=f"{handle} (sandbox)", url=f"sandbox://{quote(self.config.name, safe='')}")

    def publish(self, post: OutgoingPost) -> Published:
        text = compose_text(post.text, post.link)
        if not text.strip() and not post.media:
            raise Permanent(_("sandbox: a post needs text or media"))
        for media in post.media:
            if not Path(media.path).is_file():
                raise Permanent(_("sandbox: media file {name!r} does not exist").format(name=Path(media.path).name))
        with self._call() as state:
            for remote_id, stored in state["posts"].items():
                if stored["idempotency_key"] == post.idempotency_key:
                    log.debug("sandbox: idempotency key seen before, returning post %s", remote_id)
                    return Published(remote_id, self._url(remote_id), _parse(stored["published_at"]))
            now = self.clock()
            if post.reply_to is not None and not self._exists(state, post.reply_to, now):
                raise Permanent(_("sandbox: the post to reply to ({id}) does not exist").format(id=post.reply_to))
            remote_id = f"{state['next_id']:06d}"
            state["next_id"] += 1
            state["posts"][remote_id] = {
                "text": text, "idempotency_key": post.idempotency_key, "link": post.link,
                "media": [Path(m.path).name for m in post.media], "reply_to": post.reply_to,
                "thread_root": post.thread_root, "language": post.language,
                "published_at": _iso(now)}
        log.debug("sandbox: published %s for %s", remote_id, self.config.name)
        return Published(remote_id, self._url(remote_id), now)

    def find_existing(self, post: OutgoingPost, since: datetime) -> Published | None:
        """The post published with ``post.idempotency_key`` (the key is unique, so ``since`` is not needed)."""
        with self._call() as state:
            for remote_id, stored in state["posts"].items():
                if stored["idempotency_key"] == post.idempotency_key:
                    return Published(remote_id, self._url(remote_id), _parse(stored["published_at"]))
        return None

    def delete(self, remote_id: str) -> None:
        """Remove the post; deleting a post that is already gone succeeds."""
        with self._call() as state:
            state["posts"].pop(remote_id, None)
            state["overrides"].pop(remote_id, None)
            state["extra_replies"].pop(remote_id, None)

    def metrics(self, remote_ids: Sequence[str]) -> MetricsBatch:
        now = self.clock()
        found: dict[str, Metrics] = {}
        missing: set[str] = set()
        with self._call() as state:
            for remote_id in remote_ids:
                stored = state["posts"].get(remote_id)
                if stored is None:
                    missing.add(remote_id)
                    continue
                counts = self._engagement(remote_id, _parse(stored["published_at"]), now)
                counts["replies"] = len(self._replies(state, remote_id, stored, now))
                counts.update({k: int(v) for k, v in state["overrides"].get(remote_id, {}).items()
                               if k in counts})
                found[remote_id] = Metrics(remote_id=remote_id, raw=dict(counts), **counts)
        return MetricsBatch(found=found, missing=frozenset(missing))

    def replies(self, remote_id: str, since: datetime | None = None) -> list[Reply]:
        now = self.clock()
        with self._call() as state:
            stored = state["posts"].get(remote_id)
            if stored is None:
                raise Permanent(_("sandbox: post {id} does not exist").format(id=remote_id))
            found = self._replies(state, remote_id, stored, now)
            theirs = {r.remote_id for r in found}
            ours = [Reply(remote_id=rid, author=self.config.handle or self.config.name, text=p["text"],
                          created_at=_parse(p["published_at"]), language=p.get("language"),
                          in_reply_to=p["reply_to"], ours=True)
                    for rid, p in state["posts"].items() if p.get("reply_to") in theirs]
        if since is not None:
            found = [r for r in found if r.created_at >= since]
        found += ours
        return found

    def _exists(self, state: dict[str, Any], remote_id: str, now: datetime) -> bool:
        """Whether ``remote_id`` is a post of the account, or a reply under one (shown by now)."""
        if remote_id in state["posts"]:
            return True
        root = remote_id.partition(".")[0]
        stored = state["posts"].get(root)
        return stored is not None and any(r.remote_id == remote_id for r in self._replies(state, root, stored, now))

    # --- the invented audience ---------------------------------------------------------------
    @staticmethod
    def _engagement(remote_id: str, published_at: datetime, now: datetime) -> dict[str, int]:
        shape = _Shape.of(remote_id)
        age_hours = max(0.0, (now - published_at).total_seconds() / 3600)

        def grown(ceiling: float, lag: float = 1.0) -> int:
            return int(ceiling * (1 - math.exp(-age_hours / (shape.tau_hours * lag))))

        likes_ceiling = shape.reach * shape.like_rate
        return {"impressions": grown(shape.reach),
                "likes": grown(likes_ceiling, 1.2),
                "reposts": grown(likes_ceiling * shape.repost_ratio, 1.5),
                "quotes": grown(likes_ceiling * shape.quote_ratio, 2.0)}

    def _replies(self, state: dict[str, Any], remote_id: str, stored: dict[str, Any],
                 now: datetime) -> list[Reply]:
        published_at = _parse(stored["published_at"])
        shape = _Shape.of(remote_id)
        found = []
        for n, (pool_index, delay) in enumerate(zip(shape.reply_order, shape.reply_delays), start=1):
            created = published_at + timedelta(minutes=delay)
            if created > now:
                break
            language, _sentiment, author, text = REPLY_POOL[pool_index]
            found.append(Reply(remote_id=f"{remote_id}.r{n}", author=author, text=text,
                               created_at=created, language=language, in_reply_to=remote_id))
        for extra in state["extra_replies"].get(remote_id, []):
            created = _parse(extra["created_at"])
            if created <= now:
                found.append(Reply(remote_id=extra["id"], author=extra["author"], text=extra["text"],
                                   created_at=created, language=extra.get("language"),
                                   in_reply_to=remote_id))
        found.sort(key=lambda r: r.created_at)
        return found
