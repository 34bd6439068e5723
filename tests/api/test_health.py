from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from api.app import create_app
from tracker.config import Settings
from tracker.stores.clickhouse import ClickHouse


def test_healthz_and_readyz_when_everything_is_up(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready"
    assert ready.json()["checks"] == {"clickhouse": "ok", "redis": "ok", "migrations": "ok"}


def test_readyz_names_redis_when_the_private_server_stops(
    settings: Settings, clickhouse: ClickHouse, tmp_path: Path
) -> None:
    private = settings.model_copy(update={"redis_url": None, "data_dir": tmp_path / "own"})
    with TestClient(create_app(private, run_background=False)) as client:
        assert client.get("/readyz").status_code == 200
        server = client.app.state.services.redis.server  # type: ignore[attr-defined]
        assert server is not None and (tmp_path / "own" / "redis" / "redis.sock").exists()
        server.stop()
        response = client.get("/readyz")
        assert response.status_code == 503
        assert response.json()["status"] == "not_ready"
        assert response.json()["failing"] == ["redis"]


def test_openapi_is_served(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    assert "/readyz" in client.get("/openapi.json").json()["paths"]


def test_background_loops_follow_the_setting(settings: Settings, clickhouse: ClickHouse) -> None:
    for background, expected in (
        (False, []),
        (True, ["writer", "webhooks", "scheduler", "renderers"]),
    ):
        shaped = settings.model_copy(update={"background": background})
        with TestClient(create_app(shaped)) as client:
            services = client.app.state.services  # type: ignore[attr-defined]
            assert [task.get_name() for task in services.background] == expected
