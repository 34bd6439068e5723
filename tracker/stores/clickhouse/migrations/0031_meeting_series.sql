-- Recurring meetings (issue 21): a meeting may name the CRM's recurring series it belongs to,
-- so "suddenly cancelling regular meetings" (突然取消定期会议) can be seen per series.
--   series_id   the CRM's id of the recurring series; '' = a one-off meeting or not said.
-- Rows stored before this column read '' and count as one-off meetings.
-- The local table first, then (cluster mode) the Distributed front; on a plain server both
-- lines name the same table and IF NOT EXISTS makes the second a no-op.
ALTER TABLE {db}.{local:activities} {on_cluster}
    ADD COLUMN IF NOT EXISTS series_id String DEFAULT '' AFTER held;

ALTER TABLE {db}.activities {on_cluster}
    ADD COLUMN IF NOT EXISTS series_id String DEFAULT '' AFTER held;
