"""Score cache in Redis, keyed by the opportunity's epoch (see `tracker.score_epochs`): a new
event bumps the epoch, so the next read misses and recomputes; stale entries expire by TTL.

Key: `ds:score:<model version>:<kind>:<tenant>:<opportunity>:<epoch>`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from scoring.model import MODEL_VERSION
from tracker.errors import RedisUnavailable
from tracker.score_epochs import epoch_key

__all__ = ["cache_key", "read_cached", "read_current", "write_cached"]

# KEYS[1] the tenant's epoch hash; ARGV[1] the opportunity, ARGV[2] the cache key minus the
# epoch. The entry's key depends on the epoch, so it cannot be passed in KEYS: fine on one
# Redis (which is what dealsignal runs), not on a Redis Cluster.
_READ_CURRENT: Final = """
local epoch = redis.call('HGET', KEYS[1], ARGV[1]) or '0'
return {epoch, redis.call('GET', ARGV[2] .. epoch)}
"""


def _key_prefix(kind: str, tenant_id: str, opportunity_id: str) -> str:
    return f"ds:score:{MODEL_VERSION}:{kind}:{tenant_id}:{opportunity_id}:"


def cache_key(kind: str, tenant_id: str, opportunity_id: str, epoch: int) -> str:
    return f"{_key_prefix(kind, tenant_id, opportunity_id)}{epoch}"


async def read_current(
    redis: aioredis.Redis, kind: str, tenant_id: str, opportunity_id: str
) -> tuple[int, bytes | None]:
    """The opportunity's current epoch and its `kind` entry cached at that epoch (None if
    none), in one round trip instead of an HMGET then a GET."""
    try:
        reply: list[Any] = await redis.register_script(_READ_CURRENT)(
            keys=[epoch_key(tenant_id)],
            args=[opportunity_id, _key_prefix(kind, tenant_id, opportunity_id)],
        )
    except (RedisError, OSError) as exc:
        raise RedisUnavailable(f"cannot read the score cache: {exc}") from exc
    epoch, raw = reply
    return int(epoch), raw.encode() if isinstance(raw, str) else raw


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
