"""Listening on the sandbox, through the CLI on the real database: a sandbox account's seeded
hashtag counts are stored per WIB day with our own posts taken off (what ``campaigner demo``
shows as its share of voice), and no sandbox account means no sandbox source and no note."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from connectors.sandbox import public_tag_posts

WIB = ZoneInfo("Asia/Jakarta")
SUNDAY = date(2026, 11, 29)  # the tests' clock is Monday 30 Nov 08:00 WIB


def wib(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=WIB).astimezone(timezone.utc)


def test_a_sandbox_account_counts_the_campaigns_tags_beyond_our_own_posts(cli, engine_for):
    cli.ok("account", "add", "sandbox", "konfederasi")
    cli.ok("campaign", "add", "tapera", "--name", "Tolak Tapera", "--hashtag", "TolakTapera")
    cli.ok("campaign", "edit", "tapera", "--compare-tag", "TaperaUntukRakyat")
    cli.clock.now = wib("2026-11-29 10:00")
    cli.ok("post", "add", "Tolak potongan upah!", "--to", "konfederasi", "--now", "--campaign", "tapera")
    engine_for().publish_all_due()
    cli.clock.now = wib("2026-11-30 08:00")

    r = cli.ok("listen", "collect", "--platform", "sandbox")
    assert r.stdout == ("Counted #TolakTapera #TaperaUntukRakyat (tapera) from 2026-11-24 to 2026-11-30: "
                        "14 day counts stored, 2 requests.\n  sandbox sandbox: 14 day counts, 2 requests\n")
    rows = {(row["tag"], row["day"]): (row["posts"], row["own"], row["at_least"], row["day_zone"])
            for c in json.loads(cli.ok("listen", "show", "--json").stdout)["campaigns"] for row in c["counts"]}
    # our post of Sunday carried #TolakTapera (the campaign's hashtag, appended): counted, then taken off
    assert rows[("tolaktapera", "2026-11-29")] == (public_tag_posts("TolakTapera", SUNDAY), 1, False, "Asia/Jakarta")
    assert rows[("taperauntukrakyat", "2026-11-29")] == (public_tag_posts("TaperaUntukRakyat", SUNDAY), 0, False,
                                                         "Asia/Jakarta")
    # today is 8 hours old: a third of the day's public, at least
    assert rows[("tolaktapera", "2026-11-30")] == (public_tag_posts("TolakTapera", SUNDAY + timedelta(days=1)) // 3,
                                                   0, True, "Asia/Jakarta")
    # without --platform the sandbox is one of the sources, beside the notes for the rest
    again = cli.ok("listen", "collect").stdout
    assert "  sandbox sandbox: 14 day counts, 2 requests" in again.splitlines()


def test_no_sandbox_account_no_sandbox_source(cli):
    cli.ok("campaign", "add", "tapera", "--name", "Tolak Tapera", "--hashtag", "TolakTapera")
    r = cli("listen", "collect", "--platform", "sandbox")
    assert (r.exit_code, r.stderr) == (1, "Error: cannot count Sandbox (offline) hashtags: no active sandbox "
                                          "account — add one: campaigner account add sandbox NAME\n")
    r = cli("listen", "collect")
    assert r.exit_code == 1 and "sandbox" not in r.stderr
