"""Engine tests: a real database, real connectors against the fakes (or the sandbox), a hand-moved clock."""
from __future__ import annotations

import importlib

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from campaigner.app import App
from campaigner.config import resolve
from campaigner.models import Account, Alert, Delivery
from campaigner.secrets import env_name
from scheduler.engine import Engine
from scheduler.policy import RetryPolicy


@pytest.fixture
def app(db_url, home, clock):
    a = App(resolve({"database_url": db_url}), now=clock)
    yield a
    a.close()


@pytest.fixture
def engine_for(app):
    def make(worker: str = "w1", **kw) -> Engine:
        kw.setdefault("policy", RetryPolicy(max_attempts=3))
        kw.setdefault("concurrency", 1)
        return Engine(app, worker, **kw)
    return make


@pytest.fixture
def platform_account(cli, serve, monkeypatch):
    """``platform_account("mastodon", "name")`` → a started fake with an account pointed at it."""
    def make(platform: str, name: str):
        fake = serve(importlib.import_module(f"tests.fakes.{platform}").Fake())
        cfg = fake.account_config()
        cli.ok("account", "add", platform, name, "--base-url", fake.base_url, "--daily-cap", "100")
        for field, value in cfg.secrets.items():
            monkeypatch.setenv(env_name(name, field), value)
        return fake
    return make


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
