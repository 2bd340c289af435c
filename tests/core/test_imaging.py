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


#: Instagram's shapes and sizes, as its record will have them (tests of the record itself use it)
SHAPED = MediaRules("shaped", 10, {JPEG: 8 * 1024 * 1024}, frozenset(), "test rules: Instagram's shapes",
                    max_edge=1440, required=True, min_aspect=0.8, max_aspect=1.91)


def test_a_portrait_phone_photo_is_padded_at_the_sides_to_4_5_not_cropped():
    """3:4 is narrower than Instagram's 4:5: bars of the picture's edge colour are added, every
    pixel of the picture is kept, and the note says so."""
    data = photo(4032, 3024, orientation=6, noise=False)  # red, upright it is 3024 × 4032
    out = prepare(data, JPEG, SHAPED)
    assert out.notes == ("turned upright", "location and other metadata removed", "padded to 4:5 at the sides",
                         "scaled to 1152×1440")
    assert (out.width, out.height) == (1152, 1440) and out.width / out.height >= 0.8
    image = opened(out.data).convert("RGB")
    assert image.size == (1152, 1440) and len(out.data) <= 8 * 1024 * 1024
    assert image.getpixel((5, 720)) == pytest.approx((200, 30, 30), abs=6)  # the bar: the edges' colour
    content = round(1440 * 3024 / 4032)  # 1080 px of picture in the middle, 36 px bars each side
    assert (1152 - content) // 2 == 36


def test_a_panorama_is_padded_above_and_below_and_a_shape_within_the_range_is_left_alone():
    wide = Image.new("RGB", (3000, 1000), (20, 20, 120))
    wide.paste((250, 250, 250), (0, 0, 3000, 100))  # a white top edge and a black bottom one: grey bars
    wide.paste((0, 0, 0), (0, 900, 3000, 1000))
    buf = io.BytesIO()
    wide.save(buf, "JPEG", quality=95)
    out = prepare(buf.getvalue(), JPEG, SHAPED)
    assert "padded to 1.91:1 above and below" in out.notes
    assert out.width / out.height <= 1.91 and out.width == 1440
    grey = opened(out.data).convert("RGB").getpixel((720, 2))
    assert grey == pytest.approx((125, 125, 125), abs=8)
    square = _without_exif(photo(1000, 1000, orientation=0, gps=False, noise=False))
    assert not prepare(square, JPEG, SHAPED).changed  # 1:1 fits: it goes as it is


@pytest.mark.parametrize("size", [(1000, 1251), (1000, 1249), (1911, 1000), (4001, 5002), (7, 2000)])
def test_rounding_never_takes_a_picture_out_of_the_range(size):
    image = Image.new("RGB", size, (90, 90, 90))
    buf = io.BytesIO()
    image.save(buf, "PNG")
    out = prepare(buf.getvalue(), PNG, SHAPED)
    assert 0.8 <= out.width / out.height <= 1.91 and max(out.width, out.height) <= 1440
    assert opened(out.data).size == (out.width, out.height) and out.mime == JPEG


def test_a_multi_picture_jpeg_becomes_a_plain_one_without_the_metadata_of_its_other_pictures():
    """Some phones save MPO (a JPEG followed by more pictures, each with its own EXIF): Instagram
    refuses it, and the second picture's GPS would go out with a file that looks clean."""
    first = Image.new("RGB", (800, 800), (10, 120, 10))
    second = Image.new("RGB", (800, 800), (10, 10, 120))
    exif = Image.Exif()
    exif[GPS] = {1: "S", 2: (6.0, 12.0, 30.5), 3: "E", 4: (106.0, 49.0, 2.1)}
    buf = io.BytesIO()
    first.save(buf, "MPO", save_all=True, append_images=[second], exif=exif.tobytes())
    data = buf.getvalue()
    assert opened(data).format == "MPO" and opened(data).n_frames == 2
    out = prepare(data, JPEG, media_rules("x"))
    result = opened(out.data)
    assert out.changed and result.format == "JPEG" and getattr(result, "n_frames", 1) == 1
    assert "saved as a single-picture JPEG" in out.notes and b"Exif" not in out.data
    assert result.convert("RGB").getpixel((400, 400)) == pytest.approx((10, 120, 10), abs=6)
