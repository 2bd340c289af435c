"""A connector's state file (a session, a cache, what a poll left unread): JSON written whole and
private — a temporary file made mode 0600 beside it, then renamed over it, so a reader never
sees half of it and nobody else can read it."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any


def write_json(path: Path, data: Any) -> None:
    """``data`` as ``path``'s whole content (its folder must exist); raises ``OSError``, leaving
    no temporary file behind."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
