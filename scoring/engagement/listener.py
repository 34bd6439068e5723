"""Writer-batch listener: bump the score epochs of every (tenant, opportunity) in an inserted
events batch, so cached scores of those opportunities are recomputed on the next read.
Idempotent enough for at-least-once delivery: an extra bump only costs a recompute."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pyarrow as pa
import pyarrow.compute as pc
import redis.asyncio as aioredis

from scoring.engagement.epochs import bump_epochs

__all__ = ["EpochListener", "make_epoch_listener", "opportunities_in_batch"]

EpochListener = Callable[[pa.Table], Awaitable[None]]


def opportunities_in_batch(batch: pa.Table) -> dict[str, set[str]]:
    """tenant id → opportunity ids of the batch (events with an opportunity only)."""
    if batch.num_rows == 0:
        return {}
    pairs = batch.select(["tenant_id", "opportunity_id"])
    pairs = pairs.filter(pc.not_equal(pairs["opportunity_id"], ""))  # type: ignore[attr-defined]
    found: dict[str, set[str]] = {}
    for row in pairs.group_by(["tenant_id", "opportunity_id"]).aggregate([]).to_pylist():
        found.setdefault(str(row["tenant_id"]), set()).add(str(row["opportunity_id"]))
    return found


def make_epoch_listener(redis: aioredis.Redis) -> EpochListener:
    async def on_batch(batch: pa.Table) -> None:
        for tenant_id, opportunity_ids in opportunities_in_batch(batch).items():
            await bump_epochs(redis, tenant_id, opportunity_ids)

    return on_batch
