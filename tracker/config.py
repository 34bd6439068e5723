"""One typed settings object for the whole service (env prefix `DEALSIGNAL_`).

Flat names for the stores (`DEALSIGNAL_REDIS_URL`, `DEALSIGNAL_CLICKHOUSE_URL`, …) because
operators type them; tuning groups are nested (`DEALSIGNAL_LIMITS__MAX_PDF_BYTES`).
"""

from __future__ import annotations

import secrets
from enum import StrEnum
from pathlib import Path
from typing import Annotated, ClassVar

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from tracker.errors import ConfigurationError

__all__ = [
    "ClickHouseMode",
    "IngestSettings",
    "Limits",
    "ScoringSettings",
    "Settings",
    "WebhookSettings",
    "resolve_secret_keys",
]


class ClickHouseMode(StrEnum):
    EMBEDDED = "embedded"
    SERVER = "server"


class Limits(BaseModel):
    max_pdf_bytes: int = 50 * 1024 * 1024
    max_pdf_pages: int = 500
    # Bounded decompressed size of any single PDF stream (decompression-bomb guard).
    max_pdf_stream_bytes: int = 64 * 1024 * 1024
    max_beacon_bytes: int = 64 * 1024
    max_beacon_events: int = 100
    max_batch_items: int = 1000


class IngestSettings(BaseModel):
    stream: str = "ds:events"
    dead_letter_stream: str = "ds:events:dead"
    group: str = "writers"
    batch_rows: int = 10_000
    batch_seconds: float = 1.0
    heartbeat_seconds: int = 10
    dwell_slack_seconds: int = 5
    idle_cutoff_seconds: int = 60
    visit_gap_seconds: int = 600
    clock_skew_seconds: int = 300
    reclaim_idle_ms: int = 30_000
    max_deliveries: int = 5
    ip_mode: str = "hash"  # hash | truncate | raw


class ScoringSettings(BaseModel):
    """Engagement, health, stall and forecast tuning (weights are per-tenant overridable)."""

    # What a deployment pays for (cache lifetimes, batch sizes, job intervals, simulation
    # counts): the operator's to set, never a tenant's override.
    DEPLOYMENT_ONLY: ClassVar[frozenset[str]] = frozenset(
        {
            "score_cache_seconds",
            "bulk_batch_size",
            "sync_overlap_seconds",
            "stall_interval_seconds",
            "snapshot_interval_seconds",
            "forecast_simulations",
            "warm_delay_seconds",
            "warm_batch",
            "warm_interval_seconds",
            "warm_watch_days",
            "warm_budget_seconds",
        }
    )

    document_half_life_days: float = 7.0
    meeting_half_life_days: float = 14.0
    words_per_minute: int = 238
    min_page_seconds: float = 5.0
    glance_seconds: float = 2.0
    revisit_gap_hours: float = 24.0
    score_cache_seconds: int = 3600
    # Engagement component weights (points out of 100; they must sum to 100).
    weight_depth: float = 30.0
    weight_breadth: float = 20.0
    weight_decision_maker: float = 15.0
    weight_revisit: float = 10.0
    weight_pricing: float = 10.0
    weight_download: float = 5.0
    weight_meeting: float = 10.0
    # Saturation targets: the amount of a signal that earns a component's full points.
    breadth_target_people: float = 3.0
    revisit_target: float = 2.0
    pricing_share_target: float = 0.2
    download_target: float = 1.0
    meeting_target: float = 1.0
    # Bands: value >= hot_threshold is hot, >= warm_threshold warm, else cold.
    hot_threshold: float = 70.0
    warm_threshold: float = 40.0
    # Data sufficiency: below this much human dwell (and no meeting) a score is `low`.
    sufficient_dwell_seconds: float = 60.0
    # Scores pulled in bulk are computed this many opportunities per ClickHouse round.
    bulk_batch_size: int = 1000
    # Score warmer (scoring.engagement.warm): an opportunity whose epoch was bumped is
    # recomputed into the cache once it has been dirty this long (a burst of heartbeats costs one
    # recomputation), at most `warm_batch` opportunities per run, every
    # `warm_interval_seconds`; the costly engagement detail only for opportunities whose
    # detail was pulled in the last `warm_watch_days`. warm_batch = 0 turns it off (scores
    # are then computed on the first pull after a change).
    warm_delay_seconds: float = 10.0
    warm_batch: int = Field(default=50, ge=0, le=1_000)
    warm_interval_seconds: float = 2.0
    warm_watch_days: float = 7.0
    warm_budget_seconds: float = 1.5  # per run, so the scheduler's other jobs stay on time
    # The sync watermark handed to the CRM lags the sweep start by this much, covering
    # events still in flight through the ingest buffer (overlap = harmless duplicates).
    sync_overlap_seconds: int = 300
    # Opportunity health (scoring.health.assess): pillar weights (any scale, normalised) and bands:
    # value >= health_blue_threshold is blue, >= health_yellow_threshold yellow, else red.
    health_weight_commercial: float = 20.0
    health_weight_cooperation: float = 15.0
    health_weight_relationship: float = 40.0
    health_weight_risk: float = 25.0
    health_blue_threshold: float = 70.0
    health_yellow_threshold: float = 45.0
    # Stalls (scoring.stall.detect): inactivity window, per-stage overrides, "ghosted" factor k on
    # the tenant's median reply time (default reply time until enough replies are known),
    # and the stage-age quantile (needs stall_min_samples finished stage stays).
    stall_inactivity_hours: float = 48.0
    stall_stage_inactivity_hours: dict[str, float] = Field(default_factory=dict)
    stall_ghost_factor: float = 3.0
    stall_default_reply_hours: float = 24.0
    stall_stage_age_quantile: float = 0.75
    stall_min_samples: int = 5
    stall_interval_seconds: float = 900.0
    # Forecast evidence chain (scoring.forecast.evidence): item weights (normalised to 100), the
    # credibility threshold and the haircut applied below it.
    evidence_weights: dict[str, float] = Field(
        default_factory=lambda: {
            "decision_maker_engaged": 20.0,
            "stakeholders_engaged": 15.0,
            "proposal_depth": 15.0,
            "customer_initiated_contact": 15.0,
            "decision_maker_meeting": 15.0,
            "proposal_revisions": 10.0,
            "close_date_pushes": 5.0,
            "stage_age": 5.0,
        }
    )
    # The CRM's default probability per open stage: the baseline calibration must beat, and
    # the probability of a historical snapshot whose CRM row was overwritten since.
    stage_probabilities: dict[str, float] = Field(
        default_factory=lambda: {
            "prospecting": 10.0,
            "qualification": 20.0,
            "discovery": 35.0,
            "proposal": 50.0,
            "negotiation": 70.0,
        }
    )
    credibility_threshold: float = 60.0
    credibility_haircut: float = 0.7
    forecast_simulations: int = 10_000
    forecast_seed: int = 20_240_601
    snapshot_interval_seconds: float = 86_400.0
    # Calibration (scoring.health.calibration): minimum won+lost deals, L2 strength (C), held-out
    # share of the newest deals.
    calibration_min_outcomes: int = 40
    calibration_c: float = 1.0
    calibration_holdout: float = 0.3


class WebhookSettings(BaseModel):
    """Outbound webhooks: signed, retried through a Redis queue."""

    # Hosts or CIDRs allowed even though they resolve to private/loopback addresses.
    allow_private: list[str] = Field(default_factory=list)
    max_attempts: int = 8
    first_retry_seconds: float = 1.0
    timeout_seconds: float = 10.0
    queue: str = "ds:webhooks"
    # Cap of one backoff step (first_retry_seconds × 2^n, ±20 % jitter, then capped).
    max_retry_seconds: float = 3600.0
    # A claimed attempt not finished within this is handed to another dispatcher.
    lease_seconds: float = 120.0
    # Attempts claimed per dispatcher round, and sent concurrently.
    batch_size: int = 100
    concurrency: int = 20
    # Idle dispatcher poll interval (it wakes earlier when a retry falls due).
    poll_seconds: float = 0.5
    # How long emitters and dispatchers cache a tenant's subscriptions.
    subscription_cache_seconds: float = 5.0
    # Emission dedupe (visit, event, link+viewer keys) lifetime.
    dedupe_ttl_seconds: int = 30 * 86_400
    max_subscriptions: int = 50


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DEALSIGNAL_",
        env_nested_delimiter="__",
        extra="ignore",
    )

    data_dir: Path = Path("./data")
    secret_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    public_base_url: str = "http://127.0.0.1:8000"
    default_locale: str = "en"

    clickhouse_mode: ClickHouseMode = ClickHouseMode.EMBEDDED
    clickhouse_url: str = "http://127.0.0.1:8123"
    clickhouse_user: str = "default"
    clickhouse_password: str = ""
    clickhouse_database: str = "dealsignal"
    clickhouse_cluster: str | None = None
    # Embedded engine location; defaults to <data_dir>/clickhouse.
    clickhouse_path: Path | None = None
    clickhouse_compress: bool = True
    event_ttl_days: int = 730

    redis_url: str | None = None
    # Run the writer, webhook dispatcher and scheduler inside `serve`. Unset: yes in embedded
    # mode (the only process that may open the store), no in server mode (separate
    # `dealsignal writer` / `worker`). False gives an API-only process (benchmarks).
    background: bool | None = None

    limits: Limits = Field(default_factory=Limits)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    scoring: ScoringSettings = Field(default_factory=ScoringSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)

    @field_validator("secret_keys", mode="before")
    @classmethod
    def _split_secret_keys(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @property
    def embedded(self) -> bool:
        return self.clickhouse_mode is ClickHouseMode.EMBEDDED

    @property
    def embedded_path(self) -> Path:
        return self.clickhouse_path or self.data_dir / "clickhouse"


def resolve_secret_keys(settings: Settings) -> list[str]:
    """Secrets for signing, newest first.

    Server mode refuses to start without `DEALSIGNAL_SECRET_KEYS`; embedded mode generates one
    on first start and keeps it under the data dir so links survive restarts.
    """
    if settings.secret_keys:
        return list(settings.secret_keys)
    if not settings.embedded:
        raise ConfigurationError(
            "DEALSIGNAL_SECRET_KEYS is required in server mode "
            "(comma-separated, newest first; generate one with "
            "`python -c 'import secrets; print(secrets.token_urlsafe(32))'`)"
        )
    path = settings.data_dir / "secret_key"
    if not path.exists():
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(32))
        path.chmod(0o600)
    return [path.read_text().strip()]
