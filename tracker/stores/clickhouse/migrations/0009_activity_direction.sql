-- What the forecast credibility index needs from the CRM's activities (issue 13):
--   direction   'inbound' (customer-initiated), 'outbound', or '' (the CRM did not say).
--               Rows stored before this column read 'inbound' when the CRM had flagged them
--               customer-initiated, so the older `customer_initiated` pushes keep counting.
--   held        meetings only: 1 held, 0 cancelled / no-show, NULL the CRM did not say.
-- Activity types `service_request` (tickets) and `proposal_revision` need no column.
-- The local table first, then (cluster mode) the Distributed front; on a plain server both
-- lines name the same table and IF NOT EXISTS makes the second a no-op.
ALTER TABLE {db}.{local:activities} {on_cluster}
    ADD COLUMN IF NOT EXISTS direction LowCardinality(String)
        DEFAULT if(customer_initiated = 1, 'inbound', '') AFTER customer_initiated,
    ADD COLUMN IF NOT EXISTS held Nullable(UInt8) AFTER attendees;

ALTER TABLE {db}.activities {on_cluster}
    ADD COLUMN IF NOT EXISTS direction LowCardinality(String)
        DEFAULT if(customer_initiated = 1, 'inbound', '') AFTER customer_initiated,
    ADD COLUMN IF NOT EXISTS held Nullable(UInt8) AFTER attendees;
