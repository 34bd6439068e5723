"""`new_id` encodes two characters at a time; `_encode`, one at a time, is the reference."""

from __future__ import annotations

import secrets

import pytest

from tracker import ids


@pytest.mark.parametrize("millis", [0, 1, 1_764_780_000_000, 2**48 - 1, 2**50 - 1, 2**50 + 5])
def test_new_id_is_the_time_then_the_random_bits_in_crockford_base32(
    millis: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    for random_bits in (0, 1, 2**80 - 1, *(secrets.randbits(80) for _ in range(200))):
        monkeypatch.setattr(ids.secrets, "randbits", lambda bits, r=random_bits: r)
        made = ids.new_id("visit", now_ms=millis)
        assert made == f"vis_{ids._encode(millis, 10)}{ids._encode(random_bits, 16)}"


def test_ids_sort_by_time_and_carry_their_kind() -> None:
    earlier, later = ids.new_id("event", now_ms=1_000), ids.new_id("event", now_ms=1_001)
    assert earlier.startswith("evt_") and len(earlier) == 4 + 26 and earlier < later
