"""Helpers for reading engine results, and the Instagram account on its fake (the fixtures ``app``,
``engine_for`` and ``platform_account`` live in tests/conftest.py)."""
from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from campaigner.models import Account, Alert, Delivery
from campaigner.secrets import env_name
from tests.fakes.instagram import Fake as InstagramFake


def media_config(fake: InstagramFake) -> str:
    return f'[media]\npublic_url = "{fake.web.base_url}/"\npublic_dir = "{fake.web.folder}"\n'


@pytest.fixture
def ig(cli, serve, monkeypatch, home):
    """An Instagram account on the fake, and ``[media]`` pointing at the folder the fake's web server
    serves (listed before ``app`` in a test's arguments, so the app reads this config)."""
    fake = serve(InstagramFake())
    (home / "config" / "campaigner.toml").write_text(media_config(fake))
    cli.ok("account", "add", "instagram", "ig1", "--base-url", fake.base_url)
    for field, value in fake.account_config().secrets.items():
        monkeypatch.setenv(env_name("ig1", field), value)
    return fake


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
