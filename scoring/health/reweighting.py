"""The monthly re-weighting of the health pillars as a scheduled job (每月校准分层权重).

Due for a tenant from the 1st of each month (UTC) until a run is recorded that month —
whatever its outcome (applied, proposed, rejected, skipped), so a tenant with too few
outcomes is not refitted every hour. Runs under the scheduler's Redis lock; an admin runs
it now for their tenant over HTTP (`POST /api/v1/jobs/calibration/run`) while the server
runs, and the CLI (`dealsignal calibrate`) calls the same `calibrate` when it does not."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import datetime

from scoring.health.calibration import CalibrationResult, calibrate
from scoring.health.run_store import list_runs
from tracker.clock import utcnow
from tracker.config import Settings
from tracker.crm import tenants_with_opportunities
from tracker.scheduler import PeriodicJob
from tracker.stores import ClickHouse

__all__ = ["calibration_job", "monthly_due"]


def monthly_due(ch: ClickHouse, tenant_id: str, now: datetime) -> bool:
    """No run recorded yet in `now`'s month."""
    runs = list_runs(ch, tenant_id, limit=1)
    if not runs:
        return True
    last = runs[0].ran_at
    return (last.year, last.month) != (now.year, now.month)


def calibration_job(
    ch: ClickHouse, settings: Settings, *, clock: Callable[[], datetime] = utcnow
) -> PeriodicJob:
    async def for_tenant(tenant_id: str) -> CalibrationResult:
        return await asyncio.to_thread(calibrate, ch, tenant_id, settings, now=clock())

    async def run() -> int:
        ran = 0
        for tenant_id in await asyncio.to_thread(tenants_with_opportunities, ch):
            if await asyncio.to_thread(monthly_due, ch, tenant_id, clock()):
                await for_tenant(tenant_id)
                ran += 1
        return ran

    return PeriodicJob(
        "calibration",
        settings.scoring.calibration.interval_seconds,
        run,
        for_tenant=for_tenant,
        timeout_seconds=1800.0,
        tenant_cooldown_seconds=300.0,  # a fit costs minutes of CPU: not in a loop
    )
