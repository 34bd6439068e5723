-- Notifications to people (issue 8): WeCom / Feishu / Slack robots and email, routed per
-- event type to the opportunity's rep and the rep's manager; quiet hours and muted deals per
-- user; the manager's to-do list fed by stall alerts. Deliveries themselves go through the
-- webhook queue and are logged in `delivery_log` with the channel's kind as `channel`.

-- A channel: a group robot / mail relay of the tenant (`owner` = '') or a person's own
-- (`owner` = their email). `config_sealed` holds the webhook URL (its key is in the URL),
-- signing secret or SMTP password, sealed with tracker.webhooks.SecretBox; `config_hint` is a
-- non-secret description for listings (host, masked key).
CREATE TABLE IF NOT EXISTS {db}.notify_channels {on_cluster}
(
    tenant_id String,
    channel_id String,
    kind LowCardinality(String),
    owner String DEFAULT '',
    name String DEFAULT '',
    locale LowCardinality(String) DEFAULT '',
    config_sealed String,
    config_hint String DEFAULT '',
    created_at DateTime64(3, 'UTC'),
    deleted UInt8 DEFAULT 0,
    version UInt64
)
ENGINE = {engine:ReplacingMergeTree(version)}
ORDER BY (tenant_id, channel_id);

-- Routing rules: notification event types a channel receives, for which audiences
-- (`rep`, `manager`). A channel without rules receives every type for every audience.
CREATE TABLE IF NOT EXISTS {db}.notify_routes {on_cluster}
(
    tenant_id String,
    rule_id String,
    channel_id String,
    event_types Array(String),
    audiences Array(String),
    created_at DateTime64(3, 'UTC'),
    deleted UInt8 DEFAULT 0,
    version UInt64
)
ENGINE = {engine:ReplacingMergeTree(version)}
ORDER BY (tenant_id, rule_id);

-- Per-person preferences: IANA time zone, quiet hours as minutes after local midnight
-- (start = end: none), message language, daily briefing on/off.
CREATE TABLE IF NOT EXISTS {db}.notify_preferences {on_cluster}
(
    tenant_id String,
    email String,
    time_zone String DEFAULT 'Asia/Shanghai',
    quiet_start UInt16 DEFAULT 0,
    quiet_end UInt16 DEFAULT 0,
    locale LowCardinality(String) DEFAULT '',
    briefing UInt8 DEFAULT 1,
    updated_at DateTime64(3, 'UTC'),
    version UInt64
)
ENGINE = {engine:ReplacingMergeTree(version)}
ORDER BY (tenant_id, email);

-- "Mute this deal" per person; unmuting writes muted = 0 with a newer version.
CREATE TABLE IF NOT EXISTS {db}.notify_mutes {on_cluster}
(
    tenant_id String,
    email String,
    opportunity_id String,
    muted UInt8,
    at DateTime64(3, 'UTC'),
    version UInt64
)
ENGINE = {engine:ReplacingMergeTree(version)}
ORDER BY (tenant_id, email, opportunity_id);

-- The manager's to-do list. `todo_id` is derived from the source (a stall episode), so the
-- same stall seen by two schedulers is one to-do; resolving (by hand, or automatically when
-- the stall clears) writes a newer version with status `resolved`.
CREATE TABLE IF NOT EXISTS {db}.manager_todos {on_cluster}
(
    tenant_id String,
    todo_id String,
    manager String,
    owner String,
    opportunity_id String,
    kind LowCardinality(String),
    source_id String,
    title String,
    detail String,
    status LowCardinality(String),
    resolved_by String DEFAULT '',
    created_at DateTime64(3, 'UTC'),
    resolved_at Nullable(DateTime64(3, 'UTC')),
    version UInt64
)
ENGINE = {engine:ReplacingMergeTree(version)}
ORDER BY (tenant_id, todo_id);
