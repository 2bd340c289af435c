"""The CSV and JSON renderers write a big week fast (each distinct value formatted once, the JSON
deliveries from a template): byte for byte what formatting each cell, and encoding each
delivery's dict, writes. Checked on a generated week of a few thousand deliveries with every
awkward value the report can meet: unknown figures, negative numbers, texts with quotes, line
breaks, formula starters, ``%`` and control characters, every platform and one unknown, times in
other zones and before the year 1000, replies by kind."""
from __future__ import annotations

import csv
import dataclasses
import io
import json
import random
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from campaigner.report_render import csvfile, jsonfile, render
from campaigner.report_render.common import named_metrics
from campaigner.report_render.i18n import Lang
from campaigner.services.report import METRICS, DeliveryLine, WeeklyReport, build_weekly
from campaigner.services.report_inbox import KINDS
from connectors.registry import PLATFORMS
from content.csv_cells import DIALECTS, neutralise

TEXTS = ["Tolak potongan Tapera! #TolakTapera", '=HYPERLINK("http://evil.example")', "@serikat ikut aksi",
         "- upah\n- kerja", "'-ditulis", "100% naik; \"kata\" mereka, ya", "tab\tdan\r\nbaris", "emoji ✊🏽 ‮bidi",
         "\\u0041 %s %(x)s {0}", "", "   spasi   ", "+62 812"]
TAGS = [["#TolakTapera"], ["#UpahLayak", "#Buruh"], [], ["#100%", '#"kutip"'], ["＃Lebar"]]
ERRORS = [None, None, "refused: rate limited", "=1+1", "line\nbreak"]
NAMES = ["akun-01", "akun \"dua\"", "=akun", "akun%s", "@akun"]
ZONES = [timezone.utc, ZoneInfo("Asia/Jakarta"), ZoneInfo("America/New_York"), timezone(timedelta(hours=-3))]


def generated_lines(n: int, seed: int = 12) -> list[DeliveryLine]:
    rng = random.Random(seed)
    platforms = [*PLATFORMS, "myspace"]  # (one the registry does not know)
    base = datetime(2026, 11, 16, 17, 0, tzinfo=timezone.utc)
    lines = []
    for i in range(n):
        status = rng.choice(["published", "published", "published", "deleted", "failed"])
        due = base + timedelta(seconds=rng.randrange(0, 7 * 86400), microseconds=rng.choice([0, rng.randrange(10**6)]))
        if i == 7:
            due = datetime(999, 6, 1, 23, 30, tzinfo=timezone.utc)  # strftime's %Y does not pad this one
        due = due.astimezone(rng.choice(ZONES))
        published = None if status == "failed" else due + timedelta(minutes=rng.choice([0, 0, 3, 20, 125]))
        measured = status != "failed" and rng.random() < 0.8
        missing = measured and rng.random() < 0.1
        values = {m: (rng.choice([None, 0, 1, 7, 12, 250, 1_234_567, -3]) if measured and not missing else None)
                  for m in METRICS}
        lines.append(DeliveryLine(
            delivery_id=i + 1, post_id=i // 3 + 1, status=status,
            campaign=rng.choice([None, "tapera", "upah%", "=kampanye"]), account=rng.choice(NAMES),
            platform=rng.choice(platforms), due_at=due, published_at=published,
            failed_at=due + timedelta(hours=1) if status == "failed" else None,
            url=None if status == "failed" else rng.choice([f"https://example.org/p/{i}", "=cmd|' /C calc'!A0",
                                                           "https://example.org/?q=%s&x=\"1\""]),
            snapshot_at=(published + timedelta(hours=rng.randrange(1, 48))) if measured and published else None,
            gone=missing and status != "deleted", missing=missing, values=values,
            text=rng.choice(TEXTS), hashtags=rng.choice(TAGS),
            error=rng.choice(ERRORS) if status == "failed" else None, account_id=i % 5 + 1,
            campaign_id=None))
    return lines


@pytest.fixture
def big_week(app) -> WeeklyReport:
    """A real (empty) week's report, given 3,000 generated delivery lines and replies by kind."""
    report = build_weekly(app, week="2026-W47")
    lines = generated_lines(3000)
    rng = random.Random(5)
    by_delivery = {d.delivery_id: {k: rng.randrange(1, 4) for k in KINDS if rng.random() < 0.5}
                   for d in lines if rng.random() < 0.3}
    assert report.inbox is not None
    return dataclasses.replace(report, deliveries=lines,
                               inbox=dataclasses.replace(report.inbox, by_delivery=by_delivery))


def cell_by_cell_csv(report: WeeklyReport, t: Lang, dialect) -> str:
    """The CSV as written before it was made fast: each cell formatted and neutralised on its own."""
    zone = ZoneInfo(report.timezone)
    words = csvfile.ID_WORDS if t.code == "id" else {}
    buf = io.StringIO()
    if dialect.bom:
        buf.write("\ufeff")
    w = csv.writer(buf, delimiter=dialect.delimiter,
                   lineterminator="\n" if dialect.name == "standard" else dialect.lineterminator)
    w.writerow([csvfile.ID_NAMES[c] for c in csvfile.COLUMNS] if t.code == "id" else csvfile.COLUMNS)

    def utc(when):
        return "" if when is None else when.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def local(when):
        return "" if when is None else when.astimezone(zone).strftime("%Y-%m-%d %H:%M")

    def n(v):
        return "" if v is None else str(v)

    def one_line(text):
        return " ".join((text or "").split())

    unknown = words.get("not known", "not known")
    by_delivery = report.inbox.by_delivery if report.inbox else {}
    for d in report.deliveries:
        rate = d.engagement_rate
        kinds = by_delivery.get(d.delivery_id, {})
        named = "; ".join(f"{name} {unknown if v is None else v}" for name, v in named_metrics(d.platform, d.values))
        row = [d.delivery_id, d.post_id, words.get(d.status, d.status), d.campaign or "", d.account, d.platform,
               local(d.due_at), local(d.published_at), utc(d.published_at),
               "" if d.late is None else int(d.late.total_seconds() // 60), utc(d.failed_at),
               d.url or "", *(n(d.values.get(m)) for m in METRICS), n(d.interactions),
               "" if rate is None else dialect.number(rate, 4), utc(d.snapshot_at),
               words.get("yes", "yes") if d.gone else "", " ".join(d.hashtags), one_line(d.text),
               one_line(d.error), named, *(n(kinds.get(k)) for k in KINDS)]
        w.writerow([neutralise(str(cell)) for cell in row])
    return buf.getvalue()


@pytest.mark.parametrize("lang", ["en", "id"])
@pytest.mark.parametrize("dialect", sorted(DIALECTS))
def test_csv_is_the_same_as_cell_by_cell(big_week, lang, dialect):
    fast = render(big_week, "csv", lang, dialect)
    assert fast == cell_by_cell_csv(big_week, Lang(lang), DIALECTS[dialect])
    rows = list(csv.reader(io.StringIO(fast.lstrip("\ufeff")), delimiter=DIALECTS[dialect].delimiter))
    assert len(rows) == 3001
    text = rows[0].index(csvfile.ID_NAMES["text"] if lang == "id" else "text")
    assert {row[text] for row in rows[1:]} >= {"'=HYPERLINK(\"http://evil.example\")", "'@serikat ikut aksi",
                                              "'- upah - kerja", "\\u0041 %s %(x)s {0}"}


@pytest.mark.parametrize("lang", ["en", "id"])
def test_json_is_the_same_as_encoding_each_dict(big_week, lang):
    fast = render(big_week, "json", lang)
    assert fast == json.dumps(jsonfile.to_dict(big_week), ensure_ascii=False, separators=(",", ":")) + "\n"
    doc = json.loads(fast)
    assert len(doc["deliveries"]) == 3000
    assert "myspace" in {d["platform"] for d in doc["deliveries"] if not d["named_metrics"]}
    assert any(d["due_at"].startswith("0999-") for d in doc["deliveries"])


def test_figures_that_are_not_ints_are_encoded_as_they_are(big_week):
    """A figure of another type (never read from the database, but a line can be built by hand)
    is not taken for an equal int seen before: True and 1.0 are written as JSON writes them."""
    lines = big_week.deliveries[:4]
    odd = [dataclasses.replace(lines[0], values={**lines[0].values, "likes": True}),
           dataclasses.replace(lines[1], values={**lines[1].values, "likes": 1.0}),
           dataclasses.replace(lines[2], values={**lines[2].values, "likes": 1})]
    week = dataclasses.replace(big_week, deliveries=[*lines, *odd])
    assert render(week, "json") == json.dumps(jsonfile.to_dict(week), ensure_ascii=False,
                                              separators=(",", ":")) + "\n"
    assert render(week, "csv") == cell_by_cell_csv(week, Lang("en"), DIALECTS["standard"])


@pytest.mark.parametrize("zone", ["Asia/Jakarta", "America/New_York", "Asia/Kolkata", "Asia/Kathmandu",
                                  "Australia/Lord_Howe", "Europe/Dublin"])
def test_local_times_through_the_hour_table_are_strftimes(zone):
    """``local_column`` converts a UTC hour once (its offset over that hour), or a minute at a time
    where the offset is not whole hours (+05:30, +05:45) or changes within the hour (a clock change;
    Lord Howe's moves half an hour): the same text as converting each time, around clock changes."""
    from campaigner.report_render.columns import local_column

    z = ZoneInfo(zone)
    rng = random.Random(3)
    starts = [datetime(2026, 3, 8, tzinfo=timezone.utc), datetime(2026, 10, 4, tzinfo=timezone.utc),
              datetime(2026, 10, 25, tzinfo=timezone.utc), datetime(2026, 11, 1, tzinfo=timezone.utc),
              datetime(2026, 4, 5, tzinfo=timezone.utc)]
    times = [s + timedelta(seconds=rng.randrange(0, 2 * 86400), microseconds=rng.randrange(10**6))
             for s in starts for _ in range(3000)]
    times += [s + timedelta(minutes=m) for s in starts for m in range(0, 2 * 1440, 15)]  # each quarter hour too
    rng.shuffle(times)
    times = [t.astimezone(rng.choice(ZONES)) for t in times] + [None]
    minutes: dict = {}
    hours: dict = {}
    fast = local_column(times, z, lambda v: "slow", minutes, hours)
    assert fast == ["" if t is None else t.astimezone(z).strftime("%Y-%m-%d %H:%M") for t in times]
    if zone in ("Asia/Kolkata", "Asia/Kathmandu"):
        assert minutes and not any(hours.values())  # (read a minute at a time)
    else:
        assert any(hours.values())
    if zone == "Australia/Lord_Howe":  # (+11:00 in its summer, +10:30 otherwise)
        assert minutes
