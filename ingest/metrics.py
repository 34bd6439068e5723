"""Prometheus metrics of the ingest path (default registry; the API mounts `/metrics`)."""

from __future__ import annotations

from prometheus_client import Counter, Gauge, Histogram

__all__ = [
    "BATCH_ROWS",
    "DEAD_LETTERS",
    "DUPLICATES_DROPPED",
    "EVENTS_ACCEPTED",
    "EVENTS_FLAGGED",
    "EVENTS_NOT_CONSENTED",
    "EVENTS_REJECTED",
    "EVENTS_WRITTEN",
    "INSERT_SECONDS",
    "STREAM_LAG",
]

EVENTS_ACCEPTED = Counter(
    "dealsignal_ingest_events_accepted_total",
    "Events accepted into the stream, by type",
    ["event_type"],
)
EVENTS_REJECTED = Counter(
    "dealsignal_ingest_events_rejected_total",
    "Beacons rejected at validation, by reason code",
    ["reason"],
)
EVENTS_NOT_CONSENTED = Counter(
    "dealsignal_ingest_events_not_consented_total",
    "Beacon events dropped because the viewer session may record its open only, by why",
    ["tracking"],
)
EVENTS_FLAGGED = Counter(
    "dealsignal_ingest_events_flagged_total",
    "Accepted events flagged as automated, by bot reason",
    ["reason"],
)
EVENTS_WRITTEN = Counter(
    "dealsignal_ingest_events_written_total",
    "Events inserted into ClickHouse",
)
DUPLICATES_DROPPED = Counter(
    "dealsignal_ingest_duplicates_dropped_total",
    "Events dropped by the writer because their event_id was already claimed",
)
DEAD_LETTERS = Counter(
    "dealsignal_ingest_dead_letters_total",
    "Stream entries moved to the dead-letter stream, by reason",
    ["reason"],
)
STREAM_LAG = Gauge(
    "dealsignal_ingest_stream_lag_entries",
    "Stream entries not yet acknowledged by the writer group",
)
BATCH_ROWS = Histogram(
    "dealsignal_ingest_batch_rows",
    "Rows per ClickHouse insert",
    buckets=(1, 10, 100, 500, 1000, 2500, 5000, 10_000, 25_000, 50_000),
)
INSERT_SECONDS = Histogram(
    "dealsignal_ingest_insert_seconds",
    "Latency of one ClickHouse events insert",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
