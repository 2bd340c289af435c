"""The sandbox's "fake": no server, just direct access to the sandbox's state file.

It fulfils the same ``ContractFake`` interface as the HTTP fakes so the contract tests can run
against the sandbox too; failures are injected through ``connectors.sandbox.inject_fault``, the
same hook offline engine tests can use.
"""
from __future__ import annotations

from pathlib import Path

from connectors.base import AccountConfig
from connectors.sandbox import SandboxStore, inject_fault
from tests.fakes.server import ContractFake


class Fake(ContractFake):
    platform = "sandbox"
    ACCOUNT = "spn-sandbox"

    def __init__(self) -> None:
        super().__init__()
        self.state_dir: Path | None = None
        self._store: SandboxStore | None = None

    # no server to start or stop
    def start(self) -> "Fake":
        return self

    def stop(self) -> None:
        if self._store is not None:
            self._store.close()

    @property
    def base_url(self) -> str | None:  # type: ignore[override]
        return None

    @property
    def store(self) -> SandboxStore:
        """The account's state file, opened once (its connection kept) rather than on every look."""
        assert self._store is not None, "call account_config(state_dir=...) first"
        return self._store

    # --- ContractFake ----------------------------------------------------------------------
    def account_config(self, state_dir=None) -> AccountConfig:
        if state_dir is None:
            raise ValueError("the sandbox needs a state_dir")
        self.state_dir = Path(state_dir)
        if self._store is not None:
            self._store.close()
        self._store = SandboxStore(self.state_dir, self.ACCOUNT)
        return AccountConfig(name=self.ACCOUNT, platform="sandbox", handle="@spn_sandbox",
                             state_dir=self.state_dir, timeout=5.0)

    def secret_values(self) -> list[str]:
        return []

    def posts(self) -> dict[str, str]:
        return self.store.posts()

    def create_count(self) -> int:
        return self.store.created()

    def set_engagement(self, remote_id: str, **counts: int) -> None:
        self.store.set_engagement(remote_id, **counts)

    def add_reply(self, remote_id: str, author: str, text: str, created_at) -> str:
        return self.store.add_reply(remote_id, author, text, created_at)

    def remove_post(self, remote_id: str) -> None:
        self.store.remove_post(remote_id)

    def expire_credentials(self) -> None:
        inject_fault(self.state_dir, self.ACCOUNT, "auth")

    def rate_limit_next(self, reset_at) -> None:
        inject_fault(self.state_dir, self.ACCOUNT, "rate_limit", retry_at=reset_at)

    def server_error_next(self, status: int = 503) -> None:
        inject_fault(self.state_dir, self.ACCOUNT, "server_error", status=status)

    def reply_parent(self, remote_id: str) -> str | None:
        return self.store.reply_parent(remote_id)
