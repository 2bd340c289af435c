"""The Indonesian catalog is complete, compiled from its sources, and shipped.

(a) every msgid of campaigner (``_``, ``ngettext``, ``N_``, ``Nn_``, help texts of the whole command
    tree) and of the installed click has an Indonesian translation with the same placeholders;
(a') no ``.po`` entry is unused: its msgid is still shown somewhere, and it is not a copy left
    behind in another ``.po`` file when its code moved;
(b) the committed ``.mo`` is what ``tools/catalog.py compile`` makes of the ``.po`` files now;
(c) the ``.mo`` is in the installed package and in a built wheel.
"""
from __future__ import annotations

import importlib.resources
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))

catalog = pytest.importorskip("catalog")  # tools/catalog.py (needs Babel: the test extras)


def test_every_message_has_an_indonesian_translation():
    problems = catalog.problems()
    assert problems == [], f"{len(problems)} msgids lack a good Indonesian translation " \
        "(python tools/catalog.py missing):\n" + "\n".join(problems)


def test_the_placeholder_check_catches_a_lost_placeholder():
    """The check of (a) is not vacuous: a translation that drops or renames a placeholder, or a
    missing one, is reported."""
    from babel.messages.catalog import Catalog

    broken = Catalog(locale="id", domain="campaigner")
    broken.add("Usage:", "Penggunaan:")
    broken.add("No such command {name!r}.", "Tidak ada perintah {nama!r}.")
    found = "\n".join(catalog.problems(broken))
    assert "placeholders of 'No such command {name!r}.' differ" in found
    assert "no translation of 'Show this message and exit.'" in found
    assert "'Usage:'" not in found


def test_missing_lists_what_the_catalog_lacks_as_po_entries():
    """``tools/catalog.py missing`` lists a msgid the check of (a) calls untranslated, a counted one
    whose forms are empty too, and not one that is translated."""
    from babel.messages.catalog import Catalog

    partial = Catalog(locale="id", domain="campaigner")
    partial.add("Usage:", "Penggunaan:")
    partial.add(("{n} post", "{n} posts"), ("",))
    todo = catalog.missing(partial)
    assert 'msgid "Show this message and exit."\n' in todo
    assert 'msgid "{n} post"\nmsgid_plural "{n} posts"\n' in todo
    assert 'msgid "Usage:"' not in todo

def test_no_po_entry_is_unused():
    unused = catalog.unused()
    assert unused == [], f"{len(unused)} .po entries are used nowhere (python tools/catalog.py unused; remove " \
        "them, then python tools/catalog.py compile):\n" + "\n".join(unused)


def test_the_unused_check_finds_a_msgid_shown_nowhere_and_a_copy_left_behind():
    """The check of (a') is not vacuous: an entry no code shows, and the copy of a msgid whose
    references name a file it is no longer in while another file's entry names where it is now,
    are reported; an entry whose reference is stale but which is the only one, and one without
    references, are kept (removing them would lose the translation)."""
    from babel.messages.catalog import Message

    entries = [
        ("posts.po", Message("Monday", "Senin", locations=[("campaigner/cli/queue.py", 11)])),
        ("accounts.po", Message("queued", "dalam antrean", locations=[("campaigner/cli/accounts.py", 186)])),
        ("posts.po", Message("queued", "dalam antrean", locations=[("campaigner/status_words.py", 10)])),
        ("core.po", Message("Usage:", "Penggunaan:")),
        ("core.po", Message("Show this message and exit.", "Tampilkan pesan ini lalu keluar.",
                            locations=[("campaigner/moved_away.py", 1)])),
    ]
    assert catalog.unused(entries) == [
        "posts.po: 'Monday' is shown nowhere",
        "accounts.po: 'queued' is a copy left behind (it is in campaigner/status_words.py)"]


def test_the_committed_catalog_is_compiled_from_the_po_files():
    assert catalog.MO_FILE.read_bytes() == catalog.compiled(), \
        "campaigner.mo is stale: run python tools/catalog.py compile and commit it"


def test_the_catalog_is_in_the_installed_package():
    found = importlib.resources.files("campaigner") / "locale" / "id" / "LC_MESSAGES" / "campaigner.mo"
    assert found.is_file() and found.read_bytes() == catalog.MO_FILE.read_bytes()
    import gettext

    from campaigner.i18n import DOMAIN, LOCALEDIR

    assert gettext.translation(DOMAIN, LOCALEDIR, languages=["id"]).gettext("Usage:") == "Penggunaan:"


def test_the_catalog_is_in_the_wheel(tmp_path):
    """package-data ships it: a wheel built from the source holds the compiled catalog (and not
    the .po sources, which only the build needs)."""
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                        "-w", str(tmp_path), str(ROOT)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot build a wheel here: {r.stderr.strip().splitlines()[-1:]}")
    wheel = next(tmp_path.glob("campaigner-*.whl"))
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        assert "campaigner/locale/id/LC_MESSAGES/campaigner.mo" in names
        assert not any(name.endswith(".po") for name in names)
        assert z.read("campaigner/locale/id/LC_MESSAGES/campaigner.mo") == catalog.MO_FILE.read_bytes()
