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
import redis.asyncio as aioredis

from tests.harness.clickhouse_http import ClickHouseHttpHarness
from tracker.clickhouse import ClickHouse, apply_migrations, render_context
from tracker.clickhouse.chdb_backend import ChdbClickHouse
from tracker.clickhouse.server_backend import ServerClickHouse
from tracker.config import Settings
from tracker.redis_server import PrivateRedisServer


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


@pytest.fixture
def database() -> str:
    return f"t_{uuid.uuid4().hex[:12]}"


@pytest.fixture
def settings(tmp_path: Path, database: str, chdb_path: Path, redis_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        secret_keys=["test-secret-key"],
        clickhouse_database=database,
        redis_url=redis_url,
        public_base_url="http://testserver",
        clickhouse_path=chdb_path,
    )


@pytest.fixture
def clickhouse(settings: Settings, chdb_path: Path) -> Iterator[ClickHouse]:
    ch = ChdbClickHouse(chdb_path, settings.clickhouse_database)
    apply_migrations(ch, render_context(settings))
    yield ch
    ch.command(f"DROP DATABASE IF EXISTS {settings.clickhouse_database}")
    ch.close()


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


@pytest.fixture(params=["chdb", "server"])
def store(
    request: pytest.FixtureRequest, clickhouse: ClickHouse, settings: Settings
) -> Iterator[ClickHouse]:
    """The same store tests on both backends: embedded chDB, and clickhouse-connect over
    HTTP (through the harness) on its own database."""
    if request.param == "chdb":
        yield clickhouse
        return
    harness = ClickHouseHttpHarness().start()
    database = f"{settings.clickhouse_database}_srv"
    server = ServerClickHouse(harness.url, database, compress=True)
    apply_migrations(
        server, render_context(settings.model_copy(update={"clickhouse_database": database}))
    )
    yield server
    server.command(f"DROP DATABASE IF EXISTS {database}")
    server.close()
    harness.stop()
