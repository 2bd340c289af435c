"""Listening through the CLI, on the real database (SQLite, or PostgreSQL with
CAMPAIGNER_TEST_DATABASE_URL) and the platform fakes over HTTP: comparison tags on a campaign,
``listen collect`` storing each platform's daily counts beyond our own posts (and updating them),
``listen show``, the daemon's once-a-day job, the weekly report's share of voice in every format,
and the one-line errors of the common mistakes."""
from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigner.models import Campaign, TagCount
from campaigner.secrets import env_name
from tests.fakes import mastodon as mastodon_fake

WIB = ZoneInfo("Asia/Jakarta")
D = date(2026, 11, 29)  # Sunday; the tests' clock is Monday 30 Nov 08:00 WIB


def wib(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB).astimezone(timezone.utc)


def config(home, text: str) -> None:
    (home / "config" / "campaigner.toml").write_text(text)


@pytest.fixture
def world(cli, home, serve, engine_for, platform_account, monkeypatch):
    """A Mastodon, a Bluesky and an X account on their fakes, a second Mastodon instance listened
    to without an account, the campaign ``tapera`` (#TolakTapera vs #TaperaUntukRakyat), our own
    post on all three accounts on Sunday 10:00 WIB, and the public's posts of the week."""
    fakes = {"mastodon": platform_account("mastodon", "m1"), "bluesky": platform_account("bluesky", "b1"),
             "x": platform_account("x", "x1")}
    monkeypatch.setenv(env_name("x1", "BEARER_TOKEN"), fakes["x"].APP_BEARER)
    other = serve(mastodon_fake.Fake())
    config(home, f'[listening]\nx_counts = true\nmastodon_instances = ["{other.base_url}/"]\n')
    cli.ok("campaign", "add", "tapera", "--name", "Tolak Tapera", "--hashtag", "TolakTapera")
    assert cli.ok("campaign", "edit", "tapera", "--compare-tag", "TaperaUntukRakyat").stdout == \
        "Updated campaign tapera. Comparison tags: #TaperaUntukRakyat.\n"
    cli.clock.now = wib("2026-11-29 10:00")
    cli.ok("post", "add", "Tolak potongan upah!", "--to", "m1,b1,x1", "--now", "--campaign", "tapera")
    engine_for().publish_all_due()
    cli.clock.now = wib("2026-11-30 08:00")
    # Mastodon: what other servers sent (UTC days); our own status is counted by the instance itself
    fakes["mastodon"].set_tag_history("TolakTapera", {D: (7, 5), D - timedelta(days=1): (3, 2)})
    fakes["mastodon"].set_tag_history("TaperaUntukRakyat", {D: (2, 2)})
    # the other instance: our post reached it too (5 with ours)
    other.set_tag_history("TolakTapera", {D: 5})
    other.set_tag_history("TaperaUntukRakyat", {D: 1})
    # Bluesky: 23:30 WIB is still Sunday in Jakarta
    for i, when in enumerate(["2026-11-29 07:00", "2026-11-29 12:00", "2026-11-29 18:00", "2026-11-29 21:00",
                              "2026-11-29 23:30"]):
        fakes["bluesky"].add_public_post(f"warga{i}.bsky.social", f"Tolak! #TolakTapera {i}", wib(when))
    fakes["bluesky"].add_public_post("pro1.bsky.social", "#TaperaUntukRakyat bagus", wib("2026-11-28 09:00"))
    fakes["bluesky"].add_public_post("pro2.bsky.social", "#TaperaUntukRakyat ya", wib("2026-11-28 10:00"))
    # X: six posts and a repost with the tag on Sunday, three of the other side
    for i in range(6):
        fakes["x"].add_public_post(f"#TolakTapera suara {i}", wib("2026-11-29 08:00") + timedelta(hours=i))
    fakes["x"].add_public_post("#TolakTapera suara 0", wib("2026-11-29 15:00"), retweet=True)
    for i in range(3):
        fakes["x"].add_public_post(f"#TaperaUntukRakyat {i}", wib("2026-11-29 09:00") + timedelta(hours=i))
    fakes["other"] = other
    return fakes


def shown(cli, *args: str) -> dict:
    return json.loads(cli.ok("listen", "show", "--json", *args).stdout)


def counts_of(data: dict) -> dict[tuple[str, str, str], tuple[int, int, bool]]:
    """(tag, platform, day) → (posts, own, at_least), for the sources of one platform each."""
    out = {}
    for c in data["campaigns"]:
        for row in c["counts"]:
            out[(row["tag"], row["platform"] if row["platform"] != "mastodon" else row["source"], row["day"])] = \
                (row["posts"], row["own"], row["at_least"])
    return out


def test_collect_stores_each_platforms_daily_counts_beyond_our_own(cli, world, engine):
    r = cli.ok("listen", "collect")
    m_host, o_host = (f.base_url.split("//")[1] for f in (world["mastodon"], world["other"]))
    b_host, x_host = (f.base_url.split("//")[1] for f in (world["bluesky"], world["x"]))
    assert r.stdout.splitlines()[0] == ("Counted #TolakTapera #TaperaUntukRakyat (tapera) from 2026-11-24 to "
                                        "2026-11-30: 56 day counts stored, 20 requests.")
    assert sorted(r.stdout.splitlines()[1:]) == sorted([
        f"  mastodon {m_host}: 14 day counts, 2 requests", f"  mastodon {o_host}: 14 day counts, 2 requests",
        f"  bluesky {b_host}: 14 day counts, 14 requests", f"  x {x_host}: 14 day counts, 2 requests"])
    assert world["x"].counts_requests == 2  # one billed request per tag, for 7 days
    got = counts_of(shown(cli))
    sunday = "2026-11-29"
    assert got[("tolaktapera", m_host, sunday)] == (7, 1, False)   # 8 on the instance, ours taken off
    assert got[("tolaktapera", m_host, "2026-11-28")] == (3, 0, False)
    assert got[("taperauntukrakyat", m_host, sunday)] == (2, 0, False)
    assert got[("tolaktapera", o_host, sunday)] == (4, 1, False)
    assert got[("tolaktapera", "bluesky", sunday)] == (5, 1, False)
    assert got[("taperauntukrakyat", "bluesky", "2026-11-28")] == (2, 0, False)
    assert got[("tolaktapera", "x", sunday)] == (6, 1, False)      # the repost is not counted
    assert got[("taperauntukrakyat", "x", sunday)] == (3, 0, False)
    assert got[("tolaktapera", "bluesky", "2026-11-30")] == (0, 0, True)  # today: not over
    # Mastodon's days are UTC days, the others' WIB days
    zones = {(row["platform"], row["day_zone"]) for c in shown(cli)["campaigns"] for row in c["counts"]}
    assert zones == {("mastodon", "UTC"), ("bluesky", "Asia/Jakarta"), ("x", "Asia/Jakarta")}
    # the instance listened to without an account was asked without a token
    assert all(req.header("Authorization") is None for req in world["other"].calls("GET", "/api/v1/tags/"))
    assert all(req.header("Authorization") for req in world["mastodon"].calls("GET", "/api/v1/tags/"))


def test_collecting_again_updates_the_days_and_never_a_whole_day_with_a_partial_one(cli, world, engine, home):
    cli.ok("listen", "collect", "--platform", "bluesky")
    with Session(engine) as s:
        rows = s.scalar(select(func.count()).select_from(TagCount))
    for i in range(150):  # Saturday gets busy: 150 more posts are found on the next collection
        world["bluesky"].add_public_post(f"late{i}.bsky.social", f"#TolakTapera {i}",
                                         wib("2026-11-28 06:00") + timedelta(minutes=i))
    cli.ok("listen", "collect", "--platform", "bluesky")
    got = counts_of(shown(cli))
    assert got[("tolaktapera", "bluesky", "2026-11-28")] == (150, 0, False)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(TagCount)) == rows  # updated, not added
    # with one page a day, Saturday's search is cut short: "at least 100" does not replace 150
    config(home, (home / "config" / "campaigner.toml").read_text() + "bluesky_pages = 1\n")
    cli.ok("listen", "collect", "--platform", "bluesky")
    assert counts_of(shown(cli))[("tolaktapera", "bluesky", "2026-11-28")] == (150, 0, False)
    # a day not over is updated by a later, fuller count
    world["bluesky"].add_public_post("pagi.bsky.social", "#TolakTapera pagi", wib("2026-11-30 07:30"))
    cli.ok("listen", "collect", "--platform", "bluesky")
    assert counts_of(shown(cli))[("tolaktapera", "bluesky", "2026-11-30")] == (1, 0, True)


def test_show_prints_days_platforms_and_the_share(cli, world):
    cli.ok("listen", "collect", "--days", "2")
    out = cli.ok("listen", "show", "--campaign", "tapera", "--days", "2").stdout
    lines = out.splitlines()
    assert lines[0] == "Campaign tapera (Tolak Tapera): #TolakTapera vs #TaperaUntukRakyat"
    assert lines[1].split() == ["DAY", "PLATFORM", "SOURCE", "#TolakTapera", "#TaperaUntukRakyat", "SHARE"]
    x_host = world["x"].base_url.split("//")[1]
    assert f"2026-11-29 x {x_host} 6 3 67%" in [" ".join(line.split()) for line in lines]
    m_host = world["mastodon"].base_url.split("//")[1]
    assert f"2026-11-29 UTC mastodon {m_host} 7 2 78%" in [" ".join(line.split()) for line in lines]
    assert lines[-3:] == ["Days are Asia/Jakarta days; Mastodon's are UTC days, as each instance counts them.",
                          "Our own posts are not counted. Platforms are not added up: each counts a different public.",
                          "≥: at least (the day was not over, or the platform showed no more)."]
    # today, not over: "at least", and so is the share
    b_host = world["bluesky"].base_url.split("//")[1]
    assert f"2026-11-30 bluesky {b_host} ≥0 ≥0 –" in [" ".join(line.split()) for line in lines]


def test_x_is_not_asked_unless_enabled(cli, world, home):
    config(home, "")
    r = cli.ok("listen", "collect")
    assert "  x: not counted: off (X bills every request) — to count there, set x_counts = true in [listening]" \
        in r.stdout.splitlines()
    assert world["x"].counts_requests == 0
    r = cli("listen", "collect", "--platform", "x")
    assert (r.exit_code, r.stdout) == (1, "")
    assert r.stderr == ("Error: X counts are not enabled (X bills every request on its pay-per-use plan) — to turn "
                        f"them on, put x_counts = true in the [listening] table of {home / 'config' / 'campaigner.toml'}\n")
    assert world["x"].counts_requests == 0


def test_x_counts_need_a_bearer_token(cli, world, monkeypatch):
    monkeypatch.delenv(env_name("x1", "BEARER_TOKEN"))
    r = cli("listen", "collect", "--platform", "x")
    assert r.exit_code == 1
    assert r.stderr == ("Error: cannot count X hashtags: no X account has a BEARER_TOKEN — set the app's Bearer "
                        "token: campaigner account set-secret x1 BEARER_TOKEN\n")


def test_common_mistakes_are_one_line_and_change_nothing(cli, world, engine):
    def error(*args: str) -> str:
        r = cli(*args)
        assert r.exit_code != 0 and r.stdout == "" and r.stderr.count("\n") == 1, r.output
        assert "Traceback" not in r.stderr
        return r.stderr

    cli.ok("campaign", "add", "tanpa", "--name", "Tanpa tagar")
    assert error("listen", "collect", "--campaign", "nope") == \
        "Error: no campaign 'nope' — see `campaigner campaign list`\n"
    assert error("listen", "collect", "--campaign", "tanpa") == \
        "Error: campaign 'tanpa' has no hashtags to listen for — add one: campaigner campaign edit tanpa " \
        "--hashtag '#UpahLayak'\n"
    assert error("listen", "show", "--campaign", "tanpa") == \
        "Error: campaign 'tanpa' has no hashtags to listen for — add one: campaigner campaign edit tanpa " \
        "--hashtag '#UpahLayak'\n"
    assert error("listen", "collect", "--platform", "facebook") == \
        "Error: Facebook Page has no public hashtag counts — listen on mastodon, bluesky, sandbox, x\n"
    assert error("listen", "collect", "--platform", "myspace") == \
        "Error: unknown platform 'myspace' — listen on mastodon, bluesky, sandbox, x\n"
    assert error("listen", "collect", "--days", "8") == \
        "Error: --days must be from 1 to 7, got 8 — Mastodon's history and X's recent counts reach 7 days back\n"
    assert error("campaign", "edit", "nope", "--compare-tag", "X") == \
        "Error: no campaign 'nope' — see `campaigner campaign list`\n"
    assert error("campaign", "edit", "tapera") == \
        "Error: nothing to change: give --name, --issue, --hashtag, --start, --end, --against, --for or " \
        "--compare-tag — see `campaigner campaign edit --help`\n"
    assert error("campaign", "edit", "tapera", "--compare-tag", "#tolaktapera") == \
        "Error: #tolaktapera would be both a hashtag and a comparison tag of campaign 'tapera' — a comparison tag " \
        "is another side's tag, e.g. --compare-tag #TaperaUntukRakyat\n"
    assert error("campaign", "edit", "tapera", "--compare-tag", "#Baru", "--no-compare-tag", "#TidakAda") == \
        "Error: campaign 'tapera' has no comparison tag #TidakAda — its comparison tags: #TaperaUntukRakyat " \
        "(see campaign show tapera)\n"
    assert error("campaign", "edit", "tapera", "--compare-tag", "#Baru", "--compare-tag", "tolak tapera") == \
        "Error: bad hashtag 'tolak tapera' — use letters, digits and _ only (no spaces, punctuation or emoji), " \
        "e.g. \"#UpahLayak\"\n"
    assert error("campaign", "edit", "tapera", "--hashtag", "TolakTapera", "--hashtag", "taperauntukrakyat") == \
        "Error: #TaperaUntukRakyat would be both a hashtag and a comparison tag of campaign 'tapera' — a " \
        "comparison tag is another side's tag, e.g. --compare-tag #TaperaUntukRakyat\n"
    too_many = [a for i in range(10) for a in ("--compare-tag", f"Lain{i}")]
    assert error("campaign", "edit", "tapera", *too_many) == \
        "Error: campaign 'tapera' would have 11 comparison tags, more than 10 — remove some with --no-compare-tag " \
        "(each is counted on every platform, and X bills each request)\n"
    with Session(engine) as s:  # nothing was half-changed
        c = s.scalar(select(Campaign).where(Campaign.slug == "tapera"))
        assert (c.hashtags, c.compare_tags) == (["#TolakTapera"], ["#TaperaUntukRakyat"])
        assert s.scalar(select(func.count()).select_from(TagCount)) == 0
    assert world["x"].counts_requests == 0
    assert cli.ok("campaign", "edit", "tapera", "--no-compare-tag", "#taperauntukrakyat").stdout == \
        "Updated campaign tapera. Comparison tags: none.\n"
    assert json.loads(cli.ok("campaign", "show", "tapera", "--json").stdout)["compare_tags"] == []


def test_no_campaign_with_hashtags(cli, home):
    cli.ok("campaign", "add", "tanpa", "--name", "Tanpa tagar")
    r = cli("listen", "collect")
    assert (r.exit_code, r.stderr) == (1, "Error: no running campaign has hashtags to listen for — add one: "
                                          "campaigner campaign edit SLUG --hashtag '#UpahLayak'\n")
    assert cli.ok("listen", "show").stdout == \
        "No campaign has hashtags. Add some: campaigner campaign edit SLUG --hashtag '#UpahLayak'\n"


def test_nowhere_to_count(cli, home):
    cli.ok("campaign", "add", "tapera", "--name", "Tolak Tapera", "--hashtag", "TolakTapera")
    r = cli("listen", "collect")
    assert r.exit_code == 1 and r.stderr.startswith("Error: there is nowhere to count hashtags: no Mastodon account")
    assert r.stderr.endswith("— add a Mastodon or Bluesky account, or list instances in [listening] "
                             "mastodon_instances\n")


@pytest.mark.parametrize("table, message", [
    ('x_counts = "yes"', "'x_counts' must be true or false in the [listening] table of {path} — x_counts = true "
                         "turns on X's recent counts, which X bills per request"),
    ('mastodon_instances = ["ftp://mastodon.social"]',
     "'mastodon_instances' must be an https:// address in the [listening] table of {path} — e.g. "
     "mastodon_instances = [\"https://mastodon.social\", \"https://kolektiva.social\"] (http only for localhost or "
     "127.0.0.1, for tests)"),
    ("bluesky_pages = 0", "'bluesky_pages' must be a whole number from 1 to 100 in the [listening] table of {path} — "
                          "e.g. bluesky_pages = 10"),
    ("x_count = true", "unknown setting 'x_count' in the [listening] table of {path} — known: mastodon_instances, "
                       "x_counts, bluesky_pages"),
])
def test_bad_listening_settings(cli, home, table, message):
    path = home / "config" / "campaigner.toml"
    config(home, f"[listening]\n{table}\n")
    r = cli("listen", "show")
    assert (r.exit_code, r.stderr) == (1, f"Error: {message.format(path=path)}\n")


def test_secrets_never_leak(cli, world, monkeypatch):
    from tests.fakes import bluesky, x

    out = cli.ok("-vv", "listen", "collect", "--json")
    shown_out = cli.ok("listen", "show", "--json").stdout
    monkeypatch.setenv(env_name("x1", "BEARER_TOKEN"), "wrong-bearer-value-987")
    refused = cli.ok("-vv", "listen", "collect", "--platform", "x")
    secrets = [mastodon_fake.Fake.TOKEN, bluesky.Fake.APP_PASSWORD, *world["bluesky"].issued, x.Fake.APP_BEARER,
               x.Fake.API_SECRET, x.Fake.ACCESS_TOKEN_SECRET, "wrong-bearer-value-987"]
    for text in (out.output, shown_out, refused.output):
        for secret in secrets:
            assert secret not in text
    assert "credentials refused" in refused.stdout
    report = json.loads(out.stdout)
    assert report["stored"] == 56 and report["not_counted"] == {}


def test_the_daemon_counts_once_a_day_whatever_the_workers(cli, world, db_url, home, clock):
    from campaigner.app import App
    from campaigner.config import resolve
    from scheduler.jobs import default_jobs, listening_jobs

    app = App(resolve({"database_url": db_url}), now=clock)
    assert "listening" in [j.name for j in default_jobs(app, "w0")]
    jobs = [listening_jobs(app, f"w{i}")[0] for i in range(3)]
    end = clock.now + timedelta(days=2)
    while clock.now < end:  # three workers, each every ten minutes, for two days
        for job in jobs:
            job.run(clock.now)
        clock.advance(minutes=10)
    app.close()
    # Monday 08:00 WIB, then at each UTC day's start (07:00 WIB) Tuesday and Wednesday: 3 collections
    assert world["x"].counts_requests == 3 * 2
    assert len(world["mastodon"].calls("GET", "/api/v1/tags/")) == 3 * 2


def test_the_daemon_job_is_quiet_without_hashtags(cli, db_url, home, clock, caplog):
    from campaigner.app import App
    from campaigner.config import resolve
    from scheduler.jobs import listening_jobs

    app = App(resolve({"database_url": db_url}), now=clock)
    listening_jobs(app, "w1")[0].run(clock.now)
    app.close()
    assert not [r for r in caplog.records if r.levelname in ("WARNING", "ERROR")]


# --- the weekly report ---------------------------------------------------------------------------
@pytest.fixture
def counted(cli, world):
    """Week 48 (23–29 Nov) counted: once on Sunday night, once on Monday morning."""
    cli.clock.now = wib("2026-11-29 23:59")
    cli.ok("listen", "collect")
    cli.clock.now = wib("2026-11-30 08:00")
    cli.ok("listen", "collect")
    return world


def test_weekly_report_share_of_voice_json(cli, counted):
    r = json.loads(cli.ok("report", "weekly", "--week", "2026-W48", "--format", "json").stdout)
    [voice] = r["share_of_voice"]
    assert (voice["campaign"], voice["hashtags"], voice["compare_tags"]) == \
        ("tapera", ["#TolakTapera"], ["#TaperaUntukRakyat"])
    rows = {row["platform"] if row["platform"] != "mastodon" else row["source"]: row for row in voice["platforms"]}
    host = {k: counted[k].base_url.split("//")[1] for k in ("mastodon", "other")}
    week = [f"2026-11-{d}" for d in range(23, 30)]
    expected = {"bluesky": (5, 2, "Asia/Jakarta"), "x": (6, 3, "Asia/Jakarta"),
                host["mastodon"]: (7 + 3, 2, "UTC"), host["other"]: (4, 1, "UTC")}
    for key, (mine, theirs, zone) in expected.items():
        row = rows[key]
        assert (row["campaign_counts"], row["compare_counts"], row["day_zone"]) == \
               ({"#TolakTapera": mine}, {"#TaperaUntukRakyat": theirs}, zone), key
        assert row["days"] == week and row["share"] == round(mine / (mine + theirs), 6) and row["share_bound"] == ""
    assert len(voice["platforms"]) == 4  # one row per platform and source: never added up


def test_weekly_report_share_of_voice_in_text_markdown_html_and_csv(cli, counted, tmp_path):
    b_host = counted["bluesky"].base_url.split("//")[1]
    text = cli.ok("report", "weekly", "--week", "2026-W48").stdout
    i = text.index("Share of voice\n==============\n")
    part = text[i:text.index("Needs attention")]
    assert "Tolak Tapera (tapera): #TolakTapera vs #TaperaUntukRakyat\n" in part
    assert all(len(line) <= 80 for line in part.splitlines())
    flat = " ".join(part.split())  # as read, lines unwrapped
    assert f"- bluesky ({b_host}), 7 days: #TolakTapera 5 · #TaperaUntukRakyat 2 · share 71.4% -" in flat
    assert "7 UTC days: #TolakTapera 10 · #TaperaUntukRakyat 2 · share 83.3%" in flat
    assert "they are not added up" in flat
    indonesian = cli.ok("report", "weekly", "--week", "2026-W48", "--lang", "id").stdout
    assert "Pangsa suara (share of voice)" in indonesian and "pangsa 71,4%" in indonesian
    md = cli.ok("report", "weekly", "--week", "2026-W48", "--format", "markdown").stdout
    assert "**Share of voice**" in md and f"- bluesky ({b_host}), 7 days: #TolakTapera 5" in md
    html = cli.ok("report", "weekly", "--week", "2026-W48", "--format", "html").stdout
    assert "<h2>Share of voice</h2>" in html and "<td>71.4%</td>" in html
    out = tmp_path / "minggu48.csv"
    r = cli.ok("report", "weekly", "--week", "2026-W48", "--format", "csv", "--out", str(out))
    beside = tmp_path / "minggu48-share-of-voice.csv"
    assert r.stdout.splitlines()[-1] == f"Wrote its share of voice to {beside}"
    rows = list(csv.DictReader(io.StringIO(beside.read_text(encoding="utf-8"))))
    assert {(row["platform"], row["tag"], row["role"], row["posts"], row["share"]) for row in rows
            if row["platform"] == "bluesky"} == {("bluesky", "#TolakTapera", "campaign", "5", "0.7143"),
                                                 ("bluesky", "#TaperaUntukRakyat", "comparison", "2", "0.7143")}
    # the deliveries' CSV is what it was: one row per delivery
    assert next(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))[0] == "delivery_id"
    # in Indonesian both files open in Indonesian Excel: ';', a decimal comma, a BOM, Indonesian words
    cli.ok("report", "weekly", "--week", "2026-W48", "--format", "csv", "--lang", "id", "--out", str(out))
    raw = beside.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbfkampanye;platform;sumber;zona_hari;hari;tagar;peran;unggahan;"
                          b"paling_sedikit;pangsa\r\n")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert {(r[1], r[5], r[6], r[7], r[9]) for r in rows[1:] if r[1] == "bluesky"} == {
        ("bluesky", "#TolakTapera", "kampanye", "5", "0,7143"), ("bluesky", "#TaperaUntukRakyat", "pembanding", "2",
                                                                 "0,7143")}
    assert out.read_bytes().startswith(b"\xef\xbb\xbfid_pengiriman;")


def test_a_week_without_counts_has_no_share_of_voice(cli, world):
    r = json.loads(cli.ok("report", "weekly", "--week", "2026-W48", "--format", "json").stdout)
    assert r["share_of_voice"] == []
    assert "Share of voice" not in cli.ok("report", "weekly", "--week", "2026-W48").stdout


def test_the_daemon_writes_the_share_of_voice_csv_beside_the_report(cli, counted, db_url, home, clock):
    from campaigner.app import App
    from campaigner.config import resolve
    from campaigner.services import weekly_report

    config(home, (home / "config" / "campaigner.toml").read_text() + '\n[report]\nformats = ["csv", "json"]\n')
    app = App(resolve({"database_url": db_url}), now=clock)
    out = weekly_report.run(app, "w1", clock.now)
    app.close()
    names = sorted(p.name for p in out.written)
    assert names == ["weekly-2026-W48-share-of-voice.csv", "weekly-2026-W48.csv", "weekly-2026-W48.json"]


def test_a_day_that_failed_stays_due_and_a_retry_asks_only_what_is_missing(cli, world, db_url, clock, engine):
    """A network outage: every platform drops the connection, then Mastodon and Bluesky come
    back, then X. The day is tried again after a growing wait (never every tick), the sources
    that answered are not asked again, one alert is raised when it has failed for an hour, and
    the day is done once every source has answered."""
    from campaigner.app import App
    from campaigner.config import resolve
    from campaigner.models import Alert
    from scheduler.jobs import listening_jobs
    from tests.fakes.server import Failure

    down = {"mastodon", "other", "bluesky", "x"}
    for name in down:
        world[name].on_request = lambda req, name=name: world[name].fail_next(Failure.DROP) if name in down else None
    app = App(resolve({"database_url": db_url}), now=clock)
    job = listening_jobs(app, "w1")[0]
    start, ran = clock.now, {}
    while clock.now < start + timedelta(hours=12):  # every ten minutes (the UTC day ends at 07:00 WIB)
        minute = int((clock.now - start).total_seconds() // 60)
        if minute == 30:
            down -= {"mastodon", "other", "bluesky"}
        if minute == 90:
            down.clear()
        out = job.run(clock.now)
        if out.ran:
            ran[minute] = (len(out.failed), out.stored, out.alerted)
        clock.advance(minutes=10)
    app.close()
    # tried at 0 and 20 (15 minutes' wait), 40 (20), 80 (40), 160 (80); done at 160
    assert ran == {0: (4, 0, False), 20: (4, 0, False), 40: (1, 42, False), 80: (1, 0, True), 160: (0, 14, False)}
    # the sources that answered at 40 were not asked again; X's counts were asked once more, and only once
    assert len(world["mastodon"].calls("GET", "/api/v1/tags/")) == 3 * 2
    assert len(world["other"].calls("GET", "/api/v1/tags/")) == 3 * 2
    assert world["x"].counts_requests == 2
    assert counts_of(shown(cli))[("tolaktapera", "x", "2026-11-29")] == (6, 1, False)
    with Session(engine) as s:
        assert s.scalar(select(func.count()).select_from(TagCount)) == 56
        alerts = s.execute(select(Alert.kind, Alert.message)).all()
    assert [kind for kind, _ in alerts] == ["listening"]
    x_host = world["x"].base_url.split("//")[1]
    assert alerts[0].message.startswith("hashtag counting has failed for 1.3 hours (since 2026-11-30T01:00+00:00): "
                                        f"x {x_host}: ")
    listed = cli.ok("alerts", "list").stdout
    assert "listening" in listed and "campaigner listen collect" in listed


def test_the_wait_between_tries_grows_and_stays_bounded():
    from campaigner.services.listening_daily import wait_after

    t0 = datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc)
    assert [wait_after(t0, t0 + timedelta(minutes=m)) for m in (0, 15, 30, 60, 120, 600)] == \
        [timedelta(minutes=m) for m in (15, 15, 30, 60, 120, 120)]


def test_a_retry_does_not_ask_again_the_sources_that_answered_at_the_first_try(cli, world, db_url, clock):
    """Only X is down at the day's first try: the counts the other sources gave then (stored at the
    very time the failing streak starts) are not asked for again when the day is retried."""
    from campaigner.app import App
    from campaigner.config import resolve
    from scheduler.jobs import listening_jobs
    from tests.fakes.server import Failure

    x_down = [True]
    world["x"].on_request = lambda req: world["x"].fail_next(Failure.DROP) if x_down[0] else None
    app = App(resolve({"database_url": db_url}), now=clock)
    job = listening_jobs(app, "w1")[0]
    try:
        first = job.run(clock.now)
        assert first.ran and len(first.failed) == 1 and first.stored > 0 and first.retry_at is not None
        asked = {name: len(world[name].calls("GET")) for name in ("mastodon", "other", "bluesky")}
        assert all(asked.values())
        x_down[0] = False
        clock.now = first.retry_at
        again = job.run(clock.now)
        assert again.ran and again.failed == [] and again.retry_at is None
    finally:
        app.close()
    assert {name: len(world[name].calls("GET")) for name in asked} == asked  # not asked again
    assert world["x"].counts_requests == 2  # one billed request per tag, when it answered


def test_a_streak_of_failures_raises_one_alert(db_url, world, clock, engine):
    """Counting fails try after try for half a day: one ``listening`` alert for the streak, not one
    per try after the first hour."""
    from campaigner.app import App
    from campaigner.config import resolve
    from campaigner.models import Alert
    from scheduler.jobs import listening_jobs
    from tests.fakes.server import Failure

    for name in ("mastodon", "other", "bluesky", "x"):
        world[name].on_request = lambda req, name=name: world[name].fail_next(Failure.DROP)
    app = App(resolve({"database_url": db_url}), now=clock)
    job = listening_jobs(app, "w1")[0]
    start, alerted = clock.now, []
    while clock.now < start + timedelta(hours=12):
        out = job.run(clock.now)
        if out.ran:
            alerted.append(out.alerted)
        clock.advance(minutes=10)
    app.close()
    assert len(alerted) > 3 and alerted.count(True) == 1  # tried again after the alert, no second alert
    with Session(engine) as s:
        assert s.scalars(select(Alert.kind)).all() == ["listening"]


# --- status ---------------------------------------------------------------------------------------
def _status_listening(cli, lang: str = "en") -> list[str]:
    out = cli.ok("status", env={"CAMPAIGNER_LANG": lang}).stdout
    key = "Listening:" if lang == "en" else "Pemantauan:"
    return out[out.index(key):].splitlines()


def test_status_shows_when_each_platform_last_counted_and_what_fails(cli, world, db_url, clock):
    """X drops every connection at the day's first try: ``status`` (and --json) says when each
    platform last counted the campaign's hashtags, that X fails, since when, why and what to do, in
    both languages; once X answers again the failure is gone and X's time shown. The failure's
    start is kept across tries."""
    from campaigner.app import App
    from campaigner.config import resolve
    from scheduler.jobs import listening_jobs
    from tests.fakes.server import Failure

    assert _status_listening(cli) == [  # counted nowhere yet
        "Listening:    1 campaign with hashtags",
        "  tapera: not counted in the last 8 days — count now: campaigner listen collect --campaign tapera"]
    x_down = [True]
    world["x"].on_request = lambda req: world["x"].fail_next(Failure.DROP) if x_down[0] else None
    x_host = world["x"].base_url.split("//")[1]
    app = App(resolve({"database_url": db_url}), now=clock)
    job = listening_jobs(app, "w1")[0]
    try:
        first = job.run(clock.now)  # Monday 08:00 WIB
        assert first.ran and len(first.failed) == 1 and first.retry_at == wib("2026-11-30 08:15")
        [why] = first.failed
        why = why.removeprefix("x ")
        assert why.startswith(f"{x_host}: ")
        lines = _status_listening(cli)
        assert lines == [
            "Listening:    1 campaign with hashtags; counting fails on x",
            "  tapera: last counted bluesky 2026-11-30 08:00 WIB, mastodon 2026-11-30 08:00 WIB, x not in the last "
            "8 days",
            f"  x fails since 2026-11-30 08:00 WIB: {why} — the worker tries again at 2026-11-30 08:15 WIB; to try "
            "now: campaigner listen collect --platform x"]
        assert _status_listening(cli, "id") == [
            "Pemantauan:           1 kampanye bertagar; penghitungan gagal di x",
            "  tapera: terakhir dihitung bluesky 2026-11-30 08:00 WIB, mastodon 2026-11-30 08:00 WIB, x tidak dalam "
            "8 hari terakhir",
            f"  x gagal sejak 2026-11-30 08:00 WIB: {why} — proses penerbit mencoba lagi pada 2026-11-30 08:15 WIB; "
            "untuk mencoba sekarang: campaigner listen collect --platform x"]
        data = json.loads(cli.ok("status", "--json").stdout)["listening"]
        assert data["failing"] == [{"platform": "x", "since": "2026-11-30T01:00:00Z", "since_local": "2026-11-30 08:00 WIB",
                                    "why": why, "next_try_at": "2026-11-30T01:15:00Z",
                                    "next_try_local": "2026-11-30 08:15 WIB", "refused": None}]
        assert [(c["campaign"], [(p["platform"], p["last_counted_local"]) for p in c["platforms"]])
                for c in data["campaigns"]] == [
            ("tapera", [("bluesky", "2026-11-30 08:00 WIB"), ("mastodon", "2026-11-30 08:00 WIB"), ("x", None)])]

        clock.now = first.retry_at  # still down: the failure keeps its start, the next try moves
        again = job.run(clock.now)
        assert again.ran and again.failed and again.retry_at == wib("2026-11-30 08:30")
        assert _status_listening(cli)[2].startswith("  x fails since 2026-11-30 08:00 WIB: ")
        assert "tries again at 2026-11-30 08:30 WIB" in _status_listening(cli)[2]

        x_down[0] = False
        clock.now = again.retry_at
        done = job.run(clock.now)
        assert done.ran and done.failed == []
    finally:
        app.close()
    assert _status_listening(cli) == [
        "Listening:    1 campaign with hashtags",
        "  tapera: last counted bluesky 2026-11-30 08:00 WIB, mastodon 2026-11-30 08:00 WIB, x 2026-11-30 08:30 WIB"]
    assert json.loads(cli.ok("status", "--json").stdout)["listening"]["failing"] == []


def test_a_worker_speaking_indonesian_writes_the_alerts_hours_with_a_decimal_comma(db_url, world, clock, engine):
    from campaigner import i18n
    from campaigner.app import App
    from campaigner.config import resolve
    from campaigner.models import Alert
    from scheduler.jobs import listening_jobs
    from tests.fakes.server import Failure

    for name in ("mastodon", "other", "bluesky", "x"):
        world[name].on_request = lambda req, name=name: world[name].fail_next(Failure.DROP)
    i18n.use("id")
    app = App(resolve({"database_url": db_url}), now=clock)
    job = listening_jobs(app, "w1")[0]
    try:
        while not job.run(clock.now).alerted:
            clock.advance(minutes=10)
    finally:
        app.close()
        i18n.use("en")
    with Session(engine) as s:
        [message] = s.scalars(select(Alert.message)).all()
    assert message.startswith("penghitungan tagar gagal selama 1,3 jam (sejak 2026-11-30T01:00+00:00): ")


def test_status_keeps_a_failures_start_across_days_until_the_platform_counts_again(cli, world, db_url, clock):
    """X down from Monday 08:00 WIB through Tuesday's first try (a new UTC day, 07:00 WIB): status
    still says since Monday; the platforms that count are never listed as failing."""
    from campaigner.app import App
    from campaigner.config import resolve
    from scheduler.jobs import listening_jobs
    from tests.fakes.server import Failure

    world["x"].on_request = lambda req: world["x"].fail_next(Failure.DROP)
    app = App(resolve({"database_url": db_url}), now=clock)
    job = listening_jobs(app, "w1")[0]
    try:
        assert job.run(clock.now).failed
        clock.now = wib("2026-12-01 07:00")
        out = job.run(clock.now)
        assert out.ran and [f.split(" ")[0] for f in out.failed] == ["x"]
    finally:
        app.close()
    lines = _status_listening(cli)
    assert lines[0] == "Listening:    1 campaign with hashtags; counting fails on x"
    assert lines[1].startswith("  tapera: last counted bluesky 2026-12-01 07:00 WIB, mastodon 2026-12-01 07:00 WIB, "
                               "x not in the last 8 days")
    assert lines[2].startswith("  x fails since 2026-11-30 08:00 WIB: ")
    assert "tries again at 2026-12-01 07:15 WIB" in lines[2] and len(lines) == 3


# --- refused credentials: what to renew, apart from waiting --------------------------------------
RENEW = "renew the credentials of x1: campaigner account set-secret x1 BEARER_TOKEN, then campaigner account test x1"
RENEW_ID = ("perbarui kredensial x1: campaigner account set-secret x1 BEARER_TOKEN, lalu campaigner account test "
            "x1")


@pytest.mark.parametrize("lang, renew", [("en", RENEW), ("id", RENEW_ID)])
def test_collect_says_to_renew_refused_credentials(lang, renew, cli, world, monkeypatch):
    monkeypatch.setenv(env_name("x1", "BEARER_TOKEN"), "a-revoked-bearer")  # X answers 401
    world["mastodon"].rate_limit_next(wib("2026-11-30 08:15"))
    out = cli.ok("listen", "collect", env={"CAMPAIGNER_LANG": lang}).stdout.splitlines()
    x_host = world["x"].base_url.split("//")[1]
    [x_line] = [line for line in out if line.startswith(f"  x {x_host}: ")]
    assert x_line.endswith(f" — {renew}") and x_line.count(" — ") == 1
    [limited] = [line for line in out if "mastodon" in line and ("stopped" in line or "berhenti" in line)]
    assert "set-secret" not in limited  # a rate limit: only waiting helps, nothing to renew
    quiet = cli.ok("-q", "listen", "collect", "--platform", "x", env={"CAMPAIGNER_LANG": lang}).stdout
    assert quiet.startswith(f"x {x_host}: ") and quiet.endswith(f" — {renew}\n")
    data = json.loads(cli.ok("listen", "collect", "--platform", "x", "--json").stdout)
    assert [(s["platform"], s["refused"]) for s in data["sources"]] == [
        ("x", {"account": "x1", "field": "BEARER_TOKEN"})]


def test_status_says_to_renew_refused_credentials_apart_from_a_rate_limit(cli, world, db_url, clock, monkeypatch):
    from campaigner.app import App
    from campaigner.config import resolve
    from scheduler.jobs import listening_jobs

    monkeypatch.setenv(env_name("x1", "BEARER_TOKEN"), "a-revoked-bearer")
    world["mastodon"].rate_limit_next(wib("2026-11-30 08:15"))
    app = App(resolve({"database_url": db_url}), now=clock)
    try:
        first = listening_jobs(app, "w1")[0].run(clock.now)
    finally:
        app.close()
    assert first.ran and first.retry_at == wib("2026-11-30 08:15")
    x_failed = next(f for f in first.failed if f.startswith("x "))
    assert x_failed.endswith(f" — {RENEW}")  # the log line and the alert say it too
    why = x_failed.removeprefix("x ").removesuffix(f" — {RENEW}")
    assert "credentials refused" in why
    lines = _status_listening(cli)
    assert lines[0] == "Listening:    1 campaign with hashtags; counting fails on mastodon, x"
    assert lines[2].startswith("  mastodon fails since 2026-11-30 08:00 WIB: ") and lines[2].endswith(
        " — the worker tries again at 2026-11-30 08:15 WIB; to try now: campaigner listen collect --platform mastodon")
    assert lines[3] == (f"  x fails since 2026-11-30 08:00 WIB: {why} — {RENEW}; the worker tries again at "
                        "2026-11-30 08:15 WIB")
    lines_id = _status_listening(cli, "id")
    assert lines_id[2].endswith("untuk mencoba sekarang: campaigner listen collect --platform mastodon")
    assert lines_id[3].startswith("  x gagal sejak 2026-11-30 08:00 WIB: ")
    assert lines_id[3].endswith(f" — {RENEW_ID}; proses penerbit mencoba lagi pada 2026-11-30 08:15 WIB")
    failing = json.loads(cli.ok("status", "--json").stdout)["listening"]["failing"]
    assert [(f["platform"], f["why"], f["refused"]) for f in failing] == [
        ("mastodon", failing[0]["why"], None), ("x", why, {"account": "x1", "field": "BEARER_TOKEN"})]
