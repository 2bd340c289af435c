"""Lexicon-based Indonesian sentiment, in pure Python (no TextBlob, no NLTK).

Rules, in the order a token meets them:

- ``|`` (a clause boundary) ends any pending negation or intensifier.
- A contrast word (``tapi``, ``namun``, ``sayangnya``...) multiplies the weight of what came
  before it by ``CONTRAST_DISCOUNT`` (0.3): "Bagus sih, tapi telat" leans on "telat".
- A negator (``tidak`` and its slang, ``bukan``, ``belum``, ``jangan``, ``tanpa``, ``kurang``)
  reverses the next sentiment word within ``NEGATION_WINDOW`` tokens, reaching only across
  small ``TRANSPARENT`` words ("tidak ada yang peduli"; in "nggak nyangka pemerintah sejahat
  ini" it stops at "nyangka"). A positive word is multiplied by ``NEGATE_POSITIVE`` (-0.8:
  "tidak setuju" is plainly negative), a negative one by ``NEGATE_NEGATIVE`` (-0.5: "tidak
  buruk" is only mildly positive, as in Pattern).
- An intensifier before a word (``sangat``, ``terlalu``, ``paling``...) multiplies the next
  sentiment word within two tokens; one after it (``banget``, ``sekali``, ``amat``) multiplies
  the word just before. Downtoners (``agak``, ``cukup``, ``sedikit``) multiply by less than
  one. An intensifier between a negator and its word is dropped ("tidak terlalu bagus" is
  just "not good"); one before the negator applies ("sangat tidak adil").
- ``kurang`` that negates nothing scores -0.3 on its own ("upahnya kurang").
- Any other token is looked up in the lexicon (with affix stripping); a hit is an assessment.

Polarity is the weighted mean of the assessments' scores, clamped to [-1, 1]; subjectivity
is the weighted mean of their absolute scores (a rough stand-in: the lexicon has no
subjectivity column). Both are 0.0 with no assessment.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from content.sentiment.lexicon import NEGATE_NEGATIVE, NEGATE_POSITIVE, lookup
from content.sentiment.normalise import BOUNDARY, tokens

NEGATORS = frozenset({"tidak", "bukan", "belum", "jangan", "tanpa", "kurang", "tak"})
NEGATION_WINDOW = 3
#: words a negation reaches across ("tidak ada yang peduli"); any other word ends it
#: ("nggak nyangka pemerintah sejahat ini" does not negate "jahat")
TRANSPARENT = frozenset(
    "ada yang pernah akan bisa mau perlu usah lagi juga itu ini sama jadi semua boleh dapat "
    "merasa begitu sih kok pun dong ya memang kamu kalian mereka kami kita saya dia".split()
)
#: a negator that scores on its own when it negates nothing ("upahnya kurang")
STANDALONE_NEGATORS = {"kurang": -0.3}
PRE_INTENSIFIERS = {
    "sangat": 1.4, "amat": 1.3, "terlalu": 1.3, "paling": 1.5, "sungguh": 1.3,
    "makin": 1.2, "semakin": 1.2, "bukanmain": 1.4, "begitu": 1.2,
    "cukup": 0.8, "agak": 0.7, "sedikit": 0.7,
}
POST_INTENSIFIERS = {"banget": 1.4, "sekali": 1.3, "amat": 1.3}
INTENSIFIER_WINDOW = 2
CONTRASTS = frozenset({"tapi", "tetapi", "namun", "sayangnya", "walaupun", "meskipun"})
CONTRAST_DISCOUNT = 0.3


@dataclass
class Assessment:
    """One scored word, with the negator/intensifier that changed it (Pattern's shape)."""

    words: list[str]
    polarity: float
    weight: float = 1.0
    post_intensified: bool = False


@dataclass
class Analysis:
    polarity: float
    subjectivity: float
    assessments: list[Assessment] = field(default_factory=list)

    def pattern_assessments(self) -> list[tuple[list[str], float, float, None]]:
        """Assessments as TextBlob's PatternAnalyzer gives them: (words, polarity,
        subjectivity, label)."""
        return [(a.words, a.polarity, abs(a.polarity), None) for a in self.assessments]


def _clamp(x: float) -> float:
    return max(-1.0, min(1.0, x))


def analyse(text: str) -> Analysis:
    """Polarity, subjectivity and assessments of Indonesian ``text``."""
    return analyse_tokens(tokens(text))


def analyse_tokens(toks: list[str]) -> Analysis:
    """Polarity, subjectivity and assessments of normalised tokens (``normalise.tokens``)."""
    out: list[Assessment] = []
    negation: tuple[str, int] | None = None  # (negator, its index)
    intensifier: tuple[str, float, int] | None = None
    last_hit_index = -10

    def end_negation() -> None:
        nonlocal negation
        if negation is not None and negation[0] in STANDALONE_NEGATORS:
            out.append(Assessment([negation[0]], STANDALONE_NEGATORS[negation[0]]))
        negation = None

    for i, tok in enumerate(toks):
        if tok == BOUNDARY:
            end_negation()
            intensifier = None
            continue
        if tok in CONTRASTS:
            end_negation()
            for a in out:
                a.weight *= CONTRAST_DISCOUNT
            intensifier = None
            if tok != "sayangnya":  # "unfortunately" is also a sentiment word
                continue
        if tok in NEGATORS:
            end_negation()
            negation = (tok, i)
            continue
        if tok in POST_INTENSIFIERS and out and last_hit_index == i - 1 and not out[-1].post_intensified:
            a = out[-1]
            a.polarity = round(_clamp(a.polarity * POST_INTENSIFIERS[tok]), 4)
            a.words.append(tok)
            a.post_intensified = True
            continue
        if tok in PRE_INTENSIFIERS:
            intensifier = (tok, PRE_INTENSIFIERS[tok], i)
            continue
        if tok in POST_INTENSIFIERS:
            continue
        hit = lookup(tok)
        if hit is None:
            if negation is not None and (tok not in TRANSPARENT or i - negation[1] >= NEGATION_WINDOW):
                end_negation()
            continue
        score = hit[1]
        words = [(i, tok)]
        if intensifier is not None and i - intensifier[2] <= INTENSIFIER_WINDOW:
            if negation is None or intensifier[2] <= negation[1]:
                score *= intensifier[1]
                words.append((intensifier[2], intensifier[0]))
        if negation is not None:
            score *= NEGATE_POSITIVE if score > 0 else NEGATE_NEGATIVE
            words.append((negation[1], negation[0]))
        out.append(Assessment([w for _, w in sorted(words)], round(_clamp(score), 4)))
        negation = intensifier = None
        last_hit_index = i
    end_negation()
    if not out:
        return Analysis(0.0, 0.0, [])
    total = sum(a.weight for a in out)
    polarity = _clamp(sum(a.polarity * a.weight for a in out) / total)
    subjectivity = min(1.0, sum(abs(a.polarity) * a.weight for a in out) / total)
    return Analysis(round(polarity, 4), round(subjectivity, 4), out)
