"""Buffer + writer end-to-end on real Redis and chDB: exactly N rows under retries,
crashes, ClickHouse outages and poison entries."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest
import redis.asyncio as aioredis

from ingest import Ingestor, Writer, document_analytics, mark_link_revoked
from tests.ingest.support import HUMAN, count_events, drain, dwell
from tracker.config import Settings
from tracker.errors import ClickHouseUnavailable, RedisUnavailable
from tracker.scoring_settings import ReadingSettings
from tracker.stores.clickhouse import ClickHouse
from tracker.stores.clickhouse.chdb_backend import ChdbClickHouse

READING = ReadingSettings()


class FlakyClickHouse:
    """Fault injection around the real chDB: the first `failures` inserts raise."""

    def __init__(self, inner: ClickHouse, failures: int) -> None:
        self.inner = inner
        self.database = inner.database
        self.failures = failures
        self.calls = 0

    def insert(self, table: str, rows: pa.Table, *, dedupe_token: str | None = None) -> None:
        self.calls += 1
        if self.calls <= self.failures:
            raise ClickHouseUnavailable("injected outage")
        self.inner.insert(table, rows, dedupe_token=dedupe_token)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class Crash(BaseException):
    """Simulates the process dying: not an error the writer handles."""


class CrashAfterInsert(FlakyClickHouse):
    def insert(self, table: str, rows: pa.Table, *, dedupe_token: str | None = None) -> None:
        self.inner.insert(table, rows, dedupe_token=dedupe_token)
        raise Crash


def engagement_rollup_totals(ch: ClickHouse) -> tuple[int, int]:
    """(page reads, their dwell ms) in the engagement scores' rollup (migration 0040)."""
    (row,) = ch.query(
        "SELECT toUInt64(sum(read_events)) AS n, toUInt64(sum(read_ms)) AS ms "
        f"FROM {ch.database}.engagement_visit_pages"
    )
    return int(row["n"]), int(row["ms"])


async def send_beacons(
    ingestor: Ingestor, make_beacon: Callable[..., bytes], beacons: int, per: int
) -> list[bytes]:
    bodies = [make_beacon([dwell(1 + i % 5, 1000) for i in range(per)]) for _ in range(beacons)]
    await asyncio.gather(
        *(ingestor.accept_beacon(b, content_type="text/plain", request=HUMAN) for b in bodies)
    )
    return bodies


async def test_n_events_exactly_n_rows_and_resent_beacons_are_deduped(
    ingestor: Ingestor,
    writer: Writer,
    clickhouse: ClickHouse,
    make_beacon: Callable[..., bytes],
) -> None:
    bodies = await send_beacons(ingestor, make_beacon, beacons=40, per=25)
    assert await drain(writer) == 1000
    # Client retries: the same beacons again, some in the same batch as new ones.
    await asyncio.gather(
        *(ingestor.accept_beacon(b, content_type="text/plain", request=HUMAN) for b in bodies[:10])
    )
    await send_beacons(ingestor, make_beacon, beacons=2, per=5)
    await asyncio.gather(
        *(ingestor.accept_beacon(b, content_type="text/plain", request=HUMAN) for b in bodies[:3])
    )
    assert await drain(writer) == 10
    assert count_events(clickhouse) == 1010
    n_ids = clickhouse.query(f"SELECT uniqExact(event_id) AS n FROM {clickhouse.database}.events")
    assert n_ids[0]["n"] == 1010
    assert engagement_rollup_totals(clickhouse) == (1010, 1010 * 1000)  # the scores' rollup too


@pytest.mark.parametrize("same_consumer", [True, False])
async def test_writer_killed_between_insert_and_ack_recovers(
    same_consumer: bool,
    fast_settings: Settings,
    ingestor: Ingestor,
    redis_client: aioredis.Redis,
    clickhouse: ClickHouse,
    make_beacon: Callable[..., bytes],
) -> None:
    await send_beacons(ingestor, make_beacon, beacons=10, per=10)
    doomed = Writer(fast_settings, redis_client, CrashAfterInsert(clickhouse, 0), consumer="w1")
    with pytest.raises(Crash):
        await doomed.run_once()
    assert count_events(clickhouse) == 100  # inserted, never acknowledged
    pending: Any = await redis_client.xpending(
        fast_settings.ingest.stream, fast_settings.ingest.group
    )
    assert pending["pending"] == 10
    successor = Writer(
        fast_settings, redis_client, clickhouse, consumer="w1" if same_consumer else "w2"
    )
    await drain(successor)
    assert count_events(clickhouse) == 100
    pending = await redis_client.xpending(fast_settings.ingest.stream, fast_settings.ingest.group)
    assert pending["pending"] == 0
    assert await redis_client.xlen(fast_settings.ingest.stream) == 0
    assert await redis_client.keys("ds:man:*") == []
    assert (
        document_analytics(clickhouse, "ten_A", "doc_1", READING)["dwell_ms"] == 100_000
    )  # rollups too
    assert engagement_rollup_totals(clickhouse) == (100, 100_000)


async def test_clickhouse_outage_is_retried_without_loss_or_duplicates(
    fast_settings: Settings,
    ingestor: Ingestor,
    redis_client: aioredis.Redis,
    clickhouse: ClickHouse,
    make_beacon: Callable[..., bytes],
) -> None:
    await send_beacons(ingestor, make_beacon, beacons=20, per=7)
    flaky = FlakyClickHouse(clickhouse, failures=3)
    writer = Writer(fast_settings, redis_client, flaky, consumer="w1", max_backoff=0.02)
    assert await drain(writer) == 140
    assert flaky.calls == 4
    assert count_events(clickhouse) == 140


async def test_stop_during_outage_leaves_entries_pending(
    fast_settings: Settings,
    ingestor: Ingestor,
    redis_client: aioredis.Redis,
    clickhouse: ClickHouse,
    make_beacon: Callable[..., bytes],
) -> None:
    await send_beacons(ingestor, make_beacon, beacons=3, per=3)
    stop = asyncio.Event()
    down = FlakyClickHouse(clickhouse, failures=10**9)
    writer = Writer(fast_settings, redis_client, down, consumer="w1", max_backoff=0.01)
    task = asyncio.create_task(writer.run_forever(stop))
    while down.calls < 3:
        await asyncio.sleep(0.01)
    stop.set()
    await asyncio.wait_for(task, 2)
    assert count_events(clickhouse) == 0
    await drain(Writer(fast_settings, redis_client, clickhouse, consumer="w1"))
    assert count_events(clickhouse) == 9


async def test_poison_entries_go_to_dead_letters_and_the_rest_is_written(
    fast_settings: Settings,
    ingestor: Ingestor,
    writer: Writer,
    redis_client: aioredis.Redis,
    clickhouse: ClickHouse,
    make_beacon: Callable[..., bytes],
) -> None:
    stream = fast_settings.ingest.stream
    await send_beacons(ingestor, make_beacon, beacons=3, per=4)
    shared = orjson.dumps(["ten_A", "lnk_1", "doc_1", "ver_1", "", "", "vwr_1", 0, "", "", "", ""])
    await redis_client.xadd(stream, {b"v": b"2", b"c": shared, b"e": b"{not json"})
    await redis_client.xadd(stream, {b"v": b"2", b"c": shared, b"e": b'[["too", "short"]]'})
    await redis_client.xadd(stream, {b"v": b"9", b"e": b"[]"})
    await send_beacons(ingestor, make_beacon, beacons=1, per=4)
    assert await drain(writer) == 16
    letters: Any = await redis_client.xrange(fast_settings.ingest.dead_letter_stream)
    assert sorted(fields[b"reason"] for _, fields in letters) == [
        b"bad_row",
        b"unknown_entry_version",
        b"unparseable",
    ]
    assert await redis_client.xlen(stream) == 0


async def test_redelivered_too_often_goes_to_dead_letters(
    fast_settings: Settings,
    ingestor: Ingestor,
    redis_client: aioredis.Redis,
    clickhouse: ClickHouse,
    make_beacon: Callable[..., bytes],
) -> None:
    fast_settings.ingest.max_deliveries = 2
    stream, group = fast_settings.ingest.stream, fast_settings.ingest.group
    await send_beacons(ingestor, make_beacon, beacons=1, per=2)
    await redis_client.xgroup_create(stream, group, id="0", mkstream=True)
    for attempt in range(3):  # consumers that die right after reading
        await redis_client.xreadgroup(group, f"dead{attempt}", {stream: "0" if attempt else ">"})
        if attempt:
            await redis_client.xclaim(
                stream, group, f"dead{attempt}", 0, [await _first_id(redis_client, stream)]
            )
    writer = Writer(fast_settings, redis_client, clickhouse, consumer="w1")
    result = await writer.run_once()
    assert result.dead_letters == 1
    letters: Any = await redis_client.xrange(fast_settings.ingest.dead_letter_stream)
    assert letters[0][1][b"reason"] == b"max_deliveries"


async def test_a_batch_clickhouse_refuses_is_dead_lettered_not_retried_forever(
    fast_settings: Settings,
    ingestor: Ingestor,
    redis_client: aioredis.Redis,
    clickhouse: ClickHouse,
    chdb_path: Path,
    make_beacon: Callable[..., bytes],
) -> None:
    """A real engine refusing the insert (here: an `events` table of another shape) is a
    bug, not an outage: the batch goes to the dead-letter stream and the stream moves on."""
    broken = f"{clickhouse.database}_broken"
    clickhouse.command(f"CREATE DATABASE IF NOT EXISTS {broken}")
    clickhouse.command(f"CREATE TABLE {broken}.events (x UInt8) ENGINE = MergeTree ORDER BY x")
    refusing = ChdbClickHouse(chdb_path, broken)
    try:
        await send_beacons(ingestor, make_beacon, beacons=2, per=3)
        writer = Writer(fast_settings, redis_client, refusing, consumer="w1", max_backoff=0.01)
        result = await asyncio.wait_for(writer.run_once(), 10)
        assert result.rows_written == 0
        letters: Any = await redis_client.xrange(fast_settings.ingest.dead_letter_stream)
        assert [f[b"reason"] for _, f in letters] == [b"insert_refused", b"insert_refused"]
        assert await redis_client.xlen(fast_settings.ingest.stream) == 0
        assert await redis_client.keys("ds:man:*") == []
    finally:
        clickhouse.command(f"DROP DATABASE IF EXISTS {broken}")
        refusing.close()


async def _first_id(redis_client: aioredis.Redis, stream: str) -> bytes:
    entries: Any = await redis_client.xrange(stream, count=1)
    return bytes(entries[0][0])


async def test_revoked_links_are_flagged_not_dropped(
    ingestor: Ingestor,
    writer: Writer,
    redis_client: aioredis.Redis,
    clickhouse: ClickHouse,
    make_beacon: Callable[..., bytes],
) -> None:
    await mark_link_revoked(redis_client, "ten_A", "lnk_1")
    await send_beacons(ingestor, make_beacon, beacons=1, per=3)
    await ingestor.accept_beacon(
        make_beacon([dwell(1, 1000)], link="lnk_2"), content_type=None, request=HUMAN
    )
    await drain(writer)
    rows = clickhouse.query(
        f"SELECT link_id, link_revoked, count() AS n FROM {clickhouse.database}.events "
        "GROUP BY link_id, link_revoked ORDER BY link_id"
    )
    assert [(r["link_id"], r["link_revoked"], r["n"]) for r in rows] == [
        ("lnk_1", 1, 3),
        ("lnk_2", 0, 1),
    ]


async def test_redis_down_means_no_acknowledgement(
    fast_settings: Settings, signer: Any, make_beacon: Callable[..., bytes]
) -> None:
    from ingest import StreamBuffer, ip_key_from_secret

    dead = aioredis.Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.2)
    buffer = StreamBuffer(dead, fast_settings.ingest.stream)
    ingestor = Ingestor(fast_settings, dead, signer, buffer, ip_key=ip_key_from_secret("x"))
    with pytest.raises(RedisUnavailable):
        await ingestor.accept_beacon(make_beacon([dwell(1, 10)]), content_type=None, request=HUMAN)
    await dead.aclose()
