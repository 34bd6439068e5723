"""The API-side stream producer: one stream entry per accepted request, `XADD`s coalesced
across concurrent requests into one pipeline.

`add()` queues the entry and waits; the first entry of a round arms a short timer
(`max_delay`), and a full round (`max_entries`) flushes at once. One pipeline carries the
round, and every waiting request's future resolves with its entry id — or with
`RedisUnavailable` if the pipeline failed or timed out.

Durability decision: a request is answered 2xx only after Redis acknowledged its entry. When
Redis is unavailable the API answers 503 (`RedisUnavailable.status`) and the client keeps the
events and retries (the viewer JS does; event ids make the retry harmless). There is no
in-process fallback buffer: an event acknowledged to the client must never be losable by a
process crash.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

import redis.asyncio as aioredis

from ingest.keys import redis_errors
from tracker.errors import RedisUnavailable

__all__ = ["EventStream", "StreamBuffer"]


class EventStream(Protocol):
    """Where accepted entries go (the Redis stream in production and tests)."""

    async def add(self, fields: dict[bytes, bytes]) -> str: ...


class StreamBuffer:
    def __init__(
        self,
        redis: aioredis.Redis,
        stream: str,
        *,
        max_entries: int = 500,
        max_delay: float = 0.002,
        timeout: float = 2.0,
    ) -> None:
        self._redis = redis
        self._stream = stream
        self._max_entries = max_entries
        self._max_delay = max_delay
        self._timeout = timeout
        self._pending: list[tuple[dict[bytes, bytes], asyncio.Future[str]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._inflight: set[asyncio.Task[None]] = set()

    async def add(self, fields: dict[bytes, bytes]) -> str:
        """Queue one entry; return its stream id once Redis has it."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[str] = loop.create_future()
        self._pending.append((fields, future))
        if len(self._pending) >= self._max_entries:
            self._flush_now()
        elif self._timer is None:
            self._timer = loop.call_later(self._max_delay, self._flush_now)
        return await future

    def _flush_now(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if not self._pending:
            return
        batch, self._pending = self._pending, []
        task = asyncio.get_running_loop().create_task(self._send(batch))
        self._inflight.add(task)
        task.add_done_callback(self._inflight.discard)

    async def _send(self, batch: list[tuple[dict[bytes, bytes], asyncio.Future[str]]]) -> None:
        try:
            with redis_errors("XADD"):
                async with self._redis.pipeline(transaction=False) as pipe:
                    for fields, _ in batch:
                        pipe.xadd(self._stream, fields)  # type: ignore[arg-type]
                    ids = await asyncio.wait_for(pipe.execute(), self._timeout)
        except Exception as exc:  # every waiter must get an answer
            error = (
                exc
                if isinstance(exc, RedisUnavailable)
                else RedisUnavailable(f"Redis did not acknowledge the events: {exc!r}")
            )
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for (_, future), entry_id in zip(batch, ids, strict=True):
            if not future.done():
                future.set_result(entry_id.decode() if isinstance(entry_id, bytes) else entry_id)

    async def close(self) -> None:
        """Flush what is queued and wait for in-flight pipelines (on shutdown)."""
        self._flush_now()
        if self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)
