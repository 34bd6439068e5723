"""高潜客户等待响应 escalated: past the second threshold the manager gets a to-do on their board
(the stall's to-do, kind `customer_waiting`) and the CRM a signed `customer.waiting` webhook,
once however often the job finds the wait; the rep's reply resolves the to-do and emits
`customer.answered`, once. Real ClickHouse, Redis and a local HTTP receiver."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import orjson
import pytest

from outbound import scoring_listener
from outbound.notify import TodoStatus, list_todos
from outbound.webhooks import (
    WEBHOOK_CHANNEL,
    DeliveryQueue,
    WebhookDispatcher,
    WebhookEmitter,
    create_subscription,
    verify_signature,
)
from scoring import find_waiting_customers
from tests.outbound.notify.conftest import MANAGER, OPP, Rig
from tests.outbound.webhooks.conftest import Receiver, drain
from tracker.config import Settings
from tracker.crm.activities import Activity, record_activities
from tracker.stores.clickhouse import ClickHouse
from tracker.tenant_settings import put_tenant_settings

SH = ZoneInfo("Asia/Shanghai")
ASKED = datetime(2026, 3, 3, 10, 0, tzinfo=SH)  # a Tuesday, 10:00 in Shanghai
HOUR = timedelta(hours=1)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.stop()


async def test_the_manager_gets_a_todo_and_the_crm_a_signed_webhook_until_the_reply(
    rig: Rig, nsettings: Settings, clickhouse: ClickHouse, tenant: str, receiver: Receiver
) -> None:
    _, secret = create_subscription(
        clickhouse, nsettings, tenant, url=receiver.url,
        event_types=["customer.waiting", "customer.answered"],
    )  # fmt: skip
    bands = ["blue", "yellow", "red", "insufficient_data"]  # no account data: all count
    put_tenant_settings(clickhouse, tenant, "scoring",
                        {"early_warning": {"high_potential_bands": bands}})  # fmt: skip
    record_activities(clickhouse, tenant, [
        Activity("out_0", OPP, "email", ASKED - timedelta(days=1), direction="outbound"),
        Activity("in_1", OPP, "email", ASKED, direction="inbound", customer_initiated=True),
    ])  # fmt: skip
    emitter = WebhookEmitter(nsettings, rig.redis, clickhouse)
    react = (scoring_listener(emitter, rig.notifier),)
    hooks = WebhookDispatcher(nsettings, rig.redis, clickhouse)
    queue = DeliveryQueue(rig.redis, nsettings.webhooks.queue, WEBHOOK_CHANNEL)

    async def run(at: datetime) -> list[dict[str, object]]:
        """One job run at `at`; the webhook events the receiver got from it."""
        seen = len(receiver.requests)
        await find_waiting_customers(clickhouse, nsettings, tenant, now=at, listeners=react)
        await rig.run()
        await drain([hooks], queue)
        got = receiver.requests[seen:]
        for r in got:  # signed like every other webhook event
            assert verify_signature(secret, r.headers["dealsignal-signature"], r.body)
        return [orjson.loads(r.body) for r in got]

    assert await run(ASKED + 4 * HOUR) == []  # the rep's level: no to-do, no webhook
    assert list_todos(clickhouse, tenant) == []

    # 8 working hours: the second threshold
    [event] = await run(ASKED + 8 * HOUR)
    assert event["type"] == "customer.waiting"
    data = event["data"]
    [todo] = list_todos(clickhouse, tenant)
    assert (todo.kind, todo.manager, todo.title) == ("customer_waiting", MANAGER, "华为技术")
    assert todo.detail == "高潜客户的邮件（03-03 10:00）已等待回复 8 个工作小时"
    assert data["opportunity_id"] == OPP and data["activity_id"] == "in_1"
    assert data["hours"] == 8.0 and data["todo_id"] == todo.todo_id
    assert await run(ASKED + 8 * HOUR + timedelta(minutes=5)) == []  # the job again: once
    assert len(list_todos(clickhouse, tenant)) == 1

    # the rep replies: the to-do resolves itself and the CRM hears it, once
    record_activities(clickhouse, tenant, [
        Activity("out_1", OPP, "email", ASKED + 9 * HOUR, direction="outbound"),
    ])  # fmt: skip
    [event] = await run(ASKED + 30 * HOUR)
    assert event["type"] == "customer.answered"
    assert event["data"]["reply_id"] == "out_1" and event["data"]["activity_id"] == "in_1"
    assert event["data"]["hours"] == 8.0  # 10:00 → 19:00, the day closing at 18:00
    assert list_todos(clickhouse, tenant) == []
    [done] = list_todos(clickhouse, tenant, status=TodoStatus.RESOLVED)
    assert done.todo_id == todo.todo_id and done.resolved_by == "auto"
    assert await run(ASKED + 31 * HOUR) == []
