-- The audit trail (issue 18): who — an API key or a signed-in person — read analytics about
-- a buyer, downloaded a watermarked copy, ran identify, exported or erased a person's data.
-- Append-only; admins read it per tenant; kept as long as the events it is about.
CREATE TABLE IF NOT EXISTS {db}.audit_log {on_cluster}
(
    tenant_id String,
    audit_id String,
    at DateTime64(3, 'UTC'),
    actor String,
    action LowCardinality(String),
    subject String DEFAULT '',
    detail String DEFAULT ''
)
ENGINE = {engine:MergeTree}
PARTITION BY toYYYYMM(at)
ORDER BY (tenant_id, at, audit_id)
TTL toDateTime(at) + INTERVAL 730 DAY;
