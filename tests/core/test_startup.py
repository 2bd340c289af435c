"""The entry point stays light: --help loads no heavy library; python -m campaigner works."""
import subprocess
import sys

HEAVY = ["sqlalchemy", "alembic", "tweepy", "textblob", "matplotlib", "requests", "apscheduler", "nltk"]


def test_help_imports_nothing_heavy():
    code = ("import sys\nfrom campaigner.cli.main import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"
    assert "account" in out and "post" in out


def test_sub_group_help_is_light_too():
    code = ("import sys\nfrom campaigner.cli.main import main\n"
            "try:\n    main(['post', 'add', '--help'])\nexcept SystemExit:\n    pass\n"
            f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_python_dash_m():
    r = subprocess.run([sys.executable, "-m", "campaigner", "--version"], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == "campaigner, version 0.1.0"
