"""Health, evidence and forecast services for the API and the scheduler.

    opportunity_health / opportunity_evidence   one opportunity, now (or as of a moment)
    forecast_rollup      open deals expected to close in a period plus deals already won
                         in it, per rep, team (manager) and in total, per currency, with
                         P10/P50/P90 of won revenue from a seeded Monte Carlo where each open
                         deal is won with its calibrated probability
    record_snapshots     today's forecast snapshot of every open deal (calibration input),
                         emitting `health.changed` when a deal's band moved; `snapshot_job`
                         schedules it

Periods: `2025` · `2025-Q1` · `2025-03` · `2025-W10` (ISO week)."""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from datetime import date, datetime, timedelta

import redis.asyncio as aioredis
from pydantic import BaseModel

from scoring.evidence import ForecastEvidence
from scoring.health import Assessment, HealthResult, assess, load_tenant_scoring
from scoring.montecarlo import simulate_totals
from tracker.clickhouse import ClickHouse
from tracker.clock import utcnow
from tracker.config import Settings
from tracker.errors import BadRequest, NotFound
from tracker.forecast_snapshots import (
    ForecastSnapshot,
    latest_bands,
    won_in_period,
    write_snapshots,
)
from tracker.notify import Notifier, notify_health_red
from tracker.scheduler import PeriodicJob
from tracker.stalls import tenants_with_opportunities
from tracker.webhooks import WebhookEmitter

__all__ = [
    "ForecastRollup",
    "RollupLine",
    "forecast_rollup",
    "opportunity_evidence",
    "opportunity_health",
    "parse_period",
    "record_snapshots",
    "snapshot_assessments",
    "snapshot_job",
]


def parse_period(text: str) -> tuple[date, date]:
    """[start, end) of a year, quarter, month or ISO week."""
    if m := re.fullmatch(r"(\d{4})", text):
        y = int(m[1])
        return date(y, 1, 1), date(y + 1, 1, 1)
    if m := re.fullmatch(r"(\d{4})-Q([1-4])", text):
        y, q = int(m[1]), int(m[2])
        return date(y, 3 * q - 2, 1), date(y + q // 4, (3 * q) % 12 + 1, 1)
    if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
        y, mo = int(m[1]), int(m[2])
        if 1 <= mo <= 12:
            return date(y, mo, 1), date(y + mo // 12, mo % 12 + 1, 1)
    if m := re.fullmatch(r"(\d{4})-W(\d{2})", text):
        try:
            start = date.fromisocalendar(int(m[1]), int(m[2]), 1)
        except ValueError:
            pass
        else:
            return start, start + timedelta(days=7)
    raise BadRequest(
        "period must be YYYY, YYYY-Qn, YYYY-MM or YYYY-Www", code="invalid_period", period=text
    )


def _one(
    ch: ClickHouse, settings: Settings, tenant_id: str, opportunity_id: str, as_of: datetime | None
) -> Assessment:
    scoring = load_tenant_scoring(ch, tenant_id, settings.scoring)
    now = utcnow()
    found = assess(ch, scoring, tenant_id, [opportunity_id], as_of or now, now=now)
    if opportunity_id not in found:
        raise NotFound("unknown opportunity", code="opportunity_not_found")
    return found[opportunity_id]


async def opportunity_health(
    ch: ClickHouse,
    settings: Settings,
    tenant_id: str,
    opportunity_id: str,
    *,
    as_of: datetime | None = None,
) -> HealthResult:
    return (await asyncio.to_thread(_one, ch, settings, tenant_id, opportunity_id, as_of)).health


async def opportunity_evidence(
    ch: ClickHouse,
    settings: Settings,
    tenant_id: str,
    opportunity_id: str,
    *,
    as_of: datetime | None = None,
) -> ForecastEvidence:
    return (await asyncio.to_thread(_one, ch, settings, tenant_id, opportunity_id, as_of)).evidence


class RollupLine(BaseModel):
    scope: str  # total | team | rep
    key: str
    currency: str
    open_deals: int
    won_deals: int
    won: float
    crm_forecast: float
    adjusted_forecast: float
    expected: float
    p10: float
    p50: float
    p90: float


class ForecastRollup(BaseModel):
    period: str
    start: date
    end: date
    owner: str | None
    simulations: int
    seed: int
    lines: list[RollupLine]
    model_version: str
    as_of: datetime


def _rollup(
    ch: ClickHouse, settings: Settings, tenant_id: str, period: str, owner: str | None
) -> ForecastRollup:
    start, end = parse_period(period)
    scoring = load_tenant_scoring(ch, tenant_id, settings.scoring)
    now = utcnow()
    found = assess(
        ch, scoring, tenant_id, None, now, now=now, with_engagement=False, open_only=True
    )

    def mine(o: str, m: str) -> bool:
        return owner is None or owner in (o, m)

    deals = [
        a
        for a in found.values()
        if a.features.expected_close_date is not None
        and start <= a.features.expected_close_date < end
        and mine(a.features.owner, a.features.manager)
    ]
    won_rows = [
        r for r in won_in_period(ch, tenant_id, start, end) if mine(r["owner"], r["manager"])
    ]
    groups: dict[tuple[str, str, str], list[int]] = defaultdict(list)
    won: dict[tuple[str, str, str], tuple[float, int]] = defaultdict(lambda: (0.0, 0))
    for i, a in enumerate(deals):
        f = a.features
        for key in (
            ("total", "", f.currency),
            ("team", f.manager, f.currency),
            ("rep", f.owner, f.currency),
        ):
            groups[key].append(i)
    for r in won_rows:
        for key in (
            ("total", "", r["currency"]),
            ("team", r["manager"], r["currency"]),
            ("rep", r["owner"], r["currency"]),
        ):
            amount, n = won[key]
            won[key] = (amount + float(r["won"]), n + int(r["deals"]))
            groups.setdefault(key, [])
    t = scoring.tuning
    names = {"|".join(k): v for k, v in groups.items()}
    sims = simulate_totals(
        [a.features.amount for a in deals],
        [a.evidence.calibrated_probability for a in deals],
        names,
        simulations=t.forecast_simulations,
        seed=t.forecast_seed,
    )
    lines = []
    for key, idx in sorted(groups.items()):
        q, (won_amount, won_n) = sims["|".join(key)], won[key]
        lines.append(
            RollupLine(
                scope=key[0],
                key=key[1],
                currency=key[2],
                open_deals=len(idx),
                won_deals=won_n,
                won=round(won_amount, 2),
                crm_forecast=round(sum(deals[i].evidence.crm_forecast for i in idx), 2),
                adjusted_forecast=round(sum(deals[i].evidence.adjusted_forecast for i in idx), 2),
                expected=round(won_amount + q.mean, 2),
                p10=round(won_amount + q.p10, 2),
                p50=round(won_amount + q.p50, 2),
                p90=round(won_amount + q.p90, 2),
            )
        )
    return ForecastRollup(
        period=period,
        start=start,
        end=end,
        owner=owner,
        simulations=t.forecast_simulations,
        seed=t.forecast_seed,
        lines=lines,
        model_version=scoring.model_version,
        as_of=now,
    )


async def forecast_rollup(
    ch: ClickHouse, settings: Settings, tenant_id: str, period: str, *, owner: str | None = None
) -> ForecastRollup:
    return await asyncio.to_thread(_rollup, ch, settings, tenant_id, period, owner)


def _snapshot(a: Assessment, day: date) -> ForecastSnapshot:
    f, e, h = a.features, a.evidence, a.health
    return ForecastSnapshot(
        as_of=day,
        opportunity_id=f.opportunity_id,
        owner=f.owner,
        manager=f.manager,
        stage=f.stage,
        amount=f.amount,
        crm_probability=e.probability,
        calibrated_probability=e.calibrated_probability,
        credibility_index=e.credibility_index,
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
    emitter: WebhookEmitter | None,
    settings: Settings,
    tenant_id: str,
    *,
    as_of: datetime | None = None,
    notifier: Notifier | None = None,
) -> int:
    """Write the forecast snapshot of every open deal as of `as_of` (default now); for a live
    run, emit `health.changed` for deals whose band differs from their previous snapshot (and
    tell the rep and manager, given a notifier, when it turned red)."""
    at = as_of or utcnow()
    live = as_of is None
    found = await asyncio.to_thread(snapshot_assessments, ch, settings, tenant_id, at, live=live)
    day = at.date()
    if live and emitter is not None:
        before = await asyncio.to_thread(latest_bands, ch, tenant_id, day)
        for a in found:
            prev, band = before.get(a.health.opportunity_id), a.health.band.value
            if prev is not None and prev != band:
                f = a.features
                data = {
                    "opportunity_id": f.opportunity_id,
                    "previous_band": prev,
                    "band": band,
                    "value": a.health.value,
                    "owner": f.owner,
                    "manager": f.manager,
                    "actions": [x.text for x in a.health.actions],
                }
                key = f"{a.health.opportunity_id}:{day}:{prev}->{band}"
                await emitter.emit(tenant_id, "health.changed", data, dedupe_key=key)
                if notifier is not None and band == "red":
                    await notify_health_red(
                        notifier,
                        tenant_id,
                        f.opportunity_id,
                        value=a.health.value,
                        previous_band=prev,
                        reasons=[x.text for x in a.health.actions],
                        change_id=key,
                    )
    await asyncio.to_thread(write_snapshots, ch, tenant_id, [_snapshot(a, day) for a in found])
    return len(found)


def snapshot_job(
    ch: ClickHouse,
    redis: aioredis.Redis,
    settings: Settings,
    *,
    notifier: Notifier | None = None,
) -> PeriodicJob:
    """Daily forecast snapshots (and `health.changed` webhooks) for every tenant."""
    emitter = WebhookEmitter(settings, redis, ch)

    async def for_tenant(tenant_id: str) -> int:
        return await record_snapshots(ch, emitter, settings, tenant_id, notifier=notifier)

    async def run() -> int:
        tenants = await asyncio.to_thread(tenants_with_opportunities, ch)
        return sum([await for_tenant(t) for t in tenants])

    return PeriodicJob(
        "forecast-snapshots",
        settings.scoring.snapshot_interval_seconds,
        run,
        for_tenant=for_tenant,
    )
