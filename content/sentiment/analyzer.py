"""``IndonesianAnalyzer``: the Indonesian analyser behind TextBlob's analyser interface.

Importing this module imports TextBlob (~300 ms); ``content.sentiment`` loads it only when
``IndonesianAnalyzer`` is first asked for. Works without NLTK corpora: it never touches
``blob.words`` or any NLTK tokenizer, only the raw text.

    >>> from textblob import TextBlob
    >>> from content.sentiment import IndonesianAnalyzer
    >>> TextBlob("Setuju banget, upah harus naik!", analyzer=IndonesianAnalyzer()).sentiment
    Sentiment(polarity=0.84, subjectivity=0.84)
"""
from __future__ import annotations

from collections import namedtuple

from textblob.base import CONTINUOUS, BaseSentimentAnalyzer

from content.sentiment.indonesian import analyse

Sentiment = namedtuple("Sentiment", ["polarity", "subjectivity"])
#: named "Sentiment" like TextBlob's own (its PatternAnalyzer returns the same shape under that name)
SentimentAssessments = namedtuple("Sentiment", ["polarity", "subjectivity", "assessments"])  # type: ignore[name-match]


class IndonesianAnalyzer(BaseSentimentAnalyzer):
    """Lexicon-based Bahasa Indonesia sentiment, shaped like TextBlob's ``PatternAnalyzer``:
    ``analyze`` returns ``Sentiment(polarity, subjectivity)``, or with ``keep_assessments=True``
    ``Sentiment(polarity, subjectivity, assessments)`` where each assessment is
    ``(words, polarity, subjectivity, None)``. See ``content.sentiment.indonesian`` for the rules.
    """

    kind = CONTINUOUS
    RETURN_TYPE = Sentiment

    def train(self) -> None:
        """Nothing to train: the lexicon ships in ``content/data`` and loads on first use."""
        self._trained = True

    def analyze(self, text, keep_assessments=False):
        result = analyse(text)
        if keep_assessments:
            return SentimentAssessments(result.polarity, result.subjectivity, result.pattern_assessments())
        return Sentiment(result.polarity, result.subjectivity)
