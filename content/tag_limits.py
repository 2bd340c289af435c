"""How many #hashtags and @mentions a post carries, against its platform's limits.

Why: Instagram takes at most 5 hashtags (its product-wide rule since December 2025; the API still
documents 30) and 20 @-mentions in a caption. A post over either fails — or loses tags — at the
scheduled minute; counted when it is queued, staff fix it in time. Each tag and mention is counted
as often as it is written (the platforms do not say whether a repeat counts again: counting it
refuses nothing that would go through).
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from gettext import gettext as _

from content.hashtags import hashtags_in
from content.platforms import platform_record

#: ``@name`` not inside a word or an e-mail address (``kspi@mail.id``), nor a second ``@`` of a
#: Mastodon-style ``@user@server`` (that is one mention); names of letters, digits, ``_`` and ``.``
_MENTION = re.compile(r"(?<![\w@.])@(\w(?:[\w.]*\w)?)")


def mentions_in(text: str) -> list[str]:
    """The @mentions written in ``text``, in order, as written (``@`` included)."""
    return ["@" + m.group(1) for m in _MENTION.finditer(text)]


@dataclass(frozen=True)
class TagCount:
    """A text's hashtags and mentions against its platform's limits (None: no limit)."""

    hashtags: int
    mentions: int
    max_hashtags: int | None
    max_mentions: int | None

    @property
    def hashtags_over(self) -> int:
        return 0 if self.max_hashtags is None else max(0, self.hashtags - self.max_hashtags)

    @property
    def mentions_over(self) -> int:
        return 0 if self.max_mentions is None else max(0, self.mentions - self.max_mentions)

    @property
    def ok(self) -> bool:
        return not (self.hashtags_over or self.mentions_over)


def count_tags(text: str, platform: str) -> TagCount:
    """The hashtags and mentions of ``text`` and ``platform``'s limits for them (from its record)."""
    record = platform_record(platform)
    hashtags = len(hashtags_in(text)) if record.max_hashtags is not None and ("#" in text or "\uff03" in text) else 0
    mentions = len(mentions_in(text)) if record.max_mentions is not None and "@" in text else 0
    return TagCount(hashtags, mentions, record.max_hashtags, record.max_mentions)


def tag_problems(text: str, platform: str, *, added: int = 0, added_by: str = "") -> list[str]:
    """What is wrong with the hashtags and mentions of ``text`` on ``platform``, each ``what — how to
    fix it``; ``added`` of the hashtags were appended automatically by ``added_by`` (a campaign)."""
    count = count_tags(text, platform)
    label = platform_record(platform).label
    problems = []
    if count.hashtags_over:
        written = count.hashtags - added
        if written >= count.hashtags_over:
            fix = (_("remove {n} of the written ones") if added else _("remove {n} of them")).format(
                n=count.hashtags_over)
        else:
            fix = _("{campaign} alone adds more than that: queue it without the campaign").format(campaign=added_by)
        what = (_("{n} hashtags ({written} written, {added} added by {campaign}), {platform} takes at most {max}")
                if added else _("{n} hashtags, {platform} takes at most {max}"))
        problems.append(what.format(n=count.hashtags, written=written, added=added, campaign=added_by,
                                    platform=label, max=count.max_hashtags) + " — " + fix)
    if count.mentions_over:
        problems.append(_("{n} @mentions, {platform} takes at most {max} — remove {over}")
                        .format(n=count.mentions, platform=label, max=count.max_mentions, over=count.mentions_over))
    return problems
