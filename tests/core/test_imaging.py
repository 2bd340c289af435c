"""Image preparation: real photos made with Pillow (a phone-size JPEG with GPS and a rotation tag,
a PNG with transparency, a decompression bomb), prepared for each platform's real rules."""
from __future__ import annotations

import io

import pytest
from PIL import Image

from campaigner.imaging import MAX_SOURCE_PIXELS, CannotPrepare, prepare
from content.media import media_rules
from content.mime import JPEG, PNG
from content.platforms import MediaRules

GPS, ORIENTATION, MAKE = 0x8825, 0x0112, 0x010F


def photo(width=4032, height=3024, *, orientation=6, gps=True, noise=True, quality=95) -> bytes:
    """A phone photo: noisy (so it is as big as a real one), with the place it was taken and a
    rotation tag (the camera was held upright: the pixels lie on their side)."""
    if noise:
        bands = [Image.effect_noise((width, height), 60).point(lambda v, k=k: (v + 40 * k) % 256) for k in range(3)]
        image = Image.merge("RGB", bands)
    else:
        image = Image.new("RGB", (width, height), (200, 30, 30))
    exif = Image.Exif()
    exif[MAKE] = "PhoneCam"
    if orientation:
        exif[ORIENTATION] = orientation
    if gps:
        exif[GPS] = {1: "S", 2: (6.0, 12.0, 30.5), 3: "E", 4: (106.0, 49.0, 2.1)}  # Jakarta, the square
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=quality, exif=exif.tobytes())
    return buf.getvalue()


def opened(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


@pytest.fixture(scope="module")
def phone_photo() -> bytes:
    return photo()


def test_location_and_metadata_are_stripped_and_the_photo_turned_upright(phone_photo):
    assert opened(phone_photo).getexif().get_ifd(GPS)  # the original tells where it was taken
    out = prepare(phone_photo, JPEG, media_rules("mastodon"))
    image = opened(out.data)
    assert out.changed and out.mime == JPEG
    assert not image.getexif() and "exif" not in image.info  # no GPS, no camera, no orientation tag
    assert image.size == (3024, 4032) == (out.width, out.height)  # the rotation is in the pixels now
    assert "location and other metadata removed" in out.notes and "turned upright" in out.notes


def test_a_post_may_keep_its_metadata_on_purpose(phone_photo):
    out = prepare(phone_photo, JPEG, media_rules("mastodon"), keep_metadata=True)
    exif = opened(out.data).getexif()
    assert exif.get_ifd(GPS)[1] == "S" and exif[MAKE] == "PhoneCam"
    assert exif[ORIENTATION] == 1 and opened(out.data).size == (3024, 4032)  # upright, tag reset


@pytest.mark.parametrize("platform", ["facebook", "bluesky", "x", "telegram"])
def test_a_phone_photo_is_made_to_fit_each_platform(phone_photo, platform):
    rules = media_rules(platform)
    assert len(phone_photo) > rules.max_bytes[JPEG] or platform == "telegram"
    out = prepare(phone_photo, JPEG, rules)
    assert len(out.data) <= rules.max_bytes[JPEG]
    assert max(out.width, out.height) <= (rules.max_edge or 10**9)
    assert opened(out.data).size == (out.width, out.height) and not opened(out.data).getexif()
    assert out.width / out.height == pytest.approx(3024 / 4032, rel=0.01)  # never distorted


def test_a_clean_photo_that_fits_goes_out_as_it_is():
    data = photo(800, 600, orientation=0, gps=False, noise=False)
    data = _without_exif(data)
    out = prepare(data, JPEG, media_rules("x"))
    assert not out.changed and out.data is data and (out.width, out.height) == (800, 600)


def test_transparency_goes_onto_white_when_only_jpeg_is_taken():
    image = Image.new("RGBA", (400, 300), (0, 0, 0, 0))
    image.paste((0, 128, 0, 255), (100, 100, 300, 200))
    buf = io.BytesIO()
    image.save(buf, "PNG")
    jpeg_only = MediaRules("jpeg-only", 10, {JPEG: 8 * 1024 * 1024}, frozenset(), "test rules")
    out = prepare(buf.getvalue(), PNG, jpeg_only)
    result = opened(out.data)
    assert out.mime == JPEG and result.format == "JPEG" and "converted to JPEG" in out.notes
    assert result.getpixel((10, 10)) == pytest.approx((255, 255, 255), abs=3)
    assert result.getpixel((200, 150))[1] > 100


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    buf = io.BytesIO()
    Image.new("1", (11_000, 10_000)).save(buf, "PNG")  # 110 million pixels in a few kB
    assert len(buf.getvalue()) < 100_000 and 11_000 * 10_000 > MAX_SOURCE_PIXELS
    with pytest.raises(CannotPrepare, match=r"more than 100,000,000 pixels — export it smaller"):
        prepare(buf.getvalue(), PNG, media_rules("x"))


def test_a_broken_file_is_one_clear_refusal():
    with pytest.raises(CannotPrepare, match=r"cannot be read \(\w+\) — open it in a photo app"):
        prepare(b"\xff\xd8\xff\xe0" + b"\x00" * 200, JPEG, media_rules("x"))


def test_what_cannot_fit_at_a_readable_size_is_refused():
    tiny = MediaRules("tiny", 1, {JPEG: 2_000}, frozenset(), "test rules")
    with pytest.raises(CannotPrepare, match=r"over tiny's 2,000 bytes — use a simpler picture"):
        prepare(photo(1200, 900, orientation=0), JPEG, tiny)


def _without_exif(data: bytes) -> bytes:
    image = opened(data)
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def test_a_jpeg_comment_and_png_text_chunks_are_metadata_too():
    """Judged by what is allowed: a JPEG comment (cameras and editors write names there) and PNG
    text chunks (where exiftool and ImageMagick keep EXIF) are stripped like EXIF."""
    from PIL import PngImagePlugin

    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buf, "JPEG", comment=b"Aksi SPN, Monas, 06:12")
    out = prepare(buf.getvalue(), JPEG, media_rules("x"))
    assert out.changed and "comment" not in opened(out.data).info
    text_chunks = PngImagePlugin.PngInfo()
    text_chunks.add_text("Raw profile type exif", "GPS 6.2 S 106.8 E")
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (0, 90, 0)).save(buf, "PNG", pnginfo=text_chunks)
    out = prepare(buf.getvalue(), PNG, media_rules("x"))
    assert out.changed and "Raw profile type exif" not in opened(out.data).info


@pytest.mark.filterwarnings("error")  # and no "Corrupt EXIF data" warning printed to staff
def test_a_broken_exif_block_is_stripped_not_a_crash():
    data = bytearray(photo(640, 480, noise=False))
    start = data.index(b"Exif\x00\x00")
    data[start + 10:start + 40] = b"\xff" * 30  # the IFD offsets and counts point nowhere
    for keep in (False, True):  # kept on purpose or not: what cannot be read is not sent on
        out = prepare(bytes(data), JPEG, media_rules("x"), keep_metadata=keep)
        assert out.changed and "exif" not in opened(out.data).info
