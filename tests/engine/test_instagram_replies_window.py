"""Instagram comments at the edge of a poll's window: none is missed, none is stored twice.

A poll of a post's replies starts at its newest stored reply less ``LOOK_BACK`` (10 minutes,
``campaigner.services.replies``): Instagram shows some comments only a while after their timestamp
(held for review, its own lag), so a comment stamped before the newest one stored, but shown since,
must still be collected; the comments of the overlap already stored are known by their Instagram
ids and not stored again. Against the Instagram fake over HTTP (comments newest first, each with
its replies), the real database (SQLite file; PostgreSQL in the second leg) and the test clock.
"""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from campaigner.models import Reply
from campaigner.services.replies import collect_replies
from tests.engine.conftest import deliveries
from tests.fakes.instagram import USERNAME, jpeg_bytes

CAPTION = "Tolak Tapera! Upah buruh bukan tabungan paksa. #TolakTapera"
#: the overlap promised (written out: a test using ``LOOK_BACK`` itself would move with it)
OVERLAP = timedelta(minutes=10)


def stored(engine) -> dict[str, tuple[str, str | None]]:
    """Instagram id → (text, the id it answers) of every stored reply."""
    with Session(engine) as s:
        return {r.remote_id: (r.text, r.parent_remote_id) for r in s.scalars(select(Reply))}


def test_comments_shown_late_at_the_windows_edge_are_collected_once(ig, cli, app, engine, clock, tmp_path):
    photo = tmp_path / "aksi.jpg"
    photo.write_bytes(jpeg_bytes(1080, 1080, (200, 30, 30)))
    cli.ok("post", "add", CAPTION, "--media", str(photo), "--to", "ig1", "--now")
    assert cli.ok("publish").stdout.startswith("Published 1,")
    [d] = deliveries(engine)
    media = d.remote_id
    start = clock()
    newest = start + timedelta(minutes=30)
    first = ig.add_reply(media, "rina_buruh", "Aksinya kapan?", newest)
    clock.now = newest + timedelta(minutes=1)
    assert collect_replies(app).new == 1
    # shown by Instagram only now: stamped at the newest stored reply, exactly at the window's start,
    # a second inside it, and answers under the stored comment at its very time
    same_time = ig.add_reply(media, "budi.serikat", "Setuju, tolak!", newest)
    at_edge = ig.add_reply(media, "sari_pekerja", "Potongan 3% itu berat", newest - OVERLAP)
    inside = ig.add_reply(media, "ujang", "Kumpul di mana?", newest - OVERLAP + timedelta(seconds=1))
    nested = ig.add_reply(media, "dewi", "Kamis pagi katanya", newest, parent=first)
    ours = ig.add_reply(media, USERNAME, "Kamis, 09.00 di depan DPR", newest + timedelta(seconds=30), parent=first)
    clock.advance(minutes=5)
    report = collect_replies(app)
    assert report.new == 4 and report.refused == 0 and report.answered == 1
    assert stored(engine) == {
        first: ("Aksinya kapan?", media), same_time: ("Setuju, tolak!", media),
        at_edge: ("Potongan 3% itu berat", media), inside: ("Kumpul di mana?", media),
        nested: ("Kamis pagi katanya", first), ours: ("Kamis, 09.00 di depan DPR", first)}
    # the next polls see the same comments again (their window overlaps): none is stored twice
    for _ in range(2):
        clock.advance(minutes=5)
        again = collect_replies(app)
        assert again.new == 0 and again.refused == 0 and again.answered == 0
    assert len(stored(engine)) == 6
    assert len(ig.calls("GET", f"/{media}/comments")) == 4
