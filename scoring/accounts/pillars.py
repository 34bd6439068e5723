"""客户健康度 — the four pillars of an account's health, exactly as the brief names them, each
the mean of its two parts (each part 0–1 by a documented curve, shown ×100); a part without
data is left out, a pillar without any part has no value. Curves (`AccountHealthSettings`):

    商业潜力 commercial_potential
        revenue_scale           log10(revenue / 1 M) / log10(1 B / 1 M)   (1 M → 0, 1 B → 1)
        industry_growth         (growth % + 20) / 40                 (−20 % → 0, +20 % → 1)
    合作深度 partnership_depth
        contract_years          years since the first contract / 5
        product_line_coverage   lines bought ∩ catalogue / catalogue, else lines bought / 3
    关系质量 relationship_quality
        meeting_attendance      held / (held + not held) meetings in the last 90 days
        kol_interaction         (activities a KOL attended + KOL document visits) in 30 days / 4
    风险信号 risk_signals (1 = no risk)
        payment_delay           1 − finance's average payment delay days / 60
        service_request_surge   ratio = tickets in 30 days / max(baseline per 30 days, 1), the
                                baseline from the 180 days before; 1 − (ratio − 1) / (3 − 1)

All parts are clamped to [0, 1]. Health = Σ weight × pillar / Σ weight over the pillars with
a value (defaults 25 / 25 / 20 / 30 %); fewer than `min_pillars` (3) pillars, or no risk
signal at all, is `insufficient_data` — a brand-new account is never red by default."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Final

from pydantic import BaseModel

from tracker.crm import Account, AccountFinance
from tracker.scoring_settings import AccountHealthSettings

__all__ = [
    "PILLAR_NAMES",
    "AccountPillar",
    "AccountSignals",
    "PillarPart",
    "account_pillars",
    "pillar_weights",
]

# code → the brief's name
PILLAR_NAMES: Final = {
    "commercial_potential": "商业潜力",
    "partnership_depth": "合作深度",
    "relationship_quality": "关系质量",
    "risk_signals": "风险信号",
}


@dataclass(frozen=True)
class AccountSignals:
    """What the pillars are computed from, as of a moment (`signals_repository`)."""

    account: Account
    as_of: datetime
    finance: AccountFinance | None = None
    opportunities: int = 0
    meetings_decided: int = 0  # meetings the CRM marked held or not held, in the window
    meetings_held: int = 0
    kol_activities: int = 0
    kol_visits: int = 0
    tickets_recent: int = 0
    tickets_baseline: int = 0
    tickets_ever: int = 0


class PillarPart(BaseModel):
    code: str
    raw: float | None  # the measure in its own unit (CNY, %, years, share, count, days, ratio)
    score: float | None  # 0–100; None: no data
    summary: str


class AccountPillar(BaseModel):
    code: str
    name: str  # the brief's name (商业潜力 …)
    value: float | None  # 0–100; None: none of its parts has data
    weight: float  # the pillar's share of the health value (0–1; 0 when it has no value)
    parts: list[PillarPart]


def _clamp(x: float) -> float:
    return max(0.0, min(x, 1.0))


def _part(code: str, raw: float | None, score: float | None, summary: str) -> PillarPart:
    return PillarPart(
        code=code,
        raw=None if raw is None else round(raw, 4),
        score=None if score is None else round(100 * _clamp(score), 1),
        summary=summary,
    )


def _commercial(s: AccountSignals, t: AccountHealthSettings) -> list[PillarPart]:
    a = s.account
    revenue = None if a.annual_revenue is None else float(a.annual_revenue)
    scale = None
    if revenue is not None:
        span = math.log10(t.revenue_full / t.revenue_floor)
        scale = math.log10(revenue / t.revenue_floor) / span if revenue > 0 else 0.0
    growth = a.industry_growth_pct
    return [
        _part(
            "revenue_scale",
            revenue,
            scale,
            "No annual revenue"
            if revenue is None
            else f"Annual revenue {revenue:,.0f} {a.currency}".strip(),
        ),
        _part(
            "industry_growth",
            growth,
            None
            if growth is None
            else (growth - t.growth_zero_pct) / (t.growth_full_pct - t.growth_zero_pct),
            "No industry growth" if growth is None else f"Industry growth {growth:+g} %",
        ),
    ]


def _partnership(s: AccountSignals, t: AccountHealthSettings) -> list[PillarPart]:
    a = s.account
    years = None
    if a.contract_start is not None:
        years = max((s.as_of.date() - a.contract_start).days, 0) / 365.25
    bought, catalogue = set(a.product_lines), set(t.product_catalogue)
    coverage: float | None = None
    if bought or a.contract_start is not None:
        if catalogue:
            coverage = len(bought & catalogue) / len(catalogue)
            summary = f"{len(bought & catalogue)} of {len(catalogue)} product lines"
        else:
            coverage = len(bought) / t.product_lines_full
            summary = f"{len(bought)} product line(s) bought"
    else:
        summary = "No contract or product lines"
    raw_coverage = coverage if t.product_catalogue or coverage is None else float(len(bought))
    return [
        _part(
            "contract_years",
            years,
            None if years is None else years / t.contract_years_full,
            "No contract start" if years is None else f"Customer for {years:.1f} years",
        ),
        _part("product_line_coverage", raw_coverage, coverage, summary),
    ]


def _relationship(s: AccountSignals, t: AccountHealthSettings) -> list[PillarPart]:
    rate = s.meetings_held / s.meetings_decided if s.meetings_decided else None
    kol = s.kol_activities + s.kol_visits
    named = bool(s.account.kol_contact_ids)
    days = f"{t.kol_window_days:g} days"
    return [
        _part(
            "meeting_attendance",
            rate,
            rate,
            "No meetings marked held or not held"
            if rate is None
            else f"{s.meetings_held} of {s.meetings_decided} meetings held "
            f"in {t.attendance_window_days:g} days",
        ),
        _part(
            "kol_interaction",
            float(kol) if named else None,
            kol / t.kol_interactions_full if named else None,
            f"{kol} KOL interaction(s) in {days} ({s.kol_activities} meeting(s)/call(s), "
            f"{s.kol_visits} document visit(s))"
            if named
            else "No KOL / champion named",
        ),
    ]


def _risk(s: AccountSignals, t: AccountHealthSettings) -> list[PillarPart]:
    delay = s.finance.payment_delay_days if s.finance is not None else None
    surge: float | None = None
    if s.tickets_ever:
        per_window = s.tickets_baseline * t.ticket_window_days / t.ticket_baseline_days
        surge = s.tickets_recent / max(per_window, 1.0)
    return [
        _part(
            "payment_delay",
            delay,
            None if delay is None else 1 - delay / t.payment_delay_days_zero,
            "No payment record from finance"
            if delay is None
            else f"Invoices paid {delay:g} days late on average",
        ),
        _part(
            "service_request_surge",
            surge,
            None if surge is None else 1 - (surge - 1) / (t.surge_ratio_zero - 1),
            "No service-request history"
            if surge is None
            else f"{s.tickets_recent} ticket(s) in {t.ticket_window_days:g} days, "
            f"{surge:.1f}× the account's baseline",
        ),
    ]


def pillar_weights(t: AccountHealthSettings) -> dict[str, float]:
    return {
        "commercial_potential": t.weight_commercial_potential,
        "partnership_depth": t.weight_partnership_depth,
        "relationship_quality": t.weight_relationship_quality,
        "risk_signals": t.weight_risk_signals,
    }


def account_pillars(s: AccountSignals, t: AccountHealthSettings) -> list[AccountPillar]:
    """The four pillars in the brief's order; weights are shares among those with a value."""
    found = {
        "commercial_potential": _commercial(s, t),
        "partnership_depth": _partnership(s, t),
        "relationship_quality": _relationship(s, t),
        "risk_signals": _risk(s, t),
    }
    values: dict[str, float | None] = {}
    for code, parts in found.items():
        scores = [p.score for p in parts if p.score is not None]
        values[code] = round(sum(scores) / len(scores), 1) if scores else None
    weights = pillar_weights(t)
    total = sum(weights[c] for c, v in values.items() if v is not None) or 1.0
    return [
        AccountPillar(
            code=code,
            name=PILLAR_NAMES[code],
            value=values[code],
            weight=round(weights[code] / total, 4) if values[code] is not None else 0.0,
            parts=parts,
        )
        for code, parts in found.items()
    ]
