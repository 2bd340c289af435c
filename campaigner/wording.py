"""Counted words, in one place: "1 post", "2 posts", never "1 posts" (and "2 postingan" in
Bahasa Indonesia, which does not inflect)."""
from __future__ import annotations

from campaigner.i18n import ngettext, Nn_, number

#: every noun ``plural`` counts, marked for the catalog as "{n} noun" / "{n} nouns"
NOUNS = {
    "post": Nn_("{n} post", "{n} posts"),
    "delivery": Nn_("{n} delivery", "{n} deliveries"),
    "account": Nn_("{n} account", "{n} accounts"),
    "snapshot": Nn_("{n} snapshot", "{n} snapshots"),
    "request": Nn_("{n} request", "{n} requests"),
    "part": Nn_("{n} part", "{n} parts"),
    "more problem": Nn_("{n} more problem", "{n} more problems"),
    "row": Nn_("{n} row", "{n} rows"),
    "day": Nn_("{n} day", "{n} days"),
    "attempt": Nn_("{n} attempt", "{n} attempts"),
    "reply": Nn_("{n} reply", "{n} replies"),
    "alert": Nn_("{n} alert", "{n} alerts"),
}


def plural(n: int, one: str, many: str | None = None) -> str:
    """``n`` with its noun, in the language in use: ``plural(1, "post")`` → "1 post",
    ``plural(1200, "post")`` → "1,200 posts" ("1,200 postingan" in Indonesian); ``many`` for an
    irregular plural (``plural(2, "delivery", "deliveries")``). A noun of ``NOUNS`` is translated;
    another one is shown as given."""
    forms = NOUNS.get(one) or ("{n} " + one, "{n} " + (many or one + "s"))
    return ngettext(forms[0], forms[1], n).format(n=number(n))
