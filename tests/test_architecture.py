"""Imports point one way (DESIGN.md): checked by import-linter's contracts in pyproject.toml."""
import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_import_contracts_hold():
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent)) or shutil.which("lint-imports")
    assert exe, "import-linter is part of the test extra: pip install '.[test]'"
    r = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "BROKEN" not in r.stdout


def _loop_names(target: ast.AST) -> set[str]:
    return {n.id for n in ast.walk(target) if isinstance(n, ast.Name)}


def test_no_loop_variable_shadows_an_imported_name():
    """pyflakes F402: ``for _ in range(n)`` in a module that imports gettext's ``_`` rebinds it, and
    every message after the loop calls an int (``ruff check --select F402`` says the same)."""
    shadowed = []
    for path in sorted(ROOT.glob("*/**/*.py")):
        if path.parts[len(ROOT.parts)] not in {"campaigner", "content", "connectors", "scheduler", "tests", "bench",
                                               "tools"}:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        imported = {(a.asname or a.name).split(".")[0] for node in tree.body
                    if isinstance(node, (ast.Import, ast.ImportFrom)) for a in node.names}
        for node in ast.walk(tree):
            if isinstance(node, (ast.For, ast.AsyncFor)):
                shadowed += [f"{path.relative_to(ROOT)}:{node.lineno} {name}"
                             for name in sorted(_loop_names(node.target) & imported)]
    assert shadowed == []
