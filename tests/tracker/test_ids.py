"""`new_id`: the time in Crockford base32 two characters at a time (`_encode`, one at a time,
is the reference), then 80 random bits as 16 characters cut from pooled OS randomness."""

from __future__ import annotations

import os
import threading

import pytest

from tracker import ids


@pytest.mark.parametrize("millis", [0, 1, 1_764_780_000_000, 2**48 - 1, 2**50 - 1, 2**50 + 5])
def test_new_id_is_the_time_then_16_random_characters_in_crockford_base32(millis: int) -> None:
    made = ids.new_id("visit", now_ms=millis)
    assert made.startswith(f"vis_{ids._encode(millis, 10)}")
    random_part = made[len("vis_") + 10 :]
    assert len(random_part) == 16 and set(random_part) <= set(ids._ALPHABET)


def test_each_random_character_is_the_low_five_bits_of_one_os_byte(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pattern = bytes(range(256)) * 25  # 6400 bytes: one pool
    monkeypatch.setattr(os, "urandom", lambda n: pattern[:n])
    ids._forget_entropy()
    drawn = "".join(ids.new_id("event", now_ms=0)[-16:] for _ in range(400))
    assert drawn == "".join(ids._ALPHABET[b % 32] for b in pattern)
    ids._forget_entropy()


def test_ids_do_not_repeat_across_pools_threads_and_a_forked_child() -> None:
    made = [ids.new_id("event") for _ in range(2000)]  # five pools
    others: list[str] = []
    thread = threading.Thread(target=lambda: others.extend(ids.new_id("event") for _ in range(500)))
    thread.start()
    thread.join()
    read, write = os.pipe()
    child = os.fork()
    if child == 0:  # the child's first ids, from a pool of its own
        os.write(write, " ".join(ids.new_id("event") for _ in range(50)).encode())
        os._exit(0)
    os.close(write)
    with os.fdopen(read) as pipe:
        forked = pipe.read().split()
    os.waitpid(child, 0)
    tails = [made_id[-16:] for made_id in made + others + forked + [ids.new_id("event")]]
    assert len(forked) == 50 and len(set(tails)) == len(tails)


def test_ids_sort_by_time_and_carry_their_kind() -> None:
    earlier, later = ids.new_id("event", now_ms=1_000), ids.new_id("event", now_ms=1_001)
    assert earlier.startswith("evt_") and len(earlier) == 4 + 26 and earlier < later
