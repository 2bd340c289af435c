"""The weekly report's inbox block: replies of the week by kind per campaign, the questions of
the week still unanswered (with their links), the posts that drew the most replies, and how many
answers went out from the inbox.

What counts: replies by others (never the accounts' own answers) written during the week
(``created_at`` in it) to posts in scope, whenever those were published; a question is *open*
when it is still ``new`` as the report is built. Answers sent from the inbox are not posts of
the report (``report._published`` leaves them out): they are counted here.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Row

from campaigner.tables import DeliveryStatus as S, ReplyState
from campaigner.tables import deliveries as _deliveries, delivery_parts as _parts, posts as _posts, replies as _replies

#: read through the Core tables, as the rest of the report (``services.report``): no ORM
D, DP, P, R = (t.c for t in (_deliveries, _parts, _posts, _replies))
Account = Row[Any]
Campaign = Row[Any]

KINDS = ("question", "support", "oppose", "other")
#: at most this many open questions and most-replied posts are listed
OPEN_QUESTIONS = 10
MOST_REPLIED = 5


@dataclass
class KindCounts:
    """Replies of the week by kind, for one campaign (``slug`` None: posts without one) or all."""

    slug: str | None
    name: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys((*KINDS, "unclassified"), 0))
    answered: int = 0
    dismissed: int = 0

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def add(self, kind: str | None, state: str, n: int) -> None:
        self.counts[kind if kind in KINDS else "unclassified"] += n
        if state == ReplyState.ANSWERED.value:
            self.answered += n
        elif state == ReplyState.DISMISSED.value:
            self.dismissed += n


@dataclass
class OpenQuestion:
    reply_id: int
    author: str
    text: str
    created_at: datetime
    url: str | None          # the reply's own address, else its post's
    account: str
    platform: str
    post_id: int
    campaign: str | None


@dataclass
class RepliedPost:
    post_id: int
    delivery_id: int
    account: str
    platform: str
    url: str | None
    text: str                # the first part as it went out
    replies: int             # written in the week
    kinds: dict[str, int]


@dataclass
class InboxSummary:
    total: KindCounts
    by_campaign: list[KindCounts]
    open_questions: list[OpenQuestion]
    open_total: int
    most_replied: list[RepliedPost]
    #: answers sent from the inbox and published in the week
    answers_sent: int
    #: delivery id → its replies of the week by kind (for the report's per-delivery lines)
    by_delivery: dict[int, dict[str, int]] = field(default_factory=dict)


#: the week's replies by others to posts in scope, grouped: (delivery id, campaign id, sentiment
#: label, language, kind, state, count) — ``read_week``
WeekReplies = list[tuple[int, int | None, str | None, str | None, str | None, str, int]]


def _week_filter(start: datetime, end: datetime, cid: int | None) -> list:
    week = [R.ours.is_(False), R.created_at >= start, R.created_at < end]
    if cid is not None:
        week.append(P.campaign_id == cid)
    return week


def _joined(q):
    return q.join(_deliveries, D.id == R.delivery_id).join(_posts, P.id == D.post_id)


def read_week(s: Connection, start: datetime, end: datetime, cid: int | None) -> WeekReplies:
    """The week's replies (see the module's docstring), read once for the report's sentiment block
    and this one: grouped by delivery, campaign, sentiment label, language, kind and state (at most
    one row per reply, whatever is counted from them)."""
    return [(did, camp, label, lang, kind, str(state), n) for did, camp, label, lang, kind, state, n in s.execute(
        _joined(select(R.delivery_id, P.campaign_id, R.sentiment, R.language, R.kind, R.state,
                       func.count()))
        .where(*_week_filter(start, end, cid))
        .group_by(R.delivery_id, P.campaign_id, R.sentiment, R.language, R.kind, R.state))]


def build(s: Connection, start: datetime, end: datetime, cid: int | None, accounts: dict[int, Account],
          campaigns: dict[int, Campaign], replies: WeekReplies) -> InboxSummary:
    """The inbox block for the week [start, end), in scope ``cid`` (None: every campaign), from the
    week's ``replies`` (``read_week``)."""
    week = _week_filter(start, end, cid)

    # the counts per campaign, per delivery (for the most replied and the CSV lines) and the open
    # questions' total; each campaign's counts added up once per kind and state
    total = KindCounts(None, "")
    per: dict[int | None, KindCounts] = {}
    kinds: dict[int, dict[str, int]] = defaultdict(dict)
    open_total = 0
    grouped: Counter[tuple[int | None, str | None, str]] = Counter()
    new = ReplyState.NEW.value
    for did, camp, _label, _lang, kind, state, n in replies:
        grouped[camp, kind, state] += n
        key = kind or "unclassified"
        counts = kinds[did]
        counts[key] = counts.get(key, 0) + n
        if kind == "question" and state == new:
            open_total += n
    for (camp, kind, state), n in grouped.items():
        total.add(kind, state, n)
        if camp not in per:
            c = campaigns.get(camp) if camp is not None else None
            per[camp] = KindCounts(c.slug if c else None, c.name if c else "")
        per[camp].add(kind, state, n)
    by_campaign = sorted(per.values(), key=lambda k: (k.slug is None, k.slug or ""))

    asked = [*week, R.kind == "question", R.state == ReplyState.NEW]
    slug = {i: c.slug for i, c in campaigns.items()}
    questions = [OpenQuestion(rid, author, text, at, url or post_url, accounts[aid].name, accounts[aid].platform,
                              post_id, slug.get(camp) if camp is not None else None)
                 for rid, author, text, at, url, post_url, aid, post_id, camp in s.execute(
                     _joined(select(R.id, R.author, R.text, R.created_at, R.url,
                                    D.remote_url, D.account_id, D.post_id, P.campaign_id))
                     .where(*asked).order_by(R.created_at, R.id).limit(OPEN_QUESTIONS))]

    top = sorted(((sum(k.values()), did) for did, k in kinds.items()), key=lambda x: (-x[0], x[1]))[:MOST_REPLIED]
    most: list[RepliedPost] = []
    if top:
        ids = [did for _, did in top]
        info = {did: (post_id, aid, url) for did, post_id, aid, url in s.execute(
            select(D.id, D.post_id, D.account_id, D.remote_url)
            .where(D.id.in_(ids)))}
        texts = dict(s.execute(select(DP.delivery_id, DP.text)
                               .where(DP.delivery_id.in_(ids), DP.position == 0)).all())
        for n, did in top:
            post_id, aid, url = info[did]
            most.append(RepliedPost(post_id, did, accounts[aid].name, accounts[aid].platform, url,
                                    texts.get(did, ""), n, kinds[did]))

    answered, under, root = _replies.alias(), _deliveries.alias(), _posts.alias()
    sent = (select(func.count()).select_from(_deliveries).join(_posts, P.id == D.post_id)
            .join(answered, answered.c.id == P.answers_reply_id)
            .join(under, under.c.id == answered.c.delivery_id).join(root, root.c.id == under.c.post_id)
            .where(D.status == S.PUBLISHED, D.published_at >= start, D.published_at < end))
    if cid is not None:
        sent = sent.where(root.c.campaign_id == cid)
    return InboxSummary(total, by_campaign, questions, open_total, most, s.scalar(sent) or 0, dict(kinds))
