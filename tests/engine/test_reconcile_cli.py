"""``campaigner post reconcile``: a person settles a delivery whose outcome is unknown."""
from __future__ import annotations

import pytest

from campaigner.models import DeliveryStatus as S
from tests.engine.conftest import alerts, deliveries
from tests.fakes.server import Failure


@pytest.fixture
def telegram_unconfirmed(cli, engine_for, platform_account):
    """A Telegram post whose answer was lost: only a person can tell whether it is in the channel."""
    def make(text="Tolak Tapera!", *extra):
        fake = platform_account("telegram", "t1")
        cli.ok("post", "add", text, "--to", "t1", "--now", *extra)
        fake.fail_next(Failure.DROP_AFTER, path_contains="sendMessage")
        e = engine_for()
        [delivery_id] = e.run_pass().unconfirmed
        cli.clock.advance(minutes=1)
        assert e.run_pass().unconfirmed == [delivery_id]  # looked: Telegram cannot be searched
        return fake, e
    return make


def test_found_records_the_url_and_publishes(cli, engine, telegram_unconfirmed):
    fake, e = telegram_unconfirmed()
    [message_id] = fake.posts()
    r = cli.ok("post", "reconcile", "1", "--account", "t1", "--found", f"https://t.me/spn_info/{message_id}")
    assert r.stdout == "Recorded post 1 on t1: published.\n"
    [d] = deliveries(engine)
    assert d.status == S.PUBLISHED and d.remote_id == message_id
    assert d.remote_url == f"https://t.me/spn_info/{message_id}" and d.last_error is None
    assert d.published_at == d.attempts[0].started_at  # it went out during the call whose answer was lost
    assert [(a.kind, a.outcome) for a in d.attempts] == [
        ("publish", "unknown"), ("reconcile", "cannot_tell"), ("reconcile", "resolved_found")]
    assert d.attempts[-1].error == f"found on the platform: https://t.me/spn_info/{message_id}"
    assert e.run_pass().handled == 0 and fake.create_count() == 1
    shown = cli.ok("post", "show", "1").stdout
    assert f"t1 part 1: resolved_found (found on the platform: https://t.me/spn_info/{message_id})" in shown


def test_found_by_id_without_account_option(cli, engine, telegram_unconfirmed):
    fake, _ = telegram_unconfirmed()
    [message_id] = fake.posts()
    assert cli.ok("post", "reconcile", "1", "--found", message_id).stdout == "Recorded post 1 on t1: published.\n"
    [d] = deliveries(engine)
    assert (d.status, d.remote_id, d.remote_url) == (S.PUBLISHED, message_id, None)


def test_resend_sends_it_once_more_without_asking_again(cli, engine, telegram_unconfirmed):
    fake, e = telegram_unconfirmed()
    fake.remove_post(next(iter(fake.posts())))  # say the person saw nothing in the channel
    r = cli.ok("post", "reconcile", "1", "--account", "t1", "--resend")
    assert r.stdout == "Queued post 1 on t1 again: it goes out with the next publishing pass.\n"
    [d] = deliveries(engine)
    assert d.status == S.QUEUED and d.next_attempt_at is None and d.last_error is None
    assert e.run_pass().published == [1]
    [d] = deliveries(engine)
    assert fake.create_count() == 2 and list(fake.posts().values()) == ["Tolak Tapera!"]
    assert [(a.kind, a.outcome) for a in d.attempts] == [
        ("publish", "unknown"), ("reconcile", "cannot_tell"),
        ("reconcile", "resolved_resend"), ("publish", "published")]
    assert [a.kind for a in alerts(engine)] == ["unconfirmed"]  # no second alert: nothing was asked again


def test_found_first_part_of_a_thread_sends_the_rest(cli, engine, telegram_unconfirmed):
    fake, e = telegram_unconfirmed("Satu\n---\nDua\n---\nTiga", "--thread")
    [first] = fake.posts()
    r = cli.ok("post", "reconcile", "1", "--found", f"https://t.me/spn_info/{first}")
    assert r.stdout == ("Recorded post 1 on t1: part 1 of 3 is published; the remaining 2 parts go out with the "
                        "next publishing pass.\n")
    [d] = deliveries(engine)
    assert d.status == S.QUEUED and d.parts[0].remote_id == first and d.parts[1].remote_id is None
    assert e.run_pass().published == [1]
    [d] = deliveries(engine)
    assert fake.create_count() == 3  # part 1 was not sent again
    assert fake.reply_parent(d.parts[1].remote_id) == first
    assert fake.reply_parent(d.parts[2].remote_id) == d.parts[1].remote_id


def test_check_on_telegram_cannot_tell(cli, engine, telegram_unconfirmed):
    telegram_unconfirmed()
    r = cli.ok("post", "reconcile", "1", "--check")
    assert r.stdout == ("Cannot tell: telegram cannot be searched — look at t1 yourself, then run "
                        "`campaigner post reconcile 1 --account t1 --found URL` or `--resend`.\n")
    [d] = deliveries(engine)
    assert d.status == S.UNCONFIRMED


def test_check_finds_a_post_whose_answer_was_lost(cli, engine, engine_for, platform_account):
    fake = platform_account("mastodon", "m1")
    cli.ok("post", "add", "Hidup buruh!", "--to", "m1", "--now")
    fake.fail_next(Failure.DROP_AFTER, path_contains="/api/v1/statuses")
    assert engine_for().run_pass().unconfirmed == [1]
    [remote_id] = fake.posts()
    r = cli.ok("post", "reconcile", "1", "--account", "m1", "--check")
    [d] = deliveries(engine)
    assert r.stdout == f"Found: post 1 on m1 is there ({d.remote_url}); published.\n"
    assert d.status == S.PUBLISHED and d.remote_id == remote_id and d.remote_url.endswith(f"/{remote_id}")
    assert [(a.kind, a.outcome) for a in d.attempts] == [("publish", "unknown"), ("reconcile", "found")]
    cli.clock.advance(minutes=5)
    assert engine_for().run_pass().handled == 0 and fake.create_count() == 1


def test_check_reports_not_found_and_changes_nothing(cli, engine, engine_for, platform_account):
    fake = platform_account("mastodon", "m1")
    cli.ok("post", "add", "Hidup buruh!", "--to", "m1", "--now")
    fake.fail_next(Failure.DROP, path_contains="/api/v1/statuses")  # never arrived
    assert engine_for().run_pass().unconfirmed == [1]
    r = cli.ok("post", "reconcile", "1", "--check")
    assert r.stdout == ("Not found: post 1 on m1 is not there (looked from 2026-11-30 07:50 WIB) — if you are sure, "
                        "run `campaigner post reconcile 1 --account m1 --resend`.\n")
    [d] = deliveries(engine)
    assert d.status == S.UNCONFIRMED and fake.create_count() == 0
    assert [(a.kind, a.outcome) for a in d.attempts] == [("publish", "unknown"), ("reconcile", "checked_not_found")]
    # a look by hand settles nothing: the worker looks again itself before it sends
    cli.clock.advance(minutes=1)
    assert engine_for().run_pass().published == [1] and fake.create_count() == 1
    [d] = deliveries(engine)
    assert [(a.kind, a.outcome) for a in d.attempts] == [
        ("publish", "unknown"), ("reconcile", "checked_not_found"), ("reconcile", "not_found"), ("publish", "published")]


def test_errors(cli, engine, telegram_unconfirmed):
    cli.ok("account", "add", "sandbox", "kspi-x")
    cli.ok("post", "add", "Sudah terbit", "--to", "kspi-x", "--now")
    cli.ok("publish")
    r = cli("post", "reconcile", "1", "--account", "kspi-x", "--resend")
    assert (r.exit_code, r.stderr) == (1, "Error: post 1 is not unconfirmed on kspi-x (it is published) — "
                                          "nothing to reconcile\n")
    r = cli("post", "reconcile", "1", "--found", "https://x.example/1")
    assert r.stderr == "Error: post 1 is not unconfirmed on kspi-x (it is published) — nothing to reconcile\n"
    r = cli("post", "reconcile", "1", "--account", "nope", "--resend")
    assert (r.exit_code, r.stderr) == (1, "Error: no account named 'nope' — see `campaigner account list`\n")
    r = cli("post", "reconcile", "99", "--resend")
    assert (r.exit_code, r.stderr) == (1, "Error: no post with id 99 — see `campaigner post list`\n")
    r = cli("post", "reconcile", "1")
    assert (r.exit_code, r.stderr) == (2, "Error: give exactly one of --found URL_OR_ID, --resend or --check — "
                                          "see `campaigner post reconcile --help`\n")
    assert cli("post", "reconcile", "1", "--resend", "--check").exit_code == 2

    telegram_unconfirmed()  # post 2, on t1
    r = cli("post", "reconcile", "2", "--account", "kspi-x", "--resend")
    assert r.stderr == "Error: post 2 has no delivery on kspi-x — see `campaigner post show 2`\n"
    r = cli("post", "reconcile", "2", "--found", "https://t.me/spn_info/")
    assert r.stderr == ("Error: cannot tell the telegram post id from https://t.me/spn_info/ — give its id instead: "
                        "--found ID\n")
    assert deliveries(engine)[1].status == S.UNCONFIRMED  # nothing half-written


def test_several_unconfirmed_deliveries_need_the_account(cli, engine, engine_for, platform_account):
    f1, f2 = platform_account("mastodon", "m1"), platform_account("mastodon", "m2")
    cli.ok("post", "add", "Hidup buruh!", "--to", "m1,m2", "--now")
    for fake in (f1, f2):
        fake.fail_next(Failure.DROP_AFTER, path_contains="/api/v1/statuses")
    assert sorted(engine_for().run_pass().unconfirmed) == [1, 2]
    r = cli("post", "reconcile", "1", "--resend")
    assert r.stderr == ("Error: post 1 is unconfirmed on 2 accounts (m1, m2) — say which with --account NAME\n")
    [remote] = f2.posts()
    cli.ok("post", "reconcile", "1", "--account", "m2", "--found", f"https://mastodon.example/@kspi/{remote}")
    assert [d.status for d in deliveries(engine)] == [S.UNCONFIRMED, S.PUBLISHED]
    assert deliveries(engine)[1].remote_id == remote
    cli.clock.advance(minutes=1)
    assert engine_for().run_pass().published == [1]  # the worker found m1's copy by itself
    assert f1.create_count() == 1 and f2.create_count() == 1


@pytest.mark.parametrize("platform, pasted, remote_id", [
    ("telegram", "https://t.me/spn_info/4101", "4101"),
    ("telegram", "https://t.me/c/1987654321/4101?single", "4101"),
    ("telegram", "4101", "4101"),
    ("mastodon", "https://mastodon.social/@kspi/113456789012345678", "113456789012345678"),
    ("x", "https://x.com/kspi_official/status/1862000000000000000", "1862000000000000000"),
    ("bluesky", "https://bsky.app/profile/did:plc:abc123/post/3lbx2abcd", "at://did:plc:abc123/app.bsky.feed.post/3lbx2abcd"),
    ("bluesky", "at://did:plc:abc123/app.bsky.feed.post/3lbx2abcd", "at://did:plc:abc123/app.bsky.feed.post/3lbx2abcd"),
    ("facebook", "https://www.facebook.com/1029384756/posts/5647382910", "1029384756_5647382910"),
    ("facebook", "https://www.facebook.com/permalink.php?story_fbid=5647382910&id=1029384756", "1029384756_5647382910"),
])
def test_found_understands_each_platforms_addresses(platform, pasted, remote_id):
    from campaigner.services.posts import _found_ref

    assert _found_ref(platform, pasted) == (remote_id, pasted if pasted.startswith("https://") else None)


@pytest.mark.parametrize("platform, pasted, message", [
    ("bluesky", "https://bsky.app/profile/kspi.bsky.social/post/3lbx2abcd",
     "cannot tell the bluesky post id from https://bsky.app/profile/kspi.bsky.social/post/3lbx2abcd — give its at:// "
     "URI (bsky.app links with a handle do not tell the account's DID) instead: --found ID"),
    ("telegram", "t.me/spn_info/4101",
     "'t.me/spn_info/4101' looks like an address without https:// — paste the whole address (https://…) or just "
     "the post's id"),
])
def test_found_refuses_what_it_cannot_read(platform, pasted, message):
    from campaigner.errors import InvalidInput
    from campaigner.services.posts import _found_ref

    with pytest.raises(InvalidInput) as e:
        _found_ref(platform, pasted)
    assert str(e.value) == message


def test_a_resend_decided_by_a_person_hours_later_goes_out_not_expires(cli, engine, telegram_unconfirmed):
    """`--resend` is a person's decision, like `post retry`: past the post's lateness limit (6 h by
    default) it is sent, not expired by the next pass."""
    fake, e = telegram_unconfirmed()
    cli.clock.advance(hours=7)
    cli.ok("post", "reconcile", "1", "--account", "t1", "--resend")
    report = e.run_pass()
    assert report.published == [1] and not report.expired
    assert fake.create_count() == 2 and deliveries(engine)[0].status == S.PUBLISHED
