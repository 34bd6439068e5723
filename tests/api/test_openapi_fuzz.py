"""Schema-driven fuzzing of the whole REST API (schemathesis over `/openapi.json`): every
operation, with an admin key so requests get past authentication, cases generated from the
schema — valid and not — against the real app on chDB and Redis. No case may end in a 5xx.

Bounded for `make test` (DEALSIGNAL_FUZZ_EXAMPLES cases per operation, 10 by default, well
under a minute on 2 cores); `load_tests/README.md` has a longer run and its figures."""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, Phase, given, settings

from api.app import create_app
from tests.api.conftest import bearer
from tests.pdfs import proposal
from tracker.api_keys import create_api_key
from tracker.config import Settings
from tracker.stores.clickhouse import ClickHouse
from tracker.tenants import create_tenant
from tracker.types import Scope

EXAMPLES = int(os.environ.get("DEALSIGNAL_FUZZ_EXAMPLES", "10"))
STATUSES: Counter[int] = Counter()


@pytest.fixture(scope="module")
def fuzz_target(
    tmp_path_factory: pytest.TempPathFactory,
    session_clickhouse: ClickHouse,
    database: str,
    chdb_path: Path,
    redis_url: str,
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    """One app for the module (opening it per operation would cost more than the cases),
    a tenant with an admin key, a document, and its links."""
    from tests.conftest import empty_tables

    empty_tables(session_clickhouse)
    configured = Settings(
        data_dir=tmp_path_factory.mktemp("fuzz"),
        secret_keys=["fuzz-secret-key"],
        clickhouse_database=database,
        redis_url=redis_url,
        public_base_url="http://testserver",
        clickhouse_path=chdb_path,
    )
    with TestClient(create_app(configured, run_background=False)) as client:
        tenant = create_tenant(session_clickhouse, "fuzz")
        _, key = create_api_key(session_clickhouse, tenant.tenant_id, Scope.ADMIN)
        headers = bearer(key)
        files = {"file": ("p.pdf", proposal(2), "application/pdf")}
        doc = client.post("/api/v1/documents", headers=headers, files=files, data={"title": "P"})
        assert doc.status_code == 201, doc.text
        yield client, headers
    print(f"\nschemathesis cases by status: {dict(sorted(STATUSES.items()))}")


# The schema needs no stores: build it once at collection, one test per operation.
SCHEMA = schemathesis.openapi.from_dict(
    create_app(Settings(secret_keys=["schema-only"]), run_background=False).openapi()
)
OPERATIONS = {op.label: op for op in (result.ok() for result in SCHEMA.get_all_operations())}


@pytest.mark.parametrize("label", sorted(OPERATIONS))
def test_no_client_input_ends_in_a_5xx(
    label: str, fuzz_target: tuple[TestClient, dict[str, str]]
) -> None:
    client, headers = fuzz_target

    @given(case=OPERATIONS[label].as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
        derandomize=True,
        database=None,
    )
    def one_case(case: schemathesis.Case) -> None:
        kwargs = case.as_transport_kwargs(base_url="http://testserver", headers=headers)
        response = client.request(**kwargs)
        STATUSES[response.status_code] += 1
        assert response.status_code < 500, (
            f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:500]}"
        )

    one_case()
