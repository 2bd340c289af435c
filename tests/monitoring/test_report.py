"""The weekly report: its numbers equal what the platforms reported (computed here from the values
set on the fakes), weeks are local ISO weeks, and every format says the same thing its own way."""
from __future__ import annotations

import csv
import io
import json
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session

from campaigner.models import Account, AccountStatus, Reply
from campaigner.services.metrics import collect
from tests.engine.conftest import deliveries
from tests.fakes.server import Response

WIB = ZoneInfo("Asia/Jakarta")
#: poll every published delivery on every collect (the default schedule thins polls out by age)
EVERY_TIME = ((timedelta(days=400), timedelta(0)),)
METRICS = ("likes", "reposts", "replies", "quotes", "impressions", "bookmarks", "clicks", "reach", "shares")
INTERACTIONS = ("likes", "reposts", "replies", "quotes")
#: what each platform's API tells (the rest is None: unknown, never 0)
TELLS = {"x": {"likes", "reposts", "replies", "quotes", "impressions", "bookmarks"},
         "mastodon": {"likes", "reposts", "replies", "quotes"}}


def wib(text: str) -> datetime:
    """A Jakarta wall-clock time as an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=WIB).astimezone(timezone.utc)


def publish(cli, engine_for, when: datetime, text: str, to: str, campaign: str | None = None) -> None:
    cli.clock.now = when
    cli.ok("post", "add", text, "--to", to, "--now", *(["--campaign", campaign] if campaign else []))
    engine_for().publish_all_due()


def report_json(cli, *args: str) -> dict:
    return json.loads(cli.ok("report", "weekly", "--format", "json", *args).stdout)


# --- the main scenario ------------------------------------------------------------------------------
#: final in-week engagement per (post text key, platform)
FINAL = {
    ("P1", "x"): dict(likes=40, reposts=10, replies=5, quotes=2, impressions=1000, bookmarks=3),
    ("P1", "mastodon"): dict(likes=20, reposts=6, replies=4, quotes=0),
    ("P2", "x"): dict(likes=15, reposts=3, replies=1, quotes=1, impressions=600, bookmarks=1),
    ("P2", "mastodon"): dict(likes=9, reposts=2, replies=0, quotes=1),
    ("P4", "x"): dict(likes=1, reposts=0, replies=0, quotes=0, impressions=40, bookmarks=0),
}
PREVIOUS = {("P0", "x"): dict(likes=20, reposts=4, replies=2, quotes=0, impressions=500, bookmarks=0)}
TEXTS = {"P0": "P0 Tapera memotong upah buruh", "P1": "P1 Tolak Tapera sekarang juga",
         "P2": "P2 Upah layak untuk semua #Buruh", "P3": "P3 Aksi nasional Jumat",
         "P4": "P4 Terima kasih kawan-kawan", "P5": "P5 Pekan depan"}


def _key(text: str) -> str:
    return text.split()[0]


def _set(fakes, ds, values_by_key, scale: int = 1) -> None:
    for d in ds:
        key = (_key(d.parts[0].text), d.account.platform)
        if key in values_by_key and d.remote_id:
            counts = {m: v * scale for m, v in values_by_key[key].items()}
            fakes[d.account.platform].set_engagement(d.remote_id, **counts)


@pytest.fixture
def week47(cli, app, engine_for, engine, platform_account):
    """Week 47 of 2026 (Mon 16 – Sun 22 Nov, WIB) on an X and a Mastodon account, with a post in
    the week before, one in the week after, a failure, and snapshots before, in and after the week."""
    fakes = {"x": platform_account("x", "x1"), "mastodon": platform_account("mastodon", "m1")}
    cli.ok("campaign", "add", "tapera", "--name", "Tolak Tapera", "--hashtag", "TolakTapera")
    # Sunday 23:30 WIB: still week 46
    publish(cli, engine_for, wib("2026-11-15 23:30"), TEXTS["P0"], "x1", "tapera")
    _set(fakes, deliveries(engine), PREVIOUS)
    cli.clock.now = wib("2026-11-15 23:45")
    collect(app, schedule=EVERY_TIME)
    # Monday 06:30 WIB — 23:30 UTC on Sunday — is week 47
    publish(cli, engine_for, wib("2026-11-16 06:30"), TEXTS["P1"], "x1,m1", "tapera")
    publish(cli, engine_for, wib("2026-11-18 12:00"), TEXTS["P2"], "x1,m1")
    cli.clock.now = wib("2026-11-19 09:00")
    _set(fakes, deliveries(engine), {**FINAL, **PREVIOUS}, scale=7)  # an earlier snapshot, superseded below
    collect(app, schedule=EVERY_TIME)
    fakes["mastodon"].fail_next(Response(422, {"error": "Validation failed: Text can't be blank"}),
                                path_contains="/statuses")
    publish(cli, engine_for, wib("2026-11-20 19:00"), TEXTS["P3"], "m1", "tapera")
    publish(cli, engine_for, wib("2026-11-22 23:59"), TEXTS["P4"], "x1")
    _set(fakes, deliveries(engine), FINAL)
    _set(fakes, deliveries(engine), PREVIOUS, scale=3)  # P0 grew in week 47: not week 46's figure
    cli.clock.now = wib("2026-11-22 23:59:30")
    collect(app, schedule=EVERY_TIME)
    # next week: a new post, and everything grows — none of it is week 47's
    publish(cli, engine_for, wib("2026-11-23 00:30"), TEXTS["P5"], "x1")
    _set(fakes, deliveries(engine), FINAL, scale=5)
    cli.clock.now = wib("2026-11-24 10:00")
    collect(app, schedule=EVERY_TIME)
    cli.clock.now = wib("2026-11-30 08:00")
    return fakes


def expected(values: dict, platforms: set[str] | None = None, keys: set[str] | None = None) -> dict:
    """Totals computed here, from the values set on the fakes and what each platform tells."""
    rows = [(plat, vals) for (k, plat), vals in values.items()
            if (platforms is None or plat in platforms) and (keys is None or k in keys)]
    out: dict = {"posts": len(rows)}
    for m in METRICS:
        known = [vals.get(m, 0) for plat, vals in rows if m in TELLS[plat]]
        out[m] = sum(known) if known else None
    inter = [sum(vals.get(m, 0) for m in INTERACTIONS) for _plat, vals in rows]
    out["interactions"] = sum(inter) if inter else None
    with_views = [(sum(vals.get(m, 0) for m in INTERACTIONS), vals["impressions"]) for plat, vals in rows
                  if "impressions" in TELLS[plat]]
    imp = sum(v for _i, v in with_views)
    out["engagement_rate"] = round(sum(i for i, _v in with_views) / imp, 6) if imp else None
    return out


def check(totals: dict, want: dict) -> None:
    got = {k: totals[k] for k in want}
    assert got == want


def test_totals_equal_what_the_platforms_reported(cli, week47):
    r = report_json(cli, "--week", "2026-W47")
    overall = r["overall"]
    assert (overall["published"], overall["failed"]) == (5, 1)
    check(overall["totals"], expected(FINAL))
    assert overall["totals"]["clicks"] is None and overall["totals"]["known"]["clicks"] == 0  # nobody tells clicks
    assert overall["totals"]["interactions"] == 120 and overall["totals"]["impressions"] == 1640  # by hand, too
    # per platform and per account
    plats = {p["platform"]: p for p in overall["platforms"]}
    check(plats["x"]["totals"], expected(FINAL, {"x"}))
    check(plats["mastodon"]["totals"], expected(FINAL, {"mastodon"}))
    assert plats["mastodon"]["totals"]["impressions"] is None  # Mastodon has no views: n/a, not 0
    assert plats["mastodon"]["totals"]["engagement_rate"] is None
    accts = {a["account"]: a for a in overall["accounts"]}
    assert (accts["x1"]["published"], accts["m1"]["published"], accts["m1"]["failed"]) == (3, 2, 1)
    check(accts["x1"]["totals"], expected(FINAL, {"x"}))
    # the previous week, computed the same way: its own latest snapshot before its own end
    check(overall["previous"]["totals"], expected(PREVIOUS))
    assert overall["previous"]["published"] == 1
    assert overall["change"]["interactions"] == 120 - 26 and overall["change"]["published"] == 4
    # per campaign
    camps = {c["campaign"]: c for c in r["campaigns"]}
    assert set(camps) == {"tapera", None}
    check(camps["tapera"]["totals"], expected(FINAL, keys={"P1"}))
    assert camps["tapera"]["failed"] == 1
    check(camps["tapera"]["previous"]["totals"], expected(PREVIOUS))
    check(camps[None]["totals"], expected(FINAL, keys={"P2", "P4"}))


def test_top_posts_hashtags_and_deliveries(cli, engine, week47):
    r = report_json(cli, "--week", "2026-W47")
    by_id = {d.id: d for d in deliveries(engine)}
    top = r["overall"]["top_posts"]
    assert [(t["account"], t["interactions"]) for t in top] == [("x1", 57), ("m1", 30), ("x1", 20), ("m1", 12),
                                                                ("x1", 1)]
    assert top[0]["url"] == by_id[top[0]["delivery_id"]].remote_url and top[0]["url"].startswith("http")
    tags = {h["tag"]: h for h in r["overall"]["hashtag_performance"]}
    assert tags["#TolakTapera"]["campaign_tag"] is True  # the campaign's tag, appended when posting
    check(tags["#TolakTapera"]["totals"], expected(FINAL, keys={"P1"}))
    check(tags["#Buruh"]["totals"], expected(FINAL, keys={"P2"}))
    assert tags["#Buruh"]["campaign_tag"] is False
    rows = r["deliveries"]
    assert sorted((d["status"], _key(d["text"])) for d in rows) == sorted(
        [("published", "P1")] * 2 + [("published", "P2")] * 2 + [("published", "P4"), ("failed", "P3")])
    failed = next(d for d in rows if d["status"] == "failed")
    assert "Validation failed" in failed["error"] and failed["metrics"]["likes"] is None


def test_week_boundaries_are_local(cli, engine_for):
    cli.ok("account", "add", "sandbox", "s1")
    publish(cli, engine_for, wib("2026-11-22 23:59"), "Minggu malam", "s1")       # Sunday 16:59 UTC
    publish(cli, engine_for, wib("2026-11-23 06:30"), "Senin pagi", "s1")         # Sunday 23:30 UTC!
    assert wib("2026-11-23 06:30").weekday() == 6  # still Sunday in UTC
    cli.clock.now = wib("2026-12-01 08:00")
    w47 = report_json(cli, "--week", "2026-W47")
    w48 = report_json(cli, "--week", "2026-W48")
    assert [d["text"] for d in w47["deliveries"]] == ["Minggu malam"]
    assert [d["text"] for d in w48["deliveries"]] == ["Senin pagi"]
    assert w48["week"] == {"iso": "2026-W48", "year": 2026, "week": 48, "first_day": "2026-11-23",
                           "last_day": "2026-11-29", "start": "2026-11-22T17:00:00Z", "end": "2026-11-29T17:00:00Z"}
    # the default is the last full week before now (Tuesday of week 49 → week 48)
    assert report_json(cli)["week"]["iso"] == "2026-W48"
    # another zone moves the week with it
    utc = json.loads(cli.ok("--timezone", "UTC", "report", "weekly", "--week", "2026-W47", "--format", "json").stdout)
    assert sorted(d["text"] for d in utc["deliveries"]) == ["Minggu malam", "Senin pagi"]


def test_a_week_with_no_posts_is_a_short_report(cli):
    cli.ok("account", "add", "sandbox", "s1")
    r = cli.ok("report", "weekly", "--week", "2026-W40")
    lines = r.stdout.splitlines()
    assert lines[:3] == ["Weekly report — Week 40, 2026", "Mon 28 Sep – Sun 4 Oct 2026 (2026-W40, Asia/Jakarta)",
                         "Generated Mon 30 Nov 2026 08:00 WIB"]
    assert "No posts were published or failed in this week." in lines
    assert len(lines) < 15
    data = report_json(cli, "--week", "2026-W40")
    assert data["overall"]["published"] == 0 and data["overall"]["totals"]["interactions"] is None
    assert data["deliveries"] == [] and data["campaigns"] == []
    for fmt in ("markdown", "html", "csv"):
        assert cli.ok("report", "weekly", "--week", "2026-W40", "--format", fmt).stdout


def test_text_key_lines_fit_80_columns(cli, week47):
    out = cli.ok("report", "weekly", "--week", "2026-W47").stdout
    lines = out.splitlines()
    assert lines[0] == "Weekly report — Week 47, 2026"
    assert lines[1] == "Mon 16 Nov – Sun 22 Nov 2026 (2026-W47, Asia/Jakarta)"
    for line in ("Published:          5 posts (+4, +400% vs last week)",
                 "Failed:             1 (last week 0)",
                 "Interactions:       120 (+94, +362% vs last week)",
                 "Impressions:        1,640 (+1,140, +228% vs last week)",
                 "Engagement rate:    4.8% (-0.4 pts vs last week)",
                 "Also:               4 bookmarks",
                 "  platform            posts   likes reposts replies  quotes     views    rate",
                 "  x                       3      56      13       6       3     1,640    4.8%",
                 "  mastodon                2      29       8       4       1         –       –",
                 " 1. 57 interactions, 5.7% · x1 (x) · Mon 16 Nov 06:30 WIB"):
        assert line in lines, f"{line!r} not in:\n{out}"
    too_wide = [x for x in lines if len(x) > 80 and not x.strip().startswith("http")]
    assert too_wide == []


def test_indonesian_labels(cli, week47):
    out = cli.ok("report", "weekly", "--week", "2026-W47", "--lang", "id").stdout
    lines = out.splitlines()
    assert lines[0] == "Laporan mingguan — Pekan ke-47 tahun 2026"
    assert lines[1] == "Sen 16 Nov – Min 22 Nov 2026 (2026-W47, Asia/Jakarta)"
    for line in ("Terbit:             5 postingan (+4, +400% dibanding pekan lalu)",
                 "Gagal:              1 (pekan lalu 0)",
                 "Interaksi:          120 (+94, +362% dibanding pekan lalu)",
                 "Tayangan:           1.640 (+1.140, +228% dibanding pekan lalu)",
                 "Tingkat interaksi:  4,8% (-0,4 poin dibanding pekan lalu)",
                 " 1. 57 interaksi, 5,7% · x1 (x) · Sen 16 Nov 06.30 WIB"):
        assert line in lines, f"{line!r} not in:\n{out}"
    for english in ("Published", "Interactions", "Impressions", "Engagement rate", "Top posts", "Needs attention",
                    "Best times", "Replies", "vs last week", "By account", " posts"):
        assert english not in out
    md = cli.ok("report", "weekly", "--week", "2026-W47", "--lang", "id", "--format", "markdown").stdout
    assert "**Keseluruhan" in md and "Postingan terbaik" in md and "Published" not in md


def test_language_tables_have_the_same_keys():
    from campaigner.report_render.i18n import STRINGS

    assert set(STRINGS["en"]) == set(STRINGS["id"])


def test_csv_has_one_row_per_delivery(cli, week47, tmp_path):
    from campaigner.report_render.csvfile import COLUMNS

    out = tmp_path / "minggu47.csv"
    r = cli.ok("report", "weekly", "--week", "2026-W47", "--format", "csv", "--out", str(out))
    assert r.stdout == f"Wrote the 2026-W47 report (csv) to {out}\n"
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows[0] == list(COLUMNS) == [
        "delivery_id", "post_id", "status", "campaign", "account", "platform", "due_local", "published_local",
        "published_utc", "late_minutes", "failed_utc", "url", "likes", "reposts", "replies", "quotes", "impressions", "bookmarks",
        "clicks", "reach", "shares", "interactions", "engagement_rate", "snapshot_utc", "gone", "hashtags", "text", "error",
        "named_metrics", "replies_question", "replies_support", "replies_oppose", "replies_other"]
    body = [dict(zip(rows[0], row)) for row in rows[1:]]
    assert len(body) == 6  # 5 published + 1 failed
    first = next(b for b in body if b["published_local"] == "2026-11-16 06:30" and b["platform"] == "x")
    assert (first["likes"], first["impressions"], first["interactions"], first["engagement_rate"]) == \
           ("40", "1000", "57", "0.0570")
    assert first["published_utc"] == "2026-11-15T23:30:00Z" and first["campaign"] == "tapera"
    mast = next(b for b in body if b["platform"] == "mastodon" and b["status"] == "published")
    assert mast["impressions"] == "" and mast["clicks"] == ""  # unknown: empty, never 0
    # the platform's own figures in its own words (X names them as we do)
    assert first["named_metrics"] == "likes 40; reposts 10; replies 5; quotes 2; impressions 1000; bookmarks 3"


def test_csv_in_indonesian_opens_in_indonesian_excel(cli, week47, tmp_path):
    """``--lang id``: Indonesian column names, ``;`` between cells, a decimal comma, a byte-order
    mark and CRLF (the excel-id dialect); ``--dialect standard`` keeps ``,`` and ``.``."""
    from campaigner.report_render.csvfile import COLUMNS, ID_NAMES

    out = tmp_path / "pekan47.csv"
    cli.ok("report", "weekly", "--week", "2026-W47", "--format", "csv", "--lang", "id", "--out", str(out))
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfid_pengiriman;id_unggahan;status;kampanye;akun;platform;jadwal_lokal;")
    assert raw.count(b"\r\n") == 7 and raw.count(b"\n") == 7  # a header and 6 rows, each ending in CRLF
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0] == [ID_NAMES[c] for c in COLUMNS]
    body = [dict(zip(COLUMNS, row)) for row in rows[1:]]
    first = next(b for b in body if b["published_local"] == "2026-11-16 06:30" and b["platform"] == "x")
    assert (first["status"], first["likes"], first["engagement_rate"]) == ("terbit", "40", "0,0570")
    assert {b["status"] for b in body} == {"terbit", "gagal"}
    standard = cli.ok("report", "weekly", "--week", "2026-W47", "--format", "csv", "--lang", "id", "--dialect",
                      "standard").stdout
    assert standard.startswith("id_pengiriman,id_unggahan,status,") and ",0.0570," in standard
    excel = cli.ok("report", "weekly", "--week", "2026-W47", "--format", "csv", "--dialect", "excel-id").stdout
    assert excel.startswith("\ufeffdelivery_id;post_id;status;") and ";0,0570;" in excel
    # the language in the config file is the default
    (cli.home / "config" / "campaigner.toml").write_text('[report]\nlang = "id"\n')
    assert cli.ok("report", "weekly", "--week", "2026-W47", "--format", "csv").stdout.startswith("\ufeffid_pengiriman;")
    (cli.home / "config" / "campaigner.toml").write_text('lang = "id"\n')
    assert cli.ok("report", "weekly", "--week", "2026-W47", "--format", "csv").stdout.startswith("\ufeffid_pengiriman;")
    r = cli("report", "weekly", "--week", "2026-W47", "--dialect", "excel-id")  # lang = "id": said in Indonesian
    assert (r.exit_code, r.stderr) == (2, "Kesalahan: --dialect hanya untuk --format csv, bukan text — lihat "
                                          "`campaigner report weekly --help`\n")
    r = cli("report", "weekly", "--week", "2026-W47", "--dialect", "excel-id", env={"CAMPAIGNER_LANG": "en"})
    assert (r.exit_code, r.stderr) == (2, "Error: --dialect is for --format csv, not text — see `campaigner report "
                                          "weekly --help`\n")


def test_json_is_versioned_with_documented_keys(cli, week47):
    r = report_json(cli, "--week", "2026-W47")
    assert r["version"] == 1 and r["report"] == "weekly" and r["complete"] is True
    assert list(r) == ["version", "report", "generated_at", "timezone", "campaign", "complete", "week",
                       "previous_week", "overall", "campaigns", "best_times", "replies", "attention",
                       "published_late", "deliveries", "share_of_voice", "inbox"]
    assert set(r["inbox"]) == {"total", "by_kind", "answered", "dismissed", "campaigns", "answers_sent",
                               "open_questions", "most_replied"}
    assert set(r["overall"]) == {"kind", "campaign", "name", "hashtags", "published", "failed", "totals", "previous",
                                 "change", "platforms", "accounts", "top_posts", "hashtag_performance",
                                 "reply_sentiment"}
    assert set(r["overall"]["totals"]) == {"posts", "measured", "gone", "deleted", *METRICS, "interactions",
                                           "engagement_rate", "known", "rate_basis"}
    assert set(r["deliveries"][0]) == {"delivery_id", "post_id", "status", "campaign", "account", "platform",
                                       "due_at", "published_at", "late_seconds", "failed_at", "url", "snapshot_at", "gone",
                                       "metrics", "named_metrics", "interactions", "engagement_rate", "hashtags",
                                       "text", "error"}
    assert set(r["best_times"]) == {"since", "until", "weeks", "min_posts", "hours", "weekdays", "best_hours",
                                    "best_weekdays", "accounts"}
    assert set(r["replies"]) == {"total", "by_sentiment", "by_language", "examples"}
    # every key the docstring promises is named in it
    from campaigner.report_render import jsonfile

    for key in (*r, *r["overall"], *r["overall"]["totals"], *r["deliveries"][0], *r["inbox"]):
        assert key in jsonfile.__doc__, key


def test_campaign_scope(cli, week47):
    r = report_json(cli, "--week", "2026-W47", "--campaign", "tapera")
    assert r["campaign"] == "tapera" and r["campaigns"] == []
    check(r["overall"]["totals"], expected(FINAL, keys={"P1"}))
    assert r["overall"]["failed"] == 1 and len(r["deliveries"]) == 3
    text = cli.ok("report", "weekly", "--week", "2026-W47", "--campaign", "tapera").stdout
    assert text.splitlines()[0] == "Weekly report — Week 47, 2026 — Tolak Tapera"
    bad = cli("report", "weekly", "--campaign", "nope")
    assert (bad.exit_code, bad.stderr) == (1, "Error: no campaign 'nope' — see `campaigner campaign list`\n")


def test_bad_week(cli):
    r = cli("report", "weekly", "--week", "2026-W60")
    assert r.exit_code == 2
    assert r.stderr == "Error: cannot read the week '2026-W60' — use an ISO week like 2026-W48\n"
    assert r.stdout == ""
    assert cli("report", "weekly", "--week", "2027-W53").exit_code == 2  # 2027 has 52 ISO weeks
    assert cli.ok("report", "weekly", "--week", "2020-W53").stdout.startswith("Weekly report — Week 53, 2020")
    assert cli.ok("report", "weekly", "--week", "2026w48").stdout.startswith("Weekly report — Week 48, 2026")


def test_best_times_use_each_accounts_local_hours(cli, app, engine_for, engine, platform_account):
    fake = platform_account("mastodon", "m1")
    cli.ok("account", "edit", "m1", "--timezone", "Asia/Makassar")  # WITA, UTC+8
    # three posts a week at 19:00 WIB (20:00 WITA) do well, three at 08:00 WIB (09:00 WITA) do not
    for day in ("2026-11-17", "2026-11-18", "2026-11-19"):
        publish(cli, engine_for, wib(f"{day} 08:00"), f"Pagi {day}", "m1")
        publish(cli, engine_for, wib(f"{day} 19:00"), f"Malam {day}", "m1")
    for d in deliveries(engine):
        fake.set_engagement(d.remote_id, likes=50 if d.parts[0].text.startswith("Malam") else 5)
    cli.clock.now = wib("2026-11-20 12:00")
    collect(app, schedule=EVERY_TIME)
    cli.clock.now = wib("2026-11-30 08:00")
    bt = report_json(cli, "--week", "2026-W47")["best_times"]
    assert bt["best_hours"][0] == {"hour": 20, "posts": 3, "interactions": 150, "average": 50.0}
    assert [h["hour"] for h in bt["best_hours"]] == [20, 9]
    assert bt["accounts"][0]["best_hour"] == 20 and bt["accounts"][0]["timezone"] == "Asia/Makassar"
    assert {w["weekday"]: w["posts"] for w in bt["weekdays"] if w["posts"]} == {1: 2, 2: 2, 3: 2}
    text = cli.ok("report", "weekly", "--week", "2026-W47").stdout
    # two posts a weekday are too few to name a best day
    assert "  m1: best at 20:00 (6 posts, Asia/Makassar)" in text.splitlines(), text
    assert "By weekday:         not enough posts yet" in text.splitlines()


def test_reply_sentiment(cli, engine_for, engine, db_url):
    cli.ok("account", "add", "sandbox", "s1")
    publish(cli, engine_for, wib("2026-11-17 09:00"), "Tolak Tapera!", "s1")
    [d] = deliveries(engine)
    rows = [("Setuju sekali, hidup buruh!", "id", 0.8, "positive", "2026-11-17 10:00"),
            # the same words again (case, punctuation, emoji aside): one example, not two
            ("SETUJU sekali... hidup buruh!! 💪", "id", 0.8, "positive", "2026-11-17 12:00"),
            ("Mantap, lanjutkan", "id", 0.5, "positive", "2026-11-18 10:00"),
            ("Biasa saja", "id", 0.0, "neutral", "2026-11-18 11:00"),
            ("Great point", "en", 0.6, "positive", "2026-11-19 10:00"),
            ("Terrible idea", "en", -0.7, "negative", "2026-11-19 11:00"),
            ("Outside the week", "en", -0.9, "negative", "2026-11-23 10:00")]
    with Session(engine) as s:
        for i, (text, lang, pol, label, at) in enumerate(rows):
            s.add(Reply(delivery_id=d.id, remote_id=f"r{i}", author=f"a{i}", text=text, language=lang,
                        polarity=pol, sentiment=label, created_at=wib(at), collected_at=wib(at)))
        s.commit()
    cli.clock.now = wib("2026-11-30 08:00")
    rep = report_json(cli, "--week", "2026-W47")["replies"]
    assert rep["total"] == 6
    assert rep["by_sentiment"] == {"positive": 4, "neutral": 1, "negative": 1, "unscored": 0}
    assert [(x["language"], x["total"], x["by_sentiment"]["positive"]) for x in rep["by_language"]] == \
           [("id", 4, 3), ("en", 2, 1)]
    assert [x["text"] for x in rep["examples"]["positive"]] == ["Setuju sekali, hidup buruh!", "Great point",
                                                                "Mantap, lanjutkan"]
    assert [x["text"] for x in rep["examples"]["negative"]] == ["Terrible idea"]
    text = cli.ok("report", "weekly", "--week", "2026-W47").stdout
    assert "6 replies: 4 positive, 1 neutral, 1 negative" in text


def test_a_hashtag_is_spelled_as_most_of_its_deliveries_spell_it(cli, engine_for):
    """Each delivery counts its spelling (the week is added up by groups of alike deliveries: a
    group of two counts twice). #Buruh comes first, #BURUH twice after it on the same account."""
    cli.ok("account", "add", "sandbox", "s1")
    publish(cli, engine_for, wib("2026-11-17 09:00"), "Hidup #Buruh", "s1")
    publish(cli, engine_for, wib("2026-11-18 09:00"), "Upah layak #BURUH", "s1")
    publish(cli, engine_for, wib("2026-11-19 09:00"), "Mogok nasional #BURUH", "s1")
    cli.clock.now = wib("2026-11-30 08:00")
    tags = report_json(cli, "--week", "2026-W47")["overall"]["hashtag_performance"]
    assert [(h["tag"], h["totals"]["posts"]) for h in tags] == [("#BURUH", 3)]


def test_accounts_needing_attention(cli, engine, week47):
    now = wib("2026-11-30 08:00")
    with Session(engine) as s:
        s.execute(update(Account).where(Account.name == "m1").values(
            status=AccountStatus.PAUSED, status_reason="the platform refused its credentials (401)"))
        s.execute(update(Account).where(Account.name == "x1").values(
            held_until=now + timedelta(minutes=15), held_reason="rate limited by x",
            token_expires_at=now + timedelta(days=5)))
        s.commit()
    cli.ok("account", "add", "sandbox", "s1")
    with Session(engine) as s:
        s.execute(update(Account).where(Account.name == "s1").values(token_expires_at=now + timedelta(days=30)))
        s.commit()
    att = report_json(cli, "--week", "2026-W47")["attention"]
    assert [(a["account"], a["kind"]) for a in att] == [("m1", "paused"), ("x1", "held"), ("x1", "token_expiring")]
    assert att[0]["reason"] == "the platform refused its credentials (401)"
    text = cli.ok("report", "weekly", "--week", "2026-W47").stdout.splitlines()
    assert "  - m1 (mastodon): paused — the platform refused its credentials (401) — once" in text
    assert "  - x1 (x): token expires Sat 5 Dec 2026 08:00 WIB" in text


def test_repeated_failures_need_attention(cli, platform_account):
    fake = platform_account("mastodon", "m1")
    for i in range(2):
        fake.fail_next(Response(422, {"error": "Validation failed"}), path_contains="/statuses")
        cli.clock.now = wib(f"2026-11-1{7 + i} 09:00")
        cli.ok("post", "add", f"Gagal {i}", "--to", "m1", "--now")
        cli("publish")
    cli.clock.now = wib("2026-11-30 08:00")
    att = report_json(cli, "--week", "2026-W47")["attention"]
    assert [(a["account"], a["kind"], a["failed_posts"]) for a in att] == [("m1", "failures", 2)]


def test_html_is_one_self_contained_file(cli, engine, week47, tmp_path):
    import base64
    import re
    from xml.etree import ElementTree

    out = tmp_path / "r.html"
    cli.ok("report", "weekly", "--week", "2026-W47", "--format", "html", "--out", str(out))
    html = out.read_text(encoding="utf-8")
    assert html.startswith("<!doctype html>") and '<meta name="viewport" content="width=device-width' in html
    assert not re.search(r"""\ssrc\s*=\s*["']?(https?:)?//""", html, re.I)  # nothing loaded from elsewhere
    assert not re.search(r"<link\b|@import|url\(|<script\b|<iframe\b", html, re.I)
    images = dict(re.findall(r'<img class="chart" alt="([^"]+)" src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"',
                             html))
    assert len(images) == 3 and len(re.findall(r"<img\b", html)) == 3  # no replies: no sentiment chart
    svgs = {alt: ElementTree.fromstring(base64.b64decode(b)) for alt, b in images.items()}
    svg = "{http://www.w3.org/2000/svg}"
    for root in svgs.values():
        assert root.tag == f"{svg}svg" and root.get("width") and root.get("height")
        assert not list(root.iter(f"{svg}script"))  # pygal's tooltip script is taken out
        assert not [v for el in root.iter() for v in el.attrib.values() if "http" in v and "w3.org" not in v]
    # the accounts chart: a bar per account and week, each carrying its value (interactions)
    accounts = svgs["Interactions per account (this week and last week)"]
    texts = [el.text for el in accounts.iter(f"{svg}text")]
    assert "x1" in texts and "m1" in texts
    values = [el.text for el in accounts.iter(f"{svg}desc") if el.get("class") == "value"]
    x1 = sum(FINAL[k, "x"][m] for k in ("P1", "P2", "P4") for m in INTERACTIONS)
    m1 = sum(FINAL[k, "mastodon"][m] for k in ("P1", "P2") for m in INTERACTIONS)
    x1_before = sum(PREVIOUS["P0", "x"][m] for m in INTERACTIONS)
    assert sorted(values) == sorted([str(x1), str(m1), str(x1_before), "0"])
    assert {"Average interactions per post by local hour", "Average interactions per post by weekday"} <= set(svgs)
    links = set(re.findall(r'<a href="([^"]+)"', html))
    assert links and links <= {d.remote_url for d in deliveries(engine)}  # links to the posts only


def test_help_loads_no_heavy_library():
    import subprocess
    import sys

    code = ("import sys\nfrom campaigner.cli.main import main\n"
            "try:\n    main(['report', 'weekly', '--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in ('sqlalchemy', 'pygal', 'matplotlib', 'alembic', 'textblob') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "--format [text|markdown|html|csv|json]" in r.stdout
    assert r.stdout.strip().splitlines()[-1] == "[]"


def test_best_times_follow_daylight_saving(cli, app, engine_for):
    """19:00 in Berlin is 17:00 UTC in summer and 18:00 UTC in winter: both count as 19:00."""
    berlin = ZoneInfo("Europe/Berlin")
    cli.ok("account", "add", "sandbox", "s1", "--timezone", "Europe/Berlin")
    for day in ("2026-10-20", "2026-10-21", "2026-10-22", "2026-10-27", "2026-10-28", "2026-10-29"):
        when = datetime.fromisoformat(f"{day} 19:00").replace(tzinfo=berlin).astimezone(timezone.utc)
        publish(cli, engine_for, when, f"Abend {day}", "s1")
        cli.clock.advance(hours=3)
        collect(app, schedule=EVERY_TIME)
    cli.clock.now = wib("2026-11-30 08:00")
    bt = report_json(cli, "--week", "2026-W44")["best_times"]
    [acct] = bt["accounts"]
    assert {h["hour"]: h["posts"] for h in acct["hours"] if h["posts"]} == {19: 6}
    assert {w["weekday"]: w["posts"] for w in acct["weekdays"] if w["posts"]} == {1: 2, 2: 2, 3: 2}
    assert acct["best_hour"] == 19


def test_gone_posts_count_as_unknown_not_zero(cli, app, engine_for, engine, platform_account):
    fake = platform_account("mastodon", "m1")
    publish(cli, engine_for, wib("2026-11-17 09:00"), "Satu", "m1")
    publish(cli, engine_for, wib("2026-11-17 10:00"), "Dua", "m1")
    gone, kept = deliveries(engine)
    fake.set_engagement(gone.remote_id, likes=100)
    fake.set_engagement(kept.remote_id, likes=7)
    cli.clock.now = wib("2026-11-18 09:00")
    collect(app, schedule=EVERY_TIME)          # the first one had 100 likes…
    fake.remove_post(gone.remote_id)
    cli.clock.now = wib("2026-11-19 09:00")
    collect(app, schedule=EVERY_TIME)          # …then the platform lost it
    cli.clock.now = wib("2026-11-30 08:00")
    totals = report_json(cli, "--week", "2026-W47")["overall"]["totals"]
    assert (totals["posts"], totals["measured"], totals["gone"], totals["likes"]) == (2, 1, 1, 7)
    text = cli.ok("report", "weekly", "--week", "2026-W47").stdout
    assert "(1 of 2 posts measured; 1 gone from their platform)" in text


def test_the_current_week_is_marked_unfinished(cli, engine_for):
    cli.ok("account", "add", "sandbox", "s1")
    publish(cli, engine_for, wib("2026-12-01 09:00"), "Selasa", "s1")
    cli.clock.now = wib("2026-12-02 12:00")
    r = report_json(cli, "--week", "2026-W49")
    assert r["complete"] is False and r["overall"]["published"] == 1
    text = cli.ok("report", "weekly", "--week", "2026-W49").stdout.splitlines()
    assert text[3] == "This week is not over yet: figures up to Wed 2 Dec 12:00 WIB."


def test_sql_totals_and_totals_of_lines_follow_one_rule(app, engine, week47):
    """An account's totals come from SQL (``period_totals``), a hashtag's from the week's delivery
    lines (``totals_of``): on the same deliveries both give the same figures, edge cases included."""
    from sqlalchemy import select

    from campaigner.models import Campaign, MetricSnapshot
    from campaigner.services.report import Totals, build_weekly, period_totals, totals_of

    by_id = {d.id: d for d in deliveries(engine)}
    x1 = [i for i, d in by_id.items() if d.account.name == "x1"]
    m1 = sorted(i for i, d in by_id.items() if d.account.name == "m1" and d.remote_id)
    with Session(engine) as s:
        # every x1 post: interactions but 0 impressions (the rate has no basis)
        s.execute(update(MetricSnapshot).where(MetricSnapshot.delivery_id.in_(x1)).values(impressions=0))
        # an m1 post gone from its platform whose snapshot still holds a number: it counts none
        s.execute(update(MetricSnapshot).where(MetricSnapshot.delivery_id == m1[0]).values(missing=True, likes=5))
        s.commit()
    report = build_weekly(app, week="2026-W47")
    with Session(engine) as s:
        sql = period_totals(s, engine.dialect.name, report.week.start, report.week.end, None)
        slugs = {c.id: c.slug for c in s.scalars(select(Campaign))} | {None: None}
    names = {d.account_id: d.account.name for d in by_id.values()}
    assert len(sql) > 2
    for (cid, aid), period in sql.items():
        lines = [d for d in report.deliveries if (d.campaign, d.account) == (slugs[cid], names[aid])]
        assert period.totals == totals_of(lines), (slugs[cid], names[aid])
    def account_totals(name: str) -> Totals:
        t = Totals()
        for (_cid, aid), period in sql.items():
            if names[aid] == name:
                t.add(period.totals)
        return t

    x1_totals = account_totals("x1")
    assert x1_totals.rate_interactions == x1_totals.interactions > 0 and x1_totals.rate_impressions == 0
    assert x1_totals.engagement_rate is None
    m1_totals = account_totals("m1")
    assert m1_totals.gone == 1


def test_the_weeks_lines_held_as_columns_are_its_delivery_lines(app, engine, week47):
    """The report holds the week's lines column by column (``DeliveryLines``, worked out a column
    at a time): each column, the worked-out ones too (measured, interactions, rate, late), is what
    the ``DeliveryLine`` of each line holds; a line looked at one by one is that ``DeliveryLine``."""
    from campaigner.models import MetricSnapshot
    from campaigner.services.report import DeliveryLines, build_weekly

    with Session(engine) as s:  # a line gone from its platform, besides the published and failed ones
        gone = next(d.id for d in deliveries(engine) if d.remote_id and d.published_at is not None
                    and wib("2026-11-16 00:00") <= d.published_at < wib("2026-11-22 12:00"))
        s.add(MetricSnapshot(delivery_id=gone, collected_at=wib("2026-11-22 23:59:50"), missing=True, raw={}))
        s.commit()
    lines = build_weekly(app, week="2026-W47").deliveries
    assert isinstance(lines, DeliveryLines)
    one_by_one = list(lines)
    assert {d.status for d in one_by_one} == {"published", "failed"} and any(d.gone for d in one_by_one)
    assert any(d.interactions is not None for d in one_by_one) and any(not d.measured for d in one_by_one)
    again = DeliveryLines.of(one_by_one)  # (from the DeliveryLines' own fields)
    assert again.columns == lines.columns and again.figures == lines.figures
    assert lines[-1] == one_by_one[-1] and lines[1:3] == one_by_one[1:3] and len(lines) == len(one_by_one)
    assert lines == one_by_one and lines == again and lines != one_by_one[:-1]
    assert build_weekly(app, week="2026-W47") == build_weekly(app, week="2026-W47")


def test_the_weeks_figures_from_its_lines_are_those_sql_gives(app, engine, week47):
    """The report adds up its week from the delivery lines it read (``_week_totals``) and works out
    their best-times rows in Python (``history_of``): the same as asking SQL (``period_totals``,
    ``history``) over the same deliveries, in accounts of zones with and without clock changes."""
    from collections import Counter, defaultdict

    from sqlalchemy import select

    from campaigner.services.report import _week_totals, build_weekly, history, history_of, period_totals

    with Session(engine) as s:
        accounts = list(s.scalars(select(Account).order_by(Account.id)))
        for a, zone in zip(accounts, ("America/New_York", "Asia/Jayapura", None, "Europe/Berlin")):
            a.timezone = zone
        s.commit()
        zones: dict[str, list[int]] = defaultdict(list)
        for a in accounts:
            zones[a.timezone or "Asia/Jakarta"].append(a.id)
    report = build_weekly(app, week="2026-W47")
    week, dialect = report.week, engine.dialect.name
    since = week.start - timedelta(weeks=7)
    with Session(engine) as s:
        sql = period_totals(s, dialect, week.start, week.end, None)
        sql_history = history(s, dialect, since, week.end, None, zones)
        before = history(s, dialect, since, week.end, None, zones, published_before=week.start)
    assert _week_totals(report.deliveries)[0] == sql
    assert sql_history and before  # (week47 has a post the week before too)

    def slots(rows) -> Counter:
        out: Counter = Counter()
        for a, w, h, n, total in rows:
            out[a, w, h, "n"] += n
            out[a, w, h, "total"] += total
        return out

    assert slots(before + history_of(report.deliveries, since, week.end, zones)) == slots(sql_history)


def test_best_times_look_back_starts_at_local_midnight_across_a_clock_change(cli):
    """Eight weeks back from a week after a clock change begin at local Monday 00:00 of the first
    of those weeks, not at the week's end minus 56 × 24 hours (an hour off)."""
    for zone, since in (("America/New_York", "2026-09-14T04:00:00Z"), ("Europe/Berlin", "2026-09-13T22:00:00Z")):
        data = json.loads(cli.ok("--timezone", zone, "report", "weekly", "--week", "2026-W45", "--format", "json").stdout)
        assert data["best_times"]["since"] == since, zone


def test_build_weekly_refuses_a_week_that_has_not_started_as_the_cli_does(app):
    from campaigner.errors import InvalidInput
    from campaigner.services.report import build_weekly

    with pytest.raises(InvalidInput, match="the week 2027-W48 has not started yet"):
        build_weekly(app, week="2027-W48")


def test_posts_taken_down_show_as_deleted(cli, app, engine, week47):
    """A post deleted with `post delete` before the week ended is published-and-deleted: counted as
    published (it went out), shown as deleted (not gone, not failed), its engagement before it was
    taken down kept, and not a top post. One deleted after the week is that week's ordinary post."""
    from sqlalchemy import select

    from campaigner.models import Campaign, MetricSnapshot
    from campaigner.services.report import build_weekly, period_totals, totals_of

    before = report_json(cli, "--week", "2026-W47")
    by_key = {(_key(d.parts[0].text), d.account.name): d for d in deliveries(engine)}
    p2_x1, p1_m1, p1_x1 = by_key[("P2", "x1")], by_key[("P1", "m1")], by_key[("P1", "x1")]
    cli.clock.now = wib("2026-11-21 10:00")  # in the week
    assert cli.ok("post", "delete", str(p2_x1.post_id), "--account", "x1").stdout == (
        f"Deleted post {p2_x1.post_id} on x1.\n")
    assert p2_x1.remote_id not in week47["x"].posts()
    cli.clock.now = wib("2026-11-30 08:00")  # after it
    cli.ok("post", "delete", str(p1_m1.post_id), "--account", "m1")
    r = report_json(cli, "--week", "2026-W47")
    assert r["overall"]["totals"] == {**before["overall"]["totals"], "deleted": 1}
    assert (r["overall"]["published"], r["overall"]["failed"]) == (5, 1)
    status = {d["delivery_id"]: d["status"] for d in r["deliveries"]}
    assert (status[p2_x1.id], status[p1_m1.id], status[p1_x1.id]) == ("deleted", "published", "published")
    line = next(d for d in r["deliveries"] if d["delivery_id"] == p2_x1.id)
    assert line["gone"] is False and line["metrics"]["likes"] == FINAL[("P2", "x")]["likes"]
    assert p2_x1.id not in [t["delivery_id"] for t in r["overall"]["top_posts"]]
    assert [t["delivery_id"] for t in before["overall"]["top_posts"] if t["delivery_id"] != p2_x1.id] == [
        t["delivery_id"] for t in r["overall"]["top_posts"]]
    text = cli.ok("report", "weekly", "--week", "2026-W47").stdout
    assert "(5 of 5 posts measured; 1 taken down (deleted))" in text
    assert "(5 dari 5 postingan terukur; 1 sudah diturunkan (dihapus))" in cli.ok(
        "report", "weekly", "--week", "2026-W47", "--lang", "id").stdout
    rows = list(csv.DictReader(io.StringIO(cli.ok("report", "weekly", "--week", "2026-W47", "--format", "csv").stdout)))
    assert sorted(row["status"] for row in rows) == ["deleted", "failed"] + ["published"] * 4
    # a poll that saw it gone (racing the delete) makes it unmeasured, still deleted, never "gone";
    # the SQL totals and the lines' totals agree on it
    with Session(engine) as s:
        s.add(MetricSnapshot(delivery_id=p2_x1.id, collected_at=wib("2026-11-22 23:59:50"), missing=True, raw={}))
        s.commit()
    totals = report_json(cli, "--week", "2026-W47")["overall"]["totals"]
    assert (totals["posts"], totals["measured"], totals["gone"], totals["deleted"]) == (5, 4, 0, 1)
    report = build_weekly(app, week="2026-W47")
    with Session(engine) as s:
        sql = period_totals(s, engine.dialect.name, report.week.start, report.week.end, None)
        slugs = {c.id: c.slug for c in s.scalars(select(Campaign))} | {None: None}
    names = {d.account_id: d.account.name for d in deliveries(engine)}
    assert len(sql) > 2
    for (cid, aid), period in sql.items():
        lines = [d for d in report.deliveries if (d.campaign, d.account) == (slugs[cid], names[aid])]
        assert period.totals == totals_of(lines), (slugs[cid], names[aid])


def test_one_is_singular_in_both_languages():
    from zoneinfo import ZoneInfo

    from campaigner.report_render.common import attention_text
    from campaigner.report_render.i18n import Lang
    from campaigner.services.report import AttentionItem

    en, id_ = Lang("en"), Lang("id")
    assert en.count("replies_total", 1) == "1 reply" and en.count("replies_total", 1200) == "1,200 replies"
    assert id_.count("replies_total", 1) == "1 balasan"
    assert en.count("measured", 1, measured="1", posts="1") == "1 of 1 post measured"
    item = AttentionItem("x1", "x", "failures", failed_posts=1, failed_attempts=3)
    assert attention_text(item, en, ZoneInfo("Asia/Jakarta")) == "x1 (x): 1 failed post, 3 failed attempts this week"
    assert attention_text(item, id_, ZoneInfo("Asia/Jakarta")) == (
        "x1 (x): 1 postingan gagal, 3 percobaan gagal pekan ini")
