-- Outbound webhook subscriptions (entities) and the delivery log of every attempt on any
-- delivery channel (webhooks now; WeCom/Feishu/Slack/email notifications later).
-- The subscription's signing secret is stored sealed with a key derived from the deployment
-- secret (tracker.webhooks.crypto), never in plain text.
CREATE TABLE IF NOT EXISTS {db}.webhook_subscriptions {on_cluster}
(
    tenant_id String,
    subscription_id String,
    url String,
    event_types Array(String),
    description String DEFAULT '',
    secret_sealed String,
    created_at DateTime64(3, 'UTC'),
    deleted UInt8 DEFAULT 0,
    version UInt64
)
ENGINE = {engine:ReplacingMergeTree(version)}
ORDER BY (tenant_id, subscription_id);

-- One row per attempt. status: delivered | retrying | failed (not retried) | dead (attempts
-- exhausted) | dropped (target deleted). Kept 180 days.
CREATE TABLE IF NOT EXISTS {db}.delivery_log {on_cluster}
(
    tenant_id String,
    channel LowCardinality(String),
    target_id String,
    delivery_id String,
    event_id String,
    event_type LowCardinality(String),
    attempt UInt16,
    status LowCardinality(String),
    status_code UInt16,
    error String,
    duration_ms UInt32,
    next_attempt_at Nullable(DateTime64(3, 'UTC')),
    at DateTime64(3, 'UTC')
)
ENGINE = {engine:MergeTree}
PARTITION BY toYYYYMM(at)
ORDER BY (tenant_id, channel, target_id, at, delivery_id, attempt)
TTL toDateTime(at) + INTERVAL 180 DAY;
