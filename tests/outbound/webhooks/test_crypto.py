from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from outbound.notify import ChannelConfig, ChannelKind, get_channel
from outbound.notify.store import write_channel
from outbound.reseal import reseal_secrets
from outbound.webhooks import SealedSecretError, SecretBox, get_subscription
from outbound.webhooks.model import Subscription
from outbound.webhooks.store import insert_subscription
from tracker.config import Settings
from tracker.stores.clickhouse import ClickHouse


def legacy_seal(deployment_secret: str, plaintext: str) -> str:
    """The v1 construction as main shipped it (HMAC-SHA256 counter-mode keystream, then
    HMAC-SHA256 over version, key id, nonce and ciphertext): values already at rest."""

    def prf(key: bytes, message: bytes) -> bytes:
        return hmac.new(key, message, hashlib.sha256).digest()

    master = prf(deployment_secret.encode(), b"dealsignal/webhook-secret/v1")
    enc, mac, kid = prf(master, b"enc"), prf(master, b"mac"), prf(master, b"kid")[:4].hex()
    data, nonce = plaintext.encode(), secrets.token_bytes(16)
    stream = b"".join(prf(enc, nonce + i.to_bytes(4, "big")) for i in range(len(data) // 32 + 1))
    ciphertext = bytes(a ^ b for a, b in zip(data, stream, strict=False))
    tag = prf(mac, f"v1${kid}$".encode() + nonce + ciphertext)
    return f"v1${kid}${base64.urlsafe_b64encode(nonce + ciphertext + tag).decode()}"


def test_sealed_with_aes_gcm_from_cryptography() -> None:
    """Not a home-made construction: the blob is nonce ‖ AES-256-GCM output, and the
    version and key id are authenticated as associated data."""
    box = SecretBox(["deployment-secret"])
    version, kid, blob = box.seal("whsec_x").split("$")
    raw = base64.urlsafe_b64decode(blob)
    assert (version, len(raw)) == ("v2", 12 + len("whsec_x") + 16)
    hkdf = HKDF(hashes.SHA256(), 32, salt=None, info=b"dealsignal/sealed-secret/v2/key")
    key = hkdf.derive(b"deployment-secret")
    assert AESGCM(key).decrypt(raw[:12], raw[12:], f"v2${kid}$".encode()) == b"whsec_x"


def test_old_values_open_and_are_marked_for_resealing() -> None:
    box = SecretBox(["new", "old"])
    old = legacy_seal("old", "whsec_旧")
    assert box.open(old) == "whsec_旧"
    assert box.needs_reseal(old)
    assert box.needs_reseal(SecretBox(["old"]).seal("y"))  # not under the newest key
    assert not box.needs_reseal(box.seal("y"))


def test_start_up_reseals_old_webhook_secrets_and_channel_configs(
    clickhouse: ClickHouse, settings: Settings
) -> None:
    secret = settings.secret_keys[0]
    at = datetime(2026, 1, 1, tzinfo=UTC)
    old_sub = legacy_seal(secret, "whsec_abc")
    insert_subscription(
        clickhouse, Subscription("ten_A", "wh_1", "https://x.test/h", ("a",), "", at, old_sub)
    )
    config = '{"url": "https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=K"}'
    write_channel(
        clickhouse,
        ChannelConfig(
            tenant_id="ten_B",
            channel_id="nch_1",
            kind=ChannelKind.WECOM,
            owner="",
            name="",
            locale="",
            config_sealed=legacy_seal(secret, config),
            config_hint="",
            created_at=at,
        ),
    )
    assert reseal_secrets(clickhouse, settings) == 2
    box = SecretBox(settings.secret_keys)
    sub = get_subscription(clickhouse, "ten_A", "wh_1")
    channel = get_channel(clickhouse, "ten_B", "nch_1")
    assert channel is not None
    for sealed, plain in [(sub.secret_sealed, "whsec_abc"), (channel.config_sealed, config)]:
        assert sealed.startswith("v2$") and box.open(sealed) == plain
    assert reseal_secrets(clickhouse, settings) == 0  # idempotent


def test_seal_open_round_trip_and_nonce_randomness() -> None:
    box = SecretBox(["deployment-secret"])
    sealed = box.seal("whsec_密钥-abc")
    assert "whsec" not in sealed
    assert box.seal("whsec_密钥-abc") != sealed
    assert box.open(sealed) == "whsec_密钥-abc"


def test_rotation_keeps_old_secrets_readable_and_removal_locks_them() -> None:
    sealed = SecretBox(["old"]).seal("whsec_x")
    assert SecretBox(["new", "old"]).open(sealed) == "whsec_x"
    assert (
        SecretBox(["new", "old"]).seal("y").split("$")[1]
        == SecretBox(["new"]).seal("y").split("$")[1]
    )
    with pytest.raises(SealedSecretError):
        SecretBox(["new"]).open(sealed)


def test_tampering_is_detected() -> None:
    box = SecretBox(["k"])
    version, kid, blob = box.seal("whsec_abcdef").split("$")
    flipped = blob[:30] + ("A" if blob[30] != "A" else "B") + blob[31:]
    assert version == "v2"
    for bad in [f"{version}${kid}${flipped}", "garbage", f"v9${kid}${blob}", f"v1${kid}${blob}"]:
        with pytest.raises(SealedSecretError):
            box.open(bad)
