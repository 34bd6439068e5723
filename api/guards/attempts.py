"""Budgets of tries in Redis: a counter per target (a link, an account) and per source
address, each with its own limit, over one window that starts at the first try. A request
is refused when any of its budgets is spent, and it is checked BEFORE the costly part (an
argon2 or scrypt hash) — so the counters, not the client's cookies, decide."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import redis.asyncio as aioredis

__all__ = ["Budget", "address_tag", "budgets_spent", "forgive", "spend"]


def address_tag(value: str) -> str:
    """A source address (or account) as it appears in a key: hashed, so Redis holds no
    raw addresses, and of fixed length whatever the client sent."""
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:24]


@dataclass(frozen=True)
class Budget:
    key: str  # from tracker.redis_keys
    limit: int


async def budgets_spent(redis: aioredis.Redis, budgets: list[Budget]) -> bool:
    counts = await redis.mget([budget.key for budget in budgets])
    return any(
        count is not None and int(count) >= budget.limit
        for budget, count in zip(budgets, counts, strict=True)
    )


async def spend(redis: aioredis.Redis, budgets: list[Budget], window_seconds: int) -> bool:
    """Count one try against every budget; False when any is now over its limit (the
    try is refused, and still counted: hammering a spent budget keeps it spent)."""
    async with redis.pipeline(transaction=True) as pipe:
        for budget in budgets:
            pipe.incr(budget.key)
            pipe.expire(budget.key, window_seconds, nx=True)
        results = await pipe.execute()
    counts = results[::2]
    return all(int(count) <= budget.limit for budget, count in zip(budgets, counts, strict=True))


async def forgive(redis: aioredis.Redis, budgets: list[Budget]) -> None:
    await redis.delete(*[budget.key for budget in budgets])
