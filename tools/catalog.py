"""The Indonesian catalog, built at development time with Babel (the runtime needs only the
standard library and the compiled ``.mo``).

    python tools/catalog.py missing    # every msgid without an Indonesian translation, as .po entries
    python tools/catalog.py unused     # .po entries nothing shows any more (remove them, then compile)
    python tools/catalog.py compile    # merge campaigner/locale/id/po/*.po into LC_MESSAGES/campaigner.mo

Where msgids come from (``msgids()``):
- our code: ``_``, ``N_``, ``ngettext``, ``Nn_`` (campaigner, scheduler) and the standard library's
  ``gettext``/``ngettext`` (content, connectors, which may not import campaigner);
- click's own strings, extracted from the installed click (it looks them up in the global domain);
- every help text of the command tree (commands' docstrings, options' help), read from the
  commands themselves, as ``campaigner.cli.localize`` translates them when shown.

Translations live in several ``.po`` files under ``campaigner/locale/id/po/`` (one per area, so
several people can translate at once); ``compile`` merges them and refuses two different
translations of one msgid.
"""
from __future__ import annotations

import io
import re
import sys
from datetime import datetime, timezone
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parents[1]
PO_DIR = ROOT / "campaigner" / "locale" / "id" / "po"
MO_FILE = ROOT / "campaigner" / "locale" / "id" / "LC_MESSAGES" / "campaigner.mo"
KEYWORDS = {"_": None, "N_": None, "gettext": None, "ngettext": (1, 2), "Nn_": (1, 2)}
FIXED = datetime(2026, 1, 1, tzinfo=timezone.utc)
PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\([a-z_]+\)[sd]|%[sd]")


def _extract(directory: Path, files: dict[str | tuple[str, str], set[str]] | None = None
             ) -> dict[str | tuple[str, str], str]:
    """msgid → its first place in ``directory``; ``files`` (when given) gets every file it is in."""
    found: dict[str | tuple[str, str], str] = {}
    for filename, lineno, message, _comments, _context in extract_from_dir(
            str(directory), method_map=[("**.py", "python")], keywords=KEYWORDS):
        if message:
            msgid = message if isinstance(message, str) else tuple(message)
            found.setdefault(msgid, f"{directory.name}/{filename}:{lineno}")
            if files is not None:
                files.setdefault(msgid, set()).add(f"{directory.name}/{filename}")
    return found


def help_texts() -> dict[str, str]:
    """Every help text of the command tree, as shown: msgid → where it is."""
    sys.path.insert(0, str(ROOT))
    from campaigner.cli.localize import help_texts as collect

    return collect()


def msgids(files: dict[str | tuple[str, str], set[str]] | None = None) -> dict[str | tuple[str, str], str]:
    """Every msgid campaigner can show, with where it comes from; ``files`` (when given) gets every
    file (or command, for a help text) each one is in."""
    import click

    found: dict[str | tuple[str, str], str] = {}
    for package in ("campaigner", "scheduler", "content", "connectors"):
        found.update(_extract(ROOT / package, files))
    found.update(_extract(Path(click.__file__).parent, files))
    helps = help_texts()
    found.update(helps)
    if files is not None:
        for msgid, where in helps.items():
            files.setdefault(msgid, set()).add(where.partition(":")[0])
    return found


def translations() -> Catalog:
    """The ``.po`` files merged; two different translations of one msgid are refused."""
    # fixed dates: the compiled catalog depends only on the .po files (a test compares it)
    merged = Catalog(locale="id", domain="campaigner", project="campaigner", fuzzy=False, creation_date=FIXED,
                     revision_date=FIXED)
    merged.plural_forms  # noqa: B018 (Indonesian: one form)
    for path in sorted(PO_DIR.glob("*.po")):
        with path.open("rb") as handle:
            part = read_po(handle, locale="id")
        for message in part:
            if not message.id:
                continue
            known = merged.get(message.id)
            if known is not None and known.string and message.string and known.string != message.string:
                raise SystemExit(f"{path.name}: msgid {message.id!r} translated twice, differently: "
                                 f"{known.string!r} and {message.string!r}")
            if known is None or not known.string:
                merged.add(message.id, message.string)
    return merged


def _translation(catalog: Catalog, msgid: str | tuple[str, str]) -> tuple[str, ...] | None:
    """The translation of ``msgid`` in ``catalog`` (each plural form), or None when it lacks one."""
    message = catalog.get(msgid)
    strings = message.string if message is not None else None
    texts = strings if isinstance(strings, tuple) else (strings,)
    return texts if all(texts) else None


def problems(catalog: Catalog | None = None) -> list[str]:
    """Each msgid without an Indonesian translation, or whose translation loses or adds a
    placeholder."""
    catalog = catalog or translations()
    out = []
    for msgid, where in msgids().items():
        texts = _translation(catalog, msgid)
        if texts is None:
            out.append(f"{where}: no translation of {msgid!r}")
            continue
        wanted = sorted(set(PLACEHOLDER.findall(msgid[-1] if isinstance(msgid, tuple) else msgid)))
        for text in texts:
            if sorted(set(PLACEHOLDER.findall(text))) != wanted:
                out.append(f"{where}: placeholders of {msgid!r} differ in {text!r}")
    return out


def missing(catalog: Catalog | None = None) -> str:
    """The msgids without an Indonesian translation, as ``.po`` entries to fill in."""
    catalog = catalog or translations()
    todo = Catalog(locale="id", domain="campaigner")
    for msgid, where in msgids().items():
        if _translation(catalog, msgid) is None:
            path, _sep, line = where.rpartition(":")
            todo.add(msgid, locations=[(path, int(line) if line.isdigit() else 0)])
    buffer = io.BytesIO()
    write_po(buffer, todo, omit_header=True, width=0)
    return buffer.getvalue().decode()


def _entries() -> list[tuple[str, Message]]:
    """(file name, entry) of every entry of the ``.po`` files."""
    out = []
    for path in sorted(PO_DIR.glob("*.po")):
        with path.open("rb") as handle:
            out += [(path.name, message) for message in read_po(handle, locale="id") if message.id]
    return out


def unused(entries: list[tuple[str, Message]] | None = None) -> list[str]:
    """The ``.po`` entries nothing shows any more, as ``file: msgid``: a msgid the extraction no
    longer finds, and a copy left behind when its code moved — a msgid in several ``.po`` files
    whose entry's references (``#:``) name none of the files it is now in, while another entry's do."""
    files: dict[str | tuple[str, str], set[str]] = {}
    msgids(files)
    entries = _entries() if entries is None else entries

    def current(message: Message, msgid: str | tuple[str, str]) -> bool:
        return any(where in files[msgid] for where, _line in message.locations)

    out = []
    for name, message in entries:
        msgid = message.id if isinstance(message.id, str) else tuple(message.id)
        if msgid not in files:
            out.append(f"{name}: {msgid!r} is shown nowhere")
        elif message.locations and not current(message, msgid) and any(
                other is not message and other.id == message.id and current(other, msgid) for _n, other in entries):
            out.append(f"{name}: {msgid!r} is a copy left behind (it is in {', '.join(sorted(files[msgid]))})")
    return out


def compiled(catalog: Catalog | None = None) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, catalog or translations(), use_fuzzy=False)
    return buffer.getvalue()


def main(argv: list[str]) -> int:
    command = argv[0] if argv else ""
    if command == "compile":
        MO_FILE.parent.mkdir(parents=True, exist_ok=True)
        MO_FILE.write_bytes(compiled())
        print(f"wrote {MO_FILE.relative_to(ROOT)}")
        return 0
    if command == "missing":
        sys.stdout.write(missing())
        return 0
    if command == "unused":
        for line in unused():
            print(line)
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
