"""The contract every connector keeps, run against every platform's fake.

Each platform's fake (``tests/fakes/<platform>.py``, class ``Fake``) is a real HTTP server on
127.0.0.1 (the sandbox's is its state file) that checks what it receives and answers in the
platform's wire format; the connector is built the way the engine builds it
(``connectors.registry.build_connector``). Where a platform *cannot* do something (Telegram: no
history, no metrics, no replies) the test asserts the documented honest answer instead.
"""
from __future__ import annotations

import dataclasses
import importlib
import math
from datetime import timedelta

import pytest

from connectors.base import (AuthExpired, Metrics, NotReady, NotSupported, Published, RateLimited, Transient)
from connectors.base import METRIC_FIELDS as METRICS
from connectors.registry import PLATFORMS as REGISTRY, build_connector
from connectors.tid import new_tid
from content.platforms import BY_NAME as RECORDS
from tests.connectors.conftest import new_post
from tests.fakes.server import Failure

PLATFORMS = list(REGISTRY)
HTTP = set(PLATFORMS) - {"sandbox"}    # the sandbox has no network
#: what each platform's record says it can do: the contract below holds each connector to it
CAN_FIND = {p for p, info in REGISTRY.items() if info.can_find_existing}
HAS_REPLIES = {p for p, info in REGISTRY.items() if info.replies}
CAN_ANSWER = {p for p, info in REGISTRY.items() if info.answers}
KNOWS_MISSING = set(PLATFORMS) - {"telegram"}
IDEMPOTENT_DELETE = {"sandbox", "mastodon", "telegram", "facebook", "bluesky", "threads"}
#: the API offers no way to delete a post (Instagram with Instagram Login): NotSupported, post kept
CANNOT_DELETE = {"instagram"}
#: the request that creates a post, for failures aimed at it (logins etc. must not catch them)
CREATE_PATH = {"mastodon": "/api/v1/statuses", "telegram": "sendMessage", "facebook": "/feed",
               "x": "/2/tweets", "bluesky": "createRecord", "instagram": "/media_publish",
               "threads": "threads_publish"}
#: requests one metrics batch takes (Instagram reads each media's fields, then its insights)
CALLS_PER_BATCH = {"instagram": 2}
ALL_FIELDS = METRICS
#: Metrics fields each platform does not provide (by its record): they must be None, never a guessed 0
NONE_FIELDS = {p: set(ALL_FIELDS) - set(info.metrics) for p, info in REGISTRY.items()}


# --- fixtures ---------------------------------------------------------------------------------
@pytest.fixture(params=PLATFORMS)
def platform(request) -> str:
    return request.param


@pytest.fixture
def fake(platform, serve):
    return serve(importlib.import_module(f"tests.fakes.{platform}").Fake())


@pytest.fixture
def config(fake, state_dir):
    return fake.account_config(state_dir=state_dir)


@pytest.fixture
def connector(config, clock):
    return build_connector(config, clock=clock)


@pytest.fixture
def post(platform, clock, fake):
    """A factory of unique posts with the right kind of idempotency key for the platform, carrying
    an image (on the fake's web server) where the platform requires media."""
    def _post(text=None, **fields):
        key = None
        if platform == "bluesky":          # Bluesky keys are record keys: TIDs
            key = new_tid(clock())
        if RECORDS[platform].media.required and "media" not in fields:
            fields["media"] = fake.sample_media("image")
        return new_post(text, key=key, **fields)
    return _post


def publish_until_done(connector, outgoing, clock, *, limit: int = 30) -> Published:
    """Publish as the engine does: while the platform is still preparing the post (``NotReady``),
    move the clock to ``check_at`` and call again with the progress kept — never sleeping."""
    for _ in range(limit):
        try:
            return connector.publish(outgoing)
        except NotReady as exc:
            assert exc.check_at > clock()
            clock.now = exc.check_at
            outgoing = dataclasses.replace(outgoing, progress=exc.progress)
    raise AssertionError(f"still not published after {limit} calls")


def sample_media(fake, *kinds):
    try:
        return fake.sample_media(*kinds)
    except NotImplementedError:
        pytest.skip("this fake serves no media by URL (its own tests cover uploads)")


def _requests(fake) -> int:
    return len(fake.requests)


# --- identity and publishing --------------------------------------------------------------------
def test_verify_returns_the_account_identity(connector):
    identity = connector.verify()
    assert identity.remote_id and identity.remote_id != "None"
    assert identity.handle


def test_publish_creates_exactly_one_post_with_the_text(connector, fake, post, clock):
    outgoing = post()
    published = connector.publish(outgoing)

    posts = fake.posts()
    assert posts[published.remote_id] == outgoing.text
    assert list(posts.values()).count(outgoing.text) == 1
    assert fake.create_count() == 1
    assert published.published_at.tzinfo is not None
    assert abs(published.published_at - clock()) < timedelta(minutes=1)


def test_thread_of_three_parts_links_each_reply(connector, fake, platform, post):
    first = connector.publish(post())
    if not RECORDS[platform].threads:           # refused at queue time; the connector refuses too
        with pytest.raises(NotSupported):
            connector.publish(post(reply_to=first.remote_id, thread_root=first.remote_id))
        assert fake.create_count() == 1
        return
    second = connector.publish(post(reply_to=first.remote_id, thread_root=first.remote_id))
    third = connector.publish(post(reply_to=second.remote_id, thread_root=first.remote_id))

    assert len({first.remote_id, second.remote_id, third.remote_id}) == 3
    assert fake.create_count() == 3
    try:
        assert fake.reply_parent(first.remote_id) is None
    except NotImplementedError:
        pytest.skip("this fake does not expose reply parents")
    assert fake.reply_parent(second.remote_id) == first.remote_id
    # Facebook threads are comments on the first post; elsewhere each part answers the previous one
    assert fake.reply_parent(third.remote_id) in (second.remote_id, first.remote_id)


def test_carousel_of_images_and_a_video_is_one_post(connector, fake, platform, post, clock):
    media = sample_media(fake, "image", "video", "image")
    outgoing = post(media=media)
    published = publish_until_done(connector, outgoing, clock)
    assert fake.posts()[published.remote_id] == outgoing.text
    assert fake.create_count() == 1


def test_a_video_being_processed_is_published_when_ready(connector, fake, platform, post, clock):
    outgoing = post(media=sample_media(fake, "video"))
    start = clock()
    published = publish_until_done(connector, outgoing, clock)
    assert fake.posts()[published.remote_id] == outgoing.text
    assert fake.create_count() == 1
    assert clock() > start                       # it waited on the clock, not by sleeping


# --- finding a post after an unknown outcome -------------------------------------------------
def test_find_existing_finds_a_published_post(connector, platform, post, clock):
    since = clock() - timedelta(minutes=5)
    outgoing = post()
    published = connector.publish(outgoing)

    found = connector.find_existing(outgoing, since)
    assert connector.can_find_existing is (platform in CAN_FIND)
    if platform not in CAN_FIND:
        assert found is None     # documented: the platform offers no way to look
        return
    assert found is not None and found.remote_id == published.remote_id


def test_find_existing_returns_none_for_a_post_never_sent(connector, post, clock):
    connector.publish(post())                      # something else is on the timeline
    assert connector.find_existing(post(), clock() - timedelta(minutes=5)) is None


def test_lost_answer_is_outcome_unknown_and_then_found(connector, fake, platform, post, clock):
    if platform not in HTTP:
        pytest.skip("no network")
    since = clock() - timedelta(minutes=1)
    connector.verify()                             # sessions and caches warm
    outgoing = post()
    fake.fail_next(Failure.DROP_AFTER, path_contains=CREATE_PATH[platform])
    try:
        published = connector.publish(outgoing)
    except Transient as exc:
        assert exc.outcome_unknown
        # the engine keeps what the connector asked to keep (a Meta container) for the look
        found = connector.find_existing(dataclasses.replace(outgoing, progress=exc.progress), since)
        if platform in CAN_FIND:
            assert found is not None and fake.posts()[found.remote_id] == outgoing.text
        else:
            assert found is None                   # a human must look
    else:
        # the connector settled the unknown outcome itself with a read (Bluesky: getRecord on its key)
        assert fake.posts()[published.remote_id] == outgoing.text
    assert fake.create_count() == 1                # it happened, once


# --- metrics ---------------------------------------------------------------------------------------
def test_metrics_of_nothing_asks_nothing(connector, fake):
    before = _requests(fake)
    batch = connector.metrics([])
    assert batch.found == {} and batch.missing == frozenset()
    assert _requests(fake) == before


def test_metrics_use_the_largest_batch(connector, fake, platform, post):
    if platform not in HTTP:
        pytest.skip("no network, nothing to count")
    n = connector.metrics_batch_size + 1 if platform != "telegram" else 3
    ids = [connector.publish(post()).remote_id for _ in range(n)]
    connector.metrics(ids[:1])                     # a first read learns which metrics the platform refuses

    before = _requests(fake)
    batch = connector.metrics(ids)
    made = _requests(fake) - before

    if platform == "telegram":
        assert made == 0                           # the Bot API has no metrics call at all
    else:
        assert math.ceil(n / connector.metrics_batch_size) == 2
        assert made == 2 * CALLS_PER_BATCH.get(platform, 1)
    assert set(batch.found) == set(ids)


def test_missing_posts_are_missing_not_zero(connector, fake, platform, post):
    kept = connector.publish(post()).remote_id
    gone = connector.publish(post()).remote_id
    fake.remove_post(gone)

    batch = connector.metrics([kept, gone])
    assert kept in batch.found
    if platform in KNOWS_MISSING:
        assert gone in batch.missing and gone not in batch.found
    else:
        assert batch.missing == frozenset()        # cannot tell; reports no numbers either
        assert all(getattr(batch.found[gone], f) is None for f in ALL_FIELDS)


def test_engagement_counts_and_none_for_what_the_platform_lacks(connector, fake, platform, post):
    remote_id = connector.publish(post()).remote_id
    counts = {"likes": 7, "reposts": 3, "replies": 2, "quotes": 1, "impressions": 120, "bookmarks": 4}
    fake.set_engagement(remote_id, **counts)

    metrics = connector.metrics([remote_id]).found[remote_id]
    assert isinstance(metrics, Metrics) and metrics.remote_id == remote_id
    for field in ALL_FIELDS:
        value = getattr(metrics, field)
        if field in NONE_FIELDS[platform]:
            assert value is None, f"{platform} does not give {field}; got {value!r}"
        elif field in counts:
            assert value == counts[field], f"{platform} {field}"


# --- replies and deletion ---------------------------------------------------------------------------
def test_replies_by_others_come_back(connector, fake, platform, post, clock):
    remote_id = connector.publish(post()).remote_id
    fake.add_reply(remote_id, "rina_buruh", "Setuju, upah layak untuk semua!", clock())

    if platform not in HAS_REPLIES:
        with pytest.raises(NotSupported):
            connector.replies(remote_id)
        return
    replies = connector.replies(remote_id)
    mine = [r for r in replies if r.text == "Setuju, upah layak untuk semua!"]
    assert len(mine) == 1
    assert "rina_buruh" in mine[0].author
    assert mine[0].created_at.tzinfo is not None
    later = connector.replies(remote_id, since=clock() + timedelta(minutes=1))
    assert all(r.text != "Setuju, upah layak untuk semua!" for r in later)


def test_an_answer_goes_under_the_reply_and_comes_back_as_ours(connector, fake, platform, post, clock):
    """What the inbox's ``replies answer`` needs: the answer is threaded under the stranger's reply,
    a retry after a lost answer finds it there, and the conversation shows it as the account's
    own, answering that reply (which marks the reply answered)."""
    if platform not in CAN_ANSWER:
        assert REGISTRY[platform].no_answers, f"{platform} says why it cannot answer"
        return
    root = connector.publish(post()).remote_id
    reply = fake.add_reply(root, "rina_buruh", "Aksinya kumpul di mana?", clock())
    clock.advance(minutes=5)
    outgoing = post("Di depan DPR jam 09.00, kawan!", reply_to=reply, thread_root=root, answer=True)
    answer = connector.publish(outgoing)
    assert fake.reply_parent(answer.remote_id) == reply    # every fake of a platform that answers tells
    assert connector.find_existing(outgoing, clock() - timedelta(minutes=10)).remote_id == answer.remote_id
    found = {r.remote_id: r for r in connector.replies(root)}
    assert found[reply].ours is False and found[reply].in_reply_to == root
    assert found[answer.remote_id].ours is True and found[answer.remote_id].in_reply_to == reply


def test_delete_removes_the_post(connector, fake, platform, post):
    remote_id = connector.publish(post()).remote_id
    if platform in CANNOT_DELETE:
        with pytest.raises(NotSupported, match="app"):
            connector.delete(remote_id)
        assert remote_id in fake.posts()
        return
    connector.delete(remote_id)
    assert remote_id not in fake.posts()
    if platform in IDEMPOTENT_DELETE:
        connector.delete(remote_id)                # already gone: still fine


# --- quota and tokens ---------------------------------------------------------------------------------
def test_the_platforms_own_quota_counts_what_went_out(connector, fake, platform, post):
    if not REGISTRY[platform].quota:
        assert not hasattr(connector, "quota")       # the record says it has none: the engine asks nothing
        return
    before = connector.quota()
    assert before.total > 0 and before.window > timedelta(0)
    connector.publish(post())
    after = connector.quota()
    assert after.used == before.used + 1 and after.left == before.left - 1
    assert connector.verify().quota == after


def test_a_renewed_token_is_used_from_then_on_and_never_logged(connector, fake, platform, clock, all_logs):
    if not REGISTRY[platform].refreshes_token:
        assert not hasattr(connector, "refresh_token")
        return
    renewed = connector.refresh_token()
    assert renewed.value in fake.secret_values() and renewed.secret in REGISTRY[platform].secret_fields
    assert renewed.expires_at is not None and renewed.expires_at > clock()
    connector.verify()                                 # the fake knows the new token: it still works
    assert renewed.value not in repr(renewed) and renewed.value not in all_logs.getvalue()


# --- failures ---------------------------------------------------------------------------------------
def test_expired_credentials_raise_auth_expired(connector, fake, post):
    fake.expire_credentials()
    with pytest.raises(AuthExpired):
        connector.verify()
    with pytest.raises(AuthExpired):
        connector.publish(post())


def test_rate_limit_gives_the_platforms_retry_time(connector, fake, post, clock):
    connector.verify()
    reset_at = clock() + timedelta(minutes=15)
    fake.rate_limit_next(reset_at)
    with pytest.raises(RateLimited) as caught:
        connector.publish(post())
    assert abs((caught.value.retry_at - reset_at).total_seconds()) <= 1
    assert fake.create_count() == 0


def test_server_error_is_transient(connector, fake, post):
    connector.verify()
    fake.server_error_next(503)
    with pytest.raises(Transient):
        connector.publish(post())
    assert fake.create_count() == 0


def test_server_error_on_a_read_is_transient_with_known_outcome(connector, fake, platform, post):
    remote_id = connector.publish(post()).remote_id
    if platform == "telegram":
        pytest.skip("Telegram metrics make no request")
    fake.server_error_next(500)
    with pytest.raises(Transient) as caught:
        connector.metrics([remote_id])
    assert not caught.value.outcome_unknown


def test_slow_answer_past_the_timeout_is_outcome_unknown(fake, config, platform, clock, post):
    if platform not in HTTP:
        pytest.skip("no network")
    connector = build_connector(dataclasses.replace(config, timeout=1.0), clock=clock)
    connector.verify()
    fake.slow_seconds = 5.0  # ends early: stop() wakes the handler
    fake.fail_next(Failure.SLOW, path_contains=CREATE_PATH[platform])
    with pytest.raises(Transient) as caught:
        connector.publish(post())
    assert caught.value.outcome_unknown


def test_dropped_connection_is_transient(connector, fake, platform, post):
    if platform not in HTTP:
        pytest.skip("no network")
    connector.verify()
    fake.fail_next(Failure.DROP, path_contains=CREATE_PATH[platform])
    with pytest.raises(Transient) as caught:
        connector.publish(post())
    assert caught.value.outcome_unknown          # a write whose connection broke: may have landed


# --- secrets -------------------------------------------------------------------------------------------
def test_secrets_never_reach_logs_errors_or_reprs(fake, config, platform, clock, post, all_logs, caplog):
    connector = build_connector(config, clock=clock)
    seen: list[str] = [repr(config), str(config)]

    connector.verify()
    remote_id = connector.publish(post(link="https://spn.example/upah?utm=kampanye")).remote_id
    connector.metrics([remote_id])
    if platform in HAS_REPLIES:
        connector.replies(remote_id)

    fake.server_error_next(500)
    with pytest.raises(Transient) as caught:
        connector.publish(post())
    seen += [str(caught.value), repr(caught.value)]
    if platform in HTTP:
        fake.fail_next(Failure.DROP, path_contains=CREATE_PATH[platform])
        with pytest.raises(Transient) as caught:
            connector.publish(post())
        seen += [str(caught.value), repr(caught.value)]
    fake.expire_credentials()
    with pytest.raises(AuthExpired) as expired:
        connector.publish(post())
    seen += [str(expired.value), repr(expired.value)]

    logged = all_logs.getvalue() + caplog.text
    if platform in HTTP:
        assert "HTTP" in logged or "->" in logged or "connectionpool" in logged, "expected DEBUG request logs"
    secrets = [s for s in fake.secret_values() if s]
    for secret in secrets:
        assert secret not in logged
        for text in seen:
            assert secret not in text
