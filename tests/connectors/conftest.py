"""Helpers for the connector tests: starting fakes on the test clock, building posts, tiny media files.

The ``clock`` fixture (a hand-moved clock) comes from ``tests/conftest.py``; fakes and connectors
share it, so nothing ever waits for real time to pass.
"""
from __future__ import annotations

import base64
import io
import logging
import uuid
from pathlib import Path
from typing import Callable, Iterator

import pytest

from connectors.base import MediaFile, OutgoingPost

#: a valid 1×1 PNG
PNG_BYTES = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==")


def new_post(text: str | None = None, *, key: str | None = None, **fields) -> OutgoingPost:
    """A post with a unique text and a fresh random idempotency key (both overridable)."""
    return OutgoingPost(text=text if text is not None else f"Tolak outsourcing, upah layak sekarang! {uuid.uuid4().hex[:8]}",
                        idempotency_key=key or str(uuid.uuid4()), **fields)


@pytest.fixture
def state_dir(tmp_path) -> Path:
    path = tmp_path / "state"
    path.mkdir(mode=0o700)
    return path


@pytest.fixture
def png(tmp_path) -> Callable[[str], MediaFile]:
    """``png("name")`` writes a tiny PNG and returns it as a MediaFile."""
    def _png(name: str = "poster", alt: str = "Poster aksi upah layak") -> MediaFile:
        path = tmp_path / f"{name}.png"
        path.write_bytes(PNG_BYTES)
        return MediaFile(path=path, mime_type="image/png", alt_text=alt)
    return _png


@pytest.fixture
def all_logs(caplog) -> Iterator[io.StringIO]:
    """Everything logged at any level by anyone, formatted with tracebacks, as one text stream."""
    caplog.set_level(logging.DEBUG)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setLevel(logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    yield stream
    root.removeHandler(handler)
