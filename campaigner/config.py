"""Settings resolved in one place: command-line flag > environment > config file > default.

The config file is TOML, at ``--config`` / ``CAMPAIGNER_CONFIG`` or ``config.toml`` in the
user's config directory. Keys: ``database_url``, ``timezone``, ``data_dir``, ``secrets_file``.
"""
from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from campaigner.errors import ConfigError

APP = "campaigner"
DEFAULT_TIMEZONE = "Asia/Jakarta"

#: setting name → environment variable
ENV = {
    "database_url": "CAMPAIGNER_DATABASE_URL",
    "timezone": "CAMPAIGNER_TIMEZONE",
    "data_dir": "CAMPAIGNER_HOME",
    "secrets_file": "CAMPAIGNER_SECRETS_FILE",
}
KEYS = tuple(ENV)


def _user_dir(kind: str) -> Path:
    import platformdirs

    return Path(getattr(platformdirs, f"user_{kind}_dir")(APP))


@dataclass(frozen=True)
class Settings:
    database_url: str
    timezone: str
    data_dir: Path
    secrets_file: Path
    config_file: Path
    #: setting name → where its value came from ("flag", "environment", "config file", "default")
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def state_dir(self) -> Path:
        """Connectors' private state (sandbox posts, Bluesky sessions)."""
        return self.data_dir / "state"

    @property
    def reports_dir(self) -> Path:
        return self.data_dir / "reports"


def default_config_file(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env["CAMPAIGNER_CONFIG"]) if env.get("CAMPAIGNER_CONFIG") else _user_dir("config") / "config.toml"


def load_config_file(path: Path, *, required: bool) -> dict:
    """The config file's table, or {} if it does not exist and was not asked for explicitly."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if required:
            raise ConfigError(f"config file {path} does not exist",
                              "create it or point --config / CAMPAIGNER_CONFIG at an existing file") from None
        return {}
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}", "check its permissions") from None
    try:
        table = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {path} is not valid TOML ({exc})",
                          'fix the syntax, e.g. timezone = "Asia/Jakarta"') from None
    unknown = sorted(set(table) - set(KEYS))
    if unknown:
        raise ConfigError(f"unknown setting {unknown[0]!r} in config file {path}",
                          f"known settings: {', '.join(KEYS)}")
    return table


def check_timezone(name: str, where: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConfigError(f"unknown time zone {name!r} {where}",
                          "use an IANA zone name such as Asia/Jakarta, Asia/Makassar or Asia/Jayapura") from None
    return name


def resolve(flags: Mapping[str, object | None] | None = None, env: Mapping[str, str] | None = None,
            config_path: str | Path | None = None) -> Settings:
    """Resolve every setting once. ``flags`` holds command-line values (None = not given)."""
    flags = dict(flags or {})
    env = os.environ if env is None else env
    explicit = config_path is not None or bool(env.get("CAMPAIGNER_CONFIG"))
    cfg_path = Path(config_path) if config_path is not None else default_config_file(env)
    file_values = load_config_file(cfg_path, required=explicit)

    values: dict[str, object] = {}
    sources: dict[str, str] = {}
    for key in KEYS:
        if flags.get(key) not in (None, ""):
            values[key], sources[key] = flags[key], "flag"
        elif env.get(ENV[key]):
            values[key], sources[key] = env[ENV[key]], f"environment {ENV[key]}"
        elif file_values.get(key) not in (None, ""):
            values[key], sources[key] = file_values[key], f"config file {cfg_path}"
        else:
            sources[key] = "default"

    data_dir = Path(str(values.get("data_dir") or _user_dir("data"))).expanduser()
    database_url = str(values.get("database_url") or f"sqlite:///{data_dir / 'campaigner.db'}")
    if "://" not in database_url:  # a plain path means an SQLite file
        database_url = f"sqlite:///{Path(database_url).expanduser().absolute()}"
    timezone = check_timezone(str(values.get("timezone") or DEFAULT_TIMEZONE), f"({sources['timezone']})")
    secrets_file = Path(str(values.get("secrets_file") or cfg_path.parent / "secrets.toml")).expanduser()
    return Settings(database_url=database_url, timezone=timezone, data_dir=data_dir,
                    secrets_file=secrets_file, config_file=cfg_path, sources=sources)
