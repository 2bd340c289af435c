"""Image preparation: one rendition of a photo per target platform, made when the post is queued.

Why: staff attach phone photos (12 MP, 4–18 MB, rotated by an EXIF tag, with the GPS position of
the action they were taken at). Refusing them at queue time ("too big — make it at most 4 MB")
leaves the fix to people with no tool for it, and publishing the original would tell anyone who
downloads it where union members stood. So each image is, per platform:

- turned upright (the EXIF orientation applied to the pixels, so no viewer depends on the tag);
- stripped of EXIF, XMP and IPTC metadata (location, camera serial, time, owner) unless the post
  keeps them on purpose — the colour profile is kept, it carries no personal data;
- padded to the platform's range of shapes (Instagram takes width ÷ height from 4:5 to 1.91:1),
  with bars of the colour of the picture's own edges;
- scaled to the platform's pixel limits and re-encoded until it fits the platform's byte limit,
  in a format the platform accepts (JPEG where only JPEG goes; a multi-picture JPEG — MPO, which
  some phones save — becomes a plain one: Instagram refuses MPO, and its other pictures may carry
  their own metadata).

Padding, not refusing or cropping, for a shape the platform does not take: an ordinary portrait
phone photo (3:4) is narrower than Instagram's 4:5, so refusing would refuse most photos staff
take, and cropping would cut what the picture is about (a banner's words, a face at the edge)
without anyone choosing where. Bars keep every pixel; the note says so, and a person who wants a
crop makes it before queueing.

Only what cannot be fixed is refused. GIFs and videos are not touched here (they carry no EXIF;
their limits stay plain checks). Pillow does the decoding and encoding.
"""
from __future__ import annotations

import contextlib
import io
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, Iterator

from campaigner.i18n import _, decimal, number
from content.mime import JPEG, PNG, WEBP
from content.platforms import MediaRules

#: images we prepare (GIF may be animated and MP4 is a video: those go out as they are)
PREPARED = (JPEG, PNG, WEBP)
#: the largest image we open at all (a decompression bomb is refused, not decoded): 100 MP
MAX_SOURCE_PIXELS = 100_000_000
#: JPEG qualities tried in turn before scaling further down
QUALITIES = (90, 80)
#: a further step scales the sides by at most this much (less when the last encoding says more is
#: needed: bytes go roughly with the pixel count)
SHRINK = 0.85
#: below this long edge we stop shrinking and refuse instead (nobody can read the picture)
SMALLEST_EDGE = 320
_FORMAT = {JPEG: "JPEG", PNG: "PNG", WEBP: "WEBP"}
#: EXIF orientation → the turn that makes the picture upright
_TURNS = {2: 0, 3: 3, 4: 1, 5: 5, 6: 4, 7: 6, 8: 2}  # Image.Transpose values (FLIP_LEFT_RIGHT = 0 …)
#: what an image's info may hold that says nothing about where, when or who (how to show the pixels)
_PLAIN_INFO = frozenset({"dpi", "jfif", "jfif_version", "jfif_unit", "jfif_density", "icc_profile", "gamma",
                         "transparency", "progressive", "progression", "adobe", "adobe_transform", "srgb",
                         "aspect", "interlace", "duration", "loop", "background", "chromaticity",
                         "compression", "lossless", "quality", "jpeg", "bbox"})


class CannotPrepare(Exception):
    """The image cannot be made to fit (unreadable, a decompression bomb, or still too big at
    the smallest useful size); the message says what and how to fix it."""


@dataclass(frozen=True)
class Rendition:
    """The bytes that go out on one platform. ``changed`` is False when they are the original's
    (nothing needed doing); ``notes`` say what was done, for the person queueing the post."""

    data: bytes
    mime: str
    width: int
    height: int
    changed: bool
    notes: tuple[str, ...] = ()


def prepare(data: bytes, mime: str, rules: MediaRules, *, keep_metadata: bool = False) -> Rendition:
    """The rendition of the image ``data`` (of type ``mime``) for a platform with ``rules``.

    Raises ``CannotPrepare`` when it cannot be made acceptable. For types we do not prepare (GIF,
    video) the original is returned unchanged: check those with ``content.media``.
    """
    if mime not in PREPARED:
        return Rendition(data, mime, 0, 0, changed=False)
    from PIL import Image

    target = mime if mime in rules.max_bytes else JPEG
    if target not in rules.max_bytes:
        raise CannotPrepare(_("{platform} takes no still images here — post it without this image")
                            .format(platform=rules.platform))
    with _reading():
        source = Image.open(io.BytesIO(data))  # the header only: size and metadata known, nothing decoded
        if source.width * source.height > MAX_SOURCE_PIXELS:
            raise _bomb()
        exif, readable = _exif(source)
        orientation = exif.get(0x0112, 1) if readable else 1
        turned = orientation in (5, 6, 7, 8)  # a quarter turn swaps the sides
        rotated = orientation in _TURNS
        width, height = source.size[::-1] if turned else source.size  # as it is seen, upright
        metadata = not readable or _has_metadata(source, exif)
        strip = metadata and (not keep_metadata or not readable)  # a broken EXIF is never passed on
        canvas = _canvas(width, height, rules)  # padded to the platform's shapes
        fit = _fit(*canvas, rules)
        several = getattr(source, "n_frames", 1) > 1 and source.format == "MPO"  # more pictures in one file
        if not (rotated or strip or several or fit != (width, height)
                or len(data) > rules.max_bytes[target] or target != mime):
            source.load()  # it goes out as it is: but it must be an image
            return Rendition(data, mime, width, height, changed=False)
        if source.format in ("JPEG", "MPO") and fit != canvas:
            scale = fit[0] / canvas[0]  # the picture's own pixels that are needed, decoded at 1/2, 1/4 or 1/8
            wanted = (max(1, int(width * scale)), max(1, int(height * scale)))
            source.draft("RGB", wanted[::-1] if turned else wanted)
        source.load()

    notes = [_("converted to {format}").format(format=_FORMAT[target])] if target != mime else []
    if several and target == mime:
        notes.append(_("saved as a single-picture JPEG"))
    image: Image.Image = source
    if rotated:  # the turn itself, not ImageOps.exif_transpose: that rewrites the EXIF, which may be broken
        image = source.transpose(Image.Transpose(_TURNS[orientation]))
        notes.append(_("turned upright"))
    kept_exif = None if strip or not metadata else _upright_exif(exif)
    if metadata and kept_exif is None:
        notes.append(_("location and other metadata removed"))
    if canvas != (width, height):
        image = _pad(image, rules)
        notes.append((_("padded to {ratio} at the sides") if canvas[0] > width else
                      _("padded to {ratio} above and below"))
                     .format(ratio=_ratio(rules.min_aspect if canvas[0] > width else rules.max_aspect)))
    icc = source.info.get("icc_profile")
    limit = rules.max_bytes[target]
    size = fit
    while True:
        scaled = image if size == image.size else image.resize(size, Image.Resampling.LANCZOS)
        for out in _encodings(scaled, target, icc, kept_exif):
            if len(out) <= limit:
                if size != canvas:
                    notes.append(_("scaled to {width}×{height}").format(width=size[0], height=size[1]))
                return Rendition(out, target, size[0], size[1], changed=True, notes=tuple(notes))
        factor = min(SHRINK, 0.95 * (limit / len(out)) ** 0.5)
        smaller = _in_shape(max(1, int(size[0] * factor)), max(1, int(size[1] * factor)), rules)
        if max(smaller) < SMALLEST_EDGE:
            raise CannotPrepare(_("even at {width}×{height} pixels it is over {platform}'s {limit} bytes — use a "
                                  "simpler picture").format(width=size[0], height=size[1], platform=rules.platform,
                                                            limit=number(limit)))
        size = smaller


@contextlib.contextmanager
def _reading() -> Iterator[None]:
    """Reading an image from outside: a decompression bomb or a broken file is one ``CannotPrepare``."""
    import warnings

    from PIL import Image, UnidentifiedImageError

    try:
        with warnings.catch_warnings():  # our own bound (checked on the header) is the one that counts
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            # a broken EXIF block is judged (and stripped) by _exif, not printed to staff
            warnings.filterwarnings("ignore", message="Corrupt EXIF", category=UserWarning)
            yield
    except Image.DecompressionBombError:
        raise _bomb() from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise CannotPrepare(_("the image cannot be read ({problem}) — open it in a photo app and save it again as "
                              "JPEG").format(problem=type(exc).__name__)) from None


def _bomb() -> CannotPrepare:
    return CannotPrepare(_("the image has more than {n} pixels — export it smaller (a phone photo has about 12 "
                           "million)").format(n=number(MAX_SOURCE_PIXELS)))


def _canvas(width: int, height: int, rules: MediaRules) -> tuple[int, int]:
    """The size of the picture once padded into the platform's shapes (``min_aspect`` …
    ``max_aspect``, width ÷ height); its own size when it is within them."""
    if rules.min_aspect and width < rules.min_aspect * height:
        return math.ceil(rules.min_aspect * height), height
    if rules.max_aspect and width > rules.max_aspect * height:
        return width, math.ceil(width / rules.max_aspect)
    return width, height


def _in_shape(width: int, height: int, rules: MediaRules) -> tuple[int, int]:
    """``width`` × ``height`` trimmed by a pixel where rounding took it out of the platform's shapes."""
    if rules.min_aspect and width < rules.min_aspect * height:
        height = max(1, int(width / rules.min_aspect))
    if rules.max_aspect and width > rules.max_aspect * height:
        width = max(1, int(height * rules.max_aspect))
    return width, height


def _fit(width: int, height: int, rules: MediaRules) -> tuple[int, int]:
    """The largest size with the image's aspect ratio within the platform's pixel limits."""
    scale = 1.0
    if rules.max_edge and max(width, height) > rules.max_edge:
        scale = rules.max_edge / max(width, height)
    if rules.max_pixels and width * height * scale * scale > rules.max_pixels:
        scale = (rules.max_pixels / (width * height)) ** 0.5
    if scale >= 1.0:
        return width, height
    return _in_shape(max(1, int(width * scale)), max(1, int(height * scale)), rules)


def _pad(image, rules: MediaRules):
    """``image`` centred on bars that bring it into the platform's shapes, coloured like the
    picture's own edges beside them (so a dark poster gets dark bars); transparent where the
    picture has transparency."""
    from PIL import Image, ImageStat

    if image.mode not in ("RGB", "RGBA", "L", "LA"):
        alpha = image.mode in ("PA", "RGBa") or "transparency" in image.info
        image = image.convert("RGBA" if alpha else "RGB")
    w, h = image.size
    cw, ch = _canvas(w, h, rules)
    if cw > w:
        edges = [image.crop((0, 0, 1, h)), image.crop((w - 1, 0, w, h))]
    else:
        edges = [image.crop((0, 0, w, 1)), image.crop((0, h - 1, w, h))]
    means = [ImageStat.Stat(edge).mean for edge in edges]
    colour = tuple(round((a + b) / 2) for a, b in zip(*means))
    if image.mode in ("RGBA", "LA"):
        colour = (*colour[:-1], 0)
    canvas = Image.new(image.mode, (cw, ch), colour if len(colour) > 1 else colour[0])
    canvas.paste(image, ((cw - w) // 2, (ch - h) // 2))
    return canvas


def _ratio(x: float | None) -> str:
    """A shape as people write it: 0.8 → ``4:5``, 1.91 → ``1.91:1`` (Indonesian ``1,91:1``)."""
    assert x is not None  # only a limit that was applied is named
    near = Fraction(x).limit_denominator(20)
    if abs(float(near) - x) < 1e-9:
        return f"{near.numerator}:{near.denominator}"
    return f"{decimal(x)}:1"


def _exif(image) -> tuple[Any, bool]:
    """The image's EXIF and whether it could be read: a broken one (Pillow raises, or finds nothing
    in the bytes it has) is stripped, never trusted or passed on."""
    from PIL import Image

    try:
        exif = image.getexif()
        readable = bool(dict(exif)) or not image.info.get("exif")
    except Exception:  # noqa: BLE001 — Pillow raises struct.error, TypeError, ValueError… on bad EXIF
        readable = False
    return (exif, True) if readable else (Image.Exif(), False)


def _has_metadata(image, exif) -> bool:
    """Anything beyond the pixels, a bare orientation and how to show them (colour profile, DPI,
    transparency…): EXIF, XMP, IPTC, a JPEG comment, PNG text chunks (where tools also keep EXIF)
    — anything that can tell where, when or who. Judged by what is allowed, not by what is known
    to be bad, so a new kind of metadata is stripped too."""
    if any(tag != 0x0112 for tag in exif):
        return True
    return any(key not in _PLAIN_INFO for key in image.info)


def _upright_exif(exif) -> bytes | None:
    """The EXIF kept on purpose, with the orientation reset (the pixels are upright now); None
    when it cannot be written back (it is then stripped)."""
    try:
        exif[0x0112] = 1
        return exif.tobytes()
    except Exception:  # noqa: BLE001 — a broken EXIF Pillow read but cannot write
        return None


def _encodings(image, target: str, icc: bytes | None, exif: bytes | None):
    """Encoded versions of ``image`` as ``target``, best quality first; only what is passed here
    goes with the pixels (Pillow would carry a JPEG's comment over from the image's info)."""
    image.info = {}
    extra = {k: v for k, v in (("icc_profile", icc), ("exif", exif)) if v}
    if target == PNG:
        buf = io.BytesIO()
        image.save(buf, "PNG", optimize=True, **extra)
        yield buf.getvalue()
        return
    if target == JPEG and image.mode not in ("RGB", "L"):
        image = _flatten(image)
    for quality in QUALITIES:
        buf = io.BytesIO()
        image.save(buf, _FORMAT[target], quality=quality, **extra)
        yield buf.getvalue()


def _flatten(image):
    """RGB for JPEG: transparency goes onto white (as a chat app shows it), CMYK and palettes convert."""
    from PIL import Image

    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return image.convert("RGB")

