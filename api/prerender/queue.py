"""Queueing page-image jobs: page 1 of every link on `ds:render:first`, the other pages on
`ds:render:later` page by page (page 2 of every link before page 3 of any), since buyers
read from the start. Best effort: a page the pool never renders is rendered when asked for."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence

from redis.asyncio import Redis
from redis.exceptions import ResponseError
from starlette.concurrency import run_in_threadpool

from api.prerender.job import RenderJob, is_erased
from api.prerender.metrics import RENDER_JOBS
from api.services import Services
from tracker import redis_keys
from tracker.documents import DocumentVersion
from tracker.errors import DealsignalError
from tracker.links import Link, list_links
from tracker.stores import redis_errors

__all__ = ["STREAMS", "enqueue_links", "enqueue_revision", "ensure_groups", "stream_label"]

log = logging.getLogger("dealsignal.prerender")

# Read in this order: a first page always goes before a later one.
STREAMS = (redis_keys.RENDER_FIRST, redis_keys.RENDER_LATER)
_PIPELINE = 1000  # XADDs per round trip


def _jobs(
    links: Sequence[Link], version: DocumentVersion, cap: int
) -> Iterator[tuple[str, RenderJob]]:
    last = min(version.pages, cap) if cap else version.pages
    for page in range(1, last + 1):
        stream = redis_keys.RENDER_FIRST if page == 1 else redis_keys.RENDER_LATER
        for link in links:
            yield stream, RenderJob(link.tenant_id, link.link_id, version.version_id, page)


async def ensure_groups(redis: Redis) -> None:
    """The `renderers` group on both streams, from their start: jobs queued before any
    worker ever ran are read too."""
    for stream in STREAMS:
        try:
            await redis.xgroup_create(stream, redis_keys.RENDER_GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise


async def enqueue_links(services: Services, links: Sequence[Link], version: DocumentVersion) -> int:
    """Queue the pages of `version` for each link (every page, or the first
    `RenderSettings.pages`); returns the jobs queued (0 when Redis is unavailable: logged, the
    links work regardless)."""
    redis, queued = services.redis.client, {stream: 0 for stream in STREAMS}
    try:
        with redis_errors("enqueue page images"):
            await ensure_groups(redis)
            pending = list(_jobs(links, version, services.settings.render.pages))
            for start in range(0, len(pending), _PIPELINE):
                chunk = pending[start : start + _PIPELINE]
                async with redis.pipeline(transaction=False) as pipe:
                    for stream, job in chunk:
                        pipe.xadd(stream, job.fields())  # type: ignore[arg-type]
                    await pipe.execute()
                for stream, _job in chunk:
                    queued[stream] += 1
    except DealsignalError as exc:
        log.warning("page images of %d links not queued: %s", len(links), exc.message)
    for stream, count in queued.items():
        RENDER_JOBS.labels(stream_label(stream), "enqueued").inc(count)
    return sum(queued.values())


async def enqueue_revision(
    services: Services, tenant_id: str, document_id: str, version: DocumentVersion
) -> int:
    """A new revision: its pages for every link of the document a buyer may still open."""
    links = await run_in_threadpool(
        list_links, services.clickhouse, tenant_id, document_id=document_id, limit=100_000
    )
    live = [
        link
        for link in links
        if link.revoked_at is None and not link.is_expired() and not is_erased(link)
    ]
    return await enqueue_links(services, live, version) if live else 0


def stream_label(stream: str) -> str:
    """The metrics label of a stream."""
    return "first" if stream == redis_keys.RENDER_FIRST else "later"
