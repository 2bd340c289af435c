"""Campaigns: a named labour issue with its hashtags, dates, and what it is against and for."""
from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import cast

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigner import db
from campaigner.app import App
from campaigner.errors import InvalidInput, NotFound
from campaigner.i18n import _
from campaigner.models import Campaign, Delivery, Post, Reply
from content.hashtags import normalize_tag
from content.untrusted import storable_line

#: a target is a word or short phrase ("Tapera", "potongan upah")
MAX_TARGET = 100
MAX_TARGETS = 20
#: what ``edit`` leaves as it is
UNSET: object = object()

SLUG_RE = re.compile(r"[a-z0-9][a-z0-9-]{0,63}")  # fullmatch: "$" alone lets "slug\n" through
#: comparison tags a campaign takes at most (each is counted on every platform, and X bills per tag)
MAX_COMPARE_TAGS = 10


def get(session: Session, slug: str) -> Campaign:
    """The campaign ``slug`` names: its slug (any case), or else its whole name as ``campaign
    list`` shows it (any case)."""
    campaign = session.scalar(select(Campaign).where(Campaign.slug == slug))
    if campaign is None and slug != slug.lower():
        campaign = session.scalar(select(Campaign).where(Campaign.slug == slug.lower()))
    if campaign is None and slug.strip():
        wanted = slug.casefold()  # matched whole, as slugs are: "Upah\n" is no name
        named = [c for c in session.scalars(select(Campaign).order_by(Campaign.slug)) if c.name.casefold() == wanted]
        if len(named) > 1:
            raise InvalidInput(_("{n} campaigns are named {name!r} ({slugs})").format(
                n=len(named), name=slug.strip(), slugs=", ".join(c.slug for c in named)),
                _("give the campaign's slug instead"))
        campaign = named[0] if named else None
    if campaign is None:
        raise NotFound(_("no campaign {slug!r}").format(slug=slug), _("see `campaigner campaign list`"))
    return campaign


def normalize_tags(tags: list[str]) -> list[str]:
    out: list[str] = []
    for tag in tags:
        try:
            t = normalize_tag(tag)
        except ValueError as exc:  # content says what is wrong and how to fix it: pass that on as is
            raise InvalidInput.from_message(str(exc), fix=_("use letters, digits and _, e.g. #UpahLayak")) from None
        if t.lower() not in (o.lower() for o in out):
            out.append(t)
    return out


def normalize_targets(targets: Sequence[str], flag: str) -> list[str]:
    """What a campaign is against (``flag`` "--against") or for ("--for"): each one line with
    single spaces, at most ``MAX_TARGET`` characters, with a letter in it; repeats (any case) once."""
    from content.stance import names_something

    out: list[str] = []
    for raw in targets:
        target = " ".join(str(raw).split())
        if not target:
            raise InvalidInput(_("one {flag} target is empty").format(flag=flag),
                               _('give a word or phrase, e.g. {flag} "Tapera"').format(flag=flag))
        if len(target) > MAX_TARGET:
            raise InvalidInput(_("the {flag} target {target!r} is too long ({n} characters; at most {most})").format(
                flag=flag, target=storable_line(target, 40), n=len(target), most=MAX_TARGET),
                _("give the word or short phrase people write"))
        if not names_something(target):
            raise InvalidInput(_("the {flag} target {target!r} has no word in it").format(flag=flag, target=target),
                               _('give a word or phrase, e.g. {flag} "Tapera"').format(flag=flag))
        if target.lower() not in (o.lower() for o in out):
            out.append(target)
    if len(out) > MAX_TARGETS:
        raise InvalidInput(_("too many {flag} targets ({n}; at most {most})").format(flag=flag, n=len(out),
                                                                                    most=MAX_TARGETS),
                           _("keep the main ones"))
    return out


def _check_sides(against: Sequence[str], for_: Sequence[str]) -> None:
    both = [t for t in against if t.lower() in (f.lower() for f in for_)]
    if both:
        raise InvalidInput(_("{target!r} is both --against and --for").format(target=both[0]), _("keep it on one side"))


def _check_name(name: str) -> str:
    if not name.strip():
        raise InvalidInput(_("campaign name is empty"), _('give one with --name "Upah Layak 2027"'))
    return name.strip()


def add(app: App, slug: str, name: str, *, hashtags: Sequence[str] = (), issue: str | None = None,
        start: date | None = None, end: date | None = None, auto_hashtags: bool = True,
        against: Sequence[str] = (), for_: Sequence[str] = ()) -> Campaign:
    if not SLUG_RE.fullmatch(slug):
        raise InvalidInput(_("campaign slug {slug!r} is not allowed").format(slug=slug),
                           _("use lower-case letters, digits and '-', e.g. upah-2027"))
    name = _check_name(name)
    if start and end and end < start:
        raise InvalidInput(_("campaign ends ({end}) before it starts ({start})").format(end=end, start=start),
                           _("check --start and --end"))
    tags = normalize_tags(list(hashtags))
    targets_against, targets_for = normalize_targets(against, "--against"), normalize_targets(for_, "--for")
    _check_sides(targets_against, targets_for)
    with db.write(app.engine) as s:
        if s.scalar(select(Campaign.id).where(Campaign.slug == slug)) is not None:
            raise InvalidInput(_("campaign {slug!r} already exists").format(slug=slug), _("pick another slug"))
        campaign = Campaign(slug=slug, name=name, issue=issue, hashtags=tags, auto_hashtags=auto_hashtags,
                            start_date=start, end_date=end, created_at=app.now(),
                            targets_against=targets_against, targets_for=targets_for)
        s.add(campaign)
    return campaign


@dataclass
class Edited:
    campaign: Campaign
    #: replies classified again because the targets changed, and how many of them changed kind
    reclassified: int = 0
    changed_kind: int = 0


def _without(tags: list[str], gone: list[str], slug: str, what: str, flag: str) -> list[str]:
    """``tags`` less ``gone`` (compared case-insensitively); a tag that is not there is refused."""
    out = list(tags)
    for tag in gone:
        match = next((t for t in out if t.lower() == tag.lower()), None)
        if match is None:
            listed = " ".join(out) or _("none")
            raise InvalidInput(_("campaign {slug!r} has no comparison tag {tag}").format(slug=slug, tag=tag),
                               _("its comparison tags: {listed} (see {command})").format(listed=listed, command=flag))
        out.remove(match)
    return out


def _compare_tags(campaign: Campaign, slug: str, add: Sequence[str], remove: Sequence[str]) -> list[str]:
    """The campaign's comparison tags less ``remove`` (each must be there) and with ``add``, checked
    against its hashtags (as they are now) and ``MAX_COMPARE_TAGS``."""
    compare = _without(list(campaign.compare_tags or []), normalize_tags(list(remove)), slug, "comparison tag",
                       f"campaign show {slug}")
    compare = normalize_tags(compare + normalize_tags(list(add)))
    both = next((t for t in compare if t.lower() in {h.lower() for h in campaign.hashtags or []}), None)
    if both is not None:
        raise InvalidInput(_("{tag} would be both a hashtag and a comparison tag of campaign {slug!r}").format(
                               tag=both, slug=slug),
                           _("a comparison tag is another side's tag, e.g. --compare-tag #TaperaUntukRakyat"))
    if len(compare) > MAX_COMPARE_TAGS:
        raise InvalidInput(_("campaign {slug!r} would have {n} comparison tags, more than {most}").format(
                               slug=slug, n=len(compare), most=MAX_COMPARE_TAGS),
                           _("remove some with --no-compare-tag (each is counted on every platform, and X bills each "
                             "request)"))
    return compare


def edit(app: App, slug: str, *, name: object = UNSET, issue: object = UNSET, hashtags: object = UNSET,
         start: object = UNSET, end: object = UNSET, auto_hashtags: object = UNSET,
         against: object = UNSET, for_: object = UNSET, compare_add: Sequence[str] = (),
         compare_remove: Sequence[str] = ()) -> Edited:
    """Change a campaign (``UNSET`` leaves a field; ``None`` clears issue, start and end; a list
    replaces hashtags or targets, ``[]`` clears them). When its targets change, its replies are
    classified again in the same transaction. ``compare_add``/``compare_remove``: comparison tags
    its hashtags are measured against (share of voice) to add and to remove; a tag cannot be both
    a hashtag and a comparison tag."""
    from campaigner.services.replies import classify_replies

    with db.write(app.engine) as s:
        campaign = s.scalar(select(Campaign).where(Campaign.slug == slug).with_for_update())
        if campaign is None:
            raise NotFound(_("no campaign {slug!r}").format(slug=slug), _("see `campaigner campaign list`"))
        if name is not UNSET:
            campaign.name = _check_name(str(name))
        if issue is not UNSET:
            campaign.issue = cast("str | None", issue) or None
        if hashtags is not UNSET:
            campaign.hashtags = normalize_tags(list(cast("Sequence[str]", hashtags)))
        if compare_add or compare_remove or hashtags is not UNSET:
            campaign.compare_tags = _compare_tags(campaign, slug, compare_add, compare_remove)
        if auto_hashtags is not UNSET:
            campaign.auto_hashtags = bool(auto_hashtags)
        if start is not UNSET:
            campaign.start_date = cast("date | None", start)
        if end is not UNSET:
            campaign.end_date = cast("date | None", end)
        if campaign.start_date and campaign.end_date and campaign.end_date < campaign.start_date:
            raise InvalidInput(_("campaign ends ({end}) before it starts ({start})").format(
                end=campaign.end_date, start=campaign.start_date), _("check --start and --end"))
        old = (list(campaign.targets_against or ()), list(campaign.targets_for or ()))
        new_against = (old[0] if against is UNSET
                       else normalize_targets(list(cast("Sequence[str]", against)), "--against"))
        new_for = old[1] if for_ is UNSET else normalize_targets(list(cast("Sequence[str]", for_)), "--for")
        _check_sides(new_against, new_for)
        campaign.targets_against, campaign.targets_for = new_against, new_for
        edited = Edited(campaign)
        if (new_against, new_for) != old:
            s.flush()
            edited.reclassified, edited.changed_kind = classify_replies(s, campaign_id=campaign.id)
    return edited


def list_all(app: App) -> list[tuple[Campaign, int]]:
    """Campaigns with their number of posts."""
    with db.read(app.engine) as s:
        rows = s.execute(select(Campaign, func.count(Post.id)).outerjoin(Post, Post.campaign_id == Campaign.id)
                         .group_by(Campaign.id).order_by(Campaign.slug)).all()
        return [(c, n) for c, n in rows]


def show(app: App, slug: str) -> tuple[Campaign, dict[str, int], dict[str, int]]:
    """The campaign, its deliveries counted by status and its replies counted by kind
    ("unclassified" for replies not given one yet)."""
    with db.read(app.engine) as s:
        campaign = get(s, slug)
        counts = s.execute(select(Delivery.status, func.count()).join(Post).where(Post.campaign_id == campaign.id)
                           .group_by(Delivery.status)).all()
        kinds = s.execute(select(Reply.kind, func.count()).join(Delivery, Delivery.id == Reply.delivery_id)
                          .join(Post, Post.id == Delivery.post_id)
                          .where(Post.campaign_id == campaign.id, Reply.ours.is_(False))
                          .group_by(Reply.kind)).all()
        return campaign, {str(k): v for k, v in counts}, {k or "unclassified": v for k, v in kinds}

