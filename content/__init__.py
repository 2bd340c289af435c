"""Text and queue logic for campaigner: per-platform length, media rules, threads, hashtags,
weekly posting slots and the content-calendar CSV.

Imports only the standard library and small text libraries (``regex``, ``twitter-text-parser``),
both loaded lazily, so ``from content import length`` is cheap. The other tools live in their
modules: ``content.media``, ``content.threads``, ``content.hashtags``, ``content.slots``,
``content.calendar_csv``.
"""

from content.length import LengthCheck, check_length, length, limit_for
from content.platforms import PLATFORMS

__all__ = ["PLATFORMS", "LengthCheck", "check_length", "length", "limit_for"]
