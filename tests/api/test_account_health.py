"""客户健康度 over the real app: the SQL behind each pillar's measures (windows, held
meetings, KOL activities and document visits, the ticket baseline), insufficient data for a
new account, paging, the freeze's 409 and the admin's unfreeze, tenant isolation."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import bearer, make_key
from tests.scoring.support import Events, add_document, add_link
from tracker.api_keys import create_api_key
from tracker.clock import utcnow
from tracker.crm import get_opportunity, record_freeze, upsert_opportunities
from tracker.crm.activities import Activity, record_activities
from tracker.crm.opportunities import Contact, Opportunity
from tracker.errors import NotFound
from tracker.stores.clickhouse import ClickHouse
from tracker.types import Scope

ACCOUNT: dict[str, Any] = {
    "name": "宁德时代", "industry": "制造业", "annual_revenue": "1000000000", "currency": "CNY",
    "industry_growth_pct": 20, "contract_start": "2015-01-01",
    "product_lines": ["MES", "ERP", "PLM"], "kol_contact_ids": ["c_wang"], "owner": "rep@x.cn",
}  # fmt: skip


def opportunity(opportunity_id: str, account: str = "acc_1") -> dict[str, Any]:
    return {
        "account": account, "amount": "100000", "currency": "CNY", "stage": "proposal",
        "probability": 50, "forecast_category": "commit", "owner": "rep@x.cn",
        "updated_at": utcnow().isoformat(),
    }  # fmt: skip


def seed(ch: ClickHouse, tenant: str) -> None:
    now = utcnow()
    upsert_opportunities(ch, tenant, [Opportunity(
        opportunity_id="opp_1", account="acc_1", amount=Decimal(100000), currency="CNY",
        stage="proposal", probability=50, forecast_category="commit", owner="rep@x.cn",
        updated_at=now - timedelta(days=1),
        contacts=(Contact("c_wang", "王总", "w@catl.cn", "CTO", True),),
    )])  # fmt: skip
    day = timedelta(days=1)
    acts = [
        # meetings, 90-day window: 2 held of 3 decided; unknown `held` and older ones not counted
        Activity("m1", "opp_1", "meeting", now - 3 * day, attendees=("c_wang",), held=True),
        Activity("m2", "opp_1", "meeting", now - 10 * day, attendees=("c_li",), held=False),
        Activity("m3", "opp_1", "meeting", now - 60 * day, attendees=("c_li",), held=True),
        Activity("m4", "opp_1", "meeting", now - 5 * day, attendees=("c_wang",)),
        Activity("m5", "opp_1", "meeting", now - 100 * day, held=True),
        # KOL activities in 30 days: m1, m4 and this call; not the ticket, not c_li's, not older
        Activity("c1", "opp_1", "call", now - 2 * day, attendees=("c_wang",), direction="inbound"),
        Activity("c2", "opp_1", "call", now - 40 * day, attendees=("c_wang",)),
        # tickets: 2 in 30 days against 6 over the 180 days before (1 per 30 days) → 2×
        Activity("t1", "opp_1", "service_request", now - 1 * day, attendees=("c_wang",)),
        Activity("t2", "opp_1", "service_request", now - 29 * day),
        *[Activity(f"b{i}", "opp_1", "service_request", now - (31 + 25 * i) * day)
          for i in range(6)],
        Activity("old", "opp_1", "service_request", now - 300 * day),
    ]  # fmt: skip
    record_activities(ch, tenant, acts)
    add_document(ch, tenant, "doc_1", "ver_1", title="方案")
    kol = add_link(ch, tenant, "lnk_k", "doc_1", "ver_1", "opp_1", contact_id="c_wang")
    other = add_link(ch, tenant, "lnk_o", "doc_1", "ver_1", "opp_1", contact_id="c_li")
    events = Events()
    events.read(kol, now - 4 * day, {1: 30_000})  # counts: the KOL, human, in 30 days
    events.read(kol, now - 6 * day, {1: 30_000}, bot=True)
    events.read(kol, now - 7 * day, {1: 30_000}, forwarded=True, viewer="vwr_2")
    events.read(kol, now - 45 * day, {1: 30_000})
    events.read(other, now - 1 * day, {1: 30_000})
    events.insert(ch)


def parts(body: dict[str, Any]) -> dict[str, tuple[float | None, float | None]]:
    return {x["code"]: (x["raw"], x["score"]) for p in body["pillars"] for x in p["parts"]}


def test_health_measures_from_the_stores(client: TestClient, clickhouse: ClickHouse) -> None:
    tenant, key = make_key(clickhouse, "Acme", Scope.CRM)
    assert client.put("/api/v1/accounts/acc_1", json=ACCOUNT, headers=bearer(key)).is_success
    finance = {"as_of": utcnow().date().isoformat(), "on_time_payment_rate": 0.9,
               "receivables_outstanding": "0", "credit_limit": "100", "credit_used": "0",
               "currency": "CNY", "payment_delay_days": 15}  # fmt: skip
    client.put("/api/v1/accounts/acc_1/finance", json=finance, headers=bearer(key))
    seed(clickhouse, tenant)
    r = client.get("/api/v1/accounts/acc_1/health", headers=bearer(key))
    assert r.status_code == 200, r.text
    body = r.json()
    got = parts(body)
    assert got["meeting_attendance"] == (0.6667, 66.7)
    assert got["kol_interaction"] == (4.0, 100.0)  # 3 activities + 1 document visit
    assert got["service_request_surge"] == (2.0, 50.0)
    assert got["payment_delay"] == (15.0, 75.0)
    assert got["revenue_scale"] == (1e9, 100.0) and got["contract_years"][1] == 100.0
    values = {p["code"]: p["value"] for p in body["pillars"]}
    assert values == {"commercial_potential": 100.0, "partnership_depth": 100.0,
                      "relationship_quality": 83.3, "risk_signals": 62.5}  # fmt: skip
    # 25 + 25 + 0.2 × 83.3 + 0.3 × 62.5 = 85.4
    assert body["value"] == 85.4 and body["band"] == "blue" and body["opportunities"] == 1
    assert [p["name"] for p in body["pillars"]] == ["商业潜力", "合作深度", "关系质量", "风险信号"]


def test_a_new_account_is_insufficient_data_and_pages(
    client: TestClient, clickhouse: ClickHouse
) -> None:
    _, key = make_key(clickhouse, "Acme", Scope.CRM)
    for n in range(1, 4):
        client.put(f"/api/v1/accounts/acc_{n}", json={"name": f"新客户{n}"}, headers=bearer(key))
    client.put("/api/v1/opportunities/opp_1", json=opportunity("opp_1"), headers=bearer(key))
    body = client.get("/api/v1/accounts/acc_1/health", headers=bearer(key)).json()
    assert body["band"] == "insufficient_data" and body["value"] is None
    page = client.get("/api/v1/account-health?limit=2", headers=bearer(key)).json()
    assert [h["account_id"] for h in page["items"]] == ["acc_1", "acc_2"]
    assert page["next_after"] == "acc_2"
    rest = client.get("/api/v1/account-health?after=acc_2", headers=bearer(key)).json()
    assert [h["account_id"] for h in rest["items"]] == ["acc_3"] and rest["next_after"] is None


def test_frozen_account_refuses_new_opportunities_until_an_admin_unfreezes(
    client: TestClient, clickhouse: ClickHouse
) -> None:
    tenant, admin = make_key(clickhouse, "Acme", Scope.ADMIN)
    _, crm = create_api_key(clickhouse, tenant, Scope.CRM)
    client.put("/api/v1/accounts/acc_1", json=ACCOUNT, headers=bearer(crm))
    assert client.put("/api/v1/opportunities/opp_old", json=opportunity("opp_old"),
                      headers=bearer(crm)).status_code == 200  # fmt: skip
    record_freeze(clickhouse, tenant, "acc_1", frozen=True, reason="health band red (31.0)",
                  actor="system", source="acc_1:1:yellow->red")  # fmt: skip
    assert client.get("/api/v1/accounts/acc_1", headers=bearer(crm)).json()["frozen"] is True
    new = client.put("/api/v1/opportunities/opp_new", json=opportunity("opp_new"),
                     headers=bearer(crm))  # fmt: skip
    assert new.status_code == 409 and new.json()["error"]["code"] == "account_frozen"
    assert new.json()["error"]["details"]["opportunities"] == ["opp_new"]
    batch = {"items": [{**opportunity("x"), "id": "opp_other", "account": "acc_2"},
                       {**opportunity("x"), "id": "opp_new2"}]}  # fmt: skip
    assert client.post("/api/v1/opportunities:batch", json=batch,
                       headers=bearer(crm)).status_code == 409  # fmt: skip
    for missing in ("opp_new", "opp_new2", "opp_other"):  # nothing half-written
        with pytest.raises(NotFound):
            get_opportunity(clickhouse, tenant, missing)
    # updates of its existing opportunity still land; another account is not frozen
    assert client.put("/api/v1/opportunities/opp_old", json=opportunity("opp_old"),
                      headers=bearer(crm)).status_code == 200  # fmt: skip
    assert client.put("/api/v1/opportunities/opp_b", json=opportunity("opp_b", "acc_2"),
                      headers=bearer(crm)).status_code == 200  # fmt: skip
    # only an admin unfreezes, with a reason
    reason = {"reason": "VP 已介入，客户已付清欠款"}
    assert client.post("/api/v1/accounts/acc_1/unfreeze", json=reason,
                       headers=bearer(crm)).status_code == 403  # fmt: skip
    assert client.post("/api/v1/accounts/acc_1/unfreeze", json={"reason": ""},
                       headers=bearer(admin)).status_code == 422  # fmt: skip
    done = client.post("/api/v1/accounts/acc_1/unfreeze", json=reason, headers=bearer(admin))
    assert done.status_code == 200 and done.json()["frozen"] is False
    again = client.post("/api/v1/accounts/acc_1/unfreeze", json=reason, headers=bearer(admin))
    assert again.status_code == 400 and again.json()["error"]["code"] == "account_not_frozen"
    audit = client.get("/api/v1/accounts/acc_1/freezes", headers=bearer(crm)).json()
    assert [(e["frozen"], e["reason"]) for e in audit] == [
        (False, "VP 已介入，客户已付清欠款"), (True, "health band red (31.0)")
    ]  # fmt: skip
    assert audit[0]["actor"].startswith("key:")
    assert client.put("/api/v1/opportunities/opp_new", json=opportunity("opp_new"),
                      headers=bearer(crm)).status_code == 200  # fmt: skip


def test_account_routes_are_tenant_scoped(client: TestClient, clickhouse: ClickHouse) -> None:
    tenant, key = make_key(clickhouse, "Acme", Scope.ADMIN)
    _, other = make_key(clickhouse, "Other", Scope.ADMIN)
    client.put("/api/v1/accounts/acc_1", json=ACCOUNT, headers=bearer(key))
    record_freeze(clickhouse, tenant, "acc_1", frozen=True, reason="red", actor="system")
    for path in ("/health", "/actions", "/freezes"):
        r = client.get(f"/api/v1/accounts/acc_1{path}", headers=bearer(other))
        assert r.status_code == 404 and r.json()["error"]["code"] == "account_not_found", path
    assert client.get("/api/v1/account-health", headers=bearer(other)).json()["items"] == []
    r = client.post("/api/v1/accounts/acc_1/unfreeze", json={"reason": "not mine"},
                    headers=bearer(other))  # fmt: skip
    assert r.status_code == 404
    # the other tenant's account of the same id is its own, and not frozen
    client.put("/api/v1/accounts/acc_1", json=ACCOUNT, headers=bearer(other))
    assert client.put("/api/v1/opportunities/opp_1", json=opportunity("opp_1"),
                      headers=bearer(other)).status_code == 200  # fmt: skip
