"""Sentiment of replies to published posts, in Bahasa Indonesia or English, fully offline.

    >>> from content.sentiment import score
    >>> score("Tapera ini gak adil buat buruh")
    Score(language='id', polarity=-0.48, label='negative')
    >>> score("This is a great step for workers")
    Score(language='en', polarity=0.8, label='positive')

- ``detect_language(text, hint=None)``: "id", "en" or None, from function-word counts; a
  platform's language tag wins when it names Indonesian or English.
- ``score(text, language_hint=None)``: English through TextBlob's default ``PatternAnalyzer``,
  Indonesian through ``IndonesianAnalyzer`` (TextBlob's analyser interface over this package's
  lexicon). When the language is unknown both run and the one with more scored words (lexicon
  hits) is used, Indonesian on a tie; ``Score.language`` stays None then. When the detected
  language's analyser scores no word at all, the other one's result is used if it scored any
  (code-mixed replies: "Ini policy yang unfair"; emoji, which only the Indonesian lexicon
  knows: "Solidarity! ✊"); ``Score.language`` is still the detected language. The polarity is the
  reply's tone, not its stance towards the post ("Tolak Tapera!" is negative in tone).
- Labels: ``negative`` below ``-NEUTRAL_BAND``, ``positive`` from ``NEUTRAL_BAND`` up, else
  ``neutral`` (so a reply with no sentiment word is neutral, polarity 0.0).

Nothing here downloads: TextBlob's English lexicon ships inside TextBlob and the Indonesian
one in ``content/data``; neither analyser needs NLTK corpora. TextBlob (~300 ms to import) is
loaded on the first ``score`` call or the first use of ``IndonesianAnalyzer``, never by
importing ``content`` or ``content.sentiment``.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, NamedTuple

from content.sentiment.language import detect_language, normalise_hint

if TYPE_CHECKING:
    from content.sentiment.analyzer import IndonesianAnalyzer

__all__ = ["NEUTRAL_BAND", "IndonesianAnalyzer", "Score", "detect_language", "label_for",
           "normalise_hint", "score"]

#: polarities with an absolute value below this are labelled neutral
NEUTRAL_BAND = 0.1


class Score(NamedTuple):
    """A reply's sentiment: ``language`` "id", "en" or None (undetermined), ``polarity`` in
    [-1, 1], ``label`` "positive", "neutral" or "negative"."""

    language: str | None
    polarity: float
    label: str


def label_for(polarity: float) -> str:
    """"positive", "neutral" or "negative" for a polarity (neutral when |p| < NEUTRAL_BAND)."""
    if polarity >= NEUTRAL_BAND:
        return "positive"
    if polarity <= -NEUTRAL_BAND:
        return "negative"
    return "neutral"


_analyzers: dict[str, Any] = {}


def _analyzer(language: str) -> Any:
    if language not in _analyzers:
        if language == "id":
            from content.sentiment.analyzer import IndonesianAnalyzer

            _analyzers["id"] = IndonesianAnalyzer()
        else:
            from textblob.sentiments import PatternAnalyzer

            _analyzers["en"] = PatternAnalyzer()
    return _analyzers[language]


def _assess(text: str, language: str) -> tuple[float, int]:
    """(polarity, number of scored words) through TextBlob with the language's analyser."""
    from textblob import TextBlob

    sentiment = TextBlob(text, analyzer=_analyzer(language)).sentiment_assessments
    return float(sentiment.polarity), len(sentiment.assessments)


def score(text: str, language_hint: str | None = None) -> Score:
    """The sentiment of one reply. ``language_hint`` is the platform's language tag, if any."""
    language = detect_language(text, hint=language_hint)
    if language is not None:
        polarity, hits = _assess(text, language)
        if hits == 0:  # code-mixed ("Ini policy yang unfair") or emoji Pattern lacks ("✊")
            other_polarity, other_hits = _assess(text, "en" if language == "id" else "id")
            if other_hits:
                polarity = other_polarity
    else:
        polarity_id, hits_id = _assess(text, "id")
        polarity_en, hits_en = _assess(text, "en")
        polarity = polarity_en if hits_en > hits_id else polarity_id
    polarity = round(max(-1.0, min(1.0, polarity)), 4)
    return Score(language, polarity, label_for(polarity))


def __getattr__(name: str) -> Any:
    if name == "IndonesianAnalyzer":
        from content.sentiment.analyzer import IndonesianAnalyzer

        return IndonesianAnalyzer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
