"""Operations: one JSON access-log line per request (request id, tenant, route template,
status, latency), HTTP metrics by route, no `flagged_total{reason="none"}`, and /metrics
and /docs restricted by setting."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import orjson
import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from api.log_format import ConsoleFormatter, JsonFormatter
from api.log_redaction import RedactingFilter
from tests.api.conftest import bearer, make_key
from tracker.config import Settings
from tracker.stores.clickhouse import ClickHouse
from tracker.types import Scope


@pytest.fixture
def access_lines() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    logger = logging.getLogger("dealsignal.access")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield stream
    logger.removeHandler(handler)


def test_one_json_line_per_request_with_id_tenant_route_status_latency(
    client: TestClient, clickhouse: ClickHouse, access_lines: io.StringIO
) -> None:
    tenant, key = make_key(clickhouse, "acme", Scope.CRM)
    response = client.get(
        "/api/v1/opportunities/opp-9/engagement",
        headers={**bearer(key), "X-Request-ID": "req-abc-12345"},
    )
    assert response.headers["x-request-id"] == "req-abc-12345"
    client.get("/v/WyJ0ZW5fQSIsImxua18xIl0.secret-signature")  # a buyer's token in the path
    first, second = (orjson.loads(line) for line in access_lines.getvalue().splitlines())
    assert first["request_id"] == "req-abc-12345" and first["tenant"] == tenant
    assert first["route"] == "/api/v1/opportunities/{opportunity_id}/engagement"
    assert first["status"] == response.status_code and first["latency_ms"] > 0
    assert first["level"] == "info" and first["logger"] == "dealsignal.access"
    assert second["route"] == "/v/{token}" and "secret-signature" not in str(second)
    assert len(second["request_id"]) == 16 and second["tenant"] == ""


def test_console_mode_is_readable() -> None:
    record = logging.LogRecord("dealsignal.access", logging.INFO, "", 0, "GET %s", ("/x",), None)
    record.route, record.status = "/x", 200
    line = ConsoleFormatter().format(record)
    assert "INFO" in line and "GET /x" in line and "route=/x status=200" in line


def test_http_metrics_by_route_and_no_flagged_none_series(
    client: TestClient, clickhouse: ClickHouse
) -> None:
    _, key = make_key(clickhouse, "acme", Scope.CRM)
    status = client.get("/api/v1/opportunities/opp-1/engagement", headers=bearer(key))
    text = client.get("/metrics").text
    assert (
        'dealsignal_http_requests_total{method="GET",'
        f'route="/api/v1/opportunities/{{opportunity_id}}/engagement",status="{status.status_code}"}}'
    ) in text
    assert 'dealsignal_http_request_seconds_bucket{le="0.005",method="GET"' in text
    assert 'flagged_total{reason="none"}' not in text
    assert 'dealsignal_ingest_events_flagged_total{reason="bot_user_agent"}' in text


def test_metrics_and_docs_can_be_closed(settings: Settings, clickhouse: ClickHouse) -> None:
    closed = settings.model_copy(
        update={"docs_enabled": False, "metrics_allow_from": ["10.0.0.0/8"]}
    )
    with TestClient(create_app(closed, run_background=False)) as client:
        assert client.get("/metrics").status_code == 403
        for path in ("/docs", "/redoc", "/openapi.json"):
            assert client.get(path).status_code == 404
    with TestClient(create_app(settings, run_background=False)) as client:
        assert client.get("/metrics").status_code == 200
        assert client.get("/openapi.json").status_code == 200
