"""The sandbox: a file that several processes share safely, deterministic engagement that grows
and saturates with age, canned bilingual replies, and injectable faults."""
from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from connectors.base import AccountConfig, Permanent, Transient
from connectors.sandbox import REPLY_POOL, SandboxConnector, inject_fault
from tests.conftest import T0, Clock
from tests.connectors.conftest import new_post


def _config(state_dir, name="spn-sandbox") -> AccountConfig:
    return AccountConfig(name=name, platform="sandbox", handle="@spn", state_dir=state_dir)


@pytest.fixture
def conn(state_dir, clock):
    return SandboxConnector(_config(state_dir), clock=clock)


def test_a_state_dir_is_required():
    with pytest.raises(ValueError, match="state_dir"):
        SandboxConnector(AccountConfig(name="demo", platform="sandbox"))


def test_posts_persist_in_one_json_file_and_urls_name_the_account(state_dir, clock):
    published = SandboxConnector(_config(state_dir, "SPN Jawa Barat"), clock=clock).publish(new_post("Halo"))
    assert published.url == f"sandbox://SPN%20Jawa%20Barat/{published.remote_id}"
    again = SandboxConnector(_config(state_dir, "SPN Jawa Barat"), clock=clock)
    assert again.metrics([published.remote_id]).found
    assert again.store.path.name.startswith("sandbox-SPN_Jawa_Barat-")
    assert SandboxConnector(_config(state_dir, "SPN_Jawa_Barat")).store.path != again.store.path
    state = json.loads(again.store.path.read_text())
    assert state["posts"][published.remote_id]["text"] == "Halo"
    assert not [p for p in state_dir.iterdir() if p.suffix == ".tmp"]


def test_the_same_idempotency_key_never_makes_a_second_post(conn):
    post = new_post()
    assert conn.publish(post).remote_id == conn.publish(post).remote_id
    assert len(conn.store.read()["posts"]) == 1


def test_reply_to_an_unknown_post_is_permanent(conn):
    with pytest.raises(Permanent):
        conn.publish(new_post(reply_to="424242", thread_root="424242"))


def test_processes_publishing_at_once_lose_nothing(state_dir):
    root = Path(__file__).resolve().parents[2]
    workers = [subprocess.Popen([sys.executable, "-m", "tests.connectors._sandbox_worker", str(state_dir), "8", str(w)],
                                cwd=root) for w in range(4)]
    assert [w.wait(timeout=60) for w in workers] == [0, 0, 0, 0]
    state = json.loads((state_dir / "sandbox-spn-sandbox.json").read_text())
    assert len(state["posts"]) == 32 and state["next_id"] == 33
    assert {p["text"] for p in state["posts"].values()} == {f"worker {w} post {i}" for w in range(4) for i in range(8)}


def test_engagement_is_deterministic(state_dir, clock):
    remote_id = SandboxConnector(_config(state_dir), clock=clock).publish(new_post()).remote_id
    clock.advance(hours=5)
    first = SandboxConnector(_config(state_dir), clock=clock).metrics([remote_id]).found[remote_id]
    second = SandboxConnector(_config(state_dir), clock=clock).metrics([remote_id]).found[remote_id]
    assert first == second


def test_engagement_grows_with_age_then_saturates(conn, clock):
    remote_id = conn.publish(new_post()).remote_id
    start = clock()
    series = []
    for hours in (0, 1, 6, 24, 72, 300, 600):
        clock.now = start + timedelta(hours=hours)
        series.append(conn.metrics([remote_id]).found[remote_id])
    assert series[0].impressions == series[0].likes == 0
    for field in ("impressions", "likes", "reposts", "quotes", "replies"):
        values = [getattr(m, field) for m in series]
        assert values == sorted(values), field
    assert series[3].impressions > series[1].impressions > 0
    assert series[-1].impressions - series[-2].impressions <= series[-1].impressions * 0.01
    assert series[-1].likes < series[-1].impressions
    assert (series[-1].bookmarks, series[-1].clicks) == (None, None)


def test_replies_appear_as_the_post_ages_in_both_languages(conn, clock):
    ids = [conn.publish(new_post()).remote_id for _ in range(12)]
    assert all(conn.replies(i) == [] for i in ids)
    clock.advance(days=3)
    replies = [r for i in ids for r in conn.replies(i)]
    assert {r.language for r in replies} == {"id", "en"}
    texts = {r.text for r in replies}
    sentiments = {s for lang, s, _, text in REPLY_POOL if text in texts}
    assert {"positive", "negative"} <= sentiments
    one = conn.replies(ids[0])
    assert conn.metrics([ids[0]]).found[ids[0]].replies == len(one)
    assert one == sorted(one, key=lambda r: r.created_at) and one[0].in_reply_to == ids[0]


def test_replies_of_a_missing_post_are_permanent(conn):
    with pytest.raises(Permanent):
        conn.replies("000999")


def test_a_lost_answer_still_publishes_and_can_be_found(conn, state_dir, clock):
    inject_fault(state_dir, "spn-sandbox", "lost_answer")
    post = new_post()
    with pytest.raises(Transient) as caught:
        conn.publish(post)
    assert caught.value.outcome_unknown
    found = conn.find_existing(post, clock() - timedelta(minutes=1))
    assert found is not None and found.url.startswith("sandbox://spn-sandbox/")
    assert conn.publish(post).remote_id == found.remote_id       # and a retry does not duplicate


def test_faults_fire_once_in_order(conn, state_dir):
    inject_fault(state_dir, "spn-sandbox", "server_error", status=502)
    inject_fault(state_dir, "spn-sandbox", "server_error")
    for _ in range(2):
        with pytest.raises(Transient):
            conn.verify()
    assert conn.verify().handle == "@spn"


def test_clock_is_injected_not_read(state_dir):
    clock = Clock(T0)
    conn = SandboxConnector(_config(state_dir), clock=clock)
    assert conn.publish(new_post()).published_at == T0
