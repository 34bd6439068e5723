"""Operators' "run it now" for the scheduled jobs (admin scope): stall detection, forecast
snapshots, notification pump, briefings, to-do clean-up. Same job, same lock as the
scheduler, so it never runs twice at once."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.auth import AdminPrincipal
from api.services import ServicesDep
from api.workers import make_scheduler

__all__ = ["router"]

router = APIRouter(prefix="/api/v1/jobs", tags=["operations"])


@router.get("", summary="The scheduled jobs")
async def list_jobs(principal: AdminPrincipal, services: ServicesDep) -> list[dict[str, Any]]:
    del principal
    return [
        {"name": job.name, "interval_seconds": job.interval_seconds}
        for job in make_scheduler(services).jobs
    ]


@router.post("/{name}/run", summary="Run a scheduled job now (all tenants)")
async def run_job(name: str, principal: AdminPrincipal, services: ServicesDep) -> dict[str, Any]:
    del principal
    await make_scheduler(services).run_now(name)
    return {"name": name, "ran": True}
