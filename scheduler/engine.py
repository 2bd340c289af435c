"""The publishing engine: claim due deliveries, publish each exactly once, reconcile unknown outcomes.

How exactly-once holds:
- An account is leased by one worker at a time (one conditional UPDATE … RETURNING), so its
  deliveries go out in order and its caps and spacing are checked without races.
- Each delivery is claimed (``queued``/``unconfirmed`` → ``publishing``) by one conditional
  UPDATE … RETURNING in its own committed transaction (PostgreSQL adds FOR UPDATE SKIP LOCKED),
  before any platform call.
- Before each platform call an attempt row is committed (with a check that the claim is still
  ours). A dead worker's claims are taken over (``recover``): with no attempt started the delivery
  simply goes back to the queue; with an attempt started the outcome is unknown and the delivery
  becomes ``unconfirmed``.
- Whether a holder is alive comes from its heartbeat (``beat``, from a thread of its own, every
  holder, the one-shot ``publish`` included): each beat gives the accounts and claims in hand a
  new term (``lease``, 30 s), however long a platform call takes, so a live slow worker is never
  robbed. A holder that stops beating loses them when the term runs out; on the same machine, a
  holder whose process has ended (``campaigner.processes``) loses them at once.
- The outcome (part, attempt end, the delivery's new state, alerts, account bookkeeping) is
  committed in one transaction after the call, before anything else goes out on the account: the
  one that starts the next attempt, or the one before the account is given back
  (``scheduler.writes``). A worker dying in between leaves the attempt unfinished: outcome unknown.
- An unconfirmed delivery is never sent again before the connector's ``find_existing`` has looked
  for it; where the platform cannot look (Telegram), or refuses the look for good (a search not in
  the app's plan, not permitted, a query it will never take), a person decides (``post
  reconcile``), told once by an alert. A send
  the platform refuses as already there (``AlreadyPublished``, e.g. after a look that missed a post
  X's timeline did not show yet) is believed: the delivery stays unconfirmed and is looked for on
  the policy's schedule until it is found, or a person is asked.

How it stays cheap: a pass keeps ``concurrency`` threads busy, each leasing one account at a time
(the one whose delivery is most overdue) together with its due deliveries, loading them once, and
then spending one short write transaction per delivery (its attempt start, carrying the previous
delivery's outcome). Caps and spacing are counted once per account batch and kept up to date in
memory (the lease makes the account ours alone).

Connectors never sleep or retry; this module owns backoff (``RetryPolicy``), rate-limit holds,
paused accounts, caps and spacing. Every function takes ``now`` from the app's clock.
"""
from __future__ import annotations

import contextlib
import dataclasses
import enum
import functools
import logging
import random
import threading
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any, Callable, Iterable, Iterator, Mapping, NamedTuple, cast

from sqlalchemy import ColumnElement, Table, and_, bindparam, case, exists, func, insert, null, or_, select, update
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, selectinload

from campaigner import db, lateness, states
from campaigner.app import App
from campaigner.errors import CampaignerError, ConfigError
from campaigner.i18n import _, decimal
from campaigner.media_host import MediaHost, StoreError
from campaigner.models import (Account, AccountStatus, Alert, Attempt, AttemptOutcome as O, Delivery, DeliveryPart,
                               DeliveryStatus as S, Post, Reply, Worker)
from campaigner.processes import this_process
from campaigner.services import workers
from campaigner.services.accounts import connector as account_connector, planned_cap
from campaigner.services.expiry import alert_expired, expire_waiting
from campaigner.services.inbox import mark_answered
from campaigner.services.posts import (known_there, look_since, maybe_out_since, outgoing_post, pending_part,
                                       uncertain)
from campaigner.times import format_local, local_day_bounds
from campaigner.wording import plural
from connectors.base import (AlreadyPublished, AuthExpired, Connector, ConnectorError, HasQuota, NotReady,
                             NotSupported, OutgoingPost, Permanent, Published, Quota, RateLimited, Transient)
from connectors.registry import platform_info
from scheduler.policy import RetryPolicy
from scheduler.writes import Write, Writes

log = logging.getLogger(__name__)

#: after an unknown outcome, look for the post this long later (timelines can lag a little)
RECONCILE_DELAY = timedelta(seconds=30)
#: the shortest wait after a rate limit (a reset time in the past must not mean "retry every tick")
MIN_HOLD = timedelta(seconds=30)
#: how long a holder keeps its accounts and claims after its last heartbeat (it beats every third)
LEASE = timedelta(seconds=30)
#: the shortest wait before a post the platform is still preparing is looked at again (a check time
#: of "now" must not make the next pass call the platform again at once, and again, and again)
MIN_PROCESSING_WAIT = timedelta(seconds=1)
#: a file put on the ``[media]`` host keeps its URL this long in the engine's memory while it is still
#: there: the checks of a post being prepared (every few seconds) do not hash and record its files
#: again (cleanup removes a file only ``keep_days`` — at least a day — after it was last handed out)
HOSTED_FRESH = timedelta(minutes=10)
#: a platform quota used up: asked again after at most this long (a post made elsewhere, by another
#: app on the account, may leave the moving window before the oldest one campaigner made)
QUOTA_RECHECK = timedelta(hours=1)


class Bucket(str, enum.Enum):
    """Where a delivery ends in a pass's report (``PassReport`` has a list per bucket)."""

    PUBLISHED = "published"
    FAILED = "failed"
    RETRYING = "retrying"
    DEFERRED = "deferred"
    UNCONFIRMED = "unconfirmed"
    HELD = "held"
    EXPIRED = "expired"
    #: the platform is still preparing it (a Meta media container): queued again, looked at later
    PROCESSING = "processing"


#: buckets after which nothing more goes out on the account in this pass
STOPS_ACCOUNT = frozenset({Bucket.HELD, Bucket.RETRYING, Bucket.UNCONFIRMED})


class _End(NamedTuple):
    """How an attempt ends: its outcome code, the prose, and the platform's HTTP status if it answered;
    and what the connector asked to keep for the part's next call (``ConnectorError.progress``:
    ``part_id`` and ``progress``, written with the attempt's end; None: keep what was kept, ``{}``:
    forget it)."""

    attempt_id: int
    outcome: O
    error: str | None = None
    http_status: int | None = None
    part_id: int | None = None
    progress: Mapping[str, Any] | None = None

    @classmethod
    def of(cls, attempt_id: int, outcome: O, exc: BaseException | str | None = None,
           part: DeliveryPart | None = None) -> "_End":
        """The end of attempt ``attempt_id``; the progress ``exc`` asks to keep for ``part`` is also
        set on ``part`` in memory (what the next call of this part is given)."""
        if not isinstance(exc, ConnectorError):
            return cls(attempt_id, outcome, None if exc is None else str(exc))
        if part is None or exc.progress is None:
            return cls(attempt_id, outcome, str(exc), exc.http_status)
        part.progress = dict(exc.progress) or None
        return cls(attempt_id, outcome, str(exc), exc.http_status, part.id, dict(exc.progress))


# --- the hot path's statements, built once (building a statement costs more than running it) -----
_D, _A, _P = (cast(Table, m.__table__) for m in (Delivery, Attempt, DeliveryPart))
_OURS = and_(_D.c.id == bindparam("b_id"), _D.c.status == bindparam("b_from"), _D.c.claimed_by == bindparam("b_worker"))
_EXTEND_CLAIM = update(_D).where(_OURS).values(lease_until=bindparam("b_until"))
_START_ATTEMPT = insert(_A).values(delivery_id=bindparam("b_id"), part_position=bindparam("b_position"),
                                   kind=bindparam("b_kind"), worker=bindparam("b_worker"),
                                   started_at=bindparam("b_now")).returning(_A.c.id)
_END_ATTEMPT = update(_A).where(_A.c.id == bindparam("b_attempt")).values(
    finished_at=bindparam("b_now"), outcome=bindparam("b_outcome"), error=bindparam("b_error"),
    http_status=bindparam("b_http_status"))
#: a part is out: what it became, and the progress kept for it is cleared (SQL NULL, not JSON null)
_RECORD_PART = update(_P).where(_P.c.id == bindparam("b_part")).values(
    remote_id=bindparam("b_remote_id"), remote_url=bindparam("b_remote_url"), published_at=bindparam("b_published_at"),
    progress=null())
_KEEP_PROGRESS = update(_P).where(_P.c.id == bindparam("b_part")).values(progress=bindparam("b_progress"))
_FORGET_PROGRESS = update(_P).where(_P.c.id == bindparam("b_part")).values(progress=null())


#: writes that go with a settled delivery, in its transaction (``Engine._settle``)
_Extra = Callable[[Connection, datetime], object]


def _then(first: _Extra | None, second: _Extra | None) -> _Extra:
    """``first``, then ``second`` (either may be None)."""
    def both(s: Connection, now: datetime) -> None:
        for write in (first, second):
            if write is not None:
                write(s, now)
    return both


@functools.lru_cache(maxsize=64)
def _move_ours(keys: frozenset[str]):
    """``UPDATE deliveries SET status=…, <keys>=… WHERE id=… AND status=<from> AND claimed_by=<us>``."""
    return update(_D).where(_OURS).values(status=bindparam("b_status"),
                                           **{k: bindparam(f"b_{k}") for k in sorted(keys)})


@dataclass
class PassReport:
    """What one pass did, by delivery id."""

    published: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    deferred: list[int] = field(default_factory=list)
    unconfirmed: list[int] = field(default_factory=list)
    held: list[int] = field(default_factory=list)
    expired: list[int] = field(default_factory=list)
    processing: list[int] = field(default_factory=list)
    recovered: int = 0

    def add(self, bucket: Bucket, delivery_id: int) -> None:
        getattr(self, bucket.value).append(delivery_id)

    @property
    def handled(self) -> int:
        return sum(len(getattr(self, b.value)) for b in Bucket)

    def merge(self, other: "PassReport") -> None:
        for b in Bucket:
            getattr(self, b.value).extend(getattr(other, b.value))
        self.recovered += other.recovered


@dataclass
class _Batch:
    """One leased account and its claimed deliveries (loaded once, then kept up to date in memory)."""

    account: Account
    deliveries: list[Delivery]
    full: bool  # as many claimed as one batch takes: there may be more due
    #: caps and spacing, counted once per batch and kept up to date as posts go out
    day: date | None = None
    published_today: int = 0
    last_published: datetime | None = None
    counted: bool = False
    #: the platform's own quota (``HasQuota``), asked once per batch: posts left in its window, kept
    #: up to date as posts go out (None: not asked yet, or it could not be asked)
    quota: Quota | None = None
    quota_left: int | None = None
    quota_asked: bool = False


class Engine:
    """One worker's publishing engine. Thread-safe across accounts; one account at a time each."""

    def __init__(self, app: App, worker: str, *, policy: RetryPolicy = RetryPolicy(),
                 lease: timedelta = LEASE, accounts_per_pass: int = 50,
                 deliveries_per_account: int = 20, concurrency: int = 4,
                 connector_factory: Callable[[Account], Connector] | None = None,
                 rng: random.Random | None = None):
        self.app = app
        self.worker = worker
        self.policy = policy
        self.lease = lease
        #: accounts leased at the same time (at most one per thread)
        self.accounts_per_pass = accounts_per_pass
        self.deliveries_per_account = deliveries_per_account
        self.concurrency = concurrency
        self.rng = rng or random.Random()
        self._factory = connector_factory or functools.partial(account_connector, app)
        self._connectors: dict[int, Connector] = {}
        #: set when the worker shuts down: batches in hand stop after the delivery in flight
        self.stopping = threading.Event()
        self._writes: Writes | None = None
        self.process = this_process()
        #: the accounts in hand and the deliveries claimed with them: what each heartbeat renews
        self._hand: dict[int, list[int]] = {}
        self._hand_lock = threading.Lock()
        #: workers on this machine whose process has ended (looked up by ``recover``, each pass)
        self._ended: list[tuple[str, int, int | None]] = []
        #: the ``[media]`` host, opened at the first post that needs it (a failed open is not kept)
        self._media_host: MediaHost | None = None
        self._media_host_lock = threading.Lock()
        #: (file, type) → its public URL and when it was put there (``HOSTED_FRESH``)
        self._hosted_urls: dict[tuple[str, str], tuple[str, datetime]] = {}

    # --- liveness -----------------------------------------------------------------------------
    def start(self) -> None:
        """Register this worker before it takes anything (``workers.register``). Whatever the
        database says a worker of this name holds now is a predecessor's — a crashed run with the
        same ``--name`` — and is taken over at once."""
        now = self.app.now()
        with self._tx() as conn:
            workers.register(conn, self.worker, self.process, now)
        self._recover(now, Delivery.claimed_by == self.worker)

    def beat(self) -> None:
        """The heartbeat: this worker's row says it is alive, and the accounts and claims in hand get
        a new term — one short write transaction, whatever the threads are waiting for."""
        now = self.app.now()
        with self._hand_lock:
            accounts = sorted(self._hand)
            claims = sorted(i for ids in self._hand.values() for i in ids)
        until = now + self.lease
        with self._tx() as conn:
            workers.beat(conn, self.worker, self.process, now)
            if accounts:
                conn.execute(update(Account).where(Account.id.in_(accounts), Account.lease_owner == self.worker)
                             .values(lease_until=until))
            if claims:
                conn.execute(update(Delivery).where(Delivery.id.in_(claims), Delivery.status == S.PUBLISHING,
                                                    Delivery.claimed_by == self.worker)
                             .values(lease_until=until))

    def _gone(self, now: datetime) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
        """SQL conditions: an account lease, a claim, whose holder is gone — its term ran out (no
        heartbeat), or its process has ended on this machine."""
        ended = sorted({name for name, _, _ in self._ended})
        account = Account.lease_until < now
        claim = Delivery.lease_until < now
        if ended:
            account, claim = or_(account, Account.lease_owner.in_(ended)), or_(claim, Delivery.claimed_by.in_(ended))
        return account, claim

    # --- transactions -----------------------------------------------------------------------
    def _writer(self) -> Writes:
        engine = self.app.engine
        if self._writes is None or self._writes.engine is not engine:
            self._writes = Writes(engine)
        return self._writes

    @contextlib.contextmanager
    def _tx(self) -> Iterator[Connection]:
        """A write transaction on a plain connection (the hot path needs no ORM session): takes the
        write lock at once on SQLite (``db.writer``), commits at the end, rolls back on error.
        It first writes the outcomes this thread left for it (``_later``)."""
        with self._writer().begin() as conn:
            yield conn

    def _later(self, write: Write) -> None:
        """Write a call's outcome with this thread's next transaction (``scheduler.writes``): the next
        attempt start, or the flush before the account is given back."""
        self._writer().later(write)

    # --- connectors -------------------------------------------------------------------------
    def connector(self, account: Account) -> Connector:
        if account.id not in self._connectors:
            self._connectors[account.id] = self._factory(account)
        return self._connectors[account.id]

    # --- the pass ---------------------------------------------------------------------------
    def run_pass(self) -> PassReport:
        """Publish what is due now: recover dead claims, then keep up to ``concurrency`` threads
        busy, each with one leased account at a time (the most overdue first) and its due
        deliveries, until nothing more can be leased. A slow account holds up only its own thread;
        an account whose batch was full is leased again in the same pass."""
        now = self.app.now()
        report = PassReport(recovered=self.recover(now), expired=expire_waiting(self.app, now))
        busy: set[int] = set()
        done: set[int] = set()  # finished for this pass (nothing more due, or stopped)
        threads = max(1, min(self.concurrency, self.accounts_per_pass))

        def finished(batch: _Batch, part: PassReport, again: bool) -> None:
            report.merge(part)
            busy.discard(batch.account.id)
            if not again:
                done.add(batch.account.id)

        if threads == 1:
            while not self.stopping.is_set() and (batch := self._take(busy | done)) is not None:
                finished(batch, *self._run_one(batch))
            return report
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix=f"publish-{self.worker}") as pool:
            running: dict[Future, _Batch] = {}
            while True:
                while len(running) < threads and not self.stopping.is_set():
                    batch = self._take(busy | done)
                    if batch is None:
                        break
                    busy.add(batch.account.id)
                    running[pool.submit(self._run_one, batch)] = batch
                if not running:
                    break
                completed, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in completed:
                    finished(running.pop(future), *future.result())
        return report

    def publish_all_due(self, max_passes: int = 1000) -> PassReport:
        """Passes until nothing due is left to claim (``campaigner publish``)."""
        total = PassReport()
        for _pass in range(max_passes):
            report = self.run_pass()
            total.merge(report)
            if report.handled == 0:
                break
        return total

    def _run_one(self, batch: _Batch) -> tuple[PassReport, bool]:
        """Publish one account's batch and give the account back; (what happened, whether the
        account may have more due now)."""
        report = PassReport()
        try:
            again = self._run_batch(batch, report) and batch.full
        finally:
            try:
                self._writer().flush()  # the last outcomes, before anyone else may lease the account
            finally:
                self._release_account(batch.account.id)
        return report, again

    def _take(self, exclude: set[int]) -> _Batch | None:
        """Lease the most overdue free account not in ``exclude`` and claim its due deliveries — one
        committed transaction — then load them once; None when there is nothing more to lease."""
        exclude = set(exclude)
        while True:
            now = self.app.now()
            with self._tx() as conn:
                account_id = self._lease(conn, now, exclude)
                if account_id is None:
                    return None
                ids = self._claim(conn, now, account_id)
            if ids:
                with self._hand_lock:
                    self._hand[account_id] = ids
                break
            self._release_account(account_id)  # due rows locked by someone else (PostgreSQL): skip it
            exclude.add(account_id)
        with db.read(self.app.engine) as s:
            loaded = {d.id: d for d in s.scalars(
                select(Delivery).where(Delivery.id.in_(ids)).options(
                    selectinload(Delivery.parts), selectinload(Delivery.attempts), selectinload(Delivery.account),
                    selectinload(Delivery.post).selectinload(Post.media),
                    selectinload(Delivery.post).selectinload(Post.answers).selectinload(Reply.delivery)))}
        ds = [loaded[i] for i in ids]
        return _Batch(ds[0].account, ds, full=len(ds) >= self.deliveries_per_account)

    # --- leases and claims ------------------------------------------------------------------
    def _lease(self, conn: Connection, now: datetime, exclude: Iterable[int]) -> int | None:
        """Lease the most overdue active, un-held, free account not in ``exclude`` that has something
        due (free: not leased, or ours, or its holder is gone); one statement, so two workers never
        lease the same account."""
        free = or_(Account.lease_until.is_(None), Account.lease_owner == self.worker, self._gone(now)[0])
        first_due = (select(func.min(Delivery.due_at)).where(Delivery.account_id == Account.id, states.ready(now))
                     .correlate(Account).scalar_subquery())
        pick = (select(Account.id)
                .where(states.can_send(now), free,
                       exists().where(Delivery.account_id == Account.id, states.ready(now)))
                .order_by(first_due, Account.id).limit(1)
                .with_for_update(skip_locked=True))
        exclude = sorted(exclude)
        if exclude:
            pick = pick.where(Account.id.not_in(exclude))
        stmt = (update(Account).where(Account.id.in_(pick.scalar_subquery()), free)
                .values(lease_owner=self.worker, lease_until=now + self.lease)
                .returning(Account.id))
        return conn.scalars(stmt).first()

    def _release_account(self, account_id: int) -> None:
        with self._hand_lock:
            self._hand.pop(account_id, None)
        with self._tx() as conn:
            conn.execute(update(Account).where(Account.id == account_id, Account.lease_owner == self.worker)
                         .values(lease_owner=None, lease_until=None))

    def _claim(self, conn: Connection, now: datetime, account_id: int) -> list[int]:
        """Claim the leased account's due deliveries (up to a batch): their ids, oldest first."""
        pick = (select(Delivery.id)
                .where(Delivery.account_id == account_id, states.ready(now))
                .order_by(Delivery.due_at, Delivery.id)
                .limit(self.deliveries_per_account)
                .with_for_update(skip_locked=True))
        stmt = (update(Delivery)
                .where(Delivery.id.in_(pick.scalar_subquery()), Delivery.status.in_([S.QUEUED, S.UNCONFIRMED]))
                .values(status=S.PUBLISHING, claimed_by=self.worker, claimed_at=now, lease_until=now + self.lease,
                        updated_at=now)
                .returning(Delivery.id, Delivery.due_at))
        return [d for d, _ in sorted(conn.execute(stmt).all(), key=lambda r: (r[1], r[0]))]

    def recover(self, now: datetime) -> int:
        """Take over the claims of gone workers (``_gone``): back to the queue when no platform call
        had started, otherwise ``unconfirmed`` — never re-sent blind. The rows of workers on this
        machine whose process has ended are removed once they hold nothing."""
        with db.read(self.app.engine) as s:  # the common case, nothing stale, takes no write lock
            self._ended = workers.ended_here(s, self.process)
            gone = self._gone(now)[1]
            if (s.scalar(select(Delivery.id).where(Delivery.status == S.PUBLISHING, gone).limit(1)) is None
                    and not self._ended):
                return 0
        return self._recover(now, gone)

    def _recover(self, now: datetime, ran_out: ColumnElement[bool]) -> int:
        """Give back the claims that match ``ran_out`` (their holder is gone), in one transaction."""
        with self._tx() as conn:
            # locked (PostgreSQL): a worker extending its lease right now is skipped, not overwritten
            with Session(bind=conn) as s:  # closed before any change: nothing is written through it
                stale = list(s.scalars(select(Delivery).where(Delivery.status == S.PUBLISHING, ran_out)
                                       .with_for_update(skip_locked=True)
                                       .options(selectinload(Delivery.attempts), selectinload(Delivery.parts))))
            ended = [dict(b_attempt=a.id, b_now=now, b_outcome=O.UNKNOWN,
                          b_error=_("worker {worker} stopped during the call").format(worker=a.worker),
                          b_http_status=None)
                     for d in stale for a in d.attempts if a.finished_at is None]
            if ended:
                conn.execute(_END_ATTEMPT, ended)
            self._give_back(conn, stale, now, ran_out)
            for d in stale:
                log.warning("recovered delivery %d from worker %s (%s)", d.id, d.claimed_by, d.status.value)
            if self._ended:  # their accounts are free again, and their rows go once they hold nothing
                conn.execute(update(Account).where(Account.lease_owner.in_(sorted({n for n, _, _ in self._ended})))
                             .values(lease_owner=None, lease_until=None))
                workers.forget_ended(conn, self._ended)
        return len(stale)

    def _give_back(self, conn: Connection, ds: list[Delivery], now: datetime,
                   still_claimed: ColumnElement[bool]) -> None:
        """Claims that end with no call in flight (none made, or its worker died): ``unconfirmed``, to
        be looked for RECONCILE_DELAY later, when the last call's outcome is unknown, else ``queued``.
        One statement per group, touching only rows still ``publishing`` and ``still_claimed`` (an
        SQL condition); in memory only the status moves."""
        back: dict[bool, list[Delivery]] = {True: [], False: []}
        for d in ds:
            back[uncertain(d)].append(d)
        for unsure, group in back.items():
            if not group:
                continue
            new = S.UNCONFIRMED if unsure else S.QUEUED
            for d in group:
                states.move(d, new)
            values = dict(status=new, claimed_by=None, claimed_at=None, lease_until=None, updated_at=now)
            if unsure:
                values["next_attempt_at"] = now + RECONCILE_DELAY
            conn.execute(update(Delivery).where(Delivery.id.in_([d.id for d in group]),
                                                Delivery.status == S.PUBLISHING, still_claimed)
                         .values(**values))

    # --- one account --------------------------------------------------------------------------
    def _run_batch(self, batch: _Batch, report: PassReport) -> bool:
        """Publish the batch in order; True when every delivery was handled without stopping."""
        ds = batch.deliveries
        for i, d in enumerate(ds):
            if self.stopping.is_set():
                self._unclaim(ds[i:])
                return False
            bucket = self._process(d, batch)
            report.add(bucket, d.id)
            if bucket in STOPS_ACCOUNT:
                self._unclaim(ds[i + 1:])
                return False
        return True

    def _unclaim(self, ds: list[Delivery]) -> None:
        """Give back claims we will not use in this pass (no call was made for them)."""
        if not ds:
            return
        now = self.app.now()
        with self._tx() as conn:
            self._give_back(conn, ds, now, Delivery.claimed_by == self.worker)

    def _process(self, d: Delivery, batch: _Batch) -> Bucket:
        """Publish (or reconcile, then publish) one claimed delivery; returns the report bucket."""
        now = self.app.now()
        unsure = uncertain(d)  # never expired blind: looked for first, expired only if not there
        too_late = None if unsure else self._past_limit(d, batch, now)
        if too_late:
            return self._expire(d, batch, too_late)
        moved = self._cap_or_spacing(batch, d, now)
        if moved:
            because = _("it would be {when}").format(when=moved[1])
            too_late = None if unsure else self._past_limit(d, batch, moved[0], because=because)
            return self._expire(d, batch, too_late) if too_late else self._defer(d, batch, *moved)
        try:
            connector = self.connector(d.account)
        except CampaignerError as exc:  # e.g. a missing secret: like an expired token
            return self._pause(d, batch, str(exc))
        if unsure:
            looked_for = pending_part(d)
            settled = self._reconcile(d, batch, connector)
            if settled is not None:
                return settled
            resend = looked_for is not None and looked_for.remote_id is None  # not found: it would go out now
            if resend and (too_late := self._past_limit(d, batch, self.app.now())):
                return self._expire(d, batch, too_late)
        pending = [p for p in d.parts if p.remote_id is None]
        if not pending:  # every part is out (recorded before a crash)
            return self._finish(d, batch)
        if any(p.progress is None for p in pending) and self._quota_used_up(batch, connector):
            return self._quota_hold(d, batch)  # (a post whose containers are made is not asked for again)
        for part in pending:
            settled = self._publish_part(d, batch, part, connector, last=part is pending[-1])
            if settled is not None:
                return settled
        raise AssertionError("the last part settles the delivery")

    def _past_limit(self, d: Delivery, batch: _Batch, at: datetime, because: str | None = None) -> str | None:
        """Why ``d`` may not go out at ``at``: past its lateness limit (None: it may)."""
        return lateness.past_limit(d, batch.account, self.app.settings.max_late_minutes, at,
                                   self.app.zone_for(batch.account.timezone), because)

    def _expire(self, d: Delivery, batch: _Batch, reason: str) -> Bucket:
        """Not sent: its moment has passed. Shown, alerted; a person may still send it."""
        self._settle(d, batch, S.EXPIRED, dict(last_error=reason, next_attempt_at=None),
                     lambda s, now: alert_expired(s, d, reason, now))
        return Bucket.EXPIRED

    def _outgoing(self, d: Delivery, part: DeliveryPart) -> OutgoingPost:
        return outgoing_post(self.app, d, part)

    def _publish_part(self, d: Delivery, batch: _Batch, part: DeliveryPart, connector: Connector, *,
                      last: bool) -> Bucket | None:
        """One part: attempt committed, the call, the outcome committed (None when more parts
        follow, else the report bucket). What the connector asks to keep for the part's next call
        (``NotReady.progress``, ``ConnectorError.progress``) is written with the attempt's end."""
        attempt_id = self._start_attempt(d.id, part.position, "publish")
        if attempt_id is None:
            return Bucket.HELD  # not ours any more: nothing was sent
        try:  # what goes out, worked out after the attempt is committed: nothing is sent yet
            outgoing = self._hosted(d, self._outgoing(d, part))
        except StoreError as exc:  # the public place could not be written now: like a 5xx
            return self._retry(d, batch, _("media not put on the public host: {error}").format(error=exc),
                               attempt=_End.of(attempt_id, O.TRANSIENT, exc))
        except CampaignerError as exc:  # no [media] (or a broken one): a person must configure it
            return self._fail(d, batch, self._host_missing(d, exc), attempt=_End.of(attempt_id, O.PERMANENT, exc))
        except Permanent as exc:  # e.g. an answer whose reply is no longer stored
            return self._fail(d, batch, exc.reason, attempt=_End.of(attempt_id, O.PERMANENT, exc))
        try:
            published = connector.publish(outgoing)
        except NotReady as exc:
            return self._processing(d, batch, _End.of(attempt_id, O.PROCESSING, exc, part), exc)
        except RateLimited as exc:
            return self._hold(d, batch, exc, attempt=_End.of(attempt_id, O.RATE_LIMITED, exc, part))
        except AuthExpired as exc:
            return self._pause(d, batch, _("the platform refused its credentials ({error})").format(error=exc),
                               attempt=_End.of(attempt_id, O.AUTH_EXPIRED, exc, part))
        except AlreadyPublished as exc:
            return self._already_there(d, batch, part, connector,
                                       _End.of(attempt_id, O.ALREADY_PUBLISHED, exc, part), last=last)
        except Permanent as exc:
            return self._fail(d, batch, exc.reason, attempt=_End.of(attempt_id, O.PERMANENT, exc, part))
        except Transient as exc:
            if exc.outcome_unknown:
                return self._unconfirmed(d, batch, str(exc), attempt=_End.of(attempt_id, O.UNKNOWN, exc, part))
            return self._retry(d, batch, str(exc), attempt=_End.of(attempt_id, O.TRANSIENT, exc, part))
        except ConnectorError as exc:  # NotSupported and the like: this post can never go out here
            return self._fail(d, batch, str(exc), attempt=_End.of(attempt_id, O.PERMANENT, exc, part))
        except Exception as exc:  # a bug after the request may have gone out: never re-send blind
            log.exception("delivery %d: unexpected error while publishing", d.id)
            return self._unconfirmed(d, batch, f"unexpected {type(exc).__name__}",
                                     attempt=_End.of(attempt_id, O.UNKNOWN, f"{type(exc).__name__}: {exc}"))
        return self._record_part(d, batch, part, _End(attempt_id, O.PUBLISHED), published, last=last)

    def _processing(self, d: Delivery, batch: _Batch, end: _End, exc: NotReady) -> Bucket:
        """Nothing is out yet: the platform is still preparing the post (``NotReady``). Its progress
        is kept (with the attempt's end), the delivery is queued again for ``check_at`` — no attempt
        spent, no backoff — and its lateness limit still applies when it is claimed again."""
        now = self.app.now()
        check_at = max(exc.check_at, now + MIN_PROCESSING_WAIT)
        self._settle(d, batch, S.QUEUED,
                     dict(next_attempt_at=check_at, last_error=str(exc) if str(exc).startswith(d.account.platform)
                          else f"{d.account.platform}: {exc}"),
                     self._ender(end))
        log.info("%s delivery %d is still being prepared by the platform; looked at again at %s", d.account.name,
                 d.id, check_at.isoformat())
        return Bucket.PROCESSING

    # --- media by URL (Instagram, Threads) ----------------------------------------------------
    def _hosted(self, d: Delivery, outgoing: OutgoingPost) -> OutgoingPost:
        """``outgoing`` with each media file put on the ``[media]`` host and its public URL set, for
        a platform that fetches media by URL; as it is for the others. Publishing a file is
        idempotent (the same file keeps its URL) and counts its age from then, so cleanup never takes
        a file away while its post is being prepared; within ``HOSTED_FRESH`` the URL is reused."""
        if not outgoing.media or not platform_info(d.account.platform).media_by_url:
            return outgoing
        host = self._host()
        now = self.app.now()

        def url(path: str, mime: str) -> str:
            key = (path, mime)
            with self._media_host_lock:
                known = self._hosted_urls.get(key)
            if (known is not None and now - known[1] < HOSTED_FRESH
                    and host.store.exists(known[0].removeprefix(host.media.public_url))):
                return known[0]
            value = host.publish(Path(path), mime, now)
            with self._media_host_lock:
                self._hosted_urls[key] = (value, now)
            return value
        media = tuple(dataclasses.replace(m, url=url(str(m.path), m.mime_type)) for m in outgoing.media)
        return dataclasses.replace(outgoing, media=media)

    def _host(self) -> MediaHost:
        with self._media_host_lock:
            if self._media_host is None:
                self._media_host = MediaHost.open(self.app)
            return self._media_host

    def _host_missing(self, d: Delivery, exc: CampaignerError) -> str:
        """Why a post whose media cannot be put on a public host fails, and what to do (one line)."""
        platform = d.account.platform
        if not isinstance(exc, ConfigError):  # e.g. its file is gone: says itself what to do
            return f"{platform}: {exc}"
        then = _("send it again with `campaigner post retry {id} --account {account}`").format(
            id=d.post_id, account=d.account.name)
        return _("{platform} fetches media from a public address, and {what} — {how}").format(
            platform=platform, what=exc.what,
            how=_("{fix}; then {then}").format(fix=exc.fix, then=then) if exc.fix else then)

    # --- the platform's own quota (Instagram, Threads) ----------------------------------------
    def _quota_used_up(self, batch: _Batch, connector: Connector) -> bool:
        """Whether the platform's own publishing quota has nothing left for the next post, before its
        containers are made. Asked once per batch (``HasQuota.quota``), then counted down as posts go
        out; a failed ask is logged and publishing goes on (the platform's own refusal,
        ``RateLimited``, still holds the account — also for a post whose containers were made)."""
        account = batch.account
        if not platform_info(account.platform).quota:
            return False
        if not batch.quota_asked:
            batch.quota_asked = True
            try:
                quota = cast(HasQuota, connector).quota()
            except ConnectorError as exc:
                log.warning("%s: publishing quota not known (%s); publishing anyway", account.name, exc)
                return False
            except Exception:  # a broken quota call must not stop publishing
                log.exception("%s: unexpected error while asking for the publishing quota", account.name)
                return False
            batch.quota, batch.quota_left = quota, quota.left
            if quota.total != account.quota_total:
                self._later_quota_total(account, quota.total)
        return batch.quota_left is not None and batch.quota_left <= 0

    def _later_quota_total(self, account: Account, total: int) -> None:
        """Keep the platform's quota on the account (the daily cap planned against, ``planned_cap``)."""
        account.quota_total = total
        self._later(lambda s: s.execute(update(Account).where(Account.id == account.id).values(quota_total=total)))

    def _quota_hold(self, d: Delivery, batch: _Batch) -> Bucket:
        """The quota is used up: hold the account (no container is made that could not be published)
        until the oldest post campaigner made in the window (taken down since or not) leaves it — asked
        again at least every QUOTA_RECHECK, since posts made by other apps count too."""
        quota = batch.quota
        assert quota is not None
        now = self.app.now()
        account = batch.account
        self._writer().flush()  # the posts that went out in this batch count
        with db.read(self.app.engine) as s:
            oldest = s.scalar(select(func.min(Delivery.published_at)).where(
                Delivery.account_id == account.id, Delivery.status.in_(list(states.WENT_OUT)),
                Delivery.published_at > now - quota.window))
        until = now + QUOTA_RECHECK if oldest is None else min(oldest + quota.window, now + QUOTA_RECHECK)
        hours = quota.window / timedelta(hours=1)
        exc = RateLimited(until, _("{platform} publishing quota used up: {used} of {total} posts in {hours} h").format(
            platform=account.platform, used=quota.total - (batch.quota_left or 0), total=quota.total,
            hours=decimal(hours)))
        log.info("%s: %s", account.name, exc)
        return self._hold(d, batch, exc)

    def _already_there(self, d: Delivery, batch: _Batch, part: DeliveryPart, connector: Connector, end: _End, *,
                       last: bool) -> Bucket | None:
        """The platform refuses the part as already there (``AlreadyPublished``). After an earlier
        call whose outcome was unknown that is this very post: it is recorded when a look finds it,
        else the delivery stays unconfirmed and is looked for again — never failed, never re-sent; a
        look that fails is handled as reconcile's (``_look_failed``). With no such call the text is
        another post's, and this one cannot go out as it is."""
        if maybe_out_since(d, part) is None:
            return self._fail(d, batch, _("{error} — {account} already has another post with this text: change the "
                                          "text (`campaigner post edit {id}`) to send it").format(
                error=end.error, account=d.account.name, id=d.post_id),
                              attempt=end)
        try:
            found = connector.find_existing(self._outgoing(d, part), look_since(d, part))
        except ConnectorError as exc:  # the look failed: this publish attempt still ends "already there"
            return self._look_failed(d, batch, part, exc, end, unknown=False)
        if found is not None:
            return self._record_part(d, batch, part, end._replace(outcome=O.FOUND), found, last=last)
        return self._look_later(d, batch, part, end, looks=0)

    def _look_later(self, d: Delivery, batch: _Batch, part: DeliveryPart, end: _End, *, looks: int) -> Bucket:
        """The platform says the part is there but ``looks`` looks did not show it (X's timeline lags
        behind new posts): unconfirmed, looked for again on the policy's schedule; once
        ``policy.look_for`` has passed since the first unknown outcome, a person is asked, once."""
        now = self.app.now()
        since = maybe_out_since(d, part) or now
        platform = d.account.platform
        if now - since < self.policy.look_for:
            return self._unconfirmed(d, batch, _("{platform} says it is already there but does not show it yet: "
                                                 "looking again").format(platform=platform),
                                     again_in=self.policy.look_delay(looks), attempt=end, unknown=False)
        hours = self.policy.look_for / timedelta(hours=1)
        return self._unconfirmed(
            d, batch, _("{platform} says part {part} is already there, but it was not found in {hours} hours of "
                        "looking: find it on {account}, then run `campaigner post reconcile {id} --account {account} "
                        "--found URL` (or `--resend` if it is not there)").format(
                platform=platform, part=part.position + 1, hours=decimal(hours), account=d.account.name, id=d.post_id),
            again_in=None, attempt=end, unknown=False)

    def _look_failed(self, d: Delivery, batch: _Batch, part: DeliveryPart, exc: ConnectorError,
                     attempt: int | _End, *, unknown: bool = True) -> Bucket:
        """A look for ``part`` the platform did not answer, the same after a reconcile's look and after
        "already there": rate limited → the account is held and it is looked for after the limit (not
        a look that missed it); credentials refused → the account pauses; the look refused for good →
        a person decides; else → looked for again soon. Never sent blind. ``attempt``: the reconcile
        attempt, ended with the look's outcome, or the end already decided (a publish refused as
        already there: that outcome is what says the part is there). ``unknown``: as for
        ``_unconfirmed``."""
        def end(outcome: O) -> _End:
            return _End.of(attempt, outcome, exc, part) if isinstance(attempt, int) else attempt
        if isinstance(exc, RateLimited):
            return self._hold(d, batch, exc, attempt=end(O.RATE_LIMITED), uncertain=True)
        if isinstance(exc, AuthExpired):
            return self._pause(d, batch, _("the platform refused its credentials ({error})").format(error=exc),
                               uncertain=True, attempt=end(O.AUTH_EXPIRED))
        if isinstance(exc, (Permanent, NotSupported)):
            return self._refused_look(d, batch, exc, end(O.CANNOT_TELL), unknown=unknown)
        return self._unconfirmed(d, batch, _("could not look for it yet: {error}").format(error=exc),
                                 again_in=self.policy.delay(1, self.rng), attempt=end(O.TRANSIENT), unknown=unknown)

    def _refused_look(self, d: Delivery, batch: _Batch, exc: ConnectorError, end: _End, *,
                      unknown: bool = True) -> Bucket:
        """The platform refuses the look itself for good (not permitted, not in the plan, a query it
        will never take): asking again changes nothing, and sending blind could post it twice, so
        the delivery stays unconfirmed, is never looked for or sent again by itself, and one alert
        asks a person. ``unknown``: as for ``_unconfirmed`` (False after "already there")."""
        return self._unconfirmed(
            d, batch, _("{platform} refused the search for it ({error}); it is not sent again blind: check "
                        "{account} by hand, then run `campaigner post reconcile {id} --account {account} --found "
                        "URL` (or `--resend` if it is not there)").format(
                platform=d.account.platform, error=exc, account=d.account.name, id=d.post_id),
            again_in=None, attempt=end, unknown=unknown)

    def _reconcile(self, d: Delivery, batch: _Batch, connector: Connector) -> Bucket | None:
        """Look for the part whose outcome is unknown: found → record it; surely absent → None (send
        it); known to be there but not visible → look again later; the look refused for now → look
        again later; cannot tell, or the look refused for good → a person decides (one alert)."""
        part = pending_part(d)
        assert part is not None  # uncertain(d) says so
        attempt_id = self._start_attempt(d.id, part.position, "reconcile")
        if attempt_id is None:
            return Bucket.HELD
        try:
            outgoing = self._outgoing(d, part)
        except Permanent as exc:  # what to look for is not known (an answer whose reply is gone): a person decides
            return self._unconfirmed(d, batch, _("it cannot be looked for ({error}): check {account}, then run "
                                                 "`campaigner post reconcile {id} --account {account} --found URL` or "
                                                 "`--resend`").format(error=exc.reason, account=d.account.name,
                                                                      id=d.post_id),
                                     again_in=None, attempt=_End.of(attempt_id, O.CANNOT_TELL, exc))
        try:
            found = connector.find_existing(outgoing, look_since(d, part))
        except ConnectorError as exc:
            return self._look_failed(d, batch, part, exc, attempt_id)
        if found is not None:
            last = all(p.remote_id is not None for p in d.parts if p is not part)
            log.info("delivery %d: part %d was published after all (%s)", d.id, part.position + 1, found.url)
            return self._record_part(d, batch, part, _End(attempt_id, O.FOUND), found, last=last)
        if known_there(d, part):
            looks = sum(1 for a in d.attempts if a.part_position == part.position and a.kind == "reconcile"
                        and a.outcome == O.NOT_VISIBLE)
            return self._look_later(d, batch, part, _End(attempt_id, O.NOT_VISIBLE, _("not found yet")),
                                    looks=looks + 1)
        if connector.can_find_existing:
            self._finish_attempt(_End(attempt_id, O.NOT_FOUND, _("not on the platform: sending again")))
            return None
        return self._unconfirmed(d, batch, _("{platform} cannot be searched for it: check the channel, then run "
                                             "`campaigner post reconcile {id} --account {account} --found URL` or "
                                             "`--resend`").format(platform=d.account.platform, id=d.post_id,
                                                                  account=d.account.name), again_in=None,
                                 attempt=_End(attempt_id, O.CANNOT_TELL, _("the platform cannot be searched")))

    # --- caps and spacing ---------------------------------------------------------------------
    def _count(self, batch: _Batch, now: datetime) -> None:
        """Published today (local day) and the last publish time on the batch's account: one query,
        then kept up to date in memory while the account is ours."""
        account = batch.account
        zone = self.app.zone_for(account.timezone)
        day = now.astimezone(zone).date()
        start, end = local_day_bounds(day, zone)
        self._writer().flush()  # a new local day mid-batch: the outcomes in hand count too
        with db.read(self.app.engine) as s:
            today, last = s.execute(
                select(func.count(case((and_(Delivery.published_at >= start, Delivery.published_at < end), 1))),
                       func.max(Delivery.published_at))
                .where(Delivery.account_id == account.id, Delivery.status.in_(list(states.WENT_OUT)))).one()
        batch.day, batch.published_today, batch.last_published, batch.counted = day, today or 0, last, True

    def _cap_or_spacing(self, batch: _Batch, d: Delivery, now: datetime) -> tuple[datetime, str] | None:
        account = batch.account
        cap = planned_cap(account)
        if not (cap or account.min_spacing_minutes):
            return None
        zone = self.app.zone_for(account.timezone)
        day = now.astimezone(zone).date()
        if not batch.counted or batch.day != day:
            self._count(batch, now)
        if cap:
            if batch.published_today >= cap:
                start, end = local_day_bounds(day, zone)
                local_due = d.due_at.astimezone(zone)
                nxt = datetime.combine(day + timedelta(days=1), local_due.time(), tzinfo=zone)
                nxt = max(nxt.astimezone(end.tzinfo), end)
                said = (_("moved to {when}: daily cap of {cap} reached on {day} ({zone})") if cap == account.daily_cap
                        else _("moved to {when}: daily cap of {cap} ({platform}'s publishing quota) reached on {day} "
                               "({zone})"))
                return nxt, said.format(when=format_local(nxt, zone), cap=cap, platform=account.platform, day=day,
                                        zone=format_local(now, zone).split()[-1])
        if account.min_spacing_minutes:
            last = batch.last_published
            spacing = timedelta(minutes=account.min_spacing_minutes)
            if last is not None and now < last + spacing:
                return last + spacing, _("moved to {when}: keeps {minutes} min after the previous post").format(
                    when=format_local(last + spacing, zone), minutes=account.min_spacing_minutes)
        return None

    def _counted_publish(self, batch: _Batch, published_at: datetime) -> None:
        if not batch.counted:
            return
        zone = self.app.zone_for(batch.account.timezone)
        if published_at.astimezone(zone).date() == batch.day:
            batch.published_today += 1
        if batch.last_published is None or published_at > batch.last_published:
            batch.last_published = published_at

    # --- writing outcomes ---------------------------------------------------------------------
    def _start_attempt(self, delivery_id: int, position: int, kind: str) -> int | None:
        """Commit an attempt row before the call, so a crash mid-call is seen as 'outcome unknown'.

        Only while the claim is still ours: one conditional UPDATE checks it and extends its lease,
        in the same transaction as the attempt. A claim that ran out while we were busy may have
        been recovered and re-claimed by another worker; then None, and no call may be made."""
        with self._tx() as conn:
            now = self.app.now()
            ours = conn.execute(_EXTEND_CLAIM, dict(b_id=delivery_id, b_from=S.PUBLISHING, b_worker=self.worker,
                                                    b_until=now + self.lease))
            if ours.rowcount != 1:
                log.warning("delivery %d: claim ran out before the %s call; left to its new owner", delivery_id, kind)
                return None
            return conn.execute(_START_ATTEMPT, dict(b_id=delivery_id, b_position=position, b_kind=kind,
                                                     b_worker=self.worker, b_now=now)).scalar_one()

    def _finish_attempt(self, end: _End, s: Connection | None = None) -> None:
        """End the attempt (and keep the progress the connector asked to keep, in the same
        transaction: a crash cannot keep one without the other)."""
        params = dict(b_attempt=end.attempt_id, b_now=self.app.now(), b_outcome=end.outcome, b_error=end.error,
                      b_http_status=end.http_status)

        def write(conn: Connection) -> None:
            conn.execute(_END_ATTEMPT, params)
            if end.progress:
                conn.execute(_KEEP_PROGRESS, dict(b_part=end.part_id, b_progress=end.progress))
            elif end.progress is not None:  # {}: forgotten (stored as SQL NULL, like a part never tried)
                conn.execute(_FORGET_PROGRESS, dict(b_part=end.part_id))
        if s is not None:
            write(s)
        else:
            self._later(write)

    def _record_part(self, d: Delivery, batch: _Batch, part: DeliveryPart, end: _End, published: Published, *,
                     last: bool) -> Bucket | None:
        """A part is out: record it and end its attempt (with the next part's attempt start); after
        the last part the delivery is published in the same transaction (None: more parts follow)."""
        part.remote_id, part.remote_url, part.published_at = (published.remote_id, published.url,
                                                              published.published_at)
        part.progress = None

        def write(s: Connection, now: datetime) -> None:
            s.execute(_RECORD_PART, dict(b_part=part.id, b_remote_id=published.remote_id, b_remote_url=published.url,
                                         b_published_at=published.published_at))
            self._finish_attempt(end, s=s)
        if not last:
            now = self.app.now()
            self._later(lambda s: write(s, now))
            return None
        return self._finish(d, batch, write)

    def _settle(self, d: Delivery, batch: _Batch, new: S, values: dict,
                extra: _Extra | None = None) -> None:
        """Move our claimed delivery to ``new`` (claim cleared) with ``values``, plus ``extra`` writes
        (attempt end, part, alert, account), in one transaction: this thread's next one (``_later``)."""
        now = self.app.now()
        current = d.status
        states.move(d, new)
        fields = dict(claimed_by=None, claimed_at=None, lease_until=None, updated_at=now, **values)

        def write(s: Connection) -> None:
            if extra is not None:
                extra(s, now)
            done = s.execute(_move_ours(frozenset(fields)),
                             dict(b_id=d.id, b_from=current, b_worker=self.worker, b_status=new,
                                  **{f"b_{k}": v for k, v in fields.items()})).rowcount
            if done != 1:  # the claim ran out meanwhile (a stall): still record what we know, but
                # never take a delivery from a worker that claimed it since (it may be mid-call):
                # only "it went out" is worth that, as it stops that worker from sending it again
                with Session(bind=s) as fs:
                    fresh = fs.get(Delivery, d.id)
                    if (fresh is not None and states.can_move(S(fresh.status), new)
                            and (fresh.status != S.PUBLISHING or new == S.PUBLISHED)):
                        log.warning("delivery %d: claim ran out during the call; recording %s anyway", d.id, new.value)
                        states.move(fresh, new)
                        for k, v in fields.items():
                            setattr(fresh, k, v)
                        fs.flush()
                    elif fresh is not None:
                        log.warning("delivery %d is %s now; not moving it to %s", d.id, fresh.status.value, new.value)
        self._later(write)
        for k, v in fields.items():
            setattr(d, k, v)

    def _alert(self, s: Connection, kind: str, d: Delivery, message: str, now: datetime) -> None:
        s.execute(insert(Alert).values(created_at=now, kind=kind, account_id=d.account_id, delivery_id=d.id,
                                       message=message))
        log.warning("%s: delivery %d on %s: %s", kind, d.id, d.account.name, message)

    def _ender(self, attempt: _End | None, more: _Extra | None = None) -> _Extra:
        """The extra writes of a settled delivery: its attempt's end (if it has one), then ``more``."""
        return _then(None if attempt is None else (lambda s, now: self._finish_attempt(attempt, s=s)), more)

    def _finish(self, d: Delivery, batch: _Batch,
                extra: _Extra | None = None) -> Bucket:
        first = d.parts[0]
        now = self.app.now()
        published_at = max(p.published_at or now for p in d.parts)
        answers = d.post.answers_reply_id
        if answers is not None:  # an answer from the inbox: its reply is answered, in the same transaction
            extra = _then(extra, lambda s, now: s.execute(mark_answered(answers, published_at)))
        self._settle(d, batch, S.PUBLISHED, dict(remote_id=first.remote_id, remote_url=first.remote_url,
                                                 published_at=published_at, last_error=None, next_attempt_at=None),
                     extra)
        self._counted_publish(batch, published_at)
        if batch.quota_left is not None:
            batch.quota_left -= 1
        log.info("published %s delivery %d: %s", d.account.name, d.id, first.remote_url or first.remote_id)
        return Bucket.PUBLISHED

    def _fail(self, d: Delivery, batch: _Batch, reason: str, *, attempt: _End | None = None, **values) -> Bucket:
        """Failed for good with ``reason`` (also the alert's message); ``values``: more fields to set."""
        self._settle(d, batch, S.FAILED, dict(values, last_error=reason, next_attempt_at=None),
                     self._ender(attempt, lambda s, now: self._alert(s, "failed", d, reason, now)))
        return Bucket.FAILED

    def _retry(self, d: Delivery, batch: _Batch, reason: str, *, attempt: _End | None = None) -> Bucket:
        count = d.attempt_count + 1
        if self.policy.gives_up(count):
            return self._fail(d, batch, _("gave up after {attempts}: {reason}").format(
                attempts=plural(count, "attempt"), reason=reason), attempt=attempt,
                              attempt_count=count)
        now = self.app.now()
        self._settle(d, batch, S.QUEUED, dict(attempt_count=count, last_error=reason,
                                              next_attempt_at=now + self.policy.delay(count, self.rng)),
                     self._ender(attempt))
        log.info("retrying %s delivery %d later: %s", d.account.name, d.id, reason)
        return Bucket.RETRYING

    def _unconfirmed(self, d: Delivery, batch: _Batch, reason: str, again_in: timedelta | None = RECONCILE_DELAY,
                     *, attempt: _End | None = None, unknown: bool = True) -> Bucket:
        """Unconfirmed: looked for again ``again_in`` later, or (None) a person is asked. ``unknown``:
        the outcome is unknown (else the platform said the post is there)."""
        now = self.app.now()
        more = None if again_in is not None else (lambda s, now: self._alert(s, "unconfirmed", d, reason, now))
        self._settle(d, batch, S.UNCONFIRMED,
                     dict(last_error=_("outcome unknown: {reason}").format(reason=reason) if unknown else reason,
                          next_attempt_at=now + again_in if again_in is not None else None),
                     self._ender(attempt, more))
        if again_in is not None:
            log.info("unconfirmed %s delivery %d (will look for it): %s", d.account.name, d.id, reason)
        return Bucket.UNCONFIRMED

    def _defer(self, d: Delivery, batch: _Batch, when: datetime, why: str) -> Bucket:
        # the moment stays: lateness (and its limit) count from it, not from the new due time
        self._settle(d, batch, S.QUEUED, dict(due_at=when, intended_at=lateness.moment(d), last_error=why,
                                              next_attempt_at=None))
        log.info("deferred %s delivery %d: %s", d.account.name, d.id, why)
        return Bucket.DEFERRED

    def _hold(self, d: Delivery, batch: _Batch, exc: RateLimited, *, attempt: _End | None = None,
              uncertain: bool = False) -> Bucket:
        """Rate limited (or the platform's quota used up, with no call made: no ``attempt``): no
        attempt is spent; the account (or every account on the same app) waits — at least
        MIN_HOLD, even when the platform's reset time is already past."""
        exc.retry_at = max(exc.retry_at, self.app.now() + MIN_HOLD)
        account = d.account

        def hold(s: Connection, now: datetime) -> None:
            q = update(Account).values(held_until=exc.retry_at, held_reason=str(exc))
            if exc.scope == "app":
                q = q.where(Account.platform == account.platform, Account.base_url == account.base_url
                            if account.base_url else Account.base_url.is_(None))
            else:
                q = q.where(Account.id == account.id)
            s.execute(q)
        self._settle(d, batch, S.UNCONFIRMED if uncertain else S.QUEUED,
                     dict(next_attempt_at=exc.retry_at,
                          last_error=_("rate limited until {when}").format(
                              when=format_local(exc.retry_at, self.app.zone_for(account.timezone)))),
                     self._ender(attempt, hold))
        log.info("rate limited on %s until %s", account.name, exc.retry_at.isoformat())
        return Bucket.HELD

    def _pause(self, d: Delivery, batch: _Batch, reason: str, *, uncertain: bool = False,
               attempt: _End | None = None) -> Bucket:
        """Credentials refused or missing: the account pauses; its deliveries stay queued."""
        self._connectors.pop(d.account_id, None)
        now = self.app.now()

        def pause(s: Connection, now: datetime) -> None:
            s.execute(update(Account).where(Account.id == d.account_id)
                      .values(status=AccountStatus.PAUSED, status_reason=reason))
            self._alert(s, "paused", d, _("account {account} paused: {reason}").format(account=d.account.name,
                                                                                       reason=reason), now)
        self._settle(d, batch, S.UNCONFIRMED if uncertain else S.QUEUED,
                     dict(next_attempt_at=now if uncertain else None,
                          last_error=_("account paused: {reason}").format(reason=reason)),
                     self._ender(attempt, pause))
        return Bucket.HELD

    # --- for the daemon -----------------------------------------------------------------------
    def next_wake(self) -> datetime | None:
        """When something next becomes due (a delivery, a backoff, a hold ending, a claim running
        out, now when a worker on this machine ended while holding claims or accounts); None if
        nothing is waiting. It may be early (then a pass finds nothing and the next answer is
        exact), never late.

        Cheap with a big queue: only the rows already due (few) are grouped per account; of the
        rows due later only the first counts (an index walk on status, due_at)."""
        now = self.app.now()
        ready = states.ready_at()
        active = Account.status == AccountStatus.ACTIVE
        with db.read(self.app.engine) as s:
            # due already (backoffs, holds, unconfirmed deliveries waiting to be looked for): exact
            rows = s.execute(
                select(Account.held_until, func.min(ready))
                .join(Account, Account.id == Delivery.account_id)
                .where(active, or_(and_(Delivery.status == S.QUEUED, Delivery.due_at <= now),
                                   and_(Delivery.status == S.UNCONFIRMED, Delivery.next_attempt_at.is_not(None))))
                .group_by(Account.id, Account.held_until)).all()
            # due later: the first one, on an account not held past it
            later = s.scalar(select(Delivery.due_at).join(Account, Account.id == Delivery.account_id)
                             .where(Delivery.status == S.QUEUED, Delivery.due_at > now, active,
                                    or_(Account.held_until.is_(None), Account.held_until <= Delivery.due_at))
                             .order_by(Delivery.due_at).limit(1))
            # holds that end later (what their accounts had due before then is due at that moment)
            hold = s.scalar(select(func.min(Account.held_until)).where(active, Account.held_until > now))
            lease = s.scalar(select(func.min(Delivery.lease_until)).where(Delivery.status == S.PUBLISHING))
            ended = sorted({name for name, _, _ in workers.ended_here(s, self.process)})
            if ended and (s.scalar(select(Delivery.id).where(Delivery.status == S.PUBLISHING,
                                                            Delivery.claimed_by.in_(ended)).limit(1)) is not None
                          or s.scalar(select(Account.id).where(Account.lease_owner.in_(ended)).limit(1)) is not None):
                # their holder's process has ended: due since it was last seen (a time already past,
                # so the caller's own "now", taken a moment before this one, finds it due)
                lease = s.scalar(select(func.min(Worker.last_seen_at)).where(Worker.name.in_(ended)))
        times = [max(t for t in (first, held) if t is not None) for held, first in rows]
        times += [t for t in (later, hold, lease) if t is not None]
        return min(times) if times else None
