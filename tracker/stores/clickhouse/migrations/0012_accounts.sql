-- Accounts (客户) as the CRM pushes them, and their finance records (财务穿透). An
-- opportunity names its account by `opportunities.account` = `accounts.account_id`.
-- The newest write wins (EntityTable's version); `product_lines` are the product lines the
-- account has bought, `kol_contact_ids` its KOL / champion contacts (CRM contact ids).
CREATE TABLE IF NOT EXISTS {db}.accounts {on_cluster}
(
    tenant_id String,
    account_id String,
    name String,
    industry LowCardinality(String) DEFAULT '',
    annual_revenue Nullable(Decimal(18, 4)),
    currency LowCardinality(String) DEFAULT '',
    industry_growth_pct Nullable(Float64),
    contract_start Nullable(Date),
    product_lines Array(String),
    kol_contact_ids Array(String),
    owner String DEFAULT '',
    updated_at DateTime64(3, 'UTC'),
    version UInt64
)
ENGINE = {engine:ReplacingMergeTree(version)}
ORDER BY (tenant_id, account_id);

-- One finance record per (account, as_of day): the finance system's view on that day. The
-- newest `as_of` is the account's current record; older ones stay as its payment history.
CREATE TABLE IF NOT EXISTS {db}.account_finance {on_cluster}
(
    tenant_id String,
    account_id String,
    as_of Date,
    on_time_payment_rate Float64,
    receivables_outstanding Decimal(18, 4),
    credit_limit Decimal(18, 4),
    credit_used Decimal(18, 4),
    currency LowCardinality(String),
    payment_delay_days Nullable(Float64),
    updated_at DateTime64(3, 'UTC'),
    version UInt64
)
ENGINE = {engine:ReplacingMergeTree(version)}
ORDER BY (tenant_id, account_id, as_of);
