"""CRM push: idempotent, order-proof upserts; whole-batch validation; tenant isolation."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import bearer, make_key
from tracker.stores.clickhouse import ClickHouse
from tracker.types import Scope

OPP: dict[str, Any] = {
    "account": "华为技术有限公司",
    "amount": "1250000.50",
    "currency": "CNY",
    "stage": "proposal",
    "stage_entered_at": "2025-02-01T09:00:00+08:00",
    "expected_close_date": "2025-06-30",
    "probability": 40,
    "forecast_category": "best_case",
    "owner": "zhang.wei@seller.example",
    "manager": "li.na@seller.example",
    "contacts": [
        {"id": "c-wang", "name": "王总", "email": "wang@huawei.example", "role": "CTO",
         "is_decision_maker": True},
        {"id": "c-li", "name": "李工", "email": "li@huawei.example", "role": "架构师"},
    ],
    "updated_at": "2025-02-10T10:00:00Z",
    "account_employees": 200000,
    "payment_issues": False,
}  # fmt: skip


def opp(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(OPP)
    body.update(changes)
    return body


def rows(ch: ClickHouse, table: str, where: str = "1") -> int:
    return int(
        ch.query(f"SELECT count() AS n FROM {ch.database}.{table} FINAL WHERE {where}")[0]["n"]
    )


@pytest.fixture
def crm(clickhouse: ClickHouse) -> tuple[str, dict[str, str]]:
    tenant, key = make_key(clickhouse, "华南区", Scope.CRM)
    return tenant, bearer(key)


def test_put_is_idempotent_and_cjk_round_trips(
    client: TestClient, clickhouse: ClickHouse, crm: tuple[str, dict[str, str]]
) -> None:
    _, auth = crm
    first = client.put("/api/v1/opportunities/006-A1", json=OPP, headers=auth)
    second = client.put("/api/v1/opportunities/006-A1", json=OPP, headers=auth)
    assert first.status_code == second.status_code == 200, first.text
    # a re-send stores nothing new; only our receipt time moves
    assert {**first.json(), "received_at": None} == {**second.json(), "received_at": None}
    assert rows(clickhouse, "opportunities") == 1
    assert rows(clickhouse, "contacts") == 2
    got = client.get("/api/v1/opportunities/006-A1", headers=auth).json()
    assert got["account"] == "华为技术有限公司"
    assert got["amount"] == "1250000.5000" and got["currency"] == "CNY"
    assert [(c["name"], c["role"], c["is_decision_maker"]) for c in got["contacts"]] == [
        ("李工", "架构师", False),
        ("王总", "CTO", True),
    ]
    assert got["stage_entered_at"].startswith("2025-02-01T01:00:00")


def test_out_of_order_updates_keep_the_newest(
    client: TestClient, clickhouse: ClickHouse, crm: tuple[str, dict[str, str]]
) -> None:
    _, auth = crm
    newer = opp(
        stage="negotiation", updated_at="2025-02-12T00:00:00Z", contacts=[OPP["contacts"][0]]
    )
    older = opp(stage="discovery", updated_at="2025-02-11T00:00:00Z")
    assert client.put("/api/v1/opportunities/o1", json=newer, headers=auth).status_code == 200
    late = client.put("/api/v1/opportunities/o1", json=older, headers=auth)
    assert late.status_code == 200
    assert late.json()["stage"] == "negotiation"  # what is stored, not what was sent
    assert [c["id"] for c in late.json()["contacts"]] == ["c-wang"]  # newer payload's list
    batch = [{**older, "id": "o1"}, {**opp(), "id": "o2"}]
    assert client.post("/api/v1/opportunities:batch", json={"items": batch},
                       headers=auth).json() == {"accepted": 2}  # fmt: skip
    assert client.get("/api/v1/opportunities/o1", headers=auth).json()["stage"] == "negotiation"
    assert rows(clickhouse, "opportunities") == 2


@pytest.mark.parametrize(
    ("change", "error_type"),
    [
        ({"stage": "won_maybe"}, "enum"),
        ({"amount": "-5"}, "greater_than_equal"),
        ({"currency": "RMB"}, "unknown_currency"),
        ({"currency": "usd"}, "unknown_currency"),
        ({"probability": 101}, "less_than_equal"),
        ({"forecast_category": "upside"}, "enum"),
        ({"owner": "not-an-email"}, "string_pattern_mismatch"),
        ({"updated_at": "2025-02-10T10:00:00"}, "timezone_aware"),
        ({"surprise": 1}, "extra_forbidden"),
    ],
)
def test_invalid_batch_items_store_nothing(
    client: TestClient,
    clickhouse: ClickHouse,
    crm: tuple[str, dict[str, str]],
    change: dict[str, Any],
    error_type: str,
) -> None:
    _, auth = crm
    items = [{**opp(), "id": f"ok-{i}"} for i in range(5)] + [{**opp(**change), "id": "bad"}]
    response = client.post("/api/v1/opportunities:batch", json={"items": items}, headers=auth)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert error_type in [e["type"] for e in error["details"]["errors"]]
    assert rows(clickhouse, "opportunities") == 0 and rows(clickhouse, "contacts") == 0


def test_batch_limits_and_single_put_validation(
    client: TestClient, clickhouse: ClickHouse, crm: tuple[str, dict[str, str]]
) -> None:
    _, auth = crm
    items = [{**opp(), "id": f"o{i}"} for i in range(1001)]
    too_many = client.post("/api/v1/opportunities:batch", json={"items": items}, headers=auth)
    assert too_many.status_code == 400
    assert too_many.json()["error"]["code"] == "too_many_items"
    acts = [{"id": f"a{i}", "opportunity_id": "o1", "type": "note",
             "occurred_at": "2025-02-01T00:00:00Z"} for i in range(1001)]  # fmt: skip
    assert client.post("/api/v1/activities", json={"items": acts}, headers=auth).status_code == 400
    negative = client.put("/api/v1/opportunities/o1", json=opp(amount=-1), headers=auth)
    assert negative.status_code == 422
    bad_id = client.put("/api/v1/opportunities/has space", json=opp(), headers=auth)
    assert bad_id.status_code == 422
    assert rows(clickhouse, "opportunities") == 0 and rows(clickhouse, "activities") == 0
    assert client.post("/api/v1/opportunities:batch", json={"items": items[:1000]},
                       headers=auth).json() == {"accepted": 1000}  # fmt: skip


def test_activities_and_outcomes_are_idempotent(
    client: TestClient, clickhouse: ClickHouse, crm: tuple[str, dict[str, str]]
) -> None:
    _, auth = crm
    activities = [
        {"id": "m-1", "opportunity_id": "o1", "type": "meeting", "occurred_at":
         "2025-02-03T06:00:00Z", "attendees": ["c-wang", "c-li"], "subject": "方案评审",
         "customer_initiated": True},
        {"id": "s-1", "opportunity_id": "o1", "type": "stage_change", "occurred_at":
         "2025-02-04T06:00:00Z", "from_stage": "discovery", "to_stage": "proposal"},
        {"id": "d-1", "opportunity_id": "o1", "type": "close_date_change", "occurred_at":
         "2025-02-05T06:00:00Z", "old_close_date": "2025-05-31", "new_close_date": "2025-06-30"},
    ]  # fmt: skip
    for _ in range(2):
        response = client.post("/api/v1/activities", json={"items": activities}, headers=auth)
        assert response.json() == {"accepted": 3, "unmatched": ["o1"]}  # o1 never pushed
    assert rows(clickhouse, "activities") == 3
    subject = clickhouse.query(
        f"SELECT subject FROM {clickhouse.database}.activities FINAL WHERE activity_id = 'm-1'"
    )
    assert subject == [{"subject": "方案评审"}]
    broken = [{**activities[1], "to_stage": None}]
    response = client.post("/api/v1/activities", json={"items": broken}, headers=auth)
    assert response.status_code == 422
    unknown = [{**activities[0], "type": "lunch"}]
    assert (
        client.post("/api/v1/activities", json={"items": unknown}, headers=auth).status_code == 422
    )
    outcome = {"opportunity_id": "o1", "outcome": "won", "actual_amount": "990000",
               "currency": "CNY", "closed_at": "2025-03-01T00:00:00Z"}  # fmt: skip
    for _ in range(2):
        assert client.post("/api/v1/outcomes", json={"items": [outcome]}, headers=auth).json() == {
            "accepted": 1,
            "unmatched": ["o1"],
        }
    bad = {**outcome, "currency": "XXX"}
    assert client.post("/api/v1/outcomes", json={"items": [bad]}, headers=auth).status_code == 422
    assert rows(clickhouse, "outcomes") == 1


def test_tenant_isolation_and_scopes(
    client: TestClient, clickhouse: ClickHouse, crm: tuple[str, dict[str, str]]
) -> None:
    _, auth = crm
    _, other_key = make_key(clickhouse, "华北区", Scope.CRM)
    _, reps_key = make_key(clickhouse, "销售", Scope.REPS)
    _, admin_key = make_key(clickhouse, "管理", Scope.ADMIN)
    assert client.put("/api/v1/opportunities/o1", json=OPP, headers=auth).status_code == 200
    other = client.get("/api/v1/opportunities/o1", headers=bearer(other_key))
    assert other.status_code == 404 and other.json()["error"]["code"] == "opportunity_not_found"
    reps = client.put("/api/v1/opportunities/o1", json=OPP, headers=bearer(reps_key))
    assert reps.status_code == 403
    assert (
        client.put("/api/v1/opportunities/o9", json=OPP, headers=bearer(admin_key)).status_code
        == 200
    )
    assert client.get("/api/v1/opportunities/o9", headers=auth).status_code == 404
    # the other tenant's upsert of the same id is its own row
    changed = opp(account="腾讯", updated_at="2030-01-01T00:00:00Z")
    client.put("/api/v1/opportunities/o1", json=changed, headers=bearer(other_key))
    assert client.get("/api/v1/opportunities/o1", headers=auth).json()["account"] == OPP["account"]


def stored_activity(ch: ClickHouse, activity_id: str) -> dict[str, Any]:
    return ch.query(
        "SELECT activity_type, direction, customer_initiated, held, attendees, series_id "
        f"FROM {ch.database}.activities FINAL WHERE activity_id = {{id:String}}",
        {"id": activity_id},
    )[0]


def test_direction_held_tickets_and_revisions_round_trip(
    client: TestClient, clickhouse: ClickHouse, crm: tuple[str, dict[str, str]]
) -> None:
    _, auth = crm
    at = "2025-02-03T06:00:00Z"
    base = {"opportunity_id": "o1", "occurred_at": at}
    items = [
        {**base, "id": "e-in", "type": "email", "direction": "inbound", "subject": "询价"},
        {**base, "id": "e-out", "type": "email", "direction": "outbound"},
        {**base, "id": "c-old", "type": "call", "customer_initiated": True},  # the older form
        {**base, "id": "c-unknown", "type": "call"},
        {**base, "id": "m-held", "type": "meeting", "attendees": ["c-wang"], "held": True},
        {
            **base,
            "id": "m-missed",
            "type": "meeting",
            "attendees": ["c-wang"],
            "held": False,
            "series_id": "weekly-1",
        },
        {**base, "id": "t-1", "type": "service_request", "direction": "inbound"},
        {**base, "id": "r-1", "type": "proposal_revision", "subject": "报价单 v3"},
    ]
    response = client.post("/api/v1/activities", json={"items": items}, headers=auth)
    assert response.json()["accepted"] == len(items)
    got = {i["id"]: stored_activity(clickhouse, i["id"]) for i in items}
    assert (got["e-in"]["direction"], got["e-in"]["customer_initiated"]) == ("inbound", 1)
    assert (got["e-out"]["direction"], got["e-out"]["customer_initiated"]) == ("outbound", 0)
    assert (got["c-old"]["direction"], got["c-old"]["customer_initiated"]) == ("inbound", 1)
    assert (got["c-unknown"]["direction"], got["c-unknown"]["held"]) == ("", None)
    assert got["m-held"]["held"] == 1 and got["m-missed"]["held"] == 0
    assert got["m-held"]["attendees"] == ["c-wang"]
    assert (got["m-missed"]["series_id"], got["m-held"]["series_id"]) == ("weekly-1", "")
    assert got["t-1"]["activity_type"] == "service_request"
    assert got["r-1"]["activity_type"] == "proposal_revision"


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"type": "email", "direction": "sideways"}, "enum"),
        ({"type": "email", "held": True}, "held_not_a_meeting"),
        ({"type": "call", "series_id": "weekly-1"}, "series_not_a_meeting"),
        ({"type": "meeting", "series_id": "has space"}, "string_pattern_mismatch"),
        ({"type": "meeting", "held": "maybe"}, "bool_parsing"),
        ({"type": "email", "direction": "outbound", "customer_initiated": True},
         "conflicting_direction"),
        ({"type": "proposal_revision", "direction": "inbound"}, "direction_not_applicable"),
        ({"type": "meeting", "attendees": ["has space"]}, "string_pattern_mismatch"),
        ({"type": "meeting", "hosted_by": "c-wang"}, "extra_forbidden"),
    ],
)  # fmt: skip
def test_bad_direction_held_and_unknown_fields_are_refused_whole(
    client: TestClient,
    clickhouse: ClickHouse,
    crm: tuple[str, dict[str, str]],
    change: dict[str, Any],
    code: str,
) -> None:
    _, auth = crm
    good = {"id": "ok-1", "opportunity_id": "o1", "type": "call", "direction": "inbound",
            "occurred_at": "2025-02-03T06:00:00Z"}  # fmt: skip
    bad = {"id": "bad-1", "opportunity_id": "o1", "occurred_at": "2025-02-03T06:00:00Z", **change}
    response = client.post("/api/v1/activities", json={"items": [good, bad]}, headers=auth)
    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "validation_error"
    assert code in {e["type"] for e in body["details"]["errors"]}
    assert rows(clickhouse, "activities") == 0
