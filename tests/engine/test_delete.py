"""``post delete``: a published post taken down through each platform's real delete (the fakes
check what they receive), every part of a thread, history kept, metrics stopped; refusals and lost
answers leave the delivery published with one line saying what happened."""
from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from campaigner.models import Attempt, Delivery, DeliveryPart, DeliveryStatus as S
from tests.engine.conftest import deliveries
from tests.fakes.server import Failure, Response
from tests.media_place import with_media_place


def published(cli, engine_for, text: str, to: str, *extra: str) -> None:
    cli.ok("post", "add", text, "--to", to, "--now", *extra)
    engine_for().publish_all_due()


def deletes(d: Delivery) -> list[tuple[int, str | None]]:
    return [(a.part_position, a.outcome and a.outcome.value) for a in d.attempts if a.kind == "delete"]


def test_delete_everywhere_keeps_history_and_stops_metrics(cli, engine_for, engine, platform_account):
    fakes = {"x": platform_account("x", "x1"), "mastodon": platform_account("mastodon", "m1"),
             "bluesky": platform_account("bluesky", "b1")}
    published(cli, engine_for, "Tolak Tapera!", "x1,m1,b1")
    assert all(len(f.posts()) == 1 for f in fakes.values())
    r = cli.ok("post", "delete", "1")
    assert r.stdout == "Deleted post 1 on x1.\nDeleted post 1 on m1.\nDeleted post 1 on b1.\n"
    assert all(f.posts() == {} for f in fakes.values())
    assert len(fakes["x"].calls("DELETE", "/2/tweets/")) == 1
    assert len(fakes["mastodon"].calls("DELETE", "/api/v1/statuses/")) == 1
    assert len(fakes["bluesky"].calls("POST", "deleteRecord")) == 1
    for d in deliveries(engine):
        assert d.status == S.DELETED and d.remote_id is not None and d.remote_url  # where it was, kept
        assert [a.kind for a in d.attempts] == ["publish", "delete"] and deletes(d) == [(0, "deleted")]
    shown = cli.ok("post", "show", "1").stdout
    assert "  x1               deleted" in shown and "x1 part 1: deleted" in shown
    listed = json.loads(cli.ok("post", "list", "--status", "deleted", "--json").stdout)
    assert [r_["account"] for r_ in listed] == ["x1", "m1", "b1"]
    # metrics are no longer collected for it
    before = {p: len(f.requests) for p, f in fakes.items()}
    assert cli.ok("metrics", "collect").stdout.startswith("Collected 0 snapshots in 0 requests")
    assert {p: len(f.requests) for p, f in fakes.items()} == before
    # and the other commands agree with each other
    assert cli("post", "delete", "1").stderr == (
        "Error: post 1 is already deleted on x1, m1, b1 — nothing left to delete; see `campaigner post show 1`\n")
    assert cli("post", "cancel", "1").stderr == (
        "Error: post 1 is already deleted on x1, m1, b1 — nothing left to cancel; see `campaigner post show 1`\n")
    assert cli("post", "edit", "1", "Baru").stderr == (
        "Error: post 1 is already deleted on x1 — a post that went out cannot be changed; queue a new post\n")


def test_published_post_points_edit_and_cancel_to_delete(cli, engine_for, platform_account):
    platform_account("mastodon", "m1")
    published(cli, engine_for, "Hidup buruh!", "m1")
    r = cli("post", "cancel", "1")
    assert (r.exit_code, r.stderr) == (1, "Error: post 1 is already published on m1 — it cannot be cancelled any "
                                          "more; to take it down: campaigner post delete 1\n")
    r = cli("post", "edit", "1", "--at", "+1h")
    assert (r.exit_code, r.stderr) == (1, "Error: post 1 is already published on m1 — a post that went out cannot "
                                          "be changed; to take it down: campaigner post delete 1, then queue a new "
                                          "post\n")
    assert cli.ok("post", "delete", "1").stdout == "Deleted post 1 on m1.\n"


def test_every_part_of_a_thread_goes_last_first(cli, engine_for, engine, platform_account):
    fake = platform_account("mastodon", "m1")
    published(cli, engine_for, "Satu\n---\nDua\n---\nTiga", "m1", "--thread")
    [d] = deliveries(engine)
    ids = [p.remote_id for p in d.parts]
    assert cli.ok("post", "delete", "1").stdout == "Deleted post 1 on m1 (3 parts).\n"
    assert [c.path.rsplit("/", 1)[1] for c in fake.calls("DELETE")] == ids[::-1]
    assert fake.posts() == {}
    [d] = deliveries(engine)
    assert d.status == S.DELETED and deletes(d) == [(2, "deleted"), (1, "deleted"), (0, "deleted")]


def test_a_refused_part_of_a_thread_is_named_by_its_place(cli, engine_for, engine, platform_account):
    fake = platform_account("mastodon", "m1")
    published(cli, engine_for, "Satu\n---\nDua\n---\nTiga", "m1", "--thread")
    fake.server_error_next(503)
    r = cli("post", "delete", "1")
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == ("Error: could not reach mastodon to delete post 1 on m1 (part 3 of 3) (mastodon DELETE "
                        "/api/v1/statuses/:id: server error 503); it is still there — try again later\n")
    [d] = deliveries(engine)
    assert d.status == S.PUBLISHED and deletes(d) == [(2, "transient")] and len(fake.posts()) == 3


def test_a_thread_cut_short_is_taken_down_too(cli, engine_for, engine, platform_account):
    """Part 1 went out, part 2 was refused for good: the post is failed, with part 1 on the
    platform. Deleting takes part 1 down."""
    fake = platform_account("mastodon", "m1")
    cli.ok("post", "add", "Satu\n---\nDua", "--thread", "--to", "m1", "--now")
    fake.fail_next(None, path_contains="/api/v1/statuses")
    fake.fail_next(Response(422, {"error": "Validation failed: Text can't be blank"}), path_contains="/api/v1/statuses")
    engine_for().publish_all_due()
    [d] = deliveries(engine)
    assert d.status == S.FAILED and len(fake.posts()) == 1
    assert cli.ok("post", "delete", "1").stdout == "Deleted post 1 on m1 (1 part).\n"
    assert fake.posts() == {}
    [d] = deliveries(engine)
    assert d.status == S.DELETED and deletes(d) == [(0, "deleted")]


def test_what_has_not_gone_out_is_cancelled(cli, engine_for, engine, platform_account):
    platform_account("mastodon", "m1")
    platform_account("bluesky", "b1")
    published(cli, engine_for, "Tolak outsourcing!", "m1")
    cli.ok("post", "add", "Aksi Jumat", "--to", "m1,b1", "--at", "+2h")
    # post 2: out on m1, still waiting on b1
    cli.clock.advance(hours=2)
    with Session(engine) as s:
        s.execute(update(Delivery).where(Delivery.post_id == 2, Delivery.account_id == 2)
                  .values(due_at=cli.clock.now + timedelta(hours=3)))
        s.commit()
    engine_for().publish_all_due()
    assert [d.status for d in deliveries(engine)] == [S.PUBLISHED, S.PUBLISHED, S.QUEUED]
    r = cli.ok("post", "delete", "2")
    assert r.stdout == "Deleted post 2 on m1.\nCancelled post 2 on b1 (it had not gone out).\n"
    assert [d.status for d in deliveries(engine)] == [S.PUBLISHED, S.DELETED, S.CANCELLED]


def test_telegram_after_48_hours_stays_published_then_by_hand(cli, engine_for, engine, platform_account):
    fake = platform_account("telegram", "tg1")
    published(cli, engine_for, "Kabar aksi", "tg1")
    cli.clock.advance(hours=49)
    r = cli("post", "delete", "1")
    assert r.exit_code == 1 and r.stdout == ""
    assert r.stderr == (
        "Error: telegram refused to delete post 1 on tg1 (telegram deleteMessage: Bad Request: message can't be "
        "deleted — bots may delete channel messages only within 48 hours of sending; delete it by hand in the "
        "Telegram app) — it is still there; if it must go, delete it on telegram yourself "
        "(https://t.me/spn_info/4101), then record it: campaigner post delete 1 --account tg1 --by-hand\n")
    [d] = deliveries(engine)
    assert d.status == S.PUBLISHED and len(fake.posts()) == 1
    assert deletes(d) == [(0, "permanent")] and d.last_error.startswith("delete failed: telegram refused")
    assert "last error: delete failed: telegram refused" in cli.ok("post", "show", "1").stdout
    assert cli.ok("post", "delete", "1", "--by-hand").stdout == "Recorded post 1 on tg1 as deleted by hand.\n"
    [d] = deliveries(engine)
    assert d.status == S.DELETED and d.last_error is None
    assert deletes(d) == [(0, "permanent"), (0, "deleted_by_hand")]


def test_refusals_leave_it_published_and_say_what_happened(cli, engine_for, engine, platform_account):
    m = platform_account("mastodon", "m1")
    x = platform_account("x", "x1")
    b = platform_account("bluesky", "b1")
    published(cli, engine_for, "Tolak Tapera!", "m1,x1,b1")
    m.server_error_next(503)
    x.rate_limit_next(cli.clock.now + timedelta(minutes=15))
    b.expire_credentials()
    r = cli("post", "delete", "1")
    assert r.exit_code == 1 and r.stdout == ""
    assert r.stderr.splitlines() == [
        "Error: could not reach mastodon to delete post 1 on m1 (mastodon DELETE /api/v1/statuses/:id: server error "
        "503); it is still there — try again later",
        "Error: x is rate-limiting x1 until 2026-11-30 08:15 WIB; post 1 on x1 is still there — run the command "
        "again after that",
        "Error: bluesky refused the credentials of b1 (Bluesky refused the login for 'b1': AuthenticationRequired: "
        "Invalid identifier or password); post 1 on b1 is still there — fix its secrets (campaigner account show "
        "b1), then run the command again",
    ]
    assert [d.status for d in deliveries(engine)] == [S.PUBLISHED] * 3
    assert [deletes(d) for d in deliveries(engine)] == [[(0, "transient")], [(0, "rate_limited")],
                                                        [(0, "auth_expired")]]
    assert len(m.posts()) == len(x.posts()) == len(b.posts()) == 1
    cli.clock.advance(minutes=15)
    r = cli("post", "delete", "1", "--account", "m1")
    assert r.stdout == "Deleted post 1 on m1.\n"
    r = cli("post", "delete", "1", "--account", "x1")
    assert r.stdout == "Deleted post 1 on x1.\n"
    assert m.posts() == {} and x.posts() == {}


def test_a_lost_answer_is_looked_at_again_next_time(cli, engine_for, engine, platform_account):
    """The delete reached the platform but its answer did not come back: campaigner cannot tell,
    says so, and keeps the post published; the next `post delete` asks again, and the platform's
    "already gone" settles it."""
    fake = platform_account("mastodon", "m1")
    published(cli, engine_for, "Hidup buruh!", "m1")
    fake.fail_next(Failure.DROP_AFTER, path_contains="/api/v1/statuses/")
    r = cli("post", "delete", "1")
    assert r.exit_code == 1
    assert r.stderr.startswith("Error: no answer from mastodon while deleting post 1 on m1 (")
    assert r.stderr.endswith("): it may or may not be gone — run the same command again (a post already gone counts "
                             "as deleted)\n")
    assert fake.posts() == {}  # it did go
    [d] = deliveries(engine)
    assert d.status == S.PUBLISHED and deletes(d) == [(0, "unknown")]
    assert cli.ok("post", "delete", "1").stdout == "Deleted post 1 on m1.\n"
    [d] = deliveries(engine)
    assert d.status == S.DELETED and deletes(d) == [(0, "unknown"), (0, "deleted")]
    assert [c.path for c in fake.calls("DELETE")] == [f"/api/v1/statuses/{d.remote_id}"] * 2


def test_a_delete_whose_process_died_is_done_again(cli, engine_for, engine, platform_account):
    """A delete attempt with no outcome (the command was killed during the call) is history, not
    an answer: the next `post delete` deletes again."""
    fake = platform_account("bluesky", "b1")
    published(cli, engine_for, "Upah layak!", "b1")
    with Session(engine) as s:
        s.add(Attempt(delivery_id=1, part_position=0, kind="delete", worker="by hand (killed)",
                      started_at=cli.clock.now))
        s.commit()
    assert "b1 part 1: running" in cli.ok("post", "show", "1").stdout
    assert cli.ok("post", "delete", "1").stdout == "Deleted post 1 on b1.\n"
    assert fake.posts() == {}
    [d] = deliveries(engine)
    assert d.status == S.DELETED and deletes(d) == [(0, None), (0, "deleted")]


def test_a_platform_without_delete_says_to_do_it_by_hand(cli, engine_for, engine, home):
    from connectors.sandbox import inject_fault

    cli.ok("account", "add", "sandbox", "sb")
    published(cli, engine_for, "Tanpa hapus", "sb")
    inject_fault(home / "data" / "state" / "sb", "sb", "not_supported")
    r = cli("post", "delete", "1")
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == (
        "Error: sandbox cannot delete post 1 on sb through its API (sandbox: this platform does not offer it "
        "(injected)) — delete it on sandbox yourself (sandbox://sb/000001), then record it: campaigner post delete "
        "1 --account sb --by-hand\n")
    [d] = deliveries(engine)
    assert d.status == S.PUBLISHED and deletes(d) == [(0, "not_supported")]


def test_mistakes_change_nothing(cli, engine_for, engine, platform_account):
    platform_account("mastodon", "m1")
    platform_account("bluesky", "b1")
    cli.ok("account", "add", "x", "x9")  # no secrets
    cli.ok("post", "add", "Nanti", "--to", "m1", "--at", "+2h")  # post 1: queued
    published(cli, engine_for, "Dua akun", "m1,b1")  # post 2
    cli.ok("post", "add", "Di X", "--to", "x9", "--at", "+1h")  # post 3
    with Session(engine) as s:
        s.execute(update(Delivery).where(Delivery.post_id == 3).values(status=S.PUBLISHED, remote_id="1999"))
        s.execute(update(DeliveryPart).where(DeliveryPart.delivery_id == 4).values(remote_id="1999"))
        s.commit()

    def before() -> list:
        return [(d.status, len(d.attempts)) for d in deliveries(engine)]

    state = before()
    cases = [
        (("post", "delete", "1"), "Error: post 1 has not gone out (m1: queued) — nothing to delete on the platform; "
                                  "to stop it going out: campaigner post cancel 1\n"),
        (("post", "delete", "2", "--by-hand"), "Error: post 2 went out on 2 accounts (m1, b1) — say which one you "
                                               "deleted it on by hand: --account NAME\n"),
        (("post", "delete", "3"), "Error: account 'x9' has no API_KEY secret — set CAMPAIGNER_SECRET_X9_API_KEY or "
                                  "run `campaigner account set-secret x9 API_KEY`\n"),
        (("post", "delete", "9"), "Error: no post with id 9 — see `campaigner post list`\n"),
        (("post", "delete", "2", "--account", "x9"), "Error: post 2 has no delivery on x9 — see `campaigner post show "
                                                     "2`\n"),
        (("post", "delete", "2", "--account", "zz"), "Error: no account named 'zz' — see `campaigner account list`\n"),
    ]
    for args, message in cases:
        r = cli(*args)
        assert (r.exit_code, r.stdout, r.stderr) == (1, "", message), args
    assert before() == state
    for status, message in (
            (S.UNCONFIRMED, "Error: post 2 is unconfirmed on b1: it may or may not be out — settle it first "
                            "(campaigner post reconcile 2 --account b1 --check), then delete it\n"),
            (S.PUBLISHING, "Error: post 2 is being published on b1 right now — wait a moment, then run the command "
                           "again (see `campaigner post show 2`)\n")):
        with Session(engine) as s:
            s.execute(update(Delivery).where(Delivery.id == 3).values(status=status))
            s.commit()
        state = before()
        r = cli("post", "delete", "2")  # m1 could go, b1 cannot: nothing changes
        assert (r.exit_code, r.stderr) == (1, message)
        assert before() == state
    # one account of the post at a time
    assert cli.ok("post", "delete", "2", "--account", "m1").stdout == "Deleted post 2 on m1.\n"


def test_a_group_names_the_accounts_to_take_it_down_on(cli, engine_for, engine, platform_account):
    platform_account("mastodon", "m1")
    platform_account("bluesky", "b1")
    platform_account("x", "x1")
    cli.ok("group", "add", "fediverse", "m1", "b1")
    published(cli, engine_for, "Tolak Tapera!", "x1,fediverse")
    assert cli.ok("post", "delete", "1", "--account", "fediverse").stdout == (
        "Deleted post 1 on m1.\nDeleted post 1 on b1.\n")
    assert [d.status for d in deliveries(engine)] == [S.PUBLISHED, S.DELETED, S.DELETED]


def test_a_deleted_post_still_counts_toward_the_days_cap(cli, engine_for, engine, platform_account):
    """The platform counted the post when it was created (X's 17 a day): taking it down gives no
    post back, for the queue's checks and for the worker alike."""
    platform_account("mastodon", "m1")
    cli.ok("account", "edit", "m1", "--daily-cap", "1")
    published(cli, engine_for, "Satu", "m1")
    cli.ok("post", "delete", "1")
    r = cli("post", "add", "Dua", "--to", "m1", "--at", "+1h")
    assert r.exit_code == 1 and r.stderr.startswith("Error: account 'm1' would have 2 posts on 2026-11-30 ")
    cli.ok("post", "add", "Dua", "--to", "m1", "--at", "+1d", "--max-late", "none")
    with Session(engine) as s:  # the worker's own count: due today after all (moved here by hand)
        s.execute(update(Delivery).where(Delivery.post_id == 2).values(due_at=cli.clock.now))
        s.commit()
    engine_for().publish_all_due()
    later = deliveries(engine)[-1]
    assert later.post_id == 2 and later.status == S.QUEUED and later.due_at > cli.clock.now  # moved by the cap


def test_instagram_cannot_delete_through_its_api(cli, engine, platform_account, home, tmp_path):
    """Instagram's API (with Instagram Login) has no delete: the connector says so without asking,
    and the person is told to do it in the app and record it."""
    from PIL import Image

    with_media_place(home, tmp_path / "public")
    platform_account("instagram", "ig1")
    photo = tmp_path / "aksi.jpg"
    Image.new("RGB", (1080, 1080), (200, 30, 30)).save(photo, "JPEG")
    cli.ok("post", "add", "Aksi nasional", "--to", "ig1", "--media", str(photo), "--at", "+1h")
    url = "https://www.instagram.com/p/DAbc123/"
    with Session(engine) as s:
        s.execute(update(Delivery).values(status=S.PUBLISHED, remote_id="17900000000000001", remote_url=url,
                                          published_at=cli.clock.now))
        s.execute(update(DeliveryPart).values(remote_id="17900000000000001", remote_url=url))
        s.commit()
    r = cli("post", "delete", "1")
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == (
        "Error: instagram cannot delete post 1 on ig1 through its API (instagram: the Instagram API with Instagram "
        "Login cannot delete a post — delete it in the Instagram app (⋯ → Delete)) — delete it on instagram yourself "
        f"({url}), then record it: campaigner post delete 1 --account ig1 --by-hand\n")
    [d] = deliveries(engine)
    assert d.status == S.PUBLISHED and deletes(d) == [(0, "not_supported")]
    assert cli.ok("post", "delete", "1", "--account", "ig1", "--by-hand").stdout == (
        "Recorded post 1 on ig1 as deleted by hand.\n")
