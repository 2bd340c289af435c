"""The commands staff run all day load only what they use: no Alembic (the schema check reads one
revision string), no platform library or HTTP client, no imaging, plotting or text analysis; and
`post list` and `queue` read with Core selects, so the ORM's mappers are never set up. (Figures:
bench/cli_startup.py; tests never time anything.)"""
import os
import subprocess
import sys

import pytest

HEAVY = ["alembic", "tweepy", "textblob", "nltk", "PIL", "pygal", "matplotlib", "requests", "urllib3",
         "apscheduler", "connectors.http"]

RUN = ("import sys\nfrom campaigner.cli.main import main\n"
       "try:\n    main(sys.argv[1:])\nexcept SystemExit as exc:\n    code = exc.code\n"
       "from campaigner.models import Delivery\n"
       f"print('exit', code, 'heavy', sorted(m for m in {HEAVY!r} if m in sys.modules),\n"
       "      'mappers', Delivery.__mapper__.configured)\n")


def run(db_url: str, *args: str) -> str:
    r = subprocess.run([sys.executable, "-c", RUN, "--db", db_url, *args], capture_output=True, text=True,
                       env=os.environ)
    return r.stdout.strip().splitlines()[-1]


@pytest.fixture
def small(cli, db_url):
    cli.ok("account", "add", "sandbox", "serikat-a")
    cli.ok("account", "add", "sandbox", "serikat-b", "--timezone", "Asia/Makassar")
    for n in range(3):
        cli.ok("post", "add", f"Tolak potongan Tapera {n}", "--to", "serikat-a,serikat-b", "--at", "2026-12-10 09:00")
    return db_url


@pytest.mark.parametrize("args", [("post", "list"), ("queue",)])
def test_listings_load_nothing_heavy_and_no_mappers(small, args):
    assert run(small, *args) == "exit 0 heavy [] mappers False"


@pytest.mark.parametrize("args", [("status",), ("post", "add", "Upah layak", "--to", "serikat-a", "--now")])
def test_status_and_post_add_load_nothing_heavy(small, args):
    assert run(small, *args).startswith("exit 0 heavy [] mappers ")
