-- The health features' people and documents from the engagement rollup (issue 17): they read
-- the raw events only for the proof ids the evidence quotes. Each rollup row now keeps one id
-- of its reads, the largest (`max` ignores the '' of a row without reads, so partly merged
-- rows still add up); the evidence's sample ids are defined on that grain, the same way on
-- the raw events (scoring.health.repository), so both paths give the same ids.
-- The new column is placed after read_forwarded in the table and in the view's SELECT alike:
-- the privacy rebuild (tracker.privacy.rollups) inserts the view's SELECT by position.
-- The view is replaced and the rollup rebuilt from the events, as migration 0040 built it; the
-- same caveat holds: deploy with other processes' writers stopped.
ALTER TABLE {db}.{local:engagement_visit_pages} {on_cluster}
    ADD COLUMN IF NOT EXISTS read_event_id SimpleAggregateFunction(max, String) AFTER read_forwarded;

-- in cluster mode the Distributed front too (in one-server mode this is the same table: a no-op)
ALTER TABLE {db}.engagement_visit_pages {on_cluster}
    ADD COLUMN IF NOT EXISTS read_event_id SimpleAggregateFunction(max, String) AFTER read_forwarded;

DROP VIEW IF EXISTS {db}.engagement_visit_pages_mv {on_cluster};

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
    maxIf(event_id, is_bot = 0 AND event_type = 'page_dwell' AND page > 0) AS read_event_id,
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
    maxIf(event_id, is_bot = 0 AND event_type = 'page_dwell' AND page > 0) AS read_event_id,
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
