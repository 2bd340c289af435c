"""Image preparation speed: phone-size photos prepared for a platform, against Pillow's own
thumbnail + save of the same files in the same run.

Run: python bench/images.py [--count 100] [--platform facebook] [--width 4032 --height 3024]

The photos are made first (not timed): 12 MP JPEGs at quality 92 (smooth light plus sensor grain)
with a GPS position and a rotation tag, as a phone writes them. Then, interleaved per photo:
- campaigner: ``campaigner.imaging.prepare`` with the platform's real rules (turned upright,
  metadata stripped, scaled and re-encoded until it fits the byte limit);
- baseline: ``Image.open`` → ``ImageOps.exif_transpose`` → ``thumbnail`` to the same size as
  campaigner's result → ``save`` as JPEG quality 90 (one encode, no size check).
Figures are printed, never asserted.
"""
from __future__ import annotations

import argparse
import io
import statistics
import time

from PIL import Image, ImageOps

from campaigner.imaging import prepare
from content.media import media_rules
from content.mime import JPEG


def phone_photo(width: int, height: int, seed: int) -> bytes:
    """Smooth light across the frame plus sensor grain: compresses like a real photo."""
    light = Image.linear_gradient("L").resize((width, height))
    grain = Image.effect_noise((width, height), 12 + seed % 5)
    bands = [Image.blend(light.rotate(90 * k), grain, 0.35) for k in range(3)]
    exif = Image.Exif()
    exif[0x0112] = 6
    exif[0x8825] = {1: "S", 2: (6.0, 12.0, 30.5), 3: "E", 4: (106.0, 49.0, 2.1)}
    buf = io.BytesIO()
    Image.merge("RGB", bands).save(buf, "JPEG", quality=92, exif=exif.tobytes())
    return buf.getvalue()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=100)
    ap.add_argument("--platform", default="facebook")
    ap.add_argument("--width", type=int, default=4032)
    ap.add_argument("--height", type=int, default=3024)
    args = ap.parse_args()
    rules = media_rules(args.platform)
    photos = [phone_photo(args.width, args.height, i) for i in range(args.count)]
    ours: list[float] = []
    base: list[float] = []
    out_bytes: list[int] = []
    for data in photos:
        t = time.perf_counter()
        r = prepare(data, JPEG, rules)
        ours.append(time.perf_counter() - t)
        out_bytes.append(len(r.data))
        t = time.perf_counter()
        image = ImageOps.exif_transpose(Image.open(io.BytesIO(data)))
        image.thumbnail((max(r.width, r.height),) * 2)
        image.save(io.BytesIO(), "JPEG", quality=90)
        base.append(time.perf_counter() - t)
    mb = statistics.mean(len(p) for p in photos) / 1e6
    print(f"{args.count} photos {args.width}×{args.height}, mean {mb:.1f} MB, for {args.platform} "
          f"(≤ {rules.max_bytes[JPEG]:,} bytes, longer side ≤ {rules.max_edge or 'any'}); results mean "
          f"{statistics.mean(out_bytes) / 1e6:.2f} MB")
    print(f"{'':44} {'images/s':>9} {'median ms':>10}")
    print(f"{'campaigner.imaging.prepare':44} {len(ours) / sum(ours):9.2f} {statistics.median(ours) * 1000:10.0f}")
    print(f"{'baseline: Pillow exif_transpose+thumbnail+save':44} {len(base) / sum(base):9.2f} "
          f"{statistics.median(base) * 1000:10.0f}")


if __name__ == "__main__":
    main()
