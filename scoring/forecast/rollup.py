"""Health, evidence and forecast services for the API.

    opportunity_health / opportunity_evidence   one opportunity, now (or as of a moment)
    forecast_rollup      open deals expected to close in a period plus deals already won
                         in it, per rep, team (manager) and in total, per currency, with
                         P10/P50/P90 of won revenue from a seeded Monte Carlo where each open
                         deal is won with its calibrated probability

Daily forecast snapshots (the calibration input) live in `scoring.forecast.daily_snapshots`.

Periods: `2025` · `2025-Q1` · `2025-03` · `2025-W10` (ISO week)."""

from __future__ import annotations

import asyncio
import re
from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Final

from pydantic import BaseModel, Field

from scoring.forecast.evidence import ForecastEvidence
from scoring.forecast.finance_risk import RiskFlag, finance_flags
from scoring.forecast.montecarlo import simulate_totals
from scoring.forecast.snapshot_store import won_in_period
from scoring.health.assess import Assessment, HealthResult, assess
from scoring.tenant import TenantScoring
from tracker.clock import utcnow
from tracker.crm import MoneyOut
from tracker.errors import BadRequest, NotFound
from tracker.stores import ClickHouse

__all__ = [
    "FlaggedDeal",
    "ForecastRollup",
    "RollupLine",
    "forecast_rollup",
    "opportunity_evidence",
    "opportunity_health",
    "parse_period",
]


# Periods the stores can hold (ClickHouse `Date` ends in 2149); `9999-Q4` or `0000` would
# otherwise overflow Python's dates into a 500.
PERIOD_YEARS: Final = range(1970, 2149)


def parse_period(text: str) -> tuple[date, date]:
    """[start, end) of a year, quarter, month or ISO week."""
    match = re.match(r"(\d{4})", text)
    if match is None or int(match[1]) not in PERIOD_YEARS:
        raise BadRequest(
            f"period years run from {PERIOD_YEARS.start} to {PERIOD_YEARS.stop - 1}",
            code="invalid_period",
            period=text,
        )
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
    ch: ClickHouse,
    scoring: TenantScoring,
    tenant_id: str,
    opportunity_id: str,
    as_of: datetime | None,
) -> Assessment:
    now = utcnow()
    found = assess(ch, scoring, tenant_id, [opportunity_id], as_of or now, now=now)
    if opportunity_id not in found:
        raise NotFound("unknown opportunity", code="opportunity_not_found")
    return found[opportunity_id]


def _risk_flags(
    ch: ClickHouse, scoring: TenantScoring, tenant_id: str, found: Mapping[str, Assessment]
) -> dict[str, RiskFlag]:
    """财务穿透 of these deals against their accounts' newest finance records."""
    terms = [
        (k, a.features.account, Decimal(str(a.features.amount)), a.features.currency)
        for k, a in found.items()
    ]
    return finance_flags(ch, tenant_id, terms, scoring.tuning.finance)


def _evidence(
    ch: ClickHouse,
    scoring: TenantScoring,
    tenant_id: str,
    opportunity_id: str,
    as_of: datetime | None,
) -> ForecastEvidence:
    found = _one(ch, scoring, tenant_id, opportunity_id, as_of)
    flags = _risk_flags(ch, scoring, tenant_id, {opportunity_id: found})
    return found.evidence.model_copy(update={"risk_flag": flags.get(opportunity_id)})


async def opportunity_health(
    ch: ClickHouse,
    scoring: TenantScoring,
    tenant_id: str,
    opportunity_id: str,
    *,
    as_of: datetime | None = None,
) -> HealthResult:
    return (await asyncio.to_thread(_one, ch, scoring, tenant_id, opportunity_id, as_of)).health


async def opportunity_evidence(
    ch: ClickHouse,
    scoring: TenantScoring,
    tenant_id: str,
    opportunity_id: str,
    *,
    as_of: datetime | None = None,
) -> ForecastEvidence:
    return await asyncio.to_thread(_evidence, ch, scoring, tenant_id, opportunity_id, as_of)


def _cents(simulated: float) -> Decimal:
    """A simulated total as money: the simulation runs in floats, the wire carries decimals."""
    return Decimal(f"{simulated:.2f}")


class RollupLine(BaseModel):
    scope: str  # total | team | rep
    key: str
    currency: str
    open_deals: int
    won_deals: int
    won: MoneyOut
    crm_forecast: MoneyOut
    adjusted_forecast: MoneyOut = Field(
        description="Σ of each deal's forecast, × the haircut where its credibility index < 60"
    )
    discounted_deals: int
    expected: MoneyOut
    p10: MoneyOut
    p50: MoneyOut
    p90: MoneyOut
    # 财务穿透: open deals whose account crosses the finance thresholds, and their amount.
    red_flag_deals: int = 0
    red_flag_amount: MoneyOut = Decimal(0)


class FlaggedDeal(BaseModel):
    opportunity_id: str
    owner: str
    amount: MoneyOut
    currency: str
    risk_flag: RiskFlag


class ForecastRollup(BaseModel):
    period: str
    start: date
    end: date
    owner: str | None
    simulations: int
    seed: int
    lines: list[RollupLine]
    risk_flags: list[FlaggedDeal]
    model_version: str
    as_of: datetime


def _rollup(
    ch: ClickHouse, scoring: TenantScoring, tenant_id: str, period: str, owner: str | None
) -> ForecastRollup:
    start, end = parse_period(period)
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
    flags = _risk_flags(ch, scoring, tenant_id, {a.features.opportunity_id: a for a in deals})
    names = {"|".join(k): v for k, v in groups.items()}
    sims = simulate_totals(
        [a.features.amount for a in deals],
        [a.evidence.calibrated_probability for a in deals],
        names,
        simulations=t.forecast.simulations,
        seed=t.forecast.seed,
    )
    lines = []
    for key, idx in sorted(groups.items()):
        q, (won_amount, won_n) = sims["|".join(key)], won[key]
        red = [deals[i] for i in idx if deals[i].features.opportunity_id in flags]
        lines.append(
            RollupLine(
                scope=key[0],
                key=key[1],
                currency=key[2],
                open_deals=len(idx),
                won_deals=won_n,
                won=_cents(won_amount),
                crm_forecast=sum((deals[i].evidence.crm_forecast for i in idx), Decimal(0)),
                adjusted_forecast=sum(
                    (deals[i].evidence.adjusted_forecast for i in idx), Decimal(0)
                ),
                discounted_deals=sum(1 for i in idx if deals[i].evidence.haircut_applied),
                expected=_cents(won_amount + q.mean),
                p10=_cents(won_amount + q.p10),
                p50=_cents(won_amount + q.p50),
                p90=_cents(won_amount + q.p90),
                red_flag_deals=len(red),
                red_flag_amount=sum((a.evidence.amount for a in red), Decimal(0)),
            )
        )
    return ForecastRollup(
        period=period,
        start=start,
        end=end,
        owner=owner,
        simulations=t.forecast.simulations,
        seed=t.forecast.seed,
        lines=lines,
        risk_flags=[
            FlaggedDeal(
                opportunity_id=a.features.opportunity_id,
                owner=a.features.owner,
                amount=a.evidence.amount,
                currency=a.features.currency,
                risk_flag=flags[a.features.opportunity_id],
            )
            for a in deals
            if a.features.opportunity_id in flags
        ],
        model_version=scoring.model_version,
        as_of=now,
    )


async def forecast_rollup(
    ch: ClickHouse, scoring: TenantScoring, tenant_id: str, period: str, *, owner: str | None = None
) -> ForecastRollup:
    return await asyncio.to_thread(_rollup, ch, scoring, tenant_id, period, owner)
