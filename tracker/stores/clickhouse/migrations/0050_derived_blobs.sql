-- The blobs made for a tenant's links (issue 18, retention of copies): watermarked copies and
-- the page images rendered from them. Blobs are content-addressed and these are made per
-- link, so no other row or tenant shares them (originals are never listed here). A blob
-- made again gets a newer version; the retention job deletes those made before the
-- tenant's `copies_days`, and their rows.
CREATE TABLE IF NOT EXISTS {db}.derived_blobs {on_cluster}
(
    tenant_id String,
    digest String,
    kind LowCardinality(String),
    link_id String,
    made_at DateTime64(3, 'UTC'),
    version UInt64
)
ENGINE = {engine:ReplacingMergeTree(version)}
ORDER BY (tenant_id, digest);
