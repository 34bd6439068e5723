from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import bearer, make_key
from tracker.api_keys import create_api_key
from tracker.stores.clickhouse import ClickHouse
from tracker.types import Scope


def test_valid_admin_key_lists_its_tenants_keys(client: TestClient, clickhouse: ClickHouse) -> None:
    _, key = make_key(clickhouse, "华南区", Scope.ADMIN)
    response = client.get("/api/v1/keys", headers=bearer(key))
    assert response.status_code == 200
    assert [k["scope"] for k in response.json()] == ["admin"]


@pytest.mark.parametrize(
    ("headers", "code"),
    [
        ({}, "missing_api_key"),
        ({"Authorization": "Basic abc"}, "missing_api_key"),
        ({"Authorization": "Bearer nonsense"}, "malformed_api_key"),
        ({"Authorization": "Bearer ds_key_01XYZ.unknownsecret"}, "malformed_api_key"),
        ({"Authorization": f"Bearer ds_key_01JD{'0' * 22}.unknownsecret"}, "invalid_api_key"),
    ],
)
def test_missing_malformed_and_unknown_keys_get_401_json(
    client: TestClient, headers: dict[str, str], code: str
) -> None:
    response = client.get("/api/v1/keys", headers=headers)
    assert response.status_code == 401
    assert response.json()["error"]["code"] == code


def test_revoked_key_gets_401(client: TestClient, clickhouse: ClickHouse) -> None:
    _, admin = make_key(clickhouse, "acme", Scope.ADMIN)
    created = client.post(
        "/api/v1/keys", json={"scope": "crm", "name": "CRM 同步"}, headers=bearer(admin)
    )
    assert created.status_code == 201
    crm_key, crm_id = created.json()["key"], created.json()["key_id"]
    assert client.post(f"/api/v1/keys/{crm_id}/revoke", headers=bearer(admin)).status_code == 200
    response = client.get("/api/v1/keys", headers=bearer(crm_key))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "revoked_api_key"


def test_scope_is_enforced(client: TestClient, clickhouse: ClickHouse) -> None:
    _, reps = make_key(clickhouse, "acme", Scope.REPS)
    response = client.get("/api/v1/keys", headers=bearer(reps))
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"


def test_tenant_a_cannot_touch_tenant_b(client: TestClient, clickhouse: ClickHouse) -> None:
    _, admin_a = make_key(clickhouse, "a", Scope.ADMIN)
    tenant_b, _ = make_key(clickhouse, "b", Scope.ADMIN)
    key_b, _ = create_api_key(clickhouse, tenant_b, Scope.CRM)
    listed = client.get("/api/v1/keys", headers=bearer(admin_a)).json()
    assert key_b.key_id not in {k["key_id"] for k in listed}
    response = client.post(f"/api/v1/keys/{key_b.key_id}/revoke", headers=bearer(admin_a))
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "api_key_not_found"


def test_unknown_fields_are_rejected(client: TestClient, clickhouse: ClickHouse) -> None:
    _, admin = make_key(clickhouse, "acme", Scope.ADMIN)
    response = client.post(
        "/api/v1/keys", json={"scope": "crm", "is_root": True}, headers=bearer(admin)
    )
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "validation_error"
