from __future__ import annotations

import pytest

from outbound.webhooks import SealedSecretError, SecretBox


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
    for bad in [f"{version}${kid}${flipped}", "garbage", f"v2${kid}${blob}"]:
        with pytest.raises(SealedSecretError):
            box.open(bad)
