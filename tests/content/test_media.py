"""Media rules: the type comes from the file's bytes, sizes and counts per platform."""

import pytest

from content.media import check_files, check_media, media_rules, sniff_bytes, sniff_mime

HEADS = {
    "jpeg": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
    "png": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR",
    "gif": b"GIF89a\x01\x00\x01\x00",
    "webp": b"RIFF\x24\x00\x00\x00WEBPVP8 ",
    "mp4": b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00",
    "heic": b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00",
    "mov": b"\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00",
    "pdf": b"%PDF-1.7\n",
}
MB = 1024 * 1024


def make(tmp_path, name, kind, size=None):
    """A real file starting with ``kind``'s magic bytes, grown (sparsely) to ``size`` bytes."""
    path = tmp_path / name
    with open(path, "wb") as f:
        f.write(HEADS[kind] + b"\x00" * 64)
        if size is not None:
            f.truncate(size)
    return path


@pytest.mark.parametrize("kind,mime", [
    ("jpeg", "image/jpeg"), ("png", "image/png"), ("gif", "image/gif"), ("webp", "image/webp"),
    ("mp4", "video/mp4"), ("heic", "image/heic"), ("mov", "video/quicktime"), ("pdf", None),
])
def test_sniff_mime_reads_magic_bytes_not_the_name(tmp_path, kind, mime):
    path = make(tmp_path, "poster.jpg", kind)  # every file is *named* .jpg
    assert sniff_mime(path) == mime


def test_sniff_bytes_on_short_input():
    assert sniff_bytes(b"") is None
    assert sniff_bytes(b"GIF87a") == "image/gif"


def test_good_photos_have_no_problems(tmp_path):
    paths = [make(tmp_path, f"aksi{i}.jpg", "jpeg", 200_000) for i in range(4)]
    for platform in ("x", "mastodon", "bluesky", "telegram", "facebook", "sandbox"):
        assert check_media(paths, platform) == [], platform


def test_missing_file(tmp_path):
    missing = tmp_path / "hilang.jpg"
    assert check_media([missing], "x") == [f"{missing}: no such file — check the path"]


def test_directory_is_not_a_file(tmp_path):
    assert check_media([tmp_path], "x") == [f"{tmp_path}: not a file — give the path of an image or video file"]


def test_empty_file(tmp_path):
    path = tmp_path / "kosong.png"
    path.write_bytes(b"")
    assert check_media([path], "bluesky") == [f"{path}: the file is empty — save or download it again"]


def test_unknown_type(tmp_path):
    path = make(tmp_path, "selebaran.pdf", "pdf")
    assert check_media([path], "x") == [
        f"{path}: unknown file type — use JPEG, PNG, WEBP, GIF or MP4"]


def test_heic_from_a_phone_is_named_and_refused(tmp_path):
    path = make(tmp_path, "IMG_0001.jpg", "heic")
    assert check_media([path], "mastodon") == [
        f"{path}: HEIC is not accepted on mastodon — convert it to JPEG, PNG, GIF, WEBP or MP4"]


def test_x_image_over_5_mb(tmp_path):
    path = make(tmp_path, "spanduk.png", "png", 5 * MB + 1)
    assert check_media([path], "x") == [
        f"{path}: too big, 5,242,881 bytes (5.2 MB) — make it at most 5,242,880 bytes (5.2 MB), x's limit for PNG"]
    assert check_media([make(tmp_path, "pas.png", "png", 5 * MB)], "x") == []


def test_bluesky_image_limit_is_2_000_000_bytes(tmp_path):
    ok = make(tmp_path, "ok.jpg", "jpeg", 2_000_000)
    big = make(tmp_path, "big.jpg", "jpeg", 2_000_001)
    assert check_media([ok], "bluesky") == []
    assert check_media([big], "bluesky") == [
        f"{big}: too big, 2,000,001 bytes (2.0 MB) — make it at most 2,000,000 bytes (2.0 MB), bluesky's limit for "
        "JPEG"]


def test_telegram_photo_limit(tmp_path):
    path = make(tmp_path, "foto.jpg", "jpeg", 10_000_001)
    assert len(check_media([path], "telegram")) == 1
    assert check_media([path], "mastodon") == []  # 16 MB there


def test_too_many_files(tmp_path):
    paths = [make(tmp_path, f"f{i}.jpg", "jpeg") for i in range(5)]
    assert check_media(paths, "x") == ["too many files: 5 — attach at most 4, x's limit for one post"]
    assert check_media(paths, "telegram") == []
    eleven = paths + [make(tmp_path, f"g{i}.jpg", "jpeg") for i in range(6)]
    assert check_media(eleven, "telegram") == ["too many files: 11 — attach at most 10, telegram's limit for one post"]


def test_video_must_be_alone_on_x(tmp_path):
    paths = [make(tmp_path, "video.mp4", "mp4"), make(tmp_path, "foto.jpg", "jpeg")]
    assert check_media(paths, "x") == ["MP4 must be the only file in a post on x — post it separately"]
    assert check_media(paths, "telegram") == []  # albums mix photos and videos


def test_gif_alone_on_telegram(tmp_path):
    paths = [make(tmp_path, "anim.gif", "gif"), make(tmp_path, "foto.jpg", "jpeg")]
    assert check_media(paths, "telegram") == ["GIF must be the only file in a post on telegram — post it separately"]
    assert check_media(paths, "mastodon") == []


def test_each_problem_is_reported(tmp_path):
    missing = tmp_path / "nope.jpg"
    big = make(tmp_path, "besar.jpg", "jpeg", 6 * MB)
    good = make(tmp_path, "baik.jpg", "jpeg")
    problems = check_media([missing, big, good, good, good], "x")
    assert problems == [
        f"{missing}: no such file — check the path",
        f"{big}: too big, 6,291,456 bytes (6.3 MB) — make it at most 5,242,880 bytes (5.2 MB), x's limit for JPEG",
        "too many files: 5 — attach at most 4, x's limit for one post",
    ]


def test_no_files_no_problems():
    assert check_media([], "facebook") == []


def test_rules_and_unknown_platform():
    rules = media_rules("bluesky")
    assert (rules.max_count, rules.max_bytes["image/jpeg"]) == (4, 2_000_000)
    assert "image/jpeg" in media_rules("x").accepted
    with pytest.raises(ValueError, match="unknown platform 'tiktok'"):
        check_media([], "tiktok")


def test_file_problems_are_the_same_on_every_platform(tmp_path):
    missing, empty = tmp_path / "nope.jpg", tmp_path / "kosong.png"
    empty.write_bytes(b"")
    good, pdf = make(tmp_path, "baik.jpg", "jpeg"), make(tmp_path, "selebaran.pdf", "pdf")
    assert check_files([missing, good, tmp_path, empty, pdf]) == [
        f"{missing}: no such file — check the path",
        f"{tmp_path}: not a file — give the path of an image or video file",
        f"{empty}: the file is empty — save or download it again",
    ]  # a file of an unknown type is a file: whether it is accepted depends on the platform


def test_every_problem_says_what_then_one_fix(tmp_path):
    """Callers split each problem at its one " — " into what is wrong and how to fix it."""
    empty = tmp_path / "kosong.png"
    empty.write_bytes(b"")
    files = [tmp_path / "nope.jpg", tmp_path, empty, make(tmp_path, "f.pdf", "pdf"), make(tmp_path, "i.jpg", "heic"),
             make(tmp_path, "big.png", "png", 6 * MB), make(tmp_path, "v.mp4", "mp4")]
    problems = check_media(files, "x")
    # missing, folder, empty, unknown type, refused type, too big; too many; MP4 not alone
    assert len(problems) == 8
    assert all(p.count(" — ") == 1 for p in problems), problems
