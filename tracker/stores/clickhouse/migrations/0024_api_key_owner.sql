-- The person a key acts as (issue 16, item 8): a reps key bound to a user's email obeys
-- the web app's ownership rules — only that person's own channels, only their own to-dos,
-- resolved in their name. '' for machine keys (CRM, scripts, admin), which act for nobody.
ALTER TABLE {db}.api_keys {on_cluster}
    ADD COLUMN IF NOT EXISTS owner String DEFAULT '' AFTER name;
