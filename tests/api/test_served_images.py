"""`ServedImages`: page images held by digest, at most `max_bytes`, least recently served out
first."""

from __future__ import annotations

from api.served_images import ServedImages


def test_the_least_recently_served_image_goes_first_when_over_the_bound() -> None:
    held = ServedImages(max_bytes=100)
    held.keep("a", b"a" * 25)
    held.keep("b", b"b" * 25)
    held.keep("c", b"c" * 25)
    assert held.get("a") == b"a" * 25  # served again: now the most recent
    held.keep("d", b"d" * 25)
    held.keep("e", b"e" * 25)  # 125 bytes: the oldest, "b", goes
    assert held.get("b") is None and held.get("a") is not None
    assert held.size == 100 and len(held) == 4


def test_an_image_over_a_quarter_of_the_bound_is_not_kept_and_zero_keeps_none() -> None:
    held = ServedImages(max_bytes=100)
    held.keep("big", b"x" * 26)
    assert held.get("big") is None and held.size == 0
    nothing = ServedImages(max_bytes=0)
    nothing.keep("tiny", b"x")
    assert nothing.get("tiny") is None and len(nothing) == 0


def test_forget_drops_an_image_and_its_bytes() -> None:
    held = ServedImages(max_bytes=100)
    held.keep("a", b"a" * 10)
    held.keep("a", b"a" * 10)  # kept once
    assert held.size == 10
    held.forget("a")
    held.forget("never held")
    assert held.get("a") is None and held.size == 0
