"""What a CRM integrator does first (issue 20): generate a client from the live `/openapi.json`
with a third-party generator (openapi-python-client, the venv's executable: no network) and
sync through it unmodified. Zero generator warnings; a short CRM sync — an upsert with a
`Decimal` amount and an aware datetime, activities, a full `/scores` sweep following cursors —
and one 401, 404 and 422 each parsed into the typed error model.

The only generator setting: `application/pdf` is read as bytes (the generator has no
built-in handling for that media type; the spec declares it as a binary string)."""

from __future__ import annotations

import importlib
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import make_key
from tracker.stores.clickhouse import ClickHouse
from tracker.types import Scope

PACKAGE = "dealsignal_generated_client"
CONFIG = """\
content_type_overrides:
  application/pdf: application/octet-stream
post_hooks: []
"""


@pytest.fixture
def generated(client: TestClient, tmp_path: Path) -> Iterator[ModuleType]:
    (tmp_path / "openapi.json").write_text(json.dumps(client.get("/openapi.json").json()))
    (tmp_path / "config.yaml").write_text(CONFIG)
    generator = Path(sys.executable).with_name("openapi-python-client")
    run = subprocess.run(
        [
            str(generator), "generate", "--path", "openapi.json", "--config", "config.yaml",
            "--meta", "none", "--output-path", PACKAGE,
        ],
        cwd=tmp_path, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    output = run.stdout + run.stderr
    assert run.returncode == 0, output
    assert "warning" not in output.lower(), output
    sys.path.insert(0, str(tmp_path))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == PACKAGE or m.startswith(PACKAGE + ".")]:
            del sys.modules[name]


def _module(name: str) -> Any:
    return importlib.import_module(f"{PACKAGE}.{name}")


def test_a_crm_syncs_through_a_client_generated_from_the_live_spec(
    generated: ModuleType, client: TestClient, clickhouse: ClickHouse
) -> None:
    models = _module("models")
    upsert, get_opportunity = (
        _module("api.crm.upsert_opportunity"),
        _module("api.crm.get_opportunity"),
    )
    push_activities, list_scores = (
        _module("api.crm.push_activities"),
        _module("api.scores.list_scores"),
    )
    _, key = make_key(clickhouse, "生成的客户端", Scope.CRM)
    api = generated.Client(base_url=str(client.base_url), raise_on_unexpected_status=True)
    api.set_httpx_client(client)

    client.headers.pop("Authorization", None)
    unauthenticated = get_opportunity.sync_detailed("o-1", client=api)
    assert unauthenticated.status_code == 401
    assert isinstance(unauthenticated.parsed.error, models.Error)
    assert unauthenticated.parsed.error.code == "missing_api_key"
    client.headers["Authorization"] = f"Bearer {key}"

    def opportunity(amount: Decimal, updated_at: datetime) -> Any:
        return models.OpportunityIn(
            account="华为技术有限公司", amount=str(amount), currency="CNY",
            stage=models.Stage.PROPOSAL, probability=40,
            forecast_category=models.ForecastCategory.COMMIT, owner="rep@seller.example",
            updated_at=updated_at,
            contacts=[models.ContactIn(id="c-wang", name="王总", is_decision_maker=True)],
        )  # fmt: skip

    aware = datetime(2026, 11, 30, 9, 30, tzinfo=UTC)
    for n in range(5):
        stored = upsert.sync(f"o-{n}", client=api, body=opportunity(Decimal("125000.50"), aware))
        assert isinstance(stored, models.OpportunityOut)
    assert Decimal(stored.amount) == Decimal("125000.50") and stored.stage is models.Stage.PROPOSAL
    assert stored.updated_at == aware and stored.manager is None
    assert stored.contacts[0].email is None

    meeting = models.ActivityIn(
        id="m-1", opportunity_id="o-1", type_=models.ActivityType.MEETING, occurred_at=aware,
        attendees=["c-wang"], held=True,
    )  # fmt: skip
    early = models.ActivityIn(
        id="e-1", opportunity_id="o-later", type_=models.ActivityType.EMAIL, occurred_at=aware,
        direction=models.Direction.INBOUND,
    )  # fmt: skip
    recorded = push_activities.sync(client=api, body=models.ActivityBatch(items=[meeting, early]))
    assert (recorded.accepted, recorded.unmatched) == (2, ["o-later"])

    seen, cursor, pages = [], None, 0
    while True:
        page = list_scores.sync(client=api, limit=2, **({"cursor": cursor} if cursor else {}))
        assert isinstance(page, models.ScoresPage) and page.watermark.tzinfo is not None
        seen += [item.opportunity_id for item in page.items]
        pages += 1
        if not page.next_cursor:
            break
        cursor = page.next_cursor
    assert sorted(seen) == [f"o-{n}" for n in range(5)] and pages == 3

    missing = get_opportunity.sync_detailed("o-never", client=api)
    assert missing.status_code == 404 and missing.parsed.error.code == "opportunity_not_found"
    naive = opportunity(Decimal("1.5"), datetime(2026, 11, 30, 9, 30))  # no offset
    refused = upsert.sync_detailed("o-naive", client=api, body=naive)
    assert refused.status_code == 422 and isinstance(refused.parsed, models.ErrorBody)
    assert refused.parsed.error.code == "validation_error"
    problems = refused.parsed.error.details.additional_properties["errors"]
    assert problems[0]["type"] == "timezone_aware" and problems[0]["loc"][-1] == "updated_at"
