"""Score cache in Redis, keyed by the opportunity's epoch (see `tracker.score_epochs`): a new
event bumps the epoch, so the next read misses and recomputes; stale entries expire by TTL.

Key: `ds:score:<model version>:<kind>:<tenant>:<opportunity>:<epoch>`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from scoring.model import MODEL_VERSION
from tracker.errors import RedisUnavailable

__all__ = ["cache_key", "read_cached", "write_cached"]


def cache_key(kind: str, tenant_id: str, opportunity_id: str, epoch: int) -> str:
    return f"ds:score:{MODEL_VERSION}:{kind}:{tenant_id}:{opportunity_id}:{epoch}"


async def read_cached(redis: aioredis.Redis, keys: Sequence[str]) -> list[bytes | None]:
    if not keys:
        return []
    try:
        values = await redis.mget(list(keys))
    except (RedisError, OSError) as exc:
        raise RedisUnavailable(f"cannot read the score cache: {exc}") from exc
    return [v.encode() if isinstance(v, str) else v for v in values]


async def write_cached(redis: aioredis.Redis, items: Mapping[str, bytes], ttl: int) -> None:
    if not items:
        return
    try:
        async with redis.pipeline(transaction=False) as pipe:
            for key, value in items.items():
                pipe.set(key, value, ex=ttl)
            await pipe.execute()
    except (RedisError, OSError) as exc:
        raise RedisUnavailable(f"cannot write the score cache: {exc}") from exc
