"""The service container: every store client the routes need, opened once at start-up and
closed on shutdown. Routes receive it through `ServicesDep`."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Coroutine
from dataclasses import dataclass, field
from typing import Annotated, Any, Final

from fastapi import Depends, Request

from api.guards import HashGate
from ingest import (
    Ingestor,
    StreamBuffer,
    ip_key_from_secret,
    parse_user_agent,
    user_agent_verdict,
)
from outbound import reseal_secrets
from scoring import TenantScoringCache
from tracker.api_keys import ApiKeyAuthenticator
from tracker.config import Settings, resolve_secret_keys
from tracker.stores import (
    BlobStore,
    ClickHouse,
    HeldBlobs,
    RedisHandle,
    apply_migrations,
    open_blob_store,
    open_clickhouse,
    open_redis,
    render_context,
)
from tracker.tokens import TokenSigner
from tracker.types import EventType

__all__ = ["Services", "ServicesDep", "get_services", "open_services"]

log = logging.getLogger("dealsignal")


@dataclass
class Services:
    settings: Settings
    clickhouse: ClickHouse
    redis: RedisHandle
    signer: TokenSigner
    authenticator: ApiKeyAuthenticator
    blobs: BlobStore
    buffer: StreamBuffer
    ingestor: Ingestor
    scoring: TenantScoringCache
    password_checks: HashGate
    # page images readers were served lately (`api.copies.served_page_image`), by digest
    served_images: HeldBlobs
    # the collector's thresholds before `_tune_collector`, put back on close
    gc_thresholds: tuple[int, int, int] = field(default_factory=gc.get_threshold)
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    background: list[asyncio.Task[None]] = field(default_factory=list)

    def spawn(self, name: str, loop: Coroutine[Any, Any, None]) -> None:
        """Run a background loop until shutdown; a crash is logged, not swallowed."""
        task = asyncio.create_task(loop, name=name)
        task.add_done_callback(_report_crash)
        self.background.append(task)

    async def close(self) -> None:
        self.stop.set()
        for task in self.background:
            try:
                await asyncio.wait_for(task, timeout=10)
            except (TimeoutError, asyncio.CancelledError):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        await self.buffer.close()
        await self.redis.close()
        await asyncio.to_thread(self.clickhouse.close)
        gc.unfreeze()
        gc.set_threshold(*self.gc_thresholds)


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
            # Secrets sealed the old way are a data migration: they need the deployment
            # secret, which SQL migrations never see.
            await asyncio.to_thread(reseal_secrets, clickhouse, settings)
        redis = await open_redis(settings)
    except BaseException:
        await asyncio.to_thread(clickhouse.close)
        raise
    # ua-parser compiles ~1,300 regexes on first use, the two bot lists ~0.1 s of patterns:
    # pay that now, not on a visitor's beacon.
    await asyncio.to_thread(_warm_up_user_agents)
    signer = TokenSigner(secrets)
    buffer = StreamBuffer(redis.client, settings.ingest.stream)
    services = Services(
        settings=settings,
        clickhouse=clickhouse,
        redis=redis,
        signer=signer,
        authenticator=ApiKeyAuthenticator(clickhouse),
        blobs=open_blob_store(settings),
        buffer=buffer,
        ingestor=Ingestor(
            settings, redis.client, signer, buffer, ip_key=ip_key_from_secret(secrets[0])
        ),
        scoring=TenantScoringCache(settings.scoring),
        password_checks=HashGate(
            settings.auth.password_checks_concurrent, settings.auth.password_checks_waiting
        ),
        served_images=HeldBlobs(settings.render.memory_bytes),
    )
    _freeze_startup_heap()
    _tune_collector()
    return services


def _warm_up_user_agents() -> None:
    parse_user_agent("Mozilla/5.0 (warm-up)")
    user_agent_verdict("Mozilla/5.0 (warm-up)", EventType.LINK_CLICK)


def _freeze_startup_heap() -> None:
    """Move everything alive after start-up (modules, routes, schemas, compiled regexes:
    ~240k objects) out of the collector's reach. Without this every full collection walks
    them all — ~100 ms with the event loop stopped, several times a second under load, since
    the objects of in-flight requests keep getting promoted. No `gc.collect()` first: it
    would find ~100 objects of garbage here and costs ~100 ms per start. `Services.close`
    undoes the freeze."""
    gc.freeze()


#: Net allocations of container objects between two young-generation collections (Python's
#: default is 700). The objects of the requests in flight — 64 beacons hold a few thousand —
#: crossed 700 every few beacons: ~4.5k collections of ~75 µs in ten seconds of beacon load,
#: each promoting live request objects for the older generations to walk again. At 20 000
#: the same load saw one (2.4 ms), and the API's CPU a beacon went 60.4 → 52.6 µs
#: (2026-12-04). Most garbage here is freed by reference counting; cycles wait a little longer.
GC_YOUNG_THRESHOLD: Final = 20_000


def _tune_collector() -> None:
    _, older, oldest = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, older, oldest)


def _report_crash(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("background loop %s crashed", task.get_name(), exc_info=task.exception())


async def get_services(request: Request) -> Services:
    # async: FastAPI runs a plain `def` dependency in the thread pool, a hop per request.
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]
