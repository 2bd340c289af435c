"""The language campaigner speaks: English, or Bahasa Indonesia from the shipped gettext catalog.

Every message a person reads is looked up here at the moment it is shown, never at import:

- ``_("no account named {name!r}").format(name=name)`` for a message (never an f-string: the
  msgid must be the literal text, with named placeholders a translator can move);
- ``ngettext("{n} post", "{n} posts", n).format(n=n)`` for counted words;
- ``N_("...")`` only marks a text for extraction where it is translated later by ``_``;
- click's own strings ("Usage:", "Missing argument …") and the ``content``/``connectors``
  packages (which may not import campaigner) use the standard library's ``gettext.gettext``,
  which reads the global domain: ``use`` binds ours there.

The catalog is built at development time (``python tools/catalog.py compile``, with Babel);
the runtime needs only the standard library and the ``.mo`` file shipped in ``campaigner/locale``.
"""
from __future__ import annotations

import gettext
import os
import sys
from pathlib import Path
from contextlib import contextmanager
from typing import Iterator, Mapping

DOMAIN = "campaigner"
LOCALEDIR = Path(__file__).with_name("locale")
LANGS = ("en", "id")
_LOCALE_VARS = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")

_translation: gettext.NullTranslations = gettext.NullTranslations()
_lang = "en"
#: the global domain while English is spoken: no catalog has that name, so click's lookups give
#: the English they asked for whatever LANGUAGE says
_ENGLISH = "campaigner-en"
#: click's lookups (``gettext.gettext``) take the language from LANGUAGE at each call: ``use`` sets it
#: while Indonesian is spoken, and keeps here what the user had (``_KEEP``: nothing kept), so that
#: ``restore_environment`` gives it back and ``detect`` reads the user's, never ours
_KEEP: object = object()
_users: object = _KEEP


#: what ``lang`` (the setting, CAMPAIGNER_LANG) may say for each language, any case
_NAMES = {"id": ("id", "id_id", "id-id", "indonesian", "bahasa"),
          "en": ("en", "en_us", "en-us", "en_gb", "en-gb", "english")}


class UnknownLanguage(ValueError):
    """``CAMPAIGNER_LANG`` names a language campaigner does not speak."""

    def __init__(self, value: str):
        self.value = value
        super().__init__(f"unknown language {value!r}")


def normalise(value: object) -> str | None:
    """"en" or "id" for what a person may write in ``lang`` ("id", "id_ID", "Indonesian", "EN"…);
    None for anything else."""
    text = str(value).strip().lower().split(".")[0]
    for code, names in _NAMES.items():
        if text in names:
            return code
    return None


def detect(env: Mapping[str, str], configured: str | None = None) -> str:
    """The language to speak: ``CAMPAIGNER_LANG``, else ``configured`` (the config file's
    ``lang``), else the locale (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``), else English.
    An unknown ``CAMPAIGNER_LANG`` raises ``UnknownLanguage``; an unknown ``configured`` is passed
    over (the config's own check says so when a command reads the settings)."""
    chosen = env.get("CAMPAIGNER_LANG", "").strip()
    if chosen:
        code = normalise(chosen)
        if code is None:
            raise UnknownLanguage(chosen)
        return code
    code = normalise(configured) if configured else None
    if code is not None:
        return code
    if _users is not _KEEP and env.get("LANGUAGE") == os.environ.get("LANGUAGE"):  # ours (``use``): the user's
        env = {**env, "LANGUAGE": str(_users or "")}
    return from_locale(env) or "en"


def config_path(env: Mapping[str, str], given: str | None = None) -> Path:
    """The config file in force (``--config``, else ``CAMPAIGNER_CONFIG``, else the user's config
    folder), found without importing platformdirs where the answer is plain (Linux, macOS):
    the same path as ``campaigner.config.default_config_file``."""
    if given:
        return Path(given)
    if env.get("CAMPAIGNER_CONFIG"):
        return Path(env["CAMPAIGNER_CONFIG"])
    if sys.platform.startswith("linux") or sys.platform.startswith("freebsd"):
        base = env.get("XDG_CONFIG_HOME", "").strip() or os.path.expanduser("~/.config")
        return Path(base) / "campaigner" / "config.toml"
    if sys.platform == "darwin":
        return Path(os.path.expanduser("~/Library/Application Support")) / "campaigner" / "config.toml"
    import platformdirs

    return Path(platformdirs.user_config_dir("campaigner")) / "config.toml"


def config_lang(path: Path) -> str | None:
    """The ``lang`` the config file at ``path`` asks for, read cheaply before anything is shown;
    None when it has none, or cannot be read (the config's own checks report that, in the
    language chosen without it, when a command reads the settings). A plain top-level
    ``lang = "id"`` line is read without a TOML parser; anything else about ``lang`` with one."""
    try:
        data = path.read_bytes()
    except (OSError, ValueError):
        return None
    if b"lang" not in data:
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    for line in text.splitlines():
        stripped = line.strip()
        if stripped.startswith("["):  # a table: top-level keys come before any
            break
        key, sep, value = stripped.partition("=")
        if sep and key.strip() == "lang":
            value = value.split("#")[0].strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'" and value[1:-1].isalnum():
                return normalise(value[1:-1])
            break
    import tomllib

    try:
        found = tomllib.loads(text).get("lang")
    except tomllib.TOMLDecodeError:
        return None
    return normalise(found) if isinstance(found, str) else None


def from_locale(env: Mapping[str, str]) -> str | None:
    """The language the locale variables ask for, in gettext's order (``LANGUAGE`` may list
    several, ``id:en``): "id" or "en" for the first one campaigner speaks, else None."""
    for var in _LOCALE_VARS:
        value = env.get(var)
        if not value:
            continue
        for item in value.split(":"):
            code = item.split(".")[0].split("@")[0].split("_")[0].lower()
            if code in LANGS:
                return code
            if code == "in":  # the old ISO code some systems still use for Indonesian
                return "id"
        if var != "LANGUAGE":  # LANGUAGE falls through to the next one; the others decide
            return None
    return None


def use(lang: str) -> None:
    """Speak ``lang`` from now on: our lookups, click's and the standard library's (the global
    gettext domain)."""
    global _translation, _lang, _users
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}")
    _lang = lang
    domain = DOMAIN if lang != "en" else _ENGLISH
    gettext.bindtextdomain(domain, str(LOCALEDIR))
    gettext.textdomain(domain)
    if lang == "en":
        restore_environment()
    else:
        if _users is _KEEP:
            _users = os.environ.get("LANGUAGE")
        os.environ["LANGUAGE"] = lang
    _translation = gettext.translation(DOMAIN, LOCALEDIR, languages=[lang], fallback=True)


@contextmanager
def english(when: bool = True) -> Iterator[None]:
    """English for what is made inside (``when`` True): machine-readable output (``--json``)
    stays English whatever language the process speaks."""
    global _translation, _lang
    saved = _translation, _lang
    if when:
        _translation, _lang = gettext.NullTranslations(), "en"
    try:
        yield
    finally:
        _translation, _lang = saved


def restore_environment() -> None:
    """Give the user's LANGUAGE back to the environment (``use`` changes it for click while
    Indonesian is spoken): ``main`` does it when a command is done."""
    global _users
    if _users is _KEEP:
        return
    if _users is None:
        os.environ.pop("LANGUAGE", None)
    else:
        os.environ["LANGUAGE"] = str(_users)
    _users = _KEEP


def reset() -> None:
    """Back to English, and the user's own LANGUAGE back in the environment (tests, between
    two runs of the CLI in one process)."""
    use("en")


def current() -> str:
    """The language in use: "en" or "id"."""
    return _lang


def _(message: str) -> str:
    """``message`` in the language in use."""
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a counted message for ``n`` in the language in use."""
    return _translation.ngettext(singular, plural, n)


def number(n: float, digits: int = 0) -> str:
    """``n`` with its thousands grouped, and ``digits`` decimals, as the language in use writes
    them: English ``1,200`` and ``6.3``, Indonesian ``1.200`` and ``6,3``."""
    return _marks(f"{n:,}" if isinstance(n, int) and not digits else f"{n:,.{digits}f}")


def decimal(n: float, most: int = 2) -> str:
    """``n`` with at most ``most`` decimals, those ending in 0 left out, as the language in use
    writes it: English ``200`` and ``2.5``, Indonesian ``200`` and ``2,5`` (a size, a duration
    someone gave)."""
    text = f"{n:,.{most}f}"
    return _marks(text.rstrip("0").rstrip(".") if "." in text else text)


def _marks(text: str) -> str:
    """``text``, a number written the English way, with the marks of the language in use."""
    if _lang != "id":
        return text
    return text.replace(",", "\0").replace(".", ",").replace("\0", ".")


def N_(message: str) -> str:
    """Marks ``message`` for the catalog without translating it (``_`` does, when it is shown)."""
    return message


def Nn_(singular: str, plural: str) -> tuple[str, str]:
    """Marks a counted message for the catalog without translating it (``ngettext`` does, when it
    is shown): ``Nn_("{n} post", "{n} posts")``."""
    return singular, plural
