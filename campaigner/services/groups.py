"""Groups: a name for several accounts (``semua``, ``jateng``).

Wherever a command takes account names (``post add --to``, ``post edit --to``, ``slots set``, the
CSV calendar's accounts column, ``post list --account``…) a group's name stands for its members, in
the group's order; an account named twice (itself and through a group, or through two groups) is
taken once, where it first appears. An account and a group never share a name, so a name always
means one thing. Removing an account takes it out of its groups.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from campaigner import db
from campaigner.app import App
from campaigner.errors import InvalidInput, NotFound
from campaigner.i18n import _, ngettext
from campaigner.models import Account, Group, GroupMember


def find(session: Session, name: str) -> Group | None:
    """The group called ``name`` with its members loaded, or None."""
    return session.scalar(select(Group).where(Group.name == name)
                          .options(selectinload(Group.members).selectinload(GroupMember.account)))


def get(session: Session, name: str) -> Group:
    group = find(session, name)
    if group is None:
        if session.scalar(select(Account.id).where(Account.name == name)) is not None:
            raise NotFound(_("{name!r} is an account, not a group").format(name=name),
                           _("see `campaigner group list` for the groups"))
        raise NotFound(_("no group named {name!r}").format(name=name), _("see `campaigner group list`"))
    return group


def members(group: Group) -> list[Account]:
    return [m.account for m in group.members]


def names(session: Session) -> set[str]:
    """Every group's name (a handful): callers that resolve many names look a group up only when
    its name is one of these."""
    return set(session.scalars(select(Group.name)))


def expand(session: Session, given: Iterable[str]) -> list[str]:
    """``given`` with each group's name replaced by its members' names, in order, each name once
    (where it first appears); other names are kept as they are (the caller's lookup says when no
    account has one). A group without accounts is refused."""
    groups = names(session)
    out: dict[str, None] = {}
    for name in given:
        if name not in groups and name.lower() in groups:  # names are lower-case: any case
            name = name.lower()
        if name in groups:
            group = get(session, name)
            if not group.members:
                raise empty_group(name)
            out.update(dict.fromkeys(a.name for a in members(group)))
        else:
            out[name] = None
    return list(out)


def accounts_named(session: Session, name: str) -> list[Account]:
    """The account called ``name``, or the accounts of the group called so (``NotFound`` when
    neither is; a group without accounts is refused)."""
    group = find(session, name)
    if group is None:
        from campaigner.services.accounts import get as get_account

        return [get_account(session, name)]
    if not group.members:
        raise empty_group(name)
    return members(group)


def empty_group(name: str) -> InvalidInput:
    return InvalidInput(_("group {name!r} has no accounts").format(name=name),
                        _("add some first: campaigner group add {name} ACCOUNT…").format(name=name))


def name_taken_by_group(session: Session, name: str) -> bool:
    return session.scalar(select(Group.id).where(Group.name == name)) is not None


@dataclass
class Changed:
    """What ``add`` or ``remove`` did to a group."""

    name: str
    #: the group's accounts afterwards, in order
    members: list[str]
    #: accounts added (``add``) or taken out (``remove``)
    changed: list[str] = field(default_factory=list)
    #: accounts that were in it already (``add``) or not in it (``remove``)
    unchanged: list[str] = field(default_factory=list)
    created: bool = False
    removed: bool = False  # the whole group (``remove`` without accounts)


def _accounts(session: Session, given: Sequence[str]) -> list[Account]:
    """The accounts named (a group among them stands for its members as they are now), in order,
    each once; every unknown name is one error."""
    wanted = expand(session, given)
    found = {a.name: a for a in session.scalars(select(Account).where(Account.name.in_(wanted)))}
    unknown = [n for n in wanted if n not in found]
    if unknown:
        what = (_("no account named {name!r}").format(name=unknown[0]) if len(unknown) == 1
                else _("no accounts named {names}").format(names=", ".join(map(repr, unknown))))
        raise NotFound(what, _("see `campaigner account list` (a group holds accounts that exist)"))
    return [found[n] for n in wanted]


def add(app: App, name: str, accounts: Sequence[str]) -> Changed:
    """Create the group ``name`` with ``accounts``, or add them to it when it exists (at its end,
    in the order given). Accounts already in it stay where they are."""
    from campaigner.services.accounts import NAME_RE

    if not accounts:
        raise InvalidInput(_("no account given"), _("name the accounts: campaigner group add {name} ACCOUNT…")
                           .format(name=name))
    with db.write(app.engine) as s:
        db.lock_names(s)
        group = find(s, name)
        if group is None:
            if s.scalar(select(Account.id).where(Account.name == name)) is not None:
                raise InvalidInput(_("{name!r} is already an account's name").format(name=name),
                                   _("give the group another name (accounts and groups need different names)"))
            if not NAME_RE.fullmatch(name):
                raise InvalidInput(_("group name {name!r} is not allowed").format(name=name),
                                   _("use lower-case letters, digits, '-' and '_' (e.g. semua), up to 64 characters"))
        chosen = _accounts(s, accounts)
        created = group is None
        if group is None:
            group = Group(name=name, created_at=app.now())
            s.add(group)
            s.flush()
        have = {m.account_id for m in group.members}
        start = max((m.position for m in group.members), default=-1) + 1
        new = [a for a in chosen if a.id not in have]
        if not new:
            raise InvalidInput(ngettext("{accounts} is already in group {name!r}", "{accounts} are already in group "
                                        "{name!r}", len(chosen)).format(accounts=_listed(a.name for a in chosen),
                                                                        name=name),
                               _("nothing to add (see `campaigner group show {name}`)").format(name=name))
        for i, a in enumerate(new):
            group.members.append(GroupMember(account_id=a.id, position=start + i, account=a))
        return Changed(name, [m.account.name for m in group.members], [a.name for a in new],
                       [a.name for a in chosen if a.id in have], created=created)


def remove(app: App, name: str, accounts: Sequence[str] = ()) -> Changed:
    """Take ``accounts`` out of the group ``name``; without accounts, remove the group itself (its
    accounts are not touched)."""
    with db.write(app.engine) as s:
        group = get(s, name)
        before = [m.account.name for m in group.members]
        if not accounts:
            s.delete(group)
            return Changed(name, [], before, removed=True)
        chosen = _accounts(s, accounts)
        ids = {a.id for a in chosen}
        out = [m for m in group.members if m.account_id in ids]
        if not out:
            raise InvalidInput(ngettext("{accounts} is not in group {name!r}", "{accounts} are not in group {name!r}",
                                        len(chosen)).format(accounts=_listed(a.name for a in chosen), name=name),
                               _("nothing to take out (see `campaigner group show {name}`)").format(name=name))
        for m in out:
            group.members.remove(m)
        return Changed(name, [m.account.name for m in group.members], [m.account.name for m in out],
                       [a.name for a in chosen if a.name not in before])


def _listed(names: Iterable[str]) -> str:
    return ", ".join(names)


def list_all(app: App) -> list[tuple[str, list[str]]]:
    """Every group, by name, with its accounts' names in order."""
    with db.read(app.engine) as s:
        groups = s.scalars(select(Group).order_by(Group.name)
                           .options(selectinload(Group.members).selectinload(GroupMember.account)))
        return [(g.name, [m.account.name for m in g.members]) for g in groups]


def show(app: App, name: str) -> tuple[Group, list[Account]]:
    with db.read(app.engine) as s:
        group = get(s, name)
        return group, members(group)


def groups_of(session: Session, account_id: int) -> list[tuple[str, int]]:
    """The groups ``account_id`` is in, by name, each with its number of accounts."""
    size = (select(GroupMember.group_id, func.count().label("n")).group_by(GroupMember.group_id).subquery())
    return [(n, int(k)) for n, k in session.execute(
        select(Group.name, size.c.n).join(GroupMember, GroupMember.group_id == Group.id)
        .join(size, size.c.group_id == Group.id)
        .where(GroupMember.account_id == account_id).order_by(Group.name))]


def leave_all(session: Session, account_id: int) -> list[tuple[str, int]]:
    """Take the account out of every group (it is being removed); returns each group's name and
    how many accounts it has left."""
    was_in = groups_of(session, account_id)
    session.execute(delete(GroupMember).where(GroupMember.account_id == account_id))
    return [(name, n - 1) for name, n in was_in]
