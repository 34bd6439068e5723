"""Score cache in Redis, keyed by the opportunity's epoch (see `scoring.engagement.epochs`): a new
event bumps the epoch, so the next read misses and recomputes; stale entries expire by TTL.

Key: `ds:score:<model version>:<kind>:<tenant>:<opportunity>:<epoch>`."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any, Final

import redis.asyncio as aioredis

from scoring.engagement.epochs import epoch_key
from scoring.model import MODEL_VERSION
from tracker import redis_keys
from tracker.stores import redis_errors

__all__ = [
    "WATCHED_KEY",
    "cache_key",
    "read_cached",
    "read_current",
    "watch",
    "watched_since",
    "write_cached",
]

# Opportunities whose engagement detail someone pulls: member `{tenant}\x1f{opportunity}`,
# score = last pull (epoch seconds). The warmer recomputes details only for these — the
# detail is the expensive part, and most bumped opportunities are never pulled one by one.
WATCHED_KEY: Final = redis_keys.SCORE_WATCHED

# KEYS[1] the tenant's epoch hash, KEYS[2] the watched set; ARGV[1] the opportunity, ARGV[2]
# the cache key minus the epoch, ARGV[3] a watched member ('' = don't record), ARGV[4] now.
# The entry's key depends on the epoch, so it cannot be passed in KEYS: fine on one Redis
# (which is what dealsignal runs), not on a Redis Cluster.
_READ_CURRENT: Final = """
local epoch = redis.call('HGET', KEYS[1], ARGV[1]) or '0'
local entry = redis.call('GET', ARGV[2] .. epoch)
if entry and ARGV[3] ~= '' then redis.call('ZADD', KEYS[2], ARGV[4], ARGV[3]) end
return {epoch, entry}
"""


def _key_prefix(kind: str, tenant_id: str, opportunity_id: str) -> str:
    return redis_keys.score_entry_prefix(MODEL_VERSION, kind, tenant_id, opportunity_id)


def cache_key(kind: str, tenant_id: str, opportunity_id: str, epoch: int) -> str:
    return f"{_key_prefix(kind, tenant_id, opportunity_id)}{epoch}"


def _member(tenant_id: str, opportunity_id: str) -> str:
    return redis_keys.score_member(tenant_id, opportunity_id)


async def read_current(
    redis: aioredis.Redis, kind: str, tenant_id: str, opportunity_id: str, *, watch: bool = False
) -> tuple[int, bytes | None]:
    """The opportunity's current epoch and its `kind` entry cached at that epoch (None if
    none), in one round trip instead of an HMGET then a GET; with `watch`, a hit also
    records the pull in `WATCHED_KEY`."""
    member = _member(tenant_id, opportunity_id) if watch else ""
    with redis_errors("score cache read"):
        reply: list[Any] = await redis.register_script(_READ_CURRENT)(
            keys=[epoch_key(tenant_id), WATCHED_KEY],
            args=[
                opportunity_id,
                _key_prefix(kind, tenant_id, opportunity_id),
                member,
                time.time(),
            ],
        )
    epoch, raw = reply
    return int(epoch), raw.encode() if isinstance(raw, str) else raw


async def read_cached(redis: aioredis.Redis, keys: Sequence[str]) -> list[bytes | None]:
    if not keys:
        return []
    with redis_errors("score cache read"):
        values = await redis.mget(list(keys))
    return [v.encode() if isinstance(v, str) else v for v in values]


async def write_cached(redis: aioredis.Redis, items: Mapping[str, bytes], ttl: int) -> None:
    if not items:
        return
    with redis_errors("score cache write"):
        async with redis.pipeline(transaction=False) as pipe:
            for key, value in items.items():
                pipe.set(key, value, ex=ttl)
            await pipe.execute()


async def watch(redis: aioredis.Redis, tenant_id: str, opportunity_id: str) -> None:
    """Record a pull of the opportunity's detail (the miss path; hits record in the script)."""
    with redis_errors("score cache write"):
        await redis.zadd(WATCHED_KEY, {_member(tenant_id, opportunity_id): time.time()})


async def watched_since(
    redis: aioredis.Redis, pairs: Sequence[tuple[str, str]], since: float
) -> list[bool]:
    """For each (tenant, opportunity): was its detail pulled at or after `since`? Forgets
    pulls older than that (the set stays as small as the recent demand)."""
    if not pairs:
        return []
    with redis_errors("score cache read"):
        async with redis.pipeline(transaction=False) as pipe:
            pipe.zremrangebyscore(WATCHED_KEY, "-inf", f"({since}")
            pipe.zmscore(WATCHED_KEY, [_member(t, o) for t, o in pairs])
            _, scores = await pipe.execute()
    return [score is not None for score in scores]
