"""Keeps credentials out of the DEBUG logs of the libraries the connectors drive.

tweepy logs every request at DEBUG with its headers (an OAuth 2.0 bearer token included);
requests-oauthlib and oauthlib log the consumer key, the access token and the signed
``Authorization`` header; urllib3 logs request lines. Nothing here configures handlers (that
is the entry point's job): a filter is attached to those libraries' own loggers, and it rewrites
each record's text with every registered secret replaced by ``***`` — and anything shaped like a
JWT as well — before any handler, wherever configured, sees it.
"""
from __future__ import annotations

import logging
import re
import threading

from connectors.http import Redactor

#: the loggers known to print request details; records are filtered where they are created,
#: so each exact name is listed (a filter on a parent logger does not see its children's records)
PROTECTED_LOGGERS = (
    "tweepy", "tweepy.client", "tweepy.auth", "tweepy.api",
    "requests", "requests_oauthlib", "requests_oauthlib.oauth1_auth", "requests_oauthlib.oauth1_session",
    "oauthlib", "oauthlib.oauth1.rfc5849", "oauthlib.oauth1.rfc5849.signature",
    "urllib3", "urllib3.connectionpool", "urllib3.connection", "urllib3.poolmanager",
    "urllib3.response", "urllib3.util.retry",
    "connectors", "connectors.http", "connectors.x", "connectors.bluesky",
)
_PREFIXES = ("tweepy", "requests", "oauthlib", "requests_oauthlib", "urllib3", "connectors",
             "botocore", "boto3", "s3transfer")  # boto3: the S3 media storage (campaigner.media_host)
_JWT_RE = re.compile(r"eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]+")

_lock = threading.Lock()
_slots: dict[str, str] = {}
_redactor = Redactor()
_installed: set[str] = set()


def redact(text: str) -> str:
    """``text`` with every registered secret, and every JWT-shaped string, replaced by ``***``."""
    return _JWT_RE.sub("***", _redactor(text))


class SecretFilter(logging.Filter):
    """Rewrites a record's message with secrets removed; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string is not ours to fix; leave the record alone
            return True
        cleaned = redact(message)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


_FILTER = SecretFilter()


def register(secret: str | None, slot: str | None = None) -> None:
    """Never log ``secret``. With ``slot``, the value replaces the previous one of that slot
    (session tokens rotate; the old value is then no longer kept)."""
    global _redactor
    if not secret:
        return
    with _lock:
        key = slot or f"static:{secret}"
        if _slots.get(key) == secret:
            _install()
            return
        _slots[key] = secret
        _redactor = Redactor(_slots.values())
        _install()


def _install() -> None:
    names = set(PROTECTED_LOGGERS)
    # a copy taken in one step: walking the table itself fails with "dictionary changed size during
    # iteration" when another thread creates a logger meanwhile (a library imported lazily)
    known = logging.root.manager.loggerDict.copy()
    names.update(n for n in known if n.split(".")[0] in _PREFIXES)
    for name in names - _installed:
        logging.getLogger(name).addFilter(_FILTER)
        _installed.add(name)
