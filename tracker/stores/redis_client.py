"""The asyncio Redis client: from `DEALSIGNAL_REDIS_URL`, else a private server.

`redis://` / `rediss://` / `unix://` name one server; `redis+sentinel://` names a Sentinel
group and the client follows its master through failovers:

    redis+sentinel://[:password@]host1:26379,host2:26379,host3:26379/<service>[/<db>]

(the password is the data nodes'; Sentinels are assumed to need none)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

import redis.asyncio as aioredis
from redis.asyncio.sentinel import Sentinel

from tracker.config import Settings
from tracker.errors import ConfigurationError, RedisUnavailable
from tracker.stores.redis_server import PrivateRedisServer

__all__ = ["RedisHandle", "open_redis", "redis_from_url"]

SENTINEL_SCHEME = "redis+sentinel"


@dataclass
class RedisHandle:
    client: aioredis.Redis
    server: PrivateRedisServer | None
    url: str

    async def close(self) -> None:
        await self.client.aclose()
        if self.server is not None:
            self.server.stop()


def _sentinel_client(url: str) -> aioredis.Redis:
    parts = urlsplit(url)
    hosts_part = parts.netloc.rsplit("@", 1)[-1]
    password = unquote(parts.password) if parts.password else None
    path = [p for p in parts.path.split("/") if p]
    if not hosts_part or not path or len(path) > 2 or (len(path) == 2 and not path[1].isdigit()):
        raise ConfigurationError(
            f"{SENTINEL_SCHEME} URL must be {SENTINEL_SCHEME}://[:password@]host:port[,host:port…]"
            "/<service>[/<db>]"
        )
    hosts = []
    for item in hosts_part.split(","):
        host, _, port = item.rpartition(":") if ":" in item else (item, "", "26379")
        if not host or not port.isdigit():
            raise ConfigurationError(f"bad Sentinel address {item!r} in DEALSIGNAL_REDIS_URL")
        hosts.append((host.strip("[]"), int(port)))
    sentinel = Sentinel(hosts, socket_timeout=5)  # type: ignore[no-untyped-call]
    db = int(path[1]) if len(path) == 2 else 0
    client: aioredis.Redis = sentinel.master_for(
        path[0], db=db, password=password, decode_responses=False, health_check_interval=30
    )
    return client


def redis_from_url(url: str) -> aioredis.Redis:
    """A client for a server URL or a Sentinel group (see the module docstring)."""
    if url.startswith(f"{SENTINEL_SCHEME}://"):
        return _sentinel_client(url)
    return aioredis.Redis.from_url(url, decode_responses=False, health_check_interval=30)


def _redacted(url: str) -> str:
    """The URL without its password (it goes to logs)."""
    parts = urlsplit(url)
    if not parts.password:
        return url
    return url.replace(f":{parts.password}@", ":***@", 1)


async def open_redis(settings: Settings) -> RedisHandle:
    server = None
    url = settings.redis_url
    if not url:
        server = PrivateRedisServer(settings.data_dir / "redis")
        server.start()
        url = server.url
    client = redis_from_url(url)
    try:
        await client.ping()
    except Exception as exc:
        await client.aclose()
        if server is not None:
            server.stop()
        raise RedisUnavailable(f"cannot reach Redis at {_redacted(url)}: {exc}") from exc
    return RedisHandle(client=client, server=server, url=url)
