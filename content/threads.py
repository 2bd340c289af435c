"""Split one written text into the parts of a thread.

Staff write a thread as one text with a line holding only ``---`` between the posts, the way
they would in a document. Each part is then checked and published as a reply to the previous one.
"""

from __future__ import annotations

from gettext import gettext as _

SEPARATOR = "---"


def split_thread(text: str) -> list[str]:
    """The thread parts of ``text``: split at lines that hold only ``---`` (spaces around allowed).

    Line endings are normalised to ``\\n`` (CRLF and lone CR too) and each part is stripped.
    A text without separators is a thread of one. An empty part — nothing between two
    separators, or a separator at the start or end — raises ValueError naming the part number,
    worded ``what — how to fix it``.
    """
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    parts: list[list[str]] = [[]]
    for line in lines:
        if line.strip() == SEPARATOR:
            parts.append([])
        else:
            parts[-1].append(line)
    result = ["\n".join(part).strip() for part in parts]
    for number, part in enumerate(result, start=1):
        if not part:
            if len(result) == 1:
                raise ValueError(_("the thread is empty — write the text of at least one post"))
            if number == 1:
                fix = _("remove the '{separator}' line at the start")
            elif number == len(result):
                fix = _("remove the '{separator}' line at the end")
            else:
                fix = _("write its text between the two '{separator}' lines, or remove one of them")
            raise ValueError(_("thread part {part} of {parts} is empty").format(part=number, parts=len(result))
                             + " — " + fix.format(separator=SEPARATOR))
    return result


def join_thread(parts: list[str]) -> str:
    """The inverse of ``split_thread``: parts joined by a ``---`` line (for editing and export)."""
    return f"\n{SEPARATOR}\n".join(parts)
