"""The monthly re-weighting over HTTP while the server runs: an admin runs the job for their
tenant, reads the record of every run and approves proposals; too few outcomes is recorded
as skipped; other tenants and non-admins see nothing of it."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import bearer, make_key
from tests.api.test_health_api import seed
from tracker.stores.clickhouse import ClickHouse
from tracker.types import Scope


def test_an_admin_runs_the_re_weighting_and_reads_its_record(
    client: TestClient, clickhouse: ClickHouse
) -> None:
    tenant, admin = make_key(clickhouse, "Acme", Scope.ADMIN)
    _, other_admin = make_key(clickhouse, "Other", Scope.ADMIN)
    seed(clickhouse, tenant)  # one open deal: far too few outcomes to fit
    ran = client.post("/api/v1/jobs/calibration/run", headers=bearer(admin))
    assert ran.status_code == 200, ran.text
    (run,) = client.get("/api/v1/calibration/runs", headers=bearer(admin)).json()
    assert run["status"] == "skipped" and run["reason"].startswith("skipped: too few outcomes")
    assert run["outcomes"] == 0 and run["before_weights"]["relationship"] == 40.0
    assert client.get("/api/v1/calibration/runs", headers=bearer(other_admin)).json() == []
    refused = client.post(f"/api/v1/calibration/runs/{run['run_id']}/approve",
                          headers=bearer(admin), json={"by": "admin@acme.cn"})  # fmt: skip
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "calibration_not_proposed"
    missing = client.post("/api/v1/calibration/runs/nope/approve", headers=bearer(admin))
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "calibration_run_not_found"
    _, reps = make_key(clickhouse, "Acme reps", Scope.REPS)
    assert client.get("/api/v1/calibration/runs", headers=bearer(reps)).status_code == 403
    again = client.post("/api/v1/jobs/calibration/run", headers=bearer(admin))
    assert again.status_code == 429  # a fit costs minutes: not in a loop
