"""The service container: every store client the routes need, opened once at start-up and
closed on shutdown. Routes receive it through `ServicesDep`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, Request

from tracker.api_keys import ApiKeyAuthenticator
from tracker.blobs import FileBlobStore
from tracker.clickhouse import ClickHouse, apply_migrations, open_clickhouse, render_context
from tracker.config import Settings, resolve_secret_keys
from tracker.redis_client import RedisHandle, open_redis
from tracker.tokens import TokenSigner

__all__ = ["Services", "ServicesDep", "get_services", "open_services"]

log = logging.getLogger("dealsignal")


@dataclass
class Services:
    settings: Settings
    clickhouse: ClickHouse
    redis: RedisHandle
    signer: TokenSigner
    authenticator: ApiKeyAuthenticator
    blobs: FileBlobStore
    background: list[asyncio.Task[None]] = field(default_factory=list)

    async def close(self) -> None:
        for task in self.background:
            task.cancel()
        for task in self.background:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.redis.close()
        await asyncio.to_thread(self.clickhouse.close)


async def open_services(settings: Settings, *, migrate: bool = True) -> Services:
    """Open the stores; fail loudly (with the dependency's name) if one is unusable."""
    secrets = resolve_secret_keys(settings)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    clickhouse = await asyncio.to_thread(open_clickhouse, settings)
    try:
        if migrate:
            applied = await asyncio.to_thread(
                apply_migrations, clickhouse, render_context(settings)
            )
            for migration in applied:
                log.info("applied migration %04d_%s", migration.number, migration.name)
        redis = await open_redis(settings)
    except BaseException:
        await asyncio.to_thread(clickhouse.close)
        raise
    return Services(
        settings=settings,
        clickhouse=clickhouse,
        redis=redis,
        signer=TokenSigner(secrets),
        authenticator=ApiKeyAuthenticator(clickhouse),
        blobs=FileBlobStore(settings.data_dir / "blobs"),
    )


def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
