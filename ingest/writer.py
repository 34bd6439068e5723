"""The batch writer: Redis stream → ClickHouse `events`, exactly once in query results.

One `run_once()` is one batch:

1. Recover first: this consumer's own pending entries (`XREADGROUP … 0`, e.g. after a
   restart under the same name) and entries idle for `reclaim_idle_ms` in dead consumers'
   lists (`XAUTOCLAIM`). Otherwise read new entries (`XREADGROUP … >`) until `batch_rows`
   events or `batch_seconds` after the first entry.
2. Poison entries — unparseable, or redelivered more than `max_deliveries` times without
   belonging to a manifest — go to the dead-letter stream with the reason, then are acked.
3. Manifest, claims, insert (with backoff while ClickHouse is down; never ack before the
   insert succeeded), finalize — see `ingest.dedupe` for the protocol. Visit ids and
   forwarded flags come with each entry (`ingest.visits.decode_touched`).

`run_forever(stop)` loops `run_once()` until `stop` is set; `dealsignal writer` runs it.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Final

import pyarrow as pa
import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from ingest.dedupe import (
    Manifest,
    claim_rows,
    entry_sort_key,
    finalize_manifest,
    load_manifest,
    manifest_pointers,
    new_manifest,
)
from ingest.metrics import BATCH_ROWS, DEAD_LETTERS, EVENTS_WRITTEN, INSERT_SECONDS, STREAM_LAG
from ingest.model import ROW, PoisonEntry, events_table
from ingest.visits import decode_touched
from tracker import redis_keys
from tracker.config import Settings
from tracker.errors import ClickHouseQueryError, ClickHouseUnavailable, RedisUnavailable
from tracker.stores import ClickHouse, redis_errors
from tracker.types import BotReason

__all__ = ["BatchListener", "BatchResult", "Writer", "WriterStopped"]

log = logging.getLogger("dealsignal.ingest")

# Called with each inserted batch (the events table's columns) — webhooks, score caches.
BatchListener = Callable[[pa.Table], Awaitable[None]]

Entry = tuple[str, dict[bytes, bytes] | None]

_READ_COUNT: Final = 500
_REVOKED: Final = BotReason.LINK_REVOKED.value


class WriterStopped(Exception):
    """Raised out of a retry loop when the stop event is set; entries stay pending."""


class BatchResult:
    __slots__ = ("dead_letters", "entries", "rows_written")

    def __init__(self) -> None:
        self.entries = 0
        self.rows_written = 0
        self.dead_letters = 0

    def __repr__(self) -> str:
        return (
            f"BatchResult(entries={self.entries}, rows_written={self.rows_written}, "
            f"dead_letters={self.dead_letters})"
        )


def _decode_id(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _entries(raw: Any) -> list[Entry]:
    """Normalise redis-py's stream entries to (str id, fields or None if deleted)."""
    return [(_decode_id(entry_id), fields) for entry_id, fields in raw]


class Writer:
    def __init__(
        self,
        settings: Settings,
        redis: aioredis.Redis,
        ch: ClickHouse,
        *,
        consumer: str | None = None,
        max_backoff: float = 30.0,
        listeners: Sequence[BatchListener] = (),
    ) -> None:
        self.settings = settings
        self.listeners = tuple(listeners)
        self.redis = redis
        self.ch = ch
        self.consumer = consumer or socket.gethostname()
        self.max_backoff = max_backoff
        self._ingest = settings.ingest
        self._group_ready = False
        self._stop: asyncio.Event | None = None

    async def run_forever(self, stop: asyncio.Event) -> None:
        self._stop = stop
        backoff = 0.1
        while not stop.is_set():
            try:
                await self.run_once()
                backoff = 0.1
            except WriterStopped:
                return
            except RedisUnavailable:
                await self._sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)

    async def run_once(self) -> BatchResult:
        result = BatchResult()
        with redis_errors("writer"):
            await self._ensure_group()
            entries, recovered = await self._recover(), True
            if not entries:
                entries, recovered = await self._read_new(), False
            if not entries:
                return result
            result.entries = len(entries)
            rows = await self._decode(entries, recovered, result)
            pointers = await manifest_pointers(self.redis, list(rows))
            fresh = {e: r for e, r in rows.items() if e not in pointers}
            for manifest_id in dict.fromkeys(pointers.values()):
                held = [e for e, m in pointers.items() if m == manifest_id]
                manifest = await load_manifest(self.redis, manifest_id)
                if manifest is None or not await self._reload(manifest):
                    fresh.update({e: rows[e] for e in held})  # finished: claims drop them
                    continue
                result.rows_written += await self._write(manifest)
            if fresh:
                manifest = await new_manifest(self.redis, self._ingest.stream, fresh)
                result.rows_written += await self._write(manifest)
            STREAM_LAG.set(await self.redis.xlen(self._ingest.stream))
        return result

    async def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            await self.redis.xgroup_create(
                self._ingest.stream, self._ingest.group, id="0", mkstream=True
            )
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    async def _recover(self) -> list[Entry]:
        stream, group = self._ingest.stream, self._ingest.group
        own: Any = await self.redis.xreadgroup(
            group, self.consumer, {stream: "0"}, count=_READ_COUNT
        )
        entries = _entries(own[0][1] if own else [])
        if entries:
            return entries
        claimed: Any = await self.redis.xautoclaim(
            stream, group, self.consumer, self._ingest.reclaim_idle_ms, "0-0", count=_READ_COUNT
        )
        return _entries(claimed[1])

    async def _read_new(self) -> list[Entry]:
        stream, group = self._ingest.stream, self._ingest.group
        loop = asyncio.get_running_loop()
        entries: list[Entry] = []
        rows = 0
        deadline = loop.time() + self._ingest.batch_seconds
        while rows < self._ingest.batch_rows:
            block_ms = int((deadline - loop.time()) * 1000)
            if block_ms <= 0:
                break
            got: Any = await self.redis.xreadgroup(
                group, self.consumer, {stream: ">"}, count=_READ_COUNT, block=block_ms
            )
            batch = _entries(got[0][1] if got else [])
            if not batch:
                break
            entries.extend(batch)
            rows += sum(f.get(b"e", b"").count(b"],[") + 1 for _, f in batch if f)
        return entries

    async def _decode(
        self, entries: list[Entry], recovered: bool, result: BatchResult
    ) -> dict[str, list[list[Any]]]:
        deliveries: dict[str, int] = {}
        pointers: dict[str, str] = {}
        if recovered:
            ids = sorted((e for e, _ in entries), key=entry_sort_key)
            pending: Any = await self.redis.xpending_range(
                self._ingest.stream, self._ingest.group, ids[0], ids[-1], len(ids) + 100
            )
            deliveries = {_decode_id(p["message_id"]): int(p["times_delivered"]) for p in pending}
            pointers = await manifest_pointers(self.redis, ids)
        rows: dict[str, list[list[Any]]] = {}
        for entry_id, fields in entries:
            if fields is None:  # deleted while pending: already finalized elsewhere
                await self.redis.xack(self._ingest.stream, self._ingest.group, entry_id)
                continue
            try:
                if (
                    recovered
                    and entry_id not in pointers
                    and deliveries.get(entry_id, 0) > self._ingest.max_deliveries
                ):
                    raise PoisonEntry("max_deliveries")
                rows[entry_id] = decode_touched(fields)
            except PoisonEntry as poison:
                await self._dead_letter(entry_id, fields, poison.reason)
                result.dead_letters += 1
        return rows

    async def _dead_letter(self, entry_id: str, fields: dict[bytes, bytes], reason: str) -> None:
        stream, group = self._ingest.stream, self._ingest.group
        letter: dict[bytes, bytes] = {
            b"reason": reason.encode(),
            b"entry_id": entry_id.encode(),
            **{b"f:" + k: v for k, v in fields.items()},
        }
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.xadd(self._ingest.dead_letter_stream, letter)  # type: ignore[arg-type]
            pipe.xack(stream, group, entry_id)
            pipe.xdel(stream, entry_id)
            await pipe.execute()
        DEAD_LETTERS.labels(reason=reason).inc()

    async def _reload(self, manifest: Manifest) -> bool:
        """Re-read every entry of a manifest; False if one is gone (manifest finished)."""
        async with self.redis.pipeline(transaction=False) as pipe:
            for entry_id in manifest.entry_ids:
                pipe.xrange(self._ingest.stream, entry_id, entry_id)
            found = await pipe.execute()
        for entry_id, hits in zip(manifest.entry_ids, found, strict=True):
            if not hits:
                return False
            try:
                manifest.rows[entry_id] = decode_touched(hits[0][1])
            except PoisonEntry:
                return False
        return True

    async def _write(self, manifest: Manifest) -> int:
        rows = await claim_rows(self.redis, manifest)
        if rows:
            await self._flag_revoked(rows)
            table = events_table(rows)
            try:
                await self._insert(table, manifest.token)
            except ClickHouseQueryError as exc:
                await self._dead_letter_manifest(manifest, "insert_refused", exc)
                return 0
            # Before finalize: a crash here replays the batch, so listeners see each
            # batch at least once (their effects must be idempotent, e.g. keyed by event id).
            for listener in self.listeners:
                await listener(table)
        await finalize_manifest(self.redis, self._ingest.stream, self._ingest.group, manifest)
        EVENTS_WRITTEN.inc(len(rows))
        return len(rows)

    async def _dead_letter_manifest(
        self, manifest: Manifest, reason: str, exc: ClickHouseQueryError
    ) -> None:
        """ClickHouse refused the batch itself (a schema or type bug): retrying would block
        the stream forever, so its entries go to the dead-letter stream for an operator —
        kept, not lost — and the stream moves on."""
        log.error(
            "ClickHouse refused a batch; %d entries dead-lettered (%s): %s",
            len(manifest.entry_ids),
            reason,
            exc.message,
        )
        for entry_id in manifest.entry_ids:
            found: Any = await self.redis.xrange(self._ingest.stream, entry_id, entry_id)
            if found:
                await self._dead_letter(entry_id, found[0][1], reason)
        await finalize_manifest(self.redis, self._ingest.stream, self._ingest.group, manifest)

    async def _flag_revoked(self, rows: list[list[Any]]) -> None:
        members = list(
            {redis_keys.revoked_member(row[ROW.tenant_id], row[ROW.link_id]) for row in rows}
        )
        hits = await self.redis.smismember(redis_keys.REVOKED_LINKS, members)  # type: ignore[arg-type]
        revoked = [m for m, hit in zip(members, hits, strict=True) if hit]
        if not revoked:
            return
        times = await self.redis.hmget(redis_keys.REVOKED_AT, revoked)  # type: ignore[arg-type]
        # A revocation from before its time was recorded: all the link's events are late.
        since = {m: int(t) if t is not None else 0 for m, t in zip(revoked, times, strict=True)}
        for row in rows:
            at = since.get(redis_keys.revoked_member(row[ROW.tenant_id], row[ROW.link_id]))
            if at is None or row[ROW.received_at] < at:
                continue  # accepted before the revocation: counted as it was
            row[ROW.link_revoked] = 1
            if not row[ROW.is_bot]:
                row[ROW.is_bot], row[ROW.bot_reason] = 1, _REVOKED

    async def _insert(self, table: pa.Table, token: str) -> None:
        """Insert, retrying with capped exponential backoff while ClickHouse is down."""
        backoff = 0.05
        while True:
            started = time.perf_counter()
            try:
                await asyncio.to_thread(self.ch.insert, "events", table, dedupe_token=token)
            except ClickHouseUnavailable:
                if self._stop is not None and self._stop.is_set():
                    raise WriterStopped from None
                await self._sleep(backoff)
                backoff = min(backoff * 2, self.max_backoff)
                continue
            INSERT_SECONDS.observe(time.perf_counter() - started)
            BATCH_ROWS.observe(table.num_rows)
            return

    async def _sleep(self, seconds: float) -> None:
        if self._stop is None:
            await asyncio.sleep(seconds)
            return
        try:
            await asyncio.wait_for(self._stop.wait(), seconds)
        except TimeoutError:
            return
        raise WriterStopped
