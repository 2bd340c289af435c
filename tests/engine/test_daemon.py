"""The daemon: job bodies with an injected clock, once-only periodic work, and a real process."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigner.models import DeliveryStatus as S, Worker
from campaigner.processes import this_process
from campaigner.services.workers import claim_period
from scheduler.daemon import Daemon
from tests.engine.conftest import deliveries


def test_publish_tick_wakes_only_when_something_is_due(cli, app, engine_for, engine):
    cli.ok("account", "add", "sandbox", "s1")
    cli.ok("post", "add", "Nanti", "--to", "s1", "--at", "+10m")
    daemon = Daemon(app, engine_for())
    assert daemon.publish_tick(cli.clock.now) == 0
    assert daemon._next_wake == cli.clock.now.replace(minute=10)
    cli.clock.advance(minutes=10)
    assert daemon.publish_tick(cli.clock.now) == 1
    assert deliveries(engine)[0].status == S.PUBLISHED
    assert daemon.publish_tick(cli.clock.now) == 0 and daemon._next_wake is None


def test_publish_loop_goes_again_after_work_and_wakes_exactly_at_the_next_due_time(cli, app, engine_for, engine):
    cli.ok("account", "add", "sandbox", "s1")
    cli.ok("post", "add", "Sekarang", "--to", "s1", "--now")
    cli.ok("post", "add", "Sebentar lagi", "--to", "s1", "--at", "+1m")
    daemon = Daemon(app, engine_for(), tick=timedelta(milliseconds=250))
    now = cli.clock.now
    handled = daemon.publish_tick(now)
    assert handled == 1 and daemon.next_publish(handled, now) == now  # did work: again at once
    handled = daemon.publish_tick(now)
    assert handled == 0 and daemon.next_publish(handled, now) is None  # due in a minute: the next tick looks
    cli.clock.now = now = daemon._next_wake - timedelta(milliseconds=100)
    assert daemon.publish_tick(now) == 0
    assert daemon.next_publish(0, now) == now + timedelta(milliseconds=100)  # before the next tick: wait for it
    cli.clock.now = daemon.next_publish(0, now)
    assert daemon.publish_tick(cli.clock.now) == 1
    assert [d.published_at for d in deliveries(engine)][1] == cli.clock.now  # not a moment late
    assert daemon.next_publish(0, cli.clock.now) is None
    assert daemon.publish_tick(cli.clock.now) == 0 and daemon._next_wake is None  # nothing left


def test_heartbeat_row(cli, app, engine_for, engine):
    e = engine_for("w-beat")
    started = cli.clock.now
    e.start()
    cli.clock.advance(seconds=10)
    e.beat()
    with Session(engine) as s:
        [w] = s.scalars(select(Worker)).all()
    me = this_process()
    assert (w.name, w.started_at, w.last_seen_at, w.hostname, w.pid) == (
        "w-beat", started, cli.clock.now, socket.gethostname(), os.getpid())
    assert (w.machine, w.process_start) == (me.machine, me.start) and me.machine and me.start


def test_once_per_period_exactly_one_winner(cli, app):
    winners = []
    barrier = threading.Barrier(6)

    def contend(i):
        barrier.wait()
        if claim_period(app, "weekly_report", "2026-W49", f"w{i}", cli.clock.now):
            winners.append(i)
    threads = [threading.Thread(target=contend, args=(i,)) for i in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(winners) == 1
    assert not claim_period(app, "weekly_report", "2026-W49", "late", cli.clock.now)
    assert claim_period(app, "weekly_report", "2026-W50", "next", cli.clock.now)
    assert not claim_period(app, "weekly_report", "2026-W48", "older", cli.clock.now)


def _wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def test_run_picks_up_new_posts_and_stops_cleanly(cli, engine, db_url, home):
    cli.ok("account", "add", "sandbox", "s1")
    env = {**os.environ, "CAMPAIGNER_DATABASE_URL": db_url}
    proc = subprocess.Popen([sys.executable, "-m", "campaigner", "run", "--name", "w-test"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        def worker_rows():
            with Session(engine) as s:
                return s.scalars(select(Worker.name)).all()
        assert _wait_for(lambda: worker_rows() == ["w-test"])
        # queued from the CLI while the daemon runs (real time: the daemon uses the real clock)
        subprocess.run([sys.executable, "-m", "campaigner", "post", "add", "Hidup buruh!", "--to", "s1", "--now"],
                       env=env, check=True, capture_output=True)
        assert _wait_for(lambda: [d.status for d in deliveries(engine)] == [S.PUBLISHED])
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "published s1 delivery 1: sandbox://s1/" in err
    assert worker_rows() == []


def test_run_refuses_a_bad_concurrency_or_an_empty_name(cli):
    r = cli("run", "--concurrency", "0")
    assert (r.exit_code, r.stderr) == (2, "Error: Invalid value for '--concurrency': 0 is not in the range x>=1. — "
                                          "see `campaigner run --help`\n")
    r = cli("run", "--name", " ")
    assert (r.exit_code, r.stderr) == (1, "Error: the worker name is empty — give a name with --name, or leave it out "
                                          "for host:pid\n")
    r = cli("run", "--name", "w" * 129)
    assert (r.exit_code, r.stderr) == (1, "Error: the worker name is 129 characters long — give one of at most 128 "
                                          "with --name\n")


def test_a_full_worker_is_assembled_without_the_cli(db_url, home, tmp_path):
    """The worker's jobs live in the scheduler: a full worker (every periodic job, the publish
    loop, the heartbeat) can be built and run from ``scheduler`` alone, and ``run`` only parses
    flags. Checked in a fresh interpreter, where nothing has imported the CLI yet."""
    config = home / "config" / "campaigner.toml"
    config.write_text('[smtp]\nhost = "127.0.0.1"\nfrom = "c@example.org"\nto = ["humas@example.org"]\n')
    code = (
        "import sys\n"
        "from campaigner.app import App\n"
        "from campaigner.config import resolve\n"
        "from scheduler.daemon import Daemon\n"
        "from scheduler.engine import Engine\n"
        "from scheduler.jobs import default_jobs\n"
        f"app = App(resolve({{'database_url': {db_url!r}}}))\n"
        "jobs = default_jobs(app, 'w-alone')\n"
        "Daemon(app, Engine(app, 'w-alone'), jobs=jobs).publish_tick(app.now())\n"
        "print(sorted(j.name for j in jobs))\n"
        "print(sorted(m for m in sys.modules if m.startswith('campaigner.cli')))\n")
    env = {**os.environ, "CAMPAIGNER_DATABASE_URL": db_url}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True).stdout
    assert out.splitlines() == ["['alerts', 'credentials', 'expire_waiting', 'listening', 'metrics', 'weekly_report']",
                                "[]"]


def test_the_metrics_job_raises_the_inbox_alerts_as_soon_as_replies_are_collected(cli, app, engine, platform_account):
    """A question already unanswered for longer than ``unanswered_hours`` (4 h) when it is first
    collected is alerted by the same job run, not only by the next alert job."""
    from campaigner.models import Alert
    from scheduler.jobs import monitoring_jobs

    fake = platform_account("mastodon", "m1")
    cli.ok("post", "add", "Tolak potongan Tapera! Aksi Kamis.", "--to", "m1", "--now")
    cli.ok("publish")
    [d] = deliveries(engine)
    fake.add_reply(d.remote_id, "rina_buruh", "Aksinya kumpul di mana?", cli.clock.now + timedelta(minutes=1))
    cli.clock.advance(hours=5)
    [job] = monitoring_jobs(app, "w1")
    job.run(cli.clock.now)
    with Session(engine) as s:
        raised = [(a.kind, a.delivery_id) for a in s.scalars(select(Alert))]
    assert raised == [("unanswered", d.id)]
