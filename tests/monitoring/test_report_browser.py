"""The HTML report in a real browser: headless Chromium renders it at a phone's width, with no
console error and no refused (outside) request, into a screenshot that is not blank.

Skipped when Chromium is not installed (Debian: ``apt-get install chromium``)."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.monitoring.test_report import week47  # noqa: F401 — fixture

CHROMIUM = next((p for p in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser"))
                 if p and os.path.exists(p)), None)
needs_chromium = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (apt-get install chromium)")


@needs_chromium
def test_html_report_renders_in_headless_chromium(cli, week47, tmp_path):  # noqa: F811
    page = tmp_path / "laporan.html"
    cli.ok("report", "weekly", "--week", "2026-W47", "--format", "html", "--lang", "id", "--out", str(page))
    shot = tmp_path / "shot.png"
    profile = tmp_path / "profile"
    profile.mkdir()
    cmd = [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--disable-extensions", f"--user-data-dir={profile}",
           f"--screenshot={shot}", "--window-size=412,2000", "--hide-scrollbars",
           "--enable-logging=stderr", "--v=0", page.as_uri()]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120, cwd=tmp_path)
    log = r.stdout + r.stderr
    assert "Uncaught" not in log, log
    # the page has no script: any console line is an error, e.g. "Loading the image 'https://…'
    # violates the following Content Security Policy directive" for an outside request
    assert [line for line in log.splitlines() if ":CONSOLE" in line] == []
    assert shot.exists(), f"no screenshot (exit {r.returncode}):\n{log}"
    assert len(Path(shot).read_bytes()) > 20_000, "the screenshot is suspiciously small"
    from PIL import Image

    with Image.open(shot) as img:
        rgb = img.convert("RGB")
    assert rgb.size == (412, 2000)
    assert len(rgb.getcolors(412 * 2000)) > 50  # text, tables and charts — not a blank page
    top = rgb.crop((0, 0, 412, 300)).convert("L")
    assert sum(top.histogram()[:80]) > 500  # dark text at the top: the page is not empty
    # the SVG charts were drawn: the accounts chart's last-week bars are the page's only #999999
    # (its blue is also the links' colour)
    colours = {c: n for n, c in rgb.getcolors(412 * 2000)}
    assert colours.get((0x99, 0x99, 0x99), 0) > 500

    dom = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                          "--disable-background-networking", "--disable-component-update", "--disable-sync",
                          f"--user-data-dir={profile}", "--dump-dom", page.as_uri()],
                         capture_output=True, text=True, timeout=120, cwd=tmp_path)
    assert "Laporan mingguan — Pekan ke-47 tahun 2026" in dom.stdout
    assert dom.stdout.count("data:image/svg+xml;base64,") == 3
