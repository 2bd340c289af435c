"""Counted words, in one place: "1 post", "2 posts", never "1 posts"."""
from __future__ import annotations


def plural(n: int, one: str, many: str | None = None) -> str:
    """``n`` with its noun: ``plural(1, "post")`` → "1 post", ``plural(1200, "post")`` → "1,200 posts";
    ``many`` for an irregular plural (``plural(2, "delivery", "deliveries")``)."""
    return f"{n:,} {one if n == 1 else many or one + 's'}"
