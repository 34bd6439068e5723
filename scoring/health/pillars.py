"""A deal's four health pillars, each 0–100 with the factors that explain it.

The account-level measures are not redefined here: the deal takes its account's pillars
(客户健康度, `scoring.accounts.pillars` — the one definition of revenue scale, industry
growth, contract years, product-line coverage, meeting attendance, KOL interaction,
payment delay and service-request surge) and adds what only the deal knows. Parts without
data are left out and the rest rescaled to 100 (each part 0–1, points = weight × part):

    commercial     amount 50: min(amount / (2 × tenant median amount), 1)
                   the account's 商业潜力 50
    cooperation    the account's 合作深度 (no account data: neutral 50)
    relationship   engagement 40: engagement score / 100 (historical snapshots: best read depth)
                   stakeholders 25: min(engaged people / 3, 1)
                   decision-maker 20: 1 when a decision-maker read or met
                   the account's 关系质量 15

Risk signals start at 100 and lose points (floor 0):

    close-date pushes 15 each (max 45) · stage regressions 20 each (max 40)
    buyer silence 30 × min(days / 30, 1) · close date overdue 20
    the account's 风险信号 below 100: 40 × (1 − 风险信号 / 100)
    each open early-warning signal (`scoring.health.risk_signals`): its penalty

The account's pillars are live (accounts carry no history), so historical snapshots and the
calibration's features leave them out, as they leave out the live engagement score. The CRM's
older per-deal stand-ins (`account_employees`, `account_growth_pct`, `product_lines`,
`payment_issues`, `support_escalations`) are still accepted and stored, and scored nowhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel, Field

from scoring.accounts import AccountHealth, AccountPillar
from scoring.health.features import OpportunityFeatures, TenantStats
from scoring.health.risk_signals import RiskSignal
from scoring.model import Factor
from scoring.trusted import trusted

__all__ = [
    "PILLARS",
    "Pillar",
    "PillarInputs",
    "compute_pillars",
    "pillars_before_engagement",
    "relationship_pillar",
    "with_relationship",
]

PILLARS: tuple[str, ...] = ("commercial", "cooperation", "relationship", "risk")


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
    account: AccountHealth | None = None  # the deal's account's health; None in snapshots
    signals: tuple[RiskSignal, ...] = ()  # open early-warning signals

    def account_pillar(self, code: str) -> AccountPillar | None:
        """The account's pillar when it has a value."""
        if self.account is None:
            return None
        found = next((p for p in self.account.pillars if p.code == code), None)
        return found if found is not None and found.value is not None else None


def _cap(x: float) -> float:
    return max(0.0, min(x, 1.0))


def _weighted(name: str, parts: list[tuple[str, float, float, str]]) -> Pillar:
    """parts: (code, weight, value 0–1, summary); missing data parts are simply absent."""
    total = sum(w for _, w, _, _ in parts)
    if total <= 0:
        return trusted(Pillar, name=name, value=50.0, factors=[])
    # trusted: every field is computed here with its declared type and range (parts are 0–1),
    # and validating ~60 models per deal was most of a tenant assessment's Python
    points = [100 * w / total * v for _, w, v, _ in parts]
    factors = [
        trusted(Factor, code=code, summary=summary, contribution=round(x, 2))
        for (code, _, _, summary), x in zip(parts, points, strict=True)
    ]
    value = round(sum(points), 1)
    return trusted(Pillar, name=name, value=min(value, 100.0), factors=factors)


def _commercial(i: PillarInputs) -> Pillar:
    f, median = i.features, i.stats.median_amount
    amount = _cap(f.amount / (2 * median)) if median > 0 else float(f.amount > 0)
    parts = [("amount", 50.0, amount, f"Deal size {f.amount:,.0f} {f.currency}".strip())]
    if (p := i.account_pillar("commercial_potential")) is not None:
        parts.append(("account_commercial_potential", 50.0, (p.value or 0) / 100, _said(p)))
    return _weighted("commercial", parts)


def _said(p: AccountPillar) -> str:
    """`商业潜力 80 (Annual revenue …; Industry growth …)`: the pillar and its parts' words."""
    known = "; ".join(part.summary for part in p.parts if part.score is not None)
    return f"{p.name} {p.value:g} ({known})"


def _cooperation(i: PillarInputs) -> Pillar:
    p = i.account_pillar("partnership_depth")
    parts = [] if p is None else [("account_partnership_depth", 100.0, (p.value or 0) / 100,
                                   _said(p))]  # fmt: skip
    return _weighted("cooperation", parts)


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
    parts = [
        engaged,
        ("stakeholders", 25.0, _cap(len(people) / 3), f"{len(people)} stakeholder(s) engaged"),
        (
            "decision_maker",
            20.0,
            1.0 if dms else 0.0,
            f"Decision-maker {dms[0].name} engaged" if dms else "No decision-maker engaged",
        ),
    ]
    if (p := i.account_pillar("relationship_quality")) is not None:
        parts.append(("account_relationship_quality", 15.0, (p.value or 0) / 100, _said(p)))
    return _weighted("relationship", parts)


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
    if (p := i.account_pillar("risk_signals")) is not None and (p.value or 0) < 100:
        penalties.append(
            ("account_risk_signals", round(40.0 * (1 - (p.value or 0) / 100), 2), _said(p))
        )
    if f.expected_close_date is not None and f.expected_close_date < i.now.date():
        penalties.append(
            ("close_date_overdue", 20.0, f"Close date {f.expected_close_date} has passed")
        )
    penalties.extend((s.code, s.penalty, s.summary) for s in i.signals if s.penalty > 0)
    value = max(100.0 - sum(p for _, p, _ in penalties), 0.0)
    factors = [
        trusted(Factor, code=c, summary=s, contribution=-round(p, 2)) for c, p, s in penalties
    ]
    return trusted(Pillar, name="risk", value=round(value, 1), factors=factors)


def pillars_before_engagement(inputs: PillarInputs) -> dict[str, Pillar]:
    """Every pillar but the relationship, the one that reads the engagement score: the
    assessment computes these while that score is still being read."""
    return {
        "commercial": _commercial(inputs),
        "cooperation": _cooperation(inputs),
        "risk": _risk(inputs),
    }


def relationship_pillar(inputs: PillarInputs) -> Pillar:
    return _relationship(inputs)


def with_relationship(before: dict[str, Pillar], relationship: Pillar) -> dict[str, Pillar]:
    """All four pillars, in `PILLARS` order (the order results list them in)."""
    return {n: relationship if n == "relationship" else before[n] for n in PILLARS}


def compute_pillars(inputs: PillarInputs) -> dict[str, Pillar]:
    return with_relationship(pillars_before_engagement(inputs), _relationship(inputs))
