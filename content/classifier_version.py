"""Which reply classifier judged a reply's kind: a short hash of everything that decides it.

A reply's kind (``content.stance.classify``) comes from the stance rules, the learned weights
and lexicons they read, and the sentiment lexicon they fall back on. A release that changes any of
them changes the kinds replies get; a stored reply keeps the version it was judged with, and one
judged with another is judged again (``campaigner.services.replies``), so the inbox and the
weekly report's counts never mix two classifiers.

The version is computed from the files' contents (never written down by hand, so it cannot be
forgotten when the weights are retrained), once per process: a long-running engine keeps the
classifier it loaded, and the version that goes with it.

    >>> len(current())
    12
"""
from __future__ import annotations

import functools
import hashlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from importlib.abc import Traversable

#: the files, under the ``content`` package, whose contents decide a reply's kind
PARTS = (
    "stance.py", "stance_learned.py", "data/stance_lexicon.tsv", "data/stance_weights.tsv",
    "sentiment/normalise.py", "sentiment/lexicon.py", "data/id_sentiment_ours.tsv", "data/id_sentiment_sensi.tsv",
)
#: changed by hand only if something outside ``PARTS`` changes what kind a reply gets (then every
#: stored reply is judged again)
RULES = "1"
#: characters kept of the hash (the column holds 16)
LENGTH = 12


def version_of(root: "Traversable") -> str:
    """The classifier version of the files under ``root`` (a copy of the ``content`` package's
    folder will do): a file missing (an install without the sources) counts as its name alone."""
    digest = hashlib.sha256(f"rules {RULES}\n".encode())
    for part in PARTS:
        digest.update(f"{part}\n".encode())
        try:
            digest.update(root.joinpath(*part.split("/")).read_bytes())
        except FileNotFoundError:
            digest.update(b"(missing)")
        digest.update(b"\n")
    return digest.hexdigest()[:LENGTH]


@functools.cache
def current() -> str:
    """The version of the classifier this process uses (read once: ~350 KB hashed, a few ms)."""
    from importlib import resources  # imported here: it costs more than the hashing

    return version_of(resources.files("content"))
