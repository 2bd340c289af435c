"""The entry point stays light: --help loads no heavy library; python -m campaigner works."""
import subprocess
import sys

HEAVY = ["sqlalchemy", "alembic", "tweepy", "textblob", "pygal", "requests", "apscheduler", "nltk"]


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


def test_help_lists_commands_without_importing_them():
    code = ("import sys\nfrom campaigner.cli.main import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "print(sorted(m for m in sys.modules if m.startswith('campaigner.cli.') and m not in ('campaigner.cli.main', 'campaigner.cli.localize')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip().splitlines()[-1] == "[]"


def test_listed_summaries_are_the_commands_own():
    """The root --help lists stand-ins built from SUMMARIES: each must shorten to the same line as
    the real command at every width, and the whole help must equal the one the real commands give."""
    import importlib

    import click

    from campaigner.cli.main import COMMANDS, SUMMARIES

    assert set(SUMMARIES) == set(COMMANDS)
    for name, spec in COMMANDS.items():
        module, attr = spec.split(":")
        real = getattr(importlib.import_module(module), attr)
        stand_in = click.Command(name, help=SUMMARIES[name])
        assert not real.hidden and not real.deprecated, name
        for limit in range(10, 200):
            assert stand_in.get_short_help_str(limit) == real.get_short_help_str(limit), (name, limit)

    run = ("import sys\nfrom campaigner.cli.main import COMMANDS, main\n{before}"
           "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n")
    load_all = "import importlib\nfor spec in COMMANDS.values():\n    importlib.import_module(spec.split(':')[0])\n"
    env = {**__import__("os").environ, "COLUMNS": "100"}
    light = subprocess.run([sys.executable, "-c", run.format(before="")], capture_output=True, text=True,
                           check=True, env=env).stdout
    full = subprocess.run([sys.executable, "-c", run.format(before=load_all)], capture_output=True, text=True,
                          check=True, env=env).stdout
    assert light == full and "status" in light
