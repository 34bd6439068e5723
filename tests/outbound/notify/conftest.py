"""Notification fixtures: a real local HTTP receiver answering like each robot, a tenant with
a rep (张伟) whose manager is 李经理, a deal with 王总 as the buyer, and fast settings."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import orjson
import pytest
import redis.asyncio as aioredis

from outbound import notification_channels
from outbound.notify import (
    ChannelKind,
    Notifier,
    NotifySettings,
    RateLimit,
)
from outbound.webhooks import DeliveryQueue, WebhookDispatcher
from tracker.config import Settings
from tracker.crm.opportunities import Opportunity, upsert_opportunities
from tracker.stores.clickhouse import ClickHouse
from tracker.tenants import create_tenant
from tracker.users import Role, create_user

REP = "zhang@acme.cn"
MANAGER = "li@acme.cn"
OPP = "opp_1"


@dataclass(frozen=True)
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes
    at: float

    def json(self) -> dict[str, Any]:
        data: dict[str, Any] = orjson.loads(self.body)
        return data


class RobotReceiver:
    """Answers every POST with 200 and `answer` (a robot's JSON, or Slack's `ok`)."""

    def __init__(self, answer: bytes = b'{"errcode":0,"errmsg":"ok"}') -> None:
        self.hits: list[Hit] = []
        self.answer = answer
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                import time

                with receiver.lock:
                    receiver.hits.append(
                        Hit(
                            self.path,
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                            time.monotonic(),
                        )
                    )
                self.send_response(200)
                self.send_header("Content-Length", str(len(receiver.answer)))
                self.end_headers()
                self.wfile.write(receiver.answer)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def robot() -> Iterator[RobotReceiver]:
    r = RobotReceiver()
    yield r
    r.stop()


@pytest.fixture
def nsettings(settings: Settings) -> Settings:
    hooks = settings.webhooks
    hooks.allow_private = ["127.0.0.1"]
    hooks.first_retry_seconds = 0.01
    hooks.max_retry_seconds = 0.05
    hooks.timeout_seconds = 2.0
    hooks.poll_seconds = 0.01
    return settings


@pytest.fixture
def ns() -> NotifySettings:
    return NotifySettings(
        view_delay_seconds=0.3,
        cache_seconds=0.0,
        rate_limits={k.value: [] for k in ChannelKind},
    )


@pytest.fixture
def tenant(clickhouse: ClickHouse) -> str:
    tenant_id = create_tenant(clickhouse, "acme", default_locale="zh_CN").tenant_id
    create_user(clickhouse, tenant_id, MANAGER, "李经理", Role.MANAGER, "password-123456")
    create_user(clickhouse, tenant_id, REP, "张伟", Role.REP, "password-123456", MANAGER)
    upsert_opportunities(
        clickhouse,
        tenant_id,
        [
            Opportunity(
                opportunity_id=OPP,
                account="华为技术",
                amount=Decimal("1200000"),
                currency="CNY",
                stage="proposal",
                probability=40,
                forecast_category="pipeline",
                owner=REP,
                updated_at=datetime(2024, 6, 1, tzinfo=UTC),
            )
        ],
    )
    return tenant_id


@dataclass
class Rig:
    notifier: Notifier
    dispatcher: WebhookDispatcher
    redis: aioredis.Redis

    async def run(self, *, seconds: float = 8.0) -> None:
        """Pump the outbox and dispatch until every channel queue is empty."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        while loop.time() < deadline:
            await self.notifier.pump_once()
            await self.dispatcher.run_once()
            if await self.pending() == 0:
                return
            await asyncio.sleep(0.02)
        raise AssertionError("notification queues did not drain")

    async def pending(self) -> int:
        queues: list[DeliveryQueue] = [self.notifier.outbox, *self.notifier.queues.values()]
        return sum([await q.pending() for q in queues])


@pytest.fixture
async def rig(
    nsettings: Settings, ns: NotifySettings, redis_client: aioredis.Redis, clickhouse: ClickHouse
) -> Rig:
    notifier = Notifier(nsettings, redis_client, clickhouse, notify=ns)
    dispatcher = WebhookDispatcher(
        nsettings,
        redis_client,
        clickhouse,
        channels=notification_channels(nsettings, redis_client, clickhouse, notify=ns),
    )
    return Rig(notifier, dispatcher, redis_client)


def slow_slack(ns: NotifySettings, seconds: float) -> None:
    ns.rate_limits["slack"] = [RateLimit(count=1, seconds=seconds)]
