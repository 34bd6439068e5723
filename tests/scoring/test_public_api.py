"""`scoring`'s public surface is pinned, and it depends on `tracker` only."""

from __future__ import annotations

import ast
from pathlib import Path

import scoring

EXPECTED = {
    "MODEL_VERSION", "Band", "Component", "EngagedPerson", "EpochListener", "Factor",
    "Freshness", "Notice", "OpportunityEngagement", "PageRead", "Score", "ScoreItem",
    "ScoresPage", "ScopeKind", "ScoringQuery", "Sufficiency", "SufficiencyLevel", "SyncCursor",
    "Timeline", "TimelineItem", "band_of", "build_timeline", "compute_scores",
    "make_epoch_listener", "opportunities_in_batch", "opportunity_engagement",
    "opportunity_engagement_json", "score_opportunities", "score_signals", "scores_page",
    # the synthetic data generator
    "SyntheticDataset", "generate_synthetic", "load_synthetic",
    # opportunity health, stalls, forecast evidence and calibration
    "CalibrationReport", "CalibrationResult", "EvidenceItem", "FitScores", "ForecastEvidence",
    "ForecastRollup", "HealthBand", "HealthResult", "NextAction", "OpportunityFeatures",
    "Assessment", "Pillar", "ProcessHealthReport", "RollupLine", "StallReason", "StallRun",
    "TeamProcess", "WeekChange", "week_of", "DealBriefing", "briefing_deals",
    "CalibrationRun", "RunStatus", "DEFAULT_RULES", "ForecastRule", "load_rules", "save_rules",
    "approve_run", "incomplete_evidence_deals", "calibration_job", "list_runs", "monthly_due",
    "TenantScoring",
    "assess", "collector_paused",
    "calibrate", "detect_stall", "features_as_of", "forecast_calibration", "forecast_rollup",
    "last_update", "load_tenant_scoring", "opportunity_evidence", "opportunity_health",
    "parse_period",
    "process_health", "record_snapshots", "run_stall_detection", "snapshot_job", "stall_job",
    "warm_job", "warm_scores",
    # what scoring publishes (outbound reacts)
    "BandChanged", "ScoringEvent", "ScoringListener", "StallCleared", "StallDeal", "StallOpened",
    "TenantScoringCache", "StallEpisode", "StallStatus", "list_stalls", "open_stalls",
    "bump_epochs",
    # scores from the engagement rollup, and the raw-events reference path (issue 17)
    "EventSource", "engagement_detail",
    # customer health per account, its bands and the finance cross-check
    "PILLAR_NAMES", "AccountBand", "AccountBandChanged", "AccountHealth", "AccountHealthPage",
    "AccountPillar", "BandActionPlan", "BandRecord", "PillarPart", "RiskFlag", "RiskReason",
    "account_band_job", "account_health", "account_health_page", "band_history",
    "record_account_bands", "finance_risk",
    # the brief's early-warning signals (issue 21)
    "RiskSignal", "CustomerWaiting", "CustomerAnswered", "find_waiting_customers",
    "unanswered_job",
}  # fmt: skip


def test_public_names_are_pinned() -> None:
    assert set(scoring.__all__) == EXPECTED
    assert all(hasattr(scoring, name) for name in scoring.__all__)


def test_scoring_imports_only_tracker_and_sql_stays_in_repositories() -> None:
    root = Path(scoring.__file__).parent
    for module in root.rglob("*.py"):
        source = module.read_text()
        for node in ast.walk(ast.parse(source)):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            for name in names:
                top = name.split(".")[0]
                banned = {"api", "outbound", "ingest", "watermark", "fastapi", "starlette"}
                assert top not in banned, module
        assert "__all__" in source, module
        if not module.name.endswith(("repository.py", "store.py")):
            assert "SELECT " not in source, module
