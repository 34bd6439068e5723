-- Rollups of events by materialized views (read with -Merge / sum ... GROUP BY).
-- The rollup tables keep a deduplication window of their own: ClickHouse deduplicates blocks
-- in dependent materialized views (a retried insert with the same insert_deduplication_token
-- is skipped in the MV targets too) only when the target table has a window.
-- Visits and viewers count only viewer-JS events (a view exists once the viewer's JS posted).
-- Human (is_bot = 0) events feed the engagement columns; bot events are counted apart in
-- link_activity_daily.bot_events and never reach page dwell. Events of revoked links are
-- human engagement and are included (link_revoked is kept on the raw events).
CREATE TABLE IF NOT EXISTS {db}.page_dwell_daily {on_cluster}
(
    tenant_id String,
    document_id String,
    version_id String,
    link_id String,
    page UInt16,
    day Date,
    dwell_ms SimpleAggregateFunction(sum, UInt64),
    heartbeats SimpleAggregateFunction(sum, UInt64),
    viewers AggregateFunction(uniq, String)
)
ENGINE = {engine:AggregatingMergeTree}
PARTITION BY toYYYYMM(day)
ORDER BY (tenant_id, document_id, version_id, link_id, page, day)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.page_dwell_daily_mv {on_cluster}
TO {db}.{local:page_dwell_daily}
AS SELECT
    tenant_id,
    document_id,
    version_id,
    link_id,
    page,
    toDate(received_at) AS day,
    toUInt64(sum(dwell_ms)) AS dwell_ms,
    toUInt64(count()) AS heartbeats,
    uniqState(viewer_id) AS viewers
FROM {db}.{local:events}
WHERE event_type = 'page_dwell' AND is_bot = 0 AND page > 0
GROUP BY tenant_id, document_id, version_id, link_id, page, day;

CREATE TABLE IF NOT EXISTS {db}.link_activity_daily {on_cluster}
(
    tenant_id String,
    document_id String,
    link_id String,
    day Date,
    views SimpleAggregateFunction(sum, UInt64),
    clicks SimpleAggregateFunction(sum, UInt64),
    pixel_opens SimpleAggregateFunction(sum, UInt64),
    downloads SimpleAggregateFunction(sum, UInt64),
    dwell_ms SimpleAggregateFunction(sum, UInt64),
    bot_events SimpleAggregateFunction(sum, UInt64),
    visits AggregateFunction(uniqIf, String, UInt8),
    viewers AggregateFunction(uniqIf, String, UInt8),
    forwarded_viewers AggregateFunction(uniqIf, String, UInt8)
)
ENGINE = {engine:AggregatingMergeTree}
PARTITION BY toYYYYMM(day)
ORDER BY (tenant_id, document_id, link_id, day)
SETTINGS non_replicated_deduplication_window = 10000;

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.link_activity_daily_mv {on_cluster}
TO {db}.{local:link_activity_daily}
AS SELECT
    tenant_id,
    document_id,
    link_id,
    toDate(received_at) AS day,
    toUInt64(countIf(is_bot = 0 AND event_type = 'view_start')) AS views,
    toUInt64(countIf(is_bot = 0 AND event_type = 'link_click')) AS clicks,
    toUInt64(countIf(is_bot = 0 AND event_type = 'pixel_open')) AS pixel_opens,
    toUInt64(countIf(is_bot = 0 AND event_type = 'download')) AS downloads,
    toUInt64(sumIf(dwell_ms, is_bot = 0 AND event_type = 'page_dwell')) AS dwell_ms,
    toUInt64(countIf(is_bot = 1)) AS bot_events,
    uniqIfState(visit_id, toUInt8(is_bot = 0 AND visit_id != '' AND event_type IN ('view_start', 'page_dwell', 'visit_end'))) AS visits,
    uniqIfState(viewer_id, toUInt8(is_bot = 0 AND viewer_id != '' AND event_type IN ('view_start', 'page_dwell', 'visit_end'))) AS viewers,
    uniqIfState(viewer_id, toUInt8(is_bot = 0 AND forwarded = 1 AND event_type IN ('view_start', 'page_dwell', 'visit_end'))) AS forwarded_viewers
FROM {db}.{local:events}
GROUP BY tenant_id, document_id, link_id, day;
