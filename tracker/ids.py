"""Sortable, prefixed ids (`lnk_01JD…`): 48-bit millisecond time + 80 random bits, Crockford
base32, so ids sort by creation time and carry their kind in the prefix."""

from __future__ import annotations

import os
import threading
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


# The random part, 16 characters of 5 random bits each (80 bits), cut from text made a few
# hundred ids at a time: a `getrandom` system call and eight pair lookups per id were ~1 µs
# of a beacon's (one candidate visit id a request). Each byte from the OS gives one
# character, its low 5 bits (256 is a multiple of 32, so every character is equally likely).
# Each thread cuts from text of its own, and a forked child starts with none: no two ids
# are cut from the same bytes.
_RANDOM_CHARS: Final = 16
_POOL_CHARS: Final = 400 * _RANDOM_CHARS
_TO_ALPHABET: Final = bytes(ord(_ALPHABET[byte % 32]) for byte in range(256))


class _Entropy(threading.local):
    def __init__(self) -> None:
        self.text, self.at = "", _POOL_CHARS


_entropy = _Entropy()


def _forget_entropy() -> None:
    _entropy.text, _entropy.at = "", _POOL_CHARS


os.register_at_fork(after_in_child=_forget_entropy)


def _random_part() -> str:
    """16 characters of the alphabet, 80 bits from the operating system's CSPRNG."""
    entropy = _entropy
    at = entropy.at
    if at == _POOL_CHARS:
        entropy.text, at = os.urandom(_POOL_CHARS).translate(_TO_ALPHABET).decode(), 0
    entropy.at = at + _RANDOM_CHARS
    return entropy.text[at : at + _RANDOM_CHARS]


def new_id(kind: str, *, now_ms: int | None = None) -> str:
    global _last_time
    prefix = PREFIXES[kind]
    millis = now_ms if now_ms is not None else time.time_ns() // 1_000_000
    last_millis, time_part = _last_time
    if last_millis != millis:
        time_part = _encode_pairs(millis, _TIME_SHIFTS)
        _last_time = (millis, time_part)
    return f"{prefix}_{time_part}{_random_part()}"
