"""The API reference: a bearer scheme (the Authorize button) on every keyed operation, the
error body documented on every operation, and `Retry-After` on 429."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import bearer, make_key
from tracker.stores.clickhouse import ClickHouse
from tracker.types import Scope


def test_every_api_operation_declares_bearer_and_its_errors(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    scheme = spec["components"]["securitySchemes"]["apiKey"]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    assert spec["components"]["schemas"]["ErrorBody"]["examples"]
    operations = [
        (method, path, op)
        for path, ops in spec["paths"].items()
        if path.startswith("/api/v1/")
        for method, op in ops.items()
    ]
    assert len(operations) > 30
    for method, path, op in operations:
        assert {"apiKey": []} in op.get("security", []), (method, path)
        for status in ("400", "401", "403", "429"):
            body = op["responses"][status]["content"]["application/json"]["schema"]
            assert body["$ref"].endswith("/ErrorBody"), (method, path, status)
    assert "Retry-After" in operations[0][2]["responses"]["429"]["headers"]


def test_429_carries_retry_after(client: TestClient, clickhouse: ClickHouse) -> None:
    _, admin = make_key(clickhouse, "Acme", Scope.ADMIN)
    assert client.post("/api/v1/jobs/stalls/run", headers=bearer(admin)).status_code == 200
    again = client.post("/api/v1/jobs/stalls/run", headers=bearer(admin))
    assert again.status_code == 429
    wait = again.json()["error"]["details"]["retry_after_seconds"]
    assert again.headers["Retry-After"] == str(wait) and int(wait) >= 1


def test_missing_key_is_still_our_401(client: TestClient) -> None:
    response = client.get("/api/v1/documents")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "missing_api_key"
