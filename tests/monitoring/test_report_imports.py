"""``report weekly`` reads through the Core tables (``campaigner.tables``): in every format it
imports neither ``sqlalchemy.orm`` nor the mapped classes of ``campaigner.models`` (so no mapper is
set up on its way), and only the HTML format imports pygal. (``--campaign``
looks the campaign up with ``services.campaigns``, on the ORM.) Figures: bench/report.py; tests
never time anything."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from tests.monitoring.test_report import week47  # noqa: F401 (the fixture: a week of posts, snapshots, a failure)

WATCHED = ["sqlalchemy.orm", "campaigner.models", "campaigner.services.campaigns", "pygal"]
RUN = ("import sys\nfrom datetime import datetime, timezone\nfrom campaigner.cli.main import main\n"
       "try:\n    main(sys.argv[1:], now=lambda: datetime(2026, 11, 30, 1, tzinfo=timezone.utc))\n"
       "except SystemExit as exc:\n    code = exc.code\n"
       f"print('exit', code, sorted(m for m in {WATCHED!r} if m in sys.modules))\n")


def run(db_url: str, *args: str) -> str:
    r = subprocess.run([sys.executable, "-c", RUN, "--db", db_url, *args], capture_output=True, text=True,
                       env=os.environ)
    return r.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize("fmt", ["text", "markdown", "html", "csv", "json"])
def test_the_report_imports_no_orm(cli, db_url, week47, tmp_path, fmt):  # noqa: F811
    out = run(db_url, "report", "weekly", "--week", "2026-W47", "--format", fmt, "--out", str(tmp_path / f"r.{fmt}"))
    assert out == ("exit 0 ['pygal']" if fmt == "html" else "exit 0 []")
    assert "P1 Tolak Tapera" in (tmp_path / f"r.{fmt}").read_text(encoding="utf-8")

