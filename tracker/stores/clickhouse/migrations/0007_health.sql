-- Opportunity health, stalls and forecast calibration.
-- Per-tenant scoring configuration: one JSON document per (tenant, key), e.g. key `scoring`
-- holds overrides of ScoringSettings' health/stall/forecast fields. Newest version wins.
CREATE TABLE IF NOT EXISTS {db}.tenant_settings {on_cluster}
(
    tenant_id String,
    key LowCardinality(String),
    value String,
    updated_at DateTime64(3, 'UTC'),
    version UInt64
)
ENGINE = {engine:ReplacingMergeTree(version)}
ORDER BY (tenant_id, key);

-- Stall episodes. `episode_id` is derived from (tenant, opportunity, onset), so two schedulers
-- detecting the same stall write the same row; `status` open -> cleared is a newer version.
CREATE TABLE IF NOT EXISTS {db}.stalls {on_cluster}
(
    tenant_id String,
    opportunity_id String,
    episode_id String,
    status LowCardinality(String),
    rules Array(String),
    summary String,
    owner String,
    manager String,
    onset_at DateTime64(3, 'UTC'),
    detected_at DateTime64(3, 'UTC'),
    last_activity_at Nullable(DateTime64(3, 'UTC')),
    cleared_at Nullable(DateTime64(3, 'UTC')),
    version UInt64
)
ENGINE = {engine:ReplacingMergeTree(version)}
ORDER BY (tenant_id, opportunity_id, episode_id);

-- Fitted health / credibility weights. `model_version` is new for each accepted fit; the
-- newest row per (tenant, model) is the active one.
CREATE TABLE IF NOT EXISTS {db}.model_weights {on_cluster}
(
    tenant_id String,
    model LowCardinality(String),
    model_version String,
    weights String,
    metrics String,
    created_at DateTime64(3, 'UTC'),
    version UInt64
)
ENGINE = {engine:ReplacingMergeTree(version)}
ORDER BY (tenant_id, model, model_version);

-- Point-in-time forecast snapshots (what we predicted as of a day), compared with outcomes by
-- the calibration report. One row per (tenant, as_of day, opportunity).
CREATE TABLE IF NOT EXISTS {db}.forecast_snapshots {on_cluster}
(
    tenant_id String,
    as_of Date,
    opportunity_id String,
    owner String,
    manager String,
    stage LowCardinality(String),
    amount Float64,
    crm_probability Float64,
    calibrated_probability Float64,
    credibility_index Float64,
    health Float64,
    band LowCardinality(String),
    failing_evidence Array(String),
    expected_close_date Nullable(Date),
    model_version String,
    created_at DateTime64(3, 'UTC'),
    version UInt64
)
ENGINE = {engine:ReplacingMergeTree(version)}
PARTITION BY toYYYYMM(as_of)
ORDER BY (tenant_id, as_of, opportunity_id);
