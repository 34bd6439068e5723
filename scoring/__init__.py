"""Engagement scoring: per recipient, per document version and per opportunity, from
ClickHouse aggregations; cached in Redis per opportunity epoch. Also the CRM's bulk score
sync and the opportunity timeline."""

from __future__ import annotations

from scoring.account_bands import account_band_job, record_account_bands
from scoring.accounts import (
    PILLAR_NAMES,
    AccountBand,
    AccountHealth,
    AccountHealthPage,
    AccountPillar,
    BandRecord,
    PillarPart,
    account_health,
    account_health_page,
    band_history,
)
from scoring.engagement.epochs import bump_epochs
from scoring.engagement.listener import EpochListener, make_epoch_listener, opportunities_in_batch
from scoring.engagement.repository import EventSource, ScopeKind, ScoringQuery
from scoring.engagement.score import band_of, score_signals
from scoring.engagement.service import (
    OpportunityEngagement,
    compute_scores,
    engagement_detail,
    opportunity_engagement,
    opportunity_engagement_json,
    score_opportunities,
)
from scoring.engagement.sync import ScoreItem, ScoresPage, SyncCursor, scores_page
from scoring.engagement.warm import warm_job, warm_scores
from scoring.forecast.daily_snapshots import record_snapshots, snapshot_job
from scoring.forecast.evidence import EvidenceItem, ForecastEvidence
from scoring.forecast.finance_risk import RiskFlag, RiskReason, finance_risk
from scoring.forecast.rollup import (
    ForecastRollup,
    RollupLine,
    forecast_rollup,
    opportunity_evidence,
    opportunity_health,
    parse_period,
)
from scoring.health.actions import NextAction
from scoring.health.assess import (
    Assessment,
    HealthBand,
    HealthResult,
    assess,
    collector_paused,
)
from scoring.health.briefing import DealBriefing, briefing_deals
from scoring.health.calibration import CalibrationResult, FitScores, approve_run, calibrate
from scoring.health.features import OpportunityFeatures, features_as_of
from scoring.health.pillars import Pillar
from scoring.health.reweighting import calibration_job, monthly_due
from scoring.health.risk_signals import RiskSignal
from scoring.health.run_store import CalibrationRun, RunStatus, list_runs
from scoring.health.unanswered_job import find_waiting_customers, unanswered_job
from scoring.model import (
    MODEL_VERSION,
    Band,
    Component,
    EngagedPerson,
    Factor,
    Freshness,
    Notice,
    Score,
    Sufficiency,
    SufficiencyLevel,
)
from scoring.published import (
    AccountBandChanged,
    BandActionPlan,
    BandChanged,
    CustomerAnswered,
    CustomerWaiting,
    ScoringEvent,
    ScoringListener,
    StallCleared,
    StallDeal,
    StallOpened,
)
from scoring.reports.calibration import CalibrationReport, forecast_calibration
from scoring.reports.coaching_repository import incomplete_evidence_deals
from scoring.reports.process import (
    ProcessHealthReport,
    TeamProcess,
    WeekChange,
    process_health,
    week_of,
)
from scoring.reports.rules import DEFAULT_RULES, ForecastRule, load_rules, save_rules
from scoring.stall.detect import (
    StallReason,
    StallRun,
    detect_stall,
    last_update,
    run_stall_detection,
    stall_job,
)
from scoring.stall.store import StallEpisode, StallStatus, list_stalls, open_stalls
from scoring.synthetic.dataset import SyntheticDataset
from scoring.synthetic.dataset import generate as generate_synthetic
from scoring.synthetic.dataset import load as load_synthetic
from scoring.tenant import TenantScoring, TenantScoringCache, load_tenant_scoring
from scoring.timeline import PageRead, Timeline, TimelineItem, build_timeline

__all__ = [
    "DEFAULT_RULES",
    "MODEL_VERSION",
    "PILLAR_NAMES",
    "AccountBand",
    "AccountBandChanged",
    "AccountHealth",
    "AccountHealthPage",
    "AccountPillar",
    "Assessment",
    "Band",
    "BandActionPlan",
    "BandChanged",
    "BandRecord",
    "CalibrationReport",
    "CalibrationResult",
    "CalibrationRun",
    "Component",
    "CustomerAnswered",
    "CustomerWaiting",
    "DealBriefing",
    "EngagedPerson",
    "EpochListener",
    "EventSource",
    "EvidenceItem",
    "Factor",
    "FitScores",
    "ForecastEvidence",
    "ForecastRollup",
    "ForecastRule",
    "Freshness",
    "HealthBand",
    "HealthResult",
    "NextAction",
    "Notice",
    "OpportunityEngagement",
    "OpportunityFeatures",
    "PageRead",
    "Pillar",
    "PillarPart",
    "ProcessHealthReport",
    "RiskFlag",
    "RiskReason",
    "RiskSignal",
    "RollupLine",
    "RunStatus",
    "ScopeKind",
    "Score",
    "ScoreItem",
    "ScoresPage",
    "ScoringEvent",
    "ScoringListener",
    "ScoringQuery",
    "StallCleared",
    "StallDeal",
    "StallEpisode",
    "StallOpened",
    "StallReason",
    "StallRun",
    "StallStatus",
    "Sufficiency",
    "SufficiencyLevel",
    "SyncCursor",
    "SyntheticDataset",
    "TeamProcess",
    "TenantScoring",
    "TenantScoringCache",
    "Timeline",
    "TimelineItem",
    "WeekChange",
    "account_band_job",
    "account_health",
    "account_health_page",
    "approve_run",
    "assess",
    "band_history",
    "band_of",
    "briefing_deals",
    "build_timeline",
    "bump_epochs",
    "calibrate",
    "calibration_job",
    "collector_paused",
    "compute_scores",
    "detect_stall",
    "engagement_detail",
    "features_as_of",
    "finance_risk",
    "find_waiting_customers",
    "forecast_calibration",
    "forecast_rollup",
    "generate_synthetic",
    "incomplete_evidence_deals",
    "last_update",
    "list_runs",
    "list_stalls",
    "load_rules",
    "load_synthetic",
    "load_tenant_scoring",
    "make_epoch_listener",
    "monthly_due",
    "open_stalls",
    "opportunities_in_batch",
    "opportunity_engagement",
    "opportunity_engagement_json",
    "opportunity_evidence",
    "opportunity_health",
    "parse_period",
    "process_health",
    "record_account_bands",
    "record_snapshots",
    "run_stall_detection",
    "save_rules",
    "score_opportunities",
    "score_signals",
    "scores_page",
    "snapshot_job",
    "stall_job",
    "unanswered_job",
    "warm_job",
    "warm_scores",
    "week_of",
]
