-- Short links (issue 15): `/l/{short_code}` with a random code of 72 bits instead of a signed
-- token that carried the tenant and link ids in plain base64. Links made before this column
-- keep '' and their long token URLs. A recipient's click looks the code up across tenants
-- (the code is the credential), so a bloom-filter index spares that lookup a full scan.
-- The local table first, then (cluster mode) the Distributed front; on a plain server both
-- lines name the same table and IF NOT EXISTS makes the second a no-op.
ALTER TABLE {db}.{local:links} {on_cluster}
    ADD COLUMN IF NOT EXISTS short_code String DEFAULT '' AFTER revoked_at,
    ADD INDEX IF NOT EXISTS links_short_code short_code TYPE bloom_filter(0.001) GRANULARITY 1;

ALTER TABLE {db}.links {on_cluster}
    ADD COLUMN IF NOT EXISTS short_code String DEFAULT '' AFTER revoked_at;
