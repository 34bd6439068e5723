"""Coalescing Redis commands across concurrent requests: each request queues one command
and awaits its own reply; a round (up to `max_commands`, or `max_delay` after its first
command) goes to Redis as one pipeline. Hundreds of beacons in flight cost a handful of
round trips instead of one connection each."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline

from tracker.errors import RedisUnavailable
from tracker.stores import redis_errors

__all__ = ["PipelineBatcher"]

QueueCommand = Callable[[Pipeline], object]


class PipelineBatcher:
    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        max_commands: int = 500,
        max_delay: float = 0.002,
        timeout: float = 2.0,
    ) -> None:
        self._redis = redis
        self._max_commands = max_commands
        self._max_delay = max_delay
        self._timeout = timeout
        self._pending: list[tuple[QueueCommand, asyncio.Future[Any]]] = []
        self._timer: asyncio.TimerHandle | None = None
        self._inflight: set[asyncio.Task[None]] = set()

    async def run(self, queue_command: QueueCommand) -> Any:
        """Queue one command (a function adding it to a pipeline); return its reply."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Any] = loop.create_future()
        self._pending.append((queue_command, future))
        if len(self._pending) >= self._max_commands:
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

    async def _send(self, batch: list[tuple[QueueCommand, asyncio.Future[Any]]]) -> None:
        try:
            with redis_errors("pipeline"):
                async with self._redis.pipeline(transaction=False) as pipe:
                    for queue_command, _ in batch:
                        queue_command(pipe)
                    replies = await asyncio.wait_for(pipe.execute(), self._timeout)
        except Exception as exc:  # every waiter must get an answer
            error = (
                exc
                if isinstance(exc, RedisUnavailable)
                else RedisUnavailable(f"Redis did not answer: {exc!r}")
            )
            for _, future in batch:
                if not future.done():
                    future.set_exception(error)
            return
        for (_, future), reply in zip(batch, replies, strict=True):
            if not future.done():
                future.set_result(reply)

    async def close(self) -> None:
        """Send what is queued and wait for rounds in flight (on shutdown)."""
        self._flush_now()
        if self._inflight:
            await asyncio.gather(*self._inflight, return_exceptions=True)
