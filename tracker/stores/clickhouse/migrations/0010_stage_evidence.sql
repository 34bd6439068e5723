-- Stage evidence (证据导向阶段, issue 13): what proves an opportunity's stage — a signed NDA, a
-- legal approval number, a capacity screenshot, a customer pain list, or a tenant's own kind.
-- A file is a sanitised blob (content-addressed, `blob_sha256`); a reference is text. One row
-- per evidence id; `deleted` = 1 (a newer version) withdraws it.
CREATE TABLE IF NOT EXISTS {db}.opportunity_evidence {on_cluster}
(
    tenant_id String,
    opportunity_id String,
    evidence_id String,
    kind LowCardinality(String),
    reference String DEFAULT '',
    blob_sha256 String DEFAULT '',
    filename String DEFAULT '',
    content_type LowCardinality(String) DEFAULT '',
    size_bytes UInt64 DEFAULT 0,
    note String DEFAULT '',
    created_by String DEFAULT '',
    created_at DateTime64(3, 'UTC'),
    deleted UInt8 DEFAULT 0,
    version UInt64
)
ENGINE = {engine:ReplacingMergeTree(version)}
ORDER BY (tenant_id, opportunity_id, evidence_id);
