"""Sortable, prefixed ids (`lnk_01JD…`): 48-bit millisecond time + 80 random bits, Crockford
base32, so ids sort by creation time and carry their kind in the prefix."""

from __future__ import annotations

import secrets
import time
from typing import Final

__all__ = ["PREFIXES", "new_id"]

_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

PREFIXES = {
    "tenant": "ten",
    "api_key": "key",
    "document": "doc",
    "version": "ver",
    "link": "lnk",
    "viewer": "vwr",
    "visit": "vis",
    "event": "evt",
    "webhook": "whk",
    "webhook_event": "whe",
    "delivery": "dlv",
    "evidence": "evd",
    "freeze": "frz",
    "audit": "aud",
}


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


# Two characters (10 bits) per lookup: `_encode` a character at a time is ~26 Python-level
# divisions per id, and the beacon path draws one (a candidate visit id) per request.
_PAIRS: Final = [high + low for high in _ALPHABET for low in _ALPHABET]
_TIME_SHIFTS: Final = (40, 30, 20, 10, 0)  # 10 characters: the low 50 bits


def _encode_pairs(value: int, shifts: tuple[int, ...]) -> str:
    """`_encode(value, 2 * len(shifts))`, two characters at a time."""
    return "".join([_PAIRS[value >> shift & 1023] for shift in shifts])


# The last millisecond encoded: ids drawn in the same millisecond share their first ten
# characters (a tuple, replaced whole, so threads never see half of one).
_last_time: tuple[int, str] = (-1, "")


def new_id(kind: str, *, now_ms: int | None = None) -> str:
    global _last_time
    prefix = PREFIXES[kind]
    millis = now_ms if now_ms is not None else time.time_ns() // 1_000_000
    last_millis, time_part = _last_time
    if last_millis != millis:
        time_part = _encode_pairs(millis, _TIME_SHIFTS)
        _last_time = (millis, time_part)
    # The 80 random bits as 16 characters, eight pair lookups spelled out (no comprehension
    # call or join: the beacon path draws one id per request).
    random, pairs = secrets.randbits(80), _PAIRS
    return (
        f"{prefix}_{time_part}{pairs[random >> 70]}{pairs[random >> 60 & 1023]}"
        f"{pairs[random >> 50 & 1023]}{pairs[random >> 40 & 1023]}{pairs[random >> 30 & 1023]}"
        f"{pairs[random >> 20 & 1023]}{pairs[random >> 10 & 1023]}{pairs[random & 1023]}"
    )
