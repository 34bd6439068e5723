"""GET /api/v1/opportunities/{id}/forecast end to end: the CRM pushes activities, the tenant
tunes the index through PUT /api/v1/settings/scoring, and the 59.9 / 60.0 boundary of the
× 0.7 holds through JSON; other tenants get 404 and their settings do not leak."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

from fastapi.testclient import TestClient

from tests.api.conftest import bearer, make_key
from tracker.clock import utcnow
from tracker.stores.clickhouse import ClickHouse
from tracker.types import Scope

OPP = {
    "account": "宁德时代", "amount": "2000000.00", "currency": "CNY", "stage": "negotiation",
    "probability": 60, "forecast_category": "commit", "owner": "rep@x.cn",
    "contacts": [{"id": "c_ceo", "name": "曾总", "is_decision_maker": True},
                 {"id": "c_buyer", "name": "采购部 刘"}],
}  # fmt: skip


def push(client: TestClient, auth: dict[str, str], items: list[dict[str, Any]]) -> None:
    response = client.post("/api/v1/activities", json={"items": items}, headers=auth)
    assert response.status_code == 200, response.text


def email(n: int) -> dict[str, Any]:
    at = (utcnow() - timedelta(days=n + 1)).isoformat()
    return {"id": f"e{n}", "opportunity_id": "opp_9", "type": "email", "direction": "inbound",
            "occurred_at": at}  # fmt: skip


def test_forecast_inputs_boundary_and_isolation(client: TestClient, clickhouse: ClickHouse) -> None:
    _, admin = make_key(clickhouse, "华东", Scope.ADMIN)  # admin keys may push and tune
    _, other = make_key(clickhouse, "华北", Scope.ADMIN)
    auth = bearer(admin)
    body = {**OPP, "updated_at": utcnow().isoformat()}
    assert client.put("/api/v1/opportunities/opp_9", json=body, headers=auth).status_code == 200
    now = utcnow()
    push(client, auth, [
        email(0),
        {"id": "m1", "opportunity_id": "opp_9", "type": "meeting", "held": True,
         "attendees": ["c_ceo", "c_buyer"], "occurred_at": (now - timedelta(days=3)).isoformat()},
        {"id": "m2", "opportunity_id": "opp_9", "type": "meeting", "held": False,
         "attendees": ["c_buyer"], "occurred_at": (now - timedelta(days=4)).isoformat()},
        {"id": "r1", "opportunity_id": "opp_9", "type": "proposal_revision",
         "occurred_at": (now - timedelta(days=5)).isoformat(), "subject": "方案 v2"},
    ])  # fmt: skip
    f = client.get("/api/v1/opportunities/opp_9/forecast", headers=auth).json()
    inputs = f["inputs"]
    assert set(inputs) == {
        "customer_initiated_contacts_30d",
        "decision_maker_attendance_rate_30d",
        "proposal_revisions_30d",
    }
    scores = {k: Decimal(v["score"]) for k, v in inputs.items()}
    # 1 contact → 40; the CEO at 1 of 1 held meetings (m2 not held) → 100; 1 revision → 50
    assert scores == {"customer_initiated_contacts_30d": 40, "decision_maker_attendance_rate_30d":
                      100, "proposal_revisions_30d": 50}  # fmt: skip
    assert [p["id"] for p in inputs["proposal_revisions_30d"]["proof"]] == ["r1"]
    assert Decimal(f["credibility_index"]) == Decimal("63.3") and not f["haircut_applied"]
    assert Decimal(f["adjusted_forecast"]) == Decimal(f["crm_forecast"]) == 1_200_000

    # the tenant makes contacts the only input, with a curve that lands on the boundary
    tuning = {"forecast": {"curve_customer_contacts": [[0, 0], [1, "59.9"], [2, 60]],
                           "weight_decision_maker_attendance": 0,
                           "weight_proposal_revisions": 0}}  # fmt: skip
    put = client.put("/api/v1/settings/scoring", json=tuning, headers=auth)
    assert put.status_code == 200, put.text
    f = client.get("/api/v1/opportunities/opp_9/forecast", headers=auth).json()
    assert Decimal(f["credibility_index"]) == Decimal("59.9") and f["haircut_applied"]
    assert Decimal(f["adjusted_forecast"]) == Decimal("840000")  # 2 000 000 × 0.6 × 0.7
    assert Decimal(f["inputs"]["proposal_revisions_30d"]["weight"]) == 0
    push(client, auth, [email(1)])
    f = client.get("/api/v1/opportunities/opp_9/forecast", headers=auth).json()
    assert Decimal(f["credibility_index"]) == Decimal("60.0") and not f["haircut_applied"]
    assert Decimal(f["adjusted_forecast"]) == 1_200_000

    # opt in to reading as a fourth input
    tuning["forecast"]["reading_as_input"] = True
    assert client.put("/api/v1/settings/scoring", json=tuning, headers=auth).status_code == 200
    f = client.get("/api/v1/opportunities/opp_9/forecast", headers=auth).json()
    assert "buyer_reading_30d" in f["inputs"] and f["buyer_reading"] == []

    # bad settings are refused with nothing stored
    for bad in ({"forecast": {"curve_customer_contacts": [[1, 0], [0, 10]]}},
                {"forecast": {"evidence_weights": {"stage_age": 1}}},
                {"forecast": {"credibility_threshold": "sixty"}}):  # fmt: skip
        refused = client.put("/api/v1/settings/scoring", json=bad, headers=auth)
        assert refused.status_code == 400, refused.text
    assert client.get("/api/v1/settings/scoring", headers=auth).json() == tuning

    # another tenant: 404 for the opportunity, its own defaults for its own deals
    miss = client.get("/api/v1/opportunities/opp_9/forecast", headers=bearer(other))
    assert miss.status_code == 404 and miss.json()["error"]["code"] == "opportunity_not_found"
    assert client.get("/api/v1/settings/scoring", headers=bearer(other)).json() == {}
