"""Score-cache epochs: one counter per (tenant, opportunity), bumped whenever something that
feeds its scores arrives (an events batch, a CRM push). A cached score is keyed by the epoch
it was computed at, so a bump makes every older cache entry unreachable at once (they then
expire by TTL); nothing has to be deleted.

Layout: one Redis hash per tenant, `ds:score-epoch:{tenant_id}`, field = opportunity id,
value = integer epoch (absent = 0)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from tracker.errors import RedisUnavailable

__all__ = ["bump_epochs", "current_epoch", "current_epochs", "epoch_key"]


def epoch_key(tenant_id: str) -> str:
    return f"ds:score-epoch:{tenant_id}"


async def bump_epochs(
    redis: aioredis.Redis, tenant_id: str, opportunity_ids: Iterable[str]
) -> None:
    ids = sorted({o for o in opportunity_ids if o})
    if not ids:
        return
    key = epoch_key(tenant_id)
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for opportunity_id in ids:
                pipe.hincrby(key, opportunity_id, 1)
            await pipe.execute()
    except (RedisError, OSError) as exc:
        raise RedisUnavailable(f"cannot bump score epochs: {exc}") from exc


async def current_epoch(redis: aioredis.Redis, tenant_id: str, opportunity_id: str) -> int:
    return (await current_epochs(redis, tenant_id, [opportunity_id]))[opportunity_id]


async def current_epochs(
    redis: aioredis.Redis, tenant_id: str, opportunity_ids: Sequence[str]
) -> dict[str, int]:
    if not opportunity_ids:
        return {}
    try:
        values = await redis.hmget(epoch_key(tenant_id), list(opportunity_ids))  # type: ignore[misc]
    except (RedisError, OSError) as exc:
        raise RedisUnavailable(f"cannot read score epochs: {exc}") from exc
    return {o: int(v) if v is not None else 0 for o, v in zip(opportunity_ids, values, strict=True)}
