"""Score epochs and the writer-batch listener, on the real Redis."""

from __future__ import annotations

import pyarrow as pa
import redis.asyncio as aioredis

from scoring import make_epoch_listener, opportunities_in_batch
from scoring.engagement.epochs import bump_epochs, current_epoch, current_epochs


def batch(pairs: list[tuple[str, str]]) -> pa.Table:
    return pa.table(
        {
            "event_id": [f"e{i}" for i in range(len(pairs))],
            "tenant_id": [t for t, _ in pairs],
            "opportunity_id": [o for _, o in pairs],
        }
    )


async def test_bumps_are_per_tenant_and_opportunity(redis_client: aioredis.Redis) -> None:
    assert await current_epoch(redis_client, "ten_A", "opp-1") == 0
    await bump_epochs(redis_client, "ten_A", ["opp-1", "opp-1", "opp-2", ""])
    assert await current_epochs(redis_client, "ten_A", ["opp-1", "opp-2", "opp-3"]) == {
        "opp-1": 1,
        "opp-2": 1,
        "opp-3": 0,
    }
    assert await current_epoch(redis_client, "ten_B", "opp-1") == 0


async def test_listener_bumps_distinct_pairs_of_a_batch(redis_client: aioredis.Redis) -> None:
    table = batch([("ten_A", "opp-1"), ("ten_A", "opp-1"), ("ten_B", "opp-1"), ("ten_A", "")])
    assert opportunities_in_batch(table) == {"ten_A": {"opp-1"}, "ten_B": {"opp-1"}}
    await make_epoch_listener(redis_client)(table)
    assert await current_epoch(redis_client, "ten_A", "opp-1") == 1
    assert await current_epoch(redis_client, "ten_B", "opp-1") == 1
    await make_epoch_listener(redis_client)(batch([]))
    assert await current_epoch(redis_client, "ten_A", "opp-1") == 1
