"""POST /api/v1/payments (回款): validated at the edge (422 with a code, nothing written),
idempotent per external id, scoped by tenant."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import bearer, make_key
from tracker.stores.clickhouse import ClickHouse
from tracker.types import Scope

GOOD = {
    "external_id": "pay-001",
    "account": "华为技术",
    "opportunity_id": "opp_1",
    "amount": "120000.50",
    "currency": "CNY",
    "received_at": "2026-11-20T10:00:00+08:00",
}


def _rows(ch: ClickHouse, tenant: str) -> list[dict[str, object]]:
    return ch.query(
        f"SELECT payment_id, toFloat64(amount) AS amount FROM {ch.database}.payments FINAL "
        "WHERE tenant_id = {t:String}",
        {"t": tenant},
    )


def test_payments_are_recorded_once_per_external_id(
    client: TestClient, clickhouse: ClickHouse
) -> None:
    tenant, key = make_key(clickhouse, "Acme", Scope.CRM)
    other, other_key = make_key(clickhouse, "Other", Scope.CRM)
    for _ in range(2):
        sent = client.post("/api/v1/payments", headers=bearer(key), json={"items": [GOOD]})
        assert sent.status_code == 200 and sent.json()["accepted"] == 1
    assert _rows(clickhouse, tenant) == [{"payment_id": "pay-001", "amount": 120000.5}]
    assert _rows(clickhouse, other) == []
    del other_key


@pytest.mark.parametrize(
    "change",
    [{"amount": "0"}, {"amount": "-5"}, {"currency": "XXX"}, {"received_at": "2026-11-20T10:00"},
     {"external_id": "has space"}, {"account": ""}, {"surprise": 1}],
)  # fmt: skip
def test_bad_payments_are_422_and_nothing_is_written(
    client: TestClient, clickhouse: ClickHouse, change: dict[str, object]
) -> None:
    tenant, key = make_key(clickhouse, "Acme", Scope.CRM)
    bad = {**GOOD, "external_id": "pay-2", **change}
    sent = client.post("/api/v1/payments", headers=bearer(key), json={"items": [GOOD, bad]})
    assert sent.status_code == 422, sent.text
    assert sent.json()["error"]["code"] == "validation_error"
    assert _rows(clickhouse, tenant) == []


def test_managers_read_and_edit_the_forecast_rule_library(
    client: TestClient, clickhouse: ClickHouse
) -> None:
    _, key = make_key(clickhouse, "Acme", Scope.REPS)
    defaults = client.get("/api/v1/forecast/rules", headers=bearer(key)).json()
    assert {r["pattern"] for r in defaults} >= {"missing:close_date_pushes"}
    mine = [{"pattern": "lost:competitor", "treatment": "竞品介入：概率减半"}]
    assert client.put("/api/v1/forecast/rules", headers=bearer(key),
                      json={"rules": mine}).status_code == 200  # fmt: skip
    assert client.get("/api/v1/forecast/rules", headers=bearer(key)).json() == mine
    twice = client.put("/api/v1/forecast/rules", headers=bearer(key), json={"rules": mine * 2})
    assert twice.status_code == 400 and twice.json()["error"]["code"] == "duplicate_rule_pattern"
    bad = client.put("/api/v1/forecast/rules", headers=bearer(key),
                     json={"rules": [{"pattern": "DROP TABLE", "treatment": "x"}]})  # fmt: skip
    assert bad.status_code == 422
    assert client.get("/api/v1/forecast/rules", headers=bearer(key)).json() == mine
