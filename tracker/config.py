"""One typed settings object for the whole service (env prefix `DEALSIGNAL_`).

Flat names for the stores (`DEALSIGNAL_REDIS_URL`, `DEALSIGNAL_CLICKHOUSE_URL`, …) because
operators type them; tuning groups are nested (`DEALSIGNAL_LIMITS__MAX_PDF_BYTES`).
"""

from __future__ import annotations

import secrets
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from tracker.errors import ConfigurationError
from tracker.notify_settings import NotifySettings
from tracker.scoring_settings import ScoringSettings

__all__ = [
    "AuthSettings",
    "BlobSettings",
    "ClickHouseMode",
    "IngestSettings",
    "Limits",
    "NotifySettings",
    "RenderSettings",
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
    # Request bodies by route class, refused before any key or session check
    # (api/body_limits.py): the JSON API (a 1 000-item CRM batch is ~0.5 MB), people's forms
    # (a 50 000-character recipient list in Chinese is ~450 kB URL-encoded), and PDF uploads
    # (`max_pdf_bytes` plus this much for the multipart envelope and its small fields).
    max_json_bytes: int = 2 * 1024 * 1024
    max_form_bytes: int = 512 * 1024
    upload_overhead_bytes: int = 256 * 1024
    max_beacon_events: int = 100
    max_batch_items: int = 1000


class AuthSettings(BaseModel):
    """Guessing budgets for people's secrets (sign-in passwords, link passcodes), per target
    and per source address, counted in Redis over one window; and the bound on concurrent
    password hashes (argon2id costs 64 MiB and ~50 ms of one core per check)."""

    window_seconds: int = 15 * 60
    # Link passcodes: every try counts, whatever cookie the client sends.
    passcode_tries_per_link: int = 30
    passcode_tries_per_ip: int = 10
    # Sign-in: failures per account (the normalised email, whatever the source address)
    # and per source address (whatever the account).
    signin_failures_per_account: int = 10
    signin_failures_per_ip: int = 30
    # Hashes running at once, and requests allowed to queue for one; more → 429 `busy`.
    password_checks_concurrent: int = 2
    password_checks_waiting: int = 8


class IngestSettings(BaseModel):
    stream: str = "ds:events"
    dead_letter_stream: str = "ds:events:dead"
    group: str = "writers"
    batch_rows: int = 10_000
    batch_seconds: float = 1.0
    heartbeat_seconds: int = 10
    dwell_slack_seconds: int = 5
    # Active time a visit may report beyond its wall-clock age (ingest.visits): one
    # heartbeat plus the clamp's slack; dwell rows beyond are flagged dwell_over_clock.
    dwell_clock_slack_seconds: int = 15
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


class RenderSettings(BaseModel):
    """The background page-image pool (`api.prerender`): every page of a new link's copy,
    at the widths the viewer asks for first, before the buyer opens it."""

    # Worker tasks per process. pdfium renders one page at a time per process (its lock), so
    # more workers only overlap stamping, PNG encoding and I/O with the render.
    workers: int = Field(default=1, ge=0)
    # In the order rendered: the viewer's `src` and a 928-px column at 1× (1200), a phone
    # column at 2× (800), a 928-px column at 1.5–2× (1600: Chrome's pick at 2×), the
    # thumbnail rail (480). 2400 (Safari/Firefox at 2×) is rendered when asked for.
    widths: tuple[int, ...] = (1200, 800, 1600, 480)
    # A job pending this long belongs to a crashed or stopped worker and is claimed again.
    reclaim_idle_ms: int = Field(default=60_000, ge=0)
    # A job claimed this many times is dropped (logged and counted): it crashes its worker.
    max_claims: int = Field(default=5, ge=1)
    # Pages rendered ahead per link, from the first; 0: every page. Each recipient's copy is
    # stamped, so nothing is shared between links: at the four widths a 150-page proposal is
    # hundreds of MB of images per link (its 1200-px first page alone: 581 kB) — a service
    # sending long files to many buyers caps this; later pages render when first asked for.
    pages: int = Field(default=0, ge=0)
    # Page images a reader was served lately, held in memory per API process so the next
    # fetch of the page reads no file (`api.copies.served_page_image`); 0 holds none.
    memory_bytes: int = Field(default=32 * 1024 * 1024, ge=0)


class BlobSettings(BaseModel):
    """Where PDFs, watermarked copies and page images live. Empty `url`: files under
    `<data dir>/blobs` (the embedded default). `s3://bucket/prefix`: any S3-compatible store
    (AWS S3, MinIO, Aliyun OSS, Tencent COS) — then no API host keeps a blob on its own disk;
    reads go through a bounded in-memory cache."""

    model_config = ConfigDict(extra="forbid")

    url: str = ""
    endpoint_url: str = ""  # MinIO / OSS / COS endpoint; empty = AWS for the region
    region: str = ""
    access_key_id: str = ""  # empty: the SDK's chain (environment, instance role, …)
    secret_access_key: SecretStr = SecretStr("")
    # "", "AES256" or "aws:kms": server-side encryption asked on every write.
    server_side_encryption: Literal["", "AES256", "aws:kms"] = ""
    cache_bytes: int = Field(default=64 * 1024 * 1024, ge=0)
    addressing_style: Literal["auto", "path", "virtual"] = "auto"

    @field_validator("url")
    @classmethod
    def _known_scheme(cls, value: str) -> str:
        if value and not value.startswith("s3://"):
            raise ValueError(
                "DEALSIGNAL_BLOBS__URL must be empty (local files) or s3://bucket/prefix"
            )
        if value.startswith("s3://") and not value.removeprefix("s3://").split("/", 1)[0]:
            raise ValueError("DEALSIGNAL_BLOBS__URL needs a bucket: s3://bucket/prefix")
        return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="DEALSIGNAL_",
        env_nested_delimiter="__",
        extra="forbid",
    )

    data_dir: Path = Path("./data")
    secret_keys: Annotated[list[str], NoDecode] = Field(default_factory=list)
    public_base_url: str = "http://127.0.0.1:8000"
    # Logs: one JSON object per line ("json") or readable lines ("console").
    log_format: str = "json"
    log_level: str = "INFO"
    # The API reference (/docs, /redoc, /openapi.json); False leaves it out entirely.
    docs_enabled: bool = True
    # Addresses or CIDRs that may read /metrics; empty: anyone who reaches it.
    metrics_allow_from: Annotated[list[str], NoDecode] = Field(default_factory=list)
    # Reverse proxies (addresses or CIDRs) whose X-Forwarded-For / -Proto are believed; the
    # client address is the rightmost forwarded one that is not a proxy. Empty: the peer.
    trusted_proxies: Annotated[list[str], NoDecode] = Field(default_factory=list)
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
    blobs: BlobSettings = Field(default_factory=BlobSettings)
    auth: AuthSettings = Field(default_factory=AuthSettings)
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    scoring: ScoringSettings = Field(default_factory=ScoringSettings)
    webhooks: WebhookSettings = Field(default_factory=WebhookSettings)
    notify: NotifySettings = Field(default_factory=NotifySettings)
    render: RenderSettings = Field(default_factory=RenderSettings)

    @field_validator("secret_keys", "trusted_proxies", "metrics_allow_from", mode="before")
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
