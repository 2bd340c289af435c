"""Numbers with decimals in messages follow the language, as whole numbers already do: a size
someone gave (``--max-size 2.5``), a deadline (2.5 s), an aspect ratio (1.91:1), a connector's
minutes are written ``2.5`` in English and ``2,5`` in Indonesian. Through the real CLI, a real
socket that never answers, the real image pipeline and the Instagram fake over HTTP."""
from __future__ import annotations

import io
import os
import socket
from datetime import timedelta

import pytest
from PIL import Image

from campaigner import i18n
from connectors.base import Transient

ID = {"CAMPAIGNER_LANG": "id"}


@pytest.fixture
def silent():
    """A TCP address that takes connections (the kernel's backlog) and never answers a byte."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(8)
        yield f"http://127.0.0.1:{s.getsockname()[1]}"


@pytest.fixture
def indonesian():
    i18n.use("id")
    yield
    i18n.reset()


def test_the_helpers_write_decimals_as_the_language_does(indonesian):
    from connectors.numbers import decimal as connectors_decimal

    for decimal in (i18n.decimal, connectors_decimal):
        assert [decimal(n) for n in (2.5, 200.0, 3, 1234.5)] == ["2,5", "200", "3", "1.234,5"]
    i18n.use("en")
    for decimal in (i18n.decimal, connectors_decimal):
        assert [decimal(n) for n in (2.5, 200.0, 3, 1234.5)] == ["2.5", "200", "3", "1,234.5"]
    assert i18n.decimal(0.125, 2) == "0.12" and i18n.decimal(0.001) == "0"


def test_import_max_size_in_both_languages(cli, tmp_path):
    cli.ok("account", "add", "x", "kspi-x")
    big = tmp_path / "besar.csv"
    with big.open("wb") as f:  # sparse: takes no disk
        f.write(b"date,time,accounts,text\n")
        f.truncate(3_000_000)
    said = {}
    for lang in ("en", "id"):
        r = cli("post", "import", str(big), "--max-size", "2.5", env={"CAMPAIGNER_LANG": lang})
        assert (r.exit_code, r.stdout) == (1, "")
        said[lang] = r.stderr
    assert said["en"] == ("Error: besar.csv is 3 MB, more than an import reads (2.5 MB) — split it into smaller "
                          "files, or give --max-size MB\n")
    assert said["id"] == ("Kesalahan: besar.csv berukuran 3 MB, lebih besar dari yang dibaca impor (2,5 MB) — pecah "
                          "menjadi berkas-berkas yang lebih kecil, atau berikan --max-size MB\n")
    r = cli("post", "import", str(big), "--max-size", "2.0", env=ID)  # given with a decimal: none shown
    assert "(2 MB)" in r.stderr and "2,0" not in r.stderr and "2.0" not in r.stderr


def test_a_file_and_a_stream_over_a_fractional_max_size_in_indonesian(cli, db_url, tmp_path):
    """A file of 0.9 MB (its size known beforehand), and the same rows on a pipe (read until past
    the cap), over --max-size 0.5: both sizes with a decimal comma."""
    from tests.core.test_import_bounds import run_cli

    cli.ok("account", "add", "x", "kspi-x")
    rows = tmp_path / "rows.csv"
    rows.write_text("date,time,accounts,text\n" + "2027-01-01,09:00,kspi-x,Halo\n" * 30_000)
    env = {**os.environ, **ID}
    r = run_cli(db_url, "post", "import", str(rows), "--max-size", "0.5", env=env)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == ("Kesalahan: rows.csv berukuran 0,9 MB, lebih besar dari yang dibaca impor (0,5 MB) — "
                        "pecah menjadi berkas-berkas yang lebih kecil, atau berikan --max-size MB\n")
    r = run_cli(db_url, "post", "import", "/dev/stdin", "--max-size", "0.5", input=rows.read_text(), env=env)
    assert (r.returncode, r.stdout) == (1, "")
    assert r.stderr == ("Kesalahan: stdin berukuran lebih dari 0,5 MB, lebih besar dari yang dibaca impor (0,5 MB) — "
                        "pecah menjadi berkas-berkas yang lebih kecil, atau berikan --max-size MB\n")


def test_a_connectors_deadline_in_both_languages(silent, indonesian):
    from connectors.http import HttpClient

    with pytest.raises(Transient) as caught:
        HttpClient(silent, timeout=0.5).request("GET", "/me")
    assert str(caught.value) == f"GET {silent}/me: tidak ada jawaban lengkap dalam 0,5 detik"
    i18n.use("en")
    with pytest.raises(Transient) as caught:
        HttpClient(silent, timeout=0.5).request("GET", "/me")
    assert str(caught.value) == f"GET {silent}/me: no complete answer within 0.5s"


def test_a_media_fetch_deadline_in_both_languages(silent, indonesian):
    from campaigner.media_host.fetch import FetchFailed, fetch_public

    with pytest.raises(FetchFailed) as caught:
        fetch_public(f"{silent}/a.jpg", deadline=0.5)
    assert "tidak ada jawaban lengkap dalam 0,5 detik" in str(caught.value)
    i18n.use("en")
    with pytest.raises(FetchFailed) as caught:
        fetch_public(f"{silent}/a.jpg", deadline=0.5)
    assert "no complete answer within 0.5 s" in str(caught.value)


def test_an_aspect_ratio_in_indonesian(indonesian):
    from campaigner.imaging import prepare
    from content.mime import JPEG
    from tests.core.test_imaging import SHAPED

    buf = io.BytesIO()
    Image.new("RGB", (3000, 1000), (20, 20, 120)).save(buf, "JPEG", quality=90)
    notes = " ".join(prepare(buf.getvalue(), JPEG, SHAPED).notes)
    assert "1,91:1" in notes and "1.91:1" not in notes


def test_a_meta_container_processed_too_long_in_indonesian(serve, clock, indonesian):
    from connectors.instagram import InstagramConnector
    from tests.connectors.test_instagram import post_with, until_done
    from tests.fakes.instagram import Fake

    fake = serve(Fake())
    fake.processing_checks = 100
    conn = InstagramConnector(fake.account_config(), clock=clock)
    conn.flow.max_processing = timedelta(minutes=2.5)
    with pytest.raises(Transient) as caught:
        until_done(conn, post_with(fake, "video"), clock)
    assert "masih diproses setelah 2,5 menit" in str(caught.value)
