"""Webhook subscriptions over HTTP: admin scope, validation codes, SSRF refusals, tenant
isolation, the delivery log."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient

from outbound.webhooks import DeliveryAttempt, DeliveryStatus
from outbound.webhooks.store import record_attempts
from tests.api.conftest import bearer, make_key
from tracker.config import Settings
from tracker.stores.clickhouse import ClickHouse
from tracker.types import Scope

PUBLIC = "https://93.184.215.14/hooks"  # an IP literal: no DNS needed, globally routable


def test_create_returns_the_secret_once_and_lists_without_it(
    client: TestClient, clickhouse: ClickHouse
) -> None:
    _, admin = make_key(clickhouse, "华东区", Scope.ADMIN)
    created = client.post(
        "/api/v1/webhooks",
        json={"url": PUBLIC, "event_types": ["document.viewed", "link.forwarded"]},
        headers=bearer(admin),
    )
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["secret"].startswith("whsec_") and body["id"].startswith("whk_")
    listed = client.get("/api/v1/webhooks", headers=bearer(admin)).json()
    assert [w["id"] for w in listed] == [body["id"]]
    assert "secret" not in listed[0] and body["secret"] not in str(listed)
    got = client.get(f"/api/v1/webhooks/{body['id']}", headers=bearer(admin))
    assert got.json()["event_types"] == ["document.viewed", "link.forwarded"]
    own = client.post(
        "/api/v1/webhooks",
        json={"url": PUBLIC, "event_types": ["health.changed"], "secret": "my-own-secret-123456"},
        headers=bearer(admin),
    )
    assert own.json()["secret"] == "my-own-secret-123456"


BAD_INPUT: list[tuple[dict[str, object], int, str]] = [
    ({"url": "https://127.0.0.1/h"}, 400, "private_webhook_address"),
    ({"url": "https://10.0.0.1/h"}, 400, "private_webhook_address"),
    ({"url": "https://169.254.169.254/latest"}, 400, "private_webhook_address"),
    ({"url": "https://[::1]/h"}, 400, "private_webhook_address"),
    ({"url": "https://localhost/h"}, 400, "private_webhook_address"),
    ({"url": "http://93.184.215.14/h"}, 400, "insecure_webhook_url"),
    ({"url": "ftp://93.184.215.14/h"}, 400, "invalid_webhook_url"),
    ({"event_types": ["document.opened"]}, 400, "unknown_event_type"),
    ({"event_types": []}, 422, "validation_error"),
    ({"secret": "short"}, 400, "weak_webhook_secret"),
    ({"colour": "red"}, 422, "validation_error"),
]


def test_bad_input_is_refused_with_a_code_and_nothing_stored(
    client: TestClient, clickhouse: ClickHouse
) -> None:
    # One app for every case: the refusals are unit-tested in tests/webhooks/test_addresses.py.
    _, admin = make_key(clickhouse, "acme", Scope.ADMIN)
    for payload, status, code in BAD_INPUT:
        body = {"url": PUBLIC, "event_types": ["document.viewed"], **payload}
        response = client.post("/api/v1/webhooks", json=body, headers=bearer(admin))
        assert response.status_code == status, (payload, response.text)
        assert response.json()["error"]["code"] == code, payload
    assert client.get("/api/v1/webhooks", headers=bearer(admin)).json() == []


def test_only_admin_keys_manage_webhooks_and_the_allow_list_admits_loopback(
    client: TestClient, clickhouse: ClickHouse, settings: Settings
) -> None:
    settings.webhooks.allow_private = ["127.0.0.0/8"]
    _, admin = make_key(clickhouse, "acme", Scope.ADMIN)
    response = client.post(
        "/api/v1/webhooks",
        json={"url": "http://127.0.0.1:8123/h", "event_types": ["link.downloaded"]},
        headers=bearer(admin),
    )
    assert response.status_code == 201, response.text
    for scope in (Scope.REPS, Scope.CRM):
        _, key = make_key(clickhouse, "acme", scope)
        response = client.get("/api/v1/webhooks", headers=bearer(key))
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "insufficient_scope"
    spec = client.get("/openapi.json").json()
    text = spec["paths"]["/api/v1/webhooks"]["post"]["description"]
    assert "Dealsignal-Signature: t=" in text and "Dealsignal-Delivery" in text


def test_tenant_a_cannot_see_or_delete_tenant_bs_webhooks(
    client: TestClient, clickhouse: ClickHouse
) -> None:
    _, admin_a = make_key(clickhouse, "a", Scope.ADMIN)
    tenant_b, admin_b = make_key(clickhouse, "b", Scope.ADMIN)
    hook_b = client.post(
        "/api/v1/webhooks",
        json={"url": PUBLIC, "event_types": ["document.viewed"]},
        headers=bearer(admin_b),
    ).json()["id"]
    record_attempts(
        clickhouse,
        [
            DeliveryAttempt(
                tenant_b,
                "webhook",
                hook_b,
                "dlv_1",
                "whe_1",
                "document.viewed",
                1,
                DeliveryStatus.DELIVERED,
                200,
                "",
                5,
                None,
                datetime.now(UTC),
            )
        ],
    )
    assert client.get("/api/v1/webhooks", headers=bearer(admin_a)).json() == []
    for method, path in [
        ("GET", f"/api/v1/webhooks/{hook_b}"),
        ("GET", f"/api/v1/webhooks/{hook_b}/deliveries"),
        ("DELETE", f"/api/v1/webhooks/{hook_b}"),
    ]:
        response = client.request(method, path, headers=bearer(admin_a))
        assert response.status_code == 404, (method, path)
        assert response.json()["error"]["code"] == "webhook_not_found"
    (logged,) = client.get(f"/api/v1/webhooks/{hook_b}/deliveries", headers=bearer(admin_b)).json()
    assert logged["status"] == "delivered" and logged["attempt"] == 1
    assert client.delete(f"/api/v1/webhooks/{hook_b}", headers=bearer(admin_b)).status_code == 204
    assert client.get("/api/v1/webhooks", headers=bearer(admin_b)).json() == []
    # The log of a deleted webhook stays readable to its owner.
    deliveries = client.get(f"/api/v1/webhooks/{hook_b}/deliveries", headers=bearer(admin_b))
    assert deliveries.status_code == 200 and len(deliveries.json()) == 1
