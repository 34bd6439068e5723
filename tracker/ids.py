"""Sortable, prefixed ids (`lnk_01JD…`): 48-bit millisecond time + 80 random bits, Crockford
base32, so ids sort by creation time and carry their kind in the prefix."""

from __future__ import annotations

import secrets
import time

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
    "freeze": "frz",
    "evidence": "evd",
}


def _encode(value: int, length: int) -> str:
    chars = []
    for _ in range(length):
        value, rem = divmod(value, 32)
        chars.append(_ALPHABET[rem])
    return "".join(reversed(chars))


def new_id(kind: str, *, now_ms: int | None = None) -> str:
    prefix = PREFIXES[kind]
    millis = now_ms if now_ms is not None else time.time_ns() // 1_000_000
    return f"{prefix}_{_encode(millis, 10)}{_encode(secrets.randbits(80), 16)}"
