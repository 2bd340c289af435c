"""Settings precedence: flag > environment > config file > default, resolved in one place."""

import pytest

from campaigner.config import resolve
from campaigner.errors import ConfigError


def test_precedence(tmp_path):
    cfg = tmp_path / "c.toml"
    cfg.write_text('timezone = "Asia/Makassar"\ndatabase_url = "sqlite:////from/file.db"\n')
    s = resolve({}, env={}, config_path=cfg)
    assert (s.timezone, s.database_url) == ("Asia/Makassar", "sqlite:////from/file.db")
    assert s.sources["timezone"] == f"config file {cfg}"
    s = resolve({}, env={"CAMPAIGNER_TIMEZONE": "Asia/Jayapura"}, config_path=cfg)
    assert (s.timezone, s.sources["timezone"]) == ("Asia/Jayapura", "environment CAMPAIGNER_TIMEZONE")
    s = resolve({"timezone": "Europe/Berlin"}, env={"CAMPAIGNER_TIMEZONE": "Asia/Jayapura"}, config_path=cfg)
    assert (s.timezone, s.sources["timezone"]) == ("Europe/Berlin", "flag")


def test_defaults(tmp_path):
    s = resolve({}, env={"CAMPAIGNER_HOME": str(tmp_path / "d")}, config_path=None)
    assert s.timezone == "Asia/Jakarta"
    assert s.database_url == f"sqlite:///{tmp_path / 'd' / 'campaigner.db'}"
    assert s.media_dir == tmp_path / "d" / "media"


def test_plain_path_means_sqlite(tmp_path):
    (tmp_path / "empty.toml").write_text("")
    s = resolve({"database_url": str(tmp_path / "x.db")}, env={}, config_path=tmp_path / "empty.toml")
    assert s.database_url == f"sqlite:///{tmp_path / 'x.db'}"


def test_bad_files(tmp_path):
    with pytest.raises(ConfigError) as e:
        resolve({}, env={}, config_path=tmp_path / "absent.toml")
    assert str(e.value) == (f"config file {tmp_path / 'absent.toml'} does not exist — create it or point "
                            "--config / CAMPAIGNER_CONFIG at an existing file")
    bad = tmp_path / "bad.toml"
    bad.write_text("timezone = Asia/Jakarta\n")
    with pytest.raises(ConfigError, match="is not valid TOML"):
        resolve({}, env={}, config_path=bad)
    bad.write_text('timezon = "Asia/Jakarta"\n')
    with pytest.raises(ConfigError) as e:
        resolve({}, env={}, config_path=bad)
    assert str(e.value).startswith(f"unknown setting 'timezon' in config file {bad} — known settings: database_url")


def test_cli_config_and_timezone_flag(cli, home):
    r = cli.ok("--timezone", "Asia/Makassar", "config")
    assert "timezone      Asia/Makassar  (flag)" in r.stdout
    cli.ok("account", "add", "sandbox", "a1")
    r = cli.ok("--timezone", "Asia/Makassar", "post", "add", "x", "--to", "a1", "--at", "2026-12-01 09:00", "--json")
    assert '"due_local": "2026-12-01 09:00 WITA"' in r.stdout
    r = cli("--timezone", "Mars/Olympus", "account", "list")
    assert r.stderr == ("Error: unknown time zone 'Mars/Olympus' (flag) — use an IANA zone name such as Asia/Jakarta, "
                        "Asia/Makassar or Asia/Jayapura\n")


def test_db_password_never_shown(cli):
    r = cli("--db", "postgresql+psycopg://user:hunter2secret@127.0.0.1:1/none", "config")
    assert "hunter2secret" not in r.output and "***" in r.stdout
    r = cli("--db", "postgresql+psycopg://user:hunter2secret@127.0.0.1:1/none", "account", "list")
    assert r.exit_code == 1 and "hunter2secret" not in r.output
    assert r.stderr.startswith("Error: cannot open the database postgresql+psycopg://user:***@127.0.0.1:1/none")
