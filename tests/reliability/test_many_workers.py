"""Several workers on one database: each delivery published exactly once, the work shared.

- four ``campaigner run`` processes on PostgreSQL, 1,000 sandbox deliveries on 40 accounts
  (the PostgreSQL leg of CI; skipped without CAMPAIGNER_TEST_DATABASE_URL). 2,000 took 65 s of
  publishing on a 2-core machine when the engine ran ~20 SQL statements per delivery (now ~7);
- two processes on one SQLite file (the embedded default), on either leg;
- a claim that runs out while its worker is stalled before the platform call: the worker that
  recovers it publishes it, and the stalled one must not send it as well.
"""
from __future__ import annotations

import shutil
import time
from collections import Counter
from datetime import timedelta

import pytest

from campaigner.app import App
from campaigner.config import resolve
from campaigner.models import DeliveryStatus as S
from campaigner.services.accounts import connector_config
from connectors.registry import build_connector
from connectors.sandbox import SandboxStore
from scheduler.engine import Engine
from tests.conftest import PG_URL
from tests.fakes import telegram
from tests.reliability.conftest import (add_account, all_deliveries, queue_posts, real_now, status_counts,
                                        wait_while_running)

PG_POSTS = 25  # × 40 accounts


def _check_exactly_once(app: App, engine, accounts: list[str], per_account: int) -> Counter:
    """Every delivery published with exactly one attempt, and each sandbox account holding exactly
    its deliveries' posts; returns published deliveries per worker."""
    ds = all_deliveries(engine)
    assert len(ds) == len(accounts) * per_account
    assert all(d.status == S.PUBLISHED for d in ds), status_counts(engine)
    for d in ds:
        assert [(a.kind, a.outcome) for a in d.attempts] == [("publish", "published")], d.id
    for name in accounts:
        mine = [d for d in ds if d.account.name == name]
        keys = SandboxStore(app.settings.state_dir / name, name).idempotency_keys()
        assert len(keys) == per_account, name
        assert {d.remote_id: d.parts[0].idempotency_key for d in mine} == keys, name
    return Counter(d.attempts[0].worker for d in ds)


def _sandbox_batch(app: App, accounts: int, posts: int) -> list[str]:
    names = [f"s{i:02d}" for i in range(accounts)]
    for name in names:
        add_account(app, "sandbox", name, daily_cap=None)
    queue_posts(app, [f"Solidaritas #{i:03d}: hapus outsourcing!" for i in range(posts)], names)
    return names


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="needs PostgreSQL: set CAMPAIGNER_TEST_DATABASE_URL "
                                       "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test); CI runs this leg")
def test_four_workers_on_postgresql_publish_each_delivery_once_and_share_the_work(real_app, workers, engine,
                                                                                  db_url):
    t0 = time.monotonic()
    names = _sandbox_batch(real_app, accounts=40, posts=PG_POSTS)
    total = 40 * PG_POSTS
    t1 = time.monotonic()
    # each worker leases only the accounts it works on at once (with the default of 50, the first
    # worker to tick leases all 40 accounts for a whole pass and the others mostly wait)
    procs = [workers.start(f"pg-w{i}", db_url, "--concurrency", "4", "--accounts-per-pass", "4")
             for i in range(4)]
    done = wait_while_running(lambda: status_counts(engine).get("published") == total, procs, timeout=240)
    t2 = time.monotonic()
    codes = [w.stop() for w in procs]
    assert done, f"{status_counts(engine)}\n{procs[0].log()[-2000:]}"
    assert codes == [0, 0, 0, 0], [w.log()[-2000:] for w in procs]
    by_worker = _check_exactly_once(real_app, engine, names, PG_POSTS)
    assert set(by_worker) == {w.name for w in procs}, by_worker
    print(f"\nqueued {total} in {t1 - t0:.1f} s, published in {t2 - t1:.1f} s, "
          f"checked in {time.monotonic() - t2:.1f} s; published per worker: {dict(sorted(by_worker.items()))}")


def test_two_workers_on_one_sqlite_file_publish_each_delivery_once(sqlite_template, tmp_path, home, workers):
    path = tmp_path / "shared.db"
    shutil.copyfile(sqlite_template, path)
    url = f"sqlite:///{path}"
    app = App(resolve({"database_url": url}), now=real_now)
    try:
        names = _sandbox_batch(app, accounts=8, posts=40)
        total = 8 * 40
        procs = [workers.start(f"lite-w{i}", url, "--concurrency", "4") for i in range(2)]
        done = wait_while_running(lambda: status_counts(app.engine).get("published") == total, procs, timeout=120)
        codes = [w.stop() for w in procs]
        assert done, f"{status_counts(app.engine)}\n{procs[0].log()[-2000:]}"
        assert codes == [0, 0], [w.log()[-2000:] for w in procs]
        by_worker = _check_exactly_once(app, app.engine, names, 40)
        assert set(by_worker) <= {w.name for w in procs}
        print(f"\npublished per worker: {dict(sorted(by_worker.items()))}")
    finally:
        app.close()


def test_claim_that_ran_out_before_the_call_is_sent_by_one_worker_only(app, clock, serve, engine,
                                                                        monkeypatch):
    """Worker A claims a delivery, checks the claim is still its own, then stalls (here: building
    its connector) past the lease; worker B recovers the claim, re-claims and publishes it. When A
    wakes up it must see that the claim is no longer its own and send nothing: Telegram has no
    idempotency, so a second send would be a second message in the channel."""
    fake = serve(telegram.Fake())
    add_account(app, "telegram", "t1", base_url=fake.base_url, secrets=dict(fake.account_config().secrets),
                monkeypatch=monkeypatch)
    queue_posts(app, ["Rapat akbar serikat Sabtu ini, 09:00 WIB."], ["t1"])
    lease = timedelta(minutes=1)
    b = Engine(app, "B", lease=lease, concurrency=1)
    seen_by_b = []

    def stalled_factory(account):
        clock.advance(minutes=2)        # A stalls past its lease…
        seen_by_b.append(b.run_pass())  # …and B, meanwhile, does the work
        return build_connector(connector_config(app, account), clock=app.now)

    a = Engine(app, "A", lease=lease, concurrency=1, connector_factory=stalled_factory)
    report_a = a.run_pass()
    [report_b] = seen_by_b
    assert report_b.recovered == 1 and len(report_b.published) == 1
    assert report_a.published == [] and report_a.held == report_b.published
    assert fake.create_count() == 1
    [d] = all_deliveries(engine)
    assert d.status == S.PUBLISHED
    assert [(a.kind, a.worker, a.outcome) for a in d.attempts] == [("publish", "B", "published")]
