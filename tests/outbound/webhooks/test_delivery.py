"""Signed deliveries to a real local HTTP receiver, retries, the delivery log, racing
dispatchers and the delivery-time SSRF re-check."""

from __future__ import annotations

import asyncio

import orjson
import redis.asyncio as aioredis
from prometheus_client import REGISTRY

from outbound.webhooks import (
    DeliveryQueue,
    DeliveryStatus,
    WebhookDispatcher,
    WebhookEmitter,
    delete_subscription,
    subscription_deliveries,
    verify_signature,
)
from tests.outbound.webhooks.conftest import Receiver, SubscribeFn, drain
from tracker.config import Settings
from tracker.stores.clickhouse import ClickHouse

DATA = {"document_title": "年度采购方案", "recipient": {"name": "王总", "email": "wang@例子.cn"}}


def dispatcher(settings: Settings, redis: aioredis.Redis, ch: ClickHouse) -> WebhookDispatcher:
    return WebhookDispatcher(settings, redis, ch)


async def test_signed_utf8_delivery_verifies_on_the_receiver(
    hook_settings: Settings,
    redis_client: aioredis.Redis,
    clickhouse: ClickHouse,
    receiver: Receiver,
    subscribe: SubscribeFn,
    queue: DeliveryQueue,
) -> None:
    sub, secret = subscribe(receiver.url)
    emitter = WebhookEmitter(hook_settings, redis_client, clickhouse)
    event_id = await emitter.emit("ten_A", "document.viewed", DATA, dedupe_key="vis_1")
    assert event_id is not None
    await drain([dispatcher(hook_settings, redis_client, clickhouse)], queue)

    (got,) = receiver.requests
    assert got.path == "/hooks/dealsignal"
    assert got.headers["content-type"] == "application/json; charset=utf-8"
    assert got.headers["dealsignal-event"] == "document.viewed"
    assert got.headers["dealsignal-delivery"].startswith("dlv_")
    assert verify_signature(secret, got.headers["dealsignal-signature"], got.body)
    assert not verify_signature(
        "whsec_wrong-secret-000000", got.headers["dealsignal-signature"], got.body
    )
    assert "王总".encode() in got.body  # raw UTF-8, not \\u escapes
    event = orjson.loads(got.body)
    assert event["id"] == event_id and event["type"] == "document.viewed"
    assert event["tenant_id"] == "ten_A" and event["data"] == DATA
    (logged,) = subscription_deliveries(clickhouse, "ten_A", sub.subscription_id)
    assert logged.status is DeliveryStatus.DELIVERED and logged.status_code == 200


async def test_two_failures_then_success_is_one_delivery_with_three_attempts(
    hook_settings: Settings,
    redis_client: aioredis.Redis,
    clickhouse: ClickHouse,
    receiver: Receiver,
    subscribe: SubscribeFn,
    queue: DeliveryQueue,
) -> None:
    def counted(status: str) -> float:
        labels = {"channel": "webhook", "status": status}
        return REGISTRY.get_sample_value("dealsignal_outbound_deliveries_total", labels) or 0.0

    before = counted("retrying"), counted("delivered")
    sub, secret = subscribe(receiver.url)
    receiver.script = [500, 503]
    await WebhookEmitter(hook_settings, redis_client, clickhouse).emit(
        "ten_A", "document.viewed", DATA
    )
    assert await drain([dispatcher(hook_settings, redis_client, clickhouse)], queue) == 3
    assert (counted("retrying") - before[0], counted("delivered") - before[1]) == (2, 1)

    assert len(receiver.requests) == 3
    assert len({r.headers["dealsignal-delivery"] for r in receiver.requests}) == 1
    assert [r.headers["dealsignal-attempt"] for r in receiver.requests] == ["1", "2", "3"]
    assert all(
        verify_signature(secret, r.headers["dealsignal-signature"], r.body)
        for r in receiver.requests
    )
    log = sorted(
        subscription_deliveries(clickhouse, "ten_A", sub.subscription_id), key=lambda a: a.attempt
    )
    assert [(a.attempt, a.status, a.status_code) for a in log] == [
        (1, DeliveryStatus.RETRYING, 500),
        (2, DeliveryStatus.RETRYING, 503),
        (3, DeliveryStatus.DELIVERED, 200),
    ]
    assert log[0].next_attempt_at is not None


async def test_gone_and_bad_request_are_not_retried_and_exhaustion_is_dead(
    hook_settings: Settings,
    redis_client: aioredis.Redis,
    clickhouse: ClickHouse,
    receiver: Receiver,
    subscribe: SubscribeFn,
    queue: DeliveryQueue,
) -> None:
    emitter = WebhookEmitter(hook_settings, redis_client, clickhouse)
    worker = dispatcher(hook_settings, redis_client, clickhouse)
    sub, _ = subscribe(receiver.url)
    for status in (410, 400):
        receiver.requests.clear()
        receiver.default = status
        await emitter.emit("ten_A", "document.viewed", DATA)
        assert await drain([worker], queue) == 1
        assert len(receiver.requests) == 1
    receiver.default = 500
    await emitter.emit("ten_A", "document.viewed", DATA)
    assert await drain([worker], queue) == hook_settings.webhooks.max_attempts
    statuses = [a.status for a in subscription_deliveries(clickhouse, "ten_A", sub.subscription_id)]
    assert statuses.count(DeliveryStatus.FAILED) == 2
    assert statuses.count(DeliveryStatus.DEAD) == 1
    assert statuses.count(DeliveryStatus.RETRYING) == hook_settings.webhooks.max_attempts - 1


async def test_racing_dispatchers_send_each_attempt_once(
    hook_settings: Settings,
    redis_client: aioredis.Redis,
    clickhouse: ClickHouse,
    receiver: Receiver,
    subscribe: SubscribeFn,
    queue: DeliveryQueue,
) -> None:
    subscribe(receiver.url)
    emitter = WebhookEmitter(hook_settings, redis_client, clickhouse)
    for n in range(40):
        await emitter.emit("ten_A", "document.viewed", {"n": n})
    hook_settings.webhooks.batch_size = 3  # many small claims, so the dispatchers interleave
    hook_settings.webhooks.subscription_cache_seconds = 60.0
    receiver.script = [500] * 10  # some deliveries take a second attempt
    workers = [dispatcher(hook_settings, redis_client, clickhouse) for _ in range(3)]
    assert await drain(workers, queue) == 50
    attempts = [
        (r.headers["dealsignal-delivery"], r.headers["dealsignal-attempt"])
        for r in receiver.requests
    ]
    assert len(attempts) == len(set(attempts)) == 50
    assert len({d for d, _ in attempts}) == 40


async def test_run_forever_delivers_and_stops(
    hook_settings: Settings,
    redis_client: aioredis.Redis,
    clickhouse: ClickHouse,
    receiver: Receiver,
    subscribe: SubscribeFn,
) -> None:
    subscribe(receiver.url)
    stop = asyncio.Event()
    task = asyncio.create_task(
        dispatcher(hook_settings, redis_client, clickhouse).run_forever(stop)
    )
    await WebhookEmitter(hook_settings, redis_client, clickhouse).emit(
        "ten_A", "document.viewed", DATA
    )
    for _ in range(200):
        if receiver.requests:
            break
        await asyncio.sleep(0.02)
    stop.set()
    await asyncio.wait_for(task, 5)
    assert len(receiver.requests) == 1


async def test_address_is_rechecked_at_delivery_and_deleted_webhooks_drop(
    hook_settings: Settings,
    redis_client: aioredis.Redis,
    clickhouse: ClickHouse,
    receiver: Receiver,
    subscribe: SubscribeFn,
    queue: DeliveryQueue,
) -> None:
    sub, _ = subscribe(receiver.url)
    emitter = WebhookEmitter(hook_settings, redis_client, clickhouse)
    await emitter.emit("ten_A", "document.viewed", DATA)
    # The allow-list no longer covers the receiver (like a DNS answer turning private).
    strict = hook_settings.model_copy(deep=True)
    strict.webhooks.allow_private = []
    await drain([dispatcher(strict, redis_client, clickhouse)], queue)
    assert receiver.requests == []
    (failed,) = subscription_deliveries(clickhouse, "ten_A", sub.subscription_id)
    assert failed.status is DeliveryStatus.FAILED
    assert failed.error.startswith("private_webhook_address")

    await emitter.emit("ten_A", "document.viewed", DATA)
    delete_subscription(clickhouse, "ten_A", sub.subscription_id)
    await drain([dispatcher(hook_settings, redis_client, clickhouse)], queue)
    assert receiver.requests == []
    statuses = {a.status for a in subscription_deliveries(clickhouse, "ten_A", sub.subscription_id)}
    assert DeliveryStatus.DROPPED in statuses


async def test_no_subscriber_means_nothing_queued(
    hook_settings: Settings,
    redis_client: aioredis.Redis,
    clickhouse: ClickHouse,
    receiver: Receiver,
    subscribe: SubscribeFn,
    queue: DeliveryQueue,
) -> None:
    subscribe(receiver.url, ["link.downloaded"])
    emitter = WebhookEmitter(hook_settings, redis_client, clickhouse)
    assert await emitter.emit("ten_A", "document.viewed", DATA) is None
    assert await emitter.emit("ten_B", "link.downloaded", DATA) is None
    assert await emitter.emit("ten_A", "link.downloaded", DATA) is not None
    assert await queue.pending() == 1


async def test_delivery_connects_to_the_vetted_address_with_the_original_host(
    hook_settings: Settings,
    redis_client: aioredis.Redis,
    clickhouse: ClickHouse,
    receiver: Receiver,
    subscribe: SubscribeFn,
    queue: DeliveryQueue,
) -> None:
    hook_settings.webhooks.allow_private = ["localhost"]
    port = receiver.url.split(":")[2].split("/")[0]
    subscribe(f"http://localhost:{port}/in?src=ds")
    await WebhookEmitter(hook_settings, redis_client, clickhouse).emit(
        "ten_A", "document.viewed", DATA
    )
    await drain([dispatcher(hook_settings, redis_client, clickhouse)], queue)
    (got,) = receiver.requests
    assert got.headers["host"] == f"localhost:{port}"
    assert got.path == "/in?src=ds"
