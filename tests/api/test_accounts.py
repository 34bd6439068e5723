"""Accounts and finance over the real app: round trips, paging, strict payloads with nothing
stored on refusal, tenant isolation."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import bearer, make_key
from tracker.crm import get_finance, list_accounts
from tracker.stores.clickhouse import ClickHouse
from tracker.types import Scope

ACCOUNT: dict[str, Any] = {
    "name": "华为技术有限公司",
    "industry": "制造业",
    "annual_revenue": "120000000",
    "currency": "CNY",
    "industry_growth_pct": 8.5,
    "contract_start": "2021-03-01",
    "product_lines": ["MES", "ERP"],
    "kol_contact_ids": ["c_wang"],
    "owner": "rep@x.cn",
}
FINANCE: dict[str, Any] = {
    "as_of": "2025-03-01",
    "on_time_payment_rate": 0.92,
    "receivables_outstanding": "150000",
    "credit_limit": "1000000",
    "credit_used": "400000",
    "currency": "CNY",
    "payment_delay_days": 6,
}


def test_account_round_trip_and_paging(client: TestClient, clickhouse: ClickHouse) -> None:
    _, key = make_key(clickhouse, "Acme", Scope.CRM)
    put = client.put("/api/v1/accounts/acc_1", json=ACCOUNT, headers=bearer(key))
    assert put.status_code == 200, put.text
    body = put.json()
    assert body["name"] == "华为技术有限公司" and body["product_lines"] == ["MES", "ERP"]
    assert body["annual_revenue"] == "120000000.0000" and body["frozen"] is False
    got = client.get("/api/v1/accounts/acc_1", headers=bearer(key)).json()
    assert got == body
    for n in range(2, 6):
        client.put(f"/api/v1/accounts/acc_{n}", json={"name": f"客户{n}"}, headers=bearer(key))
    first = client.get("/api/v1/accounts?limit=2", headers=bearer(key)).json()
    assert [a["id"] for a in first["items"]] == ["acc_1", "acc_2"]
    rest = client.get(f"/api/v1/accounts?after={first['next_after']}&limit=10", headers=bearer(key))
    assert [a["id"] for a in rest.json()["items"]] == ["acc_3", "acc_4", "acc_5"]
    assert rest.json()["next_after"] is None


def test_invalid_account_payloads_are_4xx_and_store_nothing(
    client: TestClient, clickhouse: ClickHouse
) -> None:
    tenant, key = make_key(clickhouse, "Acme", Scope.CRM)
    bad: list[dict[str, Any]] = [
        {**ACCOUNT, "annual_revenue": "-1"},
        {**ACCOUNT, "currency": "XXX"},
        {k: v for k, v in ACCOUNT.items() if k != "currency"},
        {**ACCOUNT, "product_lines": ["MES", "MES"]},
        {**ACCOUNT, "kol_contact_ids": ["has space"]},
        {**ACCOUNT, "contract_start": "2999-01-01"},
        {**ACCOUNT, "surprise": 1},
        {**ACCOUNT, "name": ""},
    ]
    for payload in bad:
        r = client.put("/api/v1/accounts/acc_1", json=payload, headers=bearer(key))
        assert r.status_code == 422, payload
        assert r.json()["error"]["code"] == "validation_error"
    assert client.put("/api/v1/accounts/bad id", json=ACCOUNT, headers=bearer(key)).status_code in (
        404,
        422,
    )
    assert list_accounts(clickhouse, tenant) == []


def test_finance_needs_a_known_account_and_a_valid_body(
    client: TestClient, clickhouse: ClickHouse
) -> None:
    tenant, key = make_key(clickhouse, "Acme", Scope.CRM)
    unknown = client.put("/api/v1/accounts/acc_1/finance", json=FINANCE, headers=bearer(key))
    assert unknown.status_code == 404 and unknown.json()["error"]["code"] == "account_not_found"
    client.put("/api/v1/accounts/acc_1", json=ACCOUNT, headers=bearer(key))
    for payload in (
        {**FINANCE, "on_time_payment_rate": 1.5},
        {**FINANCE, "credit_limit": "-5"},
        {**FINANCE, "as_of": "2999-01-01"},
        {k: v for k, v in FINANCE.items() if k != "as_of"},
    ):
        r = client.put("/api/v1/accounts/acc_1/finance", json=payload, headers=bearer(key))
        assert r.status_code == 422, payload
    assert get_finance(clickhouse, tenant, "acc_1") is None
    ok = client.put("/api/v1/accounts/acc_1/finance", json=FINANCE, headers=bearer(key))
    assert ok.status_code == 200, ok.text
    newer = {**FINANCE, "as_of": "2025-04-01", "on_time_payment_rate": 0.5}
    client.put("/api/v1/accounts/acc_1/finance", json=newer, headers=bearer(key))
    client.put("/api/v1/accounts/acc_1/finance", json=FINANCE, headers=bearer(key))  # older, late
    got = client.get("/api/v1/accounts/acc_1/finance", headers=bearer(key)).json()
    assert got["as_of"] == "2025-04-01" and got["on_time_payment_rate"] == 0.5


def test_accounts_are_tenant_scoped(client: TestClient, clickhouse: ClickHouse) -> None:
    _, key = make_key(clickhouse, "Acme", Scope.CRM)
    _, other = make_key(clickhouse, "Other", Scope.CRM)
    client.put("/api/v1/accounts/acc_1", json=ACCOUNT, headers=bearer(key))
    client.put("/api/v1/accounts/acc_1/finance", json=FINANCE, headers=bearer(key))
    for path in ("", "/finance", "/freezes"):
        r = client.get(f"/api/v1/accounts/acc_1{path}", headers=bearer(other))
        assert r.status_code == 404 and r.json()["error"]["code"] == "account_not_found", path
    assert client.get("/api/v1/accounts", headers=bearer(other)).json()["items"] == []
    r = client.put("/api/v1/accounts/acc_1/finance", json=FINANCE, headers=bearer(other))
    assert r.status_code == 404
