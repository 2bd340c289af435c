"""The media store's staging: a staged copy that vanished is one error line."""
from __future__ import annotations

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

