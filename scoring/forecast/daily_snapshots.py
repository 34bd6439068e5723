"""Daily forecast snapshots: every open deal's assessment written once a day (the input
of forecast calibration), publishing `BandChanged` when a deal's band moved since its
previous snapshot.

    record_snapshots      one tenant, as of now (live) or a past moment (backfill)
    snapshot_assessments  the open deals assessed as of a moment
    snapshot_job          the scheduled run over every tenant (runnable for one)
"""

from __future__ import annotations

import asyncio
from datetime import date, datetime

from scoring.forecast.snapshot_store import ForecastSnapshot, latest_bands, write_snapshots
from scoring.health.assess import Assessment, assess
from scoring.published import BandChanged, ScoringListener, publish_all
from scoring.tenant import load_tenant_scoring
from tracker.clock import utcnow
from tracker.config import Settings
from tracker.crm import tenants_with_opportunities
from tracker.scheduler import PeriodicJob
from tracker.stores import ClickHouse

__all__ = ["record_snapshots", "snapshot_assessments", "snapshot_job"]


def _snapshot(a: Assessment, day: date) -> ForecastSnapshot:
    f, e, h = a.features, a.evidence, a.health
    return ForecastSnapshot(
        as_of=day,
        opportunity_id=f.opportunity_id,
        owner=f.owner,
        manager=f.manager,
        stage=f.stage,
        amount=f.amount,
        crm_probability=e.crm_probability / 100,  # snapshots keep the model's 0–1
        calibrated_probability=e.calibrated_probability,
        credibility_index=float(e.credibility_index),
        health=h.value,
        band=h.band.value,
        failing_evidence=tuple(i.code for i in e.evidence if not i.holds),
        expected_close_date=f.expected_close_date,
        model_version=e.model_version,
    )


def snapshot_assessments(
    ch: ClickHouse, settings: Settings, tenant_id: str, as_of: datetime, *, live: bool
) -> list[Assessment]:
    """Open deals assessed as of `as_of` (historical ones without the live engagement score)."""
    scoring = load_tenant_scoring(ch, tenant_id, settings.scoring)
    found = assess(
        ch, scoring, tenant_id, None, as_of, now=utcnow(), with_engagement=live, open_only=True
    )
    return list(found.values())


async def record_snapshots(
    ch: ClickHouse,
    settings: Settings,
    tenant_id: str,
    *,
    as_of: datetime | None = None,
    listeners: tuple[ScoringListener, ...] = (),
) -> int:
    """Write the forecast snapshot of every open deal as of `as_of` (default now); for a live
    run, publish `BandChanged` for deals whose band differs from their previous snapshot."""
    at = as_of or utcnow()
    live = as_of is None
    found = await asyncio.to_thread(snapshot_assessments, ch, settings, tenant_id, at, live=live)
    day = at.date()
    if live and listeners:
        before = await asyncio.to_thread(latest_bands, ch, tenant_id, day)
        for a in found:
            prev, band = before.get(a.health.opportunity_id), a.health.band.value
            # a deal red at its first snapshot alerts like one that turned red
            first_red = prev is None and band == "red"
            if first_red or (prev is not None and prev != band):
                f = a.features
                change = BandChanged(
                    tenant_id=tenant_id,
                    opportunity_id=f.opportunity_id,
                    previous_band=prev or "",
                    band=band,
                    value=a.health.value,
                    owner=f.owner,
                    manager=f.manager,
                    actions=tuple(x.text for x in a.health.actions),
                    action_items=tuple(
                        x.model_dump(include={"code", "params", "text", "due_within_hours"})
                        for x in a.health.actions
                    ),
                    change_key=f"{a.health.opportunity_id}:{day}:{prev or 'new'}->{band}",
                )
                await publish_all(listeners, change)
    await asyncio.to_thread(write_snapshots, ch, tenant_id, [_snapshot(a, day) for a in found])
    return len(found)


def snapshot_job(
    ch: ClickHouse,
    settings: Settings,
    *,
    listeners: tuple[ScoringListener, ...] = (),
) -> PeriodicJob:
    """Daily forecast snapshots (and band changes published) for every tenant."""

    async def for_tenant(tenant_id: str) -> int:
        return await record_snapshots(ch, settings, tenant_id, listeners=listeners)

    async def run() -> int:
        tenants = await asyncio.to_thread(tenants_with_opportunities, ch)
        return sum([await for_tenant(t) for t in tenants])

    return PeriodicJob(
        "forecast-snapshots",
        settings.scoring.health.snapshot_interval_seconds,
        run,
        for_tenant=for_tenant,
    )
