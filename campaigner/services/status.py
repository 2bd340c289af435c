"""The publisher at a glance (``campaigner status``): queue, recent outcomes, what needs a person,
whether the workers are alive and where the weekly report stands. Read-only; a handful of indexed
queries."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, select

from campaigner import db, states
from campaigner.app import App
from campaigner.i18n import _
from campaigner.services.alerts import channels, open_count, pending_count
from campaigner.services.listening_status import ListeningStatus, listening_status
from campaigner.services.token_expiry import TOKEN_WARNING
from campaigner.services.weekly_report import State as ReportState, state as report_state
from campaigner.tables import AccountStatus, DeliveryStatus as S, accounts, deliveries, delivery_parts, workers

#: the tables' own columns: ``status`` reads with Core selects, never loading the ORM
Delivery, Account, DeliveryPart, Worker = deliveries.c, accounts.c, delivery_parts.c, workers.c

#: a worker beats every 15 s; one not seen for this long is probably gone
STALE_AFTER = timedelta(minutes=2)
#: "recent" for the published/failed/expired counts
RECENT = timedelta(hours=24)
#: expired deliveries still waiting for a person are listed when they expired this recently…
EXPIRED_SHOWN = timedelta(days=7)
#: …at most this many of them (the rest: ``post list --status expired``)
EXPIRED_LISTED = 10
#: drafts whose time passed unapproved: listed at most this many, the oldest time first
PASSED_LISTED = 10


@dataclass(frozen=True)
class NextDue:
    delivery_id: int
    post_id: int
    account: str
    at: datetime


@dataclass(frozen=True)
class Unconfirmed:
    delivery_id: int
    post_id: int
    account: str
    why: str
    #: None: the engine will not look again by itself — a person must check and reconcile
    next_check_at: datetime | None

    @property
    def needs_person(self) -> bool:
        return self.next_check_at is None


@dataclass(frozen=True)
class Processing:
    """A queued delivery the platform is still preparing (a Meta media container): nothing is out yet."""

    delivery_id: int
    post_id: int
    account: str
    why: str
    next_check_at: datetime | None


@dataclass(frozen=True)
class Expired:
    """A delivery not sent because it was too late (still expired: no one sent or cancelled it)."""

    delivery_id: int
    post_id: int
    account: str
    intended_at: datetime  # its moment
    expired_at: datetime


@dataclass(frozen=True)
class PassedDraft:
    """A draft whose time has passed unapproved: it was not sent."""

    delivery_id: int
    post_id: int
    account: str
    due_at: datetime


@dataclass(frozen=True)
class PausedAccount:
    account: str
    reason: str


@dataclass(frozen=True)
class HeldAccount:
    account: str
    until: datetime
    reason: str


@dataclass(frozen=True)
class ExpiringToken:
    account: str
    expires_at: datetime


@dataclass(frozen=True)
class WorkerBeat:
    name: str
    hostname: str
    pid: int
    started_at: datetime
    last_seen_at: datetime
    stale: bool


@dataclass(frozen=True)
class Status:
    now: datetime
    queued: int
    due_now: int  # what the next publish pass takes (``states.ready`` on accounts that can send)
    due_blocked: int  # ready, but on a paused or held account
    publishing: int
    next_due: NextDue | None
    published_24h: int
    failed_24h: int
    expired_24h: int
    unconfirmed: list[Unconfirmed]
    #: queued, with a part the platform is preparing (its progress kept), due order
    processing: list[Processing]
    #: expired within EXPIRED_SHOWN, newest first, at most EXPIRED_LISTED; ``expired_total`` counts them all
    expired: list[Expired]
    expired_total: int
    #: drafts waiting for approval, and (at most PASSED_LISTED of) those whose time has passed
    drafts: int
    drafts_passed: list[PassedDraft]
    drafts_passed_total: int
    paused: list[PausedAccount]
    held: list[HeldAccount]
    expiring: list[ExpiringToken]  # tokens of active accounts that expire within TOKEN_WARNING
    workers: list[WorkerBeat]
    alerts_pending: int
    #: not acknowledged yet (sent or not)
    alerts_open: int
    #: the Telegram chat alerts go to (None: none)
    alerts_chat: str | None
    weekly_report: ReportState
    #: hashtag counting: when each campaign's were last counted per platform, what fails
    listening: ListeningStatus


def status(app: App, now: datetime) -> Status:
    """Everything ``campaigner status`` shows, as of ``now``."""
    ready = states.ready_at()
    queued = Delivery.status == S.QUEUED
    with db.read_core(app.engine) as s:
        counts: dict[S, int] = dict(s.execute(select(Delivery.status, func.count())
                                .where(Delivery.status.in_([S.QUEUED, S.PUBLISHING])).group_by(Delivery.status)).all())
        ready_total, due_now = s.execute(
            select(func.count(), func.coalesce(func.sum(case((states.can_send(now), 1), else_=0)), 0))
            .select_from(deliveries).join(accounts, Account.id == Delivery.account_id)
            .where(states.ready(now))).one()
        row = s.execute(select(Delivery.id, Delivery.post_id, Account.name, ready)
                        .join(accounts, Account.id == Delivery.account_id)
                        .where(queued, ready > now).order_by(ready, Delivery.id).limit(1)).first()
        published = s.scalar(select(func.count()).select_from(deliveries).where(
            Delivery.status == S.PUBLISHED, Delivery.published_at > now - RECENT)) or 0
        failed = s.scalar(select(func.count()).select_from(deliveries).where(
            Delivery.status == S.FAILED, Delivery.updated_at > now - RECENT)) or 0
        expired_24h = s.scalar(select(func.count()).select_from(deliveries).where(
            Delivery.status == S.EXPIRED, Delivery.updated_at > now - RECENT)) or 0
        recent_expired = and_(Delivery.status == S.EXPIRED, Delivery.updated_at > now - EXPIRED_SHOWN)
        expired_total = s.scalar(select(func.count()).select_from(deliveries).where(recent_expired)) or 0
        expired = [Expired(*row) for row in s.execute(
            select(Delivery.id, Delivery.post_id, Account.name, func.coalesce(Delivery.intended_at, Delivery.due_at),
                   Delivery.updated_at)
            .join(accounts, Account.id == Delivery.account_id).where(recent_expired)
            .order_by(Delivery.updated_at.desc(), Delivery.id.desc()).limit(EXPIRED_LISTED))]
        unconfirmed = [Unconfirmed(d, p, a, why or _("outcome unknown"), nxt) for d, p, a, why, nxt in s.execute(
            select(Delivery.id, Delivery.post_id, Account.name, Delivery.last_error, Delivery.next_attempt_at)
            .join(accounts, Account.id == Delivery.account_id)
            .where(Delivery.status == S.UNCONFIRMED).order_by(Delivery.due_at, Delivery.id))]
        draft = Delivery.status == S.DRAFT
        drafts, drafts_passed_total = s.execute(
            select(func.count(), func.coalesce(func.sum(case((Delivery.due_at <= now, 1), else_=0)), 0))
            .select_from(deliveries).where(draft)).one()
        drafts_passed = [PassedDraft(*row) for row in s.execute(
            select(Delivery.id, Delivery.post_id, Account.name, Delivery.due_at)
            .join(accounts, Account.id == Delivery.account_id).where(draft, Delivery.due_at <= now)
            .order_by(Delivery.due_at, Delivery.id).limit(PASSED_LISTED))]
        processing = [Processing(d, p, a, why or _("being prepared by the platform"), nxt) for d, p, a, why, nxt in s.execute(
            select(Delivery.id, Delivery.post_id, Account.name, Delivery.last_error, Delivery.next_attempt_at)
            .join(accounts, Account.id == Delivery.account_id)
            .where(queued, Delivery.id.in_(select(DeliveryPart.delivery_id).where(
                DeliveryPart.progress.is_not(None), DeliveryPart.remote_id.is_(None))))
            .order_by(Delivery.due_at, Delivery.id))]
        paused = [PausedAccount(n, r or _("no reason recorded")) for n, r in s.execute(
            select(Account.name, Account.status_reason).where(Account.status == AccountStatus.PAUSED)
            .order_by(Account.name))]
        # (a NULL time never passes the comparisons in SQL: the "is not None" only tells the types)
        expiring = [ExpiringToken(n, t) for n, t in s.execute(
            select(Account.name, Account.token_expires_at)
            .where(Account.status == AccountStatus.ACTIVE, Account.token_expires_at <= now + TOKEN_WARNING)
            .order_by(Account.token_expires_at, Account.name)) if t is not None]
        held = [HeldAccount(n, u, r or _("rate limited")) for n, u, r in s.execute(
            select(Account.name, Account.held_until, Account.held_reason).where(Account.held_until > now)
            .order_by(Account.held_until, Account.name)) if u is not None]
        beats = [WorkerBeat(w.name, w.hostname, w.pid, w.started_at, w.last_seen_at,
                            stale=now - w.last_seen_at > STALE_AFTER)
                 for w in s.execute(select(Worker.name, Worker.hostname, Worker.pid, Worker.started_at,
                                           Worker.last_seen_at).order_by(Worker.name))]
        listening = listening_status(s, now, app.settings.zone)
    return Status(now=now, queued=counts.get(S.QUEUED, 0), due_now=due_now,
                  due_blocked=ready_total - due_now, publishing=counts.get(S.PUBLISHING, 0),
                  next_due=NextDue(*row) if row else None, published_24h=published, failed_24h=failed,
                  expired_24h=expired_24h, unconfirmed=unconfirmed, processing=processing, expired=expired,
                  expired_total=expired_total, drafts=drafts, drafts_passed=drafts_passed,
                  drafts_passed_total=drafts_passed_total, paused=paused, held=held, expiring=expiring, workers=beats,
                  alerts_pending=pending_count(app), alerts_open=open_count(app),
                  alerts_chat=app.settings.alerts.telegram_chat if "telegram" in channels(app) else None,
                  weekly_report=report_state(app, now), listening=listening)
