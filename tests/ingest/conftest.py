"""Ingest fixtures on the real stores (Redis db 9, a per-test chDB database)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import pytest
import redis.asyncio as aioredis

from ingest import Ingestor, StreamBuffer, Writer, ip_key_from_secret
from tests.ingest.support import beacon
from tracker.config import Settings
from tracker.stores.clickhouse import ClickHouse
from tracker.tokens import TokenSigner


@pytest.fixture
def fast_settings(settings: Settings) -> Settings:
    settings.ingest.batch_seconds = 0.05
    settings.ingest.reclaim_idle_ms = 0
    # These tests send minutes of reading in milliseconds; the wall-clock bound on a visit's
    # dwell has its own tests (test_ingest_forged_engagement.py), which set it back.
    settings.ingest.dwell_clock_slack_seconds = 86_400
    return settings


@pytest.fixture
def signer(settings: Settings) -> TokenSigner:
    return TokenSigner(list(settings.secret_keys))


@pytest.fixture
def make_beacon(signer: TokenSigner) -> Callable[..., bytes]:
    def build(events: list[dict[str, Any]], **claims: Any) -> bytes:
        return beacon(signer, events, **claims)

    return build


@pytest.fixture
async def ingestor(
    fast_settings: Settings, redis_client: aioredis.Redis, signer: TokenSigner
) -> AsyncIterator[Ingestor]:
    buffer = StreamBuffer(redis_client, fast_settings.ingest.stream)
    yield Ingestor(
        fast_settings, redis_client, signer, buffer, ip_key=ip_key_from_secret("test-secret-key")
    )
    await buffer.close()


@pytest.fixture
def writer(fast_settings: Settings, redis_client: aioredis.Redis, clickhouse: ClickHouse) -> Writer:
    return Writer(fast_settings, redis_client, clickhouse, consumer="w1", max_backoff=0.05)
