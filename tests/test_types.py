"""The typed packages type-check: mypy with the configuration in pyproject.toml (``[tool.mypy]``:
scheduler, connectors, content and campaigner minus the CLI, ``check_untyped_defs``) finds nothing."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_mypy_finds_no_errors():
    pytest.importorskip("mypy", reason="mypy is not installed (it is in the test extra: pip install '.[test]')")
    r = subprocess.run([sys.executable, "-m", "mypy"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, f"mypy found errors:\n{r.stdout}{r.stderr}"
