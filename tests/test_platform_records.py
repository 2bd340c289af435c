"""A platform is one record on each side (``content.platforms`` for text and media rules,
``connectors.registry`` for the wire): both declare the same platforms, every table is derived
from them, and each connector keeps what its record says."""
from __future__ import annotations

import dataclasses

import pytest

from connectors.base import METRIC_FIELDS
from connectors.registry import PLATFORMS as WIRE, connector_class
from content.length import _COUNTERS, check_length
from content.platforms import BY_NAME, RECORDS, check_platform, platform_record


def test_both_sides_declare_the_same_platforms():
    assert [r.name for r in RECORDS] and {r.name for r in RECORDS} == set(WIRE)
    assert len(RECORDS) == len(BY_NAME)  # no name twice


@pytest.mark.parametrize("record", RECORDS, ids=lambda r: r.name)
def test_each_record_is_complete_and_consistent(record):
    assert record.count in _COUNTERS, f"{record.name}: no counter {record.count!r}"
    assert record.media.platform == record.name
    assert record.limit > 0 and (record.limit_with_media or 1) > 0
    wire = WIRE[record.name]
    assert set(wire.metrics) <= set(METRIC_FIELDS)
    assert wire.key in ("random", "tid")
    cls = connector_class(record.name)
    assert cls.platform == record.name
    assert cls.can_find_existing is wire.can_find_existing


def test_aliases_reach_their_platform_and_shadow_no_name():
    aliases = [a for r in RECORDS for a in r.aliases]
    assert len(aliases) == len(set(aliases)) and not set(aliases) & set(BY_NAME)
    for r in RECORDS:
        for alias in r.aliases:
            assert check_platform(alias.upper()) == r.name
            assert platform_record(alias) is r


def test_every_table_follows_the_record(monkeypatch):
    """Change a record and the length check, the media check and the account defaults follow it:
    nothing keeps a copy."""
    from campaigner.services import accounts
    from content.media import media_rules

    x = BY_NAME["x"]
    changed = dataclasses.replace(x, limit=100, default_daily_cap=3, own_limit=False)
    monkeypatch.setitem(BY_NAME, "x", changed)
    assert check_length("a" * 101, "x").limit == 100
    assert media_rules("twitter") is changed.media
    with pytest.raises(Exception, match="fixed text limit"):
        accounts.check_char_limit(1000, "x")


def test_the_cli_and_content_accept_the_same_spellings(cli):
    """`post check --platform bsky` was refused by the CLI while content accepted it."""
    r = cli.ok("post", "check", "Tolak Tapera!", "--platform", "bsky", "--platform", "TG")
    assert "bluesky" in r.stdout and "telegram" in r.stdout
    r = cli("post", "check", "Tolak Tapera!", "--platform", "myspace")
    assert r.exit_code != 0 and r.stderr.startswith("Error: unknown platform 'myspace' — use one of x, ")


@pytest.mark.parametrize("name", [n for n, info in WIRE.items() if info.counts_tags or info.public_tag_counts])
def test_platforms_that_count_tags_have_what_counts_them(name):
    """A platform whose record says it counts hashtags (listening) has a connector that does, and
    the class it names for a server without an account exists and counts too."""
    import importlib

    info = WIRE[name]
    assert info.counts_tags and callable(getattr(connector_class(name), "tag_counts", None))
    if info.public_tag_counts:
        cls = getattr(importlib.import_module(info.module), info.public_tag_counts)
        assert callable(getattr(cls, "tag_counts", None)) and cls.platform == name
