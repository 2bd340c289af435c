"""Platform names, the secret fields each needs, default hosts, and the connector for each.

Connector modules are imported only when a connector is built, so listing platforms stays cheap.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass

from connectors.base import AccountConfig, Connector


@dataclass(frozen=True)
class PlatformInfo:
    name: str
    label: str
    secret_fields: tuple[str, ...]
    optional_secret_fields: tuple[str, ...]
    default_base_url: str | None
    module: str
    class_name: str


PLATFORMS: dict[str, PlatformInfo] = {
    p.name: p
    for p in (
        PlatformInfo("x", "X", ("API_KEY", "API_SECRET", "ACCESS_TOKEN", "ACCESS_TOKEN_SECRET"),
                     ("BEARER_TOKEN", "USER_ID"), "https://api.twitter.com", "connectors.x", "XConnector"),
        PlatformInfo("mastodon", "Mastodon", ("ACCESS_TOKEN",), (), "https://mastodon.social",
                     "connectors.mastodon", "MastodonConnector"),
        PlatformInfo("bluesky", "Bluesky", ("IDENTIFIER", "APP_PASSWORD"), (), "https://bsky.social",
                     "connectors.bluesky", "BlueskyConnector"),
        PlatformInfo("facebook", "Facebook Page", ("PAGE_ID", "PAGE_ACCESS_TOKEN"), (),
                     "https://graph.facebook.com", "connectors.facebook", "FacebookConnector"),
        PlatformInfo("telegram", "Telegram channel", ("BOT_TOKEN", "CHAT_ID"), (),
                     "https://api.telegram.org", "connectors.telegram", "TelegramConnector"),
        PlatformInfo("sandbox", "Sandbox (offline)", (), (), None, "connectors.sandbox", "SandboxConnector"),
    )
}


def platform_info(name: str) -> PlatformInfo:
    """The platform called ``name``; KeyError if there is none."""
    return PLATFORMS[name]


def build_connector(config: AccountConfig, **options) -> Connector:
    """A connector for ``config.platform``, pointed at the account's base URL (or the default)."""
    info = PLATFORMS[config.platform]
    module = importlib.import_module(info.module)
    return getattr(module, info.class_name)(config, **options)
