-- CRM entities pushed by the customer's CRM. ReplacingMergeTree(version) read with FINAL, where
-- `version` comes from the CRM's own clock (updated_at, else occurred_at/closed_at) in
-- microseconds, never ours: re-sending a payload collapses to one row, and an older update
-- that arrives after a newer one loses. `received_at` is our clock (when the winning row was
-- stored) and drives "updated since" for the CRM's score sync.
CREATE TABLE IF NOT EXISTS {db}.opportunities {on_cluster}
(
    tenant_id String,
    opportunity_id String,
    account String,
    amount Decimal(18, 4),
    currency LowCardinality(String),
    stage LowCardinality(String),
    stage_entered_at Nullable(DateTime64(3, 'UTC')),
    expected_close_date Nullable(Date),
    probability UInt8,
    forecast_category LowCardinality(String),
    owner String,
    manager String DEFAULT '',
    -- Optional account facts for the health pillars (NULL = the CRM did not say).
    account_employees Nullable(UInt32),
    account_growth_pct Nullable(Float64),
    payment_issues Nullable(UInt8),
    support_escalations Nullable(UInt32),
    product_lines UInt16 DEFAULT 0,
    updated_at DateTime64(3, 'UTC'),
    received_at DateTime64(3, 'UTC'),
    deleted UInt8 DEFAULT 0,
    version UInt64
)
ENGINE = {engine:ReplacingMergeTree(version)}
ORDER BY (tenant_id, opportunity_id);

-- Contacts arrive inside an opportunity payload and carry that payload's version: the
-- opportunity's current contacts are the rows whose version equals the opportunity's, so a
-- contact dropped from a newer payload (or only present in an older one) is not current.
CREATE TABLE IF NOT EXISTS {db}.contacts {on_cluster}
(
    tenant_id String,
    opportunity_id String,
    contact_id String,
    name String,
    email String,
    role String DEFAULT '',
    is_decision_maker UInt8 DEFAULT 0,
    version UInt64
)
ENGINE = {engine:ReplacingMergeTree(version)}
ORDER BY (tenant_id, opportunity_id, contact_id);

-- CRM activities (meetings, emails, calls, stage and close-date changes, notes), keyed by the
-- CRM's external id; an activity belongs to one opportunity for good.
CREATE TABLE IF NOT EXISTS {db}.activities {on_cluster}
(
    tenant_id String,
    activity_id String,
    opportunity_id String,
    activity_type LowCardinality(String),
    customer_initiated UInt8 DEFAULT 0,
    occurred_at DateTime64(3, 'UTC'),
    attendees Array(String),
    from_stage LowCardinality(String) DEFAULT '',
    to_stage LowCardinality(String) DEFAULT '',
    old_close_date Nullable(Date),
    new_close_date Nullable(Date),
    subject String DEFAULT '',
    updated_at DateTime64(3, 'UTC'),
    received_at DateTime64(3, 'UTC'),
    version UInt64
)
ENGINE = {engine:ReplacingMergeTree(version)}
ORDER BY (tenant_id, opportunity_id, activity_id);

CREATE TABLE IF NOT EXISTS {db}.outcomes {on_cluster}
(
    tenant_id String,
    opportunity_id String,
    outcome LowCardinality(String),
    actual_amount Decimal(18, 4),
    currency LowCardinality(String),
    closed_at DateTime64(3, 'UTC'),
    reason String DEFAULT '',
    updated_at DateTime64(3, 'UTC'),
    received_at DateTime64(3, 'UTC'),
    version UInt64
)
ENGINE = {engine:ReplacingMergeTree(version)}
ORDER BY (tenant_id, opportunity_id);
