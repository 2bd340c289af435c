"""A REAL SMTP server on 127.0.0.1 for tests (aiosmtpd): ``smtp_server`` starts one per call, with
an optional password and STARTTLS; ``tls_cert`` makes a self-signed certificate the client trusts.
tests/conftest.py registers this module as a plugin, so every test can ask for them."""
from __future__ import annotations

import asyncio
import email
import email.policy
import shutil
import socket
import ssl
import subprocess

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Inbox:
    """The SMTP server's handler: keeps every message it accepts (after ``delay`` seconds, and
    after ``during()``, something the test does while the client waits for the answer)."""

    def __init__(self):
        self.messages: list[tuple[str, list[str], email.message.EmailMessage]] = []
        self.delay = 0.0
        self.during = None

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.during is not None:
            self.during()
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), msg))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def tls_cert(tmp_path, monkeypatch):
    """A self-signed certificate for 127.0.0.1, trusted by the client through SSL_CERT_FILE."""
    if not shutil.which("openssl"):
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
                    "-nodes", "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    return cert, key


@pytest.fixture
def smtp_server():
    """``smtp_server(password=None, tls=None, port=None)`` → (inbox, port, stop); stopped after the
    test. ``port`` starts it again where a stopped one was (the config file names that port)."""
    started = []

    def start(*, password: str | None = None, tls: tuple | None = None, port: int | None = None):
        inbox = Inbox()
        kw = {}
        if tls is not None:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(*tls)
            kw.update(tls_context=ctx, require_starttls=True)
        if password is not None:
            def authenticator(server, session, envelope, mechanism, auth_data):
                ok = isinstance(auth_data, LoginPassword) and auth_data.password == password.encode()
                return AuthResult(success=ok, handled=False)
            kw.update(authenticator=authenticator, auth_required=True, auth_require_tls=tls is not None)
        controller = Controller(inbox, hostname="127.0.0.1", port=port or free_port(), **kw)
        controller.start()
        started.append(controller)

        def stop():
            started.remove(controller)
            controller.stop()
        return inbox, controller.port, stop

    yield start
    for c in started:
        c.stop()
