"""The four health pillars, each 0–100 with the factors that explain it.

Commercial potential, cooperation depth and relationship quality are weighted parts (each
part 0–1, points = weight × part; parts the CRM did not send are left out and the rest
rescaled to 100):

    commercial     amount 50: min(amount / (2 × tenant median amount), 1)
                   account size 25: min(log10(employees) / 4, 1)   (10 000 people = full)
                   growth 25: clamp(0.5 + growth % / 40, 0, 1)     (+20 % = full, −20 % = 0)
    cooperation    product lines 50: min(lines / 3, 1)
                   contract history 50: min(won deals of the account before / 2, 1)
    relationship   engagement 40: engagement score / 100 (historical snapshots: best read depth)
                   stakeholders 25: min(engaged people / 3, 1)
                   decision-maker 20: 1 when a decision-maker read or met
                   meetings 15: min(meetings with attendees in the last 30 days / 2, 1)

Risk signals start at 100 and lose points (floor 0):

    close-date pushes 15 each (max 45) · stage regressions 20 each (max 40)
    buyer silence 30 × min(days / 30, 1) · payment issues 25 · support escalations 10 each
    (max 30) · close date overdue 20
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, Field

from scoring.health.features import OpportunityFeatures, TenantStats
from scoring.model import Factor

__all__ = ["PILLARS", "Pillar", "PillarInputs", "compute_pillars"]

PILLARS = ("commercial", "cooperation", "relationship", "risk")


class Pillar(BaseModel):
    name: str
    value: float = Field(ge=0, le=100)
    factors: list[Factor]


@dataclass(frozen=True)
class PillarInputs:
    features: OpportunityFeatures
    stats: TenantStats
    engagement: float | None  # engagement score 0–100, None in historical snapshots
    now: datetime


def _cap(x: float) -> float:
    return max(0.0, min(x, 1.0))


def _weighted(name: str, parts: list[tuple[str, float, float, str]]) -> Pillar:
    """parts: (code, weight, value 0–1, summary); missing data parts are simply absent."""
    total = sum(w for _, w, _, _ in parts)
    if total <= 0:
        return Pillar(name=name, value=50.0, factors=[])
    factors = [
        Factor(code=code, summary=summary, contribution=round(100 * w / total * v, 2))
        for code, w, v, summary in parts
    ]
    value = round(sum(100 * w / total * v for _, w, v, _ in parts), 1)
    return Pillar(name=name, value=min(value, 100.0), factors=factors)


def _commercial(i: PillarInputs) -> Pillar:
    f, median = i.features, i.stats.median_amount
    amount = _cap(f.amount / (2 * median)) if median > 0 else float(f.amount > 0)
    parts = [("amount", 50.0, amount, f"Deal size {f.amount:,.0f} {f.currency}".strip())]
    if f.account_employees is not None:
        size = _cap(math.log10(max(f.account_employees, 1)) / 4)
        parts.append(("account_size", 25.0, size, f"{f.account_employees:,} employees"))
    if f.account_growth_pct is not None:
        growth = _cap(0.5 + f.account_growth_pct / 40)
        parts.append(
            ("account_growth", 25.0, growth, f"Account growth {f.account_growth_pct:+g} %")
        )
    return _weighted("commercial", parts)


def _cooperation(i: PillarInputs) -> Pillar:
    f = i.features
    return _weighted(
        "cooperation",
        [
            (
                "product_lines",
                50.0,
                _cap(f.product_lines / 3),
                f"{f.product_lines} product line(s)",
            ),
            (
                "contract_history",
                50.0,
                _cap(f.won_before / 2),
                f"{f.won_before} earlier deal(s) won with {f.account or 'this account'}",
            ),
        ],
    )


def _relationship(i: PillarInputs) -> Pillar:
    f = i.features
    best = f.best_doc
    if i.engagement is not None:
        engaged = (
            "engagement",
            40.0,
            _cap(i.engagement / 100),
            f"Engagement score {i.engagement:g}",
        )
    else:
        depth = best.depth if best else 0.0
        engaged = ("engagement", 40.0, depth, f"Best document read to {depth:.0%}")
    people = [p for p in f.people if p.read_ms > 0 or p.meetings > 0]
    dms = [p for p in people if p.is_decision_maker]
    return _weighted(
        "relationship",
        [
            engaged,
            ("stakeholders", 25.0, _cap(len(people) / 3), f"{len(people)} stakeholder(s) engaged"),
            (
                "decision_maker",
                20.0,
                1.0 if dms else 0.0,
                f"Decision-maker {dms[0].name} engaged" if dms else "No decision-maker engaged",
            ),
            (
                "meetings",
                15.0,
                _cap(f.meetings_30d / 2),
                f"{f.meetings_30d} meeting(s) with the buyer in 30 days",
            ),
        ],
    )


def _risk(i: PillarInputs) -> Pillar:
    f = i.features
    penalties: list[tuple[str, float, str]] = []
    if f.pushes:
        penalties.append(
            ("close_date_pushed", min(15.0 * f.pushes, 45.0), f"Close date pushed {f.pushes}×")
        )
    if f.regressions:
        penalties.append(
            (
                "stage_regressed",
                min(20.0 * f.regressions, 40.0),
                f"Moved back a stage {f.regressions}×",
            )
        )
    last = f.last_buyer_at or f.first_activity_at
    if last is not None:
        days = max((i.now - last).total_seconds(), 0.0) / 86_400
        if days >= 1:
            penalties.append(
                (
                    "buyer_silence",
                    round(30.0 * _cap(days / 30), 2),
                    f"Buyer silent for {days:.0f} days",
                )
            )
    if f.payment_issues:
        penalties.append(("payment_issues", 25.0, "Payment issues flagged by the CRM"))
    if f.support_escalations:
        penalties.append(
            ("support_escalations", min(10.0 * f.support_escalations, 30.0),
             f"{f.support_escalations} open support escalation(s)")
        )  # fmt: skip
    if f.expected_close_date is not None and f.expected_close_date < i.now.date():
        penalties.append(
            ("close_date_overdue", 20.0, f"Close date {f.expected_close_date} has passed")
        )
    value = max(100.0 - sum(p for _, p, _ in penalties), 0.0)
    factors = [Factor(code=c, summary=s, contribution=-round(p, 2)) for c, p, s in penalties]
    return Pillar(name="risk", value=round(value, 1), factors=factors)


def compute_pillars(inputs: PillarInputs) -> dict[str, Pillar]:
    return {
        "commercial": _commercial(inputs),
        "cooperation": _cooperation(inputs),
        "relationship": _relationship(inputs),
        "risk": _risk(inputs),
    }
