-- People who sign in to the web app (reps, managers, admins), per tenant. The email is the
-- sign-in name (stored lower-case, unique across tenants) and what `documents.owner` and the
-- CRM's `opportunities.owner` name. Passwords are argon2id hashes (tracker.users), never
-- plain text. A manager's team is the users whose `manager_email` is the manager's email.
CREATE TABLE IF NOT EXISTS {db}.users {on_cluster}
(
    tenant_id String,
    email String,
    name String,
    role LowCardinality(String),
    manager_email String DEFAULT '',
    password_hash String,
    created_at DateTime64(3, 'UTC'),
    disabled UInt8 DEFAULT 0,
    version UInt64
)
ENGINE = {engine:ReplacingMergeTree(version)}
ORDER BY (tenant_id, email);
