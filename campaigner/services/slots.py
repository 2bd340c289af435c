"""Weekly posting slots per account, kept in the account's own zone."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete

from campaigner import db
from campaigner.app import App
from campaigner.errors import InvalidInput
from campaigner.models import Account, PostingSlot
from campaigner.services.accounts import get as get_account
from content.slots import WeeklySlot, format_slots, parse_slots, slot_times


def _weekly(account: Account) -> list[WeeklySlot]:
    return [WeeklySlot(s.weekday, datetime.strptime(s.local_time, "%H:%M").time()) for s in account.slots]


def set_slots(app: App, name: str, specs: list[str]) -> list[str]:
    """Replace the account's slots; returns them in compact form."""
    try:
        slots = parse_slots(list(specs))
    except ValueError as exc:
        raise InvalidInput(f"bad slot: {exc}", 'use e.g. "mon-fri 08:00,12:00,19:00" "sat 09:00"') from None
    if not slots:
        raise InvalidInput("no slots given", 'use e.g. "mon-fri 08:00,12:00,19:00"')
    with db.write(app.engine) as s:
        account = get_account(s, name)
        s.execute(delete(PostingSlot).where(PostingSlot.account_id == account.id))
        s.add_all(PostingSlot(account_id=account.id, weekday=w.weekday, local_time=w.time.strftime("%H:%M"))
                  for w in slots)
    return format_slots(slots)


def show(app: App, name: str, *, upcoming: int = 5) -> tuple[Account, list[str], list[datetime]]:
    """The account, its slots in compact form, and the next few slot instants (UTC)."""
    with db.read(app.engine) as s:
        account = get_account(s, name)
        weekly = _weekly(account)
        now = app.now()
        nxt = []
        if weekly:
            for t in slot_times(weekly, app.zone_for(account.timezone), now, now + timedelta(days=14)):
                nxt.append(t)
                if len(nxt) >= upcoming:
                    break
        return account, format_slots(weekly), nxt
