"""Weekly posting slots per account, kept in the account's own zone."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from campaigner import db
from campaigner.app import App
from campaigner.errors import InvalidInput, NotFound
from campaigner.i18n import N_, _
from campaigner.models import Account, PostingSlot
from campaigner.services import groups
from content.slots import WeeklySlot, format_slots, parse_slots, slot_times

_EXAMPLE = N_('use e.g. "mon-fri 08:00,12:00,19:00" "sat 09:00"')


def _weekly(account: Account) -> list[WeeklySlot]:
    return [WeeklySlot(s.weekday, datetime.strptime(s.local_time, "%H:%M").time()) for s in account.slots]


def set_slots(app: App, names: list[str], specs: list[str]) -> tuple[list[str], list[str]]:
    """Replace the slots of every account in ``names`` (a group's name: of its accounts), all in
    one transaction: every name and spec is checked first, and one that is wrong changes no
    account. Returns the accounts' names and the slots in compact form."""
    names = list(dict.fromkeys([names] if isinstance(names, str) else names))
    if not names:
        raise InvalidInput(_("no account name given"),
                           _('name one or more, e.g. campaigner slots set kspi-x,kspi-bsky "mon-fri 08:00"'))
    try:
        slots = parse_slots(list(specs))
    except ValueError as exc:  # content says what is wrong and how to fix it: pass that on as is
        raise InvalidInput.from_message(str(exc), fix=_(_EXAMPLE)) from None
    if not slots:
        raise InvalidInput(_("no slots given"), _('use e.g. "mon-fri 08:00,12:00,19:00"'))
    with db.write(app.engine) as s:
        accounts = _accounts(s, groups.expand(s, names))
        s.execute(delete(PostingSlot).where(PostingSlot.account_id.in_([a.id for a in accounts])))
        s.add_all(PostingSlot(account_id=a.id, weekday=w.weekday, local_time=w.time.strftime("%H:%M"))
                  for a in accounts for w in slots)
    return [a.name for a in accounts], format_slots(slots)


def _accounts(session: Session, names: list[str]) -> list[Account]:
    """The accounts called ``names``, in that order; ``NotFound`` naming every unknown one."""
    found = {a.name: a for a in session.scalars(select(Account).where(Account.name.in_(names)))}
    unknown = [n for n in names if n not in found]
    if unknown:
        what = _("no account named {name!r}").format(name=unknown[0]) if len(unknown) == 1 else \
            _("no accounts named {names}").format(names=", ".join(map(repr, unknown)))
        raise NotFound(what, _("see `campaigner account list`"))
    return [found[n] for n in names]


def show(app: App, name: str, *, upcoming: int = 5) -> list[tuple[Account, list[str], list[datetime]]]:
    """For the account ``name`` (or each account of the group called so): the account, its slots
    in compact form, and the next few slot instants (UTC)."""
    out = []
    with db.read(app.engine) as s:
        now = app.now()
        for account in groups.accounts_named(s, name):
            weekly = _weekly(account)
            nxt = []
            if weekly:
                for t in slot_times(weekly, app.zone_for(account.timezone), now, now + timedelta(days=14)):
                    nxt.append(t)
                    if len(nxt) >= upcoming:
                        break
            out.append((account, format_slots(weekly), nxt))
    return out
