"""An offline platform for trying campaigner out and for testing the engine without a network.

Posts live in one SQLite file per account under ``config.state_dir`` (stdlib ``sqlite3``, WAL,
``synchronous=FULL``): every call is one ``BEGIN IMMEDIATE`` transaction that touches only the
rows it needs through indexes (the idempotency key, the remote id, the post a reply answers), so
a call costs the same with 10 posts or 10,000, several worker processes can share one account
safely, and a crash leaves each call either done or not done — never half. (The JSON file of
older versions was read and rewritten whole on every call: an account's cost grew with the square
of its posts.) A JSON file from an older version is imported on first open and kept beside it as
``….json.migrated``.

Engagement is invented but deterministic: a pure function of the account, the post's remote id
and its age (``clock() - published_at``), growing along a saturating curve that stops growing
after a day or two. Replies written as union audiences write (Bahasa Indonesia with slang, some
Javanese, Sundanese and English: questions, support, opposition, chatter) appear as the post
ages, at seeded delays. Answers the account posts under them come back as its own. Hashtag
counts per day (listening) are seeded by the tag and the day, plus the account's own posts. Same
inputs, same numbers, so reports built on sandbox data are reproducible and tests can assert
exact figures.

The state can also carry *faults* (``inject_fault``) that the next call turns into the typed
errors a real platform would cause (expired credentials, rate limit, server error, a lost answer),
so the scheduler's retry logic can be rehearsed offline.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import sqlite3
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from gettext import gettext as _
from pathlib import Path
from time import monotonic, sleep
from typing import Any, Callable, Iterator, Sequence, TypeVar
from urllib.parse import quote

from connectors.base import (AccountConfig, AuthExpired, Clock, DayCount, Identity, Metrics, MetricsBatch,
                             NotSupported, OutgoingPost, Permanent, Published, RateLimited, Reply, TagCounts,
                             Transient, system_clock, zone_name)
from connectors.posttext import compose_text

log = logging.getLogger(__name__)
T = TypeVar("T")

#: ``PRAGMA user_version`` of a sandbox file (1 was the JSON file of older versions)
STATE_VERSION = 2
#: seconds a call waits for another process's transaction on the same account
BUSY_SECONDS = 30.0
#: the source name of the sandbox's hashtag counts
TAG_SOURCE = "sandbox"

#: the invented audience: (language, kind toward a campaign against Tapera and wage cuts, author, text)
REPLY_POOL: tuple[tuple[str, str, str, str], ...] = (
    ("id", "question", "kartini_garment", "Aksinya kumpul di mana? Jam berapa min?"),
    ("id", "question", "buruh.cikarang", "Formulir daftar anggota di mana ya kak?"),
    ("id", "question", "dedi_ojol", "Ojol boleh ikut aksi gak? 🙏"),
    ("id", "question", "rina_pabrik", "min kalo mau gabung serikat caranya gimana"),
    ("jv", "question", "wong_sragen", "Tanggal piro aksine, lur?"),
    ("id", "support", "buruh_bekasi", "Setujuuu!! Upah layak utk semua pekerja ✊✊"),
    ("id", "support", "sari.wulandari", "Tolak Tapera! Gaji udah pas2an masih dipotong lagi 😤"),
    ("id", "support", "joko_outsourcing", "gak setuju sama pemerintah, upah udah kecil malah dipotong lagi"),
    ("id", "support", "mbak_yuni", "Mantap, terus berjuang kawan2 serikat 💪"),
    ("en", "support", "solidarity_manila", "Solidarity from Manila! Fair wages now ✊"),
    ("id", "oppose", "warga_macet", "Demo mulu, bikin macet. Kerja sana!"),
    ("id", "oppose", "hrd_realistis", "serikat cuma cari duit dari iuran anggota"),
    ("id", "oppose", "netizen_62", "Aksi ditunggangi kepentingan politik, gak usah ikut2an"),
    ("id", "oppose", "pengusaha_muda", "Tapera itu bagus buat masa depan, jangan diprovokasi"),
    ("id", "other", "akun_random", "wkwk rame bgt kolom komentarnya"),
    ("id", "other", "ibu_tangsel", "Lagi nonton live dari rumah"),
    ("su", "other", "mas_bandung", "Sampurasun, nitip salam buat kang Asep"),
)

_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    """CREATE TABLE IF NOT EXISTS posts (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, remote_id TEXT NOT NULL UNIQUE,
        idempotency_key TEXT NOT NULL UNIQUE, text TEXT NOT NULL, link TEXT, media TEXT NOT NULL,
        reply_to TEXT, thread_root TEXT, language TEXT, published_at TEXT NOT NULL)""",
    "CREATE INDEX IF NOT EXISTS posts_reply_to ON posts (reply_to)",
    "CREATE INDEX IF NOT EXISTS posts_published_at ON posts (published_at)",
    """CREATE TABLE IF NOT EXISTS overrides (
        remote_id TEXT NOT NULL, metric TEXT NOT NULL, value INTEGER NOT NULL, PRIMARY KEY (remote_id, metric))""",
    """CREATE TABLE IF NOT EXISTS extra_replies (
        id TEXT PRIMARY KEY, remote_id TEXT NOT NULL, author TEXT NOT NULL, text TEXT NOT NULL,
        created_at TEXT NOT NULL, language TEXT)""",
    "CREATE INDEX IF NOT EXISTS extra_replies_post ON extra_replies (remote_id)",
    """CREATE TABLE IF NOT EXISTS faults (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL, retry_at TEXT, status INTEGER)""",
)


def _slug(name: str) -> str:
    """A file-name-safe form of an account name; a short hash keeps rewritten names apart."""
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._") or "account"
    if slug != name:
        slug += "-" + hashlib.sha256(name.encode()).hexdigest()[:8]
    return slug


def _iso(dt: datetime) -> str:
    """A stored time: UTC, always with microseconds, so stored times sort as text."""
    return dt.astimezone(timezone.utc).isoformat(timespec="microseconds")


def _parse(value: str) -> datetime:
    return datetime.fromisoformat(value).astimezone(timezone.utc)


class SandboxStore:
    """The SQLite file that holds one sandbox account: one connection per thread and process."""

    def __init__(self, state_dir: Path, account: str):
        base = Path(state_dir) / f"sandbox-{_slug(account)}"
        self.path = base.with_name(base.name + ".sqlite3")
        self.legacy_path = base.with_name(base.name + ".json")
        self.account = account
        self._local = threading.local()
        #: how a connection waits before trying to switch a new file to WAL again (``_wal``)
        self.pause: Callable[[float], None] = sleep

    # --- connection and schema ---------------------------------------------------------------
    def connection(self) -> sqlite3.Connection:
        """This thread's connection (a new one after a fork: SQLite connections must not cross it)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            return conn
        self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = None
        try:
            conn = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None)
            self._wal(conn)
            conn.execute("PRAGMA synchronous=FULL")
            if conn.execute("PRAGMA user_version").fetchone()[0] != STATE_VERSION:
                self._create(conn)
        except sqlite3.OperationalError:   # locked, disk full…: worth another try
            if conn is not None:
                conn.close()
            raise
        except sqlite3.DatabaseError as exc:
            raise Permanent(_("sandbox state file {path} is damaged: {reason}").format(path=self.path, reason=exc)) from None
        self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def close(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None and self._local.pid == os.getpid():
            conn.close()
        self._local.conn = None

    def _wal(self, conn: sqlite3.Connection) -> None:
        """``PRAGMA journal_mode=WAL``, waiting for other processes up to ``BUSY_SECONDS``: while a
        new file is still in rollback mode and another connection holds a write lock on it (several
        processes opening a new account at once), SQLite refuses the switch at once, without its
        busy handler. Once the file is in WAL mode the pragma changes nothing and takes no lock."""
        deadline = monotonic() + BUSY_SECONDS
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or monotonic() >= deadline:
                    raise
            self.pause(0.01)

    def _create(self, conn: sqlite3.Connection) -> None:
        """Make the tables (and import an older version's JSON file) once, under the write lock."""
        conn.execute("BEGIN IMMEDIATE")
        try:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > STATE_VERSION:
                raise Permanent(_("sandbox state file {path} was made by a newer campaigner (version {version}) — "
                                  "upgrade campaigner").format(path=self.path, version=version))
            migrated = False
            if version < STATE_VERSION:
                for statement in _SCHEMA:
                    conn.execute(statement)
                migrated = self._import_legacy(conn)
                conn.execute(f"PRAGMA user_version={STATE_VERSION}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        if migrated:   # after the commit: a crash before it leaves the JSON file to import again
            os.replace(self.legacy_path, self.legacy_path.with_name(self.legacy_path.name + ".migrated"))
            log.info("sandbox: imported %s into %s", self.legacy_path.name, self.path.name)

    def _import_legacy(self, conn: sqlite3.Connection) -> bool:
        """Import the JSON file of sandbox state version 1, if there is one (ids and all kept)."""
        try:
            state = json.loads(self.legacy_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return False
        except ValueError as exc:
            raise Permanent(_("sandbox state file {path} is damaged: {reason}").format(path=self.legacy_path,
                                                                                      reason=exc)) from None
        posts = state.get("posts", {})
        conn.executemany(
            "INSERT INTO posts (seq, remote_id, idempotency_key, text, link, media, reply_to, thread_root, "
            "language, published_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            ((int(rid), rid, p["idempotency_key"], p["text"], p.get("link"), json.dumps(p.get("media", [])),
              p.get("reply_to"), p.get("thread_root"), p.get("language"), _iso(_parse(p["published_at"])))
             for rid, p in posts.items()))
        conn.execute("DELETE FROM sqlite_sequence WHERE name = 'posts'")
        conn.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('posts', ?)",
                     (max(int(state.get("next_id", 1)) - 1, max((int(r) for r in posts), default=0)),))
        conn.executemany("INSERT INTO overrides VALUES (?, ?, ?)",
                         ((rid, k, int(v)) for rid, counts in state.get("overrides", {}).items()
                          for k, v in counts.items()))
        conn.executemany("INSERT INTO extra_replies VALUES (?, ?, ?, ?, ?, ?)",
                         ((e["id"], rid, e["author"], e["text"], _iso(_parse(e["created_at"])), e.get("language"))
                          for rid, extras in state.get("extra_replies", {}).items() for e in extras))
        conn.executemany("INSERT INTO faults (kind, retry_at, status) VALUES (?, ?, ?)",
                         ((f["kind"], f.get("retry_at"), f.get("status")) for f in state.get("faults", [])))
        if state.get("auth_expired"):
            conn.execute("INSERT INTO meta VALUES ('auth_expired', '1')")
        return True

    def begin(self) -> sqlite3.Connection:
        """Open a write transaction (``BEGIN IMMEDIATE``: callers on the account take turns)."""
        conn = self.connection()
        conn.execute("BEGIN IMMEDIATE")
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A write transaction (``begin``), committed at the end of the block, rolled back if it raises."""
        conn = self.begin()
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise

    def run(self, sql: str, args: Sequence[Any] = ()) -> list[tuple]:
        """One statement in its own transaction, its rows."""
        with self.transaction() as conn:
            return conn.execute(sql, args).fetchall()

    # --- what tests and tools look at or change ------------------------------------------------
    def posts(self) -> dict[str, str]:
        """remote id → text of every post (answers and thread parts included)."""
        return dict(self.run("SELECT remote_id, text FROM posts ORDER BY seq"))

    def idempotency_keys(self) -> dict[str, str]:
        """remote id → the idempotency key it was published with."""
        return dict(self.run("SELECT remote_id, idempotency_key FROM posts ORDER BY seq"))

    def created(self) -> int:
        """How many posts were ever created (deleted ones included)."""
        rows = self.run("SELECT seq FROM sqlite_sequence WHERE name = 'posts'")
        return rows[0][0] if rows else 0

    def reply_parent(self, remote_id: str) -> str | None:
        rows = self.run("SELECT reply_to FROM posts WHERE remote_id = ?", (remote_id,))
        if not rows:
            raise KeyError(remote_id)
        return rows[0][0]

    def set_engagement(self, remote_id: str, **counts: int) -> None:
        """Fix some of a post's figures (the invented ones give the rest)."""
        with self.transaction() as conn:
            conn.executemany("INSERT OR REPLACE INTO overrides VALUES (?, ?, ?)",
                             ((remote_id, k, int(v)) for k, v in counts.items()))

    def add_reply(self, remote_id: str, author: str, text: str, created_at: datetime,
                  language: str | None = None) -> str:
        """Someone replies to post ``remote_id``; the reply's id."""
        with self.transaction() as conn:
            n = conn.execute("SELECT count(*) FROM extra_replies WHERE remote_id = ?", (remote_id,)).fetchone()[0]
            reply_id = f"{remote_id}.x{n + 1}"
            conn.execute("INSERT INTO extra_replies VALUES (?, ?, ?, ?, ?, ?)",
                         (reply_id, remote_id, author, text, _iso(created_at), language))
        return reply_id

    def remove_post(self, remote_id: str) -> None:
        """The post disappears (as if taken down on the platform by someone else)."""
        self.run("DELETE FROM posts WHERE remote_id = ?", (remote_id,))


def inject_fault(state_dir: Path, account: str, kind: str, **info: Any) -> None:
    """Make the sandbox account's next call fail like a real platform would.

    ``kind``: ``"auth"`` (credentials expire, until cleared with ``kind="auth_ok"``),
    ``"rate_limit"`` (``retry_at=datetime``), ``"server_error"`` (``status=503``),
    ``"lost_answer"`` (the call takes effect, then raises ``Transient(outcome_unknown=True)``), or
    ``"not_supported"`` (a platform that does not offer the operation: ``NotSupported``).
    """
    store = SandboxStore(state_dir, account)
    try:
        if kind == "auth":
            store.run("INSERT OR REPLACE INTO meta VALUES ('auth_expired', '1')")
        elif kind == "auth_ok":
            store.run("DELETE FROM meta WHERE key = 'auth_expired'")
        elif kind in ("rate_limit", "server_error", "lost_answer", "not_supported"):
            retry_at = _iso(info["retry_at"]) if "retry_at" in info else None
            status = int(info["status"]) if "status" in info else None
            store.run("INSERT INTO faults (kind, retry_at, status) VALUES (?, ?, ?)", (kind, retry_at, status))
        else:
            raise ValueError(f"unknown sandbox fault {kind!r}")
    finally:
        store.close()


def _unit(h: bytes, i: int) -> float:
    return int.from_bytes(h[2 * i:2 * i + 2], "big") / 65535


@dataclass(frozen=True)
class _Shape:
    """The engagement a post is destined to reach, drawn from the hash of its seed (account and
    remote id)."""

    reach: float          # impressions ceiling
    tau_hours: float      # how fast it saturates
    like_rate: float
    repost_ratio: float
    quote_ratio: float
    reply_count: int
    reply_order: tuple[int, ...]
    reply_delays: tuple[float, ...]   # minutes after publishing

    @classmethod
    def of(cls, seed: str) -> "_Shape":
        h = hashlib.sha256(seed.encode()).digest()
        order = sorted(range(len(REPLY_POOL)), key=lambda i: hashlib.sha256(h + bytes([i])).digest())
        count = 2 + h[12] % 5
        delays, t = [], 0.0
        for i in range(count):
            t += 5 + h[13 + i] / 255 * 60 * (i + 1)   # later replies come slower
            delays.append(t)
        return cls(reach=300 + _unit(h, 0) ** 2 * 20000, tau_hours=3 + _unit(h, 1) * 21,
                   like_rate=0.01 + _unit(h, 2) * 0.05, repost_ratio=0.08 + _unit(h, 3) * 0.25,
                   quote_ratio=0.02 + _unit(h, 4) * 0.08, reply_count=count,
                   reply_order=tuple(order[:count]), reply_delays=tuple(delays))


def engagement(seed: str, age: timedelta) -> dict[str, int]:
    """The invented figures of a post with ``seed`` at ``age`` (none before it is out)."""
    shape = _Shape.of(seed)
    age_hours = max(0.0, age.total_seconds() / 3600)

    def grown(ceiling: float, lag: float = 1.0) -> int:
        return int(ceiling * (1 - math.exp(-age_hours / (shape.tau_hours * lag))))

    likes_ceiling = shape.reach * shape.like_rate
    return {"impressions": grown(shape.reach),
            "likes": grown(likes_ceiling, 1.2),
            "reposts": grown(likes_ceiling * shape.repost_ratio, 1.5),
            "quotes": grown(likes_ceiling * shape.quote_ratio, 2.0)}


def public_tag_posts(tag: str, day: date) -> int:
    """The invented public posts carrying ``tag`` (any case, without "#") on ``day``, others' only."""
    level = hashlib.sha256(b"tag\0" + tag.lower().encode()).digest()
    daily = hashlib.sha256(b"day\0" + tag.lower().encode() + day.isoformat().encode()).digest()
    return int((5 + _unit(level, 0) ** 2 * 400) * (0.6 + 0.8 * _unit(daily, 0)))


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

    def _seed(self, remote_id: str) -> str:
        return f"{self.config.name}/{remote_id}"

    def _fault(self, conn: sqlite3.Connection) -> tuple[str, Any, Any] | None:
        """Take the next injected fault (``auth`` stays until cleared)."""
        if conn.execute("SELECT 1 FROM meta WHERE key = 'auth_expired'").fetchone():
            return ("auth", None, None)
        row = conn.execute("SELECT seq, kind, retry_at, status FROM faults ORDER BY seq LIMIT 1").fetchone()
        if row is None:
            return None
        conn.execute("DELETE FROM faults WHERE seq = ?", (row[0],))
        return row[1], row[2], row[3]

    def _raise(self, kind: str, retry_at: str | None, status: int | None) -> None:
        if kind == "auth":
            raise AuthExpired(_("sandbox account {name!r}: credentials expired (injected)").format(
                name=self.config.name))
        if kind == "rate_limit":
            at = _parse(retry_at) if retry_at else self.clock() + timedelta(minutes=15)
            raise RateLimited(at, _("sandbox: rate limited (injected)"))
        if kind == "server_error":
            raise Transient(_("sandbox: server error {status} (injected)").format(status=status or 503))
        raise NotSupported(_("sandbox: this platform does not offer it (injected)"))

    def _call(self, operation: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``operation(conn)`` in one transaction, honouring any injected fault (whose removal
        sticks even though the call fails). The file's own failures (locked past the busy timeout,
        disk errors) are ``Transient`` with an unknown outcome: ``find_existing`` settles it."""
        try:
            conn = self.store.begin()
        except sqlite3.Error as exc:
            raise Transient(_("sandbox: state file {name}: {reason}").format(name=self.store.path.name,
                                                                             reason=exc)) from None
        try:
            fault = self._fault(conn)
            if fault is not None and fault[0] != "lost_answer":
                conn.execute("COMMIT")
                self._raise(*fault)
            result = operation(conn)
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:
                    pass   # SQLite rolled back by itself
            if isinstance(exc, sqlite3.Error):
                raise Transient(_("sandbox: state file {name}: {reason}").format(name=self.store.path.name, reason=exc),
                                outcome_unknown=True) from None
            raise
        if fault is not None:
            raise Transient(_("sandbox: connection dropped after the request (injected)"), outcome_unknown=True)
        return result

    def _by_key(self, conn: sqlite3.Connection, key: str) -> Published | None:
        row = conn.execute("SELECT remote_id, published_at FROM posts WHERE idempotency_key = ?", (key,)).fetchone()
        return None if row is None else Published(row[0], self._url(row[0]), _parse(row[1]))

    # --- Connector protocol ----------------------------------------------------------------
    def verify(self) -> Identity:
        self._call(lambda conn: None)
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

        def create(conn: sqlite3.Connection) -> Published:
            existing = self._by_key(conn, post.idempotency_key)
            if existing is not None:
                log.debug("sandbox: idempotency key seen before, returning post %s", existing.remote_id)
                return existing
            now = self.clock()
            if post.reply_to is not None and not self._exists(conn, post.reply_to, now):
                raise Permanent(_("sandbox: the post to reply to ({id}) does not exist").format(id=post.reply_to))
            row = conn.execute("SELECT seq FROM sqlite_sequence WHERE name = 'posts'").fetchone()
            seq = (row[0] if row else 0) + 1
            remote_id = f"{seq:06d}"
            conn.execute(
                "INSERT INTO posts (seq, remote_id, idempotency_key, text, link, media, reply_to, thread_root, "
                "language, published_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (seq, remote_id, post.idempotency_key, text, post.link,
                 json.dumps([Path(m.path).name for m in post.media]), post.reply_to, post.thread_root,
                 post.language, _iso(now)))
            log.debug("sandbox: published %s for %s", remote_id, self.config.name)
            return Published(remote_id, self._url(remote_id), now)

        return self._call(create)

    def find_existing(self, post: OutgoingPost, since: datetime) -> Published | None:
        """The post published with ``post.idempotency_key`` (the key is unique, so ``since`` is not needed)."""
        return self._call(lambda conn: self._by_key(conn, post.idempotency_key))

    def delete(self, remote_id: str) -> None:
        """Remove the post; deleting a post that is already gone succeeds."""
        def remove(conn: sqlite3.Connection) -> None:
            for table in ("posts", "overrides", "extra_replies"):
                conn.execute(f"DELETE FROM {table} WHERE remote_id = ?", (remote_id,))
        self._call(remove)

    def metrics(self, remote_ids: Sequence[str]) -> MetricsBatch:
        now = self.clock()

        def read(conn: sqlite3.Connection) -> MetricsBatch:
            found: dict[str, Metrics] = {}
            missing: set[str] = set()
            for remote_id in remote_ids:
                row = conn.execute("SELECT published_at FROM posts WHERE remote_id = ?", (remote_id,)).fetchone()
                if row is None:
                    missing.add(remote_id)
                    continue
                published_at = _parse(row[0])
                counts = engagement(self._seed(remote_id), now - published_at)
                counts["replies"] = len(self._replies(conn, remote_id, published_at, now))
                for metric, value in conn.execute("SELECT metric, value FROM overrides WHERE remote_id = ?",
                                                  (remote_id,)):
                    if metric in counts:
                        counts[metric] = int(value)
                found[remote_id] = Metrics(remote_id=remote_id, raw=dict(counts), **counts)
            return MetricsBatch(found=found, missing=frozenset(missing))

        return self._call(read)

    def replies(self, remote_id: str, since: datetime | None = None) -> list[Reply]:
        """The conversation under the post: others' replies shown by now, then the account's own
        answers to them (``ours``)."""
        now = self.clock()
        handle = self.config.handle or self.config.name

        def read(conn: sqlite3.Connection) -> list[Reply]:
            row = conn.execute("SELECT published_at FROM posts WHERE remote_id = ?", (remote_id,)).fetchone()
            if row is None:
                raise Permanent(_("sandbox: post {id} does not exist").format(id=remote_id))
            found = self._replies(conn, remote_id, _parse(row[0]), now)
            theirs = [r.remote_id for r in found]
            ours = [Reply(remote_id=rid, author=handle, text=text, created_at=_parse(at), language=language,
                          in_reply_to=parent, ours=True)
                    for rid, text, at, language, parent in conn.execute(
                        "SELECT remote_id, text, published_at, language, reply_to FROM posts "
                        f"WHERE reply_to IN ({','.join('?' * len(theirs))}) ORDER BY seq", theirs)]
            if since is not None:
                found = [r for r in found if r.created_at >= since]
            return found + ours

        return self._call(read)

    def tag_counts(self, tag: str, since: date, until: date, zone: tzinfo) -> TagCounts:
        """Public posts carrying ``tag`` per day of ``zone``, from ``since`` up to ``until`` (not
        included) and no later than today: the invented public's (``public_tag_posts``) plus the
        account's own posts that carry it. Today's count is "at least" (the day is not over), and
        so far only the part of the day gone by."""
        now = self.clock()
        today = now.astimezone(zone).date()
        key = tag.lstrip("#\uff03")
        own_tag = re.compile(r"[#\uff03]" + re.escape(key) + r"(?![\w])", re.IGNORECASE)

        def count(conn: sqlite3.Connection) -> TagCounts:
            days = []
            day = since
            while day < until and day <= today:
                start = datetime.combine(day, time(0), tzinfo=zone).astimezone(timezone.utc)
                end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone).astimezone(timezone.utc)
                public = public_tag_posts(key, day)
                if day == today:
                    public = public * int((now - start).total_seconds()) // int((end - start).total_seconds())
                own = sum(1 for (text,) in conn.execute(
                    "SELECT text FROM posts WHERE published_at >= ? AND published_at < ?",
                    (_iso(start), _iso(min(end, now + timedelta(microseconds=1))))) if own_tag.search(text))
                days.append(DayCount(day, public + own, at_least=day == today))
                day += timedelta(days=1)
            return TagCounts(tag=key, source=TAG_SOURCE, day_zone=zone_name(zone), days=tuple(days), requests=1)

        return self._call(count)

    def _exists(self, conn: sqlite3.Connection, remote_id: str, now: datetime) -> bool:
        """Whether ``remote_id`` is a post of the account, or a reply under one (shown by now)."""
        if conn.execute("SELECT 1 FROM posts WHERE remote_id = ?", (remote_id,)).fetchone():
            return True
        root = remote_id.partition(".")[0]
        row = conn.execute("SELECT published_at FROM posts WHERE remote_id = ?", (root,)).fetchone()
        return row is not None and any(r.remote_id == remote_id
                                       for r in self._replies(conn, root, _parse(row[0]), now))

    # --- the invented audience ---------------------------------------------------------------
    def _replies(self, conn: sqlite3.Connection, remote_id: str, published_at: datetime,
                 now: datetime) -> list[Reply]:
        """Others' replies to the post shown by ``now``: the seeded ones, then any added ones."""
        shape = _Shape.of(self._seed(remote_id))
        found = []
        for n, (pool_index, delay) in enumerate(zip(shape.reply_order, shape.reply_delays), start=1):
            created = published_at + timedelta(minutes=delay)
            if created > now:
                break
            language, _kind, author, text = REPLY_POOL[pool_index]
            rid = f"{remote_id}.r{n}"
            found.append(Reply(remote_id=rid, author=author, text=text, created_at=created, language=language,
                               in_reply_to=remote_id))
        for rid, author, text, at, language in conn.execute(
                "SELECT id, author, text, created_at, language FROM extra_replies WHERE remote_id = ?", (remote_id,)):
            created = _parse(at)
            if created <= now:
                found.append(Reply(remote_id=rid, author=author, text=text, created_at=created, language=language,
                                   in_reply_to=remote_id))
        found.sort(key=lambda r: r.created_at)
        return found
