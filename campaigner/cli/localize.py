"""Help texts in the language in use, looked up when a command is loaded or shown.

click keeps each help text as the English the decorator gave it (a docstring or ``help=``);
``localize`` swaps in the translation for the language in use and keeps the English beside it,
so a later call in another language starts from the English again (tests run both languages in
one process). The English text, cleaned as click shows it, is the msgid.
"""
from __future__ import annotations

import importlib
import inspect
from typing import Iterator

import click

from campaigner.i18n import _

_ORIGINAL = "_campaigner_english"


def _msgid(text: str) -> str:
    return inspect.cleandoc(text).partition("\f")[0]


def _commands(command: click.Command) -> Iterator[click.Command]:
    """``command`` and what it has loaded below it."""
    yield command
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            yield from _commands(sub)


def _texts(command: click.Command) -> Iterator[tuple[object, str]]:
    """(object, attribute) of every help text of ``command`` and what it has loaded below it."""
    for each in _commands(command):
        for attr in ("help", "short_help", "epilog"):
            yield each, attr
        for param in each.params:
            yield param, "help"


def localize(command: click.Command) -> click.Command:
    """``command`` (and its loaded sub-commands) with help texts in the language in use."""
    for each in _commands(command):
        # click makes each command's --help option once, with its help text in the language of
        # that moment: made again in the language in use
        if getattr(each, "_help_option", None) is not None:
            each._help_option = None
    for obj, attr in _texts(command):
        english = obj.__dict__.setdefault(_ORIGINAL, {})
        if attr not in english:
            english[attr] = getattr(obj, attr, None)
        text = english[attr]
        if text:
            setattr(obj, attr, _(_msgid(text)))
    return command


def localize_loaded() -> None:
    """Every command loaded so far (the root and each command module imported) with help texts in
    the language in use: what tests call after going back to English."""
    import sys

    from campaigner.cli.main import COMMANDS, cli

    localize(cli)
    for target in COMMANDS.values():
        module, attr = target.split(":")
        if module in sys.modules:
            localize(getattr(sys.modules[module], attr))


def help_texts() -> dict[str, str]:
    """Every help text of the whole command tree (all command modules loaded): msgid → where."""
    from campaigner.cli.main import COMMANDS, SUMMARIES, cli

    found: dict[str, str] = {}
    roots: list[click.Command] = [cli]
    for name, target in COMMANDS.items():
        module, attr = target.split(":")
        roots.append(getattr(importlib.import_module(module), attr))
    for root in roots:
        for obj, attr in _texts(root):
            english = obj.__dict__.get(_ORIGINAL, {}).get(attr, getattr(obj, attr, None))
            if english:
                name = getattr(obj, "name", "?")
                found.setdefault(_msgid(english), f"cli/{root.name}:{name}.{attr}")
    for name, summary in SUMMARIES.items():
        found.setdefault(summary, f"cli/main:SUMMARIES[{name}]")
    return found
