"""``campaigner post reconcile --check`` when the platform refuses the search itself.

The check asks the platform the same question the worker does (``find_existing``). When the
platform refuses that read for good — 403 "client-not-enrolled" (not in the app's plan), 403 not
permitted, 400 an invalid query — asking again later changes nothing: the check says so in one line
and tells the person to look by hand and settle it with ``--found URL`` or ``--resend``; it exits
non-zero and changes nothing in the database. A refusal for now (503) still says to try again later.

Against the X fake over HTTP and the real database (SQLite file; PostgreSQL in the second leg).
"""
from __future__ import annotations

import pytest

from campaigner.models import DeliveryStatus as S
from tests.engine.conftest import alerts, deliveries
from tests.engine.test_reconcile_refused import REFUSALS, TEXT
from tests.fakes.server import Failure

ENGLISH = ("Error: x refused the search for post 1 on x1 ({error}) — check x1 by hand, then run "
           "`campaigner post reconcile 1 --account x1 --found URL` (or `--resend` if it is not there)\n")
INDONESIAN = ("Kesalahan: x menolak pencarian postingan 1 di x1 ({error}) — periksa x1 secara manual, lalu jalankan "
              "`campaigner post reconcile 1 --account x1 --found URL` (atau `--resend` kalau tidak ada)\n")


def _lost_create(cli, engine_for, platform_account):
    fake = platform_account("x", "x1")
    cli.ok("post", "add", TEXT, "--to", "x1", "--now")
    fake.fail_next(Failure.DROP_AFTER, path_contains="/2/tweets")
    assert engine_for().run_pass().unconfirmed == [1]
    return fake


def _state(engine):
    [d] = deliveries(engine)
    return (d.status, d.next_attempt_at, d.last_error, d.remote_id,
            [(a.kind, a.outcome, a.error) for a in d.attempts], [(a.kind, a.message) for a in alerts(engine)])


@pytest.mark.parametrize("refusal", list(REFUSALS))
@pytest.mark.parametrize("lang, expected", [("en", ENGLISH), ("id", INDONESIAN)])
def test_check_refused_for_good_says_to_look_by_hand(refusal, lang, expected, cli, engine, engine_for,
                                                     platform_account):
    answer, error = REFUSALS[refusal]
    fake = _lost_create(cli, engine_for, platform_account)
    before = _state(engine)
    assert before[0] == S.UNCONFIRMED
    fake.fail_next(answer, path_contains=f"/2/users/{fake.USER_ID}/tweets", times=5)
    r = cli("post", "reconcile", "1", "--account", "x1", "--check", env={"CAMPAIGNER_LANG": lang})
    if lang == "id":  # the connector's own words are translated too; the platform's are not
        error = error.replace("X refused read own posts", "X menolak read own posts")
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", expected.format(error=error))
    assert _state(engine) == before  # nothing written, not even a reconcile attempt
    assert len(fake.calls("GET", f"/2/users/{fake.USER_ID}/tweets")) == 1 and fake.create_count() == 1


def test_check_refused_for_now_says_to_try_again(cli, engine, engine_for, platform_account):
    fake = _lost_create(cli, engine_for, platform_account)
    before = _state(engine)
    fake.server_error_next(503)
    r = cli("post", "reconcile", "1", "--check")
    assert r.exit_code == 1 and r.stderr.startswith("Error: could not look for post 1 on x1 (")
    assert r.stderr.endswith(") — try again later (the worker keeps looking by itself unless a person must "
                             "decide)\n")
    assert _state(engine) == before
