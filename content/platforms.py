"""The platform names that ``content`` knows, and one check that turns a bad name into a clear error.

The names match ``connectors.registry`` (``content`` may not import it), so core can pass an
account's ``platform`` string straight through.
"""

from __future__ import annotations

PLATFORMS: tuple[str, ...] = ("x", "mastodon", "bluesky", "telegram", "facebook", "sandbox")

_CANONICAL = frozenset(PLATFORMS)

# Common spellings staff type; the canonical name is what the rest of the project stores.
_ALIASES: dict[str, str] = {"twitter": "x", "fb": "facebook", "bsky": "bluesky", "tg": "telegram"}


def check_platform(platform: str) -> str:
    """Return the canonical platform name for ``platform`` (case-insensitive, a few aliases).

    Raises ValueError naming the accepted platforms, so a typo never falls back to a default limit.
    """
    if type(platform) is str and platform in _CANONICAL:  # the usual case: a stored name, per row of an import
        return platform
    key = str(platform).strip().lower()
    key = _ALIASES.get(key, key)
    if key not in PLATFORMS:
        raise ValueError(
            f"unknown platform {platform!r} — use one of: {', '.join(sorted(PLATFORMS))}"
        )
    return key
