"""Sealing webhook signing secrets at rest.

A subscription's secret must be recoverable (we sign every delivery with it), so it cannot be
hashed like an API key. It is encrypted with a key derived from the deployment secret
(`tracker.config.resolve_secret_keys`, newest first): the newest key seals, every listed key
can open, so rotating the deployment secret keeps old subscriptions working as long as the old
secret stays in the list.

`cryptography` is not a dependency, so the construction is stdlib-only and standard:
HMAC-SHA256 as a PRF in counter mode for the keystream (encrypt), then HMAC-SHA256 over
version, key id, nonce and ciphertext (MAC) — encrypt-then-MAC with independent keys derived
from the deployment secret. Format: `v1$<key id>$<urlsafe base64(nonce ‖ ciphertext ‖ tag)>`.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from typing import Final

from tracker.errors import ConfigurationError

__all__ = ["SealedSecretError", "SecretBox"]

_VERSION: Final = "v1"
_NONCE: Final = 16
_TAG: Final = 32
_CONTEXT: Final = b"dealsignal/webhook-secret/v1"


class SealedSecretError(ValueError):
    """A sealed secret that no configured key opens (tampered, or its key was removed)."""


def _prf(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


class _Key:
    __slots__ = ("enc", "kid", "mac")

    def __init__(self, deployment_secret: str) -> None:
        master = _prf(deployment_secret.encode(), _CONTEXT)
        self.enc = _prf(master, b"enc")
        self.mac = _prf(master, b"mac")
        self.kid = _prf(master, b"kid")[:4].hex()

    def keystream(self, nonce: bytes, length: int) -> bytes:
        blocks = (length + 31) // 32
        return b"".join(_prf(self.enc, nonce + i.to_bytes(4, "big")) for i in range(blocks))[
            :length
        ]

    def tag(self, nonce: bytes, ciphertext: bytes) -> bytes:
        return _prf(self.mac, f"{_VERSION}${self.kid}$".encode() + nonce + ciphertext)


class SecretBox:
    def __init__(self, deployment_secrets: Sequence[str]) -> None:
        if not deployment_secrets:
            raise ConfigurationError("no deployment secret to seal webhook secrets with")
        self._keys = [_Key(s) for s in deployment_secrets]

    def seal(self, plaintext: str) -> str:
        key = self._keys[0]
        data = plaintext.encode()
        nonce = secrets.token_bytes(_NONCE)
        ciphertext = bytes(
            a ^ b for a, b in zip(data, key.keystream(nonce, len(data)), strict=True)
        )
        blob = base64.urlsafe_b64encode(nonce + ciphertext + key.tag(nonce, ciphertext))
        return f"{_VERSION}${key.kid}${blob.decode()}"

    def open(self, sealed: str) -> str:
        try:
            version, kid, encoded = sealed.split("$")
            blob = base64.urlsafe_b64decode(encoded.encode())
        except ValueError as exc:
            raise SealedSecretError("malformed sealed secret") from exc
        if version != _VERSION or len(blob) < _NONCE + _TAG:
            raise SealedSecretError("malformed sealed secret")
        nonce, ciphertext, tag = blob[:_NONCE], blob[_NONCE:-_TAG], blob[-_TAG:]
        for key in self._keys:
            if key.kid == kid and hmac.compare_digest(key.tag(nonce, ciphertext), tag):
                stream = key.keystream(nonce, len(ciphertext))
                return bytes(a ^ b for a, b in zip(ciphertext, stream, strict=True)).decode()
        raise SealedSecretError("no configured deployment secret opens this webhook secret")
