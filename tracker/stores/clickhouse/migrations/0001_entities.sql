-- Entities are ReplacingMergeTree(version): an upsert is an insert with a higher version;
-- read with FINAL. `version` is milliseconds since the epoch of the write.
CREATE TABLE IF NOT EXISTS {db}.tenants {on_cluster}
(
    tenant_id String,
    name String,
    default_locale LowCardinality(String) DEFAULT 'en',
    created_at DateTime64(3, 'UTC'),
    deleted UInt8 DEFAULT 0,
    version UInt64
)
ENGINE = {engine:ReplacingMergeTree(version)}
ORDER BY tenant_id;

CREATE TABLE IF NOT EXISTS {db}.api_keys {on_cluster}
(
    key_id String,
    tenant_id String,
    key_hash String,
    scope LowCardinality(String),
    name String,
    created_at DateTime64(3, 'UTC'),
    revoked_at Nullable(DateTime64(3, 'UTC')),
    version UInt64
)
ENGINE = {engine:ReplacingMergeTree(version)}
ORDER BY key_id;

CREATE TABLE IF NOT EXISTS {db}.documents {on_cluster}
(
    tenant_id String,
    document_id String,
    title String,
    opportunity_id String DEFAULT '',
    owner String DEFAULT '',
    current_version_id String,
    created_at DateTime64(3, 'UTC'),
    deleted UInt8 DEFAULT 0,
    version UInt64
)
ENGINE = {engine:ReplacingMergeTree(version)}
ORDER BY (tenant_id, document_id);

CREATE TABLE IF NOT EXISTS {db}.document_versions {on_cluster}
(
    tenant_id String,
    document_id String,
    version_id String,
    revision UInt32,
    filename String,
    sha256 FixedString(64),
    size_bytes UInt64,
    pages UInt16,
    page_words Array(UInt32),
    page_tags Array(Array(String)),
    created_at DateTime64(3, 'UTC'),
    version UInt64
)
ENGINE = {engine:ReplacingMergeTree(version)}
ORDER BY (tenant_id, document_id, version_id);

CREATE TABLE IF NOT EXISTS {db}.links {on_cluster}
(
    tenant_id String,
    link_id String,
    document_id String,
    opportunity_id String DEFAULT '',
    contact_id String DEFAULT '',
    recipient_email String,
    recipient_name String,
    recipient_role String DEFAULT '',
    created_by String DEFAULT '',
    created_at DateTime64(3, 'UTC'),
    expires_at Nullable(DateTime64(3, 'UTC')),
    download_allowed UInt8 DEFAULT 1,
    email_gate UInt8 DEFAULT 0,
    passcode_hash String DEFAULT '',
    locale LowCardinality(String) DEFAULT '',
    watermark_template String DEFAULT '',
    revoked_at Nullable(DateTime64(3, 'UTC')),
    version UInt64
)
ENGINE = {engine:ReplacingMergeTree(version)}
ORDER BY (tenant_id, link_id);
