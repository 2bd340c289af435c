"""The cyclic garbage collector paused while the weekly report is built and written (a module of
its own, with no import: ``report weekly`` pauses it before it imports the report's modules)."""
from __future__ import annotations

import gc
from contextlib import contextmanager
from typing import Iterator


@contextmanager
def no_cycle_collection() -> Iterator[None]:
    """The cyclic garbage collector paused: building a week of 50,000 deliveries makes a few
    hundred thousand objects (no cycles), and the collector walking them again and again took a
    third of the time. (The CSV and JSON renderers build their columns under it too.)

    When it is back on, the objects made meanwhile are moved to its oldest generation at once
    (``gc.freeze`` then ``gc.unfreeze``), as a collection would move the ones that survive it:
    else its first young collection walks them all (a tenth of a second on 50,000 deliveries).
    Whatever cycles arose are collected with that generation, later."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.freeze()
            gc.unfreeze()
            gc.enable()
