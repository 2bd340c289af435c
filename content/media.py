"""Per-platform media rules and a check of the files a post would attach.

Why: a post that fails at publish time because a photo is 6 MB or a HEIC is wasted at the worst
moment (the scheduled minute). Checking when the post is queued lets staff fix it in time.
The file type comes from the file's first bytes, never its name: phones save HEIC as ``.jpg``,
and messengers strip or change extensions.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from gettext import gettext as _

from content.platforms import RECORDS, MediaRules, platform_record

from content.numbers import FormatNumber, plain
from content.mime import AVIF, GIF, HEIC, JPEG, MP4, PNG, QUICKTIME, WEBP

_NAMES = {JPEG: "JPEG", PNG: "PNG", GIF: "GIF", WEBP: "WEBP", MP4: "MP4",
          HEIC: "HEIC", AVIF: "AVIF", QUICKTIME: "QuickTime (MOV)"}

#: the most bytes any platform takes in one file: a bigger file is refused without being copied
LARGEST = max(limit for record in RECORDS for limit in record.media.max_bytes.values())


@dataclass(frozen=True)
class MediaFacts:
    """What the checks need to know of one file: its ``name`` as given (for messages), its size
    and its type from its first bytes. Taken from the one copy campaigner keeps, so the file
    checked is the file stored (see ``campaigner.media_store``)."""

    name: str
    size: int
    mime: str | None


def media_rules(platform: str) -> MediaRules:
    """The media rules of ``platform`` (from its record); ValueError for an unknown platform."""
    return platform_record(platform).media


def sniff_mime(path: str | os.PathLike[str]) -> str | None:
    """The MIME type of the file at ``path`` from its magic bytes, or None if unrecognised.

    Knows JPEG, PNG, GIF, WEBP and MP4, plus HEIC/AVIF and QuickTime so refusals can name them.
    Raises OSError if the file cannot be read.
    """
    with open(path, "rb") as f:
        head = f.read(32)
    return sniff_bytes(head)


def sniff_bytes(head: bytes) -> str | None:
    """The MIME type of data starting with ``head`` (its first 12+ bytes), or None."""
    if head.startswith(b"\xff\xd8\xff"):
        return JPEG
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return GIF
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return WEBP
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"):
            return HEIC
        if brand in (b"avif", b"avis"):
            return AVIF
        if brand == b"qt  ":
            return QUICKTIME
        return MP4  # isom, iso2, mp41, mp42, avc1, dash, M4V … are all MPEG-4 containers
    return None


def check_files(paths: Iterable[str | os.PathLike[str]]) -> list[str]:
    """Problems with the files themselves, whatever the platform: missing, not a file,
    unreadable or empty. Each is one sentence ``what — how to fix it``."""
    return [found for found in (_inspect(os.fspath(p)) for p in paths) if isinstance(found, str)]


def check_media(paths: Iterable[str | os.PathLike[str]], platform: str, *,
                number: FormatNumber = plain) -> list[str]:
    """Problems with attaching ``paths`` to one post on ``platform``, as human sentences, each
    ``what — how to fix it``.

    An empty list means the files can go. Each file is checked (exists, readable, non-empty,
    known type, accepted type, size); then the set (count, types that must stand alone).
    ``number`` writes the sizes (the caller's language: ``campaigner.i18n.number``).
    """
    return _check([_inspect(os.fspath(p)) for p in paths], media_rules(platform), number)


def check_facts(files: Iterable[MediaFacts], platform: str, *, number: FormatNumber = plain) -> list[str]:
    """``check_media`` for files already read (see ``MediaFacts``)."""
    return _check([_problem(f) or f for f in files], media_rules(platform), number)


def _check(found: list[MediaFacts | str], rules: MediaRules, number: FormatNumber) -> list[str]:
    """Each file's problems (a ``str`` in ``found`` is one already found), then the set's."""
    problems: list[str] = []
    kinds: list[str] = []
    for facts in found:
        if isinstance(facts, str):
            problems.append(facts)
            continue
        name, size, mime = facts.name, facts.size, facts.mime
        if mime is None:
            problems.append(_("{file}: unknown file type — use {accepted}").format(file=name,
                                                                                    accepted=_accepted_names(rules)))
            continue
        kinds.append(mime)
        limit = rules.max_bytes.get(mime)
        if limit is None:
            problems.append(_("{file}: {type} is not accepted on {platform} — convert it to {accepted}")
                            .format(file=name, type=_NAMES[mime], platform=rules.platform,
                                    accepted=_accepted_names(rules)))
            continue
        if size > limit:
            problems.append(_("{file}: too big, {size} — make it at most {limit}, {platform}'s limit for {type}")
                            .format(file=name, size=_size(size, number), limit=_size(limit, number), platform=rules.platform,
                                    type=_NAMES[mime]))
    if len(found) > rules.max_count:
        problems.append(_("too many files: {n} — attach at most {max}, {platform}'s limit for one post")
                        .format(n=number(len(found)), max=number(rules.max_count), platform=rules.platform))
    lonely = sorted({k for k in kinds if k in rules.alone})
    if lonely and len(found) > 1:
        problems.append(_("{types} must be the only file in a post on {platform} — post it separately")
                        .format(types=_(" and ").join(_NAMES[k] for k in lonely), platform=rules.platform))
    return problems


def _inspect(name: str) -> MediaFacts | str:
    """The facts of the file at ``name``, or what is wrong with it as a file."""
    try:
        size = os.stat(name).st_size
        if not os.path.isfile(name):
            return not_a_file(name)
        mime = sniff_mime(name)
    except FileNotFoundError:
        return no_such_file(name)
    except OSError as exc:
        return cannot_read(name, exc)
    facts = MediaFacts(name, size, mime)
    return _problem(facts) or facts


def _problem(facts: MediaFacts) -> str | None:
    return (_("{file}: the file is empty — save or download it again").format(file=facts.name) if facts.size == 0
            else None)


def not_a_file(name: str) -> str:
    return _("{file}: not a file — give the path of an image or video file").format(file=name)


def no_such_file(name: str) -> str:
    return _("{file}: no such file — check the path").format(file=name)


def cannot_read(name: str, exc: OSError) -> str:
    return _("{file}: cannot read it ({reason}) — check the file and its permissions").format(
        file=name, reason=exc.strerror or exc)


def _accepted_names(rules: MediaRules) -> str:
    names = [_NAMES[m] for m in rules.accepted]
    return _("{list} or {last}").format(list=", ".join(names[:-1]), last=names[-1])


def _size(n: int, number: FormatNumber) -> str:
    """``6,291,456 bytes (6.3 MB)`` — exact bytes, plus decimal megabytes for a quick read."""
    return _("{n} bytes ({mb} MB)").format(n=number(n), mb=number(n / 1_000_000, 1))
