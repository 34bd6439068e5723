-- Cash collected (回款), pushed by the CRM or the finance system (issue 14): the monthly
-- forecast calibration report compares forecasts with cash received as well as with won
-- amounts. Keyed by the sender's external id, so re-sending a payment is harmless.
CREATE TABLE IF NOT EXISTS {db}.payments {on_cluster}
(
    tenant_id String,
    payment_id String,
    account String,
    opportunity_id String,
    amount Decimal(18, 4),
    currency LowCardinality(String),
    received_at DateTime64(3, 'UTC'),
    recorded_at DateTime64(3, 'UTC'),
    version UInt64
)
ENGINE = {engine:ReplacingMergeTree(version)}
ORDER BY (tenant_id, payment_id);
