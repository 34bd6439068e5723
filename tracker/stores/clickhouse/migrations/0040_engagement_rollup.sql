-- Engagement scores from a rollup (issue 17): one row per (opportunity, document, link,
-- version, visit, page, person) instead of one per heartbeat, so an engagement detail and a
-- bulk score read a handful of rows. The grain keeps everything the scores need exactly:
--   read_*      human `page_dwell` events on a page (> 0): a read is decided at query time
--               (the tenant's read threshold applies to the visit-page sum, as on raw events)
--   visit_*     human viewer events of a visit (first and last received_at), for revisits
--   downloads   human downloads with each one's received_at (their decay is per download)
--   *_events    human and bot event counts, the newest human and any event, the oldest event
-- person is the scores' person: a link's own contact (`c:<id>`), else the viewer (`v:<id>`).
-- Columns are SimpleAggregateFunction, so every column of a partly merged key still adds up
-- (sum, min, max, concatenated arrays): queries aggregate rows without FINAL or -Merge.
-- "No such event" sentinels: read_at/visit_end/human_at 1970 (max ignores it), visit_start
-- 2299 (min ignores it); the *_events counts say whether a column has real values.
-- Small granules (256 rows): a score reads one opportunity's few dozen rows, several times per
-- query, and should not decompress 8192 rows each time.
-- Duplicates never reach it: events are deduplicated before insert, and a replayed insert
-- (same insert_deduplication_token) is skipped here too thanks to the dedup window.
CREATE TABLE IF NOT EXISTS {db}.engagement_visit_pages {on_cluster}
(
    tenant_id String,
    opportunity_id String,
    document_id String,
    link_id String,
    version_id String,
    visit_id String,
    page UInt16,
    person String,
    read_events SimpleAggregateFunction(sum, UInt64),
    read_ms SimpleAggregateFunction(sum, UInt64),
    read_at SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    read_forwarded SimpleAggregateFunction(max, UInt8),
    visit_events SimpleAggregateFunction(sum, UInt64),
    visit_start SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    visit_end SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    downloads SimpleAggregateFunction(sum, UInt64),
    download_at SimpleAggregateFunction(groupArrayArray, Array(DateTime64(3, 'UTC'))),
    human_events SimpleAggregateFunction(sum, UInt64),
    bot_events SimpleAggregateFunction(sum, UInt64),
    human_at SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
    first_at SimpleAggregateFunction(min, DateTime64(3, 'UTC')),
    last_at SimpleAggregateFunction(max, DateTime64(3, 'UTC'))
)
ENGINE = {engine:AggregatingMergeTree}
ORDER BY (tenant_id, opportunity_id, document_id, link_id, version_id, visit_id, page, person)
TTL toDateTime(last_at) + INTERVAL {event_ttl_days} DAY
SETTINGS non_replicated_deduplication_window = 10000, index_granularity = 256;

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.engagement_visit_pages_mv {on_cluster}
TO {db}.{local:engagement_visit_pages}
AS SELECT
    tenant_id,
    opportunity_id,
    document_id,
    link_id,
    version_id,
    visit_id,
    page,
    if(forwarded = 0 AND contact_id != '', concat('c:', contact_id), concat('v:', viewer_id)) AS person,
    toUInt64(countIf(is_bot = 0 AND event_type = 'page_dwell' AND page > 0)) AS read_events,
    toUInt64(sumIf(dwell_ms, is_bot = 0 AND event_type = 'page_dwell' AND page > 0)) AS read_ms,
    maxIf(received_at, is_bot = 0 AND event_type = 'page_dwell' AND page > 0) AS read_at,
    maxIf(forwarded, is_bot = 0 AND event_type = 'page_dwell' AND page > 0) AS read_forwarded,
    toUInt64(countIf(is_bot = 0 AND visit_id != '' AND event_type IN ('view_start', 'page_dwell', 'visit_end'))) AS visit_events,
    min(if(is_bot = 0 AND visit_id != '' AND event_type IN ('view_start', 'page_dwell', 'visit_end'), received_at, toDateTime64('2299-12-31 00:00:00', 3, 'UTC'))) AS visit_start,
    maxIf(received_at, is_bot = 0 AND visit_id != '' AND event_type IN ('view_start', 'page_dwell', 'visit_end')) AS visit_end,
    toUInt64(countIf(is_bot = 0 AND event_type = 'download')) AS downloads,
    groupArrayIf(received_at, is_bot = 0 AND event_type = 'download') AS download_at,
    toUInt64(countIf(is_bot = 0)) AS human_events,
    toUInt64(countIf(is_bot = 1)) AS bot_events,
    maxIf(received_at, is_bot = 0) AS human_at,
    min(received_at) AS first_at,
    max(received_at) AS last_at
FROM {db}.{local:events}
GROUP BY tenant_id, opportunity_id, document_id, link_id, version_id, visit_id, page, person;

-- Backfill what the events table held before the view existed. Re-applying an interrupted
-- migration starts over from an empty table. Migrations run at start-up before this
-- process's writer; a writer of another process inserting during these two statements could
-- be counted twice (its rows reach the view and the backfill) — deploy with writers stopped.
TRUNCATE TABLE IF EXISTS {db}.{local:engagement_visit_pages} {on_cluster};

INSERT INTO {db}.engagement_visit_pages
SELECT
    tenant_id,
    opportunity_id,
    document_id,
    link_id,
    version_id,
    visit_id,
    page,
    if(forwarded = 0 AND contact_id != '', concat('c:', contact_id), concat('v:', viewer_id)) AS person,
    toUInt64(countIf(is_bot = 0 AND event_type = 'page_dwell' AND page > 0)) AS read_events,
    toUInt64(sumIf(dwell_ms, is_bot = 0 AND event_type = 'page_dwell' AND page > 0)) AS read_ms,
    maxIf(received_at, is_bot = 0 AND event_type = 'page_dwell' AND page > 0) AS read_at,
    maxIf(forwarded, is_bot = 0 AND event_type = 'page_dwell' AND page > 0) AS read_forwarded,
    toUInt64(countIf(is_bot = 0 AND visit_id != '' AND event_type IN ('view_start', 'page_dwell', 'visit_end'))) AS visit_events,
    min(if(is_bot = 0 AND visit_id != '' AND event_type IN ('view_start', 'page_dwell', 'visit_end'), received_at, toDateTime64('2299-12-31 00:00:00', 3, 'UTC'))) AS visit_start,
    maxIf(received_at, is_bot = 0 AND visit_id != '' AND event_type IN ('view_start', 'page_dwell', 'visit_end')) AS visit_end,
    toUInt64(countIf(is_bot = 0 AND event_type = 'download')) AS downloads,
    groupArrayIf(received_at, is_bot = 0 AND event_type = 'download') AS download_at,
    toUInt64(countIf(is_bot = 0)) AS human_events,
    toUInt64(countIf(is_bot = 1)) AS bot_events,
    maxIf(received_at, is_bot = 0) AS human_at,
    min(received_at) AS first_at,
    max(received_at) AS last_at
FROM {db}.events
GROUP BY tenant_id, opportunity_id, document_id, link_id, version_id, visit_id, page, person;
