"""Signing outbound webhook deliveries (Stripe-style), and verifying them on the receiver.

Every delivery carries::

    Dealsignal-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>
    Dealsignal-Event: document.viewed
    Dealsignal-Delivery: dlv_…          (idempotency key, identical on every retry)
    Content-Type: application/json; charset=utf-8

`secret` is the subscription's secret as returned once at creation (`whsec_…`), used as
UTF-8 bytes; `body` is the exact raw request body (UTF-8 JSON). To verify: split the header
on `,`, take `t` and every `v1` (several appear while a secret is rotated), recompute the HMAC
over `f"{t}.".encode() + body`, compare in constant time, and reject timestamps more than
5 minutes from your clock (replay protection). `verify_signature` does exactly that.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Final

__all__ = [
    "DEFAULT_TOLERANCE_SECONDS",
    "SIGNATURE_HEADER",
    "sign",
    "signature_header",
    "verify_signature",
]

SIGNATURE_HEADER: Final = "Dealsignal-Signature"
DEFAULT_TOLERANCE_SECONDS: Final = 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """Hex HMAC-SHA256 of `"<timestamp>." + body` keyed with the secret."""
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(secret: str, body: bytes, *, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={sign(secret, t, body)}"


def verify_signature(
    secret: str,
    header: str,
    body: bytes,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
    *,
    now: float | None = None,
) -> bool:
    """True when `header` holds a valid `v1` signature of `body` made with `secret` within
    `tolerance` seconds of `now` (either direction)."""
    timestamp: int | None = None
    candidates: list[str] = []
    for part in header.split(","):
        name, _, value = part.strip().partition("=")
        if name == "t":
            try:
                timestamp = int(value)
            except ValueError:
                return False
        elif name == "v1":
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance:
        return False
    expected = sign(secret, timestamp, body)
    return any(hmac.compare_digest(expected, c) for c in candidates)
