"""The commands staff run all day load only what they use: no Alembic (the schema check reads one
revision string), no platform library or HTTP client, no imaging, plotting or text analysis, no
mail library and not the weekly report's queries; and `post list`, `queue` and `status` read with
Core selects on ``campaigner.tables``, so they import neither ``sqlalchemy.orm`` nor the mapped
classes of ``campaigner.models``. (`post add` still plans with the ORM.) Figures:
bench/cli_startup.py; tests never time anything."""
import os
import subprocess
import sys

import pytest

HEAVY = ["alembic", "tweepy", "textblob", "nltk", "PIL", "pygal", "matplotlib", "requests", "urllib3",
         "apscheduler", "connectors.http", "smtplib", "campaigner.services.report"]
#: what a Core-only command never imports
ORM = ["sqlalchemy.orm", "campaigner.models", "connectors.base", "campaigner.services.posts"]

RUN = ("import sys\nfrom campaigner.cli.main import main\n"
       "try:\n    main(sys.argv[1:])\nexcept SystemExit as exc:\n    code = exc.code\n"
       f"print('exit', code, 'heavy', sorted(m for m in {HEAVY!r} if m in sys.modules),\n"
       f"      'orm', sorted(m for m in {ORM!r} if m in sys.modules))\n")


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
    cli.ok("post", "add", "Upah layak", "--to", "serikat-a", "--at", "2026-12-11 09:00", "--draft")
    return db_url


@pytest.mark.parametrize("args", [("post", "list"), ("post", "list", "--status", "draft", "--json"), ("queue",),
                                  ("queue", "--json"), ("status",), ("status", "--json")])
def test_listings_and_status_load_nothing_heavy_and_no_orm(small, args):
    assert run(small, *args) == "exit 0 heavy [] orm []"


def test_post_add_loads_nothing_heavy(small):
    assert run(small, "post", "add", "Upah layak", "--to", "serikat-a", "--now").startswith("exit 0 heavy [] orm ")
