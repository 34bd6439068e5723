"""Revoked links, as the writer sees them: a revocation is recorded in Redis
(`tracker.redis_keys.REVOKED_LINKS`, with its time in `REVOKED_AT`) and the writer flags —
never drops — the link's events received from then on (`link_revoked`, and `is_bot` with
reason `link_revoked` so no count or score includes them); nothing accepted is lost."""

from __future__ import annotations

import redis.asyncio as aioredis

from tracker import redis_keys
from tracker.clock import utcnow
from tracker.stores import redis_errors

__all__ = ["is_link_revoked", "mark_link_revoked"]


async def mark_link_revoked(redis: aioredis.Redis, tenant_id: str, link_id: str) -> None:
    member = redis_keys.revoked_member(tenant_id, link_id)
    now_ms = int(utcnow().timestamp() * 1000)
    with redis_errors("mark_link_revoked"):
        async with redis.pipeline(transaction=True) as pipe:
            pipe.sadd(redis_keys.REVOKED_LINKS, member)
            pipe.hsetnx(redis_keys.REVOKED_AT, member, now_ms)  # the first revocation counts
            await pipe.execute()


async def is_link_revoked(redis: aioredis.Redis, tenant_id: str, link_id: str) -> bool:
    member = redis_keys.revoked_member(tenant_id, link_id)
    with redis_errors("is_link_revoked"):
        return bool(await redis.sismember(redis_keys.REVOKED_LINKS, member))
