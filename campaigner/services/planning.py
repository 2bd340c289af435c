"""Turning what staff wrote into deliveries: render each account's text, pick due times, and
check everything (length, media, time, caps) before anything is written.

Used by ``post add``, ``post edit`` and the CSV import alike, so the rules live in one place.
"""
from __future__ import annotations

import re
import secrets
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Collection, Iterable, Sequence
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from campaigner.app import App
from campaigner.errors import InvalidInput
from campaigner.i18n import _, ngettext, number
from campaigner.wording import plural
from campaigner.media_store import MediaStore, Staged
from campaigner.models import Account, Campaign, Delivery, PostingSlot
from campaigner.services import accounts as accounts_svc
from campaigner.services import campaigns as campaigns_svc
from campaigner.services import groups as groups_svc
from campaigner.states import ACTIVE
from campaigner.times import format_local, local_day_bounds, parse_when
from connectors.registry import platform_info
from content.hashtags import fit_hashtags, hashtags_in
from content.length import check_length, limit_for, unit_label
from content.media import MediaFacts, check_facts, media_rules
from content.platforms import platform_record
from content.tag_limits import tag_problems
from content.threads import split_thread

#: how far ahead --next-slot looks for a free slot
SLOT_HORIZON_DAYS = 366
#: how far ahead a post may be queued: far beyond any campaign, and far from where dates stop
#: working (year 9999 for Python, 2255 for a Bluesky record key); a year typed wrong is caught
MAX_AHEAD_YEARS = 10


@dataclass(frozen=True)
class When:
    """When a post should go out: ``at`` (text typed by a person), ``now``, or ``next_slot``."""

    kind: str  # "at" | "now" | "next_slot" | "keep" (editing: each delivery keeps its time)
    text: str = ""

    @classmethod
    def from_options(cls, at: str | None, now: bool, next_slot: bool) -> "When":
        given = [x for x in (at is not None, now, next_slot) if x]
        if len(given) != 1:
            raise InvalidInput(_("say when the post goes out"), _("give exactly one of --at TIME, --next-slot or --now"))
        return cls("at", at) if at is not None else cls("now") if now else cls("next_slot")


@dataclass
class Draft:
    """A post as written, before checks."""

    text: str
    accounts: Sequence[str]
    when: When
    campaign: str | None = None
    link: str | None = None
    media: Sequence[Path] = ()
    alt_texts: Sequence[str] = ()
    variants: dict[str, str] = field(default_factory=dict)
    thread: bool = False
    source: str | None = None
    #: photos go out with their location and other metadata (default: stripped)
    keep_metadata: bool = False
    #: its lateness limit (``campaigner.lateness``): ``expires`` a time as typed (read like
    #: ``--at``, in each account's zone), or ``max_late`` in minutes (0: none); neither: inherited
    expires: str | None = None
    max_late: int | None = None
    #: keep it as a draft until a person approves it (``post add --draft``, a calendar row's
    #: status ``draft``); a target account that requires approval makes it one too
    as_draft: bool = False


@dataclass
class PlannedDelivery:
    account: Account
    due_at: datetime
    parts: list[str]
    slot_based: bool
    expires_at: datetime | None = None
    #: the zone a label in the typed time named (``09.00 WITA``) when it is not the account's
    #: (the time was read in it); None when there was no label or it is the account's zone
    written_zone: str | None = None


@dataclass
class MediaInfo:
    #: the path as given (its name and suffix are kept)
    path: Path
    mime_type: str
    alt_text: str
    #: the one copy read from it, which the checks saw and the media folder keeps
    staged: Staged
    #: platform → the copy prepared for it, where it differs from the original
    renditions: dict[str, Prepared] = field(default_factory=dict)


@dataclass(frozen=True)
class Prepared:
    """An image prepared for one platform (``campaigner.imaging``), staged like any file."""

    staged: Staged
    width: int
    height: int
    notes: tuple[str, ...]


@dataclass
class Plan:
    draft: Draft
    campaign: Campaign | None
    media: list[MediaInfo]
    deliveries: list[PlannedDelivery]
    #: the names of its target accounts that require approval
    approval_by: list[str] = field(default_factory=list)
    #: it is written as a draft, waiting for a person's approval (``as_draft`` or ``approval_by``)
    needs_approval: bool = False


@dataclass
class _Booked:
    """What an account already has: due times from ``since`` on, and counts per local day."""

    since: datetime
    since_day: date  # ``since``'s local day: days up to it were loaded only in part
    taken: set[datetime]
    per_day: Counter
    older: set = field(default_factory=set)


class _Target:
    """An account's fields that planning reads for every row, read once per batch (plain
    attributes instead of the ORM's instrumented ones) with its zone and campaign tag settings."""

    __slots__ = ("account", "id", "name", "platform", "char_limit", "daily_cap", "zone", "hashtags", "tag_limits",
                 "requires_approval")

    def __init__(self, account: Account, zone: ZoneInfo):
        self.account = account
        self.id, self.name, self.platform = account.id, account.name, account.platform
        #: the user's cap, or the platform's own quota when it is lower (``accounts.planned_cap``)
        self.char_limit, self.daily_cap = account.char_limit, accounts_svc.planned_cap(account)
        self.requires_approval = bool(account.requires_approval)
        self.zone = zone
        record = platform_record(self.platform)
        #: the platform limits how many hashtags or mentions a post has (Instagram)
        self.tag_limits = record.max_hashtags is not None or record.max_mentions is not None
        #: id(campaign) → (tags to append, their budget without media, with media); see ``Planner._render``
        self.hashtags: dict[int, tuple[list[str], int, int] | None] = {}


class Planner:
    """Checks drafts against the database, remembering what earlier drafts in the same batch
    took (daily caps, slots) so an import of many rows is checked as a whole."""

    def __init__(self, app: App, session: Session, now: datetime, *, exclude_post: int | None = None,
                 keep_times: bool = True):
        self.app = app
        #: the media read for this batch; what its posts do not keep is removed by ``close``
        self.media = MediaStore(app.settings)
        #: (file hash, platform, keep metadata) → its prepared copy: an import prepares each photo once
        self._renditions: dict[tuple[str, str, bool], Prepared | str | None] = {}
        #: remember each planned due time (``next_free_slot`` skips them); an import of times given
        #: in the file never asks for a slot, and does not keep a million of them
        self.keep_times = keep_times
        self.session = session
        self.now = now
        self.latest = _years_later(now, MAX_AHEAD_YEARS)
        self.exclude_post = exclude_post
        self._accounts: dict[str, Account] = {}
        self._groups: dict[str, list[Account] | None] | None = None  # group name → its accounts, once read
        self._campaigns: dict[str, Campaign] = {}
        self._bookings: dict[int, _Booked] = {}
        self._slots: dict[int, list] = {}
        self._targets: dict[int, _Target] = {}  # by id(account)

    # --- lookups (cached for batches) -----------------------------------------------------
    def account(self, name: str) -> Account:
        if name not in self._accounts:
            self._accounts[name] = accounts_svc.get(self.session, name)
        return self._accounts[name]

    def targets(self, names: Sequence[str]) -> list[Account]:
        """The accounts ``names`` stand for: a group's name for its accounts (in the group's order),
        each account once, where it first appears."""
        if self._groups is None:  # the groups' names, once (a handful); their accounts when used
            self._groups = dict.fromkeys(groups_svc.names(self.session))
        out: dict[int, Account] = {}
        for name in names:
            if name not in self._groups and name.lower() in self._groups:  # names are lower-case: any case
                name = name.lower()
            if name in self._groups:
                members = self._groups[name]
                if members is None:
                    members = self._groups[name] = groups_svc.members(groups_svc.get(self.session, name))
                if not members:
                    raise groups_svc.empty_group(name)
                for account in members:
                    out.setdefault(account.id, account)
            else:
                account = self.account(name)
                out.setdefault(account.id, account)
        return list(out.values())

    def campaign(self, slug: str) -> Campaign:
        if slug not in self._campaigns:
            self._campaigns[slug] = campaigns_svc.get(self.session, slug)
        return self._campaigns[slug]

    def zone(self, account: Account) -> ZoneInfo:
        return self._target(account).zone

    def _target(self, account: Account) -> _Target:
        target = self._targets.get(id(account))
        if target is None or target.account is not account:
            target = self._targets[id(account)] = _Target(account, self.app.zone_for(account.timezone))
        return target

    def _active_filter(self, account: Account):
        conds = [Delivery.account_id == account.id, Delivery.status.in_(list(ACTIVE))]
        if self.exclude_post is not None:
            conds.append(Delivery.post_id != self.exclude_post)
        return conds

    def _booked(self, account: Account) -> "_Booked":
        """The account's active deliveries from two days ago on, loaded once (one query per account)."""
        account_id = self._target(account).id  # a plain attribute: this runs twice per row of an import
        if account_id not in self._bookings:
            since = self.now - timedelta(days=2)
            zone = self.zone(account)
            times = list(self.session.scalars(
                select(Delivery.due_at).where(*self._active_filter(account), Delivery.due_at >= since)))
            self._bookings[account_id] = _Booked(since, since.astimezone(zone).date(), set(times),
                                                 Counter(t.astimezone(zone).date() for t in times))
        return self._bookings[account_id]

    def day_count(self, account: Account, day: date) -> int:
        """Active deliveries on ``account`` on local ``day`` (including those planned in this batch)."""
        booked = self._booked(account)
        if day <= booked.since_day and day not in booked.older:
            # a day (partly) before what was loaded, e.g. when editing a past delivery: count the rest
            start, end = local_day_bounds(day, self.zone(account))
            booked.per_day[day] += self.session.scalar(
                select(func.count()).select_from(Delivery)
                .where(*self._active_filter(account), Delivery.due_at >= start,
                       Delivery.due_at < min(end, booked.since))) or 0
            booked.older.add(day)
        return booked.per_day[day]

    def taken_times(self, account: Account) -> set[datetime]:
        return self._booked(account).taken

    # --- the checks -----------------------------------------------------------------------
    def plan(self, draft: Draft, *, kept_times: dict[int, tuple[datetime, bool]] | None = None,
             kept_variants: Collection[str] = ()) -> Plan:
        """Check ``draft`` completely; raise ``InvalidInput`` with the first problem found.

        ``kept_times`` (account id → (due, slot_based)) keeps existing times when editing, and
        ``kept_variants`` names the platforms of variants kept from before, which may outlive
        their platform's targets (a new variant needs a target on its platform)."""
        if not draft.accounts:
            raise InvalidInput(_("no target account"), _("give one or more with --to NAME[,NAME…]"))
        _no_nul(draft)
        targets = self.targets(list(dict.fromkeys(draft.accounts)))
        campaign = self.campaign(draft.campaign) if draft.campaign else None
        platforms = {self._target(a).platform for a in targets}
        for platform in draft.variants:
            if platform not in platforms and platform not in kept_variants:
                raise InvalidInput(_("there is a variant for {platform} but no target account is on {platform}")
                                   .format(platform=platform), _("remove the variant or add such an account to --to"))
        link = draft.link.strip() if draft.link else None
        if link and not link.lower().startswith(("http://", "https://")):
            raise InvalidInput(_("link {link!r} is not an http(s) URL").format(link=link),
                               _("give the full address, e.g. https://kspi.or.id/…"))
        self._platform_rules(draft, targets)
        media = self._media(draft, platforms)
        if draft.expires is not None and draft.max_late is not None:
            raise InvalidInput(_("--expires and --max-late both set how late the post may go out"),
                               _("give one of them"))
        deliveries = []
        approval_by = []
        for account in targets:
            target = self._target(account)
            parts = self._render(draft, target, campaign, link, bool(media))
            due, slot_based = kept_times[account.id] if kept_times else self._due_time(draft.when, target)
            self._check_cap(account, due)
            expires_at = None if draft.expires is None else self._expires(draft.expires, target, due)
            planned = PlannedDelivery(account, due, parts, slot_based, expires_at)
            if draft.when.kind == "at" and not kept_times and draft.when.text[-1:].isalpha():
                planned.written_zone = _other_zone(draft.when.text, target.zone, due)
            deliveries.append(planned)
            if target.requires_approval:
                approval_by.append(target.name)
        return Plan(draft, campaign, media, deliveries, approval_by, draft.as_draft or bool(approval_by))

    def due_time(self, when: When, account: Account) -> datetime:
        """When ``when`` falls for ``account``, checked as ``plan`` checks it (not past, not too far)."""
        return self._due_time(when, self._target(account))[0]

    def count_cap(self, account: Account, due: datetime) -> None:
        """Count a delivery at ``due`` against ``account``'s daily cap (refused above it)."""
        self._check_cap(account, due)

    def _platform_rules(self, draft: Draft, targets: list[Account]) -> None:
        """What a target's platform refuses whatever the text: a thread where it has none, no
        media where it needs some, media it fetches by URL with no public place configured."""
        csv = draft.source is not None  # a calendar row: its fixes are in its cells, not in flags
        for account in targets:
            target = self._target(account)
            record = platform_record(target.platform)
            if draft.thread and not record.threads:
                fix = (_("make each part its own row, or take {account} out of this row's accounts") if csv else
                       _("queue each part as its own post, or leave {account} out of --to"))
                raise InvalidInput(_("{platform} has no threads, and this post is one (for {account})")
                                   .format(platform=record.label, account=target.name), fix.format(account=target.name))
            if record.media.required and not draft.media:
                raise InvalidInput(_("{platform} needs a photo or video (for {account})")
                                   .format(platform=record.label, account=target.name),
                                   _("give a file in this row's media column") if csv else _("add --media FILE"))
        if draft.media and self.app.settings.media is None:
            by_url = sorted({platform_record(p).label for p in {self._target(a).platform for a in targets}
                             if platform_info(p).media_by_url})
            if by_url:
                raise InvalidInput(ngettext("{platforms} fetches media from a public address, and the config file "
                                            "{file} has no [media] table",
                                            "{platforms} fetch media from a public address, and the config file "
                                            "{file} has no [media] table", len(by_url))
                                   .format(platforms=_(" and ").join(by_url), file=self.app.settings.config_file),
                                   _("set [media] public_url and public_dir (or a bucket) there (see the README, "
                                     '"Public media for Instagram and Threads")'))

    def _campaign_tags(self, target: _Target, campaign: Campaign | None) -> tuple[list[str], int, int] | None:
        """The tags ``campaign`` appends on ``target``'s posts and the length budget for them
        (without media, with media), or None when it appends none; worked out once per batch."""
        if campaign is None:
            return None
        key = id(campaign)  # the planner keeps each campaign object for the whole batch
        if key not in target.hashtags:
            if campaign.auto_hashtags and campaign.hashtags:
                target.hashtags[key] = (list(campaign.hashtags),
                                        limit_for(target.platform, limit=target.char_limit, has_media=False),
                                        limit_for(target.platform, limit=target.char_limit, has_media=True))
            else:
                target.hashtags[key] = None
        return target.hashtags[key]

    def _render(self, draft: Draft, target: _Target, campaign: Campaign | None, link: str | None,
                has_media: bool) -> list[str]:
        platform = target.platform
        source = draft.variants.get(platform, draft.text) if draft.variants else draft.text
        if draft.thread:
            try:
                parts = split_thread(source)
            except ValueError as exc:
                raise InvalidInput.from_message(str(exc)) from None
        else:
            parts = [source.strip()]
        if not parts or not parts[0]:
            raise InvalidInput(_("the post text is empty"), _("give the text as an argument or with --file"))
        limit = target.char_limit
        first = parts[0]
        if link and link not in first:
            with_link = f"{first}\n{link}"
            link_cost = (check_length(with_link, platform, limit=limit).count
                         - check_length(first, platform, limit=limit).count)
        else:
            with_link, link_cost = first, 0
        first_check = None  # check_length(first, platform, limit=limit, has_media=has_media) if known
        tags = self._campaign_tags(target, campaign)
        written = first
        if tags is not None:
            names, budget_plain, budget_media = tags
            budget = (budget_media if has_media else budget_plain) - link_cost
            first, tag_check = fit_hashtags(first, names, platform, limit=budget)
            if tag_check is not None and link_cost == 0:
                # the same text, the same limit (``budget`` is the platform's own limit here), and
                # ``has_media`` only ever selects that limit: this is the check below, done already
                first_check = tag_check
        if link and link not in first:
            first = f"{first}\n{link}"
            first_check = None
        parts[0] = first
        for i, part in enumerate(parts):
            result = first_check if i == 0 and first_check is not None else \
                check_length(part, platform, limit=limit, has_media=has_media and i == 0)
            if not result.ok:
                what = (_("part {part} of the thread is too long for {account} ({platform}): {count} of {limit} "
                          "{unit}") if len(parts) > 1 else
                        _("the text is too long for {account} ({platform}): {count} of {limit} {unit}"))
                raise InvalidInput(what.format(part=i + 1, account=target.name, platform=platform, count=result.count,
                                               limit=result.limit, unit=unit_label(result.unit)), f"{result.hint}")
        if target.tag_limits:
            self._check_tags(parts, written, target, campaign)
        return parts

    @staticmethod
    def _check_tags(parts: list[str], written: str, target: _Target, campaign: Campaign | None) -> None:
        """Each part's hashtags and mentions against the platform's limits, the campaign's
        appended tags counted too (and named, so the writer knows where they came from)."""
        for i, part in enumerate(parts):
            added = len(hashtags_in(part)) - len(hashtags_in(written)) if i == 0 and part != written else 0
            problems = tag_problems(part, target.platform, added=max(0, added),
                                    added_by=_("campaign {slug}").format(slug=campaign.slug) if campaign is not None
                                    else "")
            if problems:
                problem, sep, how = problems[0].rpartition(" — ")
                if not sep:
                    problem, how = problems[0], ""
                what = (_("part {part} of the thread for {account} has {problem}") if len(parts) > 1 else
                        _("the text for {account} has {problem}"))
                raise InvalidInput(what.format(part=i + 1, account=target.name, problem=problem), how or None)

    def _due_time(self, when: When, target: _Target) -> tuple[datetime, bool]:
        """When ``when`` falls for ``target``'s account: (due, slot based)."""
        if when.kind == "now":
            return self.now, False
        if when.kind == "next_slot":
            return self.next_free_slot(target.account), True
        try:
            due = parse_when(when.text, target.zone, self.now)
        except OverflowError:  # before year 1 or after 9999 in UTC, e.g. "9999-12-31 23:59" west of it
            shown = repr(when.text.strip())
            year = re.match(r"\s*(\d{4})-", when.text)  # absolute forms start with the year; "+N…" goes ahead
            if year and int(year.group(1)) < self.now.year:
                raise InvalidInput(_("the time {time} is in the past").format(time=shown),
                                   _("pick a later time, or use --now")) from None
            raise self._too_far(shown) from None
        if due < self.now:
            raise InvalidInput(_("the time {time} is in the past").format(time=format_local(due, target.zone)),
                               _("pick a later time, or use --now"))
        if due > self.latest:
            raise self._too_far(format_local(due, target.zone))
        return due, False

    def _expires(self, text: str, target: _Target, due: datetime) -> datetime:
        """``--expires`` for ``target``'s delivery due at ``due``: read like ``--at``, and after it."""
        try:
            expires = parse_when(text, target.zone, self.now)
        except OverflowError:
            raise InvalidInput(_("--expires {text!r} is out of range").format(text=text.strip()),
                               _("give a time like --at's")) from None
        except InvalidInput as exc:
            raise InvalidInput(f"--expires: {exc.what}", exc.fix) from None
        if expires <= due:
            raise InvalidInput(_("--expires {expires} is not after the post's time {time} on {account}")
                               .format(expires=format_local(expires, target.zone), time=format_local(due, target.zone),
                                       account=target.name),
                               _("give a later --expires, or --max-late DURATION"))
        return expires

    @staticmethod
    def _too_far(shown: str) -> InvalidInput:
        return InvalidInput(_("the time {time} is too far ahead").format(time=shown),
                            _("queue posts at most {n} years ahead").format(n=MAX_AHEAD_YEARS))

    def next_free_slot(self, account: Account) -> datetime:
        from content.slots import WeeklySlot, slot_times

        if account.id not in self._slots:
            self._slots[account.id] = [WeeklySlot(s.weekday, datetime.strptime(s.local_time, "%H:%M").time())
                                       for s in self.session.scalars(
                                           select(PostingSlot).where(PostingSlot.account_id == account.id))]
        slots = self._slots[account.id]
        if not slots:
            raise InvalidInput(_("account {name!r} has no posting slots").format(name=account.name),
                               _('set them with: campaigner slots set {name} "mon-fri 08:00,12:00,19:00"')
                               .format(name=account.name))
        zone = self.zone(account)
        taken = self.taken_times(account)
        for t in slot_times(slots, zone, self.now, self.now + timedelta(days=SLOT_HORIZON_DAYS)):
            if t in taken:
                continue
            cap = accounts_svc.planned_cap(account)
            if cap and self.day_count(account, t.astimezone(zone).date()) >= cap:
                continue
            return t
        raise InvalidInput(_("account {name!r} has no free slot in the next {n} days")
                           .format(name=account.name, n=SLOT_HORIZON_DAYS),
                           _("add slots with `campaigner slots set` or give --at"))

    def _check_cap(self, account: Account, due: datetime) -> None:
        """Count ``due`` against the account's daily cap."""
        target = self._target(account)
        zone = target.zone
        day = due.astimezone(zone).date()
        count = self.day_count(account, day)
        cap = target.daily_cap
        if cap and count + 1 > cap:
            posts = plural(count + 1, "post")
            shown = format_local(due, zone).split()[-1]
            if cap != account.daily_cap:  # the platform's own quota, which no setting raises
                raise InvalidInput(ngettext("account {name!r} would have {posts} on {day} ({zone}), above {platform}'s "
                                            "publishing quota of {cap} post in 24 hours",
                                            "account {name!r} would have {posts} on {day} ({zone}), above {platform}'s "
                                            "publishing quota of {cap} posts in 24 hours", cap)
                                   .format(name=target.name, posts=posts, day=day, zone=shown, platform=target.platform,
                                           cap=number(cap)), _("pick another day"))
            raise InvalidInput(_("account {name!r} would have {posts} on {day} ({zone}), above its daily cap of {cap}")
                               .format(name=target.name, posts=posts, day=day, zone=shown, cap=cap),
                               _("pick another day or raise the cap (campaigner account edit {name} --daily-cap N)")
                               .format(name=target.name))
        booked = self._booked(account)
        booked.per_day[day] += 1
        if self.keep_times:
            booked.taken.add(due)

    def _media(self, draft: Draft, platforms: Iterable[str]) -> list[MediaInfo]:
        paths = [Path(p).expanduser() for p in draft.media]
        if not paths:
            return []
        staged = [self.media.stage(p) for p in paths]  # each file read once: the checks see the copy
        problems = [s for s in staged if isinstance(s, str)]  # missing, a folder, unreadable
        if problems:
            what, sep, how = problems[0].rpartition(" — ")
            if not sep:
                what, how = problems[0], ""
            raise InvalidInput(_("cannot attach {problem}").format(problem=what), how or None)
        files = [s for s in staged if not isinstance(s, str)]
        prepared: list[dict[str, Prepared]] = [{} for _file in files]
        broken: list[str] = []  # every platform whose limits a file breaks, not just the first
        for platform in sorted(platforms):
            facts = []
            for i, f in enumerate(files):
                r = self._prepared(f, platform, draft.keep_metadata)
                if isinstance(r, str):
                    broken.append(_("on {platform}: {problem}").format(platform=platform, problem=r))
                    facts.append(f.facts)
                    continue
                if r is not None:
                    prepared[i][platform] = r
                facts.append(MediaFacts(f.facts.name, r.staged.facts.size, r.staged.facts.mime) if r else f.facts)
            broken += [_("on {platform}: {problem}").format(platform=platform, problem=p)
                       for p in check_facts(facts, platform, number=number)]
        if broken:
            what, _sep, how = broken[0].rpartition(" — ")
            if len(broken) > 1:
                message = ngettext("media not accepted {what} (and {n} more: {others})",
                                   "media not accepted {what} (and {n} more: {others})", len(broken) - 1)
            else:
                message = _("media not accepted {what}")
            raise InvalidInput(message.format(what=what, n=len(broken) - 1,
                                              others="; ".join(b.rpartition(" — ")[0] for b in broken[1:])), how or None)
        alts = list(draft.alt_texts) + [""] * (len(paths) - len(draft.alt_texts))
        return [MediaInfo(p, f.facts.mime or "application/octet-stream", alts[i], f, prepared[i])
                for i, (p, f) in enumerate(zip(paths, files))]

    def _prepared(self, f: Staged, platform: str, keep_metadata: bool) -> Prepared | str | None:
        """The image ``f`` prepared for ``platform`` (None: the original goes as it is; a ``str``:
        why it cannot be made to fit). Worked out once per file, platform and metadata choice."""
        from campaigner.imaging import PREPARED, CannotPrepare, prepare

        if f.facts.mime not in PREPARED or not f.sha256 or f.facts.size == 0:  # not read: refused anyway
            return None
        key = (f.sha256, platform, keep_metadata)
        if key not in self._renditions:
            try:
                r = prepare(self.media.read(f), f.facts.mime, media_rules(platform), keep_metadata=keep_metadata)
            except CannotPrepare as exc:
                self._renditions[key] = f"{f.facts.name}: {exc}"
            else:
                self._renditions[key] = (Prepared(self.media.stage_bytes(r.data, r.mime, f.facts.name), r.width,
                                                  r.height, r.notes) if r.changed else None)
        return self._renditions[key]

    def close(self) -> None:
        """Remove the media read for drafts that were not written."""
        self.media.close()

    def __enter__(self) -> "Planner":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _other_zone(text: str, zone: ZoneInfo, due: datetime) -> str | None:
    """The zone a label ending ``text`` names (``… 09.00 WITA``), when its clock differs from
    ``zone``'s at ``due``; else None."""
    from content.datetext import zone_label

    labelled = zone_label(text)
    if labelled is None or labelled == zone.key or due.astimezone(ZoneInfo(labelled)).utcoffset() == \
            due.astimezone(zone).utcoffset():
        return None
    return labelled


def _no_nul(draft: Draft) -> None:
    """Refuse a NUL character: it is no text (PostgreSQL cannot even store it), so it comes from a
    file that is not what it seems."""
    fields = [draft.text, draft.link or "", *draft.variants.values(), *draft.alt_texts]
    if any("\x00" in value for value in fields):
        what = (_("the text holds a NUL character (byte 0x00), which is not text") if "\x00" in draft.text else
                _("the link holds a NUL character (byte 0x00), which is not text") if "\x00" in (draft.link or "")
                else _("a variant holds a NUL character (byte 0x00), which is not text")
                if any("\x00" in t for t in draft.variants.values()) else
                _("an alt text holds a NUL character (byte 0x00), which is not text"))
        raise InvalidInput(what, _("remove it (was the file saved as text?)"))


def _years_later(t: datetime, years: int) -> datetime:
    """The same date and time ``years`` later (29 February becomes the 28th)."""
    try:
        return t.replace(year=t.year + years)
    except ValueError:
        return t.replace(year=t.year + years, day=28)


def new_key(platform: str, due_at: datetime) -> str:
    """A random idempotency key: an atproto TID for Bluesky (its record key), else 128 random bits
    as 32 hex digits."""
    if platform_info(platform).key == "tid":
        from connectors.tid import new_tid

        return new_tid(due_at)
    return secrets.token_hex(16)
