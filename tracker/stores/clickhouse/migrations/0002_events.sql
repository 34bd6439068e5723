-- Append-only events, tenant first in the sort key, monthly partitions, TTL retention.
-- Duplicates are removed before insert (writer claims + insert_deduplication_token), so
-- materialized-view rollups never double count.
CREATE TABLE IF NOT EXISTS {db}.events {on_cluster}
(
    event_id String,
    tenant_id String,
    event_type LowCardinality(String),
    document_id String,
    version_id String,
    link_id String,
    opportunity_id String,
    contact_id String,
    viewer_id String,
    visit_id String,
    page UInt16,
    dwell_ms UInt32,
    seq UInt32,
    client_ts DateTime64(3, 'UTC'),
    received_at DateTime64(3, 'UTC'),
    ua_browser LowCardinality(String),
    ua_os LowCardinality(String),
    ua_device LowCardinality(String),
    ip_hash String,
    is_bot UInt8,
    bot_reason LowCardinality(String),
    forwarded UInt8,
    link_revoked UInt8,
    props String
)
ENGINE = {engine:MergeTree}
PARTITION BY toYYYYMM(received_at)
ORDER BY (tenant_id, document_id, link_id, received_at, event_id)
TTL toDateTime(received_at) + INTERVAL {event_ttl_days} DAY
SETTINGS non_replicated_deduplication_window = 10000;
