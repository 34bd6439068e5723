"""One pipelined Redis connection for the beacon's rounds: commands packed by hiredis and
written back to back on a raw asyncio transport, replies parsed by hiredis as they arrive and
handed to their callers in order — no connection pool, retry wrapper, stream reader or lock
per call.

Measured on the API-only beacon load (64 connections, one uvicorn worker, 2026-12-04):
redis-py's asyncio client cost the API ~9 µs of CPU a beacon on top of the script's work
(rounds of ~20 entries), this connection ~1; the beacon went 13.3–13.8k → 14.9–15.3k req/s.

It connects with what the client was made from (host and port, or a unix socket; username,
password, database). A TLS, Sentinel or credential-provider client gets no pipe
(`RedisPipe.for_client` returns None) and its caller keeps using the client.

Failure semantics are the client's: a lost connection, or a call cancelled by its caller's
timeout (the connection is then dropped: a late reply could not be told from the next one),
fails every call in flight with `RedisUnavailable`; the next call connects again. An error
reply raises redis-py's `ResponseError` (`NoScriptError` for NOSCRIPT), so callers map errors
as they do for the client (`tracker.stores.redis_errors`)."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence
from typing import Any

import hiredis
import redis.asyncio as aioredis
from redis.asyncio.connection import Connection, UnixDomainSocketConnection
from redis.commands.core import AsyncScript
from redis.exceptions import NoScriptError, ResponseError

from tracker.errors import RedisUnavailable

__all__ = ["RedisPipe"]

Arg = bytes | str | int | memoryview


def _pack(args: Sequence[Arg]) -> bytes:
    """RESP for one command (hiredis, in C). Its stub types the argument as a 1-tuple; it
    takes any number of items."""
    packed: bytes = hiredis.pack_command(tuple(args))  # type: ignore[arg-type]
    return packed


def _error(reply: hiredis.ReplyError) -> ResponseError:
    message = str(reply)
    return NoScriptError(message) if message.startswith("NOSCRIPT") else ResponseError(message)


class _Replies(asyncio.Protocol):
    """The connection's protocol: each reply resolves the oldest waiting call."""

    def __init__(self) -> None:
        self.reader = hiredis.Reader()
        self.waiting: deque[asyncio.Future[Any]] = deque()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.reader.feed(data)
        while (reply := self.reader.gets()) is not False:
            if not self.waiting:  # a reply nobody asked for: the stream is out of step
                self.fail(RedisUnavailable("Redis sent a reply nobody waited for"))
                return
            future = self.waiting.popleft()
            if future.done():
                continue
            if isinstance(reply, hiredis.ReplyError):
                future.set_exception(_error(reply))
            else:
                future.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None
        self._fail_waiting(RedisUnavailable(f"Redis connection lost: {exc or 'closed'}"))

    def send(self, command: bytes) -> asyncio.Future[Any]:
        if self.transport is None:
            raise RedisUnavailable("Redis connection lost")
        future = asyncio.get_running_loop().create_future()
        self.transport.write(command)
        self.waiting.append(future)
        return future

    def fail(self, error: RedisUnavailable) -> None:
        """Drop the connection and answer every waiting call with `error`."""
        if self.transport is not None:
            self.transport.abort()
            self.transport = None
        self._fail_waiting(error)

    def _fail_waiting(self, error: RedisUnavailable) -> None:
        while self.waiting:
            future = self.waiting.popleft()
            if not future.done():
                future.set_exception(error)


class RedisPipe:
    """Pipelined calls on one connection of its own (made on first use, again after a loss)."""

    def __init__(self, target: dict[str, Any]) -> None:
        self._target = target
        self._replies: _Replies | None = None
        self._connecting = asyncio.Lock()

    @classmethod
    def for_client(cls, client: aioredis.Redis) -> RedisPipe | None:
        pool = client.connection_pool
        kwargs = pool.connection_kwargs
        if pool.connection_class not in (Connection, UnixDomainSocketConnection):
            return None  # TLS, Sentinel: the client's own connections
        if kwargs.get("credential_provider") is not None or kwargs.get("protocol") in (3, "3"):
            return None
        target = {
            key: kwargs.get(key) for key in ("host", "port", "path", "username", "password", "db")
        }
        return cls(target)

    async def call(self, *args: Arg) -> Any:
        """One command's reply; raises `RedisUnavailable` or `ResponseError`."""
        replies = self._replies
        if replies is None or replies.transport is None:
            replies = await self._connect()
        future = replies.send(_pack(args))
        try:
            return await future
        except asyncio.CancelledError:
            # The caller gave up (its timeout): a late reply would answer the next call.
            replies.fail(RedisUnavailable("a Redis call was cancelled"))
            raise

    async def run_script(
        self, script: AsyncScript, keys: Sequence[Arg], args: Sequence[Arg]
    ) -> Any:
        """A script registered with the client (`register_script`: its text and SHA-1), by
        EVALSHA, loading it first when Redis does not have it (after a restart or SCRIPT
        FLUSH), as the script object itself does."""
        try:
            return await self.call(b"EVALSHA", script.sha, len(keys), *keys, *args)
        except NoScriptError:
            await self.call(b"SCRIPT", b"LOAD", script.script)
            return await self.call(b"EVALSHA", script.sha, len(keys), *keys, *args)

    async def close(self) -> None:
        if self._replies is not None and self._replies.transport is not None:
            self._replies.transport.close()
        self._replies = None

    async def _connect(self) -> _Replies:
        async with self._connecting:  # concurrent first calls share one connection
            replies = self._replies
            if replies is not None and replies.transport is not None:
                return replies
            replies = await self._open()
            self._replies = replies
            return replies

    async def _open(self) -> _Replies:
        loop, target = asyncio.get_running_loop(), self._target
        try:
            if target["path"]:
                _, replies = await loop.create_unix_connection(_Replies, target["path"])
            else:
                _, replies = await loop.create_connection(_Replies, target["host"], target["port"])
        except OSError as exc:
            raise RedisUnavailable(f"cannot connect to Redis: {exc}") from exc
        try:
            await self._hello(replies)
        except BaseException:
            replies.fail(RedisUnavailable("Redis refused the connection's set-up"))
            raise
        return replies

    async def _hello(self, replies: _Replies) -> None:
        """AUTH and SELECT, as the client's own connections do."""
        target = self._target
        if target["password"] is not None:
            auth: tuple[Arg, ...] = (target["password"],)
            if target["username"]:
                auth = (target["username"], *auth)
            await replies.send(_pack((b"AUTH", *auth)))
        if target["db"]:
            await replies.send(_pack((b"SELECT", target["db"])))
