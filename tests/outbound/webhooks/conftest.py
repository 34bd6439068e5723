"""Webhook fixtures: a real local HTTP receiver (loopback, allow-listed) and fast retries."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import redis.asyncio as aioredis

from outbound.webhooks import (
    WEBHOOK_CHANNEL,
    DeliveryQueue,
    Subscription,
    WebhookDispatcher,
    create_subscription,
)
from tracker.config import Settings
from tracker.stores.clickhouse import ClickHouse


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver:
    """Answers POSTs with the scripted statuses in order, then `default`; records each one."""

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.script: list[int] = []
        self.default = 200
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    receiver.requests.append(
                        Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
                    )
                    status = receiver.script.pop(0) if receiver.script else receiver.default
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks/dealsignal"

    def start(self) -> Receiver:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


@pytest.fixture
def hook_settings(settings: Settings) -> Settings:
    hooks = settings.webhooks
    hooks.allow_private = ["127.0.0.1"]
    hooks.first_retry_seconds = 0.01
    hooks.max_retry_seconds = 0.05
    hooks.subscription_cache_seconds = 0.0
    hooks.timeout_seconds = 2.0
    hooks.poll_seconds = 0.01
    hooks.max_attempts = 4
    return settings


SubscribeFn = Callable[..., tuple[Subscription, str]]


@pytest.fixture
def subscribe(hook_settings: Settings, clickhouse: ClickHouse) -> SubscribeFn:
    def make(
        url: str, types: list[str] | None = None, tenant: str = "ten_A"
    ) -> tuple[Subscription, str]:
        return create_subscription(
            clickhouse,
            hook_settings,
            tenant,
            url=url,
            event_types=types or ["document.viewed"],
        )

    return make


@pytest.fixture
def queue(hook_settings: Settings, redis_client: aioredis.Redis) -> DeliveryQueue:
    return DeliveryQueue(redis_client, hook_settings.webhooks.queue, WEBHOOK_CHANNEL)


async def drain(
    dispatchers: list[WebhookDispatcher], queue: DeliveryQueue, *, seconds: float = 10.0
) -> int:
    """Run the dispatchers' rounds until the queue is empty; return attempts made."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    made = 0
    while loop.time() < deadline:
        made += sum(await asyncio.gather(*(d.run_once() for d in dispatchers)))
        if await queue.pending() == 0:
            return made
        await asyncio.sleep(0.01)
    raise AssertionError("webhook queue did not drain")
