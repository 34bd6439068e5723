"""The API-side stream producer: one stream entry per accepted request, `XADD`s coalesced
across concurrent requests into one pipeline. A request that can open a visit appends its
entry through `ingest.visits.XADD_TOUCHED` instead, which decides visit and forward in the
same atomic call (still one command per request).

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

from typing import Protocol

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

from ingest.coalesce import PipelineBatcher
from ingest.visits import XADD_TOUCHED, VisitTouch

__all__ = ["EventStream", "StreamBuffer"]


class EventStream(Protocol):
    """Where accepted entries go (the Redis stream in production and tests)."""

    async def add(self, fields: dict[bytes, bytes], touch: VisitTouch | None = None) -> str: ...


class StreamBuffer:
    """`XADD`s of concurrent requests coalesced into pipelines (see `PipelineBatcher`)."""

    def __init__(
        self,
        redis: aioredis.Redis,
        stream: str,
        *,
        max_entries: int = 500,
        max_delay: float = 0.002,
        timeout: float = 2.0,
    ) -> None:
        self._stream = stream
        self._batcher = PipelineBatcher(
            redis, max_commands=max_entries, max_delay=max_delay, timeout=timeout
        )
        self._touched = redis.register_script(XADD_TOUCHED)

    async def add(self, fields: dict[bytes, bytes], touch: VisitTouch | None = None) -> str:
        """Queue one entry (with its visit decision when `touch` is given); return its
        stream id once Redis has it."""

        def queue(pipe: Pipeline) -> object:
            if touch is None:
                return pipe.xadd(self._stream, fields)  # type: ignore[arg-type]
            pipe.scripts.add(self._touched)  # type: ignore[arg-type]  # loaded if Redis lacks it
            keys = (*touch.keys, self._stream)
            pairs = [part for field in fields.items() for part in field]
            return pipe.evalsha(self._touched.sha, len(keys), *keys, *touch.args, *pairs)

        entry_id = await self._batcher.run(queue)
        return entry_id.decode() if isinstance(entry_id, bytes) else str(entry_id)

    async def close(self) -> None:
        """Flush what is queued and wait for in-flight pipelines (on shutdown)."""
        await self._batcher.close()
