"""Admins' "run it now" for the scheduled jobs: stall detection, forecast snapshots,
briefings, to-do clean-up — for the admin's own tenant only (an admin of one tenant never
triggers work for another; the schedule for everyone is unchanged). Same job, same lock as
the scheduler, so it never runs twice at once (409 `job_running`); at most once per job and
tenant per cooldown (30 s by default; 429 `job_cooldown`), so a loop of them cannot crowd
out the run for everyone. Jobs that cannot be split by tenant (the notification pump, the
score warmer) are 400 `job_not_tenant_scoped`. Operators run a job for every tenant from the
scheduler itself."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from api.rest.auth import AdminPrincipal
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


@router.post("/{name}/run", summary="Run a scheduled job now for your tenant")
async def run_job(name: str, principal: AdminPrincipal, services: ServicesDep) -> dict[str, Any]:
    await make_scheduler(services).run_now(name, tenant_id=principal.tenant_id)
    return {"name": name, "ran": True}
