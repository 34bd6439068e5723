"""The bound on concurrent password hashes, with checks that block until released."""

from __future__ import annotations

import asyncio
import threading

import pytest

from api.guards import HashGate
from tracker.errors import RateLimited


async def test_at_most_concurrent_run_and_at_most_waiting_queue() -> None:
    gate = HashGate(concurrent=2, waiting=3)
    release = threading.Event()

    def check(n: int) -> int:
        release.wait(timeout=30)
        return n

    tasks = [asyncio.create_task(gate.run(check, n)) for n in range(5)]
    while gate.running < 2:
        await asyncio.sleep(0.01)
    with pytest.raises(RateLimited) as refused:
        await gate.run(check, 99)  # 2 running + 3 queued: the gate is full
    assert refused.value.code == "busy" and refused.value.status == 429
    release.set()
    assert sorted(await asyncio.gather(*tasks)) == [0, 1, 2, 3, 4]
    assert (gate.peak, gate.checks, gate.refused) == (2, 5, 1)
