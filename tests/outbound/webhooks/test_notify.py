"""The ingest batch listener: inserted events → webhook events, once each, never for bots."""

from __future__ import annotations

import uuid
from typing import Any

import orjson
import pyarrow as pa
import redis.asyncio as aioredis

from ingest import Event, Ingestor, StreamBuffer, Writer, events_table
from outbound import make_webhook_listener
from outbound.webhooks import DeliveryQueue, Job
from tests.ingest.support import HUMAN, beacon, drain, dwell
from tests.outbound.webhooks.conftest import SubscribeFn
from tracker.config import Settings
from tracker.documents import NewVersion, create_document
from tracker.links import LinkOptions, Recipient, create_links
from tracker.stores.clickhouse import ClickHouse
from tracker.tokens import TokenSigner

ALL = ["document.viewed", "link.downloaded", "link.forwarded"]


def event(n: int, kind: str, **fields: Any) -> Event:
    base: dict[str, Any] = {
        "event_id": f"e{n}",
        "tenant_id": "ten_A",
        "event_type": kind,
        "document_id": "doc_1",
        "version_id": "ver_1",
        "link_id": "lnk_1",
        "opportunity_id": "opp_1",
        "contact_id": "con_1",
        "viewer_id": "vwr_1",
        "visit_id": "vis_1",
        "received_at": 1_730_000_000_000 + n,
        "ua_browser": "Chrome",
    }
    return Event(**{**base, **fields})


def table(*events: Event) -> pa.Table:
    return events_table([e.to_row() for e in events])


async def queued(queue: DeliveryQueue, redis: aioredis.Redis) -> list[Job]:
    raw: Any = await redis.hgetall(queue.jobs_key)  # type: ignore[misc]
    return sorted((Job.loads(v) for v in raw.values()), key=lambda j: j.event_type)


async def test_one_document_viewed_per_visit_even_when_the_batch_is_replayed(
    hook_settings: Settings,
    redis_client: aioredis.Redis,
    clickhouse: ClickHouse,
    subscribe: SubscribeFn,
    queue: DeliveryQueue,
) -> None:
    subscribe("http://127.0.0.1:9/h", ALL)
    listener = make_webhook_listener(hook_settings, redis_client, clickhouse)
    batch = table(
        event(1, "view_start"),
        event(2, "page_dwell", page=1, dwell_ms=5000),
        event(3, "view_start"),  # a reload within the same visit
        event(4, "view_start", visit_id="vis_2"),
    )
    await listener(batch)
    await listener(batch)  # the writer may call listeners twice (at-least-once)
    await listener(table(event(5, "view_start")))  # a later batch, same visit
    jobs = await queued(queue, redis_client)
    visits = sorted(orjson.loads(j.body)["data"]["visit_id"] for j in jobs)
    assert [j.event_type for j in jobs] == ["document.viewed"] * 2
    assert visits == ["vis_1", "vis_2"]


async def test_bot_events_emit_nothing(
    hook_settings: Settings,
    redis_client: aioredis.Redis,
    clickhouse: ClickHouse,
    subscribe: SubscribeFn,
    queue: DeliveryQueue,
) -> None:
    subscribe("http://127.0.0.1:9/h", ALL)
    listener = make_webhook_listener(hook_settings, redis_client, clickhouse)
    bot = {"is_bot": 1, "bot_reason": "bot_user_agent"}
    await listener(
        table(
            event(1, "view_start", **bot),
            event(2, "download", **bot),
            event(3, "page_dwell", forwarded=1, viewer_id="vwr_9", **bot),
        )
    )
    assert await queue.pending() == 0


async def test_downloads_and_forwards_with_recipient_details_in_utf8(
    hook_settings: Settings,
    redis_client: aioredis.Redis,
    clickhouse: ClickHouse,
    subscribe: SubscribeFn,
    queue: DeliveryQueue,
) -> None:
    subscribe("http://127.0.0.1:9/h", ALL)
    doc, _ = create_document(
        clickhouse,
        "ten_A",
        title="年度采购方案",
        first_version=NewVersion("p.pdf", "0" * 64, 10, (100,)),
    )
    (link,) = create_links(
        clickhouse,
        "ten_A",
        doc.document_id,
        [Recipient(email="wang@example.cn", name="王总", role="CTO")],
        LinkOptions(),
    )
    ids = {"document_id": doc.document_id, "link_id": link.link_id}
    listener = make_webhook_listener(hook_settings, redis_client, clickhouse)
    batch = table(
        event(1, "download", visit_id="", **ids),
        event(2, "view_start", forwarded=1, viewer_id="vwr_2", visit_id="vis_9", **ids),
        event(3, "page_dwell", forwarded=1, viewer_id="vwr_2", visit_id="vis_9", **ids),
    )
    await listener(batch)
    await listener(table(event(4, "page_dwell", forwarded=1, viewer_id="vwr_2", **ids)))
    jobs = await queued(queue, redis_client)
    assert [j.event_type for j in jobs] == ["document.viewed", "link.downloaded", "link.forwarded"]
    forwarded = jobs[2]
    assert "王总" in forwarded.body  # stored and sent as raw UTF-8
    data = orjson.loads(forwarded.body)["data"]
    assert data["recipient"] == {"email": "wang@example.cn", "name": "王总", "role": "CTO"}
    assert data["document_title"] == "年度采购方案"
    assert data["viewer_id"] == "vwr_2" and data["forwarded"] is True
    assert data["link_id"] == link.link_id


async def test_types_without_a_subscription_are_not_queued(
    hook_settings: Settings,
    redis_client: aioredis.Redis,
    clickhouse: ClickHouse,
    subscribe: SubscribeFn,
    queue: DeliveryQueue,
) -> None:
    subscribe("http://127.0.0.1:9/h", ["link.downloaded"])
    listener = make_webhook_listener(hook_settings, redis_client, clickhouse)
    await listener(table(event(1, "view_start"), event(2, "view_start", tenant_id="ten_B")))
    assert await queue.pending() == 0
    assert await redis_client.keys("*:dd:*") == []


async def test_beacon_through_the_real_writer_queues_one_document_viewed(
    hook_settings: Settings,
    redis_client: aioredis.Redis,
    clickhouse: ClickHouse,
    subscribe: SubscribeFn,
    queue: DeliveryQueue,
) -> None:
    subscribe("http://127.0.0.1:9/h", ALL)
    hook_settings.ingest.batch_seconds = 0.05
    signer = TokenSigner(list(hook_settings.secret_keys))
    buffer = StreamBuffer(redis_client, hook_settings.ingest.stream)
    ingestor = Ingestor(hook_settings, redis_client, signer, buffer, ip_key=b"k" * 32)
    view = {"id": uuid.uuid4().hex, "t": "view_start", "p": 1, "q": 0}
    await ingestor.accept_beacon(
        beacon(signer, [view, dwell(1, 3000)]), content_type="text/plain", request=HUMAN
    )
    await buffer.close()
    listener = make_webhook_listener(hook_settings, redis_client, clickhouse)
    writer = Writer(hook_settings, redis_client, clickhouse, consumer="w1", listeners=[listener])
    assert await drain(writer) == 2
    (job,) = await queued(queue, redis_client)
    data = orjson.loads(job.body)["data"]
    assert job.event_type == "document.viewed" and data["link_id"] == "lnk_1"
    assert data["visit_id"].startswith("vis_") and data["event_id"]
