"""The media store's staging: a staged copy that vanished is one error line, and the staging
folders a killed command left behind are removed."""
from __future__ import annotations

import os
import time

import pytest

from campaigner.config import resolve
from campaigner.errors import CampaignerError
from campaigner.media_store import MediaStore, Staged, keep

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


@pytest.fixture
def settings(tmp_path):
    return resolve({"data_dir": str(tmp_path / "data")}, env={})


def test_a_staged_copy_that_vanished_is_one_error_line(settings, tmp_path):
    poster = tmp_path / "poster.png"
    poster.write_bytes(PNG)
    store = MediaStore(settings)
    staged = store.stage(poster)
    assert isinstance(staged, Staged) and staged.copy is not None
    staged.copy.unlink()  # e.g. removed by hand while the command ran
    with pytest.raises(CampaignerError) as caught:
        keep(settings, staged)
    assert str(caught.value) == (f"cannot copy {poster} into the media folder {settings.media_dir}: No such file or "
                                 f"directory — make it writable or set data_dir to another folder")
    store.close()


def test_staging_folders_a_killed_command_left_are_removed(settings, tmp_path):
    """``close`` removes a store's staging folder; a killed command never runs it. The next store
    that stages something removes the staging folders untouched for a day, not a newer one
    (another command may be using it)."""
    media = settings.media_dir
    old, recent = media / ".incoming-killed", media / ".incoming-running"
    for folder in (old, recent):
        folder.mkdir(parents=True)
        (folder / "tmp1234.png").write_bytes(PNG)
    day_and_more = time.time() - 25 * 3600
    os.utime(old, (day_and_more, day_and_more))
    poster = tmp_path / "poster.png"
    poster.write_bytes(PNG)
    store = MediaStore(settings)
    assert isinstance(store.stage(poster), Staged)
    [mine] = [p.name for p in media.iterdir() if p.name not in (".incoming-killed", ".incoming-running")]
    assert mine.startswith(".incoming-")
    assert not old.exists() and recent.exists()
    store.close()
    assert [p.name for p in media.iterdir()] == [".incoming-running"]
