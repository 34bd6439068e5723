"""Revoked links, as the writer sees them: a revocation is recorded in Redis
(`tracker.redis_keys.REVOKED_LINKS`) and the writer flags — never drops — later events of
the link, so nothing accepted is lost and scores leave them out."""

from __future__ import annotations

import redis.asyncio as aioredis

from tracker import redis_keys
from tracker.stores import redis_errors

__all__ = ["is_link_revoked", "mark_link_revoked"]


async def mark_link_revoked(redis: aioredis.Redis, tenant_id: str, link_id: str) -> None:
    with redis_errors("mark_link_revoked"):
        await redis.sadd(redis_keys.REVOKED_LINKS, redis_keys.revoked_member(tenant_id, link_id))


async def is_link_revoked(redis: aioredis.Redis, tenant_id: str, link_id: str) -> bool:
    member = redis_keys.revoked_member(tenant_id, link_id)
    with redis_errors("is_link_revoked"):
        return bool(await redis.sismember(redis_keys.REVOKED_LINKS, member))
