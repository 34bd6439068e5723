"""Opportunity health: four pillars (scoring.health.pillars) weighted into one 0–100 value, banded
blue (healthy) / yellow (watch) / red (at risk), with three next actions, computed together
with the forecast evidence chain from one point-in-time feature pass.

    health = Σ pillar weight × pillar value / Σ pillar weights
    band   = blue if health ≥ blue threshold (70), yellow if ≥ yellow threshold (45), else red

Weights and thresholds: `ScoringSettings`, overridden per tenant (`tenant_settings` key
`scoring`), and replaced by the tenant's calibrated model when one was accepted
(`scoring.health.calibration`), whose logistic model also gives the calibrated win probability."""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, Field

from scoring.accounts import AccountBand, AccountHealth, assess_accounts
from scoring.engagement.repository import EventSource, ScopeKind, ScoringQuery
from scoring.engagement.service import compute_values
from scoring.forecast.evidence import ForecastEvidence, build_evidence
from scoring.health.actions import NextAction, next_actions
from scoring.health.features import OpportunityFeatures, TenantStats, features_as_of, tenant_stats
from scoring.health.meeting_series import series_signals
from scoring.health.pillars import (
    PILLARS,
    Pillar,
    PillarInputs,
    compute_pillars,
    pillars_before_engagement,
    relationship_pillar,
    with_relationship,
)
from scoring.health.risk_signals import RiskSignal
from scoring.health.tag_interest import tag_interest_signals
from scoring.health.unanswered import unanswered_signal
from scoring.model import Factor
from scoring.tenant import TenantScoring
from scoring.trusted import trusted
from tracker.config import ScoringSettings
from tracker.crm import list_accounts
from tracker.scoring_settings import EarlyWarningSettings
from tracker.stores import ClickHouse

__all__ = [
    "Assessment",
    "HealthBand",
    "HealthResult",
    "assess",
    "collector_paused",
    "feature_vector",
    "health_band",
]

T = TypeVar("T")


class HealthBand(StrEnum):
    BLUE = "blue"
    YELLOW = "yellow"
    RED = "red"
    # A new deal (younger than `health.new_deal_days`) the buyer has never been seen on (no
    # read, meeting or customer-initiated contact) whose account has no judged health:
    # nothing to judge it on yet — a new deal is never red by default.
    INSUFFICIENT_DATA = "insufficient_data"


class HealthResult(BaseModel):
    opportunity_id: str
    value: float = Field(ge=0, le=100)
    band: HealthBand
    pillars: dict[str, Pillar]
    pillar_weights: dict[str, float]
    actions: list[NextAction]
    top_positive: list[Factor]
    top_negative: list[Factor]
    signals: list[RiskSignal] = Field(
        default_factory=list, description="open early-warning signals, with their proof"
    )
    engagement: float | None
    model_version: str
    scored_at: datetime
    as_of: datetime


def health_band(value: float, tuning: ScoringSettings) -> HealthBand:
    if value >= tuning.health.blue_threshold:
        return HealthBand.BLUE
    return HealthBand.YELLOW if value >= tuning.health.yellow_threshold else HealthBand.RED


def feature_vector(
    f: OpportunityFeatures, stats: TenantStats, tuning: ScoringSettings
) -> dict[str, float]:
    """The calibration model's inputs, always point-in-time safe (no engagement score)."""
    pillars = compute_pillars(PillarInputs(f, stats, None, f.as_of))
    evidence = build_evidence(
        f, stats, settings=tuning.forecast, min_samples=tuning.stall.min_samples
    )
    x = {"crm_probability": f.probability / 100}
    x.update({name: p.value / 100 for name, p in pillars.items()})
    x.update({name: float(i.score) / 100 for name, i in evidence.inputs.items()})
    x["credibility_index"] = float(evidence.credibility_index) / 100
    x.update({i.code: float(i.holds) for i in evidence.evidence})
    return x


@dataclass(frozen=True)
class Assessment:
    health: HealthResult
    evidence: ForecastEvidence
    features: OpportunityFeatures
    high_potential: bool = False  # 高潜客户, as the unanswered-customer signal judges it


def _high_potential(
    band: HealthBand, account: AccountHealth | None, s: EarlyWarningSettings
) -> bool:
    """高潜客户: the account's 商业潜力 reaches `high_potential_min`, or the deal's band is one
    of `high_potential_bands`."""
    if band.value in s.high_potential_bands:
        return True
    found = (
        next((p for p in account.pillars if p.code == "commercial_potential"), None)
        if (account is not None)
        else None
    )
    return found is not None and found.value is not None and found.value >= s.high_potential_min


def _sufficient(
    f: OpportunityFeatures, account: AccountHealth | None, new_deal_days: float
) -> bool:
    """Judged unless the deal is new (younger than `new_deal_days`), the buyer was never
    seen on it and its account is not judged either."""
    seen = f.last_buyer_at is not None or f.meetings > 0
    seen = seen or any(p.read_ms > 0 or p.meetings > 0 for p in f.people)
    first = f.first_known_at
    old = first is not None and (f.as_of - first).total_seconds() >= new_deal_days * 86_400
    judged = account is not None and account.band is not AccountBand.INSUFFICIENT_DATA
    return seen or old or judged


@dataclass(frozen=True)
class _Weights:
    """The tenant's pillar weights, resolved once per assessment rather than per deal."""

    raw: dict[str, float]
    total: float
    shares: dict[str, float]  # the weights as the result reports them (sum 1)

    @classmethod
    def of(cls, scoring: TenantScoring) -> _Weights:
        raw = scoring.pillar_weights()
        total = sum(max(w, 0.0) for w in raw.values()) or 1.0
        return cls(raw, total, {n: round(max(raw[n], 0.0) / total, 4) for n in PILLARS})

    def value(self, pillars: dict[str, Pillar]) -> float:
        """The health value: the pillars' weighted mean."""
        weighted = sum(max(self.raw[n], 0.0) * pillars[n].value for n in PILLARS)
        return round(weighted / self.total, 1)


def _factors(ranked: list[tuple[float, Factor]]) -> list[Factor]:
    """The first three, each with its points of the health value."""
    return [
        trusted(Factor, code=fac.code, summary=fac.summary, contribution=points)
        for points, fac in ranked[:3]
    ]


@dataclass(frozen=True)
class _Prepared:
    """What a deal's assessment needs of neither its engagement nor its account: computed
    while those are still being read."""

    signals: tuple[RiskSignal, ...]
    evidence: ForecastEvidence
    # the unanswered customer's signal, open only on a high-potential deal (judged later)
    waiting: RiskSignal | None


def _prepared(f: OpportunityFeatures, stats: TenantStats, scoring: TenantScoring) -> _Prepared:
    t = scoring.tuning
    signals = (
        *series_signals(f.series_meetings, f.as_of, t.early_warning),
        *tag_interest_signals(f, f.tag_reads, t.engagement.page_tags, t.early_warning),
    )
    calibrated = scoring.probability(feature_vector(f, stats, t)) if scoring.coef else None
    evidence = build_evidence(
        f,
        stats,
        settings=t.forecast,
        min_samples=t.stall.min_samples,
        stages=scoring.stages,
        calibrated_probability=calibrated,
        model_version=scoring.model_version,
    )
    return _Prepared(signals, evidence, unanswered_signal(f.exchanges, f.as_of, t.early_warning))


@dataclass(frozen=True)
class _BeforeEngagement:
    """What a deal's health needs of its account but not of its engagement score — every
    pillar but the relationship, the actions, whether it can be judged at all: computed
    while the engagement score is still being read."""

    pillars: dict[str, Pillar]
    actions: list[NextAction]
    sufficient: bool


def _before_engagement(
    f: OpportunityFeatures,
    stats: TenantStats,
    tuning: ScoringSettings,
    account: AccountHealth | None,
    signals: tuple[RiskSignal, ...],
) -> _BeforeEngagement:
    return _BeforeEngagement(
        pillars_before_engagement(PillarInputs(f, stats, None, f.as_of, account, signals)),
        next_actions(f, f.as_of, account, signals=signals),
        _sufficient(f, account, tuning.health.new_deal_days),
    )


def _assess_one(
    f: OpportunityFeatures,
    stats: TenantStats,
    scoring: TenantScoring,
    engagement: float | None,
    now: datetime,
    account: AccountHealth | None = None,
    weighting: _Weights | None = None,
    prepared: _Prepared | None = None,
    before: _BeforeEngagement | None = None,
) -> Assessment:
    t = scoring.tuning
    w = weighting or _Weights.of(scoring)
    early = prepared or _prepared(f, stats, scoring)
    signals, evidence = early.signals, early.evidence
    settled = before or _before_engagement(f, stats, t, account, signals)
    inputs = PillarInputs(f, stats, engagement, f.as_of, account, signals)
    relationship = relationship_pillar(inputs)
    pillars = with_relationship(settled.pillars, relationship)
    value = w.value(pillars)
    # high potential is judged on the health before the wait's own penalty (else an open
    # wait could push a deal out of the band that made it count)
    high = _high_potential(health_band(value, t), account, t.early_warning)
    if high and early.waiting is not None:
        signals = (*signals, early.waiting)
        settled = _before_engagement(f, stats, t, account, signals)
        pillars = with_relationship(settled.pillars, relationship)
        value = w.value(pillars)
    # each factor's points of the health value; only the top three either way become models
    scaled = [
        (round(fac.contribution * w.raw[n] / w.total, 2), fac)
        for n in PILLARS
        for fac in pillars[n].factors
    ]
    # trusted (here, in the pillars and the evidence): the fields are the pillars' own,
    # already typed and in range; validating them again per deal cost most of an assessment
    health = trusted(
        HealthResult,
        opportunity_id=f.opportunity_id,
        value=min(value, 100.0),
        band=health_band(value, t) if settled.sufficient else HealthBand.INSUFFICIENT_DATA,
        pillars=pillars,
        pillar_weights=dict(w.shares),
        actions=settled.actions,
        top_positive=_factors(sorted((x for x in scaled if x[0] > 0), key=lambda x: -x[0])),
        top_negative=_factors(sorted((x for x in scaled if x[0] < 0), key=lambda x: x[0])),
        signals=list(signals),
        engagement=engagement,
        model_version=scoring.model_version,
        scored_at=now,
        as_of=f.as_of,
    )
    return Assessment(health, evidence, f, high)


@contextmanager
def collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off during an assessment. Each deal's features and
    results are many small container objects (rows, dataclasses, models, their lists and
    dicts) that form no reference cycle and stay alive; for 10 000 deals they grew the heap
    past the full-collection trigger several times, each walking every live object —
    measured, about two thirds of the per-deal step, and 1.5 s of a 7.5 s assessment when
    the features were built with it on. Plain reference counting still frees everything that
    dies meanwhile. Process-wide, like `gc.freeze` at start-up (`api.services`); only the
    caller that switched it off switches it back on.

    `assess` pauses it itself. A caller that uses the results briefly and drops them can
    hold it paused until then: switched back on while the results live, the collector's
    next pass walks every one of them (~1M objects, 0.35 s for 10 000 deals, measured), and
    again in each older generation; freed first, they are never walked."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _engagement(
    ch: ClickHouse,
    tenant_id: str,
    ids: Sequence[str],
    as_of: datetime,
    tuning: ScoringSettings,
    source: EventSource,
) -> dict[str, float]:
    # One round over every id: the value rows are a few per opportunity, and each round of
    # queries costs its planning and its scans of the scope's rollup and entity tables again
    # (10 rounds of 1000: ~4.2 s, one of 10 000: ~1.5 s on a 10k-opportunity store).
    query = ScoringQuery(tenant_id, ScopeKind.OPPORTUNITY, list(ids), as_of, source=source)
    return compute_values(ch, query, tuning)


@collector_paused()
def assess(
    ch: ClickHouse,
    scoring: TenantScoring,
    tenant_id: str,
    opportunity_ids: list[str] | None,
    as_of: datetime,
    *,
    now: datetime,
    with_engagement: bool = True,
    open_only: bool = False,
    source: EventSource = EventSource.ROLLUP,
) -> dict[str, Assessment]:
    """Health and evidence of the given opportunities (all of the tenant's when None) as of
    `as_of`. The engagement score (scoring.engagement.service) and the accounts' health
    (scoring.accounts) feed the pillars only when `with_engagement`: both are live, so
    historical snapshots leave them out. `source`: where the engagement score and the
    features' page reads come from (RAW: the reference path the rollup is checked against)."""
    t = scoring.tuning
    with ThreadPoolExecutor(2, thread_name_prefix="assess") as reads:
        stats_read = reads.submit(tenant_stats, ch, tenant_id, as_of, t)
        features = features_as_of(ch, tenant_id, opportunity_ids, as_of, t, source=source)
        if open_only:
            features = {k: f for k, f in features.items() if f.is_open}
        # the live reads start once the features are read, not beside them: the embedded
        # engine runs one query at a time and the Python of both needs the GIL, so reading
        # them beside the features only made the features later (3.4 against 6.2 s on the
        # 10k store), while the deals' signals and evidence, which need neither, wait for
        # the features and can run beside the live reads
        live = None
        if with_engagement:
            live = _live_reads(reads, ch, tenant_id, features, as_of, t, source)
        # the engine reads the accounts and then the engagement meanwhile (it releases the
        # GIL): what needs the accounts only is computed while the engagement is read
        stats = stats_read.result()
        early = {k: _prepared(f, stats, scoring) for k, f in features.items()}
        held = live.accounts.result() if live is not None else {}
        before = {
            k: _before_engagement(f, stats, t, held.get(f.account), early[k].signals)
            for k, f in features.items()
        }
        values = live.engagement.result() if live is not None else {}
    weighting = _Weights.of(scoring)
    return {
        k: _assess_one(
            f,
            stats,
            scoring,
            values.get(k) if with_engagement else None,
            now,
            held.get(f.account),
            weighting,
            early[k],
            before[k],
        )
        for k, f in features.items()
    }


@dataclass(frozen=True)
class _LiveReads:
    """The reads that feed the pillars only when the assessment is live."""

    engagement: Future[dict[str, float]]  # value by deal
    accounts: Future[dict[str, AccountHealth]]  # health by account


def _live_reads(
    reads: Executor,
    ch: ClickHouse,
    tenant_id: str,
    features: dict[str, OpportunityFeatures],
    as_of: datetime,
    tuning: ScoringSettings,
    source: EventSource,
) -> _LiveReads | None:
    """The deals' engagement values and their accounts' health, submitted to `reads`: the
    accounts first (a quarter of the engine time), so that what needs only them can be
    computed while the engagement is read."""
    accounts = {k: f.account for k, f in features.items()}
    if not accounts:
        return None
    held = reads.submit(_accounts, ch, tenant_id, accounts, as_of, tuning)
    values = reads.submit(
        _after, held, _engagement, ch, tenant_id, sorted(accounts), as_of, tuning, source
    )
    return _LiveReads(values, held)


def _after(first: Future[Any], read: Callable[..., T], *args: Any) -> T:
    """`read(*args)` once `first` is done: the embedded engine runs one query at a time, so
    two reads submitted together finish together, each one's queries between the other's."""
    wait([first])
    return read(*args)


def _accounts(
    ch: ClickHouse,
    tenant_id: str,
    accounts: dict[str, str],
    as_of: datetime,
    tuning: ScoringSettings,
) -> dict[str, AccountHealth]:
    """The health of the deals' accounts (`accounts`: account by deal), by account id."""
    known = list_accounts(ch, tenant_id, ids=sorted(set(accounts.values())), limit=len(accounts))
    return {h.account_id: h for h in assess_accounts(ch, tenant_id, known, as_of, tuning.accounts)}
