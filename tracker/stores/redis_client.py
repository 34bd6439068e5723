"""The asyncio Redis client: from `DEALSIGNAL_REDIS_URL`, else a private server."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

from tracker.config import Settings
from tracker.errors import RedisUnavailable
from tracker.stores.redis_server import PrivateRedisServer

__all__ = ["RedisHandle", "open_redis"]


@dataclass
class RedisHandle:
    client: aioredis.Redis
    server: PrivateRedisServer | None
    url: str

    async def close(self) -> None:
        await self.client.aclose()
        if self.server is not None:
            self.server.stop()


async def open_redis(settings: Settings) -> RedisHandle:
    server = None
    url = settings.redis_url
    if not url:
        server = PrivateRedisServer(settings.data_dir / "redis")
        server.start()
        url = server.url
    client = aioredis.Redis.from_url(url, decode_responses=False, health_check_interval=30)
    try:
        await client.ping()
    except Exception as exc:
        await client.aclose()
        if server is not None:
            server.stop()
        raise RedisUnavailable(f"cannot reach Redis at {url}: {exc}") from exc
    return RedisHandle(client=client, server=server, url=url)
