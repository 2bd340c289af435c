"""Campaigns: a named labour issue with its hashtags and dates."""
from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigner import db
from campaigner.app import App
from campaigner.errors import InvalidInput, NotFound
from campaigner.models import Campaign, Delivery, Post
from content.hashtags import normalize_tag

SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")  # fullmatch: "$" alone lets "slug\n" through


def get(session: Session, slug: str) -> Campaign:
    campaign = session.scalar(select(Campaign).where(Campaign.slug == slug))
    if campaign is None:
        raise NotFound(f"no campaign {slug!r}", "see `campaigner campaign list`")
    return campaign


def normalize_tags(tags: list[str]) -> list[str]:
    out: list[str] = []
    for tag in tags:
        try:
            t = normalize_tag(tag)
        except ValueError as exc:  # content says what is wrong and how to fix it: pass that on as is
            raise InvalidInput.from_message(str(exc), fix="use letters, digits and _, e.g. #UpahLayak") from None
        if t.lower() not in (o.lower() for o in out):
            out.append(t)
    return out


def add(app: App, slug: str, name: str, *, hashtags: Sequence[str] = (), issue: str | None = None,
        start: date | None = None, end: date | None = None, auto_hashtags: bool = True) -> Campaign:
    if not SLUG_RE.fullmatch(slug):
        raise InvalidInput(f"campaign slug {slug!r} is not allowed",
                           "use lower-case letters, digits and '-', e.g. upah-2027")
    if not name.strip():
        raise InvalidInput("campaign name is empty", 'give one with --name "Upah Layak 2027"')
    if start and end and end < start:
        raise InvalidInput(f"campaign ends ({end}) before it starts ({start})", "check --start and --end")
    tags = normalize_tags(list(hashtags))
    with db.write(app.engine) as s:
        if s.scalar(select(Campaign.id).where(Campaign.slug == slug)) is not None:
            raise InvalidInput(f"campaign {slug!r} already exists", "pick another slug")
        campaign = Campaign(slug=slug, name=name.strip(), issue=issue, hashtags=tags, auto_hashtags=auto_hashtags,
                            start_date=start, end_date=end, created_at=app.now())
        s.add(campaign)
    return campaign


def list_all(app: App) -> list[tuple[Campaign, int]]:
    """Campaigns with their number of posts."""
    with db.read(app.engine) as s:
        rows = s.execute(select(Campaign, func.count(Post.id)).outerjoin(Post, Post.campaign_id == Campaign.id)
                         .group_by(Campaign.id).order_by(Campaign.slug)).all()
        return [(c, n) for c, n in rows]


def show(app: App, slug: str) -> tuple[Campaign, dict[str, int]]:
    """The campaign and its deliveries counted by status."""
    with db.read(app.engine) as s:
        campaign = get(s, slug)
        counts = s.execute(select(Delivery.status, func.count()).join(Post).where(Post.campaign_id == campaign.id)
                           .group_by(Delivery.status)).all()
        return campaign, {str(k): v for k, v in counts}
