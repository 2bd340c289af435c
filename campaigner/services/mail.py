"""E-mail through the config file's ``[smtp]`` table (alert digests, the weekly report).

The SMTP password comes from ``CAMPAIGNER_SMTP_PASSWORD`` or the ``[smtp]`` table of the secrets
file (mode 0600), never from the config file, and never appears in a log line or an error: a
failure is described from the server's answer with every form of the password scrubbed out.
"""
from __future__ import annotations

import base64
import logging
import smtplib
import ssl
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Sequence
from zoneinfo import ZoneInfo

from campaigner.app import App
from campaigner.config import SMTP_PASSWORD_ENV, SmtpSettings
from campaigner.errors import ConfigError
from campaigner.i18n import _
from content.untrusted import for_display

log = logging.getLogger(__name__)

LOOPBACK = ("localhost", "127.0.0.1", "::1")


def smtp_password(app: App) -> str | None:
    """The SMTP password: ``CAMPAIGNER_SMTP_PASSWORD``, else ``password`` in the ``[smtp]`` table
    of the secrets file (whose mode 0600 is checked by the secret store)."""
    value = app.secrets.env.get(SMTP_PASSWORD_ENV)
    if value:
        return value
    table = app.secrets.section("smtp")  # read with the same 0600 check
    value = table.get("password") if isinstance(table, dict) else None
    return value if isinstance(value, str) and value else None


def _credentials(app: App, smtp: SmtpSettings) -> str | None:
    if not smtp.username:
        return None
    password = smtp_password(app)
    if password is None:
        raise ConfigError(_("the SMTP user {user!r} has no password").format(user=smtp.username),
                          _("set {env} or put password = \"…\" in the [smtp] table of the secrets file {path} "
                            "(mode 0600)").format(env=SMTP_PASSWORD_ENV, path=app.secrets.path))
    if not smtp.starttls and smtp.host not in LOOPBACK:
        raise ConfigError(_("refusing to send the SMTP password unencrypted to {host}").format(host=smtp.host),
                          _("set starttls = true in the [smtp] table (or leave out username)"))
    return password


def _scrub(text: str, secrets: Sequence[str]) -> str:
    """``text`` without the password in any form an SMTP exchange carries (plain, base64 of
    itself, of AUTH PLAIN's ``\\0user\\0password``)."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _secret_forms(username: str | None, password: str | None) -> list[str]:
    if not password:
        return []
    forms = [password, base64.b64encode(password.encode()).decode()]
    if username:
        forms.append(base64.b64encode(f"\0{username}\0{password}".encode()).decode())
    return forms


def _describe(exc: Exception) -> str:
    if isinstance(exc, smtplib.SMTPResponseException):
        text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
        return f"{exc.smtp_code} {' '.join(text.split())}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return _("every recipient was refused: {to}").format(to=", ".join(exc.recipients))
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def message(smtp: SmtpSettings, subject: str, body: str, now: datetime, zone: ZoneInfo,
            to: Sequence[str] | None = None) -> EmailMessage:
    """A plain-text message from the configured sender to ``to`` (default: the [smtp] ``to``).
    Subject and body may quote platforms and strangers: escape sequences, control characters and
    bidi overrides are taken out."""
    msg = EmailMessage()
    msg["From"] = smtp.sender
    msg["To"] = ", ".join(to or smtp.to)
    msg["Subject"] = " ".join(for_display(subject).split())
    msg["Date"] = format_datetime(now.astimezone(zone))
    msg["Message-ID"] = make_msgid(domain=smtp.sender.rsplit("@", 1)[-1])
    msg.set_content(for_display(body))
    return msg


def send(app: App, smtp: SmtpSettings, msg: EmailMessage, *, what: str, then: str) -> None:
    """Hand ``msg`` to the SMTP server. On any failure raise ``ConfigError`` naming ``what`` could
    not be e-mailed (the server's answer, password scrubbed) and ``then`` (what happens next)."""
    password = _credentials(app, smtp)
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout) as conn:
            if smtp.starttls:
                conn.starttls(context=ssl.create_default_context())
            if smtp.username:
                conn.login(smtp.username, password or "")
            refused = conn.send_message(msg)
    except (smtplib.SMTPException, OSError, ssl.SSLError) as exc:
        reason = _scrub(_describe(exc), _secret_forms(smtp.username, password))
        raise ConfigError(_("could not e-mail {what} via {host}:{port} ({reason})").format(
            what=what, host=smtp.host, port=smtp.port, reason=reason),
                          _("check the [smtp] settings and the password; {then}").format(then=then)) from None
    if refused:
        log.warning("%s not accepted for %s", what, ", ".join(sorted(refused)))
