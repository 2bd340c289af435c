"""What Instagram (and any platform whose record says so) refuses is refused when the post is
queued, through the real CLI: media required, too many hashtags (the campaign's counted) or
@mentions, a thread, too many files, media by URL with no [media] place — each one line naming the
account, the database unchanged; the same in `post edit`, `post check` and the CSV import. A photo
Instagram would refuse for its shape is padded, and becomes a JPEG of at most 8 MiB and 1440 px."""
from __future__ import annotations

import io
import json

import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigner.models import Delivery, DeliveryPart, Post, PostMedia
from tests.core.test_imaging import photo
from tests.media_place import with_media_place

pytestmark = pytest.mark.usefixtures("home")

AT = "2026-12-01 09:00"


def counts(engine) -> tuple[int, int, int, int]:
    with Session(engine) as s:
        return tuple(s.scalar(select(func.count()).select_from(t)) for t in (Post, Delivery, DeliveryPart, PostMedia))


@pytest.fixture
def ig(cli, home, tmp_path):
    """An Instagram account and an X account; a [media] place configured; a small photo."""
    with_media_place(home, tmp_path / "public")
    cli.ok("account", "add", "instagram", "kspi-ig")
    cli.ok("account", "add", "x", "kspi-x")
    image = tmp_path / "aksi.jpg"
    image.write_bytes(photo(800, 800, orientation=0, gps=False, noise=False))
    return image


def test_instagram_needs_media(cli, engine, ig):
    r = cli("post", "add", "Tolak Tapera!", "--to", "kspi-x,kspi-ig", "--at", AT)
    assert (r.exit_code, r.stderr) == (1, "Error: Instagram needs a photo or video (for kspi-ig) — add --media FILE\n")
    assert counts(engine) == (0, 0, 0, 0)
    cli.ok("post", "add", "Tolak Tapera!", "--to", "kspi-x,kspi-ig", "--at", AT, "--media", str(ig))
    assert counts(engine) == (1, 2, 2, 1)


def test_too_many_hashtags_counts_the_campaigns_own(cli, engine, ig):
    cli.ok("campaign", "add", "tapera", "--name", "Tolak Tapera", "--hashtag", "TolakTapera", "--hashtag", "UpahLayak",
           "--hashtag", "KSPI")
    text = "Aksi hari ini #buruh #demo #DPR"
    r = cli("post", "add", text, "--to", "kspi-ig,kspi-x", "--campaign", "tapera", "--media", str(ig), "--at", AT)
    assert (r.exit_code, r.stderr) == (1, "Error: the text for kspi-ig has 6 hashtags (3 written, 3 added by campaign "
                                          "tapera), Instagram takes at most 5 — remove 1 of the written ones\n")
    r = cli("post", "add", "Aksi #a1 #b2 #c3 #d4 #e5 #f6", "--to", "kspi-ig", "--media", str(ig), "--at", AT)
    assert r.stderr == "Error: the text for kspi-ig has 6 hashtags, Instagram takes at most 5 — remove 1 of them\n"
    assert counts(engine) == (0, 0, 0, 0)
    # X has no such limit, and the same text with two tags fits Instagram with the campaign's three
    cli.ok("post", "add", "Aksi #a1 #b2 #c3 #d4 #e5 #f6", "--to", "kspi-x", "--at", AT)
    out = json.loads(cli.ok("post", "add", "Aksi hari ini #buruh #demo", "--to", "kspi-ig", "--campaign", "tapera",
                            "--media", str(ig), "--at", AT, "--json").stdout)
    assert out["deliveries"][0]["parts"][0]["text"] == "Aksi hari ini #buruh #demo\n\n#TolakTapera #UpahLayak #KSPI"


def test_a_campaign_with_too_many_tags_of_its_own(cli, ig):
    cli.ok("campaign", "add", "besar", "--name", "Banyak tagar",
           *[a for tag in ("Satu", "Dua", "Tiga", "Empat", "Lima", "Enam") for a in ("--hashtag", tag)])
    r = cli("post", "add", "Aksi", "--to", "kspi-ig", "--campaign", "besar", "--media", str(ig), "--at", AT)
    assert r.stderr == ("Error: the text for kspi-ig has 6 hashtags (0 written, 6 added by campaign besar), Instagram "
                        "takes at most 5 — campaign besar alone adds more than that: queue it without the campaign\n")


def test_too_many_mentions(cli, engine, ig):
    text = "Terima kasih " + " ".join(f"@serikat{i}" for i in range(21)) + " dan kspi@mail.id"
    r = cli("post", "add", text, "--to", "kspi-ig", "--media", str(ig), "--at", AT)
    assert r.stderr == "Error: the text for kspi-ig has 21 @mentions, Instagram takes at most 20 — remove 1\n"
    cli.ok("post", "add", text.replace("@serikat0 ", ""), "--to", "kspi-ig", "--media", str(ig), "--at", AT)
    assert counts(engine)[0] == 1  # 20 mentions (an e-mail address is none) go through


def test_a_thread_is_refused_on_instagram(cli, engine, ig):
    r = cli("post", "add", "Satu\n---\nDua", "--thread", "--to", "kspi-x,kspi-ig", "--media", str(ig), "--at", AT)
    assert r.stderr == ("Error: Instagram has no threads, and this post is one (for kspi-ig) — queue each part as its "
                        "own post, or leave kspi-ig out of --to\n")
    assert counts(engine) == (0, 0, 0, 0)


def test_every_platform_whose_file_count_is_broken_is_named(cli, engine, ig, tmp_path):
    files = []
    for i in range(11):
        f = tmp_path / f"foto{i}.jpg"
        f.write_bytes(ig.read_bytes())
        files += ["--media", str(f)]
    r = cli("post", "add", "Aksi", "--to", "kspi-ig,kspi-x", *files[:20], "--at", AT)  # 10: too many for X only
    assert r.stderr == "Error: media not accepted on x: too many files: 10 — attach at most 4, x's limit for one post\n"
    r = cli("post", "add", "Aksi", "--to", "kspi-ig,kspi-x", *files, "--at", AT)
    assert r.stderr == ("Error: media not accepted on instagram: too many files: 11 (and 1 more: on x: too many files: "
                        "11) — attach at most 10, instagram's limit for one post\n")
    assert counts(engine) == (0, 0, 0, 0)
    cli.ok("post", "add", "Aksi", "--to", "kspi-ig", *files[:20], "--at", AT)  # a carousel of 10


def test_media_by_url_needs_a_media_place(cli, engine, home, tmp_path):
    cli.ok("account", "add", "instagram", "kspi-ig")
    image = tmp_path / "aksi.jpg"
    image.write_bytes(photo(800, 800, orientation=0, gps=False, noise=False))
    r = cli("post", "add", "Aksi", "--to", "kspi-ig", "--media", str(image), "--at", AT)
    config = home / "config" / "campaigner.toml"
    assert (r.exit_code, r.stderr) == (1, f"Error: Instagram fetches media from a public address, and the config file "
                                          f"{config} has no [media] table — set [media] public_url and public_dir (or a "
                                          f'bucket) there (see the README, "Public media for Instagram and Threads")\n')
    assert counts(engine) == (0, 0, 0, 0)
    assert not (home / "data" / "media").exists() or not any((home / "data" / "media").rglob("*.jpg"))


def test_a_portrait_photo_becomes_a_padded_jpeg_for_instagram_only(cli, engine, home, ig, tmp_path):
    portrait = tmp_path / "potret.png"
    image = Image.new("RGB", (1536, 2048), (30, 60, 200))  # 3:4, narrower than Instagram's 4:5
    image.save(portrait, "PNG")
    r = cli.ok("post", "add", "Aksi", "--to", "kspi-ig,kspi-x", "--media", str(portrait), "--at", AT)
    assert "potret.png on instagram: converted to JPEG, padded to 4:5 at the sides, scaled to 1152×1440 (1152×1440, " \
        in r.stdout
    assert "potret.png on x" not in r.stdout  # X takes it as it is
    with Session(engine) as s:
        kept = s.scalars(select(PostMedia.renditions)).one()
    prepared = (home / "data" / "media" / kept["instagram"]["stored_path"]).read_bytes()
    out = Image.open(io.BytesIO(prepared))
    assert out.format == "JPEG" and out.size == (1152, 1440) and len(prepared) <= 8 * 1024 * 1024


def test_post_edit_runs_the_same_checks(cli, engine, ig):
    cli.ok("post", "add", "Aksi", "--to", "kspi-ig", "--media", str(ig), "--at", AT)
    before = counts(engine)
    r = cli("post", "edit", "1", "--no-media")
    assert r.stderr == "Error: Instagram needs a photo or video (for kspi-ig) — add --media FILE\n"
    r = cli("post", "edit", "1", "Satu\n---\nDua", "--thread")
    assert r.stderr.startswith("Error: Instagram has no threads, and this post is one (for kspi-ig) — ")
    r = cli("post", "edit", "1", "Aksi #a1 #b2 #c3 #d4 #e5 #f6")
    assert r.stderr == "Error: the text for kspi-ig has 6 hashtags, Instagram takes at most 5 — remove 1 of them\n"
    assert counts(engine) == before
    assert json.loads(cli.ok("post", "show", "1", "--json").stdout)["text"] == "Aksi"


def test_post_check_says_what_instagram_refuses(cli, ig):
    r = cli("post", "check", "Aksi #a1 #b2 #c3 #d4 #e5 #f6", "--platform", "ig", "--platform", "x")
    assert r.exit_code == 1
    assert r.stdout.splitlines() == [
        "instagram (instagram): 28/2200 characters — fits",
        "  Instagram needs a photo or video — add --media FILE to post add",
        "  6 hashtags, Instagram takes at most 5 — remove 1 of them",
        "x (x): 28/280 weighted characters — fits"]
    r = cli("post", "check", "Satu\n---\nDua", "--thread", "--media", "--to", "kspi-ig", "--json")
    data = json.loads(r.stdout)
    assert r.exit_code == 1 and [(d["part"], d["ok"], d["problems"]) for d in data] == [
        (1, False, ["Instagram has no threads — queue each part as its own post"]), (2, True, [])]
    assert cli.ok("post", "check", "Aksi #a1 #b2", "--to", "kspi-ig", "--media").stdout == \
        "kspi-ig (instagram): 12/2200 characters — fits\n"


def test_the_csv_import_names_each_bad_row(cli, engine, ig, tmp_path):
    (tmp_path / "foto.jpg").write_bytes(ig.read_bytes())
    calendar = tmp_path / "kalender.csv"
    calendar.write_text(
        "tanggal,jam,akun,teks,media\n"
        "2026-12-01,09:00,kspi-ig,Aksi tanpa foto,\n"
        "2026-12-01,10:00,kspi-ig,Aksi #a1 #b2 #c3 #d4 #e5 #f6,foto.jpg\n"
        '2026-12-01,11:00,kspi-ig,"Satu\n---\nDua",foto.jpg\n'
        "2026-12-01,12:00,kspi-ig kspi-x,Aksi dengan foto,foto.jpg\n", encoding="utf-8")
    r = cli("post", "import", str(calendar))
    assert r.exit_code == 1
    assert r.stderr.splitlines() == [
        "Error: kalender.csv line 2: Instagram needs a photo or video (for kspi-ig) — give a file in this row's media "
        "column",
        "Error: kalender.csv line 3: the text for kspi-ig has 6 hashtags, Instagram takes at most 5 — remove 1 of them",
        "Error: kalender.csv line 4: Instagram has no threads, and this post is one (for kspi-ig) — make each part its "
        "own row, or take kspi-ig out of this row's accounts",
        "Error: 3 bad rows in kalender.csv, nothing was imported — fix the rows above and import again"]
    assert counts(engine) == (0, 0, 0, 0)


def test_threads_takes_threads_and_text_but_fetches_media_by_url_too(cli, engine, home, tmp_path):
    cli.ok("account", "add", "instagram", "kspi-ig")
    cli.ok("account", "add", "threads", "kspi-th")
    image = tmp_path / "aksi.jpg"
    image.write_bytes(photo(800, 800, orientation=0, gps=False, noise=False))
    r = cli("post", "add", "Aksi", "--to", "kspi-ig,kspi-th", "--media", str(image), "--at", AT)
    assert r.stderr.startswith("Error: Instagram and Threads fetch media from a public address, and the config file ")
    cli.ok("post", "add", "Satu\n---\nDua", "--thread", "--to", "kspi-th", "--at", AT)  # text: no [media] needed
    assert counts(engine) == (1, 1, 2, 0)
