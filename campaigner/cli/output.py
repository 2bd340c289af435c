"""Printing helpers shared by the commands: JSON, short texts, progress."""
from __future__ import annotations

import dataclasses
import enum
import json
import sys
from datetime import date, datetime, timezone
from typing import Any

import click

from content.untrusted import one_line


def _default(obj: Any) -> Any:
    if isinstance(obj, datetime):
        return obj.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")
    if isinstance(obj, date):
        return obj.isoformat()
    if isinstance(obj, enum.Enum):
        return obj.value
    if dataclasses.is_dataclass(obj):
        return dataclasses.asdict(obj)
    return str(obj)


def quiet() -> bool:
    """Whether ``-q`` was given: the commands cron runs (publish, metrics collect, alerts send,
    report deliver) then print only what needs a person."""
    ctx = click.get_current_context(silent=True)
    return bool(ctx and ctx.find_root().params.get("quiet"))


def echo_json(obj: Any) -> None:
    click.echo(json.dumps(obj, default=_default, ensure_ascii=False, indent=2))


def short(text: str, width: int = 50) -> str:
    return one_line(text, width)


def table(rows: list[list[str]], headers: list[str]) -> None:
    """A plain left-aligned table; nothing when there are no rows."""
    widths = [max(len(str(x)) for x in col) for col in zip(headers, *rows)]
    for line in [headers, *rows]:
        click.echo("  ".join(str(x).ljust(w) for x, w in zip(line, widths)).rstrip())


class Progress:
    """A progress bar on a terminal, silent when stderr is piped. Call it with (done, total)."""

    def __init__(self, label: str):
        self.label = label
        self._bar = None
        self._done = 0

    def __call__(self, done: int, total: int) -> None:
        if not sys.stderr.isatty():
            return
        if self._bar is None:
            self._bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self._bar.__enter__()
        self._bar.update(done - self._done)
        self._done = done

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.__exit__(*exc)


def max_late_minutes(value: str | None) -> int | None:
    """A ``--max-late`` option as minutes (None when it was not given)."""
    from campaigner.lateness import parse_max_late

    return None if value is None else parse_max_late(value)
