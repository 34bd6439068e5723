"""The Redis key layout of ingest, and the one place Redis driver errors become
`RedisUnavailable`.

    ds:vs:{tenant}:{link}:{viewer}   hash  last activity ms, visit id, sticky bot reason
    ds:lv:{tenant}:{link}            hash  viewer id → "0" first viewer / "1" forwarded
    ds:burst:{tenant}:{contact}      int   link clicks in the current burst window
    ds:revoked                       set   "{tenant}:{link}" of revoked links (API maintains)
    ds:evt:{event_id}                str   manifest that claimed the event (writer dedupe, 2 d)
    ds:man:{manifest_id}             str   writer batch manifest (entry ids, dedupe token)
    ds:em:{entry_id}                 str   stream entry → its manifest
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Final

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from tracker.errors import RedisUnavailable

__all__ = [
    "CLAIM_TTL_SECONDS",
    "LINK_VIEWERS_TTL_SECONDS",
    "MANIFEST_TTL_SECONDS",
    "REVOKED_LINKS",
    "VIEWER_STATE_TTL_SECONDS",
    "claim_key",
    "entry_manifest_key",
    "is_link_revoked",
    "link_viewers_key",
    "manifest_key",
    "mark_link_revoked",
    "redis_errors",
    "revoked_member",
    "viewer_state_key",
]

VIEWER_STATE_TTL_SECONDS: Final = 7 * 86_400
LINK_VIEWERS_TTL_SECONDS: Final = 400 * 86_400
# Claims only need to outlive client retries (a viewer session lives 12 h) and a stalled
# writer's replay; one key per event, so the TTL is what bounds Redis memory.
CLAIM_TTL_SECONDS: Final = 2 * 86_400
MANIFEST_TTL_SECONDS: Final = 7 * 86_400
REVOKED_LINKS: Final = "ds:revoked"


def viewer_state_key(tenant_id: str, link_id: str, viewer_id: str) -> str:
    return f"ds:vs:{tenant_id}:{link_id}:{viewer_id}"


def link_viewers_key(tenant_id: str, link_id: str) -> str:
    return f"ds:lv:{tenant_id}:{link_id}"


def claim_key(event_id: str) -> str:
    return f"ds:evt:{event_id}"


def manifest_key(manifest_id: str) -> str:
    return f"ds:man:{manifest_id}"


def entry_manifest_key(entry_id: str) -> str:
    return f"ds:em:{entry_id}"


def revoked_member(tenant_id: str, link_id: str) -> str:
    return f"{tenant_id}:{link_id}"


@contextmanager
def redis_errors(what: str) -> Iterator[None]:
    """Translate driver errors (and dropped connections) into `RedisUnavailable`."""
    try:
        yield
    except (RedisError, OSError) as exc:
        raise RedisUnavailable(f"Redis unavailable during {what}: {exc}") from exc


async def mark_link_revoked(redis: aioredis.Redis, tenant_id: str, link_id: str) -> None:
    """Record a revocation; the writer flags (never drops) later events of the link."""
    with redis_errors("mark_link_revoked"):
        await redis.sadd(REVOKED_LINKS, revoked_member(tenant_id, link_id))


async def is_link_revoked(redis: aioredis.Redis, tenant_id: str, link_id: str) -> bool:
    with redis_errors("is_link_revoked"):
        return bool(await redis.sismember(REVOKED_LINKS, revoked_member(tenant_id, link_id)))
