"""The Graph pieces Instagram, Threads and Facebook share (connectors/meta.py): Meta's error codes as
typed errors, the container flow's schedule and progress, refused insight metrics, quota and token
answers. The flow is driven through its own three calls; the HTTP side is covered against the fakes
in test_instagram.py and test_facebook.py."""
from __future__ import annotations

import json
from datetime import timedelta

import pytest

from connectors import meta
from connectors.base import (AlreadyPublished, AuthExpired, NotReady, Permanent, RateLimited, Transient)
from tests.conftest import T0


def body(code, subcode=None, message="boom", **extra):
    error = {"message": message, "type": "OAuthException", "code": code, "fbtrace_id": "X", **extra}
    if subcode is not None:
        error["error_subcode"] = subcode
    return {"error": error}


def refuse(status, payload, method="POST", headers=None):
    return meta.refusal("instagram POST /1/media", method, status, headers or {}, payload, now=T0)


@pytest.mark.parametrize("code, subcode, kind", [
    (190, 463, AuthExpired), (102, None, AuthExpired), (10, None, AuthExpired), (200, None, AuthExpired),
    (4, None, RateLimited), (17, None, RateLimited), (32, None, RateLimited), (613, None, RateLimited),
    (80001, None, RateLimited), (80002, None, RateLimited), (80099, None, RateLimited),
    (9, 2207042, meta.DailyLimitReached), (4, 2207051, Permanent),
    (-2, 2207003, Transient), (-1, 2207001, Transient), (-1, 2207032, Transient),
    (-2, 2207020, meta.ContainerGone), (-1, 2207053, meta.ContainerGone), (9007, 2207027, meta.ContainerNotReady),
    (100, None, Permanent), (36000, 2207004, Permanent), (100, 33, meta.NoSuchObject), (506, None, AlreadyPublished),
])
def test_each_graph_code_is_its_typed_error(code, subcode, kind):
    error = refuse(400, body(code, subcode))
    assert type(error) is kind
    assert error.http_status == 400 and error.progress is None
    if isinstance(error, Transient):
        assert not error.outcome_unknown                   # Meta answered: nothing was lost


def test_the_daily_limit_lasts_a_day_unless_told_better_and_spam_comes_with_advice():
    limit = refuse(400, body(9, 2207042, "You reached maximum number of posts"))
    assert limit.retry_at == T0 + timedelta(hours=24) and limit.scope == "account"
    spam = refuse(400, body(4, 2207051, "We restrict certain activity to protect our community."))
    assert "suspects this post is spam" in str(spam) and "(code 4, subcode 2207051)" in str(spam)


def test_throttling_waits_for_the_largest_regain_time_or_an_hour():
    usage = {"X-Business-Use-Case-Usage": json.dumps({"1": [{"estimated_time_to_regain_access": 7}],
                                                       "2": [{"estimated_time_to_regain_access": 31}]})}
    assert refuse(400, body(80002), headers=usage).retry_at == T0 + timedelta(minutes=31)
    assert refuse(400, body(4)).retry_at == T0 + timedelta(hours=1)
    assert refuse(400, body(4)).scope == "app" and refuse(400, body(17)).scope == "account"
    broken = {"X-Business-Use-Case-Usage": "{not json"}
    assert refuse(400, body(17), headers=broken).retry_at == T0 + timedelta(hours=1)


@pytest.mark.parametrize("method, status, payload, unknown", [
    ("POST", 500, None, True), ("POST", 502, None, True), ("POST", 503, None, False), ("GET", 500, None, False),
    ("POST", 500, body(2, message="Service temporarily unavailable", is_transient=True), True),
    ("POST", 400, body(1, message="An unknown error occurred"), True),
    ("GET", 400, body(1, message="An unknown error occurred"), False),
])
def test_only_a_write_whose_answer_may_be_lost_is_outcome_unknown(method, status, payload, unknown):
    error = refuse(status, payload, method=method)
    assert isinstance(error, Transient) and error.outcome_unknown is unknown


def test_messages_keep_metas_words_and_lose_the_token():
    error = meta.refusal("instagram GET /me", "GET", 400, {},
                         body(100, 33, "(#100) bad token IGAAsecret123", error_user_msg="Ask again later"),
                         now=T0, redact=lambda text: text.replace("IGAAsecret123", "***"))
    assert str(error) == "instagram GET /me: (#100) bad token ***: Ask again later (code 100, subcode 33)"
    assert str(refuse(401, b"<html>")) == "instagram POST /1/media: HTTP 401"


# --- the container flow -----------------------------------------------------------------------------
class Platform:
    """A tiny Meta of its own for the flow: containers with a status, and published media."""

    def __init__(self, clock, processing=0):
        self.clock = clock
        self.status: dict[str, str] = {}
        self.left: dict[str, int] = {}
        self.processing = processing
        self.log: list[tuple[str, str]] = []
        self.fail_create: list[Exception] = []

    def create(self, params):
        if self.fail_create:
            raise self.fail_create.pop(0)
        cid = f"c{len(self.status) + 1}"
        video = params.get("media_type") in ("REELS", "VIDEO")
        self.status[cid] = "IN_PROGRESS" if video and self.processing else "FINISHED"
        self.left[cid] = self.processing
        self.log.append(("create", cid))
        return cid

    def read(self, cid):
        self.log.append(("status", cid))
        if self.status[cid] == "IN_PROGRESS":
            self.left[cid] -= 1
            if self.left[cid] < 0:
                self.status[cid] = "FINISHED"
        return meta.ContainerStatus(self.status[cid], "")

    def publish(self, cid):
        self.log.append(("publish", cid))
        if self.status[cid] != "FINISHED":
            raise meta.ContainerNotReady("not ready")
        self.status[cid] = "PUBLISHED"
        return "m" + cid

    def flow(self):
        return meta.ContainerFlow("instagram", create=self.create, status=self.read, publish=self.publish,
                                  clock=self.clock)


REEL = meta.ContainerSpec({"media_type": "REELS", "video_url": "https://m.example/a.mp4"}, processed=True)
IMAGE = meta.ContainerSpec({"image_url": "https://m.example/a.jpg"})


def test_the_schedule_asks_sooner_first_then_once_a_minute_for_five_minutes(clock):
    ig = Platform(clock, processing=100)
    flow, progress, delays = ig.flow(), None, []
    with pytest.raises(Transient) as dropped:
        for _ in range(20):
            try:
                flow.run([REEL], None, progress)
            except NotReady as exc:
                delays.append(int((exc.check_at - clock()).total_seconds()))
                clock.now, progress = exc.check_at, exc.progress
    assert delays == [2, 5, 10, 20, 30, 60, 60, 60, 60]
    assert sum(delays) >= 300 and dropped.value.progress == {}
    assert [kind for kind, _ in ig.log].count("create") == 1


def test_unreadable_or_foreign_progress_starts_afresh(clock):
    ig = Platform(clock)
    for progress in ({"items": "nonsense"}, {"items": [{"id": 5}]}, {"items": [{"id": "x", "created_at": "bad"}]},
                     {"items": [{"id": "old", "created_at": T0.isoformat(), "fp": "someone-else"}]}):
        media_id, kept = ig.flow().run([IMAGE], None, progress)
        assert media_id.startswith("mc") and kept["items"][0]["id"] == media_id[1:]


def test_a_kept_published_container_is_never_published_again(clock):
    ig = Platform(clock)
    media_id, progress = ig.flow().run([IMAGE], None, None)
    with pytest.raises(AlreadyPublished) as caught:
        ig.flow().run([IMAGE], None, progress)
    assert caught.value.progress["items"][0]["id"] == progress["items"][0]["id"]
    assert [kind for kind, _ in ig.log] == ["create", "publish", "status"]
    kept = meta.final_container(progress)
    assert kept is not None and kept.id == media_id[1:] and kept.publishing_at == clock()


def test_errors_while_creating_keep_what_was_made_and_rank_by_what_matters(clock):
    ig = Platform(clock)
    ig.fail_create = [Transient("slow download"), AuthExpired("token gone")]
    with pytest.raises(AuthExpired) as caught:
        ig.flow().run([IMAGE, IMAGE, IMAGE], lambda ids: meta.ContainerSpec({"children": ",".join(ids)}), None)
    made = [k for k in caught.value.progress["items"] if k]
    assert len(made) == 1


# --- insights --------------------------------------------------------------------------------------
@pytest.mark.parametrize("message, named", [
    ("(#100) The metric shares is not supported for this media type", ["shares"]),
    ("(#100) The Media Insights API does not support the views metric for this media product type.", ["views"]),
    ("(#100) metric[1] must be one of the following values: reach, saved, views, shares, likes", ["impressions"]),
    ("(#100) Invalid parameter", []),
])
def test_the_refused_metric_is_read_from_metas_words(message, named):
    asked = ["views", "impressions", "shares", "saved"] if "metric[1]" in message else ["views", "reach", "shares"]
    assert meta._named_metrics(message, asked) == named


def test_insight_values_take_whole_numbers_only():
    answer = {"data": [{"name": "reach", "values": [{"value": 12}]}, {"name": "views", "total_value": {"value": 3}},
                       {"name": "saved", "values": [{"value": "7"}]}, {"name": "likes", "values": [{"value": True}]},
                       {"name": "other", "values": [{"value": 1}]}, "junk"]}
    assert meta._insight_values(answer, ["reach", "views", "saved", "likes"]) == {"reach": 12, "views": 3}
