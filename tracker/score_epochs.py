"""Score-cache epochs: one counter per (tenant, opportunity), bumped whenever something that
feeds its scores arrives (an events batch, a CRM push). A cached score is keyed by the epoch
it was computed at, so a bump makes every older cache entry unreachable at once (they then
expire by TTL); nothing has to be deleted.

Layout: one Redis hash per tenant, `ds:score-epoch:{tenant_id}`, field = opportunity id,
value = integer epoch (absent = 0). A bump also records the opportunity in the sorted set
`ds:score-dirty` (member `{tenant}\x1f{opportunity}`, score = when it *first* became dirty),
from which the score warmer (`scoring.warm`) recomputes cache entries before anyone asks."""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline
from redis.exceptions import RedisError

from tracker.errors import RedisUnavailable

__all__ = [
    "DIRTY_KEY",
    "bump_epochs",
    "current_epoch",
    "current_epochs",
    "epoch_key",
    "mark_dirty",
    "take_dirty",
]

DIRTY_KEY = "ds:score-dirty"
# Beyond this many dirty opportunities the oldest are dropped (they are then computed on
# their next pull): a warmer that cannot keep up must not grow Redis without bound.
MAX_DIRTY = 100_000
_SEPARATOR = "\x1f"


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
            _queue_dirty(pipe, tenant_id, ids)
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


def _queue_dirty(pipe: Pipeline, tenant_id: str, opportunity_ids: Iterable[str]) -> None:
    # NX: a burst of bumps keeps the first time, so the warmer's delay bounds how stale a
    # busy opportunity's cache can be, instead of being pushed back by every heartbeat.
    now = time.time()
    members = {f"{tenant_id}{_SEPARATOR}{o}": now for o in opportunity_ids}
    pipe.zadd(DIRTY_KEY, members, nx=True)  # type: ignore[arg-type]


async def mark_dirty(redis: aioredis.Redis, tenant_id: str, opportunity_ids: Iterable[str]) -> None:
    """Put opportunities (back) on the warmer's list without bumping their epochs."""
    try:
        async with redis.pipeline(transaction=False) as pipe:
            _queue_dirty(pipe, tenant_id, opportunity_ids)
            await pipe.execute()
    except (RedisError, OSError) as exc:
        raise RedisUnavailable(f"cannot mark scores dirty: {exc}") from exc


async def clear_dirty(redis: aioredis.Redis) -> None:
    """Forget every dirty mark (the warmer is turned off)."""
    try:
        await redis.delete(DIRTY_KEY)
    except (RedisError, OSError) as exc:
        raise RedisUnavailable(f"cannot clear dirty scores: {exc}") from exc


async def take_dirty(
    redis: aioredis.Redis, *, dirty_for: float, limit: int
) -> list[tuple[str, str]]:
    """Remove and return up to `limit` (tenant, opportunity) pairs dirty for at least
    `dirty_for` seconds, oldest first (`limit` ≤ a few thousand: Lua's unpack). Taking is
    one script call, so two warmers never take the same pair; a pair bumped again after
    being taken is dirty anew."""
    try:
        taken: list[bytes | str] = await redis.register_script(_TAKE)(
            keys=[DIRTY_KEY], args=[time.time() - dirty_for, limit, MAX_DIRTY]
        )
    except (RedisError, OSError) as exc:
        raise RedisUnavailable(f"cannot read dirty scores: {exc}") from exc
    pairs = []
    for member in taken:
        text = member.decode() if isinstance(member, bytes) else member
        tenant_id, _, opportunity_id = text.partition(_SEPARATOR)
        pairs.append((tenant_id, opportunity_id))
    return pairs


_TAKE = """
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, -1 - tonumber(ARGV[3]))
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
if #due > 0 then redis.call('ZREM', KEYS[1], unpack(due)) end
return due
"""
