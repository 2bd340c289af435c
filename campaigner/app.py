"""The objects every service needs, built once per command: settings, engine, secrets, clock."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Callable
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from campaigner import clock
from campaigner.config import Settings
from campaigner.secrets import SecretStore


@dataclass
class App:
    settings: Settings
    now: Callable[[], datetime] = clock.utcnow
    check_schema: bool = True
    #: False: an SQLite file that does not exist yet is refused instead of created (the CLI's rule
    #: for a database the user named, except in ``campaigner init``)
    create_database: bool = True
    _engine: Engine | None = field(default=None, repr=False)

    @property
    def engine(self) -> Engine:
        """The database engine, opened (and its schema checked) on first use."""
        if self._engine is None:
            from campaigner import db

            url = self.settings.database_url
            if self.settings.sources.get("database_url", "default") == "default":
                self.settings.ensure_data_dir()  # the default database lives there
            if not self.create_database:
                db.require_existing(url, self.settings.named_by("database_url"))
            engine = db.make_engine(url)
            if self.check_schema:
                db.check_schema(engine)
            self._engine = engine
        return self._engine

    @cached_property
    def secrets(self) -> SecretStore:
        return SecretStore(self.settings.secrets_file)

    def zone_for(self, tz_name: str | None) -> ZoneInfo:
        """An account's zone, or the configured default."""
        return ZoneInfo(tz_name or self.settings.timezone)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
