"""Subscription and delivery-log SQL on both backends (chDB and clickhouse-connect)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from outbound.webhooks import (
    DeliveryAttempt,
    DeliveryStatus,
    create_subscription,
    delete_subscription,
    get_subscription,
    link_contexts,
    list_subscriptions,
)
from outbound.webhooks.store import list_deliveries, record_attempts
from tracker.config import Settings
from tracker.errors import NotFound
from tracker.links import LinkOptions, Recipient, create_links
from tracker.stores.clickhouse import ClickHouse

# Recent: the log's TTL would drop old rows.
NOW = datetime.now(UTC).replace(microsecond=0)


def attempt(n: int, status: DeliveryStatus, tenant: str = "ten_A") -> DeliveryAttempt:
    return DeliveryAttempt(
        tenant,
        "webhook",
        "whk_1",
        "dlv_1",
        "whe_1",
        "document.viewed",
        n,
        status,
        500,
        "HTTP 500",
        12,
        None,
        NOW + timedelta(seconds=n),
    )


def test_subscriptions_round_trip_are_tenant_scoped_and_soft_deleted(
    store: ClickHouse, settings: Settings
) -> None:
    settings.webhooks.allow_private = ["127.0.0.1"]
    sub, secret = create_subscription(
        store,
        settings,
        "ten_A",
        url="http://127.0.0.1:1/h",
        event_types=["link.forwarded", "document.viewed", "document.viewed"],
        description="销售 CRM",
    )
    assert secret.startswith("whsec_") and secret not in repr(sub)
    assert sub.secret_sealed and secret not in sub.secret_sealed
    (listed,) = list_subscriptions(store, "ten_A")
    assert listed.event_types == ("document.viewed", "link.forwarded")
    assert listed.description == "销售 CRM"
    assert list_subscriptions(store, "ten_B") == []
    with pytest.raises(NotFound):
        get_subscription(store, "ten_B", sub.subscription_id)
    with pytest.raises(NotFound):
        delete_subscription(store, "ten_B", sub.subscription_id)
    delete_subscription(store, "ten_A", sub.subscription_id)
    assert list_subscriptions(store, "ten_A") == []
    assert get_subscription(store, "ten_A", sub.subscription_id, include_deleted=True).deleted


def test_delivery_log_and_link_lookup_are_per_tenant(store: ClickHouse) -> None:
    record_attempts(store, [attempt(1, DeliveryStatus.RETRYING), attempt(2, DeliveryStatus.DEAD)])
    record_attempts(store, [attempt(1, DeliveryStatus.DELIVERED, tenant="ten_B")])
    log = list_deliveries(store, "ten_A", "whk_1")
    assert [(a.attempt, a.status) for a in log] == [
        (2, DeliveryStatus.DEAD),
        (1, DeliveryStatus.RETRYING),
    ]
    assert log[0].at == NOW + timedelta(seconds=2)
    assert len(list_deliveries(store, "ten_B", "whk_1")) == 1

    (link,) = create_links(
        store, "ten_A", "doc_1", [Recipient("li@example.cn", "李雷")], LinkOptions()
    )
    found = link_contexts(store, "ten_A", [link.link_id, "lnk_missing"])
    assert found[link.link_id].recipient_name == "李雷"
    assert link_contexts(store, "ten_B", [link.link_id]) == {}
