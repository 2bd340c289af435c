"""``campaigner post …`` through the real CLI: queueing, checks, editing, cancelling, retrying."""
import io
import json
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigner.models import Delivery, DeliveryPart, DeliveryStatus, Post, PostMedia


def _png() -> bytes:
    """A real 1×1 transparent PNG (images are decoded when queued: a header alone is refused)."""
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGBA", (1, 1), (0, 0, 0, 0)).save(buf, "PNG")
    return buf.getvalue()


PNG = _png()


def counts(engine) -> tuple[int, int, int]:
    with Session(engine) as s:
        return tuple(s.scalar(select(func.count()).select_from(t)) for t in (Post, Delivery, DeliveryPart))


@pytest.fixture
def setup(cli):
    cli.ok("account", "add", "x", "kspi-x")
    cli.ok("account", "add", "mastodon", "kspi-mastodon", "--timezone", "Asia/Makassar")
    cli.ok("account", "add", "bluesky", "kspi-bsky")
    cli.ok("account", "add", "telegram", "kspi-tg")
    cli.ok("campaign", "add", "tapera", "--name", "Tolak Tapera", "--hashtag", "TolakTapera", "--hashtag", "#BuruhBersatu")
    return cli


def test_add_fans_out_with_local_times_and_hashtags(setup, engine):
    r = setup.ok("post", "add", "Potongan Tapera memberatkan buruh.", "--to", "kspi-x,kspi-mastodon",
                 "--campaign", "tapera", "--at", "2026-12-01 09:00", "--json")
    data = json.loads(r.stdout)
    by_account = {d["account"]: d for d in data["deliveries"]}
    # 09:00 is read in each account's own zone, stored in UTC
    assert by_account["kspi-x"]["due_at"] == "2026-12-01T02:00:00Z"
    assert by_account["kspi-x"]["due_local"] == "2026-12-01 09:00 WIB"
    assert by_account["kspi-mastodon"]["due_at"] == "2026-12-01T01:00:00Z"
    assert by_account["kspi-mastodon"]["due_local"] == "2026-12-01 09:00 WITA"
    assert by_account["kspi-x"]["parts"][0]["text"] == "Potongan Tapera memberatkan buruh.\n\n#TolakTapera #BuruhBersatu"
    assert all(d["status"] == "queued" for d in data["deliveries"])
    # secrets are missing: a warning, not a failure
    assert "Warning: account 'kspi-x' has no API_KEY secret, so it cannot go out yet — set " \
           "CAMPAIGNER_SECRET_KSPI_X_API_KEY or run `campaigner account set-secret kspi-x API_KEY`" in r.stderr
    with Session(engine) as s:
        keys = s.scalars(select(DeliveryPart.idempotency_key)).all()
    assert len(set(keys)) == 2 and all(len(k) == 32 for k in keys)  # random UUIDs, not ids


def test_bluesky_keys_are_tids(setup, engine):
    setup.ok("post", "add", "Upah layak!", "--to", "kspi-bsky", "--at", "2026-12-01 09:00")
    with Session(engine) as s:
        [key] = s.scalars(select(DeliveryPart.idempotency_key)).all()
    from connectors.tid import is_valid_tid, tid_time

    assert is_valid_tid(key)
    assert tid_time(key).replace(microsecond=0) == datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)


def test_text_too_long_for_x_nothing_written(setup, engine):
    text = "Buruh bersatu menolak outsourcing! " * 9  # 315 characters
    r = setup("post", "add", text, "--to", "kspi-mastodon,kspi-x", "--at", "2026-12-01 09:00")
    assert r.exit_code == 1
    assert r.stderr == ("Error: the text is too long for kspi-x (x): 314 of 280 weighted characters — "
                        "cut 34 weighted characters\n")
    assert counts(engine) == (0, 0, 0)


def test_url_counts_23_on_x(setup):
    url = "https://www.kspi.or.id/berita/2026/11/30/aksi-nasional-tolak-tapera-di-seluruh-indonesia"
    r = setup.ok("post", "check", "Aksi nasional! " + url, "--to", "kspi-x")
    assert r.stdout == "kspi-x (x): 38/280 weighted characters — fits\n"


def test_check_reports_what_to_cut_and_exits_1(setup):
    r = setup("post", "check", "a" * 301, "--to", "kspi-bsky", "--platform", "telegram")
    assert r.exit_code == 1
    assert r.stdout.splitlines() == ["kspi-bsky (bluesky): 301/300 characters — cut 1 character",
                                     "telegram (telegram): 301/4096 characters — fits"]


def test_check_counts_each_part_of_a_thread(setup):
    text = "Satu\n---\n" + "a" * 290 + "\n---\nTiga"
    r = setup("post", "check", text, "--thread", "--to", "kspi-x", "--platform", "bluesky")
    assert r.exit_code == 1
    assert r.stdout.splitlines() == [
        "kspi-x (x) part 1 of 3: 4/280 weighted characters — fits",
        "kspi-x (x) part 2 of 3: 290/280 weighted characters — cut 10 weighted characters",
        "kspi-x (x) part 3 of 3: 4/280 weighted characters — fits",
        "bluesky (bluesky) part 1 of 3: 4/300 characters — fits",
        "bluesky (bluesky) part 2 of 3: 290/300 characters — fits",
        "bluesky (bluesky) part 3 of 3: 4/300 characters — fits"]
    checked = json.loads(setup("post", "check", text, "--thread", "--platform", "x", "--json").stdout)
    assert [(c["part"], c["parts"], c["count"], c["ok"]) for c in checked] == [(1, 3, 4, True), (2, 3, 290, False),
                                                                              (3, 3, 4, True)]
    # a media caption is the first part only (Telegram: 1024 for a caption, 4096 for a message)
    r = setup.ok("post", "check", "a" * 1000 + "\n---\n" + "b" * 2000, "--thread", "--to", "kspi-tg", "--media")
    assert r.stdout == ("kspi-tg (telegram) part 1 of 2: 1000/1024 characters — fits\n"
                        "kspi-tg (telegram) part 2 of 2: 2000/4096 characters — fits\n")
    # without --thread the text is one post, and the note says how to count the parts
    r = setup.ok("post", "check", "Satu\n---\nDua", "--to", "kspi-x")
    assert r.stdout == "kspi-x (x): 12/280 weighted characters — fits\n"
    assert r.stderr == ("Note: the text holds '---' lines; counted as one post — give --thread to count each part "
                        "of a thread.\n")
    r = setup("post", "check", "Satu\n---\n", "--thread", "--platform", "x")
    assert (r.exit_code, r.stderr) == (1, "Error: thread part 2 of 2 is empty — remove the '---' line at the end\n")


def test_show_gives_each_deliverys_final_text(setup, engine):
    setup.ok("post", "add", "Potongan Tapera memberatkan buruh.", "--to", "kspi-x,kspi-mastodon,kspi-tg",
             "--campaign", "tapera", "--variant", "telegram=Untuk kanal: potongan Tapera.", "--at", "2026-12-01 09:00")
    setup.ok("post", "add", "Satu\n---\nDua", "--thread", "--to", "kspi-mastodon", "--campaign", "tapera",
             "--at", "2026-12-01 10:00")
    shown = setup.ok("post", "show", "1").stdout
    assert shown.split("\n\nPotongan Tapera memberatkan buruh.\n")[1] == (
        "variant for telegram: Untuk kanal: potongan Tapera.\n"
        "\n"
        "as it goes out on kspi-x, kspi-mastodon:\n"
        "  Potongan Tapera memberatkan buruh.\n"
        "\n"
        "  #TolakTapera #BuruhBersatu\n"
        "\n"
        "as it goes out on kspi-tg:\n"
        "  Untuk kanal: potongan Tapera.\n"
        "\n"
        "  #TolakTapera #BuruhBersatu\n")
    assert setup.ok("post", "show", "2").stdout.endswith(
        "as it goes out on kspi-mastodon:\n"
        "  1/2 Satu\n"
        "\n"
        "      #TolakTapera #BuruhBersatu\n"
        "  2/2 Dua\n")
    with engine.begin() as c:
        c.execute(Delivery.__table__.update().where(Delivery.id == 1).values(status=DeliveryStatus.PUBLISHED))
    assert "as it went out on kspi-x:\n" in setup.ok("post", "show", "1").stdout


def test_unknown_account_and_campaign(setup, engine):
    r = setup("post", "add", "Hidup buruh!", "--to", "kspi-x,kspi-fb", "--at", "2026-12-01 09:00")
    assert r.stderr == "Error: no account named 'kspi-fb' — see `campaigner account list`\n"
    r = setup("post", "add", "Hidup buruh!", "--to", "kspi-x", "--campaign", "upah", "--at", "2026-12-01 09:00")
    assert r.stderr == "Error: no campaign 'upah' — see `campaigner campaign list`\n"
    assert counts(engine) == (0, 0, 0)


def test_bad_and_past_times(setup, engine):
    r = setup("post", "add", "Hidup buruh!", "--to", "kspi-x", "--at", "besok jam sembilan")
    assert r.exit_code == 1
    assert r.stderr == ("Error: cannot read the time of day in 'besok jam sembilan' — use HH:MM, e.g. "
                        "\"tomorrow 09:00\"\n")
    r = setup("post", "add", "Hidup buruh!", "--to", "kspi-x", "--at", "2026-13-01 09:00")
    assert r.stderr == ("Error: cannot read the time '2026-13-01 09:00' — use \"2026-12-07 09:00\", \"07/12/2026 "
                        "09.00\", \"senin 10:00\", \"besok 09:00\", ISO 8601 with an offset or \"+2h\" (dates day "
                        "first)\n")
    r = setup("post", "add", "Hidup buruh!", "--to", "kspi-x", "--at", "2026-11-30 07:59")
    assert r.stderr == "Error: the time 2026-11-30 07:59 WIB is in the past — pick a later time, or use --now\n"
    r = setup("post", "add", "Hidup buruh!", "--to", "kspi-x")
    assert r.exit_code == 1
    assert r.stderr == "Error: say when the post goes out — give exactly one of --at TIME, --next-slot or --now\n"
    assert counts(engine) == (0, 0, 0)


def test_time_forms(setup):
    def due(at):
        r = setup.ok("post", "add", f"Waktu {at}", "--to", "kspi-x", "--at", at, "--json")
        return json.loads(r.stdout)["deliveries"][0]["due_at"]

    assert due("2026-12-01T09:00+07:00") == "2026-12-01T02:00:00Z"
    assert due("2026-12-01T02:00Z") == "2026-12-01T02:00:00Z"
    assert due("besok 10:00") == "2026-12-01T03:00:00Z"  # now is Monday 08:00 WIB
    assert due("+2h") == "2026-11-30T03:00:00Z"
    assert due("19:30") == "2026-11-30T12:30:00Z"
    r = setup.ok("post", "add", "Sekarang", "--to", "kspi-x", "--now", "--json")
    assert json.loads(r.stdout)["deliveries"][0]["due_at"] == "2026-11-30T01:00:00Z"


def test_daily_cap_reports_the_local_day(setup, engine):
    setup.ok("account", "edit", "kspi-x", "--daily-cap", "2")
    setup.ok("post", "add", "satu", "--to", "kspi-x", "--at", "2026-12-01 09:00")
    setup.ok("post", "add", "dua", "--to", "kspi-x", "--at", "2026-12-01 23:30")  # still 1 Dec in WIB
    r = setup("post", "add", "tiga", "--to", "kspi-x", "--at", "2026-12-01 06:00")
    assert r.stderr == ("Error: account 'kspi-x' would have 3 posts on 2026-12-01 (WIB), above its daily cap of 2 — "
                        "pick another day or raise the cap (campaigner account edit kspi-x --daily-cap N)\n")
    setup.ok("post", "add", "tiga", "--to", "kspi-x", "--at", "2026-12-02 06:00")
    assert counts(engine)[0] == 3


def test_thread_parts_and_link(setup):
    text = "Bagian satu tentang Tapera.\n---\nBagian dua: iuran 3%.\n  ---  \nBagian tiga: tolak!"
    r = setup.ok("post", "add", text, "--thread", "--to", "kspi-mastodon", "--at", "2026-12-01 09:00",
                 "--link", "https://kspi.or.id/tapera", "--json")
    parts = [p["text"] for p in json.loads(r.stdout)["deliveries"][0]["parts"]]
    assert parts == ["Bagian satu tentang Tapera.\nhttps://kspi.or.id/tapera", "Bagian dua: iuran 3%.",
                     "Bagian tiga: tolak!"]
    r = setup("post", "add", "satu\n---\n\n---\ntiga", "--thread", "--to", "kspi-x", "--at", "2026-12-01 09:00")
    assert (r.exit_code, r.stderr) == (1, "Error: thread part 2 of 3 is empty — write its text between the two '---' "
                                          "lines, or remove one of them\n")


def test_variant_per_platform(setup):
    r = setup.ok("post", "add", "Teks umum yang panjang untuk Mastodon dan Telegram.", "--to", "kspi-x,kspi-tg",
                 "--variant", "x=Teks pendek untuk X", "--at", "2026-12-01 09:00", "--json")
    texts = {d["account"]: d["parts"][0]["text"] for d in json.loads(r.stdout)["deliveries"]}
    assert texts == {"kspi-x": "Teks pendek untuk X", "kspi-tg": "Teks umum yang panjang untuk Mastodon dan Telegram."}
    r = setup("post", "add", "t", "--to", "kspi-x", "--variant", "facebook=hai", "--at", "2026-12-01 09:00")
    assert r.stderr == ("Error: there is a variant for facebook but no target account is on facebook — remove the "
                        "variant or add such an account to --to\n")


def test_media_is_copied_into_own_folder(setup, tmp_path, home, engine):
    img = tmp_path / "poster.png"
    img.write_bytes(PNG)
    r = setup.ok("post", "add", "Poster aksi", "--to", "kspi-mastodon", "--media", str(img), "--alt", "Poster aksi buruh",
                 "--at", "2026-12-01 09:00")
    img.unlink()  # moving the original later cannot break the queued post
    with Session(engine) as s:
        m = s.scalars(select(PostMedia)).one()
    stored = home / "data" / "media" / m.stored_path
    assert stored.read_bytes() == PNG
    assert (m.mime_type, m.alt_text, m.original_name) == ("image/png", "Poster aksi buruh", "poster.png")
    r = setup("post", "add", "Poster", "--to", "kspi-x", "--media", str(tmp_path / "hilang.png"), "--at", "2026-12-01 09:00")
    assert (r.exit_code, r.stderr) == (
        1, f"Error: cannot attach {tmp_path / 'hilang.png'}: no such file — check the path\n")
    fake = tmp_path / "poster.jpg"
    fake.write_text("not an image")
    r = setup("post", "add", "Poster", "--to", "kspi-x", "--media", str(fake), "--at", "2026-12-01 09:00")
    assert (r.exit_code, r.stderr) == (1, f"Error: media not accepted on x: {fake}: unknown file type — use JPEG, PNG, "
                                          "WEBP, GIF or MP4\n")


def test_list_show_filters(setup):
    setup.ok("post", "add", "Satu", "--to", "kspi-x,kspi-tg", "--campaign", "tapera", "--at", "2026-12-01 09:00")
    setup.ok("post", "add", "Dua", "--to", "kspi-tg", "--at", "2026-12-02 09:00")
    rows = json.loads(setup.ok("post", "list", "--json").stdout)
    # by due time, then delivery id (kspi-x was named first, so its delivery came first)
    assert [(r["post_id"], r["delivery_id"], r["account"]) for r in rows] == [
        (1, 1, "kspi-x"), (1, 2, "kspi-tg"), (2, 3, "kspi-tg")]
    assert len(json.loads(setup.ok("post", "list", "--json", "--campaign", "tapera").stdout)) == 2
    assert len(json.loads(setup.ok("post", "list", "--json", "--account", "kspi-tg").stdout)) == 2
    assert json.loads(setup.ok("post", "list", "--json", "--status", "failed").stdout) == []
    shown = setup.ok("post", "show", "1").stdout
    assert shown.splitlines()[0] == "Post 1 · campaign tapera"
    r = setup("post", "show", "99")
    assert r.stderr == "Error: no post with id 99 — see `campaigner post list`\n"


def test_edit_only_before_publish(setup, engine):
    setup.ok("post", "add", "Teks lama", "--to", "kspi-x", "--at", "2026-12-01 09:00")
    setup.ok("post", "edit", "1", "Teks baru", "--at", "2026-12-01 10:00")
    data = json.loads(setup.ok("post", "show", "1", "--json").stdout)
    assert data["deliveries"][0]["parts"][0]["text"] == "Teks baru"
    assert data["deliveries"][0]["due_local"] == "2026-12-01 10:00 WIB"
    setup.ok("post", "edit", "1", "Teks baru lagi")  # keeps its time
    data = json.loads(setup.ok("post", "show", "1", "--json").stdout)
    assert data["deliveries"][0]["due_local"] == "2026-12-01 10:00 WIB"
    r = setup("post", "edit", "1", "x" * 300)
    assert r.exit_code == 1
    with Session(engine) as s:
        d = s.scalars(select(Delivery)).one()
        d.status = DeliveryStatus.PUBLISHED
        s.commit()
    r = setup("post", "edit", "1", "Terlambat")
    assert r.stderr == ("Error: post 1 is already published on kspi-x — a post that went out cannot be changed; to "
                        "take it down: campaigner post delete 1, then queue a new post\n")


def test_edit_targets(setup, engine):
    setup.ok("post", "add", "Tolak Tapera", "--to", "kspi-x,kspi-tg", "--at", "2026-12-01 09:00")
    # drop telegram, add mastodon (no --at: the post's time, read in UTC, so 08:00 WITA) and bluesky
    r = setup.ok("post", "edit", "1", "--to", "kspi-x,kspi-mastodon,kspi-bsky")
    assert r.stdout.splitlines()[0] == "Updated post 1:"
    data = json.loads(setup.ok("post", "show", "1", "--json").stdout)
    got = {d["account"]: (d["status"], d["due_local"]) for d in data["deliveries"]}
    assert got == {"kspi-x": ("queued", "2026-12-01 09:00 WIB"), "kspi-tg": ("cancelled", "2026-12-01 09:00 WIB"),
                   "kspi-mastodon": ("queued", "2026-12-01 10:00 WITA"), "kspi-bsky": ("queued", "2026-12-01 09:00 WIB")}
    # telegram back: its cancelled delivery is queued again (no second delivery on one account)
    setup.ok("post", "edit", "1", "--to", "kspi-x,kspi-tg", "--at", "2026-12-02 07:00")
    data = json.loads(setup.ok("post", "show", "1", "--json").stdout)
    got = {d["account"]: (d["status"], d["due_local"]) for d in data["deliveries"]}
    assert got == {"kspi-x": ("queued", "2026-12-02 07:00 WIB"), "kspi-tg": ("queued", "2026-12-02 07:00 WIB"),
                   "kspi-mastodon": ("cancelled", "2026-12-01 10:00 WITA"),
                   "kspi-bsky": ("cancelled", "2026-12-01 09:00 WIB")}
    assert counts(engine) == (1, 4, 4)
    before = counts(engine)
    r = setup("post", "edit", "1", "--to", "kspi-x,nobody")
    assert r.exit_code == 1 and r.stderr.startswith("Error: no account named 'nobody'")
    r = setup("post", "edit", "1", "--to", "kspi-x", "--variant", "telegram=Hai")
    assert r.stderr == ("Error: there is a variant for telegram but no target account is on telegram — remove the "
                        "variant or add such an account to --to\n")
    assert counts(engine) == before
    assert {d["account"]: d["status"] for d in json.loads(setup.ok("post", "show", "1", "--json").stdout)[
        "deliveries"]} == {"kspi-x": "queued", "kspi-tg": "queued", "kspi-mastodon": "cancelled",
                           "kspi-bsky": "cancelled"}


def test_edit_media(setup, tmp_path, engine):
    img = tmp_path / "poster.png"
    img.write_bytes(PNG)
    setup.ok("post", "add", "Poster aksi", "--to", "kspi-mastodon", "--at", "2026-12-01 09:00")
    setup.ok("post", "edit", "1", "--media", str(img), "--alt", "Poster aksi buruh")
    media = json.loads(setup.ok("post", "show", "1", "--json").stdout)["media"]
    assert media == [{"file": "poster.png", "type": "image/png", "bytes": len(PNG), "alt": "Poster aksi buruh",
                      "prepared": {}}]  # a clean photo that fits goes as it is
    setup.ok("post", "edit", "1", "Poster aksi, teks baru")  # text only: the media stays
    assert json.loads(setup.ok("post", "show", "1", "--json").stdout)["media"] == media
    r = setup("post", "edit", "1", "--media", str(tmp_path / "hilang.png"))
    assert (r.exit_code, r.stderr) == (
        1, f"Error: cannot attach {tmp_path / 'hilang.png'}: no such file — check the path\n")
    assert json.loads(setup.ok("post", "show", "1", "--json").stdout)["media"] == media
    r = setup("post", "edit", "1", "--media", str(img), "--no-media")
    assert (r.exit_code, r.stderr.splitlines()[-1]) == (
        2, "Error: --media and --no-media contradict each other: give one — see `campaigner post edit --help`")
    setup.ok("post", "edit", "1", "--no-media")
    assert json.loads(setup.ok("post", "show", "1", "--json").stdout)["media"] == []
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(PostMedia)) == 0


def test_cancel_and_retry(setup, engine):
    setup.ok("post", "add", "Satu", "--to", "kspi-x,kspi-tg", "--at", "2026-12-01 09:00")
    r = setup.ok("post", "cancel", "1", "--account", "kspi-tg")
    assert r.stdout == "Cancelled post 1 on kspi-tg.\n"
    r = setup("post", "retry", "1")
    assert r.stderr == "Error: post 1 has no failed or expired delivery — see `campaigner post show 1`\n"
    with Session(engine) as s:
        d = s.scalars(select(Delivery).where(Delivery.status == DeliveryStatus.QUEUED)).one()
        d.status, d.last_error = DeliveryStatus.FAILED, "503 from platform"
        s.commit()
    setup.clock.advance(days=2)
    assert setup.ok("post", "retry", "1").stdout == "Queued post 1 again on kspi-x.\n"
    data = json.loads(setup.ok("post", "show", "1", "--json").stdout)
    d = {x["account"]: x for x in data["deliveries"]}
    assert d["kspi-x"]["status"] == "queued" and d["kspi-x"]["due_at"] == "2026-12-02T01:00:00Z"
    assert d["kspi-tg"]["status"] == "cancelled"


def test_text_from_file_and_stdin(setup, tmp_path):
    f = tmp_path / "post.txt"
    f.write_text("Dari berkas\n", encoding="utf-8")
    setup.ok("post", "add", "--file", str(f), "--to", "kspi-x", "--at", "2026-12-01 09:00")
    setup.ok("post", "add", "--file", "-", "--to", "kspi-x", "--at", "2026-12-01 10:00", input="Dari stdin\n")
    texts = [r["text"] for r in json.loads(setup.ok("post", "list", "--json").stdout)]
    assert texts == ["Dari berkas", "Dari stdin"]
    r = setup("post", "add", "--file", str(tmp_path / "none.txt"), "--to", "kspi-x", "--now")
    assert r.stderr == f"Error: file {tmp_path / 'none.txt'} does not exist — check the path given to --file\n"


def test_daily_cap_counts_posts_earlier_today(setup):
    setup.ok("account", "edit", "kspi-x", "--daily-cap", "2")
    setup.ok("post", "add", "pagi", "--to", "kspi-x", "--at", "2026-11-30 09:00")
    setup.clock.advance(hours=3)  # 11:00 WIB: the 09:00 post is in the past but still today
    setup.ok("post", "add", "siang", "--to", "kspi-x", "--at", "2026-11-30 13:00")
    r = setup("post", "add", "sore", "--to", "kspi-x", "--at", "2026-11-30 16:00")
    assert r.stderr.startswith("Error: account 'kspi-x' would have 3 posts on 2026-11-30 (WIB)")
    setup.clock.advance(days=3)  # an old day is counted from the database, not the loaded window
    r = setup("post", "edit", "1", "pagi sekali")
    assert r.exit_code == 0, r.output
    setup.ok("account", "edit", "kspi-x", "--daily-cap", "1")  # "siang" alone fills that old day now
    r = setup("post", "edit", "1", "pagi sekali lagi")
    assert r.exit_code == 1 and r.stderr.startswith("Error: account 'kspi-x' would have 2 posts on 2026-11-30 (WIB)")
