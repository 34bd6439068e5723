from __future__ import annotations

import re
from pathlib import Path

from tracker.stores.clickhouse import (
    ClickHouse,
    RenderContext,
    apply_migrations,
    load_migrations,
    pending_migrations,
    render_statements,
)

SCHEMA_DUMP = Path(__file__).parents[2] / "tracker" / "stores" / "clickhouse" / "schema.sql"


def test_migrations_apply_on_both_backends_and_twice_is_a_no_op(store: ClickHouse) -> None:
    assert pending_migrations(store) == []
    assert apply_migrations(store, RenderContext(store.database)) == []
    tables = {
        r["name"]
        for r in store.query(
            "SELECT name FROM system.tables WHERE database = {db:String}", {"db": store.database}
        )
    }
    assert {
        "tenants",
        "api_keys",
        "documents",
        "document_versions",
        "links",
        "events",
        "schema_migrations",
    } <= tables
    applied = store.query(f"SELECT number FROM {store.database}.schema_migrations FINAL")
    assert sorted(r["number"] for r in applied) == [m.number for m in load_migrations()]


def test_events_table_is_tenant_first_partitioned_by_month_with_ttl(clickhouse: ClickHouse) -> None:
    row = clickhouse.query(
        "SELECT engine, sorting_key, partition_key, create_table_query FROM system.tables "
        "WHERE database = {db:String} AND name = 'events'",
        {"db": clickhouse.database},
    )[0]
    assert row["engine"] == "MergeTree"
    assert row["sorting_key"].startswith("tenant_id")
    assert row["partition_key"] == "toYYYYMM(received_at)"
    assert "TTL" in row["create_table_query"]


def test_migration_files_are_numbered_uniquely_and_use_placeholders() -> None:
    migrations = load_migrations()
    numbers = [m.number for m in migrations]
    # each parallel branch owns a reserved range of numbers, so gaps are allowed; order is not
    assert numbers == sorted(set(numbers)), "numbers must be unique and increasing"
    for migration in migrations:
        lines = migration.sql.splitlines()
        body = "\n".join(x for x in lines if not x.strip().startswith("--"))
        assert "IF NOT EXISTS" in body or "ALTER" in body
        # Engines must go through {engine:...} so cluster mode can replicate them.
        assert not re.search(r"ENGINE\s*=\s*(?!\{engine:)(?!Distributed)\w", body), migration.name
        assert "{db}." in body, "tables must be qualified with {db}"


def test_cluster_rendering_makes_replicated_local_tables_and_distributed_fronts() -> None:
    sql = load_migrations()[1].sql
    rendered = render_statements(sql, RenderContext("ds", cluster="main"))
    assert len(rendered) == 2
    local, front = rendered
    assert "CREATE TABLE IF NOT EXISTS ds.events_local ON CLUSTER main" in local
    assert (
        "ReplicatedMergeTree('/clickhouse/tables/{shard}/{database}/{table}', '{replica}')" in local
    )
    assert "ENGINE = Distributed('main', 'ds', 'events_local', cityHash64(tenant_id))" in front
    plain = render_statements(sql, RenderContext("ds"))
    assert len(plain) == 1 and "ON CLUSTER" not in plain[0] and "ENGINE = MergeTree" in plain[0]


def test_committed_schema_dump_matches_the_migrations() -> None:
    """schema.sql is the reviewed record of every table; regenerate it with
    `python -m tracker.stores.clickhouse.schema_dump` when adding a migration."""
    from tracker.stores.clickhouse.schema_dump import render_schema

    assert SCHEMA_DUMP.read_text() == render_schema()


def test_the_engagement_rollup_is_fed_shard_locally_and_backfilled_through_the_fronts() -> None:
    (migration,) = [m for m in load_migrations() if m.name == "engagement_rollup"]
    rendered = render_statements(migration.sql, RenderContext("ds", cluster="main"))
    table, front, view, truncate, backfill = rendered
    assert "ds.engagement_visit_pages_local ON CLUSTER main" in table
    assert "ReplicatedAggregatingMergeTree(" in table
    assert "Distributed('main', 'ds', 'engagement_visit_pages_local'" in front
    # each shard's view reads its own events and writes its own rollup rows
    assert "TO ds.engagement_visit_pages_local" in view and "FROM ds.events_local" in view
    assert "ds.engagement_visit_pages_local ON CLUSTER main" in truncate
    # the backfill goes through the Distributed fronts: every shard gets its tenants' rows
    assert "INSERT INTO ds.engagement_visit_pages\n" in backfill and "FROM ds.events\n" in backfill


def test_the_rollup_proof_ids_reach_every_shard_and_the_front() -> None:
    (migration,) = [m for m in load_migrations() if m.name == "rollup_read_event_ids"]
    rendered = render_statements(migration.sql, RenderContext("ds", cluster="main"))
    local, front, drop, view, truncate, backfill = rendered
    assert "ALTER TABLE ds.engagement_visit_pages_local ON CLUSTER main" in local
    assert "ALTER TABLE ds.engagement_visit_pages ON CLUSTER main" in front
    assert "DROP VIEW IF EXISTS ds.engagement_visit_pages_mv ON CLUSTER main" in drop
    assert "TO ds.engagement_visit_pages_local" in view and "read_event_id" in view
    assert "ds.engagement_visit_pages_local ON CLUSTER main" in truncate
    assert "INSERT INTO ds.engagement_visit_pages\n" in backfill and "read_event_id" in backfill


def test_every_rollup_view_gives_its_table_columns_in_order(clickhouse: ClickHouse) -> None:
    """A rollup's rebuild after an erasure inserts its view's SELECT by position
    (tracker.privacy.rollups): a column added to a table must sit where the view gives it."""
    from tracker.privacy.rollups import rollup_selects

    db = clickhouse.database
    for table, select in rollup_selects(clickhouse).items():
        given = [r["name"] for r in clickhouse.query(f"DESCRIBE ({select})")]
        held = [r["name"] for r in clickhouse.query(f"DESCRIBE {db}.{table}")]
        assert given == held, table


def test_the_detail_point_read_tables_keep_compact_parts_at_any_size(store: ClickHouse) -> None:
    """An uncached engagement detail reads every column of a few rows of these two tables:
    one file for all the columns (compact) instead of two a column (wide). Small parts are
    compact by default anyway; the tables' limit keeps them so past 10 MB (the default)."""
    limits = store.query(
        "SELECT name, engine_full FROM system.tables WHERE database = {db:String} "
        "AND name IN ('detail_entities', 'engagement_visit_pages') ORDER BY name",
        {"db": store.database},
    )
    assert [r["name"] for r in limits] == ["detail_entities", "engagement_visit_pages"]
    for table in limits:
        assert "min_bytes_for_wide_part = 1099511627776" in table["engine_full"], table["name"]
        assert "min_rows_for_wide_part = 1000000000000" in table["engine_full"], table["name"]


def test_the_compact_part_settings_go_to_every_shards_local_table() -> None:
    (migration,) = [m for m in load_migrations() if m.name == "compact_detail_parts"]
    rendered = render_statements(migration.sql, RenderContext("ds", cluster="main"))
    assert [s.split("\n")[0] for s in rendered] == [
        "ALTER TABLE ds.engagement_visit_pages_local ON CLUSTER main",
        "ALTER TABLE ds.detail_entities_local ON CLUSTER main",
    ]


def test_the_entity_body_is_computed_on_each_shard_and_readable_through_the_front() -> None:
    (migration,) = [m for m in load_migrations() if m.name == "detail_entity_body"]
    rendered = render_statements(migration.sql, RenderContext("ds", cluster="main"))
    local, front, materialize = rendered
    assert "ALTER TABLE ds.detail_entities_local ON CLUSTER main" in local
    assert "body String MATERIALIZED toJSONString(" in local
    assert "ALTER TABLE ds.detail_entities ON CLUSTER main" in front
    assert "MATERIALIZED" not in front.replace("MATERIALIZE COLUMN", "")
    assert "ds.detail_entities_local ON CLUSTER main" in materialize
    assert "MATERIALIZE COLUMN body" in materialize
