"""The API-side stream producer: one stream entry per accepted request, the entries of
concurrent requests appended by one Redis call per round (`ingest.visits.APPEND_TOUCHED`),
which also decides, for each request that can open a visit, its visit and forward — in
arrival order, one entry after the other.

`add()` queues the entry and hands back a future for the request to await; a round is what
arrives within one iteration of the event loop (or `max_delay` after its first entry), and a
full round (`max_entries`, `ROUND_ENTRIES` by default) goes at once
(`ingest.coalesce.Coalescer`). The round travels as one msgpack argument (encoded in C) plus
the touched entries' keys, on a pipelined connection of the buffer's own
(`tracker.stores.redis_pipe`), so a request costs a few arguments to encode, not one command
each; every waiting request resolves with its entry id — or with `RedisUnavailable` if the
call failed or timed out.

Durability decision: a request is answered 2xx only after Redis acknowledged its entry. When
Redis is unavailable the API answers 503 (`RedisUnavailable.status`) and the client keeps the
events and retries (the viewer JS does; event ids make the retry harmless). There is no
in-process fallback buffer: an event acknowledged to the client must never be losable by a
process crash.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Sequence
from typing import Any, Final, Protocol

import msgspec
import redis.asyncio as aioredis

from ingest.coalesce import Coalescer
from ingest.entry import Entry
from ingest.visits import APPEND_TOUCHED, VisitTouch
from tracker.stores import RedisPipe, redis_errors

__all__ = ["ROUND_ENTRIES", "EventStream", "StreamBuffer"]

# One entry of a round: its fields as a flat name/value list (UTF-8 text) and its touch
# (None: a plain append, nothing in it can open a visit).
_Pending = tuple[list[str], VisitTouch | None]
_encode = msgspec.msgpack.Encoder().encode


#: The most entries one round carries. Redis decides a round's entries one after the other
#: (~11 µs each in the script), and every request of the round waits for the last: rounds of
#: at most 32 let Redis start on the first ones while the API reads the rest. API-only beacon
#: load, 64 connections, turn about (2026-12-04): 17.6–18.7k req/s against 16.7–17.6k with
#: 500, the API's CPU a beacon the same (~50 µs), busy 91–94 % of the time instead of 83–89 %;
#: rounds of 8 or 12 cost more CPU a beacon (53–56 µs) for less.
ROUND_ENTRIES: Final = 32


class EventStream(Protocol):
    """Where accepted entries go (the Redis stream in production and tests)."""

    def add(self, entry: Entry, touch: VisitTouch | None = None) -> Awaitable[str]: ...


class StreamBuffer:
    """Entries of concurrent requests appended by one script call per round."""

    def __init__(
        self,
        redis: aioredis.Redis,
        stream: str,
        *,
        max_entries: int = ROUND_ENTRIES,
        max_delay: float = 0.0,
        timeout: float = 2.0,
    ) -> None:
        self._stream = stream
        self._append = redis.register_script(APPEND_TOUCHED)  # loaded again if Redis lost it
        # Rounds go over a pipelined connection of their own where the client allows one
        # (`tracker.stores.redis_pipe`); a TLS or Sentinel client sends them itself.
        self._pipe = RedisPipe.for_client(redis)
        self._rounds: Coalescer[_Pending] = Coalescer(
            self._send, max_items=max_entries, max_delay=max_delay, timeout=timeout
        )

    def add(self, entry: Entry, touch: VisitTouch | None = None) -> asyncio.Future[str]:
        """Queue one request's entry (with its visit decision when `touch` is given); the
        future gets its stream id once Redis has it."""
        # As text: Redis's msgpack reader refuses msgpack's bin type (entries are JSON).
        return self._rounds.submit((entry.text_fields(), touch))

    async def _send(self, entries: list[_Pending]) -> Sequence[Any]:
        keys: list[str] = [self._stream]
        round_: list[list[Any]] = []
        for fields, touch in entries:
            if touch is None:
                round_.append([fields])
            else:
                keys += touch.keys
                round_.append([fields, touch.args])
        args = [_encode(round_)]
        with redis_errors("append"):
            if self._pipe is not None:
                ids: Sequence[Any] = await self._pipe.run_script(self._append, keys, args)
            else:
                ids = await self._append(keys=keys, args=args)
        return [i.decode() if isinstance(i, bytes) else str(i) for i in ids]

    async def close(self) -> None:
        """Append what is queued and wait for rounds in flight (on shutdown)."""
        await self._rounds.close()
        if self._pipe is not None:
            await self._pipe.close()
