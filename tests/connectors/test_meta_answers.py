"""Two readings of a Meta answer, against the Instagram and Threads fakes over HTTP:

* a post's address (``permalink``) is kept only when it is an https address on the platform's own
  hosts (``meta.web_link``): a hostile or broken answer (``javascript:``, ``http://``, another host,
  credentials, a port, a backslash, spaces, an endless string) must never be stored and shown;
* Graph's "the object does not exist" (code 100, subcode 33 — or its words alone, as Graph also
  answers it without the subcode) means the object is gone (``meta.NoSuchObject``): a media missing
  from metrics, a deleted reply passed over; any other code-100 refusal stays a plain refusal.
"""
from __future__ import annotations

from datetime import timedelta

import pytest

from connectors import meta
from connectors.base import Permanent
from connectors.instagram import InstagramConnector
from connectors.threads import ThreadsConnector
from tests.connectors.conftest import new_post
from tests.fakes import instagram, threads
from tests.fakes.server import Response

HOSTILE = [
    "javascript:alert(document.cookie)",
    "JavaScript://www.instagram.com/%0aalert(1)",
    "data:text/html,<script>alert(1)</script>",
    "http://www.instagram.com/p/DAbc123/",
    "//www.instagram.com/p/DAbc123/",
    "https://evil.example/p/DAbc123/",
    "https://www.instagram.com.evil.example/p/DAbc123/",
    "https://notinstagram.com/p/DAbc123/",
    "https://www.instagram.com@evil.example/p/DAbc123/",
    "https://evil.example\\@www.instagram.com/p/DAbc123/",
    "https://www.instagram.com:8443/p/DAbc123/",
    "https://www.instagram.com/p/DAbc123/\" onmouseover=\"alert(1)",
    "https://www.instagram.com/p/DAbc123/\n",
    " https://www.instagram.com/p/DAbc123/",
    "https://www.instagram.com/p/" + "A" * 3000,
    "https://www.threads.com/@spn.pusat/post/DAbc123",   # the other platform's host
    12345,
    {"url": "https://www.instagram.com/p/DAbc123/"},
    "",
]


def no_such_object(object_id: str, *, subcode: bool) -> Response:
    """Graph's answer for an object it does not have, with or without ``error_subcode`` 33."""
    error = {"message": f"Unsupported get request. Object with ID '{object_id}' does not exist, cannot be loaded due "
                        "to missing permissions, or does not support this operation.",
             "type": "GraphMethodException", "code": 100, "fbtrace_id": "AxYz"}
    if subcode:
        error["error_subcode"] = 33
    return Response(400, {"error": error})


@pytest.fixture
def ig(serve):
    return serve(instagram.Fake())


@pytest.fixture
def ig_conn(ig, clock):
    return InstagramConnector(ig.account_config(), clock=clock)


@pytest.fixture
def th(serve):
    return serve(threads.Fake())


@pytest.fixture
def th_conn(th, clock):
    return ThreadsConnector(th.account_config(), clock=clock)


# --- addresses ------------------------------------------------------------------------------------------
def test_an_instagram_post_keeps_the_address_meta_gives_on_its_own_host(ig, ig_conn):
    post = new_post(media=ig.sample_media("image"))
    published = ig_conn.publish(post)
    assert published.url == ig.media[published.remote_id]["permalink"]
    assert published.url.startswith("https://www.instagram.com/p/")
    ig.permalink_answer = "https://instagram.com/p/DAbc123/"           # the bare host is Instagram's too
    assert ig_conn.find_existing(post, published.published_at).url == "https://instagram.com/p/DAbc123/"


@pytest.mark.parametrize("answer", HOSTILE, ids=range(len(HOSTILE)))
def test_an_instagram_address_that_is_not_https_on_instagram_is_dropped(answer, ig, ig_conn, caplog):
    ig.permalink_answer = answer
    post = new_post(media=ig.sample_media("image"))
    published = ig_conn.publish(post)
    assert published.url is None and published.remote_id in ig.posts()   # out all the same, without an address
    if answer:
        assert "is not an https address on instagram.com; it is not kept" in caplog.text
    found = ig_conn.find_existing(post, published.published_at)
    assert found is not None and found.remote_id == published.remote_id and found.url is None


@pytest.mark.parametrize("answer", ["javascript:alert(1)", "http://www.threads.com/@spn.pusat/post/DAbc123",
                                    "https://www.instagram.com/p/DAbc123/", "https://threads.com.evil.example/x",
                                    "https://evil.example\\@www.threads.com/@spn.pusat/post/DAbc123"])
def test_a_threads_address_that_is_not_https_on_threads_is_dropped(answer, th, th_conn, clock):
    root = th_conn.publish(new_post("Tolak Tapera!"))
    assert root.url is not None and root.url.startswith("https://www.threads.com/@")
    reply = th.add_reply(root.remote_id, "rina_buruh", "Setuju!", clock() + timedelta(minutes=1))
    [seen] = th_conn.replies(root.remote_id)
    assert seen.remote_id == reply and (seen.url or "").startswith("https://www.threads.com/@rina_buruh/")
    th.permalink_answer = answer
    post = new_post("Upah layak sekarang!")
    published = th_conn.publish(post)
    assert published.url is None and published.remote_id in th.posts()
    assert th_conn.find_existing(post, published.published_at).url is None
    [seen] = th_conn.replies(root.remote_id)
    assert seen.remote_id == reply and seen.url is None
    th.permalink_answer = "https://www.threads.net/@spn.pusat/post/DAbc123"   # the old host is Threads' too
    assert th_conn.replies(root.remote_id)[0].url == "https://www.threads.net/@spn.pusat/post/DAbc123"


# --- "does not exist" ---------------------------------------------------------------------------------
@pytest.mark.parametrize("subcode", [True, False], ids=["with subcode 33", "words alone"])
def test_media_graph_says_do_not_exist_are_missing_from_metrics(subcode, ig, ig_conn):
    kept = ig_conn.publish(new_post(media=ig.sample_media("image"))).remote_id
    gone = ig_conn.publish(new_post(media=ig.sample_media("image"))).remote_id
    ig.fail_next(no_such_object(gone, subcode=subcode), path_contains=f"/{gone}")
    batch = ig_conn.metrics([kept, gone])
    assert set(batch.found) == {kept} and batch.missing == {gone}


def test_another_code_100_refusal_is_not_a_missing_object(ig, ig_conn):
    media = ig_conn.publish(new_post(media=ig.sample_media("image"))).remote_id
    ig.fail_next(Response(400, {"error": {"message": "(#100) Tried accessing nonexisting field (colour) on node type "
                                                     "(IGMedia)", "type": "OAuthException", "code": 100}}),
                 path_contains=f"/{media}")
    with pytest.raises(Permanent) as caught:
        ig_conn.metrics([media])
    assert type(caught.value) is Permanent and "nonexisting field" in str(caught.value)
    # the words without Graph's code are not enough either (Threads' 24/4279009 "cannot be found" is its own case)
    ig.fail_next(Response(400, {"error": {"message": "The requested resource does not exist", "type": "OAuthException",
                                          "code": 24}}), path_contains=f"/{media}")
    with pytest.raises(Permanent) as again:
        ig_conn.metrics([media])
    assert not isinstance(again.value, meta.NoSuchObject)


@pytest.mark.parametrize("subcode", [True, False], ids=["with subcode 33", "words alone"])
def test_a_reply_deleted_meanwhile_is_passed_over_when_looking_for_answers(subcode, th, th_conn, clock):
    root = th_conn.publish(new_post("Tolak Tapera!"))
    first = th.add_reply(root.remote_id, "rina_buruh", "Setuju!", clock() + timedelta(minutes=1))
    second = th.add_reply(root.remote_id, "budi.serikat", "Kapan aksi?", clock() + timedelta(minutes=2))
    answer = th.add_own_reply(second, "Sabtu pagi, kawan", clock() + timedelta(minutes=3))
    th.fail_next(no_such_object(first, subcode=subcode), path_contains=f"/{first}/replies")
    found = th_conn.answers(root.remote_id, [first, second])
    assert [(r.remote_id, r.in_reply_to, r.ours) for r in found.found] == [(answer, second, True)]
    assert found.requests == 2
