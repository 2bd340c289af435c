"""A ``[media]`` place in a test's config file: the public folder Meta platforms fetch media from
(shared by the tests that queue or publish media for Instagram and Threads)."""
from __future__ import annotations

from pathlib import Path


def with_media_place(home: Path, folder: Path) -> None:
    """Write a config file whose ``[media]`` table puts files in ``folder`` (served nowhere: the
    tests using it never let a platform fetch)."""
    (home / "config" / "campaigner.toml").write_text(
        f'[media]\npublic_url = "http://127.0.0.1:9/media/"\npublic_dir = "{folder}"\n')
