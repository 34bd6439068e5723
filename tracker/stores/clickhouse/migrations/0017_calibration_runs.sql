-- Every monthly re-weighting of a tenant's health pillars (issue 14), applied or not: the
-- weights before, as fitted, and after the guardrails (floor/ceiling per pillar, bounded
-- monthly change), the sample size and held-out metrics, and the outcome — `applied`,
-- `proposed` (waiting for an admin's approval), `approved`, `rejected` (metrics got worse)
-- or `skipped` (too few outcomes). `model` is the full model to store on approval (JSON).
CREATE TABLE IF NOT EXISTS {db}.calibration_runs {on_cluster}
(
    tenant_id String,
    run_id String,
    ran_at DateTime64(3, 'UTC'),
    status LowCardinality(String),
    reason String,
    model_version String,
    outcomes UInt32,
    before_weights String,
    fitted_weights String,
    after_weights String,
    metrics String,
    model String,
    approved_by String DEFAULT '',
    version UInt64
)
ENGINE = {engine:ReplacingMergeTree(version)}
ORDER BY (tenant_id, run_id);
