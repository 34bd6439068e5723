"""`HeldBlobs`: blobs held by digest, at most `max_bytes`, least recently used out first (the
API's page images served lately; `CachedBlobStore` in front of a remote store)."""

from __future__ import annotations

from tracker.stores import HeldBlobs


def test_the_least_recently_used_blob_goes_first_when_over_the_bound() -> None:
    held = HeldBlobs(max_bytes=100)
    held.keep("a", b"a" * 25)
    held.keep("b", b"b" * 25)
    held.keep("c", b"c" * 25)
    assert held.get("a") == b"a" * 25  # used again: now the most recent
    held.keep("d", b"d" * 25)
    held.keep("e", b"e" * 25)  # 125 bytes: the oldest, "b", goes
    assert held.get("b") is None and held.get("a") is not None
    assert held.size == 100 and len(held) == 4 and "e" in held and "b" not in held


def test_a_blob_over_a_quarter_of_the_bound_is_not_kept_and_zero_keeps_none() -> None:
    held = HeldBlobs(max_bytes=100)
    held.keep("big", b"x" * 26)
    assert held.get("big") is None and held.size == 0
    nothing = HeldBlobs(max_bytes=0)
    nothing.keep("tiny", b"x")
    assert nothing.get("tiny") is None and len(nothing) == 0


def test_forget_drops_a_blob_and_its_bytes() -> None:
    held = HeldBlobs(max_bytes=100)
    held.keep("a", b"a" * 10)
    held.keep("a", b"a" * 10)  # kept once
    assert held.size == 10
    held.forget("a")
    held.forget("never held")
    assert held.get("a") is None and held.size == 0
