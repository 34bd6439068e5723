"""Accounts and finance over the real app: round trips, paging, strict payloads with nothing
stored on refusal, tenant isolation."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import bearer, make_key
from tracker.clock import utcnow
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


def _deal(client: TestClient, key: str, opportunity_id: str, account: str, amount: str) -> None:

    now = utcnow()
    r = client.put(
        f"/api/v1/opportunities/{opportunity_id}",
        json={
            "account": account,
            "amount": amount,
            "currency": "CNY",
            "stage": "proposal",
            "probability": 50,
            "forecast_category": "commit",
            "owner": "rep@x.cn",
            "manager": "boss@x.cn",
            "updated_at": now.isoformat(),
            "expected_close_date": now.date().isoformat(),
        },
        headers=bearer(key),
    )
    assert r.status_code == 200, r.text


def test_finance_red_flag_in_the_forecast_and_the_rollup(
    client: TestClient, clickhouse: ClickHouse
) -> None:

    _, key = make_key(clickhouse, "Acme", Scope.ADMIN)
    for account in ("acc_good", "acc_bad"):
        client.put(f"/api/v1/accounts/{account}", json=ACCOUNT, headers=bearer(key))
    client.put("/api/v1/accounts/acc_good/finance", json=FINANCE, headers=bearer(key))
    late = {**FINANCE, "on_time_payment_rate": 0.6, "payment_delay_days": 45}
    client.put("/api/v1/accounts/acc_bad/finance", json=late, headers=bearer(key))
    _deal(client, key, "opp_good", "acc_good", "100000")
    _deal(client, key, "opp_bad", "acc_bad", "200000")
    _deal(client, key, "opp_none", "acc_unknown", "300000")
    good = client.get("/api/v1/opportunities/opp_good/forecast", headers=bearer(key)).json()
    assert good["risk_flag"] is None
    assert (
        client.get("/api/v1/opportunities/opp_none/forecast", headers=bearer(key)).json()[
            "risk_flag"
        ]
        is None
    )
    bad = client.get("/api/v1/opportunities/opp_bad/forecast", headers=bearer(key)).json()
    assert bad["risk_flag"]["flag"] == "red"
    assert [r["code"] for r in bad["risk_flag"]["reasons"]] == ["late_payer", "payment_delays"]
    period = utcnow().strftime("%Y-%m")
    rollup = client.get(f"/api/v1/forecast?period={period}", headers=bearer(key)).json()
    assert [d["opportunity_id"] for d in rollup["risk_flags"]] == ["opp_bad"]
    total = next(line for line in rollup["lines"] if line["scope"] == "total")
    assert total["open_deals"] == 3 and total["red_flag_deals"] == 1
    assert Decimal(total["red_flag_amount"]) == Decimal(200000)
    # the tenant tightens its threshold: the good payer (0.92) is now flagged too
    r = client.put(
        "/api/v1/settings/scoring",
        json={"finance": {"min_on_time_payment_rate": 0.95}},
        headers=bearer(key),
    )
    assert r.status_code == 200, r.text
    good = client.get("/api/v1/opportunities/opp_good/forecast", headers=bearer(key)).json()
    assert [r["code"] for r in good["risk_flag"]["reasons"]] == ["late_payer"]
