"""Forecast calibration report: past forecasts (forecast snapshots) against outcomes for the
deals that closed in a period.

    forecast_i = amount_i × p_i                actual_i = won amount (0 when lost)
    bias       = (Σ forecast − Σ actual) / Σ actual
    WAPE       = Σ |forecast_i − actual_i| / Σ actual
    Brier      = mean (p_i − won_i)²  (also of the CRM probability, for comparison)
    ECE        = Σ_bins n_b / n × |mean p − win rate| over ten equal-width bins

Also against cash collected (回款, `POST /api/v1/payments`): cash = the payments received in
the period for those deals; bias_cash and wape_cash as above with cash as the actual.

Broken down by rep, team (the deal's manager), stage and credibility band (< 40, 40–60,
60–80, ≥ 80); and the AUC of the credibility index alone on won vs lost (does the brief's
index separate them at all?). The TOP3 deviation reasons: for deals lost with p ≥ 0.5 their
failing evidence items (a close-date slip is `missing:close_date_pushes`) and CRM loss
reason, for deals won with p < 0.5 "won_despite_low_probability", ranked by the deviation
they account for.

Also the AUC of the credibility index alone on won vs lost (does the brief's index separate
them at all?).

Coaching (预测能力陪跑计划): a rep whose forecast was more than 25 % off (|bias| against won
amount) in each of the two quarters before the period's end is flagged."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any

import numpy as np
from pydantic import BaseModel, Field
from sklearn.metrics import roc_auc_score

from scoring.forecast.rollup import parse_period
from scoring.forecast.snapshot_store import calibration_rows
from scoring.reports.rules import load_rules
from tracker.crm import cash_in_period
from tracker.stores import ClickHouse

__all__ = [
    "CalibrationReport",
    "DeviationReason",
    "Metrics",
    "ReliabilityBin",
    "coaching_flags",
    "forecast_calibration",
]

COACHING_DEVIATION = 0.25  # |bias| beyond this in two consecutive quarters flags a rep


class ReliabilityBin(BaseModel):
    low: float
    high: float
    deals: int
    mean_probability: float | None
    win_rate: float | None


class Metrics(BaseModel):
    deals: int
    won: int
    forecast: float
    actual: float
    bias: float | None
    wape: float | None
    brier: float | None
    brier_crm: float | None
    cash: float = 0.0
    bias_cash: float | None = None
    wape_cash: float | None = None


class DeviationReason(BaseModel):
    code: str
    deals: int
    deviation: float
    rule: str = ""  # the rule library's treatment for this pattern ('' : none yet)


class CoachingFlag(BaseModel):
    """A rep more than 25 % off in both quarters (bias against won amount, per quarter)."""

    rep: str
    quarters: dict[str, float]


class CalibrationReport(BaseModel):
    period: str
    start: date
    end: date
    overall: Metrics
    ece: float | None
    reliability: list[ReliabilityBin]
    by_rep: dict[str, Metrics]
    by_team: dict[str, Metrics] = Field(default_factory=dict)
    by_stage: dict[str, Metrics]
    by_credibility_band: dict[str, Metrics]
    credibility_auc: float | None
    top_deviation_reasons: list[DeviationReason]
    coaching: list[CoachingFlag] = Field(default_factory=list)


def _metrics(rows: list[dict[str, Any]]) -> Metrics:
    if not rows:
        return Metrics(
            deals=0, won=0, forecast=0, actual=0, bias=None, wape=None, brier=None, brier_crm=None
        )
    p = np.array([r["calibrated_probability"] for r in rows])
    crm = np.array([r["crm_probability"] for r in rows])
    y = np.array([float(r["outcome"] == "won") for r in rows])
    forecast = np.array([r["amount"] for r in rows]) * p
    actual = np.array([r["actual_amount"] if r["outcome"] == "won" else 0.0 for r in rows])
    total = float(actual.sum())
    cash = np.array([r.get("cash", 0.0) for r in rows])
    paid = float(cash.sum())
    return Metrics(
        deals=len(rows),
        won=int(y.sum()),
        forecast=round(float(forecast.sum()), 2),
        actual=round(total, 2),
        bias=round((float(forecast.sum()) - total) / total, 4) if total else None,
        wape=round(float(np.abs(forecast - actual).sum()) / total, 4) if total else None,
        brier=round(float(((p - y) ** 2).mean()), 5),
        brier_crm=round(float(((crm - y) ** 2).mean()), 5),
        cash=round(paid, 2),
        bias_cash=round((float(forecast.sum()) - paid) / paid, 4) if paid else None,
        wape_cash=round(float(np.abs(forecast - cash).sum()) / paid, 4) if paid else None,
    )


def _bins(rows: list[dict[str, Any]]) -> tuple[list[ReliabilityBin], float | None]:
    bins, ece = [], 0.0
    for b in range(10):
        low, high = b / 10, (b + 1) / 10
        inside = [
            r
            for r in rows
            if low <= r["calibrated_probability"] < high
            or (b == 9 and r["calibrated_probability"] == 1.0)
        ]
        mean = float(np.mean([r["calibrated_probability"] for r in inside])) if inside else None
        rate = float(np.mean([r["outcome"] == "won" for r in inside])) if inside else None
        if mean is not None and rate is not None:
            ece += len(inside) / len(rows) * abs(mean - rate)
        bins.append(ReliabilityBin(low=low, high=high, deals=len(inside),
                                   mean_probability=mean and round(mean, 4),
                                   win_rate=rate if rate is None else round(rate, 4)))  # fmt: skip
    return bins, (round(ece, 5) if rows else None)


def _band(index: float) -> str:
    return "<40" if index < 40 else "40-60" if index < 60 else "60-80" if index < 80 else ">=80"


def _by(rows: list[dict[str, Any]], key: Callable[[dict[str, Any]], str]) -> dict[str, Metrics]:
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rows:
        groups[key(r)].append(r)
    return {k: _metrics(v) for k, v in sorted(groups.items())}


def _reasons(rows: list[dict[str, Any]], limit: int = 3) -> list[DeviationReason]:
    found: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        won, p = r["outcome"] == "won", r["calibrated_probability"]
        deviation = abs(r["amount"] * p - (r["actual_amount"] if won else 0.0))
        if not won and p >= 0.5:
            codes = [f"missing:{c}" for c in r["failing_evidence"]] + [
                f"lost:{r['reason'] or 'unknown'}"
            ]
        elif won and p < 0.5:
            codes = ["won_despite_low_probability"]
        else:
            continue
        for code in codes:
            found[code].append(deviation)
    ranked = sorted(found.items(), key=lambda kv: -sum(kv[1]))[:limit]
    return [DeviationReason(code=c, deals=len(v), deviation=round(sum(v), 2)) for c, v in ranked]


def _rows(ch: ClickHouse, tenant_id: str, start: date, end: date) -> list[dict[str, Any]]:
    rows = calibration_rows(ch, tenant_id, start, end)
    cash = cash_in_period(ch, tenant_id, start, end)
    for r in rows:
        r["cash"] = cash.get(r["opportunity_id"], 0.0)
    return rows


def _quarter_before(day: date) -> str:
    """The quarter that ended before `day`'s quarter began (YYYY-Qn)."""
    q = (day.month - 1) // 3  # 0..3: the current quarter's index
    return f"{day.year - 1}-Q4" if q == 0 else f"{day.year}-Q{q}"


def coaching_flags(ch: ClickHouse, tenant_id: str, end: date) -> list[CoachingFlag]:
    """Reps more than 25 % off in each of the two quarters that ended by `end`."""
    first = _quarter_before(end)
    second = _quarter_before(parse_period(first)[0])
    per: dict[str, dict[str, float]] = defaultdict(dict)
    for quarter in (second, first):
        start, stop = parse_period(quarter)
        for rep, m in _by(_rows(ch, tenant_id, start, stop), lambda r: r["owner"]).items():
            if m.bias is not None:
                per[rep][quarter] = m.bias
    return [
        CoachingFlag(rep=rep, quarters=q)
        for rep, q in sorted(per.items())
        if len(q) == 2 and all(abs(v) > COACHING_DEVIATION for v in q.values())
    ]


def _index_auc(rows: list[dict[str, Any]]) -> float | None:
    won = [float(r["outcome"] == "won") for r in rows]
    if len(set(won)) < 2:
        return None
    auc = roc_auc_score(won, [float(r["credibility_index"]) for r in rows])
    return round(float(auc), 4)


def _report(ch: ClickHouse, tenant_id: str, period: str) -> CalibrationReport:
    start, end = parse_period(period)
    rows = _rows(ch, tenant_id, start, end)
    bins, ece = _bins(rows)
    return CalibrationReport(
        period=period, start=start, end=end, overall=_metrics(rows), ece=ece, reliability=bins,
        by_rep=_by(rows, lambda r: r["owner"]), by_team=_by(rows, lambda r: r["manager"]),
        by_stage=_by(rows, lambda r: r["stage"]),
        by_credibility_band=_by(rows, lambda r: _band(r["credibility_index"])),
        credibility_auc=_index_auc(rows),
        top_deviation_reasons=_with_rules(ch, tenant_id, _reasons(rows)),
        coaching=coaching_flags(ch, tenant_id, end),
    )  # fmt: skip


def _with_rules(
    ch: ClickHouse, tenant_id: str, reasons: list[DeviationReason]
) -> list[DeviationReason]:
    rules = {r.pattern: r.treatment for r in load_rules(ch, tenant_id)}
    return [r.model_copy(update={"rule": rules.get(r.code, "")}) for r in reasons]


async def forecast_calibration(ch: ClickHouse, tenant_id: str, period: str) -> CalibrationReport:
    return await asyncio.to_thread(_report, ch, tenant_id, period)
