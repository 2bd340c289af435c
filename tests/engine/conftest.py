"""Helpers for reading engine results (the fixtures ``app``, ``engine_for`` and
``platform_account`` live in tests/conftest.py)."""
from __future__ import annotations


from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from campaigner.models import Account, Alert, Delivery


def deliveries(engine) -> list[Delivery]:
    with Session(engine) as s:
        return list(s.scalars(select(Delivery).options(selectinload(Delivery.parts), selectinload(Delivery.attempts),
                                                       selectinload(Delivery.account)).order_by(Delivery.id)))


def alerts(engine) -> list[Alert]:
    with Session(engine) as s:
        return list(s.scalars(select(Alert).order_by(Alert.id)))


def account(engine, name) -> Account:
    with Session(engine) as s:
        return s.scalars(select(Account).where(Account.name == name)).one()
