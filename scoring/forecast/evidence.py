"""The forecast evidence chain: items a person can click through to the events and CRM
activities that prove them, a credibility index and the adjusted forecast.

    item                          holds when                               proof
    decision_maker_engaged        a decision-maker read a document or met  their events/meetings
    stakeholders_engaged          ≥ 3 people engaged                       one event per person
    proposal_depth                best document version read to ≥ 0.6      its page reads
    customer_initiated_contact    a customer-initiated activity ≤ 30 days  those activities
    decision_maker_meeting        a decision-maker attended a meeting      the meetings
    proposal_revisions            ≥ 2 revisions of a document were read    reads per revision
    close_date_pushes             the close date was never pushed          the pushes (if any)
    stage_age                     stage age ≤ the tenant's p75 for it      the stage change

credibility_index = Σ weight × holds / Σ weight × 100 (weights: tenant configuration or the
calibrated model); crm_forecast = amount × probability; adjusted_forecast = crm_forecast ×
haircut (0.7) when the index < threshold (60), else crm_forecast.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from pydantic import BaseModel, Field

from scoring.forecast.finance_risk import RiskFlag
from scoring.health.features import OpportunityFeatures, TenantStats

__all__ = [
    "EVIDENCE_CODES",
    "EvidenceItem",
    "ForecastEvidence",
    "build_evidence",
    "stage_age_limit",
]

EVIDENCE_CODES = (
    "decision_maker_engaged",
    "stakeholders_engaged",
    "proposal_depth",
    "customer_initiated_contact",
    "decision_maker_meeting",
    "proposal_revisions",
    "close_date_pushes",
    "stage_age",
)
_DEFAULT_STAGE_DAYS = 30.0


class EvidenceItem(BaseModel):
    code: str
    summary: str
    weight: float
    holds: bool
    event_ids: list[str] = Field(default_factory=list)
    activity_ids: list[str] = Field(default_factory=list)


class ForecastEvidence(BaseModel):
    opportunity_id: str
    amount: float
    currency: str
    probability: float = Field(description="the CRM's probability, 0–1")
    calibrated_probability: float
    evidence: list[EvidenceItem]
    credibility_index: float = Field(ge=0, le=100)
    crm_forecast: float
    adjusted_forecast: float
    haircut_applied: bool
    model_version: str
    as_of: datetime
    # 财务穿透: set when the account's finance record crosses the tenant's thresholds.
    risk_flag: RiskFlag | None = None


def stage_age_limit(stats: TenantStats, stage: str, min_samples: int) -> float:
    """Days in `stage` beyond which it is old: the tenant's quantile with enough samples."""
    found = stats.stage_age_days.get(stage)
    if found is not None and found[1] >= min_samples:
        return found[0]
    return _DEFAULT_STAGE_DAYS


def _items(f: OpportunityFeatures, stats: TenantStats, min_samples: int) -> list[EvidenceItem]:
    people = [p for p in f.people if p.read_ms > 0 or p.meetings > 0]
    dms = [p for p in people if p.is_decision_maker]
    dm_meet = [p for p in dms if p.meetings > 0]
    best = f.best_doc
    depth = best.depth if best else 0.0
    revisions = sorted({(d.document_id, d.revision) for d in f.docs})
    revised = max((sum(1 for doc, _ in revisions if doc == d) for d, _ in revisions), default=0)
    age = (f.as_of - f.stage_entered_at).total_seconds() / 86_400 if f.stage_entered_at else 0.0
    limit = stage_age_limit(stats, f.stage, min_samples)
    dm_names = ", ".join(p.name for p in dms[:2])
    return [
        EvidenceItem(
            code="decision_maker_engaged",
            summary=f"Decision-maker engaged: {dm_names}" if dms else "No decision-maker engaged",
            weight=0,
            holds=bool(dms),
            event_ids=[e for p in dms for e in p.event_ids][:5],
            activity_ids=[a for p in dms for a in p.activity_ids][:5],
        ),
        EvidenceItem(
            code="stakeholders_engaged",
            summary=f"{len(people)} stakeholder(s) engaged (3 needed)",
            weight=0,
            holds=len(people) >= 3,
            event_ids=[p.event_ids[0] for p in people if p.event_ids][:5],
            activity_ids=[p.activity_ids[0] for p in people if p.activity_ids][:5],
        ),
        EvidenceItem(
            code="proposal_depth",
            summary=(f"{best.title or 'The proposal'} read to {depth:.0%} depth (60 % needed)")
            if best
            else "No document read yet",
            weight=0,
            holds=depth >= 0.6,
            event_ids=list(best.event_ids[:5]) if best else [],
        ),
        EvidenceItem(
            code="customer_initiated_contact",
            summary=f"{f.customer_contacts_30d} customer-initiated contact(s) in the last 30 days",
            weight=0,
            holds=f.customer_contacts_30d > 0,
            activity_ids=list(f.customer_contact_ids),
        ),
        EvidenceItem(
            code="decision_maker_meeting",
            summary=f"Decision-maker {dm_meet[0].name} attended a meeting"
            if dm_meet
            else "No decision-maker at a meeting",
            weight=0,
            holds=bool(dm_meet),
            activity_ids=[a for p in dm_meet for a in p.activity_ids][:5],
        ),
        EvidenceItem(
            code="proposal_revisions",
            summary=f"{revised} revision(s) of a proposal read (2 needed)",
            weight=0,
            holds=revised >= 2,
            event_ids=[d.event_ids[0] for d in f.docs if d.event_ids][:5],
        ),
        EvidenceItem(
            code="close_date_pushes",
            summary=f"Close date pushed {f.pushes}×" if f.pushes else "Close date never pushed",
            weight=0,
            holds=f.pushes == 0,
            activity_ids=list(f.push_ids),
        ),
        EvidenceItem(
            code="stage_age",
            summary=f"{age:.0f} days in {f.stage or 'the stage'} (limit {limit:.0f})",
            weight=0,
            holds=age <= limit,
            activity_ids=[f.stage_activity_id] if f.stage_activity_id else [],
        ),
    ]


def build_evidence(
    f: OpportunityFeatures,
    stats: TenantStats,
    *,
    weights: Mapping[str, float],
    threshold: float,
    haircut: float,
    min_samples: int,
    calibrated_probability: float | None = None,
    model_version: str = "evidence-1.0",
) -> ForecastEvidence:
    items = _items(f, stats, min_samples)
    total = sum(max(weights.get(i.code, 0.0), 0.0) for i in items) or 1.0
    for item in items:
        item.weight = round(100 * max(weights.get(item.code, 0.0), 0.0) / total, 2)
    index = round(sum(i.weight for i in items if i.holds), 1)
    probability = f.probability / 100
    crm = f.amount * probability
    cut = index < threshold
    return ForecastEvidence(
        opportunity_id=f.opportunity_id,
        amount=f.amount,
        currency=f.currency,
        probability=probability,
        calibrated_probability=round(
            calibrated_probability
            if calibrated_probability is not None
            else probability * (haircut if cut else 1.0),
            4,
        ),
        evidence=items,
        credibility_index=min(index, 100.0),
        crm_forecast=round(crm, 2),
        adjusted_forecast=round(crm * haircut if cut else crm, 2),
        haircut_applied=cut,
        model_version=model_version,
        as_of=f.as_of,
    )
