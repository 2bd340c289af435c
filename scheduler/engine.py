"""The publishing engine: claim due deliveries, publish each exactly once, reconcile unknown outcomes.

How exactly-once holds:
- An account is leased by one worker at a time (one conditional UPDATE … RETURNING), so its
  deliveries go out in order and its caps and spacing are checked without races.
- Each delivery is claimed (``queued``/``unconfirmed`` → ``publishing``) by one conditional
  UPDATE … RETURNING in its own committed transaction (PostgreSQL adds FOR UPDATE SKIP LOCKED).
- Before each platform call an attempt row is committed. A worker that dies leaves its claim to
  run out: with no attempt started the delivery simply goes back to the queue; with an attempt
  started the outcome is unknown and the delivery becomes ``unconfirmed``.
- An unconfirmed delivery is never sent again before the connector's ``find_existing`` has looked
  for it; where the platform cannot look (Telegram) a person decides (``post reconcile``).

Connectors never sleep or retry; this module owns backoff (``RetryPolicy``), rate-limit holds,
paused accounts, caps and spacing. Every function takes ``now`` from the app's clock.
"""
from __future__ import annotations

import logging
import random
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from sqlalchemy import and_, case, exists, func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from campaigner import db, states
from campaigner.app import App
from campaigner.errors import CampaignerError
from campaigner.models import (Account, AccountStatus, Alert, Attempt, Delivery, DeliveryPart,
                               DeliveryStatus as S, Post)
from campaigner.services.accounts import connector_config
from campaigner.services.posts import RECONCILE_MARGIN, outgoing_post, uncertain
from campaigner.times import format_local, local_day_bounds
from connectors.base import (AuthExpired, Connector, ConnectorError, OutgoingPost, Permanent,
                             Published, RateLimited, Transient)
from connectors.registry import build_connector
from scheduler.policy import RetryPolicy

log = logging.getLogger(__name__)

#: after an unknown outcome, look for the post this long later (timelines can lag a little)
RECONCILE_DELAY = timedelta(seconds=30)
#: the shortest wait after a rate limit (a reset time in the past must not mean "retry every tick")
MIN_HOLD = timedelta(seconds=30)


@dataclass
class PassReport:
    """What one pass did, by delivery id."""

    published: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    retrying: list[int] = field(default_factory=list)
    deferred: list[int] = field(default_factory=list)
    unconfirmed: list[int] = field(default_factory=list)
    held: list[int] = field(default_factory=list)
    recovered: int = 0

    @property
    def handled(self) -> int:
        return sum(len(x) for x in (self.published, self.failed, self.retrying, self.deferred,
                                    self.unconfirmed, self.held))

    def merge(self, other: "PassReport") -> None:
        for name in ("published", "failed", "retrying", "deferred", "unconfirmed", "held"):
            getattr(self, name).extend(getattr(other, name))
        self.recovered += other.recovered


class _StopAccount(Exception):
    """Nothing more goes out on this account in this pass (held, paused, or in trouble)."""


class Engine:
    """One worker's publishing engine. Thread-safe across accounts; one account at a time each."""

    def __init__(self, app: App, worker: str, *, policy: RetryPolicy = RetryPolicy(),
                 lease: timedelta = timedelta(minutes=10), accounts_per_pass: int = 50,
                 deliveries_per_account: int = 20, concurrency: int = 4,
                 connector_factory: Callable[[Account], Connector] | None = None,
                 rng: random.Random | None = None):
        self.app = app
        self.worker = worker
        self.policy = policy
        self.lease = lease
        self.accounts_per_pass = accounts_per_pass
        self.deliveries_per_account = deliveries_per_account
        self.concurrency = concurrency
        self.rng = rng or random.Random()
        self._factory = connector_factory or self._build_connector
        self._connectors: dict[int, Connector] = {}

    # --- connectors -------------------------------------------------------------------------
    def _build_connector(self, account: Account) -> Connector:
        return build_connector(connector_config(self.app, account), clock=self.app.now)

    def connector(self, account: Account) -> Connector:
        if account.id not in self._connectors:
            self._connectors[account.id] = self._factory(account)
        return self._connectors[account.id]

    # --- the pass ---------------------------------------------------------------------------
    def run_pass(self) -> PassReport:
        """Publish what is due now: recover dead claims, lease accounts, claim, publish."""
        now = self.app.now()
        report = PassReport(recovered=self.recover(now))
        accounts = self.lease_accounts(now)
        if not accounts:
            return report
        try:
            claimed = self.claim(now, accounts)
            by_account: dict[int, list[int]] = defaultdict(list)
            for delivery_id, account_id in claimed:
                by_account[account_id].append(delivery_id)
            if self.concurrency > 1 and len(by_account) > 1:
                with ThreadPoolExecutor(max_workers=min(self.concurrency, len(by_account))) as pool:
                    for part in pool.map(self._run_account, by_account.values()):
                        report.merge(part)
            else:
                for ids in by_account.values():
                    report.merge(self._run_account(ids))
        finally:
            self.release_accounts(accounts)
        return report

    def publish_all_due(self, max_passes: int = 1000) -> PassReport:
        """Passes until nothing due is left to claim (``campaigner publish``)."""
        total = PassReport()
        for _ in range(max_passes):
            report = self.run_pass()
            total.merge(report)
            if report.handled == 0:
                break
        return total

    # --- claims -----------------------------------------------------------------------------
    def _due(self, now: datetime):
        """Deliveries ready to go: queued and due (and past their backoff), or unconfirmed and
        due for another look."""
        return or_(and_(Delivery.status == S.QUEUED, Delivery.due_at <= now,
                        or_(Delivery.next_attempt_at.is_(None), Delivery.next_attempt_at <= now)),
                   and_(Delivery.status == S.UNCONFIRMED, Delivery.next_attempt_at <= now))

    def lease_accounts(self, now: datetime) -> list[int]:
        """Lease active, un-held accounts that have something due; one statement, so two workers
        never lease the same account."""
        free = or_(Account.lease_until.is_(None), Account.lease_until < now, Account.lease_owner == self.worker)
        pick = (select(Account.id)
                .where(Account.status == AccountStatus.ACTIVE,
                       or_(Account.held_until.is_(None), Account.held_until <= now), free,
                       exists().where(Delivery.account_id == Account.id, self._due(now)))
                .order_by(Account.id).limit(self.accounts_per_pass)
                .with_for_update(skip_locked=True))
        stmt = (update(Account).where(Account.id.in_(pick.scalar_subquery()), free)
                .values(lease_owner=self.worker, lease_until=now + self.lease)
                .returning(Account.id).execution_options(synchronize_session=False))
        with db.write(self.app.engine) as s:
            return list(s.scalars(stmt))

    def release_accounts(self, account_ids: list[int]) -> None:
        with db.write(self.app.engine) as s:
            s.execute(update(Account).where(Account.id.in_(account_ids), Account.lease_owner == self.worker)
                      .values(lease_owner=None, lease_until=None).execution_options(synchronize_session=False))

    def claim(self, now: datetime, account_ids: list[int]) -> list[tuple[int, int]]:
        """Claim due deliveries of our leased accounts, oldest first: (delivery id, account id)."""
        if not account_ids:
            return []
        pick = (select(Delivery.id)
                .where(Delivery.account_id.in_(account_ids), self._due(now))
                .order_by(Delivery.due_at, Delivery.id)
                .limit(self.deliveries_per_account * len(account_ids))
                .with_for_update(skip_locked=True))
        stmt = (update(Delivery)
                .where(Delivery.id.in_(pick.scalar_subquery()), Delivery.status.in_([S.QUEUED, S.UNCONFIRMED]))
                .values(status=S.PUBLISHING, claimed_by=self.worker, claimed_at=now, lease_until=now + self.lease,
                        updated_at=now)
                .returning(Delivery.id, Delivery.account_id, Delivery.due_at)
                .execution_options(synchronize_session=False))
        with db.write(self.app.engine) as s:
            rows = s.execute(stmt).all()
        return [(d, a) for d, a, _ in sorted(rows, key=lambda r: (r[2], r[0]))]

    def recover(self, now: datetime) -> int:
        """Claims whose lease ran out (their worker died): back to the queue when no platform call
        had started, otherwise ``unconfirmed`` — never re-sent blind."""
        with db.write(self.app.engine) as s:
            # locked (PostgreSQL): a worker extending its lease right now is skipped, not overwritten
            stale = list(s.scalars(select(Delivery).where(Delivery.status == S.PUBLISHING, Delivery.lease_until < now)
                                   .with_for_update(skip_locked=True)
                                   .options(selectinload(Delivery.attempts), selectinload(Delivery.parts))))
            for d in stale:
                owner = d.claimed_by
                for a in d.attempts:
                    if a.finished_at is None:
                        a.finished_at, a.outcome = now, "unknown"
                        a.error = f"worker {a.worker} stopped during the call"
                self._release(s, d, now, uncertain=uncertain(d))
                log.warning("recovered delivery %d from worker %s (%s)", d.id, owner, d.status.value)
            return len(stale)

    def _release(self, s: Session, d: Delivery, now: datetime, *, uncertain: bool) -> None:
        if uncertain:
            states.move(d, S.UNCONFIRMED)
            d.next_attempt_at = now + RECONCILE_DELAY
        else:
            states.move(d, S.QUEUED)
        d.claimed_by = d.claimed_at = d.lease_until = None
        d.updated_at = now

    # --- one account --------------------------------------------------------------------------
    def _run_account(self, delivery_ids: list[int]) -> PassReport:
        report = PassReport()
        for i, delivery_id in enumerate(delivery_ids):
            try:
                outcome = self._process(delivery_id)
                getattr(report, outcome).append(delivery_id)
                if outcome in ("held", "retrying", "unconfirmed"):
                    raise _StopAccount
            except _StopAccount:
                self._unclaim(delivery_ids[i + 1:])
                break
        return report

    def _unclaim(self, delivery_ids: list[int]) -> None:
        """Give back claims we will not use in this pass (no call was made for them)."""
        if not delivery_ids:
            return
        now = self.app.now()
        with db.write(self.app.engine) as s:
            for d in s.scalars(select(Delivery).where(Delivery.id.in_(delivery_ids),
                                                      Delivery.claimed_by == self.worker)
                               .options(selectinload(Delivery.attempts), selectinload(Delivery.parts))):
                self._release(s, d, now, uncertain=uncertain(d))

    def _load(self, s: Session, delivery_id: int) -> Delivery:
        return s.scalars(select(Delivery).where(Delivery.id == delivery_id).options(
            selectinload(Delivery.parts), selectinload(Delivery.attempts), selectinload(Delivery.account),
            selectinload(Delivery.post).selectinload(Post.media))).one()

    def _process(self, delivery_id: int) -> str:
        """Publish (or reconcile, then publish) one claimed delivery; returns the report bucket."""
        now = self.app.now()
        with db.read(self.app.engine) as s:
            d = self._load(s, delivery_id)
            if d.status != S.PUBLISHING or d.claimed_by != self.worker:
                return "held"  # not ours any more (lease ran out); nothing was sent
            moved = self._cap_or_spacing(s, d, now)
        if moved:
            return self._defer(d, *moved)
        try:
            connector = self.connector(d.account)
        except CampaignerError as exc:  # e.g. a missing secret: like an expired token
            return self._pause(d, str(exc))
        if uncertain(d):
            verdict = self._reconcile(d, connector)
            if verdict != "resend" and verdict != "found":
                return verdict
            with db.read(self.app.engine) as s:
                d = self._load(s, delivery_id)
        for part in d.parts:
            if part.remote_id is not None:
                continue
            outcome = self._publish_part(d, part, connector)
            if outcome != "ok":
                return outcome
        return self._finish(d)

    def _outgoing(self, d: Delivery, part: DeliveryPart) -> OutgoingPost:
        return outgoing_post(self.app, d, part)

    def _publish_part(self, d: Delivery, part: DeliveryPart, connector: Connector) -> str:
        attempt_id = self._start_attempt(d.id, part.position, "publish")
        if attempt_id is None:
            return "held"  # not ours any more: nothing was sent
        try:
            published = connector.publish(self._outgoing(d, part))
        except RateLimited as exc:
            return self._hold(d, attempt_id, exc)
        except AuthExpired as exc:
            self._finish_attempt(attempt_id, "auth_expired", str(exc))
            return self._pause(d, f"the platform refused its credentials ({exc})")
        except Permanent as exc:
            if exc.reason == "duplicate content":  # X: after an unknown outcome this means "already there"
                found = self._find(connector, d, part)
                if found is not None:
                    self._record_part(d.id, part.id, attempt_id, found, "published (found after duplicate refusal)")
                    return "ok"
            self._finish_attempt(attempt_id, "permanent", exc.reason)
            return self._fail(d, exc.reason)
        except Transient as exc:
            if exc.outcome_unknown:
                self._finish_attempt(attempt_id, "unknown", str(exc))
                return self._unconfirmed(d, str(exc))
            self._finish_attempt(attempt_id, "transient", str(exc))
            return self._retry(d, str(exc))
        except ConnectorError as exc:  # NotSupported and the like: this post can never go out here
            self._finish_attempt(attempt_id, "permanent", str(exc))
            return self._fail(d, str(exc))
        except Exception as exc:  # a bug after the request may have gone out: never re-send blind
            log.exception("delivery %d: unexpected error while publishing", d.id)
            self._finish_attempt(attempt_id, "unknown", f"{type(exc).__name__}: {exc}")
            return self._unconfirmed(d, f"unexpected {type(exc).__name__}")
        self._record_part(d.id, part.id, attempt_id, published, "published")
        part.remote_id, part.remote_url, part.published_at = (published.remote_id, published.url,
                                                              published.published_at)
        return "ok"

    def _find(self, connector: Connector, d: Delivery, part: DeliveryPart) -> Published | None:
        uncertain = [a.started_at for a in d.attempts if a.part_position == part.position and a.kind == "publish"]
        since = min([*uncertain, d.claimed_at or self.app.now()]) - RECONCILE_MARGIN
        try:
            return connector.find_existing(self._outgoing(d, part), since)
        except ConnectorError as exc:
            log.warning("delivery %d: could not look for part %d: %s", d.id, part.position + 1, exc)
            return None

    def _reconcile(self, d: Delivery, connector: Connector) -> str:
        """Look for the part whose outcome is unknown: found → record it; surely absent → resend;
        cannot tell → a person decides."""
        part = next(p for p in d.parts if p.remote_id is None)
        attempt_id = self._start_attempt(d.id, part.position, "reconcile")
        if attempt_id is None:
            return "held"
        uncertain = [a.started_at for a in d.attempts if a.part_position == part.position and a.kind == "publish"]
        since = min(uncertain or [d.due_at]) - RECONCILE_MARGIN
        try:
            found = connector.find_existing(self._outgoing(d, part), since)
        except RateLimited as exc:
            return self._hold(d, attempt_id, exc, uncertain=True)
        except AuthExpired as exc:
            self._finish_attempt(attempt_id, "auth_expired", str(exc))
            return self._pause(d, f"the platform refused its credentials ({exc})", uncertain=True)
        except ConnectorError as exc:
            self._finish_attempt(attempt_id, "transient", str(exc))
            return self._unconfirmed(d, f"could not look for it yet: {exc}", again_in=self.policy.delay(1, self.rng))
        if found is not None:
            self._record_part(d.id, part.id, attempt_id, found, "found")
            log.info("delivery %d: part %d was published after all (%s)", d.id, part.position + 1, found.url)
            return "found"
        if getattr(connector, "can_find_existing", True):
            self._finish_attempt(attempt_id, "not_found", "not on the platform: sending again")
            return "resend"
        self._finish_attempt(attempt_id, "cannot_tell", "the platform cannot be searched")
        return self._unconfirmed(d, f"{d.account.platform} cannot be searched for it: check the channel, then run "
                                    f"`campaigner post reconcile {d.post_id} --account {d.account.name} "
                                    "--found URL` or `--resend`", again_in=None)

    # --- caps and spacing ---------------------------------------------------------------------
    def _cap_or_spacing(self, s: Session, d: Delivery, now: datetime) -> tuple[datetime, str] | None:
        account = d.account
        zone = self.app.zone_for(account.timezone)
        if account.daily_cap:
            day = now.astimezone(zone).date()
            start, end = local_day_bounds(day, zone)
            done = s.scalar(select(func.count()).select_from(Delivery).where(
                Delivery.account_id == account.id, Delivery.status == S.PUBLISHED,
                Delivery.published_at >= start, Delivery.published_at < end)) or 0
            if done >= account.daily_cap:
                local_due = d.due_at.astimezone(zone)
                nxt = datetime.combine(day + timedelta(days=1), local_due.time(), tzinfo=zone)
                nxt = max(nxt.astimezone(end.tzinfo), end)
                return nxt, (f"moved to {format_local(nxt, zone)}: daily cap of {account.daily_cap} reached on "
                             f"{day} ({format_local(now, zone).split()[-1]})")
        if account.min_spacing_minutes:
            last = s.scalar(select(func.max(Delivery.published_at)).where(
                Delivery.account_id == account.id, Delivery.status == S.PUBLISHED))
            spacing = timedelta(minutes=account.min_spacing_minutes)
            if last is not None and now < last + spacing:
                return last + spacing, (f"moved to {format_local(last + spacing, zone)}: keeps "
                                        f"{account.min_spacing_minutes} min after the previous post")
        return None

    # --- writing outcomes ---------------------------------------------------------------------
    def _start_attempt(self, delivery_id: int, position: int, kind: str) -> int | None:
        """Commit an attempt row before the call, so a crash mid-call is seen as 'outcome unknown'.

        Only while the claim is still ours: one conditional UPDATE checks it and extends its lease,
        in the same transaction as the attempt. A claim that ran out while we were busy may have
        been recovered and re-claimed by another worker; then None, and no call may be made."""
        with db.write(self.app.engine) as s:
            now = self.app.now()
            ours = s.execute(update(Delivery).where(Delivery.id == delivery_id, Delivery.status == S.PUBLISHING,
                                                    Delivery.claimed_by == self.worker)
                             .values(lease_until=now + self.lease).execution_options(synchronize_session=False))
            if ours.rowcount != 1:
                log.warning("delivery %d: claim ran out before the %s call; left to its new owner", delivery_id, kind)
                return None
            attempt = Attempt(delivery_id=delivery_id, part_position=position, kind=kind, worker=self.worker,
                              started_at=now)
            s.add(attempt)
            s.flush()
            return attempt.id

    def _finish_attempt(self, attempt_id: int, outcome: str, error: str | None = None,
                        s: Session | None = None) -> None:
        def apply(sess: Session) -> None:
            sess.execute(update(Attempt).where(Attempt.id == attempt_id)
                         .values(finished_at=self.app.now(), outcome=outcome, error=error))
        if s is not None:
            apply(s)
        else:
            with db.write(self.app.engine) as sess:
                apply(sess)

    def _record_part(self, delivery_id: int, part_id: int, attempt_id: int, published: Published,
                     outcome: str) -> None:
        with db.write(self.app.engine) as s:
            s.execute(update(DeliveryPart).where(DeliveryPart.id == part_id).values(
                remote_id=published.remote_id, remote_url=published.url, published_at=published.published_at))
            self._finish_attempt(attempt_id, outcome, s=s)

    def _with(self, d: Delivery, change: Callable[[Session, Delivery, datetime], None]) -> None:
        """Apply ``change`` to our claimed delivery in one transaction."""
        now = self.app.now()
        with db.write(self.app.engine) as s:
            fresh = self._load(s, d.id)
            change(s, fresh, now)
            fresh.claimed_by = fresh.claimed_at = fresh.lease_until = None
            fresh.updated_at = now

    def _alert(self, s: Session, kind: str, d: Delivery, message: str, now: datetime) -> None:
        s.add(Alert(created_at=now, kind=kind, account_id=d.account_id, delivery_id=d.id, message=message))
        log.warning("%s: delivery %d on %s: %s", kind, d.id, d.account.name, message)

    def _finish(self, d: Delivery) -> str:
        def change(s, fresh, now):
            first = fresh.parts[0]
            states.move(fresh, S.PUBLISHED)
            fresh.remote_id, fresh.remote_url = first.remote_id, first.remote_url
            fresh.published_at = max(p.published_at or now for p in fresh.parts)
            fresh.last_error = fresh.next_attempt_at = None
        self._with(d, change)
        log.info("published %s delivery %d: %s", d.account.name, d.id, d.parts[0].remote_url or d.parts[0].remote_id)
        return "published"

    def _fail(self, d: Delivery, reason: str) -> str:
        def change(s, fresh, now):
            states.move(fresh, S.FAILED)
            fresh.last_error = reason
            fresh.next_attempt_at = None
            self._alert(s, "failed", fresh, reason, now)
        self._with(d, change)
        return "failed"

    def _retry(self, d: Delivery, reason: str) -> str:
        gave_up = []

        def change(s, fresh, now):
            fresh.attempt_count += 1
            fresh.last_error = reason
            if self.policy.gives_up(fresh.attempt_count):
                states.move(fresh, S.FAILED)
                fresh.next_attempt_at = None
                fresh.last_error = f"gave up after {fresh.attempt_count} attempts: {reason}"
                self._alert(s, "failed", fresh, fresh.last_error, now)
                gave_up.append(True)
            else:
                states.move(fresh, S.QUEUED)
                fresh.next_attempt_at = now + self.policy.delay(fresh.attempt_count, self.rng)
        self._with(d, change)
        if not gave_up:
            log.info("retrying %s delivery %d later: %s", d.account.name, d.id, reason)
        return "failed" if gave_up else "retrying"

    def _unconfirmed(self, d: Delivery, reason: str, again_in: timedelta | None = RECONCILE_DELAY) -> str:
        def change(s, fresh, now):
            states.move(fresh, S.UNCONFIRMED)
            fresh.last_error = f"outcome unknown: {reason}"
            fresh.next_attempt_at = now + again_in if again_in is not None else None
            if again_in is None:
                self._alert(s, "unconfirmed", fresh, reason, now)
        self._with(d, change)
        if again_in is not None:
            log.info("unconfirmed %s delivery %d (will look for it): %s", d.account.name, d.id, reason)
        return "unconfirmed"

    def _defer(self, d: Delivery, when: datetime, why: str) -> str:
        def change(s, fresh, now):
            states.move(fresh, S.QUEUED)
            fresh.due_at, fresh.last_error, fresh.next_attempt_at = when, why, None
        self._with(d, change)
        log.info("deferred %s delivery %d: %s", d.account.name, d.id, why)
        return "deferred"

    def _hold(self, d: Delivery, attempt_id: int, exc: RateLimited, *, uncertain: bool = False) -> str:
        """Rate limited: no attempt is spent; the account (or every account on the same app) waits —
        at least MIN_HOLD, even when the platform's reset time is already past."""
        exc.retry_at = max(exc.retry_at, self.app.now() + MIN_HOLD)

        def change(s, fresh, now):
            self._finish_attempt(attempt_id, "rate_limited", str(exc), s=s)
            states.move(fresh, S.UNCONFIRMED if uncertain else S.QUEUED)
            fresh.next_attempt_at = exc.retry_at
            fresh.last_error = f"rate limited until {format_local(exc.retry_at, self.app.zone_for(fresh.account.timezone))}"
            q = update(Account).values(held_until=exc.retry_at, held_reason=str(exc))
            if exc.scope == "app":
                q = q.where(Account.platform == fresh.account.platform, Account.base_url == fresh.account.base_url
                            if fresh.account.base_url else Account.base_url.is_(None))
            else:
                q = q.where(Account.id == fresh.account_id)
            s.execute(q.execution_options(synchronize_session=False))
        self._with(d, change)
        log.info("rate limited on %s until %s", d.account.name, exc.retry_at.isoformat())
        return "held"

    def _pause(self, d: Delivery, reason: str, *, uncertain: bool = False) -> str:
        """Credentials refused or missing: the account pauses; its deliveries stay queued."""
        self._connectors.pop(d.account_id, None)

        def change(s, fresh, now):
            states.move(fresh, S.UNCONFIRMED if uncertain else S.QUEUED)
            fresh.next_attempt_at = now if uncertain else None
            fresh.last_error = f"account paused: {reason}"
            s.execute(update(Account).where(Account.id == fresh.account_id)
                      .values(status=AccountStatus.PAUSED, status_reason=reason)
                      .execution_options(synchronize_session=False))
            self._alert(s, "paused", fresh, f"account {fresh.account.name} paused: {reason}", now)
        self._with(d, change)
        return "held"

    # --- for the daemon -----------------------------------------------------------------------
    def next_wake(self) -> datetime | None:
        """When something next becomes due (a delivery, a backoff, a hold ending, a claim running
        out); None if nothing is waiting."""
        ready = case((and_(Delivery.next_attempt_at.is_not(None),
                           or_(Delivery.status == S.UNCONFIRMED, Delivery.next_attempt_at > Delivery.due_at)),
                      Delivery.next_attempt_at), else_=Delivery.due_at)
        with db.read(self.app.engine) as s:
            rows = s.execute(
                select(Account.held_until, func.min(ready))
                .join(Account, Account.id == Delivery.account_id)
                .where(Account.status == AccountStatus.ACTIVE,
                       or_(Delivery.status == S.QUEUED,
                           and_(Delivery.status == S.UNCONFIRMED, Delivery.next_attempt_at.is_not(None))))
                .group_by(Account.id, Account.held_until)).all()
            lease = s.scalar(select(func.min(Delivery.lease_until)).where(Delivery.status == S.PUBLISHING))
        times = [max(t for t in (first, held) if t is not None) for held, first in rows]
        if lease is not None:
            times.append(lease)
        return min(times) if times else None
