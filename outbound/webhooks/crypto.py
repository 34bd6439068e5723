"""Sealing outbound secrets at rest: webhook signing secrets, robot URLs (their `key=` is a
credential), Feishu signing secrets, SMTP passwords.

They must be recoverable (every delivery uses them), so they cannot be hashed like an API
key. They are encrypted with AES-256-GCM (`cryptography`), under a key derived by
HKDF-SHA256 from the deployment secret (`tracker.config.resolve_secret_keys`, newest first):
the newest key seals, every listed key can open, so rotating the deployment secret keeps old
values working as long as the old secret stays in the list. Format:
`v2$<key id>$<urlsafe base64(nonce ‖ ciphertext ‖ tag)>`, the version and key id bound in
as associated data.

Values sealed by the earlier home-made construction (`v1`: HMAC-SHA256 counter-mode
keystream, encrypt-then-MAC) still open, and `needs_reseal` names them — and any value not
sealed under the newest key — so `outbound.reseal` rewrites them at start-up.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from collections.abc import Sequence
from typing import Final

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from tracker.errors import ConfigurationError

__all__ = ["SealedSecretError", "SecretBox"]

_VERSION: Final = "v2"
_NONCE: Final = 12
_INFO: Final = b"dealsignal/sealed-secret/v2"


class SealedSecretError(ValueError):
    """A sealed secret that no configured key opens (tampered, or its key was removed)."""


def _derive(deployment_secret: str, info: bytes, length: int) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info)
    return hkdf.derive(deployment_secret.encode())


class _Key:
    __slots__ = ("aead", "kid", "legacy")

    def __init__(self, deployment_secret: str) -> None:
        self.aead = AESGCM(_derive(deployment_secret, _INFO + b"/key", 32))
        self.kid = _derive(deployment_secret, _INFO + b"/kid", 4).hex()
        self.legacy = _LegacyKey(deployment_secret)


class SecretBox:
    def __init__(self, deployment_secrets: Sequence[str]) -> None:
        if not deployment_secrets:
            raise ConfigurationError("no deployment secret to seal secrets with")
        self._keys = [_Key(s) for s in deployment_secrets]

    def seal(self, plaintext: str) -> str:
        key = self._keys[0]
        nonce = secrets.token_bytes(_NONCE)
        header = f"{_VERSION}${key.kid}$"
        sealed = key.aead.encrypt(nonce, plaintext.encode(), header.encode())
        return header + base64.urlsafe_b64encode(nonce + sealed).decode()

    def open(self, sealed: str) -> str:
        try:
            version, kid, encoded = sealed.split("$")
            blob = base64.urlsafe_b64decode(encoded.encode())
        except ValueError as exc:
            raise SealedSecretError("malformed sealed secret") from exc
        if version == _LEGACY_VERSION:
            return self._open_legacy(kid, blob)
        if version != _VERSION or len(blob) < _NONCE + 16:
            raise SealedSecretError("malformed sealed secret")
        for key in self._keys:
            if key.kid == kid:
                try:
                    data = key.aead.decrypt(
                        blob[:_NONCE], blob[_NONCE:], f"{version}${kid}$".encode()
                    )
                except InvalidTag:
                    continue
                return data.decode()
        raise SealedSecretError("no configured deployment secret opens this sealed secret")

    def needs_reseal(self, sealed: str) -> bool:
        """Sealed by the old construction, or not under the newest key."""
        return not sealed.startswith(f"{_VERSION}${self._keys[0].kid}$")

    def _open_legacy(self, kid: str, blob: bytes) -> str:
        if len(blob) < _LEGACY_NONCE + _LEGACY_TAG:
            raise SealedSecretError("malformed sealed secret")
        nonce, ciphertext, tag = (
            blob[:_LEGACY_NONCE],
            blob[_LEGACY_NONCE:-_LEGACY_TAG],
            blob[-_LEGACY_TAG:],
        )
        for key in self._keys:
            legacy = key.legacy
            if legacy.kid == kid and hmac.compare_digest(legacy.tag(nonce, ciphertext), tag):
                stream = legacy.keystream(nonce, len(ciphertext))
                return bytes(a ^ b for a, b in zip(ciphertext, stream, strict=True)).decode()
        raise SealedSecretError("no configured deployment secret opens this sealed secret")


# The v1 construction, kept only to open (and reseal) values written before v2.
_LEGACY_VERSION: Final = "v1"
_LEGACY_NONCE: Final = 16
_LEGACY_TAG: Final = 32
_LEGACY_CONTEXT: Final = b"dealsignal/webhook-secret/v1"


def _prf(key: bytes, message: bytes) -> bytes:
    return hmac.new(key, message, hashlib.sha256).digest()


class _LegacyKey:
    __slots__ = ("enc", "kid", "mac")

    def __init__(self, deployment_secret: str) -> None:
        master = _prf(deployment_secret.encode(), _LEGACY_CONTEXT)
        self.enc = _prf(master, b"enc")
        self.mac = _prf(master, b"mac")
        self.kid = _prf(master, b"kid")[:4].hex()

    def keystream(self, nonce: bytes, length: int) -> bytes:
        blocks = (length + 31) // 32
        stream = b"".join(_prf(self.enc, nonce + i.to_bytes(4, "big")) for i in range(blocks))
        return stream[:length]

    def tag(self, nonce: bytes, ciphertext: bytes) -> bytes:
        return _prf(self.mac, f"{_LEGACY_VERSION}${self.kid}$".encode() + nonce + ciphertext)
