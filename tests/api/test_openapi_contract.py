"""The API contract in `/openapi.json` (issue 20): a valid OpenAPI document; every operation
named by the domain rule and declaring, per status it can answer with, the one error body and
the codes it carries (read off the error hierarchy); money, probabilities, times and enums as
the schemas say; unknown opportunities reported, not silently swallowed; a full last page of
the score sweep ends without a cursor."""

from __future__ import annotations

import gc
from decimal import Decimal
from typing import Any, ClassVar

import jsonschema
import pytest
from fastapi.testclient import TestClient
from openapi_spec_validator import validate

from api.contract import OPERATION_ID_RULE, codes_by_status
from tests.api.conftest import bearer, make_key
from tests.api.test_crm import opp
from tracker.errors import NotFound
from tracker.stores.clickhouse import ClickHouse
from tracker.types import Scope


def _operations(spec: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m, p, op) for p, ops in spec["paths"].items() for m, op in ops.items()]


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """`schema` with the document's components, for jsonschema."""
    return {**schema, "components": spec["components"]}


def test_the_spec_is_valid_and_every_operation_declares_its_contract(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    validate(spec)
    schemas = spec["components"]["schemas"]
    assert {"Error", "ErrorBody"} <= set(schemas)
    assert not {"HTTPValidationError", "ValidationError"} & set(schemas)
    assert not [name for name in schemas if "__" in name]  # no two models share a name
    ids = [op["operationId"] for _, _, op in _operations(spec)]
    assert len(ids) == len(set(ids))
    assert [i for i in ids if not OPERATION_ID_RULE.match(i)] == []
    assert {"upsertOpportunity", "pushActivities", "listScores", "getEngagement"} <= set(ids)
    for method, path, op in _operations(spec):
        if not path.startswith("/api/v1/"):
            continue
        assert set(op["x-required-scopes"]) <= {"reps", "crm", "admin"}, (method, path)
        declared = {int(s) for s in op["responses"] if s[0] in "45"}
        wanted = {400, 401, 403, 429, 500, 503}
        wanted |= {404} if "{" in path or "requestBody" in op else set()
        wanted |= {413} if "requestBody" in op else set()
        wanted |= {422} if op.get("parameters") or "requestBody" in op else set()
        assert wanted <= declared, (method, path, wanted - declared)
        for status in declared:
            response = op["responses"][str(status)]
            ref = response["content"]["application/json"]["schema"]["$ref"]
            assert ref == "#/components/schemas/ErrorBody", (method, path, status)
            assert response["x-error-codes"] == list(codes_by_status()[status])
    upsert = spec["paths"]["/api/v1/opportunities/{opportunity_id}"]["put"]["responses"]
    assert "opportunity_not_found" in upsert["404"]["x-error-codes"]
    assert "validation_error" in upsert["422"]["x-error-codes"]
    scores = spec["paths"]["/api/v1/scores"]["get"]
    assert scores["x-required-scopes"] == ["crm"] and "`crm` scope" in scores["description"]
    assert "next_cursor" in scores["description"] and "watermark" in scores["description"]
    assert "insufficient_scope" in upsert["403"]["x-error-codes"]
    pdf = spec["paths"]["/api/v1/links/{link_id}/pdf"]["get"]["responses"]["200"]["content"]
    assert pdf == {"application/pdf": {"schema": {"type": "string", "format": "binary"}}}
    assert "| 404 |" in spec["info"]["description"]  # the code list of /docs and /redoc


def test_a_new_error_class_shows_up_in_the_spec_by_itself() -> None:
    class QuoteNotFound(NotFound):
        code: ClassVar[str] = "quote_not_found"

    QuoteNotFound.__module__ = "tracker.crm.quotes"  # as if defined where errors live
    codes_by_status.cache_clear()
    try:
        assert "quote_not_found" in codes_by_status()[404]
    finally:
        del QuoteNotFound
        gc.collect()
        codes_by_status.cache_clear()


def test_money_probability_time_enums_and_nulls_on_the_wire(
    client: TestClient, clickhouse: ClickHouse
) -> None:
    _, key = make_key(clickhouse, "合约", Scope.CRM)
    auth = bearer(key)
    spec = client.get("/openapi.json").json()
    schemas = spec["components"]["schemas"]
    amount = schemas["OpportunityIn"]["properties"]["amount"]
    assert amount["type"] == "string" and "4 decimals" in amount["description"]
    assert amount["pattern"] == r"^(0|[1-9][0-9]{0,13})(\.[0-9]{1,4})?$"
    updated = schemas["OpportunityIn"]["properties"]["updated_at"]
    assert updated["format"] == "date-time" and updated["pattern"].endswith("[0-9]{2})$")
    closed = schemas["OutcomeIn"]["properties"]["closed_at"]
    assert "offset" in closed["description"]
    out = schemas["OpportunityOut"]["properties"]
    assert out["amount"]["type"] == "string" and out["stage"] == {
        "$ref": "#/components/schemas/Stage"
    }
    assert out["probability"]["maximum"] == 100
    body = opp(manager=None, amount="125000.50", probability=35)
    body["contacts"][1].pop("email")
    stored = client.put("/api/v1/opportunities/o-wire", json=body, headers=auth).json()
    assert (stored["amount"], stored["probability"], stored["stage"]) == (
        "125000.5000",
        35,
        "proposal",
    )
    emails = {c["id"]: c["email"] for c in stored["contacts"]}
    assert stored["manager"] is None and emails == {"c-wang": "wang@huawei.example", "c-li": None}
    jsonschema.validate(stored, _resolve(spec, {"$ref": "#/components/schemas/OpportunityOut"}))
    for bad, error in (
        (0.1 + 0.2, "decimal_max_places"),  # a float: more than 4 decimals
        ("1e5", "money_format"),
        ("12.34567", "decimal_max_places"),
    ):
        refused = client.put("/api/v1/opportunities/o-x", json=opp(amount=bad), headers=auth)
        assert refused.status_code == 422
        errors = refused.json()["error"]["details"]["errors"]
        assert [e["type"] for e in errors] == [error]
        jsonschema.validate(
            refused.json(), _resolve(spec, {"$ref": "#/components/schemas/ErrorBody"})
        )
    naive = client.put(
        "/api/v1/opportunities/o-x", json=opp(updated_at="2025-02-10T10:00:00"), headers=auth
    )
    assert naive.status_code == 422
    assert naive.json()["error"]["details"]["errors"][0]["type"] == "timezone_aware"
    assert Decimal(str(0.1 + 0.2)) != Decimal("0.3")  # why floats are refused, not rounded


@pytest.mark.parametrize(
    ("path", "item"),
    [
        ("/api/v1/activities",
         {"id": "a-1", "type": "email", "occurred_at": "2025-02-03T06:00:00Z"}),
        (
            "/api/v1/outcomes",
            {"outcome": "won", "actual_amount": "10.5", "currency": "CNY",
             "closed_at": "2025-03-01T00:00:00Z"},
        ),
        (
            "/api/v1/payments",
            {"external_id": "pay-1", "account": "某公司", "amount": "10.5", "currency": "CNY",
             "received_at": "2025-03-01T00:00:00+08:00"},
        ),
    ],
)  # fmt: skip
def test_items_for_an_unknown_opportunity_are_reported_unmatched(
    client: TestClient, clickhouse: ClickHouse, path: str, item: dict[str, Any]
) -> None:
    _, key = make_key(clickhouse, "未知", Scope.CRM)
    auth = bearer(key)
    assert client.put("/api/v1/opportunities/o-known", json=opp(), headers=auth).status_code == 200
    items = [{**item, "opportunity_id": "o-known"}, {**item, "opportunity_id": "o-ghost"}]
    if "id" in item:
        items[1]["id"] = "a-2"
    if "external_id" in item:
        items[1]["external_id"] = "pay-2"
    sent = client.post(path, json={"items": items}, headers=auth)
    assert sent.status_code == 200
    assert sent.json() == {"accepted": 2, "unmatched": ["o-ghost"]}


def test_a_full_last_page_of_the_score_sweep_has_no_cursor(
    client: TestClient, clickhouse: ClickHouse
) -> None:
    _, key = make_key(clickhouse, "翻页", Scope.CRM)
    auth = bearer(key)
    for n in range(4):
        assert (
            client.put(f"/api/v1/opportunities/o-{n}", json=opp(), headers=auth).status_code == 200
        )
    first = client.get("/api/v1/scores", params={"limit": 2}, headers=auth).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    last = client.get(
        "/api/v1/scores", params={"limit": 2, "cursor": first["next_cursor"]}, headers=auth
    ).json()
    assert [i["opportunity_id"] for i in last["items"]] == ["o-2", "o-3"]
    assert last["next_cursor"] is None  # exactly full, and nothing after it
