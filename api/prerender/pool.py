"""The bounded pool of page-image workers: `RenderSettings.workers` tasks, one job each at
a time, in the `renderers` group of both streams.

A worker takes, in order: its own unacknowledged jobs (a process restarted under the same
consumer names resumes at once), a job any worker left pending longer than
`reclaim_idle_ms` (crashed, killed or stopped mid-job), a first page, a later page. A job is
acknowledged and deleted once done or skipped; one that raises stays pending, so it is
claimed again, and a job delivered more than `max_claims` times is dropped with a log line
and `RENDER_JOBS{outcome="poisoned"}`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from dataclasses import dataclass
from typing import Any

from api.prerender.job import RenderJob, run_job
from api.prerender.metrics import RENDER_JOBS
from api.prerender.queue import STREAMS, ensure_groups, stream_label
from api.services import Services
from tracker import redis_keys
from tracker.config import RenderSettings
from tracker.errors import DealsignalError
from tracker.stores import redis_errors
from watermark import snap_render_width

__all__ = ["RenderPool"]

log = logging.getLogger("dealsignal.prerender")

_BLOCK_MS = 1000  # an idle worker wakes this often to see the stop flag
_MAX_BACKOFF = 5.0


@dataclass(frozen=True)
class _Delivery:
    stream: str
    entry_id: str
    fields: dict[bytes, bytes] | None  # None: deleted while pending
    deliveries: int


class RenderPool:
    def __init__(
        self, services: Services, consumer: str = "", settings: RenderSettings | None = None
    ) -> None:
        self.services = services
        self.settings = settings or services.settings.render
        # Stable names (host, worker index): a restarted process re-reads its own pending jobs.
        self.consumer = consumer or socket.gethostname()
        self.widths = tuple(dict.fromkeys(snap_render_width(w) for w in self.settings.widths))
        self._groups_ready = False

    async def run_forever(self, stop: asyncio.Event) -> None:
        workers = range(self.settings.workers)
        await asyncio.gather(*(self._work(f"{self.consumer}-{i}", stop) for i in workers))

    async def drain(self, consumer: str = "drain") -> int:
        """Do jobs until none is left to read or to claim; returns how many were handled
        (tests and one-off runs; the service runs `run_forever`)."""
        handled, own = 0, True
        while batch := await self._next(consumer, own=own, block_ms=None):
            own = False
            for delivery in batch:
                await self._handle(delivery)
                handled += 1
        return handled

    async def _work(self, consumer: str, stop: asyncio.Event) -> None:
        own, backoff = True, 0.1
        while not stop.is_set():
            try:
                batch = await self._next(consumer, own=own, block_ms=_BLOCK_MS)
                own, backoff = False, 0.1
                for delivery in batch:
                    await self._handle(delivery)
            except DealsignalError as exc:  # Redis down, or its streams deleted (NOGROUP)
                log.warning("render worker %s waits: %s", consumer, exc.message)
                self._groups_ready = False
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), backoff)
                backoff = min(backoff * 2, _MAX_BACKOFF)

    async def _next(self, consumer: str, *, own: bool, block_ms: int | None) -> list[_Delivery]:
        redis, group = self.services.redis.client, redis_keys.RENDER_GROUP
        with redis_errors("render pool"):
            if not self._groups_ready:
                await ensure_groups(redis)
                self._groups_ready = True
            if own:
                for stream in STREAMS:
                    got: Any = await redis.xreadgroup(group, consumer, {stream: "0"}, count=10)
                    if got and got[0][1]:
                        return await self._counted(stream, got[0][1])
            for stream in STREAMS:
                claimed: Any = await redis.xautoclaim(
                    stream, group, consumer, self.settings.reclaim_idle_ms, "0-0", count=1
                )
                if claimed[1]:
                    return await self._counted(stream, claimed[1])
            for stream in STREAMS:
                got = await redis.xreadgroup(group, consumer, {stream: ">"}, count=1)
                if got:
                    return [_Delivery(stream, _text(e), f, 1) for e, f in got[0][1]]
            if block_ms is None:
                return []
            got = await redis.xreadgroup(
                group, consumer, dict.fromkeys(STREAMS, ">"), count=1, block=block_ms
            )
        return [
            _Delivery(_text(name), _text(e), f, 1)
            for name, entries in got or []
            for e, f in entries
        ]

    async def _counted(self, stream: str, entries: list[Any]) -> list[_Delivery]:
        """Entries read again or claimed, with how often each has been delivered."""
        redis, out = self.services.redis.client, []
        for entry_id, fields in entries:
            text = _text(entry_id)
            pending: Any = await redis.xpending_range(
                stream, redis_keys.RENDER_GROUP, text, text, 1
            )
            deliveries = int(pending[0]["times_delivered"]) if pending else 1
            out.append(_Delivery(stream, text, fields, deliveries))
        return out

    async def _handle(self, delivery: _Delivery) -> None:
        label = stream_label(delivery.stream)
        if delivery.fields is None:
            await self._finish(delivery)  # deleted while pending: nothing left to do
            return
        try:
            job = RenderJob.of(delivery.fields)
        except (KeyError, ValueError):
            log.error("render job %s dropped: malformed %r", delivery.entry_id, delivery.fields)
            RENDER_JOBS.labels(label, "poisoned").inc()
            await self._finish(delivery)
            return
        if delivery.deliveries > self.settings.max_claims:
            log.error(
                "render job dropped after %d claims: link %s version %s page %d",
                delivery.deliveries - 1, job.link_id, job.version_id, job.page,
            )  # fmt: skip
            RENDER_JOBS.labels(label, "poisoned").inc()
            await self._finish(delivery)
            return
        try:
            outcome = await run_job(self.services, job, self.widths)
        except Exception:  # any failure: left pending, claimed again, dropped if it repeats
            log.exception("render job failed: link %s page %d", job.link_id, job.page)
            RENDER_JOBS.labels(label, "failed").inc()
            return
        await self._finish(delivery)
        RENDER_JOBS.labels(label, outcome.value).inc()

    async def _finish(self, delivery: _Delivery) -> None:
        with redis_errors("render pool"):
            async with self.services.redis.client.pipeline(transaction=False) as pipe:
                pipe.xack(delivery.stream, redis_keys.RENDER_GROUP, delivery.entry_id)
                pipe.xdel(delivery.stream, delivery.entry_id)
                await pipe.execute()


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
