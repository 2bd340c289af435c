"""Listening: each connector's ``tag_counts`` against its platform's fake over HTTP — Mastodon's
7-day tag history (UTC days, per instance, with or without a token), Bluesky's paged search counted
per WIB day ("at least" where it may be short), X's one billed counts request summed into WIB days —
and what a hostile server's answer cannot do (counts bounded, nothing counted twice)."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from connectors.base import AuthExpired, DayCount, NotSupported, Transient
from connectors.bluesky import BlueskyConnector
from connectors.mastodon import MastodonConnector, MastodonInstance
from connectors.x import XConnector
from tests.connectors.conftest import new_post
from tests.fakes import bluesky, mastodon, x
from tests.fakes.server import Response

WIB = ZoneInfo("Asia/Jakarta")
#: the tests' clock starts at Monday 2026-11-30 08:00 WIB (01:00 UTC)
TODAY = date(2026, 11, 30)


def wib(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB).astimezone(timezone.utc)


def by_day(counts) -> dict[date, tuple[int, bool]]:
    return {d.day: (d.posts, d.at_least) for d in counts.days}


# --- Mastodon -------------------------------------------------------------------------------------
@pytest.fixture
def masto(serve):
    return serve(mastodon.Fake())


def test_mastodon_history_is_utc_days_with_our_own_statuses_and_today_at_least(masto, clock, state_dir):
    conn = MastodonConnector(masto.account_config(state_dir), clock=clock)
    masto.set_tag_history("tolaktapera", {date(2026, 11, 28): (9, 4), date(2026, 11, 29): (5, 2),
                                          date(2026, 11, 22): 40})  # the 22nd is past the 7 days
    clock.now = datetime(2026, 11, 29, 23, 50, tzinfo=timezone.utc)  # 06:50 WIB on the 30th: UTC's 29th
    conn.publish(new_post("Tolak potongan upah! #TolakTapera"))
    clock.now = datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)
    conn.publish(new_post("Aksi hari ini #tolaktapera #UpahLayak"))

    counts = conn.tag_counts("#TolakTapera", date(2026, 11, 20), date(2026, 12, 1), WIB)

    assert (counts.tag, counts.day_zone, counts.requests) == ("TolakTapera", "UTC", 1)
    assert counts.source == masto.base_url.split("//")[1]
    assert counts.days[-3:] == (DayCount(date(2026, 11, 28), 9, False, 4), DayCount(date(2026, 11, 29), 6, False, 3),
                                DayCount(date(2026, 11, 30), 1, True, 1))
    assert [d.day for d in counts.days] == [date(2026, 11, 24) + timedelta(days=i) for i in range(7)]
    assert all(d.posts == 0 for d in counts.days[:4])
    sent = masto.calls("GET", "/api/v1/tags/")[-1]
    assert sent.path == "/api/v1/tags/TolakTapera" and sent.header("Authorization") == f"Bearer {masto.TOKEN}"


def test_mastodon_days_outside_the_window_are_left_out(masto, clock, state_dir):
    conn = MastodonConnector(masto.account_config(state_dir), clock=clock)
    counts = conn.tag_counts("UpahLayak", date(2026, 11, 28), date(2026, 11, 30), WIB)
    assert [d.day for d in counts.days] == [date(2026, 11, 28), date(2026, 11, 29)]
    assert not any(d.at_least for d in counts.days)


def test_an_instance_without_an_account_is_read_without_a_token(masto, clock):
    masto.set_tag_history("UpahLayak", {TODAY - timedelta(days=1): 3})
    counts = MastodonInstance(masto.base_url, timeout=5, clock=clock).tag_counts("UpahLayak", TODAY - timedelta(days=1),
                                                                                 TODAY, WIB)
    assert by_day(counts) == {date(2026, 11, 29): (3, False)}
    assert masto.calls("GET", "/api/v1/tags/")[-1].header("Authorization") is None


def test_an_instance_that_shows_tags_only_to_users_and_one_too_old(masto, clock):
    masto.tags_need_auth = True
    with pytest.raises(AuthExpired, match="requires an authenticated user"):
        MastodonInstance(masto.base_url, clock=clock).tag_counts("UpahLayak", TODAY, TODAY + timedelta(days=1), WIB)
    masto.tags_supported = False
    with pytest.raises(NotSupported, match=r"no history of #UpahLayak \(GET /api/v1/tags needs Mastodon 4.0"):
        MastodonInstance(masto.base_url, clock=clock).tag_counts("UpahLayak", TODAY, TODAY + timedelta(days=1), WIB)


def test_a_hostile_tag_history_is_bounded(masto, clock):
    day = lambda d: str(int(datetime(2026, 11, d, tzinfo=timezone.utc).timestamp()))  # noqa: E731
    history = [{"day": day(29), "uses": "12", "accounts": "-1"},
               {"day": day(29), "uses": "999", "accounts": "9"},           # the same day again: the first counts
               {"day": day(28), "uses": "-5", "accounts": "1"},            # not a count
               {"day": day(27), "uses": str(2**40), "accounts": "1"},      # beyond any column
               {"day": day(26), "uses": True, "accounts": "1"},
               {"day": "tomorrow", "uses": "3"}, ["not", "an", "entry"], None,
               {"day": day(25), "uses": 7, "accounts": "x" * 10_000}]
    history += [{"day": day(24), "uses": "1"}] * 100_000
    masto.fail_next(Response(200, {"name": "upahlayak", "history": history}), path_contains="/tags/")
    counts = MastodonInstance(masto.base_url, clock=clock).tag_counts("UpahLayak", date(2026, 11, 1), TODAY, WIB)
    # 14 entries are read: the 9 above and 5 of the 100,000 that follow
    assert counts.days == (DayCount(date(2026, 11, 24), 1, False, None), DayCount(date(2026, 11, 25), 7, False, None),
                           DayCount(date(2026, 11, 29), 12, False, None))
    masto.fail_next(Response(200, b"<html>Maintenance</html>", {"Content-Type": "text/html"}), path_contains="/tags/")
    with pytest.raises(Transient, match="not a Mastodon tag"):
        MastodonInstance(masto.base_url, clock=clock).tag_counts("UpahLayak", date(2026, 11, 1), TODAY, WIB)


# --- Bluesky --------------------------------------------------------------------------------------
@pytest.fixture
def bsky_fake(serve):
    return serve(bluesky.Fake())


@pytest.fixture
def bsky(bsky_fake, clock, state_dir):
    return BlueskyConnector(bsky_fake.account_config(state_dir), clock=clock)


def test_bluesky_counts_per_wib_day_through_the_session_and_pages(bsky_fake, bsky, clock):
    # 23:30 WIB on the 28th is 16:30 UTC: a WIB day, not a UTC one
    bsky_fake.add_public_post("a.bsky.social", "Tolak! #TolakTapera", wib("2026-11-28 23:30"))
    bsky_fake.add_public_post("b.bsky.social", "Besok aksi #tolaktapera", wib("2026-11-29 00:10"))
    bsky_fake.add_public_post("c.bsky.social", "tanpa tag: TolakTapera", wib("2026-11-29 09:00"))
    bsky_fake.add_public_post("d.bsky.social", "lain #UpahLayak", wib("2026-11-29 09:00"))
    bsky_fake.add_public_post("e.bsky.social", "tag di record saja", wib("2026-11-29 10:00"), tags=("TolakTapera",))
    for i in range(250):
        bsky_fake.add_public_post(f"p{i}.bsky.social", f"Kawan {i} #TolakTapera", wib("2026-11-27 12:00")
                                  + timedelta(seconds=i))
    bsky_fake.add_public_post("f.bsky.social", "pagi ini #TolakTapera", wib("2026-11-30 07:00"))

    counts = bsky.tag_counts("TolakTapera", date(2026, 11, 27), date(2026, 12, 1), WIB)

    assert by_day(counts) == {date(2026, 11, 27): (250, False), date(2026, 11, 28): (1, False),
                              date(2026, 11, 29): (2, False), date(2026, 11, 30): (1, True)}
    assert counts.day_zone == "Asia/Jakarta" and counts.requests == 3 + 1 + 1 + 1
    searches = bsky_fake.searches
    assert searches[0]["q"] == "#TolakTapera" and searches[0]["tag"] == ["tolaktapera"]
    assert searches[0]["since"] == wib("2026-11-27 00:00") and searches[0]["until"] == wib("2026-11-28 00:00")
    assert [s["cursor"] for s in searches[:3]] == [None, "100", "200"]
    assert all(r.header("Authorization", ).startswith("Bearer ") for r in bsky_fake.calls("GET", "searchPosts"))
    assert bsky_fake.create_sessions == 1


def test_bluesky_days_that_may_be_short_are_at_least(bsky_fake, bsky):
    for i in range(120):
        bsky_fake.add_public_post(f"p{i}.bsky.social", f"#UpahLayak {i}", wib("2026-11-28 10:00") + timedelta(minutes=i))
    # the page cap: 1 page read, the cursor goes on
    capped = bsky.tag_counts("UpahLayak", date(2026, 11, 28), date(2026, 11, 29), WIB, max_pages=1)
    assert by_day(capped) == {date(2026, 11, 28): (100, True)}
    # the cursor stops early (no cursor after a full page)
    bsky_fake.search_stops_after = 100
    assert by_day(bsky.tag_counts("UpahLayak", date(2026, 11, 28), date(2026, 11, 29), WIB)) == \
           {date(2026, 11, 28): (100, True)}
    bsky_fake.search_stops_after = None
    assert by_day(bsky.tag_counts("UpahLayak", date(2026, 11, 28), date(2026, 11, 29), WIB)) == \
           {date(2026, 11, 28): (120, False)}
    # the service says there are more than it showed
    bsky_fake.hits_total = True
    assert by_day(bsky.tag_counts("UpahLayak", date(2026, 11, 28), date(2026, 11, 29), WIB)) == \
           {date(2026, 11, 28): (120, True)}


def test_bluesky_renews_an_expired_session_to_search(bsky_fake, bsky):
    bsky.tag_counts("UpahLayak", date(2026, 11, 29), date(2026, 11, 30), WIB)
    bsky_fake.expire_access_tokens()
    bsky.tag_counts("UpahLayak", date(2026, 11, 29), date(2026, 11, 30), WIB)
    assert (bsky_fake.create_sessions, bsky_fake.refreshes) == (1, 1)


def test_a_hostile_search_answer_is_bounded(bsky_fake, bsky):
    post = {"uri": "at://did:plc:x/app.bsky.feed.post/3kabc", "cid": "c"}
    # the same post 5,000 times in one page, and a cursor of a megabyte
    bsky_fake.fail_next(Response(200, {"posts": [post] * 5000 + [{"uri": 5}, "x", None],
                                       "cursor": "c" * 1_000_000, "hitsTotal": -4}), path_contains="searchPosts")
    assert by_day(bsky.tag_counts("UpahLayak", date(2026, 11, 29), date(2026, 11, 30), WIB)) == \
           {date(2026, 11, 29): (1, True)}
    bsky_fake.fail_next(Response(200, {"posts": "none"}), path_contains="searchPosts")
    with pytest.raises(Transient, match="no list of posts"):
        bsky.tag_counts("UpahLayak", date(2026, 11, 29), date(2026, 11, 30), WIB)
    # a server that pages forever is read max_pages times
    bsky_fake.fail_next(Response(200, {"posts": [post], "cursor": "again"}), path_contains="searchPosts", times=50)
    counts = bsky.tag_counts("UpahLayak", date(2026, 11, 29), date(2026, 11, 30), WIB)
    assert counts.requests == 10 and by_day(counts) == {date(2026, 11, 29): (1, True)}


def test_bluesky_days_not_begun_are_not_asked(bsky_fake, bsky):
    counts = bsky.tag_counts("UpahLayak", date(2026, 11, 30), date(2026, 12, 3), WIB)
    assert [d.day for d in counts.days] == [TODAY] and counts.requests == 1


# --- X --------------------------------------------------------------------------------------------
def x_conn(fake, clock, *, bearer: str | None = x.Fake.APP_BEARER) -> XConnector:
    cfg = fake.account_config()
    secrets = dict(cfg.secrets)
    if bearer is not None and fake.auth_mode == "oauth1":
        secrets["BEARER_TOKEN"] = bearer
    from dataclasses import replace

    return XConnector(replace(cfg, secrets=secrets), clock=clock)


@pytest.fixture
def xfake(serve):
    return serve(x.Fake())


def test_x_counts_are_one_request_summed_into_wib_days(xfake, clock):
    xfake.add_public_post("Tolak! #TolakTapera", wib("2026-11-29 23:30"))        # 16:30 UTC on the 29th
    xfake.add_public_post("#tolaktapera pagi", wib("2026-11-30 06:30"))          # 23:30 UTC on the 29th
    xfake.add_public_post("#TolakTapera", wib("2026-11-29 01:00"), retweet=True)  # a repost: not counted
    xfake.add_public_post("#TolakTaperaSekarang", wib("2026-11-29 01:00"))       # another tag
    xfake.add_public_post("#TolakTapera lama", wib("2026-11-23 07:00"))          # over 7 days back
    xfake.add_public_post("#TolakTapera kemarin lusa", wib("2026-11-28 12:00"))
    conn = x_conn(xfake, clock)
    clock.advance(minutes=-30)
    own = conn.publish(new_post("Kami menolak #TolakTapera"))  # our own post counts too (the service takes it off)
    clock.advance(minutes=30)

    counts = conn.tag_counts("TolakTapera", date(2026, 11, 23), date(2026, 12, 1), WIB)

    assert xfake.counts_requests == 1 and counts.requests == 1
    sent = xfake.calls("GET", "/2/tweets/counts/recent")[-1]
    assert sent.header("Authorization") == f"Bearer {x.Fake.APP_BEARER}"
    assert sent.query["query"] == ["#TolakTapera -is:retweet"] and sent.query["granularity"] == ["hour"]
    assert sent.query["start_time"] == ["2026-11-23T01:01:00Z"] and sent.query["end_time"] == ["2026-11-30T00:59:30Z"]
    got = by_day(counts)
    assert got[date(2026, 11, 23)] == (0, True)          # only its last hours are in the 7 days
    assert got[date(2026, 11, 28)] == (1, False)
    assert got[date(2026, 11, 29)] == (1, False)
    assert got[date(2026, 11, 30)] == (2, True)          # today: so far (ours included)
    assert set(got) == {date(2026, 11, 23) + timedelta(days=i) for i in range(8)}
    assert own.remote_id in xfake.tweets


def test_x_counts_need_a_bearer_token_and_never_use_oauth1(xfake, clock):
    with pytest.raises(NotSupported, match="need the app's Bearer token"):
        x_conn(xfake, clock, bearer=None).tag_counts("UpahLayak", date(2026, 11, 28), TODAY, WIB)
    assert xfake.counts_requests == 0
    with pytest.raises(AuthExpired) as refused:
        x_conn(xfake, clock, bearer="not-the-app-token-123").tag_counts("UpahLayak", date(2026, 11, 28), TODAY, WIB)
    assert "not-the-app-token-123" not in str(refused.value)


def test_x_oauth2_user_token_counts_too(serve, clock):
    fake = serve(x.Fake(auth="bearer"))
    fake.add_public_post("#UpahLayak", wib("2026-11-29 10:00"))
    counts = XConnector(fake.account_config(), clock=clock).tag_counts("UpahLayak", date(2026, 11, 29), TODAY, WIB)
    assert by_day(counts) == {date(2026, 11, 29): (1, False)}


def test_x_never_pages_a_billed_answer(xfake, clock):
    xfake.counts_page = 30  # X sends 30 hours and a next_token: the days before are not complete
    xfake.add_public_post("#UpahLayak", wib("2026-11-29 10:00"))
    counts = x_conn(xfake, clock).tag_counts("UpahLayak", date(2026, 11, 25), TODAY, WIB)
    assert xfake.counts_requests == 1
    assert by_day(counts) == {date(2026, 11, 28): (0, True), date(2026, 11, 29): (1, False)}


def test_a_hostile_counts_answer_is_bounded(xfake, clock):
    b = lambda s, e, n: {"start": s, "end": e, "tweet_count": n}  # noqa: E731
    buckets = [b("2026-11-29T00:00:00.000Z", "2026-11-29T01:00:00.000Z", 5),
               b("2026-11-29T00:00:00.000Z", "2026-11-29T01:00:00.000Z", 500),   # the same hour again
               b("2026-11-29T00:30:00.000Z", "2026-11-29T01:30:00.000Z", 50),    # overlapping
               b("2026-11-29T02:00:00", "2026-11-29T03:00:00", 7),               # no zone
               b("2026-11-29T03:00:00.000Z", "2026-11-29T09:00:00.000Z", 7),     # six hours in one
               b("2026-11-29T04:00:00.000Z", "2026-11-29T05:00:00.000Z", -3),
               b("2026-11-29T05:00:00.000Z", "2026-11-29T06:00:00.000Z", 2**40),
               b("2026-11-29T06:00:00.000Z", "2026-11-29T07:00:00.000Z", "8"),
               b("2030-01-01T00:00:00.000Z", "2030-01-01T01:00:00.000Z", 9),     # not asked for
               "bucket", None]
    buckets += [b("2026-11-29T07:00:00.000Z", "2026-11-29T08:00:00.000Z", 1)] * 50_000
    xfake.fail_next(Response(200, {"data": buckets, "meta": {}}), path_contains="counts")
    counts = x_conn(xfake, clock).tag_counts("UpahLayak", date(2026, 11, 29), TODAY, WIB)
    # read: 5 at 00:00 UTC, "8" at 06:00 and the first of the repeated 07:00 hour; the day is not whole
    assert by_day(counts) == {date(2026, 11, 29): (14, True)}
