"""atproto TIDs ("timestamp identifiers"): the record keys Bluesky posts use.

A TID is a 64-bit integer — top bit 0, then 53 bits of microseconds since the Unix epoch, then a
10-bit clock id — written big-endian in the "base32-sortable" alphabet as exactly 13 characters,
so that string order is time order. The scheduler makes one per delivery (the delivery's time
plus a random clock id) and stores it; the Bluesky connector sends it as the record key, which
makes a retried create findable with one ``getRecord`` (atproto specs, "Record Key Type: tid";
``bluesky-social/atproto`` ``packages/common-web/src/tid.ts`` and ``packages/syntax/src/tid.ts``).
"""
from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta, timezone

ALPHABET = "234567abcdefghijklmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
_TID_RE = re.compile(r"^[234567abcdefghij][234567abcdefghijklmnopqrstuvwxyz]{12}$")
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_MAX_MICROS = (1 << 53) - 1
TID_LENGTH = 13
_SHIFTS = tuple(range(5 * (TID_LENGTH - 1), -1, -5))  # most significant character first


def new_tid(when: datetime, clock_id: int | None = None) -> str:
    """A TID for ``when`` (a naive datetime is taken as UTC).

    With ``clock_id`` (0..1023) the TID is exactly ``when`` + that clock id. Without it — the
    way to make record keys — the TID stays within ``when``'s second but its microseconds and
    clock id are random (about 30 random bits): deliveries due at the same minute (thread parts,
    two installs, a reset database) still get different keys. 26 keys for one instant collide
    with a probability of about 3e-7; with a random clock id alone it would be about 27 %.
    """
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    if clock_id is None:
        bits = secrets.randbits(30)  # one call for both random parts (import-sized batches want it cheap)
        clock_id = bits & 1023
        # whole seconds are exact as a float timestamp; the random microseconds go on top
        micros = int(when.replace(microsecond=0).timestamp()) * 1_000_000 + (bits >> 10) % 1_000_000
    else:
        micros = (when - _EPOCH) // timedelta(microseconds=1)
    if not 0 <= micros <= _MAX_MICROS:
        raise ValueError(f"time out of TID range: {when.isoformat()}")
    if not 0 <= clock_id <= 1023:
        raise ValueError(f"clock id must be 0..1023, not {clock_id}")
    value = (micros << 10) | clock_id
    return "".join([ALPHABET[(value >> shift) & 31] for shift in _SHIFTS])


def is_valid_tid(text: str) -> bool:
    """Whether ``text`` has TID syntax (13 base32-sortable characters, top bit clear)."""
    return isinstance(text, str) and bool(_TID_RE.match(text))


def _value(tid: str) -> int:
    if not is_valid_tid(tid):
        raise ValueError(f"not a TID: {tid!r}")
    value = 0
    for c in tid:
        value = (value << 5) | _INDEX[c]
    return value


def tid_time(tid: str) -> datetime:
    """The instant (UTC, microsecond precision) encoded in ``tid``."""
    return _EPOCH + timedelta(microseconds=_value(tid) >> 10)


def tid_clock_id(tid: str) -> int:
    """The 10-bit clock id encoded in ``tid``."""
    return _value(tid) & 1023
