"""Answering from the inbox (issue 12, item 2): ``replies answer`` queues a post threaded under the
stranger's reply on the same platform, checked like any post, sent by the engine exactly once (an
unknown outcome is looked for, never re-sent blind), and the reply is answered once it is out.
The platforms' fakes over HTTP, the real CLI and engine, SQLite and PostgreSQL."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from campaigner.models import Account, Alert, Delivery, DeliveryPart, DeliveryStatus as S, Post, Reply
from content.length import check_length
from scheduler.engine import RECONCILE_DELAY
from tests.engine.conftest import deliveries
from tests.fakes.server import Failure

QUESTION = "Aksinya kumpul di mana?"
ANSWER = "Di depan gedung DPR, jam 09.00. Bawa bendera serikat!"
CREATE = {"x": "/2/tweets", "mastodon": "/api/v1/statuses", "bluesky": "createRecord", "facebook": "/comments"}


def _reply(engine, text: str = QUESTION) -> Reply:
    with Session(engine) as s:
        return s.scalars(select(Reply).where(Reply.text == text)).one()


def _asked(cli, engine, platform_account, platform: str, name: str = "a1"):
    """A published post on a ``platform`` account, a question under it, collected."""
    fake = platform_account(platform, name)
    cli.ok("post", "add", "Tolak potongan Tapera! Aksi Kamis.", "--to", name, "--now")
    cli.ok("publish")
    d = deliveries(engine)[-1]
    fake.add_reply(d.remote_id, "rina_buruh", QUESTION, cli.clock.now + timedelta(minutes=1))
    cli.clock.advance(minutes=5)
    cli.ok("metrics", "collect")
    return fake, d, _reply(engine)


@pytest.mark.parametrize("platform", ["x", "mastodon", "bluesky", "facebook", "threads"])
def test_an_answer_goes_under_the_reply_once_and_answers_it(cli, engine, platform_account, platform):
    fake, post, reply = _asked(cli, engine, platform_account, platform)
    r = cli.ok("replies", "answer", str(reply.id), ANSWER)
    assert r.stdout == (f"Queued post 2: the answer to reply {reply.id} on a1 ({platform}), due 2026-11-30 08:05 WIB.\n"
                        "`campaigner run` sends it within seconds (or run `campaigner publish`).\n")
    assert _reply(engine).state.value == "new"  # not before it is out
    cli.ok("publish")
    answer = deliveries(engine)[-1]
    assert answer.status == S.PUBLISHED and answer.post_id == 2
    assert fake.reply_parent(answer.remote_id) == reply.remote_id
    if platform == "bluesky":  # a reply record names the top of its thread too: our post, not the reply
        assert fake.records[fake._key(answer.remote_id)]["value"]["reply"]["root"]["uri"] == post.remote_id
    sent = fake.posts().get(answer.remote_id) if platform != "facebook" else fake.objects[answer.remote_id]["message"]
    assert sent == (f"@rina_buruh@mastodon.other {ANSWER}" if platform == "mastodon" else ANSWER)
    got = _reply(engine)
    assert (got.state.value, got.state_at) == ("answered", answer.published_at)

    # the next collection sees the answer as the account's own: no new inbox entry, nothing twice
    cli.clock.advance(hours=1)
    assert "New replies: 0" in cli.ok("metrics", "collect").stdout
    with Session(engine) as s:
        rows = list(s.scalars(select(Reply).order_by(Reply.id)))
    assert [(x.remote_id, x.ours) for x in rows] == [(reply.remote_id, False), (answer.remote_id, True)]
    shown = cli.ok("replies", "show", str(reply.id)).stdout
    assert f"Our answers:\n  post 2 on a1: published 2026-11-30 08:05 WIB — {answer.remote_url}\n" in shown
    assert "on " + platform + " itself" not in shown  # the same answer, listed once
    assert json.loads(cli.ok("replies", "list", "--json", "--state", "answered").stdout)[0]["id"] == reply.id


@pytest.mark.parametrize("platform", ["x", "facebook"])
def test_a_lost_answer_is_looked_for_and_never_sent_twice(cli, engine, engine_for, platform_account, platform):
    """X and Facebook have no idempotency key: after a create whose answer was lost, the engine looks
    for the answer under the reply before anything else, finds it and records it."""
    fake, post, reply = _asked(cli, engine, platform_account, platform)
    cli.ok("replies", "answer", str(reply.id), ANSWER)
    creates = fake.create_count()
    fake.fail_next(Failure.DROP_AFTER, path_contains=CREATE[platform])
    e = engine_for()
    assert e.run_pass().unconfirmed == [2]
    assert _reply(engine).state.value == "new"
    cli.clock.advance(seconds=RECONCILE_DELAY.total_seconds())
    assert e.run_pass().published == [2]
    answer = deliveries(engine)[-1]
    assert [(a.kind, a.outcome) for a in answer.attempts] == [("publish", "unknown"), ("reconcile", "found")]
    assert fake.create_count() == creates + 1
    assert fake.reply_parent(answer.remote_id) == reply.remote_id
    assert _reply(engine).state.value == "answered"


def test_a_person_reconciling_an_answer_by_hand_answers_the_reply(cli, engine, engine_for, platform_account):
    fake, post, reply = _asked(cli, engine, platform_account, "x")
    cli.ok("replies", "answer", str(reply.id), ANSWER)
    fake.fail_next(Failure.DROP_AFTER, path_contains="/2/tweets")
    engine_for().run_pass()
    [sent] = [rid for rid, text in fake.posts().items() if text == ANSWER]
    cli.ok("post", "reconcile", "2", "--found", sent)
    assert _reply(engine).state.value == "answered"


def test_too_long_is_counted_as_the_platform_counts_it(cli, engine, platform_account):
    fake, post, reply = _asked(cli, engine, platform_account, "mastodon")
    # 500 characters on Mastodon, the mention of the replier included
    mention = "@rina_buruh@mastodon.other "
    fits = "a" * (500 - len("@rina_buruh") - 1)  # Mastodon counts a remote mention by its local part
    assert check_length(mention + fits, "mastodon").count == 500
    too_long = fits + "a"
    r = cli("replies", "answer", str(reply.id), too_long)
    assert (r.exit_code, r.stdout) == (1, "")
    hint = check_length(mention + too_long, "mastodon").hint
    assert r.stderr == f"Error: the text is too long for a1 (mastodon): 501 of 500 characters — {hint}\n"
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(Post)) == 1
    cli.ok("replies", "answer", str(reply.id), fits)


def _stored_reply(engine, platform: str, name: str, cli) -> int:
    """A published post with one reply on a ``platform`` account, written straight to the database
    (Instagram needs a media host to publish, Telegram has no replies to collect)."""
    now = datetime(2026, 11, 30, 1, tzinfo=timezone.utc)
    cli.ok("account", "add", platform, name)
    with Session(engine) as s, s.begin():
        account = s.scalars(select(Account).where(Account.name == name)).one()
        post_id = s.execute(insert(Post).values(text="Foto aksi", created_at=now, updated_at=now)
                            .returning(Post.id)).scalar_one()
        did = s.execute(insert(Delivery).values(post_id=post_id, account_id=account.id, status=S.PUBLISHED,
                                                due_at=now, published_at=now, remote_id="1790001", created_at=now,
                                                updated_at=now).returning(Delivery.id)).scalar_one()
        s.execute(insert(DeliveryPart).values(delivery_id=did, position=0, text="Foto aksi",
                                              idempotency_key=f"k-{name}"))
        return s.execute(insert(Reply).values(delivery_id=did, remote_id="1790002", author="rina", text=QUESTION,
                                              created_at=now, collected_at=now, kind="question")
                         .returning(Reply.id)).scalar_one()


def test_mistakes_are_one_line_and_change_nothing(cli, engine, platform_account):
    fake, post, reply = _asked(cli, engine, platform_account, "mastodon", "m1")
    other = fake.add_reply(post.remote_id, "budi", "nyimak", cli.clock.now)
    fake.add_own_reply(reply.remote_id, "@rina_buruh lihat bio", cli.clock.now)
    cli.clock.advance(hours=1)
    cli.ok("metrics", "collect")
    with Session(engine) as s:
        ours = s.scalars(select(Reply).where(Reply.ours.is_(True))).one().id
        nyimak = s.scalars(select(Reply).where(Reply.remote_id == other)).one().id
    cli.ok("replies", "dismiss", str(nyimak))
    ig = _stored_reply(engine, "instagram", "ig1", cli)
    tg = _stored_reply(engine, "telegram", "tg1", cli)
    cli.ok("replies", "answer", str(reply.id), "Lihat bio ya")  # one waiting to go out
    cases = [
        (["replies", "answer", "404", "halo"], "Error: no reply with id 404 — see `campaigner replies list`"),
        (["replies", "answer", str(nyimak), "halo"],
         f"Error: reply {nyimak} was dismissed — to answer it after all: campaigner replies reopen {nyimak}, then "
         "answer it"),
        (["replies", "answer", str(ours), "halo"],
         f"Error: reply {ours} is the account's own answer, not someone's reply — only replies by others can be "
         f"answered (see `campaigner replies show {ours}`)"),
        (["replies", "dismiss", str(ours)],
         f"Error: reply {ours} is the account's own answer, not someone's reply — only replies by others can be "
         f"dismissed (see `campaigner replies show {ours}`)"),
        (["replies", "dismiss", str(reply.id)],
         f"Error: reply {reply.id} is answered, not new — only new replies can be dismissed"),
        (["replies", "answer", str(reply.id), "lagi"],
         f"Error: reply {reply.id} already has an answer waiting to go out (post 4) — see `campaigner post show 4`; "
         "change it with `campaigner post edit 4` or cancel it with `campaigner post cancel 4`"),
        (["replies", "answer", str(ig), "halo"],
         f"Error: cannot answer on ig1 (Instagram): campaigner cannot post replies to Instagram comments yet — answer "
         f"on Instagram itself; the next `campaigner metrics collect` sees it and marks reply {ig} answered (or: "
         f"campaigner replies dismiss {ig})"),
        (["replies", "answer", str(tg), "halo"],
         f"Error: cannot answer on tg1 (Telegram channel): Telegram channels have no replies — answer there by hand, "
         f"then: campaigner replies dismiss {tg}"),
        (["replies", "answer", str(nyimak)], "Error: no text: give it as an argument or with --file F — see "
                                             "`campaigner replies answer --help`"),
        (["post", "edit", "4", "--link", "https://kspi.example/aksi"],
         f"Error: post 4 answers reply {reply.id}: it is text only, on the account that was replied to — change its "
         "text or time, or cancel it and answer again with `campaigner replies answer`"),
    ]
    with Session(engine) as s:
        before = (s.scalar(select(func.count()).select_from(Post)),
                  sorted((x.id, x.state.value) for x in s.scalars(select(Reply))))
    for args, message in cases:
        r = cli(*args)
        assert (r.stdout, r.stderr) == ("", message + "\n"), args
        assert r.exit_code in (1, 2)
    with Session(engine) as s:
        assert (s.scalar(select(func.count()).select_from(Post)),
                sorted((x.id, x.state.value) for x in s.scalars(select(Reply)))) == before


def test_an_answer_on_a_paused_account_waits_for_it(cli, engine, platform_account):
    fake, post, reply = _asked(cli, engine, platform_account, "bluesky")
    fake.expire_credentials()  # the credentials watch pauses the account
    cli("account", "check")
    assert "paused" in cli.ok("account", "show", "a1").stdout
    fake.revoked = False  # a new app password, set by a person
    r = cli.ok("replies", "answer", str(reply.id), "--file", "-", input=ANSWER + "\n")
    assert r.stdout.endswith("a1 is paused: it goes out once the account is resumed (campaigner account resume a1).\n")
    cli.ok("publish")
    assert deliveries(engine)[-1].status == S.QUEUED
    cli.ok("account", "resume", "a1")
    cli.ok("publish")
    assert deliveries(engine)[-1].parts[0].text == ANSWER and _reply(engine).state.value == "answered"


def test_an_answer_on_an_account_that_requires_approval_is_a_draft_until_approved(cli, engine, platform_account):
    fake, post, reply = _asked(cli, engine, platform_account, "mastodon")
    cli.ok("account", "edit", "a1", "--requires-approval")
    r = cli.ok("replies", "answer", str(reply.id), ANSWER)
    assert r.stdout == (f"Saved post 2 as a draft: the answer to reply {reply.id} on a1 (mastodon, which requires "
                        "approval). It goes out only once approved: campaigner post approve 2\n")
    cli.ok("publish")
    assert deliveries(engine)[-1].status == S.DRAFT and _reply(engine).state.value == "new"
    again = cli("replies", "answer", str(reply.id), "lagi")
    assert again.exit_code == 1 and "already has an answer waiting to go out (post 2)" in again.stderr
    cli.ok("post", "approve", "2")
    cli.ok("publish")
    answer = deliveries(engine)[-1]
    assert answer.status == S.PUBLISHED and fake.reply_parent(answer.remote_id) == reply.remote_id
    assert _reply(engine).state.value == "answered"


def test_an_answer_whose_reply_is_gone_fails_with_an_alert_and_the_pass_goes_on(cli, engine, engine_for,
                                                                                 platform_account):
    """What goes out is worked out after the attempt is committed: when it cannot be (the answered
    reply is no longer stored) the delivery fails with the reason and an alert — the pass does not
    break off with the delivery left claimed and an attempt open (which would be looked for as
    maybe sent, again and again)."""
    fake, post, reply = _asked(cli, engine, platform_account, "mastodon")
    cli.ok("replies", "answer", str(reply.id), ANSWER)
    creates = fake.create_count()
    with Session(engine) as s, s.begin():
        s.execute(delete(Reply).where(Reply.id == reply.id))
    report = engine_for().run_pass()
    assert report.failed == [2]
    answer = deliveries(engine)[-1]
    why = "the reply that post 2 answers is no longer stored: it cannot go out as an answer"
    assert (answer.status, answer.last_error, answer.claimed_by) == (S.FAILED, why, None)
    assert [(a.kind, a.outcome, a.error) for a in answer.attempts] == [("publish", "permanent", why)]
    with Session(engine) as s:
        assert s.scalars(select(Alert.message).where(Alert.kind == "failed", Alert.delivery_id == answer.id)).all() \
            == [why]
    assert fake.create_count() == creates


def test_a_lost_answer_whose_reply_is_gone_is_left_to_a_person_not_looked_for_forever(cli, engine, engine_for,
                                                                                       platform_account):
    """Its outcome is unknown and it cannot be looked for (what to look for is not known without the
    reply): a person is asked, once, rather than the engine trying again and again."""
    fake, post, reply = _asked(cli, engine, platform_account, "x")
    cli.ok("replies", "answer", str(reply.id), ANSWER)
    fake.fail_next(Failure.DROP_AFTER, path_contains="/2/tweets")
    e = engine_for()
    assert e.run_pass().unconfirmed == [2]
    with Session(engine) as s, s.begin():
        s.execute(delete(Reply).where(Reply.id == reply.id))
    cli.clock.advance(seconds=RECONCILE_DELAY.total_seconds())
    assert e.run_pass().unconfirmed == [2]
    answer = deliveries(engine)[-1]
    gone = "the reply that post 2 answers is no longer stored: it cannot go out as an answer"
    why = (f"it cannot be looked for ({gone}): check a1, then run `campaigner post reconcile 2 --account a1 "
           "--found URL` or `--resend`")
    assert (answer.status, answer.last_error, answer.next_attempt_at) == (S.UNCONFIRMED, f"outcome unknown: {why}",
                                                                          None)
    assert [(a.kind, a.outcome) for a in answer.attempts] == [("publish", "unknown"), ("reconcile", "cannot_tell")]
    with Session(engine) as s:
        assert s.scalars(select(Alert.message).where(Alert.kind == "unconfirmed")).all() == [why]
    cli.clock.advance(hours=1)
    assert e.run_pass().handled == 0
