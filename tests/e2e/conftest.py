"""End-to-end fixtures: the real app on uvicorn (127.0.0.1) over the test's chDB database and
the session's Redis, with the writer running in-process (embedded mode), and short timings so
a browser session of a few seconds produces several heartbeats."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis
from playwright.sync_api import Playwright, sync_playwright

from api.app import create_app
from tests.api.conftest import make_key
from tests.e2e.support import ARTIFACTS, CHROMIUM, LiveApp, ThreadedServer
from tracker.config import Settings
from tracker.stores.clickhouse import ClickHouse
from tracker.types import Scope


@pytest.fixture
def chromium() -> str:
    """The Debian `chromium` binary; its absence fails the test (no browser downloads)."""
    if not CHROMIUM.is_file():
        pytest.fail(
            f"{CHROMIUM} not found: install the Debian package (`apt-get install -y chromium`, "
            "or `make system-deps`); the e2e tests never download a browser"
        )
    ARTIFACTS.mkdir(exist_ok=True)
    return str(CHROMIUM)


@pytest.fixture
def live_app(settings: Settings, clickhouse: ClickHouse, redis_url: str) -> Iterator[LiveApp]:
    settings.ingest.heartbeat_seconds = 1
    settings.ingest.batch_seconds = 0.2
    client = redis.Redis.from_url(redis_url)
    client.flushdb()  # no entries left over by earlier tests for this writer to consume
    client.close()
    server = ThreadedServer(create_app(settings, run_background=True))
    settings.public_base_url = server.url
    server.start()
    _, key = make_key(clickhouse, "acme", Scope.REPS)
    app = LiveApp(server.url, key, clickhouse, redis_url, settings.ingest.stream)
    try:
        yield app
    finally:
        app.http.close()
        server.stop()


@pytest.fixture
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw
