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
    assert str(e.value) == (f"config file {tmp_path / 'absent.toml'} does not exist — create it with "
                            f"`campaigner config init {tmp_path / 'absent.toml'}`, or point --config / "
                            "CAMPAIGNER_CONFIG at an existing file")
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
    assert r.stderr == ("Error: unknown time zone 'Mars/Olympus' (flag) — use WIB, WITA, WIT or an IANA zone name such as Asia/Jakarta, "
                        "Asia/Makassar or Asia/Jayapura\n")


def test_db_password_never_shown(cli):
    r = cli("--db", "postgresql+psycopg://user:hunter2secret@127.0.0.1:1/none", "config")
    assert "hunter2secret" not in r.output and "***" in r.stdout
    r = cli("--db", "postgresql+psycopg://user:hunter2secret@127.0.0.1:1/none", "account", "list")
    assert r.exit_code == 1 and "hunter2secret" not in r.output
    assert r.stderr.startswith("Error: cannot open the database postgresql+psycopg://user:***@127.0.0.1:1/none")


def test_config_init_writes_a_commented_starter_and_never_overwrites(cli, home, tmp_path):
    import re

    path = tmp_path / "etc" / "campaigner.toml"
    r = cli("--config", str(path), "config")
    assert r.stderr == (f"Error: config file {path} does not exist — create it with `campaigner config init {path}`, "
                        "or point --config / CAMPAIGNER_CONFIG at an existing file\n")
    r = cli.ok("--config", str(path), "config", "init")
    assert r.stdout == (f"Wrote a starter config to {path}: every setting is commented out — remove the '#' of those "
                        "you want to change.\n")
    written = path.read_text()
    assert all(line == "" or line.startswith("#") for line in written.splitlines())
    assert f'# secrets_file = "{tmp_path / "etc" / "secrets.toml"}"' in written
    # read as it is: every setting at its default
    assert "timezone      Asia/Jakarta  (default)" in cli.ok("--config", str(path), "config").stdout
    # refused when it exists (and the file is left as it was)
    path.write_text('timezone = "Asia/Makassar"\n')
    r = cli("config", "init", str(path))
    assert (r.exit_code, r.stdout, r.stderr) == (1, "", f"Error: {path} exists already — edit it, or give another "
                                                        "path: campaigner config init PATH\n")
    assert path.read_text() == 'timezone = "Asia/Makassar"\n'
    r = cli("config", "init")  # CAMPAIGNER_CONFIG names a file that exists
    assert r.stderr == (f"Error: {home / 'config' / 'campaigner.toml'} exists already — edit it, or give another path: "
                        "campaigner config init PATH\n")
    r = cli("config", "init", str(tmp_path))
    assert r.stderr == (f"Error: {tmp_path} is a folder — give the path of the file to write: campaigner config init "
                        "PATH\n")
    # every setting it shows works once uncommented
    other = tmp_path / "other.toml"
    cli.ok("config", "init", str(other))
    other.write_text(re.sub(r"(?m)^# (\[\w+\]|\w+ = .*)$", r"\1", other.read_text()))
    s = resolve({}, env={}, config_path=other)
    assert (s.timezone, s.max_late_minutes, s.smtp.host, s.report.lang, str(s.media.public_dir)) == (
        "Asia/Jakarta", 360, "smtp.example.org", "id", "/srv/www/media/campaigner")
    assert s.database_url == "postgresql+psycopg://campaigner@db.example.org/campaigner"
