"""One driver-error map per store: a store that is down is `*Unavailable` (503, retry), a
store refusing what we asked is a `StoreError` (500, logged, never retried), and neither
sends the engine's text to a client. Real engines only: chDB, clickhouse-connect through
the harness, a real Redis."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis

from tests.harness.clickhouse_http import ClickHouseHttpHarness
from tracker.errors import (
    ClickHouseQueryError,
    ClickHouseUnavailable,
    RedisCommandError,
    RedisUnavailable,
)
from tracker.stores import ClickHouse, redis_errors
from tracker.stores.clickhouse.server_backend import ServerClickHouse

AWKWARD = ["a\tb", "back\\slash", "two\nlines", "cr\rhere", "nul\0byte", "引号'\"", "\\t"]


def test_a_refused_query_is_a_query_error_on_both_backends(store: ClickHouse) -> None:
    with pytest.raises(ClickHouseQueryError) as refused:
        store.query("SELEC 1")
    assert refused.value.details["engine_code"] == 62
    assert "Syntax error" in refused.value.message  # for the log…
    assert refused.value.to_dict() == {  # …never for the client
        "code": "clickhouse_query_error",
        "message": "internal error; it has been logged",
    }
    with pytest.raises(ClickHouseQueryError):
        store.query(f"SELECT nope FROM {store.database}.events")


def test_string_parameters_round_trip_whatever_they_hold(store: ClickHouse) -> None:
    for value in AWKWARD:
        rows = store.query("SELECT {v:String} AS v", {"v": value})
        assert rows == [{"v": value}], value


def test_an_unreachable_server_is_unavailable(
    clickhouse: ClickHouse, clickhouse_harness: ClickHouseHttpHarness
) -> None:
    server = ServerClickHouse(clickhouse_harness.url, clickhouse.database, compress=False)
    clickhouse_harness.fail_next(10)  # clickhouse-connect retries a 503 itself
    with pytest.raises(ClickHouseUnavailable) as down:
        server.query("SELECT 1")
    assert down.value.status == 503 and "retry" in down.value.to_dict()["message"]
    clickhouse_harness.fail_next(0)
    assert server.query("SELECT 1 AS one") == [{"one": 1}]
    clickhouse_harness.stop()
    with pytest.raises(ClickHouseUnavailable):
        server.query("SELECT 1")
    server.close()


async def test_redis_refusing_a_command_is_a_command_error(redis_client: aioredis.Redis) -> None:
    await redis_client.set("ds:test:string", "x")
    with pytest.raises(RedisCommandError) as refused, redis_errors("hash read"):
        await redis_client.hget("ds:test:string", "field")
    assert refused.value.status == 500 and "WRONGTYPE" in refused.value.message


async def test_redis_that_is_gone_is_unavailable() -> None:
    gone = aioredis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5)
    with pytest.raises(RedisUnavailable) as down, redis_errors("ping"):
        await gone.ping()
    assert down.value.status == 503
    await gone.aclose()
