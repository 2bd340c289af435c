"""Engagement snapshots: poll published deliveries by age, in each platform's largest batch.

Fresh posts are polled often and old ones rarely, then never (the schedule below); every poll
writes one row per delivery, so history is kept. A post the platform no longer has is recorded
as missing — never as zero engagement — and is not polled again.

What a platform answers is bounded before it is stored: a count that is not a whole number
within its column (negative, fractional, beyond PostgreSQL's integer) is stored as unknown, and
the raw payload keeps only a few short metric names with their numbers. A batch the database
still refuses is written row by row, so one bad row is logged and skipped, never the run.
"""
from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from typing import Callable, Sequence, cast

from sqlalchemy import BigInteger, Table, and_, func, select
from sqlalchemy.exc import StatementError
from sqlalchemy.orm import aliased

from campaigner import db
from campaigner.app import App
from campaigner.i18n import _
from campaigner.errors import CampaignerError
from campaigner.services.accounts import connector as account_connector
from campaigner.models import (METRIC_FIELDS, Account, AccountStatus, Delivery, DeliveryStatus as S, MetricSnapshot,
                               Reply)
from connectors.base import AuthExpired, Connector, ConnectorError, Metrics, RateLimited, one_line
from connectors.logsafe import redact
from connectors.registry import PLATFORMS
from content.untrusted import storable_line

log = logging.getLogger(__name__)

#: (age up to, poll every): hourly in the first 6 h, every 3 h to 24 h, every 12 h to 3 days,
#: daily to 7 days, weekly to 30 days, then never
DEFAULT_SCHEDULE: tuple[tuple[timedelta, timedelta], ...] = (
    (timedelta(hours=6), timedelta(hours=1)),
    (timedelta(hours=24), timedelta(hours=3)),
    (timedelta(days=3), timedelta(hours=12)),
    (timedelta(days=7), timedelta(days=1)),
    (timedelta(days=30), timedelta(days=7)),
)
#: a poll is "on time" a little early too, so an hourly job does not slip by its own run time
SLACK = timedelta(minutes=2)


def poll_due(published_at: datetime, last_polled: datetime | None, now: datetime,
             schedule: Sequence[tuple[timedelta, timedelta]] = DEFAULT_SCHEDULE) -> bool:
    """Whether a post published at ``published_at`` and last polled at ``last_polled`` is due now."""
    age = now - published_at
    for horizon, every in schedule:
        if age <= horizon:
            return last_polled is None or now - last_polled >= every - SLACK
    return False


SNAPSHOTS = cast(Table, MetricSnapshot.__table__)
#: the largest value each metric column holds (PostgreSQL integer / bigint)
_TOP = {f: 2**63 - 1 if isinstance(SNAPSHOTS.c[f].type, BigInteger) else 2**31 - 1 for f in METRIC_FIELDS}
#: the raw payload keeps at most this many metric names, each at most ``RAW_NAME`` characters
RAW_KEYS = 32
RAW_NAME = 64


def _count(value: object, top: int) -> int | None:
    """A count as stored: a whole number from 0 to ``top``, else None (not known)."""
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value if 0 <= value <= top else None


def _raw(raw: object) -> dict[str, int | float | None]:
    """The platform's metric names and their numbers, bounded (a hostile server may send
    megabytes, nested objects or numbers no JSON reader takes back)."""
    out: dict[str, int | float | None] = {}
    for key, value in (raw.items() if isinstance(raw, dict) else ()):
        if len(out) == RAW_KEYS:
            break
        if not isinstance(key, str) or isinstance(value, bool) or not (
                value is None or isinstance(value, int) and abs(value) < 2**63
                or isinstance(value, float) and abs(value) < 1e300):
            continue
        out[storable_line(key, RAW_NAME)] = value
    return out


def snapshot_row(delivery_id: int, at: datetime, m: Metrics | None) -> dict:
    """One snapshot row: ``m``'s values bounded to their columns, or a missing post's (m None)."""
    if m is None:
        return dict(delivery_id=delivery_id, collected_at=at, missing=True, raw={}, **dict.fromkeys(METRIC_FIELDS))
    return dict(delivery_id=delivery_id, collected_at=at, missing=False, raw=_raw(m.raw),
                **{f: _count(getattr(m, f), _TOP[f]) for f in METRIC_FIELDS})


def _store(app: App, rows: list[dict]) -> int:
    """Insert snapshot rows in one statement; if the database refuses their data, row by row, each
    in a savepoint, so only the rows it refuses are lost (logged). Returns how many were refused.
    A problem of the database itself (full disk, lost connection) is raised, not retried."""
    try:
        with db.write(app.engine) as s:
            s.execute(SNAPSHOTS.insert(), rows)
        return 0
    except StatementError as exc:
        if not db.refused_data(exc):
            raise
    with db.write(app.engine) as s:
        refused = db.insert_each(s, rows, lambda row: s.execute(SNAPSHOTS.insert(), [row]))
    for row, why in refused:
        log.warning("the metrics of delivery %s were not stored: %s", row["delivery_id"], one_line(str(why.orig), 300))
    return len(refused)


def skip_reason(exc: Exception) -> str:
    """Why an account's polling stopped for this run (metrics and replies alike). An error that is
    not a ``ConnectorError`` is a connector that could not read a hostile answer: it is logged as
    an error (one line, secrets masked) and only that account waits, never the others."""
    if isinstance(exc, RateLimited):
        return _("rate limited until {when}").format(when=exc.retry_at.isoformat())
    if isinstance(exc, AuthExpired):
        return _("credentials refused ({reason})").format(reason=exc)
    if isinstance(exc, ConnectorError):
        return str(exc)
    why = f"its answer could not be read ({type(exc).__name__}: {one_line(redact(str(exc)), 200)})"
    log.error("a platform's answer could not be read: %s", why)
    return why


@dataclass
class CollectReport:
    polled: int = 0
    missing: int = 0
    requests: int = 0
    skipped_accounts: dict[str, str] = field(default_factory=dict)  # account → why
    delivery_ids: set[int] = field(default_factory=set)  # those polled (and still on the platform)
    refused: int = 0  # snapshots the database refused even bounded (logged; the others were stored)


def _candidates(app: App, now: datetime, schedule) -> dict[int, list[tuple[int, str]]]:
    """account id → [(delivery id, remote id)] due for a poll now."""
    horizon = max(h for h, _ in schedule)
    last = (select(MetricSnapshot.delivery_id, func.max(MetricSnapshot.collected_at).label("at"))
            .group_by(MetricSnapshot.delivery_id).subquery())
    gone = aliased(MetricSnapshot)
    q = (select(Delivery.id, Delivery.account_id, Delivery.remote_id, Delivery.published_at, last.c.at)
         .join(Account, Account.id == Delivery.account_id)
         .outerjoin(last, last.c.delivery_id == Delivery.id)
         .where(Delivery.status == S.PUBLISHED, Delivery.remote_id.is_not(None),
                Delivery.published_at >= now - horizon, Account.status == AccountStatus.ACTIVE,
                ~select(gone.id).where(and_(gone.delivery_id == Delivery.id, gone.missing.is_(True))).exists())
         .order_by(Delivery.account_id, Delivery.published_at))
    out: dict[int, list[tuple[int, str]]] = defaultdict(list)
    with db.read(app.engine) as s:
        for did, account_id, remote_id, published_at, last_at in s.execute(q):
            if poll_due(published_at, last_at, now, schedule):
                out[account_id].append((did, remote_id))
    return out


def collect(app: App, *, schedule=DEFAULT_SCHEDULE, connector_for: Callable[[Account], Connector] | None = None,
            progress: Callable[[int, int], None] | None = None) -> CollectReport:
    """Poll every delivery due for a snapshot; one request per platform batch."""
    now = app.now()
    todo = _candidates(app, now, schedule)
    total = sum(len(v) for v in todo.values())
    report = CollectReport()
    done = 0
    with db.read(app.engine) as s:
        accounts = {a.id: a for a in s.scalars(select(Account).where(Account.id.in_(list(todo))))}
    for account_id, items in todo.items():
        account = accounts[account_id]
        try:
            connector = (connector_for or partial(account_connector, app))(account)
        except CampaignerError as exc:
            report.skipped_accounts[account.name] = str(exc)
            continue
        size = connector.metrics_batch_size
        for start in range(0, len(items), size):
            batch = items[start:start + size]
            by_remote = {remote: did for did, remote in batch}
            try:
                result = connector.metrics(list(by_remote))
            except Exception as exc:  # a ConnectorError, or a hostile answer a connector could not read
                report.skipped_accounts[account.name] = skip_reason(exc)
                break
            report.requests += 1
            at = app.now()
            rows = [snapshot_row(by_remote[rid], at, m) for rid, m in result.found.items() if rid in by_remote]
            rows += [snapshot_row(by_remote[rid], at, None) for rid in result.missing if rid in by_remote]
            refused = _store(app, rows) if rows else 0
            report.polled += len(rows) - refused
            report.refused += refused
            report.delivery_ids.update(by_remote[rid] for rid in result.found if rid in by_remote)
            report.missing += len(result.missing)
            done += len(batch)
            if progress:
                progress(done, total)
    for name, why in report.skipped_accounts.items():
        log.warning("metrics for %s not collected: %s", name, why)
    return report


@dataclass(frozen=True)
class Latest:
    delivery_id: int
    account: str
    collected_at: datetime | None
    missing: bool
    values: dict[str, int | None]
    platform: str = ""
    #: the figures the platform gives, under its own names (Instagram's views, reach, saves…):
    #: [(name, value)], value None when the platform did not give it
    named: list[tuple[str, int | None]] = field(default_factory=list)
    #: stored replies by kind (question, support, oppose, other; "unclassified" before one is given)
    replies: dict[str, int] = field(default_factory=dict)


def latest(app: App, post_id: int) -> list[Latest]:
    """The newest snapshot of each of a post's deliveries."""
    from campaigner.services.posts import get

    with db.read(app.engine) as s:
        post = get(s, post_id)
        out = []
        for d in post.deliveries:
            snap = s.scalars(select(MetricSnapshot).where(MetricSnapshot.delivery_id == d.id)
                             .order_by(MetricSnapshot.collected_at.desc(), MetricSnapshot.id.desc()).limit(1)).first()
            kinds = s.execute(select(Reply.kind, func.count()).where(Reply.delivery_id == d.id, Reply.ours.is_(False))
                              .group_by(Reply.kind)).all()
            values = {f: getattr(snap, f) for f in METRIC_FIELDS} if snap else {}
            info = PLATFORMS.get(d.account.platform)
            named = [(info.metric_label(m), values.get(m)) for m in info.metrics] if info and snap else []
            out.append(Latest(d.id, d.account.name, snap.collected_at if snap else None, bool(snap and snap.missing),
                              values, d.account.platform, named, {k or "unclassified": n for k, n in kinds}))
        return out
