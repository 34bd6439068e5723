-- The entity rows an engagement detail consults, in one table (issue 17: an uncached detail
-- read five entity tables, each read costing a few milliseconds whatever it returned). Kept
-- by materialized views from the tables they copy, one row per source row:
--   scope_id = opportunity_id   kind 'opportunity' (entity ''), 'contact', 'activity', 'link'
--   scope_id = document_id      kind 'document' (entity ''), 'version'
-- Each source is a ReplacingMergeTree(version) whose sorting key maps one-to-one onto
-- (scope_id, kind, entity_id) (a link's opportunity never changes), so FINAL here keeps the
-- row FINAL keeps there. Only the columns the detail reads are copied; `name`/`email` hold a
-- contact's or a recipient's, `name` a document's title. A person's erasure deletes the old
-- versions here as it does in links and contacts (tracker.privacy.people).
-- Small granules: a detail reads one opportunity's few dozen rows.
CREATE TABLE IF NOT EXISTS {db}.detail_entities {on_cluster}
(
    tenant_id String,
    scope_id String,
    kind LowCardinality(String),
    entity_id String,
    name String DEFAULT '',
    email String DEFAULT '',
    is_decision_maker UInt8 DEFAULT 0,
    activity_type LowCardinality(String) DEFAULT '',
    occurred_at DateTime64(3, 'UTC') DEFAULT 0,
    received_at DateTime64(3, 'UTC') DEFAULT 0,
    attendees Array(String) DEFAULT [],
    document_id String DEFAULT '',
    revision UInt32 DEFAULT 0,
    pages UInt16 DEFAULT 0,
    page_words Array(UInt32) DEFAULT [],
    page_tags Array(Array(String)) DEFAULT [],
    version UInt64
)
ENGINE = {engine:ReplacingMergeTree(version)}
ORDER BY (tenant_id, scope_id, kind, entity_id)
SETTINGS index_granularity = 256;

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.detail_entities_opportunities_mv {on_cluster}
TO {db}.{local:detail_entities}
AS SELECT tenant_id, opportunity_id AS scope_id, 'opportunity' AS kind, '' AS entity_id, version
FROM {db}.{local:opportunities};

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.detail_entities_contacts_mv {on_cluster}
TO {db}.{local:detail_entities}
AS SELECT tenant_id, opportunity_id AS scope_id, 'contact' AS kind, contact_id AS entity_id,
    name, email, is_decision_maker, version
FROM {db}.{local:contacts};

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.detail_entities_activities_mv {on_cluster}
TO {db}.{local:detail_entities}
AS SELECT tenant_id, opportunity_id AS scope_id, 'activity' AS kind, activity_id AS entity_id,
    activity_type, occurred_at, received_at, attendees, version
FROM {db}.{local:activities};

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.detail_entities_links_mv {on_cluster}
TO {db}.{local:detail_entities}
AS SELECT tenant_id, opportunity_id AS scope_id, 'link' AS kind, link_id AS entity_id,
    recipient_name AS name, recipient_email AS email, document_id, version
FROM {db}.{local:links};

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.detail_entities_documents_mv {on_cluster}
TO {db}.{local:detail_entities}
AS SELECT tenant_id, document_id AS scope_id, 'document' AS kind, '' AS entity_id,
    title AS name, document_id, version
FROM {db}.{local:documents};

CREATE MATERIALIZED VIEW IF NOT EXISTS {db}.detail_entities_versions_mv {on_cluster}
TO {db}.{local:detail_entities}
AS SELECT tenant_id, document_id AS scope_id, 'version' AS kind, version_id AS entity_id,
    document_id, revision, pages, page_words, page_tags, version
FROM {db}.{local:document_versions};

-- Backfill what the tables held before the views existed (their FINAL rows: the same as
-- every version, once merged). As with the engagement rollup: migrations run before this
-- process's writers; deploy with other processes' writers stopped.
INSERT INTO {db}.detail_entities (tenant_id, scope_id, kind, entity_id, version)
SELECT tenant_id, opportunity_id, 'opportunity', '', version FROM {db}.opportunities FINAL;

INSERT INTO {db}.detail_entities
    (tenant_id, scope_id, kind, entity_id, name, email, is_decision_maker, version)
SELECT tenant_id, opportunity_id, 'contact', contact_id, name, email, is_decision_maker, version
FROM {db}.contacts FINAL;

INSERT INTO {db}.detail_entities (tenant_id, scope_id, kind, entity_id, activity_type,
    occurred_at, received_at, attendees, version)
SELECT tenant_id, opportunity_id, 'activity', activity_id, activity_type, occurred_at,
    received_at, attendees, version
FROM {db}.activities FINAL;

INSERT INTO {db}.detail_entities
    (tenant_id, scope_id, kind, entity_id, name, email, document_id, version)
SELECT tenant_id, opportunity_id, 'link', link_id, recipient_name, recipient_email, document_id,
    version
FROM {db}.links FINAL;

INSERT INTO {db}.detail_entities (tenant_id, scope_id, kind, entity_id, name, document_id, version)
SELECT tenant_id, document_id, 'document', '', title, document_id, version FROM {db}.documents FINAL;

INSERT INTO {db}.detail_entities (tenant_id, scope_id, kind, entity_id, document_id, revision,
    pages, page_words, page_tags, version)
SELECT tenant_id, document_id, 'version', version_id, document_id, revision, pages, page_words,
    page_tags, version
FROM {db}.document_versions FINAL;
