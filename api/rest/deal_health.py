"""Opportunity health, stalls, the forecast evidence chain and the forecasting reports.

    GET /api/v1/opportunities/{id}/health          crm or reps scope
    GET /api/v1/opportunities/{id}/forecast        the evidence chain; crm or reps
    GET /api/v1/forecast?period=&owner=            roll-up with P10/P50/P90; crm or reps
    GET /api/v1/stalls?status=&owner=              stall episodes (default open); crm or reps
    GET /api/v1/reports/forecast-calibration?period=     crm or reps
    GET /api/v1/reports/process-health?week=             crm or reps
    GET /api/v1/settings/scoring   ·   PUT /api/v1/settings/scoring     admin scope

Another tenant's opportunity (or an unknown one) is 404 `opportunity_not_found`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Path, Query
from pydantic import AwareDatetime, BaseModel, Field
from starlette.concurrency import run_in_threadpool

from api.rest.auth import AdminPrincipal, ReaderPrincipal
from api.rest.tenant_scoring import TenantScoringDep
from api.services import ServicesDep
from scoring import (
    CalibrationReport,
    ForecastEvidence,
    ForecastRollup,
    HealthResult,
    ProcessHealthReport,
    StallStatus,
    forecast_calibration,
    forecast_rollup,
    list_stalls,
    opportunity_evidence,
    opportunity_health,
    process_health,
)
from tracker.crm import CRM_ID_PATTERN
from tracker.errors import BadRequest
from tracker.scoring_settings import ScoringSettings, deployment_only_paths
from tracker.tenant_settings import put_tenant_settings, scoring_overrides

__all__ = ["router"]

router = APIRouter(prefix="/api/v1", tags=["health"])


OpportunityPath = Annotated[str, Path(pattern=CRM_ID_PATTERN)]
PeriodQuery = Annotated[str, Query(max_length=10, description="YYYY, YYYY-Qn, YYYY-MM or YYYY-Www")]
AsOf = Annotated[AwareDatetime | None, Query(description="point in time (default now)")]


@router.get("/opportunities/{opportunity_id}/health")
async def health(
    opportunity_id: OpportunityPath,
    principal: ReaderPrincipal,
    services: ServicesDep,
    scoring: TenantScoringDep,
    as_of: AsOf = None,
) -> HealthResult:
    return await opportunity_health(
        services.clickhouse, scoring, principal.tenant_id, opportunity_id, as_of=as_of
    )


@router.get("/opportunities/{opportunity_id}/forecast")
async def forecast_evidence(
    opportunity_id: OpportunityPath,
    principal: ReaderPrincipal,
    services: ServicesDep,
    scoring: TenantScoringDep,
    as_of: AsOf = None,
) -> ForecastEvidence:
    return await opportunity_evidence(
        services.clickhouse, scoring, principal.tenant_id, opportunity_id, as_of=as_of
    )


@router.get("/forecast")
async def forecast(
    principal: ReaderPrincipal,
    services: ServicesDep,
    scoring: TenantScoringDep,
    period: PeriodQuery,
    owner: Annotated[
        str | None, Query(max_length=254, description="a rep or manager email")
    ] = None,
) -> ForecastRollup:
    return await forecast_rollup(
        services.clickhouse, scoring, principal.tenant_id, period, owner=owner
    )


class StallOut(BaseModel):
    opportunity_id: str
    episode_id: str
    status: str
    rules: list[str]
    summary: str
    owner: str
    manager: str | None = Field(description="null when the CRM names no manager")
    onset_at: datetime
    detected_at: datetime
    last_activity_at: datetime | None
    cleared_at: datetime | None


@router.get("/stalls")
async def stalls(
    principal: ReaderPrincipal,
    services: ServicesDep,
    status: Literal["open", "cleared", "all"] = "open",
    owner: Annotated[str | None, Query(max_length=254)] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[StallOut]:
    found = await run_in_threadpool(
        list_stalls,
        services.clickhouse,
        principal.tenant_id,
        status=None if status == "all" else StallStatus(status),
        owner=owner,
        limit=limit,
    )
    return [
        StallOut(**{**s.__dict__, "rules": list(s.rules), "manager": s.manager or None})
        for s in found
    ]


@router.get("/reports/forecast-calibration")
async def calibration_report(
    principal: ReaderPrincipal, services: ServicesDep, period: PeriodQuery
) -> CalibrationReport:
    return await forecast_calibration(services.clickhouse, principal.tenant_id, period)


@router.get("/reports/process-health")
async def process_health_report(
    principal: ReaderPrincipal,
    services: ServicesDep,
    week: Annotated[str, Query(pattern=r"^\d{4}-W\d{2}$")],
) -> ProcessHealthReport:
    return await process_health(services.clickhouse, principal.tenant_id, week)


@router.get("/settings/scoring")
async def scoring_settings(principal: AdminPrincipal, services: ServicesDep) -> dict[str, Any]:
    """The tenant's overrides of the scoring defaults (those in force: never a deployment
    setting)."""
    return await run_in_threadpool(scoring_overrides, services.clickhouse, principal.tenant_id)


@router.put("/settings/scoring")
async def put_scoring_settings(
    principal: AdminPrincipal, services: ServicesDep, body: Annotated[dict[str, Any], Body()]
) -> dict[str, Any]:
    """Replace the tenant's overrides, nested by group as in `ScoringSettings`
    (`{"health": {"weight_relationship": 35}, "stall": {"inactivity_hours": 24}}`); unknown
    groups or names and deployment settings (cache lifetimes, batch sizes, job intervals,
    simulation counts, the warmer) are refused."""
    check_scoring_override(services.settings.scoring, body)
    await run_in_threadpool(
        put_tenant_settings, services.clickhouse, principal.tenant_id, "scoring", body
    )
    services.scoring.forget(principal.tenant_id)
    return body


def check_scoring_override(base: ScoringSettings, body: dict[str, Any]) -> None:
    groups = ScoringSettings.model_fields
    unknown = sorted(
        [g for g in body if g not in groups or not isinstance(body[g], dict)]
        + [
            f"{g}.{name}"
            for g, values in body.items()
            if g in groups and isinstance(values, dict)
            for name in values
            if name not in base.model_dump()[g]
        ]
    )
    if unknown:
        raise BadRequest("unknown scoring settings", code="unknown_setting", unknown=unknown)
    paths = {g for g in body} | {f"{g}.{n}" for g, v in body.items() for n in v}
    reserved = sorted(paths & deployment_only_paths())
    if reserved:
        raise BadRequest(
            "these settings belong to the deployment (DEALSIGNAL_SCORING__…), not a tenant",
            code="deployment_setting",
            reserved=reserved,
        )
    try:
        base.merged(body)
    except ValueError as exc:
        raise BadRequest(f"invalid scoring settings: {exc}", code="invalid_setting") from exc
