"""Publishing to Meta through the engine and the CLI: media containers the platform prepares
(``NotReady`` → the delivery waits as *processing*), media put on the ``[media]`` host just before,
the platform's own quota, and exactly once when a worker dies between the container and the post.

Against the real parts: the Instagram fake over HTTP (it downloads every media URL from a real web
server serving ``public_dir``, as Meta does), the real database (SQLite file, PostgreSQL in the
second leg), the real CLI; time is the test clock, nothing sleeps.
"""
from __future__ import annotations

import json
import logging
import shutil
from datetime import timedelta

import pytest
from sqlalchemy import select

from campaigner.models import DeliveryPart, DeliveryStatus as S
from campaigner.secrets import env_name
from scheduler.daemon import Daemon
from scheduler.engine import QUOTA_RECHECK, RECONCILE_DELAY
from tests.conftest import T0
from tests.engine.conftest import account, alerts, deliveries, media_config
from tests.fakes.instagram import MP4_BYTES, Fake, jpeg_bytes
from tests.fakes.server import Failure, Response

CAPTION = "Tolak Tapera! Upah buruh bukan tabungan paksa. #TolakTapera"
COLORS = [(200, 30, 30), (30, 160, 30), (30, 30, 200), (200, 200, 30), (30, 200, 200)]



def media_args(tmp_path, images: int = 0, video: bool = False, tag: str = "") -> list[str]:
    """``--media`` options for ``images`` JPEG photos (each its own colour) and a video."""
    args = []
    for i in range(images):
        path = tmp_path / f"foto{tag}{i}.jpg"
        path.write_bytes(jpeg_bytes(1080, 1080, COLORS[i % len(COLORS)]))
        args += ["--media", str(path)]
    if video:
        path = tmp_path / f"klip{tag}.mp4"
        path.write_bytes(MP4_BYTES)
        args += ["--media", str(path)]
    return args


def stored_progress(engine) -> list[object]:
    """Each part's progress as stored, told apart from a JSON ``null``: ``"SQL NULL"`` when none."""
    with engine.connect() as c:
        return [p if p is not None else "SQL NULL"
                for p in c.execute(select(DeliveryPart.progress).order_by(DeliveryPart.id)).scalars()]


def published_media(fake: Fake) -> list[dict]:
    with fake.lock:
        return [m for m in fake.media.values() if not m["child"]]


# --- a post the platform is still preparing ------------------------------------------------------
def test_a_carousel_held_in_progress_is_polled_sooner_first_and_published_once(ig, cli, app, engine, clock,
                                                                               tmp_path):
    ig.processing_checks = 3  # the video child stays IN_PROGRESS for three status reads
    cli.ok("post", "add", CAPTION, *media_args(tmp_path, images=2, video=True), "--to", "ig1", "--now")
    r = cli.ok("publish")
    assert r.stdout == ("Published 0, failed 0, retrying 0, deferred 0, unconfirmed 0, held back 0, still being "
                        "prepared by the platform 1 (looked at again by the next `campaigner publish`, or by "
                        "`campaigner run`).\n")
    [d] = deliveries(engine)
    assert d.status == S.QUEUED and d.next_attempt_at == T0 + timedelta(seconds=2) and d.attempt_count == 0
    assert d.last_error == "instagram: Meta is still processing the media"
    assert ("Processing:   1 being prepared by the platform (nothing is out yet)\n"
            "  post 1 on ig1 (delivery 1): the worker looks again at 2026-11-30 08:00 WIB — instagram: Meta is still "
            "processing the media\n") in cli.ok("status").stdout
    [progress] = stored_progress(engine)
    assert isinstance(progress, dict) and len(progress["items"]) == 3
    made = len(ig.containers)
    assert made == 3 and ig.create_count() == 0  # the children, no carousel yet, nothing published

    # the daemon wakes for it on time: not before its check, at it
    from scheduler.engine import Engine
    daemon = Daemon(app, Engine(app, "daemon", concurrency=1))
    assert daemon.publish_tick(clock.now) == 0 and daemon._next_wake == d.next_attempt_at
    waits = []
    while d.status == S.QUEUED:
        waits.append(d.next_attempt_at - clock.now)
        clock.now = d.next_attempt_at
        daemon.publish_tick(clock.now)
        [d] = deliveries(engine)
    assert waits == [timedelta(seconds=2), timedelta(seconds=5), timedelta(seconds=10), timedelta(seconds=20)]
    assert d.status == S.PUBLISHED and d.attempt_count == 0 and d.last_error is None
    assert [a.outcome for a in d.attempts] == ["processing"] * 4 + ["published"]
    [media] = published_media(ig)
    assert media["caption"] == CAPTION and len(media["children"]) == 3
    assert d.remote_id == media["id"] and d.remote_url == media["permalink"]
    assert ig.create_count() == 1 and len(ig.containers) == made + 1  # the children once, then the carousel
    assert len(ig.calls("GET", "content_publishing_limit")) == 1  # before the containers, not at each check
    assert stored_progress(engine) == ["SQL NULL"]  # a published part keeps no progress
    assert "Processing" not in cli.ok("status").stdout
    # each file was put on the public host once, under an unguessable name, and fetched by Meta from there
    assert len(ig.downloads) == 3 and len(set(ig.downloads)) == 3
    assert len(list(ig.web.folder.iterdir())) == 3


def test_lateness_still_applies_while_the_platform_prepares_the_post(ig, cli, engine, clock, tmp_path):
    ig.processing_checks = 100
    cli.ok("post", "add", CAPTION, *media_args(tmp_path, video=True), "--to", "ig1", "--now", "--max-late", "30m")
    cli.ok("publish")
    [d] = deliveries(engine)
    assert d.status == S.QUEUED and d.next_attempt_at is not None
    clock.advance(minutes=31)  # its check comes after its limit: nothing is out, so it expires
    r = cli("publish")
    assert r.stdout.startswith("Published 0, failed 0, retrying 0, deferred 0, unconfirmed 0, held back 0, expired 1")
    [d] = deliveries(engine)
    assert d.status == S.EXPIRED and [a.outcome for a in d.attempts] == ["processing"]
    assert ig.create_count() == 0 and published_media(ig) == []


# --- exactly once when a worker dies ---------------------------------------------------------------
def _dies_during_the_call(engine_for, name: str = "dead"):
    """A worker that claims the due delivery, commits its attempt, makes the platform call and dies
    before writing what came of it (whatever the call did on the platform stays done)."""
    dead = engine_for(name)
    batch = dead._take(set())
    d = batch.deliveries[0]
    part = d.parts[0]
    assert dead._start_attempt(d.id, part.position, "publish") is not None
    outgoing = dead._hosted(d, dead._outgoing(d, part))
    try:
        dead.connector(d.account).publish(outgoing)
    except Exception:
        pass


def test_a_worker_killed_after_making_the_containers_never_posts_twice(ig, cli, app, engine_for, engine, clock,
                                                                       tmp_path):
    ig.processing_checks = 1
    cli.ok("post", "add", CAPTION, *media_args(tmp_path, images=2, video=True), "--to", "ig1", "--now")
    _dies_during_the_call(engine_for)  # the children were made; their ids died with the worker
    assert len(ig.containers) == 3 and ig.create_count() == 0
    live = engine_for("live")
    clock.advance(seconds=31)  # its claim's term ran out
    report = live.run_pass()
    assert report.recovered == 1 and report.handled == 0
    [d] = deliveries(engine)
    assert d.status == S.UNCONFIRMED and [a.outcome for a in d.attempts] == ["unknown"]
    steps = 0
    while d.status != S.PUBLISHED and steps < 10:
        clock.now = d.next_attempt_at
        live.run_pass()
        [d] = deliveries(engine)
        steps += 1
    assert d.status == S.PUBLISHED
    # looked for by caption (no container known), not there: made anew, prepared, published once
    assert [(a.kind, a.outcome) for a in d.attempts] == [
        ("publish", "unknown"), ("reconcile", "not_found"), ("publish", "processing"), ("publish", "processing"),
        ("publish", "published")]
    assert ig.create_count() == 1 and len(published_media(ig)) == 1
    assert len(ig.containers) == 3 + 4  # the dead worker's children are never published


def test_a_worker_killed_while_checking_the_container_resumes_it(ig, cli, app, engine_for, engine, clock, tmp_path):
    ig.processing_checks = 2
    cli.ok("post", "add", CAPTION, *media_args(tmp_path, images=2, video=True), "--to", "ig1", "--now")
    engine_for("first").run_pass()  # children made, kept as the part's progress
    [d] = deliveries(engine)
    kept = stored_progress(engine)[0]
    clock.now = d.next_attempt_at
    _dies_during_the_call(engine_for)  # a status read, and the worker is gone
    live = engine_for("live")
    clock.advance(seconds=31)
    assert live.run_pass().recovered == 1
    for _ in range(10):
        [d] = deliveries(engine)
        if d.status == S.PUBLISHED:
            break
        clock.now = d.next_attempt_at
        live.run_pass()
    assert d.status == S.PUBLISHED
    assert [(a.kind, a.outcome) for a in d.attempts][:3] == [
        ("publish", "processing"), ("publish", "unknown"), ("reconcile", "not_found")]
    # the kept children were resumed: no container was made again
    [media] = published_media(ig)
    assert media["children"] == [item["id"] for item in kept["items"]]
    assert len(ig.containers) == 4 and ig.create_count() == 1


def test_a_worker_killed_after_media_publish_is_found_not_posted_again(ig, cli, app, engine_for, engine, clock,
                                                                       tmp_path):
    cli.ok("post", "add", CAPTION, *media_args(tmp_path, images=2), "--to", "ig1", "--now")
    ig.fail_next(Response(400, {"error": {"message": "The media is not ready for publishing, please wait for a "
                                                     "moment", "type": "OAuthException", "code": 9007,
                                          "error_subcode": 2207027}}), path_contains="media_publish")
    engine_for("first").run_pass()  # the carousel is not ready at the first media_publish
    [d] = deliveries(engine)
    assert [a.outcome for a in d.attempts] == ["processing"]
    clock.now = d.next_attempt_at
    _dies_during_the_call(engine_for)  # status FINISHED, media_publish carried out, the worker gone
    assert ig.create_count() == 1
    live = engine_for("live")
    clock.advance(seconds=31)
    assert live.run_pass().recovered == 1
    clock.advance(seconds=RECONCILE_DELAY.total_seconds())
    assert live.run_pass().published == [1]
    [d] = deliveries(engine)
    [media] = published_media(ig)
    assert d.remote_id == media["id"] and ig.create_count() == 1
    assert [(a.kind, a.outcome) for a in d.attempts] == [
        ("publish", "processing"), ("publish", "unknown"), ("reconcile", "found")]


def test_a_lost_media_publish_answer_is_settled_from_the_published_container(ig, cli, engine, clock, tmp_path):
    cli.ok("post", "add", CAPTION, *media_args(tmp_path, images=3), "--to", "ig1", "--now")
    ig.fail_next(Failure.DROP_AFTER, path_contains="media_publish")
    r = cli.ok("publish")
    assert r.stdout.startswith("Published 0, failed 0, retrying 0, deferred 0, unconfirmed 1,")
    [d] = deliveries(engine)
    assert d.status == S.UNCONFIRMED and ig.create_count() == 1
    [progress] = stored_progress(engine)  # kept with the unknown outcome: the carousel and when it was sent
    assert progress["parent"]["id"] in ig.containers and progress["publishing_at"] == T0.isoformat()
    clock.advance(seconds=RECONCILE_DELAY.total_seconds())
    assert cli.ok("publish").stdout.startswith("Published 1,")
    [d] = deliveries(engine)
    [media] = published_media(ig)
    assert d.status == S.PUBLISHED and d.remote_id == media["id"] and d.published_at == T0
    assert [(a.kind, a.outcome) for a in d.attempts] == [("publish", "unknown"), ("reconcile", "found")]
    assert ig.create_count() == 1 and len(ig.containers) == 4 and stored_progress(engine) == ["SQL NULL"]
    reads = [r for r in ig.calls("GET") if r.path.endswith(progress["parent"]["id"])]
    assert reads  # settled from the container's own status
    assert alerts(engine) == []


def test_an_expired_container_is_replaced_and_the_post_goes_out_once(ig, cli, engine, clock, tmp_path):
    ig.processing_checks = 1
    cli.ok("post", "add", CAPTION, *media_args(tmp_path, video=True), "--to", "ig1", "--now")
    cli.ok("publish")
    [first] = stored_progress(engine)[0]["items"]
    ig.expire_container(first["id"])  # Meta let it expire (it was kept too long)
    for _ in range(10):
        [d] = deliveries(engine)
        if d.status == S.PUBLISHED:
            break
        clock.now = d.next_attempt_at
        cli.ok("publish")
    assert d.status == S.PUBLISHED and d.attempt_count == 0
    [media] = published_media(ig)
    assert media["container"] != first["id"] and ig.containers[first["id"]]["status"] == "EXPIRED"
    assert ig.create_count() == 1 and len(ig.containers) == 2


# --- the [media] host at send time ---------------------------------------------------------------------
def test_no_media_host_at_send_time_fails_the_post_with_what_to_configure(ig, cli, engine, home, tmp_path):
    cli.ok("post", "add", CAPTION, *media_args(tmp_path, images=1), "--to", "ig1", "--now")
    cfg = home / "config" / "campaigner.toml"
    cfg.write_text("")  # [media] removed after the post was queued
    r = cli("publish")
    assert (r.exit_code, r.stderr) == (1, "")
    assert r.stdout.startswith("Published 0, failed 1,") and "Traceback" not in r.output
    [d] = deliveries(engine)
    reason = (f"instagram fetches media from a public address, and no public place for media: the config file {cfg} "
              'has no [media] table — add one with public_url = "https://…" and public_dir = "/srv/…" (a folder '
              "your web server serves there) or an S3 bucket: Instagram and Threads fetch media by URL; then send "
              "it again with `campaigner post retry 1 --account ig1`")
    assert d.status == S.FAILED and d.last_error == reason
    assert [(a.outcome, a.error) for a in d.attempts] == [("permanent", reason.split(", and ", 1)[1].split(
        "; then")[0])]
    assert [(a.kind, a.message) for a in alerts(engine)] == [("failed", reason)]
    assert ig.calls("POST") == []  # nothing reached Instagram
    cfg.write_text(media_config(ig))
    cli.ok("post", "retry", "1")
    assert cli.ok("publish").stdout.startswith("Published 1,")
    assert len(published_media(ig)) == 1


def test_a_media_folder_that_is_not_a_folder_fails_the_post_in_one_line(ig, cli, engine, home, tmp_path):
    cli.ok("post", "add", CAPTION, *media_args(tmp_path, images=1), "--to", "ig1", "--now")
    not_a_folder = tmp_path / "media-file"
    not_a_folder.write_text("")
    (home / "config" / "campaigner.toml").write_text(
        f'[media]\npublic_url = "{ig.web.base_url}/"\npublic_dir = "{not_a_folder}"\n')
    r = cli("publish")
    assert r.exit_code == 1 and "Traceback" not in r.output
    [d] = deliveries(engine)
    assert d.status == S.FAILED and d.last_error == (
        f"instagram fetches media from a public address, and the media folder {not_a_folder} is not a folder — "
        f"make it writable by the user campaigner runs as, or point public_dir in {home / 'config' / 'campaigner.toml'} "
        "at a folder it may write to; then send it again with `campaigner post retry 1 --account ig1`")


def test_a_media_host_that_cannot_be_written_now_is_retried_like_a_server_error(ig, cli, app, engine_for, engine,
                                                                               clock, tmp_path):
    cli.ok("post", "add", CAPTION, *media_args(tmp_path, images=1, tag="a"), "--to", "ig1", "--now")
    e = engine_for()
    assert e.run_pass().published == [1]
    cli.ok("post", "add", "Kawal UMP 2027!", *media_args(tmp_path, images=2, tag="b"), "--to", "ig1", "--now")
    shutil.rmtree(ig.web.folder)  # the mount went away under the running worker
    assert e.run_pass().retrying == [2]
    d = deliveries(engine)[1]
    assert d.status == S.QUEUED and d.attempt_count == 1 and d.next_attempt_at > clock.now
    assert d.last_error.startswith("media not put on the public host: cannot write ") and (
        f"to the media folder {ig.web.folder}: No such file or directory — check the free space and the "
        "folder's permissions") in d.last_error
    assert [a.outcome for a in d.attempts] == ["transient"]
    ig.web.folder.mkdir()
    clock.now = d.next_attempt_at
    assert e.run_pass().published == [2]
    assert len(published_media(ig)) == 2


# --- the platform's own quota --------------------------------------------------------------------------
def test_a_used_up_quota_holds_the_account_before_any_container_is_made(ig, cli, engine, clock, tmp_path):
    ig.quota_total = 4
    ig.published_at += [T0 - timedelta(hours=2)] * 2  # two posts made by another app on the account
    for n in range(3):
        cli.ok("post", "add", f"{CAPTION} ({n + 1})", *media_args(tmp_path, images=1, tag=str(n)), "--to", "ig1",
               "--now")
    r = cli.ok("publish")
    assert r.stdout == "Published 2, failed 0, retrying 0, deferred 0, unconfirmed 0, held back 1.\n"
    assert len(ig.calls("GET", "content_publishing_limit")) == 1  # asked once for the account's batch
    assert len(ig.containers) == 2  # none for the post that could not be published
    third = deliveries(engine)[2]
    assert third.status == S.QUEUED and third.attempts == [] and third.next_attempt_at == clock.now + QUOTA_RECHECK
    acc = account(engine, "ig1")
    assert acc.held_until == clock.now + QUOTA_RECHECK and acc.quota_total == 4
    assert acc.held_reason == "instagram publishing quota used up: 4 of 4 posts in 24 h"
    assert "  ig1 until 2026-11-30 09:00 WIB: instagram publishing quota used up: 4 of 4 posts in 24 h\n" in \
        cli.ok("status").stdout
    clock.now = acc.held_until  # asked again: still used up (every post is in the window)
    assert cli.ok("publish").stdout.endswith("held back 1.\n") and len(ig.containers) == 2
    assert len(ig.calls("GET", "content_publishing_limit")) == 2
    ig.quota_total = 5  # Meta raised it
    clock.now = account(engine, "ig1").held_until
    assert cli.ok("publish").stdout.startswith("Published 1,")
    assert len(published_media(ig)) == 3 and account(engine, "ig1").quota_total == 5
    assert [d.status for d in deliveries(engine)] == [S.PUBLISHED] * 3


def test_a_held_account_waits_until_its_oldest_post_leaves_the_window(ig, cli, engine, clock, tmp_path):
    ig.quota_total = 1
    cli.ok("post", "add", f"{CAPTION} (1)", *media_args(tmp_path, images=1, tag="1"), "--to", "ig1", "--now")
    cli.ok("publish")
    clock.advance(hours=23, minutes=30)
    cli.ok("post", "add", f"{CAPTION} (2)", *media_args(tmp_path, images=1, tag="2"), "--to", "ig1", "--now")
    assert cli.ok("publish").stdout.endswith("held back 1.\n")
    assert account(engine, "ig1").held_until == T0 + timedelta(hours=24)  # sooner than an hour from now


def test_a_post_taken_down_since_still_counts_in_the_quota_window(ig, cli, engine, clock, tmp_path):
    """Meta counts the posts made in the window, taken down or not: the hold ends when the oldest
    one leaves it, not an hour later."""
    ig.quota_total = 1
    cli.ok("post", "add", f"{CAPTION} (1)", *media_args(tmp_path, images=1, tag="1"), "--to", "ig1", "--now")
    cli.ok("publish")
    cli.ok("post", "delete", "1", "--account", "ig1", "--by-hand")
    assert deliveries(engine)[0].status == S.DELETED
    clock.advance(hours=23, minutes=30)
    cli.ok("post", "add", f"{CAPTION} (2)", *media_args(tmp_path, images=1, tag="2"), "--to", "ig1", "--now")
    assert cli.ok("publish").stdout.endswith("held back 1.\n")
    assert account(engine, "ig1").held_until == T0 + timedelta(hours=24)


def test_a_failed_quota_call_does_not_stop_publishing(ig, cli, engine, tmp_path, caplog):
    cli.ok("post", "add", CAPTION, *media_args(tmp_path, images=1), "--to", "ig1", "--now")
    ig.server_error_next(503)  # the quota read is the first call of the batch
    with caplog.at_level(logging.WARNING, logger="scheduler.engine"):
        assert cli.ok("publish").stdout.startswith("Published 1,")
    assert len(ig.calls("GET", "content_publishing_limit")) == 1
    assert any(r.getMessage().startswith("ig1: publishing quota not known (instagram GET ")
               and r.getMessage().endswith("publishing anyway") for r in caplog.records)
    assert ig.TOKEN not in caplog.text


def test_the_quota_verify_reports_is_the_daily_cap_unless_the_user_set_a_lower_one(ig, cli, engine, tmp_path):
    ig.quota_total = 2
    r = cli.ok("account", "test", "ig1")
    assert r.stdout.startswith("ig1: OK — signed in as spn_kspi")
    shown = json.loads(cli.ok("account", "show", "ig1", "--json").stdout)
    assert (shown["daily_cap"], shown["quota_total"]) == (None, 2)
    assert cli.ok("account", "list").stdout.splitlines()[1].split() == ["ig1", "instagram", "Asia/Jakarta", "2",
                                                                         "active"]
    for n in range(2):
        cli.ok("post", "add", f"{CAPTION} ({n})", *media_args(tmp_path, images=1, tag=str(n)), "--to", "ig1",
               "--at", "2026-12-01 09:00")
    r = cli("post", "add", f"{CAPTION} (3)", *media_args(tmp_path, images=1, tag="3"), "--to", "ig1",
            "--at", "2026-12-01 10:00")
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == ("Error: account 'ig1' would have 3 posts on 2026-12-01 (WIB), above instagram's "
                        "publishing quota of 2 posts in 24 hours — pick another day\n")
    ig.quota_total = 100  # Meta raised it: the credentials watch keeps it
    assert cli.ok("account", "check", "ig1").stdout.startswith("ig1: OK")
    assert account(engine, "ig1").quota_total == 100
    cli.ok("post", "add", f"{CAPTION} (3)", *media_args(tmp_path, images=1, tag="3"), "--to", "ig1",
           "--at", "2026-12-01 10:00")
    cli.ok("account", "edit", "ig1", "--daily-cap", "3")  # the user's own, lower cap wins
    r = cli("post", "add", f"{CAPTION} (4)", *media_args(tmp_path, images=1, tag="4"), "--to", "ig1",
            "--at", "2026-12-01 11:00")
    assert r.stderr == ("Error: account 'ig1' would have 4 posts on 2026-12-01 (WIB), above its daily cap of 3 "
                        "— pick another day or raise the cap (campaigner account edit ig1 --daily-cap N)\n")
    ig.quota_total = 50  # lowered again: the user's 3 stays, being lower
    cli.ok("account", "check", "ig1")
    shown = json.loads(cli.ok("account", "show", "ig1", "--json").stdout)
    assert (shown["daily_cap"], shown["quota_total"]) == (3, 50)


def test_posts_queued_before_the_quota_was_known_are_moved_to_the_next_day(ig, cli, engine, clock, tmp_path):
    for n in range(3):
        cli.ok("post", "add", f"{CAPTION} ({n})", *media_args(tmp_path, images=1, tag=str(n)), "--to", "ig1",
               "--now", "--max-late", "2d")
    ig.quota_total = 2
    cli.ok("account", "test", "ig1")
    assert cli.ok("publish").stdout.startswith("Published 2, failed 0, retrying 0, deferred 1,")
    third = deliveries(engine)[2]
    assert third.last_error == ("moved to 2026-12-01 08:00 WIB: daily cap of 2 (instagram's publishing quota) "
                                "reached on 2026-11-30 (WIB)")


# --- Threads: the same engine paths on the other Meta platform --------------------------------------
@pytest.fixture
def threads(cli, serve, monkeypatch, home):
    """A Threads profile on its fake, with no ``[media]`` configured."""
    from tests.fakes.threads import Fake as ThreadsFake

    fake = serve(ThreadsFake())
    cli.ok("account", "add", "threads", "th1", "--base-url", fake.base_url)
    for field, value in fake.account_config().secrets.items():
        monkeypatch.setenv(env_name("th1", field), value)
    return fake


def test_a_threads_chain_waits_for_each_part_and_text_needs_no_media_place(threads, cli, engine, clock):
    threads.processing_checks["TEXT"] = 1  # each part's container is read IN_PROGRESS once
    cli.ok("post", "add", "Satu: tolak Tapera!\n---\nDua: upah layak!", "--thread", "--to", "th1", "--now")
    for _ in range(10):
        cli.ok("publish")
        [d] = deliveries(engine)
        if d.status != S.QUEUED:
            break
        clock.now = d.next_attempt_at
    assert d.status == S.PUBLISHED and d.attempt_count == 0
    seen = [(a.part_position, a.outcome) for a in d.attempts]
    waits = seen.index((0, "published"))
    assert waits >= 1 and seen[:waits] == [(0, "processing")] * waits  # part 2 waits for part 1 to be out
    assert len(seen) - waits - 2 >= 1 and seen[-1] == (1, "published")
    assert seen[waits + 1:-1] == [(1, "processing")] * (len(seen) - waits - 2)
    first, second = d.parts
    assert threads.reply_parent(second.remote_id) == first.remote_id and threads.create_count() == 2
    assert stored_progress(engine) == ["SQL NULL", "SQL NULL"]
