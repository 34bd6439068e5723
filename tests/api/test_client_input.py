"""Client input that used to end in a 500: forged cursors with out-of-range milliseconds,
periods beyond the calendar, SMTP ports that are not numbers. Each is now a 400 with a
machine-readable code."""

from __future__ import annotations

import base64

import orjson
import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import bearer, make_key
from tracker.config import Settings
from tracker.stores.clickhouse import ClickHouse
from tracker.types import Scope


def _cursor(fields: dict[str, object]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(fields)).decode().rstrip("=")


@pytest.mark.parametrize(
    "fields",
    [
        {"a": "", "s": None, "w": 10**16},
        {"a": "", "s": None, "w": -(10**16)},
        {"a": "", "s": 10**18, "w": 0},
        {"a": "", "s": -(2**62), "w": 0},
        {"a": "x", "s": 2**63 - 1, "w": 2**63 - 1},
    ],
)
def test_out_of_range_cursor_milliseconds_are_a_400(
    client: TestClient, clickhouse: ClickHouse, fields: dict[str, object]
) -> None:
    _, key = make_key(clickhouse, "acme", Scope.CRM)
    response = client.get("/api/v1/scores", params={"cursor": _cursor(fields)}, headers=bearer(key))
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_cursor"


@pytest.mark.parametrize(
    ("path", "period"),
    [
        ("/api/v1/forecast", "9999-Q4"),
        ("/api/v1/forecast", "0000"),
        ("/api/v1/forecast", "9999-12"),
        ("/api/v1/forecast", "9999-W52"),
        ("/api/v1/reports/forecast-calibration", "9999"),
        ("/api/v1/reports/forecast-calibration", "0000-Q1"),
    ],
)
def test_periods_beyond_the_calendar_are_a_400(
    client: TestClient, clickhouse: ClickHouse, path: str, period: str
) -> None:
    _, key = make_key(clickhouse, "acme", Scope.CRM)
    response = client.get(path, params={"period": period}, headers=bearer(key))
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_period"


def test_a_period_in_range_still_works(client: TestClient, clickhouse: ClickHouse) -> None:
    _, key = make_key(clickhouse, "acme", Scope.CRM)
    response = client.get("/api/v1/forecast", params={"period": "2026-Q4"}, headers=bearer(key))
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("port", ["abc", [1], 1e400, True, {"p": 1}, "", -1, 70000])
def test_smtp_ports_that_are_not_ports_are_a_400(
    client: TestClient, clickhouse: ClickHouse, settings: Settings, port: object
) -> None:
    settings.webhooks.allow_private = ["127.0.0.1"]
    _, key = make_key(clickhouse, "acme", Scope.ADMIN)
    smtp = {"host": "127.0.0.1", "port": port, "sender": "a@acme.test", "security": "none"}
    body = orjson.dumps({"kind": "email", "smtp": smtp}, option=orjson.OPT_SERIALIZE_NUMPY)
    if port == 1e400:  # JSON has no infinity literal; a client sends the huge number
        body = body.replace(b"null", b"1e400")
    response = client.post(
        "/api/v1/notifications/channels",
        content=body,
        headers={**bearer(key), "content-type": "application/json"},
    )
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_smtp_config"


@pytest.mark.parametrize(
    "moment", ["1969-12-31T23:59:59+00:00", "0001-01-01T00:00:00+00:00", "2999-01-01T00:00:00Z"]
)
def test_crm_times_outside_what_the_stores_hold_are_a_422(
    client: TestClient, clickhouse: ClickHouse, moment: str
) -> None:
    """Found by the schema fuzzer: a 1969 activity time overflowed the entity version."""
    _, key = make_key(clickhouse, "acme", Scope.CRM)
    item = {"id": "a-1", "opportunity_id": "o-1", "type": "meeting", "occurred_at": moment}
    response = client.post("/api/v1/activities", json={"items": [item]}, headers=bearer(key))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "validation_error"
