"""The forecast of one opportunity: the credibility index (`scoring.forecast.credibility`,
the brief's three inputs and nothing else), the haircut it decides, and beside it the
supporting evidence chain — items a person can click through to the events and CRM
activities that prove them, never mixed into the index:

    item                     holds when                                   proof
    decision_maker_read      a decision-maker read a document              their page reads
    stakeholders_engaged     ≥ 3 people read or met                        one event per person
    proposal_depth           the best document version read to ≥ 60 %      its page reads
    close_date_pushes        the close date was never pushed               the pushes (if any)
    stage_age                stage age ≤ the tenant's p75 for the stage    the stage change
    unverified_stage         (only when it fails) the stage lacks the      the missing kinds
                             evidence its definition requires

`buyer_reading` lists who read which proposal and how deep (the reading evidence the brief's
users want beside the index; a tenant may make it a fourth input, `reading_as_input`).

    probability        = the CRM's; for an unverified stage the default probability of the
                         last stage whose evidence is complete, when lower
                         (`tracker.crm.stages`)
    crm_forecast       = amount × probability                 (Decimal, exact)
    adjusted_forecast  = crm_forecast × 0.7 when index < 60, else crm_forecast
"""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from pydantic import BaseModel, Field

from scoring.forecast.credibility import (
    CredibilityInput,
    CredibilityRaw,
    Proof,
    apply_haircut,
    credibility_index,
)
from scoring.forecast.finance_risk import RiskFlag
from scoring.health.features import OpportunityFeatures, TenantStats
from scoring.trusted import trusted
from tracker.crm import MoneyOut, Percent, StageCheck, StageSettings, check_stage
from tracker.scoring_settings import ForecastSettings

__all__ = [
    "EVIDENCE_CODES",
    "BuyerRead",
    "EvidenceItem",
    "ForecastEvidence",
    "build_evidence",
    "reading_raw",
    "stage_age_limit",
]

EVIDENCE_CODES = (
    "decision_maker_read",
    "stakeholders_engaged",
    "proposal_depth",
    "close_date_pushes",
    "stage_age",
)
_DEFAULT_STAGE_DAYS = 30.0


class EvidenceItem(BaseModel):
    code: str
    summary: str
    holds: bool
    event_ids: list[str] = Field(default_factory=list)
    activity_ids: list[str] = Field(default_factory=list)


class BuyerRead(BaseModel):
    """One person's reading of the opportunity's documents."""

    name: str
    role: str
    is_decision_maker: bool
    forwarded: bool
    read_seconds: float
    last_read_at: datetime | None


class ForecastEvidence(BaseModel):
    opportunity_id: str
    currency: str
    amount: MoneyOut
    stage: str
    stage_verified: bool
    missing_evidence: list[str] = Field(description="kinds the stage requires and lacks")
    forecast_stage: str = Field(description="the stage forecast at: the last verified one")
    crm_probability: Percent = Field(description="the CRM's probability, percent 0–100")
    probability: Percent = Field(
        description="used for the forecast, percent 0–100: the CRM's, or the forecast "
        "stage's default"
    )
    crm_forecast: MoneyOut = Field(description="amount × probability")
    credibility_index: Decimal = Field(ge=0, le=100)
    inputs: dict[str, CredibilityInput]
    window_days: int
    threshold: Decimal
    haircut: Decimal
    haircut_applied: bool
    adjusted_forecast: MoneyOut
    calibrated_probability: float = Field(
        description="the calibrated model's win probability, a statistical estimate 0–1 "
        "(scored by Brier and AUC; not the CRM's percent)"
    )
    evidence: list[EvidenceItem] = Field(description="supporting evidence, not in the index")
    buyer_reading: list[BuyerRead]
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


def reading_raw(f: OpportunityFeatures, window_days: int) -> tuple[float, tuple[Proof, ...]]:
    """Depth of the deepest-read document version read within the window, with its proof."""
    since = f.as_of - timedelta(days=window_days)
    recent = [d for d in f.docs if d.last_read_at is not None and d.last_read_at > since]
    best = max(recent, key=lambda d: (d.depth, d.revision), default=None)
    if best is None or best.last_read_at is None:
        return 0.0, ()
    proof = trusted(
        Proof,
        kind="document_version",
        id=best.version_id,
        type="document_version",
        at=best.last_read_at,
        label=f"{best.title or 'document'} v{best.revision}",
        decision_makers=[],
    )
    return best.depth, (proof,)


def _items(f: OpportunityFeatures, stats: TenantStats, min_samples: int) -> list[EvidenceItem]:
    people = [p for p in f.people if p.read_ms > 0 or p.meetings > 0]
    dm_readers = [p for p in people if p.is_decision_maker and p.read_ms > 0]
    best = f.best_doc
    depth = best.depth if best else 0.0
    age = (f.as_of - f.stage_entered_at).total_seconds() / 86_400 if f.stage_entered_at else 0.0
    limit = stage_age_limit(stats, f.stage, min_samples)
    dm_names = ", ".join(p.name for p in dm_readers[:2])
    return [
        trusted(
            EvidenceItem,
            code="decision_maker_read",
            summary=f"Decision-maker read the proposal: {dm_names}"
            if dm_readers
            else "No decision-maker read a document",
            holds=bool(dm_readers),
            event_ids=[e for p in dm_readers for e in p.event_ids][:5],
            activity_ids=[],
        ),
        trusted(
            EvidenceItem,
            code="stakeholders_engaged",
            summary=f"{len(people)} stakeholder(s) read or met (3 wanted)",
            holds=len(people) >= 3,
            event_ids=[p.event_ids[0] for p in people if p.event_ids][:5],
            activity_ids=[p.activity_ids[0] for p in people if p.activity_ids][:5],
        ),
        trusted(
            EvidenceItem,
            code="proposal_depth",
            summary=(
                f"{best.title or 'The proposal'} v{best.revision} read to {depth:.0%} depth "
                "(60 % wanted)"
            )
            if best
            else "No document read yet",
            holds=depth >= 0.6,
            event_ids=list(best.event_ids[:5]) if best else [],
            activity_ids=[],
        ),
        trusted(
            EvidenceItem,
            code="close_date_pushes",
            summary=f"Close date pushed {f.pushes}×" if f.pushes else "Close date never pushed",
            holds=f.pushes == 0,
            event_ids=[],
            activity_ids=list(f.push_ids),
        ),
        trusted(
            EvidenceItem,
            code="stage_age",
            summary=f"{age:.0f} days in {f.stage or 'the stage'} (limit {limit:.0f})",
            holds=age <= limit,
            event_ids=[],
            activity_ids=[f.stage_activity_id] if f.stage_activity_id else [],
        ),
    ]


def _stage_item(check: StageCheck) -> list[EvidenceItem]:
    if check.verified:
        return []
    at = check.forecast_stage or "no stage"
    return [
        trusted(
            EvidenceItem,
            code="unverified_stage",
            summary=f"{check.stage} lacks {', '.join(check.missing)}: forecast at {at}",
            holds=False,
            event_ids=[],
            activity_ids=[],
        )
    ]


def _readers(f: OpportunityFeatures) -> list[BuyerRead]:
    readers = sorted((p for p in f.people if p.read_ms > 0), key=lambda p: -p.read_ms)
    return [
        trusted(
            BuyerRead,
            name=p.name,
            role=p.role,
            is_decision_maker=p.is_decision_maker,
            forwarded=p.forwarded,
            read_seconds=round(p.read_ms / 1000, 1),
            last_read_at=p.last_read_at,
        )
        for p in readers[:10]
    ]


def build_evidence(
    f: OpportunityFeatures,
    stats: TenantStats,
    *,
    settings: ForecastSettings,
    min_samples: int,
    stages: StageSettings | None = None,
    calibrated_probability: float | None = None,
    model_version: str = "credibility-1.0",
) -> ForecastEvidence:
    depth, reading_proof = reading_raw(f, settings.window_days)
    raw = CredibilityRaw(
        contacts=f.credibility.contacts,
        held_meetings=f.credibility.held_meetings,
        revisions=f.credibility.revisions,
        reading_depth=depth,
        reading_proof=reading_proof,
    )
    index = credibility_index(raw, settings)
    check = check_stage(stages or StageSettings(), f.stage, f.evidence_kinds)
    probability = f.probability
    if check.forecast_probability is not None:
        probability = min(probability, check.forecast_probability)
    crm = f.amount_exact * probability / 100
    cut = index.haircut_applied
    # trusted (the evidence, its items and readers): every value is computed here or taken
    # from typed features; validating ~20 models per deal was most of the evidence's cost
    return trusted(
        ForecastEvidence,
        opportunity_id=f.opportunity_id,
        currency=f.currency,
        amount=f.amount_exact,
        stage=f.stage,
        stage_verified=check.verified,
        missing_evidence=list(check.missing),
        forecast_stage=check.forecast_stage,
        crm_probability=f.probability,
        probability=probability,
        crm_forecast=crm,
        credibility_index=index.credibility_index,
        inputs=index.inputs,
        window_days=index.window_days,
        threshold=index.threshold,
        haircut=index.haircut,
        haircut_applied=cut,
        adjusted_forecast=apply_haircut(crm, index.credibility_index, settings),
        calibrated_probability=round(
            calibrated_probability
            if calibrated_probability is not None
            else probability / 100 * (float(settings.credibility_haircut) if cut else 1.0),
            4,
        ),
        evidence=_stage_item(check) + _items(f, stats, min_samples),
        buyer_reading=_readers(f),
        model_version=model_version,
        as_of=f.as_of,
        risk_flag=None,
    )
