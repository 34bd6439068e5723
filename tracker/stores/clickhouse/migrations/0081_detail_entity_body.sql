-- An engagement detail's entity rows in one column (issue 17): the detail reads a few dozen
-- rows of detail_entities, and each column read costs about as much as the rows themselves
-- (16 columns 7.1-7.8 ms, the same rows as key columns + `body` 4.9-5.0 ms, on a
-- 10k-opportunity store). `body` is computed on insert from the row's own columns (the views
-- of migration 0060 and the erasure's new versions alike, so it never holds what the
-- columns no longer do), as a JSON array in this order:
--   name, email, is_decision_maker, activity_type, occurred_at and received_at (epoch ms),
--   attendees, document_id, revision, pages, page_words, page_tags
-- (scoring.engagement.rollup_repository reads it). Rows of parts written before this get it
-- computed on read until the MATERIALIZE mutation has rewritten their parts.
ALTER TABLE {db}.{local:detail_entities} {on_cluster}
    ADD COLUMN IF NOT EXISTS body String MATERIALIZED toJSONString(tuple(
        name, email, is_decision_maker, activity_type,
        toUnixTimestamp64Milli(occurred_at), toUnixTimestamp64Milli(received_at),
        attendees, document_id, revision, pages, page_words, page_tags));

-- in cluster mode the Distributed front too, as a plain column to read it through (in
-- one-server mode this is the same table: a no-op); nothing inserts through the front
ALTER TABLE {db}.detail_entities {on_cluster}
    ADD COLUMN IF NOT EXISTS body String;

ALTER TABLE {db}.{local:detail_entities} {on_cluster}
    MATERIALIZE COLUMN body;
