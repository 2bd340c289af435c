"""Settings resolved in one place: command-line flag > environment > config file > default.

The config file is TOML, at ``--config`` / ``CAMPAIGNER_CONFIG`` or ``config.toml`` in the
user's config directory. Keys: ``database_url``, ``timezone``, ``data_dir``, ``secrets_file``,
``max_late`` (how late a post may still go out, e.g. "6h" or "none"), an optional ``[smtp]``
table for e-mailed alert digests (its password never lives there: it comes from
``CAMPAIGNER_SMTP_PASSWORD`` or the secrets file), ``[alerts]`` (a Telegram chat for the digests,
whose bot token lives in the secrets file too, and the inbox's alert thresholds), ``[report]``,
``[media]``: the public place Meta fetches media from (``media_settings``), and ``[listening]``:
where hashtags are counted (``listening_settings``).
"""
from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from campaigner.errors import ConfigError
from campaigner.i18n import N_, _, current, normalise, number

APP = "campaigner"
DEFAULT_TIMEZONE = "Asia/Jakarta"

#: setting name → environment variable
ENV = {
    "database_url": "CAMPAIGNER_DATABASE_URL",
    "timezone": "CAMPAIGNER_TIMEZONE",
    "data_dir": "CAMPAIGNER_HOME",
    "secrets_file": "CAMPAIGNER_SECRETS_FILE",
    "max_late": "CAMPAIGNER_MAX_LATE",
    "lang": "CAMPAIGNER_LANG",
    "user": "CAMPAIGNER_USER",
}
KEYS = tuple(ENV)
#: keys of the config file that are lists, not single values (no flag, no environment variable)
LIST_KEYS = ("approvers",)
#: the languages campaigner writes (``lang``, ``[report] lang``)
LANGS = ("en", "id")
#: setting name → its command-line flag, for the ones that have one
FLAGS = {"database_url": "--db", "timezone": "--timezone"}
#: tables the config file may hold besides the plain keys
TABLES = ("smtp", "alerts", "report", "media", "listening")
#: ``[smtp]`` keys → (type, default); ``from`` and ``to`` have no default
SMTP_KEYS: dict[str, tuple[type | tuple[type, ...], object]] = {
    "host": (str, None), "port": (int, None), "from": (str, None), "to": ((list, str), None),
    "starttls": (bool, True), "username": (str, None), "timeout": ((int, float), 20),
    "every_minutes": ((int, float), 5),
}
SMTP_PASSWORD_ENV = "CAMPAIGNER_SMTP_PASSWORD"


def _user_dir(kind: str) -> Path:
    import platformdirs

    return Path(getattr(platformdirs, f"user_{kind}_dir")(APP))


@dataclass(frozen=True)
class SmtpSettings:
    """Where alert digests are e-mailed. The password is not here: see ``services.alerts``."""

    host: str
    port: int
    sender: str
    to: tuple[str, ...]
    starttls: bool = True
    username: str | None = None
    timeout: float = 20.0
    #: how often ``campaigner run`` sends the digest of new alerts
    every_minutes: float = 5.0


#: where the alerts' Telegram bot token comes from besides the secrets file's ``[alerts]`` table
TELEGRAM_TOKEN_ENV = "CAMPAIGNER_ALERTS_TELEGRAM_BOT_TOKEN"
TELEGRAM_TOKEN_KEY = "telegram_bot_token"
TELEGRAM_API = "https://api.telegram.org"


@dataclass(frozen=True)
class AlertSettings:
    """The ``[alerts]`` table: a Telegram chat the alert digests also go to (its bot's token is in
    the secrets file, not here), and when the inbox raises an alert."""

    #: a chat id (``-1001234567890``) or a public ``@name``; None: no Telegram
    telegram_chat: str | None = None
    #: the Bot API server (a self-hosted one, or a test's)
    telegram_api: str = TELEGRAM_API
    #: this many replies of kind ``oppose`` to one campaign's posts within ``opposition_window_minutes``
    #: raise an ``opposition`` alert (0: never)
    opposition_burst: int = 10
    opposition_window_minutes: int = 60
    #: a question still new after this many hours raises an ``unanswered`` alert (0: never)
    unanswered_hours: float = 4.0


#: the formats ``campaigner report weekly`` writes, and their file extensions
REPORT_FORMATS = {"text": "txt", "markdown": "md", "html": "html", "csv": "csv", "json": "json"}


@dataclass(frozen=True)
class ReportSettings:
    """The ``[report]`` table: the weekly report ``campaigner run`` writes every Monday 07:00."""

    #: None: the ``reports`` folder in the data folder
    dir: Path | None = None
    formats: tuple[str, ...] = ("html", "markdown", "csv")
    lang: str = "en"
    #: who gets it by e-mail (None: the [smtp] table's ``to``)
    to: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Settings:
    database_url: str
    timezone: str
    data_dir: Path
    secrets_file: Path
    config_file: Path
    #: setting name → where its value came from ("flag", "environment", "config file", "default")
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)
    #: None: alerts are not e-mailed (``campaigner status`` still shows them)
    smtp: SmtpSettings | None = None
    alerts: AlertSettings = AlertSettings()
    report: ReportSettings = ReportSettings()
    #: how late a delivery may go out when neither it nor its account says (0: no limit);
    #: see ``campaigner.lateness``
    max_late_minutes: int = 6 * 60  # campaigner.lateness.DEFAULT_MAX_LATE_MINUTES (not imported here)
    #: None: no public place for media (Instagram and Threads cannot publish images)
    media: MediaSettings | None = None
    listening: ListeningSettings = field(default_factory=lambda: ListeningSettings())
    #: the language campaigner writes: "en" or "id" (the CSV files' dialect follows it)
    lang: str = "en"
    #: who approves or rejects drafts (None: the operating system's user name)
    user: str | None = None
    #: who may approve or reject drafts (None: anyone)
    approvers: tuple[str, ...] | None = None

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
        return self.report.dir or self.data_dir / "reports"

    def named_by(self, key: str) -> str:
        """Where the user sets ``key`` as this value came: ``--db``, ``CAMPAIGNER_HOME``, ``data_dir in
        /path/config.toml``… — for the "how to fix it" half of a message."""
        source = self.sources.get(key, "default")
        if source == "flag":
            return FLAGS.get(key, key)
        if source.startswith("environment "):
            return source.removeprefix("environment ")
        if source.startswith("config file "):
            return _("{key} in {path}").format(key=key, path=source.removeprefix("config file "))
        return _("{env} (or {key} in the config file)").format(env=ENV[key], key=key)

    def ensure_data_dir(self, *subfolders: Path) -> None:
        """Create the data folder (and ``subfolders``), or say in one line which setting to fix."""
        fix = _("set {setting} to a folder campaigner can create and write to").format(setting=self.named_by("data_dir"))
        for folder in (self.data_dir, *subfolders):
            what = "the data folder" if folder == self.data_dir else "the folder"
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except FileExistsError:
                raise ConfigError(_("{what} {folder} is a file, not a folder").format(what=what, folder=folder), fix) from None
            except OSError as exc:
                raise ConfigError(_("cannot create {what} {folder}: {strerror}").format(what=what, folder=folder, strerror=exc.strerror), fix) from None


def default_config_file(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    return Path(env["CAMPAIGNER_CONFIG"]) if env.get("CAMPAIGNER_CONFIG") else _user_dir("config") / "config.toml"


def load_config_file(path: Path, *, required: bool) -> dict:
    """The config file's table, or {} if it does not exist and was not asked for explicitly."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        if required:
            raise ConfigError(_("config file {path} does not exist").format(path=path),
                              _("create it with `campaigner config init {path}`, or point --config / "
                                "CAMPAIGNER_CONFIG at an existing file").format(path=path)) from None
        return {}
    except OSError as exc:
        raise ConfigError(_("cannot read config file {path}: {strerror}").format(path=path, strerror=exc.strerror), _("check its permissions")) from None
    try:
        table = tomllib.loads(data.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigError(_("config file {path} is not valid TOML ({exc})").format(path=path, exc=exc),
                          _('fix the syntax, e.g. timezone = "Asia/Jakarta"')) from None
    unknown = sorted(set(table) - set(KEYS) - set(LIST_KEYS) - set(TABLES))
    if unknown:
        raise ConfigError(_("unknown setting {unknown!r} in config file {path}").format(unknown=unknown[0], path=path),
                          _("known settings: {keys} and the tables {tables}").format(
                              keys=", ".join((*KEYS, *LIST_KEYS)), tables=", ".join(f"[{t}]" for t in TABLES)))
    return table


def smtp_settings(table: object, path: Path) -> SmtpSettings | None:
    """The ``[smtp]`` table checked: host, port, from, to (a list), starttls, username, timeout,
    every_minutes. A password in it is refused: the config file is not a secret."""
    if table is None:
        return None
    where = _("in the [smtp] table of {path}").format(path=path)
    if not isinstance(table, dict):
        raise ConfigError(_("smtp must be a table {where}").format(where=where), _('write it as [smtp] with host = "…" below it'))
    if any(k.lower() == "password" for k in table):
        raise ConfigError(_("the SMTP password must not be in the config file ({path})").format(path=path),
                          _("remove it there and set {SMTP_PASSWORD_ENV} or put password = \"…\" in the "
                            "[smtp] table of the secrets file (mode 0600)").format(SMTP_PASSWORD_ENV=SMTP_PASSWORD_ENV))
    unknown = sorted(set(table) - set(SMTP_KEYS))
    if unknown:
        raise ConfigError(_("unknown setting {unknown!r} {where}").format(unknown=unknown[0], where=where), _("known: {value}").format(value=', '.join(SMTP_KEYS)))
    values: dict[str, Any] = {}  # each checked against its kind just below
    for key, (kind, default) in SMTP_KEYS.items():
        value = table.get(key, default)
        if value is None:
            if key in ("host", "from", "to"):
                raise ConfigError(_("{key!r} is missing {where}").format(key=key, where=where),
                                  _('give host, from and to, e.g. to = ["humas@example.org"]'))
            continue
        if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
            raise ConfigError(_("{key!r} has the wrong type {where}").format(key=key, where=where), _(_SMTP_EXAMPLES[key]))
        values[key] = value
    to = _addresses(values["to"], where, _(_SMTP_EXAMPLES["to"]))
    if "@" not in str(values["from"]):
        raise ConfigError(_("'from' is not an e-mail address {where}").format(where=where), _(_SMTP_EXAMPLES["from"]))
    starttls = bool(values["starttls"])
    port = int(values.get("port") or (587 if starttls else 25))
    if not 0 < port < 65536:
        raise ConfigError(_("port {port} is out of range {where}").format(port=port, where=where), _(_SMTP_EXAMPLES["port"]))
    if float(values["every_minutes"]) <= 0 or float(values["timeout"]) <= 0:
        raise ConfigError(_("timeout and every_minutes must be positive {where}").format(where=where), _("e.g. every_minutes = 5"))
    return SmtpSettings(host=str(values["host"]), port=port, sender=str(values["from"]), to=to,
                        starttls=starttls, username=values.get("username") or None,
                        timeout=float(values["timeout"]), every_minutes=float(values["every_minutes"]))


_SMTP_EXAMPLES = {
    "host": N_('e.g. host = "smtp.example.org"'), "port": N_("e.g. port = 587"), "from": N_('e.g. from = "campaigner@example.org"'),
    "to": N_('e.g. to = ["humas@example.org", "it@example.org"]'), "starttls": N_("starttls = true or false"),
    "username": N_('e.g. username = "campaigner@example.org"'), "timeout": N_("e.g. timeout = 20 (seconds)"),
    "every_minutes": N_("e.g. every_minutes = 5"),
}


_ALERT_KEYS = ("telegram_chat", "telegram_api", "opposition_burst", "opposition_window_minutes", "unanswered_hours")


def alert_settings(table: object, path: Path) -> AlertSettings:
    """The ``[alerts]`` table checked: telegram_chat (a chat id or @name), telegram_api (https),
    opposition_burst and opposition_window_minutes (whole numbers), unanswered_hours. A bot token in
    it is refused: the config file is not a secret."""
    if table is None:
        return AlertSettings()
    where = _("in the [alerts] table of {path}").format(path=path)
    if not isinstance(table, dict):
        raise ConfigError(_("alerts must be a table {where}").format(where=where), _('write it as [alerts] with telegram_chat = "…" below it'))
    if any("token" in str(k).lower() for k in table):
        raise ConfigError(_("the Telegram bot token must not be in the config file ({path})").format(path=path),
                          _("remove it there and set {TELEGRAM_TOKEN_ENV} or put {TELEGRAM_TOKEN_KEY} = \"…\" in the "
                            "[alerts] table of the secrets file (mode 0600)").format(TELEGRAM_TOKEN_ENV=TELEGRAM_TOKEN_ENV, TELEGRAM_TOKEN_KEY=TELEGRAM_TOKEN_KEY))
    unknown = sorted(set(table) - set(_ALERT_KEYS))
    if unknown:
        raise ConfigError(_("unknown setting {unknown!r} {where}").format(unknown=unknown[0], where=where), _("known: {value}").format(value=', '.join(_ALERT_KEYS)))
    chat = table.get("telegram_chat")
    if chat is not None:
        chat = str(chat).strip() if isinstance(chat, (str, int)) and not isinstance(chat, bool) else None
        if not chat or not re.fullmatch(r"-?\d{1,20}|@[A-Za-z][A-Za-z0-9_]{3,31}", chat):
            raise ConfigError(_("'telegram_chat' is not a Telegram chat {where}").format(where=where),
                              _("give the chat's id, e.g. telegram_chat = -1001234567890, or a public @name"))
    api = table.get("telegram_api", TELEGRAM_API)
    if not isinstance(api, str):
        raise ConfigError(_("'telegram_api' must be a text {where}").format(where=where), _('e.g. telegram_api = "{TELEGRAM_API}"').format(TELEGRAM_API=TELEGRAM_API))
    api = _web_address(api, "telegram_api", where).rstrip("/") if api != TELEGRAM_API else api
    numbers: dict[str, Any] = {}
    for key, kind, least in (("opposition_burst", int, 0), ("opposition_window_minutes", int, 1),
                             ("unanswered_hours", (int, float), 0)):
        value = table.get(key, getattr(AlertSettings, key))
        if isinstance(value, bool) or not isinstance(value, kind) or value < least:
            whole = "a whole number" if kind is int else "a number"
            raise ConfigError(_("{key!r} must be {whole}, at least {least}, {where}").format(key=key, whole=whole, least=least, where=where), _(_ALERT_EXAMPLES[key]))
        numbers[key] = value
    return AlertSettings(telegram_chat=chat, telegram_api=api, **numbers)


_ALERT_EXAMPLES = {
    "opposition_burst": N_("e.g. opposition_burst = 10 (oppose replies to one campaign within the window; 0: no alert)"),
    "opposition_window_minutes": N_("e.g. opposition_window_minutes = 60"),
    "unanswered_hours": N_("e.g. unanswered_hours = 4 (0: no alert for questions left unanswered)"),
}


def report_settings(table: object, path: Path, lang: str = "en") -> ReportSettings:
    """The ``[report]`` table checked: dir, formats (a list), lang ("en" or "id"; default: the
    top-level ``lang``), to (a list)."""
    if table is None:
        return ReportSettings(lang=lang)
    where = _("in the [report] table of {path}").format(path=path)
    if not isinstance(table, dict):
        raise ConfigError(_("report must be a table {where}").format(where=where), _('write it as [report] with lang = "id" below it'))
    unknown = sorted(set(table) - {"dir", "formats", "lang", "to"})
    if unknown:
        raise ConfigError(_("unknown setting {unknown!r} {where}").format(unknown=unknown[0], where=where), _("known: dir, formats, lang, to"))
    folder = table.get("dir")
    if folder is not None and (not isinstance(folder, str) or not folder):
        raise ConfigError(_("'dir' must be a folder path {where}").format(where=where), _('e.g. dir = "/srv/campaigner/reports"'))
    formats = table.get("formats", list(ReportSettings.formats))
    if (not isinstance(formats, list) or not formats
            or not all(isinstance(f, str) and f in REPORT_FORMATS for f in formats)):
        raise ConfigError(_("'formats' must list report formats {where}").format(where=where),
                          _("choose from {value}, e.g. formats = [\"html\", \"csv\"]").format(value=', '.join(REPORT_FORMATS)))
    lang = table.get("lang", lang)
    if lang not in LANGS:
        raise ConfigError(_("'lang' must be \"en\" or \"id\" {where}").format(where=where), _('e.g. lang = "id" for Bahasa Indonesia'))
    to = table.get("to")
    return ReportSettings(dir=Path(folder).expanduser() if folder else None, formats=tuple(dict.fromkeys(formats)),
                          lang=lang,
                          to=None if to is None else _addresses(to, where, 'e.g. to = ["pimpinan@example.org"]'))


#: ``[media]`` keys; the storage keys are refused there (they belong in the secrets file)
MEDIA_KEYS = ("public_url", "public_dir", "endpoint", "bucket", "prefix", "region", "keep_days")
MEDIA_SECRET_ENV = {"access_key_id": "CAMPAIGNER_MEDIA_ACCESS_KEY_ID",
                    "secret_access_key": "CAMPAIGNER_MEDIA_SECRET_ACCESS_KEY"}
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class MediaSettings:
    """The ``[media]`` table: where campaigner puts media so Meta can fetch it by URL — a folder
    the union's web server serves (``public_dir``) or an S3-compatible bucket — and the https
    address (``public_url``, ending in "/") where that place is served."""

    public_url: str
    public_dir: Path | None = None
    endpoint: str | None = None
    bucket: str | None = None
    #: the key prefix in the bucket ("" or ending in "/")
    prefix: str = ""
    region: str = "us-east-1"
    #: files published longer ago than this are removed by the worker's cleanup
    keep_days: int = 7


def media_settings(table: object, path: Path) -> MediaSettings | None:
    """The ``[media]`` table checked: an https ``public_url`` (http only for localhost, for tests)
    and exactly one of ``public_dir`` or ``bucket`` (with ``endpoint``); keys are refused here."""
    if table is None:
        return None
    where = _("in the [media] table of {path}").format(path=path)
    if not isinstance(table, dict):
        raise ConfigError(_("media must be a table {where}").format(where=where), _('write it as [media] with public_url = "https://…" below it'))
    if set(table) & set(MEDIA_SECRET_ENV):
        raise ConfigError(_("the media storage keys must not be in the config file ({path})").format(path=path),
                          _("remove them there and set {value} or put "
                            "access_key_id and secret_access_key in the [media] table of the secrets file (mode 0600)").format(value=' and '.join(MEDIA_SECRET_ENV.values())))
    unknown = sorted(set(table) - set(MEDIA_KEYS))
    if unknown:
        raise ConfigError(_("unknown setting {unknown!r} {where}").format(unknown=unknown[0], where=where), _("known: {value}").format(value=', '.join(MEDIA_KEYS)))
    for key in MEDIA_KEYS[:-1]:
        if key in table and (not isinstance(table[key], str) or (key != "prefix" and not table[key].strip())):
            raise ConfigError(_("{key!r} must be a text {where}").format(key=key, where=where), _(_MEDIA_EXAMPLES[key]))
    if "public_url" not in table:
        raise ConfigError(_("'public_url' is missing {where}").format(where=where), _(_MEDIA_EXAMPLES["public_url"]))
    public_url = _web_address(table["public_url"], "public_url", where)
    folder, bucket = table.get("public_dir"), table.get("bucket")
    if folder and bucket:
        raise ConfigError(_("both public_dir and bucket are set {where}").format(where=where),
                          _("keep one: public_dir for a folder your web server serves, bucket (with endpoint) "
                            "for S3-compatible storage"))
    if not folder and not bucket:
        raise ConfigError(_("neither public_dir nor bucket is set {where}").format(where=where), _(_MEDIA_EXAMPLES["public_dir"]))
    keep_days = table.get("keep_days", MediaSettings.keep_days)
    if type(keep_days) is not int or keep_days < 1:
        raise ConfigError(_("'keep_days' must be a whole number of days, at least 1, {where}").format(where=where), _(_MEDIA_EXAMPLES["keep_days"]))
    if folder:
        public_dir = Path(folder).expanduser()
        if not public_dir.is_absolute():
            raise ConfigError(_("'public_dir' must be an absolute path {where}").format(where=where), _(_MEDIA_EXAMPLES["public_dir"]))
        return MediaSettings(public_url=public_url, public_dir=public_dir, keep_days=keep_days)
    if "endpoint" not in table:
        raise ConfigError(_("'endpoint' is missing for the bucket {where}").format(where=where), _(_MEDIA_EXAMPLES["endpoint"]))
    prefix = table.get("prefix", "").strip("/")
    return MediaSettings(public_url=public_url, endpoint=_web_address(table["endpoint"], "endpoint", where).rstrip("/"),
                         bucket=bucket, prefix=f"{prefix}/" if prefix else "", region=table.get("region", "us-east-1"),
                         keep_days=keep_days)


def _web_address(value: str, key: str, where: str, example: str | None = None) -> str:
    """An https address (http only on this machine: tests and a local S3 server), ending in "/"."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(value.strip())
        host = parts.hostname
    except ValueError:  # "https://[x": not an address at all
        host = None
    local = host is not None and parts.scheme == "http" and host in LOOPBACK_HOSTS
    if host is None or (parts.scheme != "https" and not local) or parts.query or parts.fragment:
        raise ConfigError(_("{key!r} must be an https:// address {where}").format(key=key, where=where),
                          _("{example} (http only for localhost or 127.0.0.1, for tests)").format(example=example or _(_MEDIA_EXAMPLES[key])))
    return value.strip().rstrip("/") + "/"


_MEDIA_EXAMPLES = {
    "public_url": N_('e.g. public_url = "https://media.kspi.example/campaigner/" (Meta fetches the files there)'),
    "public_dir": N_('e.g. public_dir = "/srv/www/media/campaigner" (a folder your web server serves at public_url), '
                  'or bucket = "…" with endpoint = "https://…" for S3-compatible storage'),
    "endpoint": N_('e.g. endpoint = "https://s3.ap-southeast-1.amazonaws.com"'),
    "bucket": N_('e.g. bucket = "kspi-media"'), "prefix": N_('e.g. prefix = "campaigner/"'),
    "region": N_('e.g. region = "ap-southeast-1"'), "keep_days": N_("e.g. keep_days = 7"),
    "telegram_api": N_('e.g. telegram_api = "https://api.telegram.org" (or your own Bot API server)'),
}


#: ``[listening]`` keys
LISTENING_KEYS = ("mastodon_instances", "x_counts", "bluesky_pages")


@dataclass(frozen=True)
class ListeningSettings:
    """The ``[listening]`` table: where campaign hashtags are counted (``campaigner listen``)."""

    #: Mastodon instances to read tag histories from besides those of the Mastodon accounts
    #: (https base URLs, without a trailing "/")
    mastodon_instances: tuple[str, ...] = ()
    #: X's recent counts cost money per request on the pay-per-use plan: off unless set
    x_counts: bool = False
    #: pages of 100 posts one Bluesky search reads per tag and day, at most (more: "at least")
    bluesky_pages: int = 10


def listening_settings(table: object, path: Path) -> ListeningSettings:
    """The ``[listening]`` table checked: ``mastodon_instances`` (a list of https addresses),
    ``x_counts`` (true/false), ``bluesky_pages`` (1 to 100)."""
    if table is None:
        return ListeningSettings()
    where = _("in the [listening] table of {path}").format(path=path)
    if not isinstance(table, dict):
        raise ConfigError(_("listening must be a table {where}").format(where=where), _("write it as [listening] with x_counts = false below it"))
    unknown = sorted(set(table) - set(LISTENING_KEYS))
    if unknown:
        raise ConfigError(_("unknown setting {unknown!r} {where}").format(unknown=unknown[0], where=where), _("known: {value}").format(value=', '.join(LISTENING_KEYS)))
    instances = table.get("mastodon_instances", [])
    example = 'e.g. mastodon_instances = ["https://mastodon.social", "https://kolektiva.social"]'
    if not isinstance(instances, list) or not all(isinstance(i, str) for i in instances):
        raise ConfigError(_("'mastodon_instances' must be a list of addresses {where}").format(where=where), example)
    urls = tuple(dict.fromkeys(_web_address(i, "mastodon_instances", where, example).rstrip("/") for i in instances))
    x_counts = table.get("x_counts", False)
    if not isinstance(x_counts, bool):
        raise ConfigError(_("'x_counts' must be true or false {where}").format(where=where),
                          _("x_counts = true turns on X's recent counts, which X bills per request"))
    pages = table.get("bluesky_pages", ListeningSettings.bluesky_pages)
    if type(pages) is not int or not 1 <= pages <= 100:
        raise ConfigError(_("'bluesky_pages' must be a whole number from 1 to 100 {where}").format(where=where), _("e.g. bluesky_pages = 10"))
    return ListeningSettings(mastodon_instances=urls, x_counts=x_counts, bluesky_pages=pages)


def _addresses(value: object, where: str, example: str) -> tuple[str, ...]:
    """A ``to`` setting: one address or a list of them, each with an "@"."""
    to = (value,) if isinstance(value, str) else value
    if not isinstance(to, (list, tuple)) or not to or not all(isinstance(x, str) and "@" in x for x in to):
        raise ConfigError(_("'to' must list e-mail addresses {where}").format(where=where), example)
    return tuple(to)


#: longer than any IANA zone name (the longest is 32 characters): refused before the zone database
#: is asked, which would try to open it as a file ("File name too long")
MAX_ZONE_NAME = 64


def check_timezone(name: str, where: str) -> str:
    """The IANA zone ``name`` names: itself, or the zone of an Indonesian label (``WIB`` →
    Asia/Jakarta, ``WITA`` → Asia/Makassar, ``WIT`` → Asia/Jayapura, any case); else one
    ``ConfigError`` (a long name is shown cut short)."""
    from content.datetext import zone_of_label

    labelled = zone_of_label(name) if len(name) <= 5 else None
    if labelled is not None:
        return labelled
    try:
        if len(name) > MAX_ZONE_NAME:
            raise ValueError(name)
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name the file system refuses
        shown = repr(name) if len(name) <= MAX_ZONE_NAME else _("{start}… ({n} characters)").format(
            start=repr(name[:20]), n=number(len(name)))
        raise ConfigError(_("unknown time zone {shown} {where}").format(shown=shown, where=where),
                          _("use WIB, WITA, WIT or an IANA zone name such as Asia/Jakarta, Asia/Makassar or "
                            "Asia/Jayapura")) from None
    return name


def _max_late(value: object, source: str) -> int:
    """The ``max_late`` setting in minutes (default 6 hours; "none": no limit)."""
    from campaigner.errors import InvalidInput
    from campaigner.lateness import DEFAULT_MAX_LATE_MINUTES, parse_max_late

    if value is None:
        return DEFAULT_MAX_LATE_MINUTES
    try:
        if source.startswith("environment "):
            return parse_max_late(str(value), source.removeprefix("environment "))
        return parse_max_late(str(value), "max_late")
    except InvalidInput as exc:
        where = "" if source.startswith("environment ") else " " + _("in {path}").format(
            path=source.removeprefix("config file "))
        raise ConfigError(exc.what + where, exc.fix) from None


def describe_source(source: str) -> str:
    """Where a setting comes from, as ``Settings.sources`` records it ("flag", "environment X",
    "config file P", "default"), in the language in use."""
    if source.startswith("environment "):
        return _("environment {name}").format(name=source.removeprefix("environment "))
    if source.startswith("config file "):
        return _("config file {path}").format(path=source.removeprefix("config file "))
    return {"flag": _("flag"), "default": _("default"), "locale": _("locale (LANGUAGE, LC_ALL, LANG…)")}.get(source, source)


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
    if sources["lang"] == "default" and current() != "en":  # the locale chose the language (main() did)
        values["lang"], sources["lang"] = current(), "locale"

    data_dir = Path(str(values.get("data_dir") or _user_dir("data"))).expanduser()
    database_url = str(values.get("database_url") or f"sqlite:///{data_dir / 'campaigner.db'}")
    if "://" not in database_url:  # a plain path means an SQLite file
        database_url = f"sqlite:///{Path(database_url).expanduser().absolute()}"
    timezone = check_timezone(str(values.get("timezone") or DEFAULT_TIMEZONE), f"({describe_source(sources['timezone'])})")
    secrets_file = Path(str(values.get("secrets_file") or cfg_path.parent / "secrets.toml")).expanduser()
    lang = check_lang(values.get("lang"), sources["lang"])
    return Settings(database_url=database_url, timezone=timezone, data_dir=data_dir,
                    secrets_file=secrets_file, config_file=cfg_path, sources=sources,
                    max_late_minutes=_max_late(values.get("max_late"), sources["max_late"]),
                    smtp=smtp_settings(file_values.get("smtp"), cfg_path),
                    alerts=alert_settings(file_values.get("alerts"), cfg_path),
                    report=report_settings(file_values.get("report"), cfg_path, lang),
                    media=media_settings(file_values.get("media"), cfg_path),
                    listening=listening_settings(file_values.get("listening"), cfg_path), lang=lang,
                    user=_user(values.get("user"), sources["user"]),
                    approvers=_approvers(file_values.get("approvers"), cfg_path))


#: what ``campaigner config init`` writes: every setting, commented out, with its default or an
#: example (the data folder and the secrets file are filled in); a test checks that the file, and
#: the file with its settings uncommented, are read without error; written in the language in use
STARTER = N_("""\
# campaigner's settings (TOML). A line starting with "#" is a comment: remove the "#" of a
# setting to use it. Command-line flags and CAMPAIGNER_* environment variables win over this file.
# Secrets (tokens, passwords, storage keys) never go here: see `campaigner account set-secret`.

# The database: an SQLite file (default: campaigner.db in the data folder), or PostgreSQL for
# several workers on several machines.
# database_url = "postgresql+psycopg://campaigner@db.example.org/campaigner"

# The zone times are read and shown in when an account has none of its own:
# Asia/Jakarta (WIB), Asia/Makassar (WITA), Asia/Jayapura (WIT); "WIB", "WITA" and "WIT" work too.
# timezone = "Asia/Jakarta"

# Where campaigner keeps its database, copies of media and reports.
# data_dir = {data_dir}

# The secrets file (mode 0600), written by `campaigner account set-secret`.
# secrets_file = {secrets_file}

# How late a post may still go out after its time: "30m", "6h", "2d" or "none".
# max_late = "6h"

# The language campaigner speaks: "en" or "id" (Bahasa Indonesia: the command line's messages,
# CSV files for Indonesian Excel, the weekly report in Indonesian).
# lang = "id"

# Drafts: who you are when you approve one (default: the system's user name), and who may approve
# (default: anyone). On a shared machine this is a workflow guard, not a security boundary.
# user = "budi"
# approvers = ["budi", "sari"]

# E-mail digests of alerts (failures, paused accounts, posts that need a person). The password
# comes from CAMPAIGNER_SMTP_PASSWORD or the secrets file.
# [smtp]
# host = "smtp.example.org"
# port = 587
# from = "campaigner@example.org"
# to = ["humas@example.org"]
# starttls = true
# username = "campaigner@example.org"

# Alerts to a Telegram chat too (the bot's token goes in the secrets file: [alerts]
# telegram_bot_token, or CAMPAIGNER_ALERTS_TELEGRAM_BOT_TOKEN), and when the replies inbox raises
# one: a burst of opposition on a campaign, a question left unanswered (0: never).
# [alerts]
# telegram_chat = -1001234567890
# opposition_burst = 10
# opposition_window_minutes = 60
# unanswered_hours = 4

# The weekly report `campaigner run` writes (and e-mails) every Monday at 07:00.
# [report]
# lang = "id"
# formats = ["html", "markdown", "csv"]
# to = ["pimpinan@example.org"]
# dir = "/srv/campaigner/reports"

# The public place Instagram and Threads fetch media from: a folder your web server serves at
# public_url, or an S3-compatible bucket (endpoint, bucket, prefix, region; its keys go in the
# secrets file).
# [media]
# public_url = "https://media.example.org/campaigner/"
# public_dir = "/srv/www/media/campaigner"
# keep_days = 7

# Listening (`campaigner listen`): Mastodon instances to count hashtags on besides the accounts'
# own; X's recent counts, which X bills per request (off unless true); Bluesky search pages of
# 100 posts per tag and day.
# [listening]
# mastodon_instances = ["https://mastodon.social"]
# x_counts = false
# bluesky_pages = 10
""")


def write_starter(path: Path) -> None:
    """Write ``STARTER`` to ``path`` (its folder made if need be); an existing file is refused,
    never overwritten."""
    path = path.expanduser()
    import json  # a JSON string is a TOML basic string: paths with quotes or backslashes stay valid

    text = _(STARTER).format(data_dir=json.dumps(str(_user_dir("data"))),
                          secrets_file=json.dumps(str(path.parent / "secrets.toml")))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "x", encoding="utf-8") as f:  # "x": fails if it exists, atomically
            try:
                f.write(text)
            except BaseException:
                path.unlink()
                raise
    except FileExistsError:
        if path.is_dir():
            raise ConfigError(_("{path} is a folder").format(path=path), _("give the path of the file to write: campaigner config init "
                                "PATH")) from None
        raise ConfigError(_("{path} exists already").format(path=path), _("edit it, or give another path: campaigner config init PATH")) \
            from None
    except OSError as exc:
        raise ConfigError(_("cannot write {path}: {strerror}").format(path=path, strerror=exc.strerror), _("check the folder and its permissions")) from None


def check_lang(value: object, source: str) -> str:
    """The ``lang`` setting: "en" (the default) or "id", any case."""
    if value is None:
        return "en"
    lang = normalise(value)
    if lang is not None:
        return lang
    where = source.removeprefix("environment ") if source.startswith("environment ") else \
        _("{key} in {path}").format(key="lang", path=source.removeprefix("config file "))
    raise ConfigError(_("unknown language {value!r} ({where})").format(value=str(value), where=where), _('use "en" (English) or "id" (Bahasa Indonesia)'))


#: the longest user name kept with an approval (``post_reviews.reviewer``)
MAX_USER = 128


def os_user() -> str | None:
    """The system's name for the user running campaigner (None when it has none): who approves
    a draft when the ``user`` setting is not set."""
    import getpass

    try:
        return getpass.getuser() or None
    except (KeyError, OSError):  # no user name in some containers
        return None


def _user(value: object, source: str) -> str | None:
    """The ``user`` setting: who this person is when approving (one name, no spaces)."""
    if value is None:
        return None
    name = str(value).strip()
    if not name or len(name) > MAX_USER or any(c.isspace() or not c.isprintable() for c in name):
        where = source.removeprefix("environment ") if source.startswith("environment ") else \
            _("{key} in {path}").format(key="user", path=source.removeprefix("config file "))
        raise ConfigError(_("the user name {value!r} ({where}) is not one name").format(value=str(value)[:40], where=where),
                          _('give a name without spaces, at most {MAX_USER} characters, e.g. user = "budi"').format(MAX_USER=MAX_USER))
    return name


def _approvers(value: object, path: Path) -> tuple[str, ...] | None:
    """The ``approvers`` list: who may approve drafts (None when it is not set)."""
    if value is None:
        return None
    if (not isinstance(value, list) or not value
            or not all(isinstance(v, str) and v.strip() and not any(c.isspace() for c in v.strip()) for v in value)):
        raise ConfigError(_("'approvers' must list user names in config file {path}").format(path=path),
                          _('e.g. approvers = ["budi", "sari"]'))
    return tuple(dict.fromkeys(v.strip() for v in value))
