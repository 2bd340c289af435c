"""Photos go out prepared, through the real CLI: each target platform gets its own copy (upright,
location stripped, fitted), the original is kept, and the platform receives the prepared bytes."""
from __future__ import annotations

import io
import json

import pytest
from PIL import Image
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from campaigner.models import PostMedia

from tests.core.test_imaging import GPS, photo

pytestmark = pytest.mark.usefixtures("home")


@pytest.fixture(scope="module")
def snapshot() -> bytes:
    """A phone photo of an action: rotated by its EXIF tag, with the square's GPS position, and
    bigger than Bluesky takes (2,000,000 bytes)."""
    data = photo(2400, 1800)
    assert len(data) > 2_000_000
    return data


def renditions(engine) -> dict:
    with Session(engine) as s:
        return s.scalars(select(PostMedia.renditions)).one()


def test_each_platform_gets_a_prepared_copy_and_the_platform_receives_it(cli, engine, home, tmp_path, snapshot,
                                                                         platform_account):
    fb = platform_account("facebook", "spn-fb")
    cli.ok("account", "add", "bluesky", "spn-bsky")
    image = tmp_path / "aksi.jpg"
    image.write_bytes(snapshot)
    r = cli.ok("post", "add", "Aksi di depan DPR hari ini", "--to", "spn-fb,spn-bsky", "--media", str(image),
               "--at", "2026-11-30 08:30")
    assert "aksi.jpg on bluesky: turned upright, location and other metadata removed, scaled to 1500×2000" in r.stdout
    assert "aksi.jpg on facebook: turned upright, location and other metadata removed (1800×2400" in r.stdout

    media = home / "data" / "media"
    kept = renditions(engine)
    assert set(kept) == {"bluesky", "facebook"}
    for platform, r_ in kept.items():
        out = (media / r_["stored_path"]).read_bytes()
        assert len(out) == r_["size_bytes"] <= {"bluesky": 2_000_000, "facebook": 4_000_000}[platform]
        assert not Image.open(io.BytesIO(out)).getexif()
    with engine.connect() as c:  # the original is kept as it was
        original = c.execute(text("SELECT stored_path FROM post_media")).scalar_one()
    assert (media / original).read_bytes() == snapshot

    cli.clock.advance(minutes=31)
    cli.ok("publish")
    [sent] = [p["data"] for p in fb.photos.values()]
    assert sent == (media / kept["facebook"]["stored_path"]).read_bytes()
    assert Image.open(io.BytesIO(sent)).size == (1800, 2400) and not Image.open(io.BytesIO(sent)).getexif()


def test_a_post_may_keep_the_location_on_purpose(cli, engine, home, tmp_path, snapshot):
    cli.ok("account", "add", "bluesky", "spn-bsky")
    image = tmp_path / "aksi.jpg"
    image.write_bytes(snapshot)
    out = json.loads(cli.ok("post", "add", "Aksi", "--to", "spn-bsky", "--media", str(image), "--keep-metadata",
                            "--at", "2026-12-01 09:00", "--json").stdout)
    assert out["keep_metadata"] is True
    assert out["media"][0]["prepared"]["bluesky"]["notes"] == ["turned upright", "scaled to 1500×2000"]
    prepared = home / "data" / "media" / renditions(engine)["bluesky"]["stored_path"]
    assert Image.open(prepared).getexif().get_ifd(GPS)[1] == "S"


def test_every_platform_whose_limit_is_broken_is_named(cli, engine, tmp_path):
    cli.ok("account", "add", "x", "kspi-x")
    cli.ok("account", "add", "bluesky", "kspi-bsky")
    cli.ok("account", "add", "telegram", "kspi-tg")
    files = []
    for i in range(5):
        f = tmp_path / f"foto{i}.jpg"
        f.write_bytes(photo(64, 48, orientation=0, gps=False, noise=False))
        files += ["--media", str(f)]
    r = cli("post", "add", "Lima foto", "--to", "kspi-x,kspi-bsky,kspi-tg", *files, "--at", "2026-12-01 09:00")
    assert (r.exit_code, r.stderr) == (1, "Error: media not accepted on bluesky: too many files: 5 (and 1 more: on x: "
                                          "too many files: 5) — attach at most 4, bluesky's limit for one post\n")
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM posts")).scalar_one() == 0


def test_a_photo_queued_before_photos_were_prepared_goes_out_without_its_location(empty_db_url, cli, home, serve,
                                                                                   snapshot, monkeypatch):
    """A post queued by an older campaigner (before 0008) has no prepared copies: its photo is
    prepared when it goes out, never sent with the GPS position it carries."""
    import hashlib

    from campaigner.db import make_engine
    from campaigner.migrate import upgrade
    from campaigner.secrets import env_name
    from tests.fakes import facebook

    fb = serve(facebook.Fake())
    for field, value in fb.account_config().secrets.items():
        monkeypatch.setenv(env_name("spn-fb", field), value)
    sha = hashlib.sha256(snapshot).hexdigest()
    stored = home / "data" / "media" / sha[:2] / f"{sha}.jpg"
    stored.parent.mkdir(parents=True)
    stored.write_bytes(snapshot)
    engine = make_engine(empty_db_url)
    upgrade(engine, "0006_strangers")
    t = "'2026-11-30 01:00:00+00:00'"
    with engine.begin() as c:
        for row in (
            f"INSERT INTO accounts (id, name, platform, base_url, status, created_at) "
            f"VALUES (1, 'spn-fb', 'facebook', '{fb.base_url}', 'active', {t})",
            f"INSERT INTO posts (id, text, is_thread, variants, created_at, updated_at) "
            f"VALUES (1, 'Aksi hari ini', false, '{{}}', {t}, {t})",
            f"INSERT INTO post_media (id, post_id, position, stored_path, original_name, mime_type, size_bytes, "
            f"sha256, alt_text) VALUES (1, 1, 0, '{sha[:2]}/{sha}.jpg', 'aksi.jpg', 'image/jpeg', {len(snapshot)}, "
            f"'{sha}', '')",
            f"INSERT INTO deliveries (id, post_id, account_id, status, due_at, slot_based, attempt_count, "
            f"created_at, updated_at) VALUES (1, 1, 1, 'queued', {t}, false, 0, {t}, {t})",
            "INSERT INTO delivery_parts (id, delivery_id, position, text, idempotency_key) "
            "VALUES (1, 1, 0, 'Aksi hari ini', 'k1')",
        ):
            c.execute(text(row))
    upgrade(engine)
    engine.dispose()
    cli.ok("--db", empty_db_url, "publish")
    [sent] = [p["data"] for p in fb.photos.values()]
    assert sent != snapshot and not Image.open(io.BytesIO(sent)).getexif()
    assert Image.open(io.BytesIO(sent)).size == (1800, 2400)  # upright too
