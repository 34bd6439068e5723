"""The epoch-keyed score cache, on the real Redis."""

from __future__ import annotations

import time

import redis.asyncio as aioredis

from scoring.engagement.cache import (
    WATCHED_KEY,
    cache_key,
    read_cached,
    read_current,
    watched_since,
    write_cached,
)
from scoring.engagement.epochs import bump_epochs


async def test_read_current_follows_the_epoch(redis_client: aioredis.Redis) -> None:
    assert await read_current(redis_client, "detail", "ten_A", "opp-1") == (0, None)
    await write_cached(redis_client, {cache_key("detail", "ten_A", "opp-1", 0): b"v0"}, 60)
    assert await read_current(redis_client, "detail", "ten_A", "opp-1") == (0, b"v0")
    # another kind, tenant or opportunity never sees it
    assert await read_current(redis_client, "opportunity", "ten_A", "opp-1") == (0, None)
    assert await read_current(redis_client, "detail", "ten_B", "opp-1") == (0, None)
    assert await read_current(redis_client, "detail", "ten_A", "opp-10") == (0, None)
    await bump_epochs(redis_client, "ten_A", ["opp-1"])
    assert await read_current(redis_client, "detail", "ten_A", "opp-1") == (1, None)
    await write_cached(redis_client, {cache_key("detail", "ten_A", "opp-1", 1): b"v1"}, 60)
    assert await read_current(redis_client, "detail", "ten_A", "opp-1") == (1, b"v1")
    assert await read_cached(redis_client, [cache_key("detail", "ten_A", "opp-1", 0)]) == [b"v0"]


async def test_hits_record_a_watch_only_when_asked(redis_client: aioredis.Redis) -> None:
    await write_cached(redis_client, {cache_key("detail", "ten_A", "opp-1", 0): b"v0"}, 60)
    await write_cached(redis_client, {cache_key("detail", "ten_A", "opp-2", 0): b"v0"}, 60)
    await read_current(redis_client, "detail", "ten_A", "opp-1", watch=True)
    await read_current(redis_client, "detail", "ten_A", "opp-2")  # e.g. the warmer's own read
    await read_current(redis_client, "detail", "ten_A", "opp-3", watch=True)  # a miss
    pairs = [("ten_A", "opp-1"), ("ten_A", "opp-2"), ("ten_A", "opp-3"), ("ten_B", "opp-1")]
    assert await watched_since(redis_client, pairs, time.time() - 60) == [
        True,
        False,
        False,
        False,
    ]
    assert await watched_since(redis_client, pairs, time.time() + 1) == [False] * 4
    assert await redis_client.zcard(WATCHED_KEY) == 0  # older pulls are forgotten
