"""Score-cache epochs: one counter per (tenant, opportunity), bumped whenever something that
feeds its scores arrives (an events batch, a CRM push). A cached score is keyed by the epoch
it was computed at, so a bump makes every older cache entry unreachable at once (they then
expire by TTL); nothing has to be deleted.

Layout: one Redis hash per tenant, `ds:score-epoch:{tenant_id}`, field = opportunity id,
value = integer epoch (absent = 0). A bump also records the opportunity in the sorted set
`ds:score-dirty` (member `{tenant}\x1f{opportunity}`, score = when it *first* became dirty),
from which the score warmer (`scoring.engagement.warm`) recomputes cache entries before
anyone asks."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

from tracker import redis_keys
from tracker.stores import redis_errors

__all__ = [
    "DIRTY_KEY",
    "bump_epochs",
    "current_epoch",
    "current_epochs",
    "epoch_key",
    "mark_dirty",
    "take_dirty",
]

DIRTY_KEY = redis_keys.SCORE_DIRTY
# Beyond this many dirty opportunities the oldest are dropped (they are then computed on
# their next pull): a warmer that cannot keep up must not grow Redis without bound.
MAX_DIRTY = 100_000


def epoch_key(tenant_id: str) -> str:
    return redis_keys.score_epochs(tenant_id)


async def bump_epochs(
    redis: aioredis.Redis, tenant_id: str, opportunity_ids: Iterable[str]
) -> None:
    ids = sorted({o for o in opportunity_ids if o})
    if not ids:
        return
    key = epoch_key(tenant_id)
    with redis_errors("score epoch bump"):
        async with redis.pipeline(transaction=False) as pipe:
            for opportunity_id in ids:
                pipe.hincrby(key, opportunity_id, 1)
            _queue_dirty(pipe, tenant_id, ids)
            await pipe.execute()


async def current_epoch(redis: aioredis.Redis, tenant_id: str, opportunity_id: str) -> int:
    return (await current_epochs(redis, tenant_id, [opportunity_id]))[opportunity_id]


async def current_epochs(
    redis: aioredis.Redis, tenant_id: str, opportunity_ids: Sequence[str]
) -> dict[str, int]:
    if not opportunity_ids:
        return {}
    with redis_errors("score epoch read"):
        values = await redis.hmget(epoch_key(tenant_id), list(opportunity_ids))  # type: ignore[misc]
    return {o: int(v) if v is not None else 0 for o, v in zip(opportunity_ids, values, strict=True)}


def _queue_dirty(pipe: Pipeline, tenant_id: str, opportunity_ids: Iterable[str]) -> None:
    # NX: a burst of bumps keeps the first time, so the warmer's delay bounds how stale a
    # busy opportunity's cache can be, instead of being pushed back by every heartbeat.
    now = time.time()
    members = {redis_keys.score_member(tenant_id, o): now for o in opportunity_ids}
    pipe.zadd(DIRTY_KEY, members, nx=True)  # type: ignore[arg-type]


async def mark_dirty(redis: aioredis.Redis, tenant_id: str, opportunity_ids: Iterable[str]) -> None:
    """Put opportunities (back) on the warmer's list without bumping their epochs."""
    with redis_errors("dirty score mark"):
        async with redis.pipeline(transaction=False) as pipe:
            _queue_dirty(pipe, tenant_id, opportunity_ids)
            await pipe.execute()


async def clear_dirty(redis: aioredis.Redis) -> None:
    """Forget every dirty mark (the warmer is turned off)."""
    with redis_errors("dirty score clear"):
        await redis.delete(DIRTY_KEY)


async def take_dirty(
    redis: aioredis.Redis, *, dirty_for: float, limit: int
) -> list[tuple[str, str]]:
    """Remove and return up to `limit` (tenant, opportunity) pairs dirty for at least
    `dirty_for` seconds, oldest first (`limit` ≤ a few thousand: Lua's unpack). Taking is
    one script call, so two warmers never take the same pair; a pair bumped again after
    being taken is dirty anew."""
    with redis_errors("dirty score take"):
        taken: list[bytes | str] = await redis.register_script(_TAKE)(
            keys=[DIRTY_KEY], args=[time.time() - dirty_for, limit, MAX_DIRTY]
        )
    pairs = []
    for member in taken:
        text = member.decode() if isinstance(member, bytes) else member
        tenant_id, _, opportunity_id = text.partition(redis_keys.score_member("", ""))
        pairs.append((tenant_id, opportunity_id))
    return pairs


_TAKE = """
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -1 - tonumber(ARGV[3]))
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
if #due > 0 then redis.call('ZREM', KEYS[1], unpack(due)) end
return due
"""
