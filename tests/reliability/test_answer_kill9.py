"""An answer from the inbox under ``kill -9`` (issue 12, item 2): a real ``campaigner run``
subprocess is SIGKILLed while it sends the answer to X (the platform with no idempotency key), and
another takes over. The answer is on X exactly once, threaded under the stranger's reply, the
killed call ended "unknown" and was looked for before anything was sent again, and the reply is
answered. Real clock, X's fake on 127.0.0.1 with latency so the kill lands during the call."""
from __future__ import annotations

from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigner.models import Attempt, Delivery, Post, Reply
from campaigner.services import inbox
from campaigner.services.replies import collect_replies
from scheduler.engine import Engine
from tests.reliability.conftest import add_account, all_deliveries, queue_posts, real_now, wait_for, wait_while_running

ANSWER = "Kumpul di depan DPR, Kamis jam 09.00. Bawa bendera serikat!"


def _answer_attempts(engine, answer_post: int) -> list[Attempt]:
    with Session(engine) as s:
        return list(s.scalars(select(Attempt).join(Delivery, Delivery.id == Attempt.delivery_id)
                              .where(Delivery.post_id == answer_post).order_by(Attempt.id)))


def test_an_answer_killed_mid_call_is_sent_once(real_app, real_fakes, workers, engine, db_url, monkeypatch):
    fake = real_fakes("x", latency=0.05)
    add_account(real_app, "x", "x1", base_url=fake.base_url, secrets=dict(fake.account_config().secrets),
                monkeypatch=monkeypatch)
    queue_posts(real_app, ["Tolak potongan Tapera! Aksi Kamis di DPR."], ["x1"])
    Engine(real_app, "setup", concurrency=1).publish_all_due()
    [post] = all_deliveries(engine)
    question = fake.add_reply(post.remote_id, "rina_buruh", "Aksinya kumpul di mana?", real_now())
    assert collect_replies(real_app).new == 1
    with Session(engine) as s:
        reply = s.scalars(select(Reply)).one()
    queued = inbox.answer(real_app, reply.id, ANSWER)

    fake.latency = 1.5  # every call now takes long enough for the kill to land inside it
    w = workers.start("killed", db_url, "--lease-seconds", "2", "--tick", "0.05")
    assert wait_for(lambda: any(a.kind == "publish" and a.finished_at is None
                                for a in _answer_attempts(engine, queued.post_id)), timeout=60, every=0.01)
    w.kill9()
    fake.latency = 0.05
    final = workers.start("final", db_url, "--lease-seconds", "2", "--tick", "0.05")

    def answered() -> bool:
        with Session(engine) as s:
            return s.get(Reply, reply.id).state.value == "answered"
    assert wait_while_running(answered, [final], timeout=90), final.log()[-3000:]
    assert final.stop() == 0

    # exactly once on X, under the stranger's reply
    sent = [rid for rid, text in fake.posts().items() if text == ANSWER]
    assert len(sent) == 1 and fake.reply_parent(sent[0]) == question
    assert Counter(fake.posts().values())[ANSWER] == 1
    with Session(engine) as s:
        d = s.scalars(select(Delivery).join(Post).where(Post.answers_reply_id == reply.id)).one()
        assert (d.status.value, d.remote_id) == ("published", sent[0])
    outcomes = [(a.kind, a.outcome.value if a.outcome else None) for a in _answer_attempts(engine, queued.post_id)]
    assert outcomes[0] == ("publish", "unknown") and "stopped during the call" in \
        _answer_attempts(engine, queued.post_id)[0].error
    assert outcomes[1][0] == "reconcile"  # looked for before anything else
    assert sum(o in ("published", "found") for _, o in outcomes) == 1
