from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from api.app import create_app
from tracker.api_keys import create_api_key
from tracker.config import Settings
from tracker.stores.clickhouse import ClickHouse
from tracker.tenants import create_tenant
from tracker.types import Scope


@pytest.fixture
def client(settings: Settings, clickhouse: ClickHouse) -> Iterator[TestClient]:
    """The real app on the test's chDB database and the machine's Redis."""
    with TestClient(create_app(settings, run_background=False)) as test_client:
        yield test_client


def make_key(ch: ClickHouse, tenant_name: str, scope: Scope) -> tuple[str, str]:
    tenant = create_tenant(ch, tenant_name)
    _, plaintext = create_api_key(ch, tenant.tenant_id, scope)
    return tenant.tenant_id, plaintext


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}
