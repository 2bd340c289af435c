"""Instagram in the weekly report and `metrics show`: its figures are read from the real Instagram
fake by the real metrics collection, stored with reach and shares, and every format shows the
Instagram row in Instagram's own words (views, reach, likes, comments, saves, shares) — "not
known" where Instagram gave nothing (a feed image has no shares), never 0."""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import subprocess

import pytest
from PIL import Image
from sqlalchemy import update
from sqlalchemy.orm import Session

from campaigner.media_host import MediaHost
from campaigner.models import Delivery, DeliveryPart, DeliveryStatus
from campaigner.secrets import env_name
from campaigner.services.accounts import connector
from campaigner.services.metrics import collect
from campaigner.services.posts import outgoing_post
from tests.core.test_imaging import photo
from tests.engine.conftest import deliveries
from tests.fakes.instagram import Fake
from tests.monitoring.test_report import EVERY_TIME, report_json, wib
from tests.monitoring.test_report_browser import CHROMIUM, needs_chromium

NAMED = "30 likes · 4 comments · 900 views · 7 saves · 700 reach · shares not known"  # the record's order


def _send_to_instagram(app, engine, delivery_id: int) -> str:
    """What the engine does for a delivery on a platform that fetches media by URL: the prepared
    file put on the [media] host, the post sent with its address, the delivery recorded published."""
    with Session(engine) as s:
        d = s.get(Delivery, delivery_id)
        post = outgoing_post(app, d, d.parts[0])
        account = d.account
        host = MediaHost.open(app)
        post = dataclasses.replace(post, media=tuple(dataclasses.replace(m, url=host.publish(m.path, m.mime_type))
                                                     for m in post.media))
        done = connector(app, account).publish(post)
    with Session(engine) as s, s.begin():
        s.execute(update(DeliveryPart).where(DeliveryPart.delivery_id == delivery_id)
                  .values(remote_id=done.remote_id, remote_url=done.url, published_at=done.published_at))
        s.execute(update(Delivery).where(Delivery.id == delivery_id)
                  .values(status=DeliveryStatus.PUBLISHED, remote_id=done.remote_id, remote_url=done.url,
                          published_at=done.published_at, updated_at=done.published_at))
    return done.remote_id


@pytest.fixture
def week47_ig(cli, db_url, clock, engine, serve, home, tmp_path, platform_account, monkeypatch):
    """In week 47: a post on Instagram (with a photo) and on X, both measured before the week ended."""
    from campaigner.app import App
    from campaigner.config import resolve
    from scheduler.engine import Engine

    ig = serve(Fake())
    (home / "config" / "campaigner.toml").write_text(
        f'[media]\npublic_url = "{ig.web.base_url}/"\npublic_dir = "{ig.web.folder}"\n')
    app = App(resolve({"database_url": db_url}), now=clock)  # with the [media] place
    cli.ok("account", "add", "instagram", "ig1", "--base-url", ig.base_url)
    for field, value in ig.account_config().secrets.items():
        monkeypatch.setenv(env_name("ig1", field), value)
    x = platform_account("x", "x1")
    image = tmp_path / "aksi.jpg"
    image.write_bytes(photo(1200, 1000, orientation=0))
    cli.clock.now = wib("2026-11-18 12:00")
    cli.ok("post", "add", "Tolak Tapera!", "--to", "x1", "--now")
    Engine(app, "w1", concurrency=1).publish_all_due()  # X goes out through the engine
    cli.ok("post", "add", "Tolak Tapera! #TolakTapera", "--to", "ig1", "--media", str(image), "--now")
    [ig_delivery] = [d for d in deliveries(engine) if d.account.name == "ig1"]
    media_id = _send_to_instagram(app, engine, ig_delivery.id)
    assert ig.downloads  # Meta fetched the photo from the [media] host
    ig.set_engagement(media_id, likes=30, impressions=900, bookmarks=7, reach=700, shares=99)  # shares: refused
    ig.add_reply(media_id, "buruh1", "Setuju!", cli.clock.now)
    for i in range(3):
        ig.add_reply(media_id, f"buruh{i + 2}", "Hidup buruh", cli.clock.now)
    [x_delivery] = [d for d in deliveries(engine) if d.account.name == "x1"]
    x.set_engagement(x_delivery.remote_id, likes=10, reposts=2, replies=1, quotes=0, impressions=300, bookmarks=1)
    cli.clock.now = wib("2026-11-19 09:00")
    collect(app, schedule=EVERY_TIME)
    cli.clock.now = wib("2026-11-30 08:00")
    yield ig
    app.close()


def test_reach_and_shares_are_collected_and_shown_in_instagrams_words(cli, week47_ig):
    r = cli.ok("metrics", "show", "2")
    assert r.stdout == "ig1 (2026-11-19 09:00 WIB): likes 30, comments 4, views 900, saves 7, reach 700, shares not known\n"
    data = json.loads(cli.ok("metrics", "show", "2", "--json").stdout)
    assert data[0]["values"]["reach"] == 700 and data[0]["values"]["shares"] is None
    assert data[0]["named"][2] == {"name": "views", "value": 900}

    text = cli.ok("report", "weekly", "--week", "2026-W47").stdout
    assert f"  instagram: {NAMED.replace(' · shares', ' ·' + chr(10) + '    shares')}\n" in text  # 80 columns
    assert "Also:               8 bookmarks, 700 reach\n" in text  # X's bookmark and Instagram's saves; reach
    assert "\n  x: " not in text  # X's names are the table's: no line of its own

    teks = cli.ok("report", "weekly", "--week", "2026-W47", "--lang", "id").stdout
    assert ("instagram: 30 suka · 4 komentar · 900 tayangan · 7 simpanan · 700 jangkauan · dibagikan tidak "
            "diketahui") in " ".join(teks.split())

    md = cli.ok("report", "weekly", "--week", "2026-W47", "--format", "markdown").stdout
    assert f"- **instagram**: 1 post · {NAMED} · rate 3.8%\n" in md
    assert f"- **ig1 (instagram)**: 1 post · {NAMED} · rate 3.8%\n" in md
    assert "- **x**: 1 post · 10 likes · 2 reposts · 1 replies · 0 quotes · 300 views · rate 4.3%\n" in md

    html = cli.ok("report", "weekly", "--week", "2026-W47", "--format", "html").stdout
    assert f'<ul class="small named"><li><strong>instagram</strong>: {NAMED}</li></ul>' in html

    rows = list(csv.DictReader(io.StringIO(cli.ok("report", "weekly", "--week", "2026-W47", "--format", "csv").stdout)))
    [row] = [r for r in rows if r["platform"] == "instagram"]
    assert (row["impressions"], row["reach"], row["bookmarks"], row["shares"], row["replies"]) == ("900", "700", "7", "",
                                                                                                   "4")
    assert row["named_metrics"] == "likes 30; comments 4; views 900; saves 7; reach 700; shares not known"

    report = report_json(cli, "--week", "2026-W47")
    totals = report["overall"]["totals"]
    assert (totals["reach"], totals["shares"], totals["known"]["reach"], totals["known"]["shares"]) == (700, None, 1, 0)
    [plat] = [p for p in report["overall"]["platforms"] if p["platform"] == "instagram"]
    assert plat["named_metrics"] == [
        {"metric": "likes", "name": "likes", "value": 30}, {"metric": "replies", "name": "comments", "value": 4},
        {"metric": "impressions", "name": "views", "value": 900}, {"metric": "bookmarks", "name": "saves", "value": 7},
        {"metric": "reach", "name": "reach", "value": 700}, {"metric": "shares", "name": "shares", "value": None}]


@needs_chromium
def test_the_instagram_row_renders_in_headless_chromium(cli, week47_ig, tmp_path):
    page = tmp_path / "laporan.html"
    cli.ok("report", "weekly", "--week", "2026-W47", "--format", "html", "--lang", "id", "--out", str(page))
    profile = tmp_path / "profile"
    profile.mkdir()
    base = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-extensions", f"--user-data-dir={profile}"]
    shot = tmp_path / "shot.png"
    r = subprocess.run([*base, f"--screenshot={shot}", "--window-size=412,1400", "--hide-scrollbars",
                        "--enable-logging=stderr", "--v=0", page.as_uri()],
                       capture_output=True, text=True, timeout=120, cwd=tmp_path)
    log = r.stdout + r.stderr
    assert [line for line in log.splitlines() if ":CONSOLE" in line] == [] and "Uncaught" not in log
    with Image.open(shot) as img:
        assert len(img.convert("RGB").getcolors(412 * 1400)) > 50  # not a blank page
    dom = subprocess.run([*base, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120,
                         cwd=tmp_path).stdout
    assert ("<li><strong>instagram</strong>: 30 suka · 4 komentar · 900 tayangan · 7 simpanan · 700 jangkauan · "
            "dibagikan tidak diketahui</li>") in dom
