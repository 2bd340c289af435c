"""The Indonesian sentiment lexicon shipped in ``content/data`` and lookup with affix stripping.

Two files (see their headers and ``content/data/LICENSES.md``):

- ``id_sentiment_ours.tsv``: this project's hand-made list. A row gives either our own score in
  [-1, 1] or the word ``sensi``, meaning "take this word's score from the sensi table".
- ``id_sentiment_sensi.tsv``: the 3,493 Naive Bayes log-likelihood ratios of the MIT-licensed
  ``sensi`` package, unchanged. Only the words our file names are used: the table was learned
  from celebrity-gossip comments and most rows are noise for this purpose (names, topics, and
  words that carry the sign of the negation that sensi threw away).

Standard library only; the files are read once, on first use.
"""
from __future__ import annotations

import functools
import math

from content.sentiment.normalise import collapse_runs

#: what negation does to a word's score: a positive one flips hard ("tidak setuju" is plainly
#: negative), a negative one softly ("tidak buruk" is faint praise); also "ketidak…" words
NEGATE_POSITIVE = -0.8
NEGATE_NEGATIVE = -0.5

OURS = "id_sentiment_ours.tsv"
SENSI = "id_sentiment_sensi.tsv"


def sensi_score(loglikelihood: float) -> float:
    """Map a sensi log-likelihood ratio to [-1, 1]: ``sign * min(1, 0.25 + 0.22 * |ll|)``.

    ln 2 (a word seen once) gives 0.40, ln 3 0.49, 2.0 0.69, 3.4 and above 1.0.
    """
    if loglikelihood == 0:
        return 0.0
    return math.copysign(min(1.0, 0.25 + 0.22 * abs(loglikelihood)), loglikelihood)


def _rows(name: str):
    from importlib import resources  # imported here: pathlib & co. cost ~15 ms at import

    text = resources.files("content").joinpath("data", name).read_text(encoding="utf-8")
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        word, value = line.split("\t")[:2]
        yield word.strip(), value.strip()


@functools.cache
def lexicon() -> dict[str, float]:
    """Word -> score in [-1, 1] (ours, and the sensi words ours names, scaled)."""
    sensi = {word: float(value) for word, value in _rows(SENSI)}
    words: dict[str, float] = {}
    for word, value in _rows(OURS):
        if value == "sensi":
            if word not in sensi:
                raise ValueError(f"{OURS}: {word!r} is marked sensi but is not in {SENSI}")
            words[word] = round(sensi_score(sensi[word]), 4)
        else:
            score = float(value)
            if not -1.0 <= score <= 1.0:
                raise ValueError(f"{OURS}: score of {word!r} is outside [-1, 1]")
            words[word] = score
    return words


# Affixes, tried from the least to the most stripped; a candidate counts only if it is in the
# lexicon, so stripping cannot invent a sentiment for a word the lexicon does not know.
_PARTICLES = ("lah", "kah", "tah", "pun")
_POSSESSIVES = ("nya", "ku", "mu")
_SUFFIXES = ("kan", "an", "in", "i")  # "-in" is the colloquial -kan/-i ("nyusahin")
# prefix -> letters that the prefix's nasal may have replaced ("menolak" <- tolak)
_PREFIXES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("memper", ("",)), ("diper", ("",)),
    ("menge", ("",)), ("penge", ("",)), ("meng", ("", "k")), ("peng", ("", "k")),
    ("meny", ("s",)), ("peny", ("s",)), ("mem", ("", "p")), ("pem", ("", "p")),
    ("men", ("", "t")), ("pen", ("", "t")), ("me", ("",)), ("pe", ("",)),
    ("ber", ("",)), ("ter", ("",)), ("per", ("",)),
    ("di", ("",)), ("ke", ("",)), ("se", ("",)),
    ("nge", ("",)), ("ng", ("", "k")), ("ny", ("s",)), ("n", ("t",)), ("m", ("p",)),
)
#: words whose stripped forms would mislead: topics, not feelings ("kesehatan" is health
#: insurance in a reply, not "sehat")
NO_STRIP = frozenset(
    "kebijakan pemerintah pemerintahan perusahaan pengusaha pekerja pekerjaan bekerja "
    "kerja perintah keadaan kesempatan kenaikan harapan berharap sebaiknya terimakasih "
    "kesehatan keamanan keselamatan kesejahteraan perlindungan "
    "tidakhanya tidakapa tidaksabar bukanmain".split()
)
_MIN_STEM = 3  # after stripping suffixes only
_MIN_PREFIXED_STEM = 4  # after stripping a prefix: "besok" is not be- + "sok"


def _suffix_forms(word: str) -> list[str]:
    forms = [word]
    for group in (_PARTICLES, _POSSESSIVES, _SUFFIXES):
        for form in list(forms):
            for suffix in group:
                if form.endswith(suffix) and len(form) - len(suffix) >= _MIN_STEM + (suffix == "i"):
                    stem = form[: -len(suffix)]
                    if stem not in forms:
                        forms.append(stem)
    return forms


def _prefix_forms(word: str) -> list[str]:
    forms = []
    for prefix, restores in _PREFIXES:
        if word.startswith(prefix):
            rest = word[len(prefix):]
            for letter in restores:
                form = letter + rest
                if len(form) >= _MIN_PREFIXED_STEM and form not in forms:
                    forms.append(form)
    return forms


def candidates(word: str) -> list[str]:
    """Forms of ``word`` to look up, least stripped first (including ``word`` itself)."""
    out: list[str] = []
    for base in collapse_runs(word):
        if base in NO_STRIP:
            return [base]
        suffixed = _suffix_forms(base)
        for form in suffixed:
            if form not in out:
                out.append(form)
        for form in suffixed:
            for stripped in _prefix_forms(form):
                if stripped not in out:
                    out.append(stripped)
        if "-" in base:  # "asal-asalan", "main-mainan": the first part
            out.extend(c for c in candidates(base.split("-")[0]) if c not in out)
    return out


@functools.lru_cache(maxsize=8192)
def lookup(word: str) -> tuple[str, float] | None:
    """``(lexicon form, score)`` for ``word`` or one of its stripped forms; None if unknown.

    ``ketidak-X-an`` ("ketidakjelasan", lack of clarity) is X negated the way the analyser
    negates ("tidak jelas"), unless the lexicon lists the whole word.
    """
    words = lexicon()
    for form in candidates(word):
        if form in words:
            return form, words[form]
    if word.startswith("ketidak") and len(word) > 9:
        hit = lookup(word[len("ketidak"):].removesuffix("an"))
        if hit is not None:
            form, score = hit
            return "ketidak" + form, round(score * (NEGATE_POSITIVE if score > 0 else NEGATE_NEGATIVE), 4)
    return None
