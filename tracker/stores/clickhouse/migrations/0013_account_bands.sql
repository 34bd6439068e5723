-- Customer-health bands and what was done about them.
-- `account_bands`: one row per band change of an account (the first assessment included),
-- keyed by the change, so a job that publishes a change twice writes one row; the newest
-- `assessed_at` is the account's current band.
CREATE TABLE IF NOT EXISTS {db}.account_bands {on_cluster}
(
    tenant_id String,
    account_id String,
    change_key String,
    band LowCardinality(String),
    previous_band LowCardinality(String) DEFAULT '',
    value Nullable(Float64),
    assessed_at DateTime64(3, 'UTC'),
    version UInt64
)
ENGINE = {engine:ReplacingMergeTree(version)}
ORDER BY (tenant_id, account_id, change_key);

-- The band actions taken (nurture, joint visit, escalation, freeze, unfreeze): one row per
-- action, its id derived from the band change, so an action is taken and logged once.
CREATE TABLE IF NOT EXISTS {db}.account_actions {on_cluster}
(
    tenant_id String,
    account_id String,
    action_id String,
    change_key String,
    kind LowCardinality(String),
    band LowCardinality(String),
    detail String,
    people Array(String),
    todo_ids Array(String),
    link_ids Array(String),
    notices UInt32,
    created_at DateTime64(3, 'UTC'),
    version UInt64
)
ENGINE = {engine:ReplacingMergeTree(version)}
ORDER BY (tenant_id, account_id, action_id);

-- Freezes of new opportunities for an account: the audit list of every freeze and unfreeze
-- (who, why, when); the newest entry says whether the account is frozen now.
CREATE TABLE IF NOT EXISTS {db}.account_freezes {on_cluster}
(
    tenant_id String,
    account_id String,
    entry_id String,
    frozen UInt8,
    reason String,
    actor String,
    at DateTime64(3, 'UTC'),
    version UInt64
)
ENGINE = {engine:ReplacingMergeTree(version)}
ORDER BY (tenant_id, account_id, entry_id);

-- To-dos get a due date (a joint visit is due within days).
ALTER TABLE {db}.{local:manager_todos} {on_cluster}
    ADD COLUMN IF NOT EXISTS due_at Nullable(DateTime64(3, 'UTC'));
ALTER TABLE {db}.manager_todos {on_cluster}
    ADD COLUMN IF NOT EXISTS due_at Nullable(DateTime64(3, 'UTC'));
