"""One typed settings object for the whole service (env prefix `DEALSIGNAL_`).

Flat names for the stores (`DEALSIGNAL_REDIS_URL`, `DEALSIGNAL_CLICKHOUSE_URL`, …) because
operators type them; tuning groups are nested (`DEALSIGNAL_LIMITS__MAX_PDF_BYTES`).
"""

from __future__ import annotations

import secrets
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from tracker.errors import ConfigurationError
from tracker.notify_settings import NotifySettings
from tracker.scoring_settings import ScoringSettings

__all__ = [
    "ClickHouseMode",
    "IngestSettings",
    "Limits",
    "NotifySettings",
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
    # Page content pdfium may parse per upload, counting a shared stream once per use
    # (CPU-bomb guard; the 251-page Debian reference in Chinese needs 4.6 MB).
    max_pdf_content_bytes: int = 64 * 1024 * 1024
    # Evidence screenshots and scans (PNG/JPEG): decoded pixels, a decompression-bomb guard.
    max_image_pixels: int = 40_000_000
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
        extra="forbid",
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
    notify: NotifySettings = Field(default_factory=NotifySettings)

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
