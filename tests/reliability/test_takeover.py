"""Takeover between real worker processes: a dead worker's accounts and claims pass to another at
once on the same machine, and after its term elsewhere; a live slow worker is never robbed.

Real ``campaigner run`` and ``campaigner publish`` subprocesses on the real clock publish to a
Mastodon fake served here with latency, so kills land during platform calls. Each test checks
the outcome on the platform (each post at most once) and in the database (who published what;
the post whose call was cut off is unconfirmed, to be looked for before any resend — the kill -9
test follows such posts to the end).
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections import Counter

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from campaigner.models import Attempt, Worker
from tests.reliability.conftest import (add_account, all_deliveries, queue_posts, status_counts, wait_for,
                                        wait_while_running)


@pytest.fixture
def slow_mastodon(real_app, real_fakes, monkeypatch):
    """``slow_mastodon(latency, posts)`` → a Mastodon fake answering after ``latency`` s, with an
    account m1 on it and ``posts`` posts queued there, due now."""
    def make(latency: float, posts: int):
        fake = real_fakes("mastodon", latency=latency)
        add_account(real_app, "mastodon", "m1", base_url=fake.base_url, secrets=dict(fake.account_config().secrets),
                    monkeypatch=monkeypatch)
        queue_posts(real_app, [f"Aksi #{i}: tolak upah murah!" for i in range(posts)], ["m1"])
        return fake
    return make


def _attempts(engine) -> list[Attempt]:
    with Session(engine) as s:
        return list(s.scalars(select(Attempt).order_by(Attempt.id)))


def _in_flight(engine, worker: str) -> bool:
    """``worker`` has started a publish call that has not ended."""
    return any(a.worker == worker and a.kind == "publish" and a.finished_at is None for a in _attempts(engine))


def _published_by(engine, worker: str) -> int:
    return sum(a.worker == worker and a.outcome == "published" for a in _attempts(engine))


def _taken_over(engine, fake, dead: str, by: str) -> None:
    """All but the cut-off delivery published, none twice on the platform; the cut-off one is
    unconfirmed (its call ended as "unknown" at the takeover) and was not sent again."""
    ds = all_deliveries(engine)
    on_platform = Counter(fake.posts().values())
    assert set(on_platform.values()) == {1}  # nothing twice
    assert {d.parts[0].text for d in ds if d.status.value == "published"} <= set(on_platform)
    [cut] = [d for d in ds if d.status.value != "published"]
    assert cut.status.value == "unconfirmed" and cut.next_attempt_at is not None
    assert [(a.worker, a.kind, a.outcome, a.error) for a in cut.attempts] == [
        (dead, "publish", "unknown", f"worker {dead} stopped during the call")]
    assert all([a.outcome for a in d.attempts] == ["published"] for d in ds if d is not cut)
    assert _published_by(engine, by) >= 1


def _publish_cmd(db_url: str, *args: str) -> tuple[list[str], dict[str, str]]:
    return ([sys.executable, "-m", "campaigner", "publish", *args],
            {**os.environ, "CAMPAIGNER_DATABASE_URL": db_url, "PYTHONUNBUFFERED": "1"})


def test_a_killed_worker_is_taken_over_at_once_by_a_worker_on_the_same_machine(
        real_app, slow_mastodon, workers, engine, db_url):
    """Both workers keep the old 10-minute term, so only A's ended process can hand its account and
    claims to B within the test: B takes them over and publishes the rest, and A's row is gone."""
    fake = slow_mastodon(0.5, 20)
    args = ("--lease-seconds", "600", "--tick", "0.05")
    a = workers.start("a", db_url, *args)
    assert wait_while_running(lambda: _published_by(engine, "a") >= 1, [a], timeout=60)
    b = workers.start("b", db_url, *args)
    assert wait_while_running(lambda: {w.name for w in _rows(engine)} == {"a", "b"}, [b], timeout=60)
    assert wait_for(lambda: _in_flight(engine, "a"), timeout=30, every=0.005)
    a.kill9()
    assert wait_while_running(lambda: status_counts(engine) == {"published": 19, "unconfirmed": 1}, [b],
                              timeout=60), f"{status_counts(engine)}\n{b.log()[-3000:]}"
    assert b.stop() == 0
    _taken_over(engine, fake, "a", "b")
    assert "recovered delivery" in b.log()
    assert _rows(engine) == []


def test_a_slow_live_worker_is_never_robbed_and_is_taken_over_after_its_term_elsewhere(
        real_app, slow_mastodon, workers, engine, db_url):
    """Every call takes 4 s, longer than the 3 s term: A's heartbeat keeps its account and claims
    while B runs beside it. Then A's row is made to say it runs on another machine (where no pid
    can be checked) and A is killed: B takes over once A's term has run out."""
    fake = slow_mastodon(4.0, 4)
    args = ("--lease-seconds", "3", "--tick", "0.05")
    a = workers.start("a", db_url, *args)
    assert wait_while_running(lambda: _in_flight(engine, "a"), [a], timeout=60)
    b = workers.start("b", db_url, *args)
    assert wait_while_running(lambda: _published_by(engine, "a") >= 2 and _in_flight(engine, "a"), [a, b],
                              timeout=60)
    # while A lived, B took nothing from it
    assert [(x.worker, x.outcome) for x in _attempts(engine) if x.outcome is not None] == [("a", "published")] * 2
    assert "recovered" not in b.log()
    with Session(engine) as s:
        s.execute(update(Worker).where(Worker.name == "a").values(hostname="db2.example", machine="elsewhere"))
        s.commit()
    a.kill9()
    assert wait_while_running(lambda: status_counts(engine) == {"published": 3, "unconfirmed": 1}, [b],
                              timeout=60), f"{status_counts(engine)}\n{b.log()[-3000:]}"
    assert b.stop() == 0
    _taken_over(engine, fake, "a", "b")
    assert [w.name for w in _rows(engine)] == ["a"]  # its machine may be down: `status` shows it stale


def test_a_killed_publish_is_taken_over_by_the_next_publish_at_once(real_app, slow_mastodon, engine, db_url, tmp_path):
    """A cron ``publish`` killed mid-batch: the next ``publish`` takes its account and claims over at
    once (its process has ended) and sends what had not been started; the cut-off post waits to be
    looked for."""
    fake = slow_mastodon(0.5, 5)
    cmd, env = _publish_cmd(db_url)
    with open(tmp_path / "first.log", "wb") as log:
        first = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT)
    dead = f"{socket.gethostname()}:{first.pid}"
    try:
        assert wait_for(lambda: _published_by(engine, dead) >= 1 and _in_flight(engine, dead), timeout=60,
                        every=0.005)
    finally:
        first.kill()
        first.wait()
    done = _published_by(engine, dead)
    cmd, env = _publish_cmd(db_url, "--json")
    second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
    assert second.returncode == 0, second.stderr
    report = json.loads(second.stdout)
    assert (report["recovered"], len(report["published"]), report["unconfirmed"]) == (5 - done, 4 - done, [])
    assert status_counts(engine) == {"published": 4, "unconfirmed": 1}
    [by] = {a.worker for a in _attempts(engine)} - {dead}
    _taken_over(engine, fake, dead, by)
    assert _rows(engine) == []


def test_a_slow_publish_is_never_robbed_by_another_publish(real_app, slow_mastodon, engine, db_url, tmp_path):
    """Two overlapping ``publish`` runs (cron without flock) with calls of 3 s and a term of 2 s: the
    second leaves the first's account and claims alone, because the first keeps beating."""
    fake = slow_mastodon(3.0, 3)
    cmd, env = _publish_cmd(db_url, "--lease-seconds", "2", "--json")
    first = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        name = f"{socket.gethostname()}:{first.pid}"
        assert wait_for(lambda: _published_by(engine, name) >= 1 and _in_flight(engine, name), timeout=60)
        second = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        out, err = first.communicate(timeout=120)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert (first.returncode, second.returncode) == (0, 0), err + second.stderr
    assert len(json.loads(out)["published"]) == 3
    report = json.loads(second.stdout)  # the second did nothing at all
    assert report["recovered"] == 0 and [k for k, v in report.items() if v] == [], report
    assert sorted(fake.posts().values()) == sorted(d.parts[0].text for d in all_deliveries(engine))
    assert {(a.worker, a.outcome) for a in _attempts(engine)} == {(name, "published")}


def _rows(engine) -> list[Worker]:
    with Session(engine) as s:
        return list(s.scalars(select(Worker).order_by(Worker.name)))
