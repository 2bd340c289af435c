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
from pathlib import Path
from typing import Mapping

DOMAIN = "campaigner"
LOCALEDIR = Path(__file__).with_name("locale")
LANGS = ("en", "id")
_LOCALE_VARS = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")

_translation: gettext.NullTranslations = gettext.NullTranslations()
_lang = "en"
#: ``use`` sets LANGUAGE for click's lookups; what the user had there before, so that choosing the
#: language again (a second command in one process, as tests run them) reads the user's, not ours
_ours: str | None = None
_users: str | None = None


def detect(env: Mapping[str, str], configured: str | None = None) -> str:
    """The language to speak: ``CAMPAIGNER_LANG``, else ``configured`` (the config file's
    ``lang``), else the locale (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``), else English."""
    if env.get("CAMPAIGNER_LANG"):
        return env["CAMPAIGNER_LANG"]
    if configured:
        return configured
    if _ours is not None and env.get("LANGUAGE") == _ours:
        env = {**env, "LANGUAGE": _users or ""}
    return from_locale(env) or "en"


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
    """Speak ``lang`` from now on: our lookups, click's and the standard library's."""
    global _translation, _lang, _ours, _users
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}")
    _lang = lang
    gettext.bindtextdomain(DOMAIN, str(LOCALEDIR))
    gettext.textdomain(DOMAIN)
    # gettext.gettext (click's lookups) reads the language from the environment at each call
    if _ours is None or os.environ.get("LANGUAGE") != _ours:
        _users = os.environ.get("LANGUAGE")
    os.environ["LANGUAGE"] = _ours = lang
    _translation = gettext.translation(DOMAIN, LOCALEDIR, languages=[lang], fallback=True)


def current() -> str:
    """The language in use: "en" or "id"."""
    return _lang


def _(message: str) -> str:
    """``message`` in the language in use."""
    return _translation.gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of a counted message for ``n`` in the language in use."""
    return _translation.ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Marks ``message`` for the catalog without translating it (``_`` does, when it is shown)."""
    return message
