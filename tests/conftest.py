"""Shared fixtures: real stores only. One chDB engine per test process (chDB allows one data
path per process), a fresh database per test; a real redis-server started for the test
session (its own socket, so parallel test runs on one machine never flush each other's
data), flushed per test. Missing components make tests fail, never skip."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import redis
import redis.asyncio as aioredis

from tests.harness.clickhouse_http import ClickHouseHttpHarness
from tests.harness.s3_server import S3Harness, s3_harness
from tracker.config import Settings
from tracker.stores.clickhouse import ClickHouse, RenderContext, apply_migrations
from tracker.stores.clickhouse.chdb_backend import ChdbClickHouse
from tracker.stores.clickhouse.server_backend import ServerClickHouse
from tracker.stores.redis_server import PrivateRedisServer


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """DEALSIGNAL_TEST_REDIS_URL if set, else a private redis-server for this session."""
    configured = os.environ.get("DEALSIGNAL_TEST_REDIS_URL")
    if configured:
        yield configured
        return
    server = PrivateRedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server.url
    server.stop()


@pytest.fixture(scope="session")
def chdb_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("chdb")


@pytest.fixture(scope="session")
def database() -> str:
    """One database for the session, migrated once; every test starts from empty tables
    (migrating a fresh database per test cost ~5 s of DDL each)."""
    return f"t_{uuid.uuid4().hex[:12]}"


def empty_tables(ch: ClickHouse) -> None:
    rows = ch.query(
        "SELECT name FROM system.tables WHERE database = {db:String} "
        "AND engine NOT LIKE '%View' AND name != 'schema_migrations'",
        {"db": ch.database},
    )
    for row in rows:
        ch.command(f"TRUNCATE TABLE {ch.database}.`{row['name']}`")


@pytest.fixture(scope="session")
def session_clickhouse(chdb_path: Path, database: str) -> Iterator[ClickHouse]:
    """Keeps the process's chDB engine open for the whole session and the schema migrated."""
    ch = ChdbClickHouse(chdb_path, database)
    apply_migrations(ch, RenderContext(database))
    yield ch
    ch.command(f"DROP DATABASE IF EXISTS {database}")
    ch.close()


@pytest.fixture
def settings(tmp_path: Path, database: str, chdb_path: Path, redis_url: str) -> Settings:
    # Nothing a previous test left in Redis (stream entries, caches) may leak into this one.
    flusher = redis.Redis.from_url(redis_url)
    flusher.flushdb()
    flusher.close()
    return Settings(
        data_dir=tmp_path / "data",
        secret_keys=["test-secret-key"],
        clickhouse_database=database,
        redis_url=redis_url,
        public_base_url="http://testserver",
        clickhouse_path=chdb_path,
    )


@pytest.fixture
def clickhouse(session_clickhouse: ClickHouse, settings: Settings) -> ClickHouse:
    empty_tables(session_clickhouse)
    return session_clickhouse


@pytest.fixture
async def redis_client(redis_url: str) -> AsyncIterator[aioredis.Redis]:
    client = aioredis.Redis.from_url(redis_url)
    await client.flushdb()
    yield client
    await client.flushdb()
    await client.aclose()


@pytest.fixture
def clickhouse_harness(clickhouse: ClickHouse) -> Iterator[ClickHouseHttpHarness]:
    """ClickHouse's HTTP interface over this process's chDB engine (a labelled test harness:
    see tests/harness/clickhouse_http.py for why)."""
    harness = ClickHouseHttpHarness().start()
    yield harness
    harness.stop()


@pytest.fixture(scope="session")
def server_store(session_clickhouse: ClickHouse) -> Iterator[ClickHouse]:
    """clickhouse-connect over HTTP (through the harness) on its own migrated database."""
    harness = ClickHouseHttpHarness().start()
    database = f"{session_clickhouse.database}_srv"
    server = ServerClickHouse(harness.url, database, compress=True)
    apply_migrations(server, RenderContext(database))
    yield server
    server.command(f"DROP DATABASE IF EXISTS {database}")
    server.close()
    harness.stop()


@pytest.fixture(params=["chdb", "server"])
def store(request: pytest.FixtureRequest, clickhouse: ClickHouse) -> ClickHouse:
    """The same store tests on both backends: embedded chDB, and clickhouse-connect over
    HTTP through the harness."""
    if request.param == "chdb":
        return clickhouse
    server: ClickHouse = request.getfixturevalue("server_store")
    empty_tables(server)
    return server


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Harness]:
    """A local S3 API server (tests/harness/s3_server.py) for the whole session."""
    with s3_harness() as harness:
        yield harness
