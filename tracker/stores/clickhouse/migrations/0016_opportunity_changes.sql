-- What the CRM changed on an opportunity, and when (issue 14: a stall is 48 h without any
-- update). The opportunities table keeps only its newest row once merged, so the upsert
-- compares each payload with the current row and appends one row per changed field here:
-- `created` (first payload), `stage`, `close_date`, `amount`. `changed_at` is the CRM's
-- `updated_at` of the payload that made the change.
CREATE TABLE IF NOT EXISTS {db}.opportunity_changes {on_cluster}
(
    tenant_id String,
    opportunity_id String,
    field LowCardinality(String),
    old_value String DEFAULT '',
    new_value String DEFAULT '',
    changed_at DateTime64(3, 'UTC'),
    version UInt64
)
ENGINE = {engine:ReplacingMergeTree(version)}
ORDER BY (tenant_id, opportunity_id, field, changed_at);

-- Stall reasons as message codes with parameters (JSON list of {"code", "params"}), so every
-- reader gets them in their own language; `summary` stays the English text of the webhook.
ALTER TABLE {db}.{local:stalls} {on_cluster} ADD COLUMN IF NOT EXISTS reasons String DEFAULT '';
ALTER TABLE {db}.stalls {on_cluster} ADD COLUMN IF NOT EXISTS reasons String DEFAULT '';
