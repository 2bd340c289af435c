"""The sandbox: an SQLite file that several processes share safely and whose cost per call does
not grow with the account's posts, deterministic engagement that grows and saturates with age,
seeded replies as union audiences write them (classified into the four kinds), answers threaded
under them, seeded hashtag counts, injectable faults, and the import of an older JSON file."""
from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import uuid
from datetime import date, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from connectors.base import AccountConfig, AuthExpired, DayCount, Permanent, Transient
from connectors.sandbox import (REPLY_POOL, SandboxConnector, SandboxStore, engagement, inject_fault,
                                public_tag_posts)
from content.stance import Targets, classify
from tests.conftest import T0, Clock
from tests.connectors.conftest import new_post

WIB = ZoneInfo("Asia/Jakarta")
#: the figures of post 000001 of account spn-sandbox at 1, 6, 24 and 72 hours (pinned: the seed is
#: the account and the remote id, the curve saturates within a few days)
EXPECTED_1H = {"impressions": 160, "likes": 8, "reposts": 0, "quotes": 0}
EXPECTED_6H = {"impressions": 776, "likes": 40, "reposts": 5, "quotes": 1}
EXPECTED_24H = {"impressions": 1636, "likes": 91, "reposts": 12, "quotes": 2}
EXPECTED_72H = {"impressions": 1840, "likes": 109, "reposts": 16, "quotes": 4}
#: its replies: two questions, 41 and 100 minutes after it went out
_R1 = timedelta(minutes=5 + 155 / 255 * 60)
EXPECTED_THREAD_6H = [("000001.r1", "rina_pabrik", _R1),
                      ("000001.r2", "dedi_ojol", _R1 + timedelta(minutes=5 + 113 / 255 * 120))]
EXPECTED_REPLIES_6H = 2
#: the invented public posts with #UpahLayak on 27, 28 and 29 November 2026
EXPECTED_UPAHLAYAK = [43, 48, 31]
#: the demo campaign's targets (``campaigner demo``: upah-layak)
DEMO_TARGETS = Targets(against=("Tapera", "potongan upah"), for_=("upah layak",))


def _config(state_dir, name="spn-sandbox") -> AccountConfig:
    return AccountConfig(name=name, platform="sandbox", handle="@spn", state_dir=state_dir)


@pytest.fixture
def conn(state_dir, clock):
    return SandboxConnector(_config(state_dir), clock=clock)


def _wal_size(store: SandboxStore) -> int:
    wal = store.path.with_name(store.path.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def _legacy_file(state_dir: Path, posts: int, **extra) -> Path:
    """A sandbox state file as versions before the SQLite store wrote it (JSON, version 1)."""
    state = {"version": 1, "account": "spn-sandbox", "next_id": posts + 1, "overrides": {}, "extra_replies": {},
             "faults": [], "auth_expired": False,
             "posts": {f"{i:06d}": {"text": f"post {i}", "idempotency_key": f"key-{i}", "link": None, "media": [],
                                    "reply_to": None, "thread_root": None, "language": "id",
                                    "published_at": T0.isoformat()} for i in range(1, posts + 1)}}
    state.update(extra)
    path = state_dir / "sandbox-spn-sandbox.json"
    path.write_text(json.dumps(state), encoding="utf-8")
    return path


# --- storage ------------------------------------------------------------------------------------
def test_a_state_dir_is_required():
    with pytest.raises(ValueError, match="state_dir"):
        SandboxConnector(AccountConfig(name="demo", platform="sandbox"))


def test_posts_persist_in_one_sqlite_file_per_account_and_urls_name_the_account(state_dir, clock):
    published = SandboxConnector(_config(state_dir, "SPN Jawa Barat"), clock=clock).publish(new_post("Halo"))
    assert published.url == f"sandbox://SPN%20Jawa%20Barat/{published.remote_id}"
    again = SandboxConnector(_config(state_dir, "SPN Jawa Barat"), clock=clock)
    assert again.metrics([published.remote_id]).found
    assert again.store.path.name.startswith("sandbox-SPN_Jawa_Barat-") and again.store.path.suffix == ".sqlite3"
    assert SandboxConnector(_config(state_dir, "SPN_Jawa_Barat")).store.path != again.store.path
    with sqlite3.connect(again.store.path) as db:
        assert db.execute("SELECT remote_id, text FROM posts").fetchall() == [(published.remote_id, "Halo")]
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)


def test_the_same_idempotency_key_never_makes_a_second_post(conn):
    post = new_post()
    assert conn.publish(post).remote_id == conn.publish(post).remote_id
    assert len(conn.store.posts()) == 1 and conn.store.created() == 1


def test_ids_are_never_reused_after_a_delete(conn):
    first = conn.publish(new_post()).remote_id
    conn.delete(first)
    conn.delete(first)                                  # already gone: fine
    assert (first, conn.publish(new_post()).remote_id) == ("000001", "000002")


def test_reply_to_an_unknown_post_is_permanent(conn):
    with pytest.raises(Permanent):
        conn.publish(new_post(reply_to="424242", thread_root="424242"))
    assert conn.store.created() == 0                    # the refused call left nothing behind


def test_processes_publishing_at_once_lose_nothing(state_dir):
    root = Path(__file__).resolve().parents[2]
    workers = [subprocess.Popen([sys.executable, "-m", "tests.connectors._sandbox_worker", str(state_dir), "8", str(w)],
                                cwd=root) for w in range(4)]
    assert [w.wait(timeout=60) for w in workers] == [0, 0, 0, 0]
    store = SandboxStore(state_dir, "spn-sandbox")
    posts = store.posts()
    assert len(posts) == 32 and store.created() == 32
    assert sorted(posts) == [f"{i:06d}" for i in range(1, 33)]
    assert set(posts.values()) == {f"worker {w} post {i}" for w in range(4) for i in range(8)}


def test_a_damaged_file_is_a_permanent_error_naming_it(state_dir, clock):
    (state_dir / "sandbox-spn-sandbox.sqlite3").write_bytes(b"not a database at all" * 100)
    with pytest.raises(Permanent, match=r"sandbox-spn-sandbox\.sqlite3 is damaged"):
        SandboxConnector(_config(state_dir), clock=clock).verify()


def test_a_json_file_of_an_older_version_is_imported_once(state_dir, clock):
    legacy = _legacy_file(state_dir, 3, next_id=6, overrides={"000002": {"likes": 9}},
                          extra_replies={"000001": [{"id": "000001.x1", "author": "rina", "text": "Setuju!",
                                                     "created_at": T0.isoformat(), "language": None}]},
                          faults=[{"kind": "server_error", "status": 502}])
    conn = SandboxConnector(_config(state_dir), clock=clock)
    with pytest.raises(Transient, match="502"):         # its pending fault came along
        conn.verify()
    assert conn.store.posts() == {"000001": "post 1", "000002": "post 2", "000003": "post 3"}
    assert conn.metrics(["000002"]).found["000002"].likes == 9
    assert [r.author for r in conn.replies("000001")] == ["rina"]
    assert conn.find_existing(new_post(key="key-3"), T0).remote_id == "000003"
    assert conn.publish(new_post()).remote_id == "000006"     # ids go on after the old next_id
    assert not legacy.exists() and legacy.with_name(legacy.name + ".migrated").exists()
    assert len(SandboxConnector(_config(state_dir), clock=clock).store.posts()) == 4


def test_the_cost_of_a_call_does_not_grow_with_the_accounts_posts(state_dir, clock):
    """Structurally: the bytes a publish writes (WAL frames) are the same with 20 posts or 3,000, and
    a read writes nothing — where the JSON file was rewritten whole on every call."""
    def bytes_per_publish(conn: SandboxConnector) -> float:
        conn.verify()
        conn.store.connection().execute("PRAGMA wal_checkpoint(TRUNCATE)")
        assert _wal_size(conn.store) == 0
        for _ in range(20):
            conn.publish(new_post())
        written = (_wal_size(conn.store) - 32) / 20       # 32: the WAL header
        ids = list(conn.store.posts())[:100]
        before = _wal_size(conn.store)
        conn.metrics(ids), conn.replies(ids[0]), conn.find_existing(new_post(), T0)
        assert _wal_size(conn.store) == before            # reads write nothing
        return written

    small = bytes_per_publish(SandboxConnector(_config(state_dir / "small"), clock=clock))
    (state_dir / "big").mkdir()
    _legacy_file(state_dir / "big", 3000)
    big = bytes_per_publish(SandboxConnector(_config(state_dir / "big"), clock=clock))
    page = 4096 + 24                                      # a WAL frame
    assert small <= 6 * page
    assert big <= small + page                            # a B-tree one level deeper at most


# --- the invented audience ------------------------------------------------------------------------
def test_engagement_is_a_pure_function_of_the_post_and_its_age():
    seed = "spn-sandbox/000001"
    assert [engagement(seed, timedelta(hours=h)) for h in (0, 1, 6, 24, 72)] == [
        {"impressions": 0, "likes": 0, "reposts": 0, "quotes": 0},
        EXPECTED_1H, EXPECTED_6H, EXPECTED_24H, EXPECTED_72H]
    assert engagement(seed, timedelta(hours=-3)) == engagement(seed, timedelta(0))
    assert engagement("fspmi-jabar/000001", timedelta(hours=6)) != EXPECTED_6H   # accounts differ


def test_the_connector_gives_those_figures_at_the_posts_age(state_dir, clock):
    remote_id = SandboxConnector(_config(state_dir), clock=clock).publish(new_post()).remote_id
    clock.advance(hours=6)
    first = SandboxConnector(_config(state_dir), clock=clock).metrics([remote_id]).found[remote_id]
    second = SandboxConnector(_config(state_dir), clock=clock).metrics([remote_id]).found[remote_id]
    assert first == second
    assert (first.impressions, first.likes, first.reposts, first.quotes) == tuple(EXPECTED_6H.values())
    assert first.replies == EXPECTED_REPLIES_6H


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


def test_every_seeded_reply_is_classified_as_its_kind_toward_the_demo_campaign():
    for _language, kind, _author, text in REPLY_POOL:
        assert classify(text, DEMO_TARGETS).kind == kind, text
    assert {kind for _, kind, _, _ in REPLY_POOL} == {"question", "support", "oppose", "other"}
    assert {language for language, *_ in REPLY_POOL} == {"id", "jv", "su", "en"}


def test_replies_appear_over_time_with_authors_and_ids(conn, clock):
    remote_id = conn.publish(new_post()).remote_id
    assert conn.replies(remote_id) == []
    clock.advance(hours=6)
    shown = conn.replies(remote_id)
    assert [(r.remote_id, r.author, r.created_at - T0) for r in shown] == EXPECTED_THREAD_6H
    assert all(r.in_reply_to == remote_id and not r.ours for r in shown)
    clock.advance(days=3)
    later = conn.replies(remote_id)
    assert later[:len(shown)] == shown and len(later) >= len(shown)
    assert conn.metrics([remote_id]).found[remote_id].replies == len(later)
    assert conn.replies(remote_id, since=shown[-1].created_at + timedelta(seconds=1)) == later[len(shown):]


def test_a_reply_is_shown_from_its_time_on_never_before(conn, clock):
    """A seeded reply and one added to the store (a demo's or a test's) appear at their very time,
    not a second earlier; the metrics count only those shown."""
    remote_id = conn.publish(new_post()).remote_id
    added = conn.store.add_reply(remote_id, "sari_buruh", "Kapan aksinya?", T0 + timedelta(minutes=10))
    clock.now = T0 + timedelta(minutes=10) - timedelta(seconds=1)
    assert conn.replies(remote_id) == [] and conn.metrics([remote_id]).found[remote_id].replies == 0
    clock.now = T0 + timedelta(minutes=10)
    assert [r.remote_id for r in conn.replies(remote_id)] == [added]
    clock.now = T0 + _R1 - timedelta(seconds=1)
    assert [r.remote_id for r in conn.replies(remote_id)] == [added]
    clock.now = T0 + _R1
    assert [r.remote_id for r in conn.replies(remote_id)] == [added, "000001.r1"]
    assert conn.metrics([remote_id]).found[remote_id].replies == 2


def test_many_posts_draw_every_kind_in_every_language(conn, clock):
    ids = [conn.publish(new_post()).remote_id for _ in range(12)]
    clock.advance(days=3)
    texts = {r.text for i in ids for r in conn.replies(i)}
    drawn = [entry for entry in REPLY_POOL if entry[3] in texts]
    assert {kind for _, kind, _, _ in drawn} == {"question", "support", "oppose", "other"}


def test_an_answer_is_threaded_under_the_reply_and_comes_back_as_ours(conn, clock):
    root = conn.publish(new_post()).remote_id
    with pytest.raises(Permanent, match="does not exist"):    # the reply is not there yet
        conn.publish(new_post(reply_to=f"{root}.r1", thread_root=root, answer=True))
    clock.advance(hours=6)
    question = conn.replies(root)[0]
    answer = conn.publish(new_post("Di depan DPR jam 09.00, kawan!", reply_to=question.remote_id,
                                   thread_root=root, answer=True))
    assert conn.store.reply_parent(answer.remote_id) == question.remote_id
    ours = [r for r in conn.replies(root) if r.ours]
    assert [(r.remote_id, r.in_reply_to, r.author, r.text) for r in ours] == [
        (answer.remote_id, question.remote_id, "@spn", "Di depan DPR jam 09.00, kawan!")]
    assert conn.metrics([root]).found[root].replies == len(conn.replies(root)) - 1   # ours not counted


def test_replies_of_a_missing_post_are_permanent(conn):
    with pytest.raises(Permanent):
        conn.replies("000999")


# --- hashtag counts ----------------------------------------------------------------------------------
def test_tag_counts_are_seeded_per_tag_and_day_and_include_our_posts(conn, clock):
    clock.now = T0 + timedelta(hours=5)                  # 2026-11-30 13:00 WIB
    conn.publish(new_post("Tolak Tapera! #upahlayak"))   # any case
    conn.publish(new_post("Tanpa tagar #UpahLayakSekarang"))
    counts = conn.tag_counts("#UpahLayak", date(2026, 11, 27), date(2026, 12, 3), WIB)
    assert (counts.tag, counts.source, counts.day_zone, counts.requests) == ("UpahLayak", "sandbox", "Asia/Jakarta", 1)
    whole = [DayCount(date(2026, 11, d), public_tag_posts("UpahLayak", date(2026, 11, d))) for d in (27, 28, 29)]
    today = public_tag_posts("UpahLayak", date(2026, 11, 30)) * 13 // 24 + 1   # 13 of 24 hours, and ours
    assert counts.days == (*whole, DayCount(date(2026, 11, 30), today, at_least=True))
    assert [d.posts for d in whole] == EXPECTED_UPAHLAYAK
    assert public_tag_posts("upahlayak", date(2026, 11, 27)) == whole[0].posts
    assert public_tag_posts("Tapera", date(2026, 11, 27)) != whole[0].posts


# --- faults ------------------------------------------------------------------------------------------
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
    with pytest.raises(Transient, match="502"):
        conn.verify()
    with pytest.raises(Transient, match="503"):
        conn.verify()
    assert conn.verify().handle == "@spn"


def test_expired_credentials_stay_until_cleared(conn, state_dir):
    inject_fault(state_dir, "spn-sandbox", "auth")
    for _ in range(2):
        with pytest.raises(AuthExpired):
            conn.publish(new_post(key=str(uuid.uuid4())))
    inject_fault(state_dir, "spn-sandbox", "auth_ok")
    assert conn.verify().handle == "@spn" and conn.store.created() == 0


def test_clock_is_injected_not_read(state_dir):
    clock = Clock(T0)
    conn = SandboxConnector(_config(state_dir), clock=clock)
    assert conn.publish(new_post()).published_at == T0


def test_a_new_state_file_another_process_is_writing_is_waited_for(state_dir):
    """SQLite refuses to switch a file still in rollback mode to WAL at once (no busy handler) while
    another connection holds a write lock on it — as when several processes open a new account at
    the same time (seen in CI: "database is locked"). The store waits and tries again."""
    store = SandboxStore(state_dir, "spn-sandbox")
    store.path.parent.mkdir(parents=True, exist_ok=True)
    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("CREATE TABLE early (x)")
    other.execute("BEGIN IMMEDIATE")  # another process's write lock, the file still in rollback mode
    other.execute("INSERT INTO early VALUES (1)")
    waits: list[float] = []

    def pause(seconds: float) -> None:  # the other process commits while this one waits
        waits.append(seconds)
        other.execute("COMMIT")

    store.pause = pause
    conn = store.connection()
    assert waits == [0.01]
    assert conn.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    assert store.posts() == {}
    other.close()
