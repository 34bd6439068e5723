"""The monthly re-weighting's record and approvals (admins): every run with its weights
before, fitted and after the guardrails, sample size, metrics and outcome; a proposed run
(tenant setting `calibration.auto_apply` off) is applied when an admin approves it. Running
it now is `POST /api/v1/jobs/calibration/run`."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body
from starlette.concurrency import run_in_threadpool

from api.rest.auth import AdminPrincipal
from api.services import ServicesDep
from scoring import approve_run, list_runs

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/calibration", tags=["scoring"])


@router.get("/runs", summary="Every re-weighting run of your tenant, newest first")
async def runs(principal: AdminPrincipal, services: ServicesDep) -> list[dict[str, Any]]:
    found = await run_in_threadpool(list_runs, services.clickhouse, principal.tenant_id)
    return [r.as_json() for r in found]


@router.post("/runs/{run_id}/approve", summary="Apply a proposed re-weighting")
async def approve(
    run_id: str,
    principal: AdminPrincipal,
    services: ServicesDep,
    by: Annotated[str, Body(embed=True, max_length=254)] = "",
) -> dict[str, Any]:
    run = await run_in_threadpool(
        approve_run, services.clickhouse, principal.tenant_id, run_id, by or principal.key_id
    )
    services.scoring.forget(principal.tenant_id)
    return run.as_json()
