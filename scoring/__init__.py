"""Engagement scoring: per recipient, per document version and per opportunity, from
ClickHouse aggregations; cached in Redis per opportunity epoch. Also the CRM's bulk score
sync and the opportunity timeline."""

from __future__ import annotations

from scoring.actions import NextAction
from scoring.calibration import CalibrationResult, FitScores, calibrate
from scoring.calibration_report import CalibrationReport, forecast_calibration
from scoring.daily_snapshots import record_snapshots, snapshot_job
from scoring.engagement import band_of, score_signals
from scoring.evidence import EvidenceItem, ForecastEvidence
from scoring.forecast import (
    ForecastRollup,
    RollupLine,
    forecast_rollup,
    opportunity_evidence,
    opportunity_health,
    parse_period,
)
from scoring.health import (
    Assessment,
    HealthBand,
    HealthResult,
    TenantScoring,
    assess,
    load_tenant_scoring,
)
from scoring.listener import EpochListener, make_epoch_listener, opportunities_in_batch
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
from scoring.pillars import Pillar
from scoring.process_report import ProcessHealthReport, process_health
from scoring.repository import ScopeKind, ScoringQuery
from scoring.service import (
    OpportunityEngagement,
    compute_scores,
    opportunity_engagement,
    opportunity_engagement_json,
    score_opportunities,
)
from scoring.snapshots import OpportunityFeatures, features_as_of
from scoring.stall import StallRun, detect_stall, run_stall_detection, stall_job
from scoring.sync import ScoreItem, ScoresPage, SyncCursor, scores_page
from scoring.synthetic import SyntheticDataset
from scoring.synthetic import generate as generate_synthetic
from scoring.synthetic import load as load_synthetic
from scoring.timeline import PageRead, Timeline, TimelineItem, build_timeline
from scoring.warm import warm_job, warm_scores

__all__ = [
    "MODEL_VERSION",
    "Assessment",
    "Band",
    "CalibrationReport",
    "CalibrationResult",
    "Component",
    "EngagedPerson",
    "EpochListener",
    "EvidenceItem",
    "Factor",
    "FitScores",
    "ForecastEvidence",
    "ForecastRollup",
    "Freshness",
    "HealthBand",
    "HealthResult",
    "NextAction",
    "Notice",
    "OpportunityEngagement",
    "OpportunityFeatures",
    "PageRead",
    "Pillar",
    "ProcessHealthReport",
    "RollupLine",
    "ScopeKind",
    "Score",
    "ScoreItem",
    "ScoresPage",
    "ScoringQuery",
    "StallRun",
    "Sufficiency",
    "SufficiencyLevel",
    "SyncCursor",
    "SyntheticDataset",
    "TenantScoring",
    "Timeline",
    "TimelineItem",
    "assess",
    "band_of",
    "build_timeline",
    "calibrate",
    "compute_scores",
    "detect_stall",
    "features_as_of",
    "forecast_calibration",
    "forecast_rollup",
    "generate_synthetic",
    "load_synthetic",
    "load_tenant_scoring",
    "make_epoch_listener",
    "opportunities_in_batch",
    "opportunity_engagement",
    "opportunity_engagement_json",
    "opportunity_evidence",
    "opportunity_health",
    "parse_period",
    "process_health",
    "record_snapshots",
    "run_stall_detection",
    "score_opportunities",
    "score_signals",
    "scores_page",
    "snapshot_job",
    "stall_job",
    "warm_job",
    "warm_scores",
]
