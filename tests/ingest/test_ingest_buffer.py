"""`StreamBuffer` on the real Redis: the entries of concurrent requests go to the stream by
one script call per round, in arrival order, each touched entry with its visit answer; a
failed round answers every waiter; a script Redis lost is loaded again."""

from __future__ import annotations

import asyncio

import pytest
import redis.asyncio as aioredis

from ingest import Event, StreamBuffer
from ingest.entry import Entry
from ingest.model import ROW
from ingest.visits import decode_touched, visit_touch
from tracker import redis_keys
from tracker.config import Settings
from tracker.errors import RedisUnavailable

NOW_MS = 1_790_000_000_000


def entry(viewer: str, page: int) -> Entry:
    event = Event("evt_x", "ten_A", "page_dwell", "doc_1", "ver_1", "lnk_1", "", "", viewer)
    event.page = page
    return Entry.of([event])


async def append(buffer: StreamBuffer, settings: Settings, made: Entry, at_ms: int) -> str:
    """One request's entry, with its visit touch (None when it has no viewer)."""
    touch = visit_touch(made, at_ms, settings.ingest.visit_gap_seconds)
    return await buffer.add(made, touch)


async def script_calls(redis_client: aioredis.Redis) -> int:
    stats = await redis_client.info("commandstats")
    return sum(
        int(stats.get(f"cmdstat_{name}", {}).get("calls", 0)) for name in ("evalsha", "eval")
    )


# 0 (the default): a round is what arrives within one iteration of the event loop — here
# every task `gather` starts.
@pytest.mark.parametrize("max_delay", [0.0, 0.05])
async def test_a_round_is_one_call_in_arrival_order(
    settings: Settings, redis_client: aioredis.Redis, max_delay: float
) -> None:
    stream = settings.ingest.stream
    buffer = StreamBuffer(redis_client, stream, max_delay=max_delay)
    entries = [entry(f"vwr_{i % 3}" if i % 4 else "", page=i) for i in range(24)]
    await buffer.add(entries[0], None)  # loads the script: not part of the round
    before = await script_calls(redis_client)
    ids = await asyncio.gather(
        *(append(buffer, settings, e, NOW_MS + i) for i, e in enumerate(entries))
    )
    assert await script_calls(redis_client) - before == 1
    stored = await redis_client.xrange(stream, ids[0], ids[-1])
    assert [entry_id.decode() for entry_id, _ in stored] == ids  # one entry each, in order
    for i, (_, fields) in enumerate(stored):
        (row,) = decode_touched(fields)
        assert row[ROW.page] == i  # the request's own entry
        assert (b"a" in fields) == (i % 4 != 0)  # no viewer: a plain append, no answer
    # Decided one after the other: a viewer's later entries in the round continue the visit
    # its first one opened (each viewer one visit, three viewers three).
    visits: dict[str, set[str]] = {}
    for _, fields in stored:
        for row in decode_touched(fields):
            visits.setdefault(row[ROW.viewer_id], set()).add(row[ROW.visit_id])
    assert visits.pop("") == {""}
    assert all(len(ids) == 1 for ids in visits.values())
    assert len(set().union(*visits.values())) == 3
    await buffer.close()


async def test_a_failed_round_answers_every_waiter_and_the_next_round_works(
    settings: Settings, redis_client: aioredis.Redis
) -> None:
    stream = settings.ingest.stream
    buffer = StreamBuffer(redis_client, stream, max_delay=0.05)
    await redis_client.set(redis_keys.viewer_state("ten_A", "lnk_1", "vwr_bad"), "not a hash")
    round_ = [entry("vwr_ok", 1), entry("vwr_bad", 2), entry("vwr_ok", 3)]
    answers = await asyncio.gather(
        *(append(buffer, settings, e, NOW_MS) for e in round_), return_exceptions=True
    )
    assert all(isinstance(answer, RedisUnavailable) for answer in answers)
    entry_id = await append(buffer, settings, entry("vwr_ok", 4), NOW_MS + 1)
    assert (await redis_client.xrange(stream, entry_id, entry_id))[0][0].decode() == entry_id
    await buffer.close()


async def test_a_script_redis_lost_is_loaded_again(
    settings: Settings, redis_client: aioredis.Redis
) -> None:
    stream = settings.ingest.stream
    buffer = StreamBuffer(redis_client, stream, max_delay=0.001)
    await append(buffer, settings, entry("vwr_1", 1), NOW_MS)
    await redis_client.script_flush()  # as after a Redis restart without persistence
    entry_id = await append(buffer, settings, entry("vwr_1", 2), NOW_MS + 1000)
    ((_, fields),) = await redis_client.xrange(stream, entry_id, entry_id)
    assert b"a" in fields
    await buffer.close()


@pytest.mark.parametrize("max_entries", [1, 5])
async def test_a_full_round_goes_at_once(
    settings: Settings, redis_client: aioredis.Redis, max_entries: int
) -> None:
    # A delay no test would wait for: only the size bound can send these rounds.
    buffer = StreamBuffer(
        redis_client, settings.ingest.stream, max_entries=max_entries, max_delay=3600
    )
    adds = [buffer.add(entry("", page), None) for page in range(max_entries)]
    ids = await asyncio.wait_for(asyncio.gather(*adds), timeout=10)
    assert len(set(ids)) == max_entries
    await buffer.close()


async def test_a_redis_that_never_answers_times_the_round_out(settings: Settings) -> None:
    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # reads every command, answers none

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    silent = aioredis.Redis(host="127.0.0.1", port=port)
    buffer = StreamBuffer(silent, settings.ingest.stream, timeout=0.2)
    with pytest.raises(RedisUnavailable, match="did not answer"):
        await asyncio.wait_for(buffer.add(entry("", 1), None), timeout=10)
    await buffer.close()
    await silent.aclose()
    server.close()
