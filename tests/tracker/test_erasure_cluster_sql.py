"""The SQL an erasure and the retention job run, for a plain server (and chDB) and for a
cluster (`DEALSIGNAL_CLICKHOUSE_CLUSTER`): there the Distributed tables take no DELETE, so
every delete goes to the Replicated `_local` table ON CLUSTER, and rollups are rebuilt from
the Distributed tables (every shard), not from the materialized view's `_local` source.
No ClickHouse cluster runs here: this pins the statements; the plain statements run for
real on chDB in tests/api/test_people.py and below."""

from __future__ import annotations

import re

from ingest import person_erasure_sql
from tracker.privacy import pseudonymise_sql, rollup_selects
from tracker.stores import delete_rows, over_distributed
from tracker.stores.clickhouse import ClickHouse, RenderContext, load_migrations, render_statements

DB, CLUSTER = "dealsignal", "ds_cluster"


def _mv_select(rollup: str, cluster: str | None) -> str:
    """The rollup view's SELECT as its migration renders it (what system.tables shows)."""
    for migration in load_migrations():
        for statement in render_statements(migration.sql, RenderContext(DB, cluster=cluster)):
            if f"MATERIALIZED VIEW IF NOT EXISTS {DB}.{rollup}_mv" in statement:
                return "SELECT " + re.split(r"\bAS\s+SELECT\b", statement, maxsplit=1)[1].strip()
    raise AssertionError(f"no view for {rollup}")


def test_a_delete_targets_the_local_table_on_cluster() -> None:
    where = "tenant_id = {tenant:String}"
    assert delete_rows(DB, "events", where) == f"DELETE FROM {DB}.events WHERE {where}"
    assert delete_rows(DB, "events", where, CLUSTER) == (
        f"DELETE FROM {DB}.events_local ON CLUSTER {CLUSTER} WHERE {where}"
    )
    select = f"SELECT a FROM {DB}.events_local JOIN {DB}.links_local USING (x) WHERE b"
    assert over_distributed(select, DB) == select
    assert over_distributed(select, DB, CLUSTER) == (
        f"SELECT a FROM {DB}.events JOIN {DB}.links USING (x) WHERE b"
    )


def test_person_erasure_plain_and_on_cluster() -> None:
    plain_selects = {r: _mv_select(r, None) for r in ("page_dwell_daily", "link_activity_daily")}
    plain = person_erasure_sql(DB, plain_selects)
    assert [s.split(" WHERE ")[0] for s in plain[:2]] == [
        f"DELETE FROM {DB}.events", f"DELETE FROM {DB}.page_dwell_daily"
    ]  # fmt: skip
    assert "forwarded = 0" in plain[0]  # a forwardee's reading on the link stays
    assert not any("_local" in s or "ON CLUSTER" in s for s in plain)

    cluster_selects = {
        r: _mv_select(r, CLUSTER) for r in ("page_dwell_daily", "link_activity_daily")
    }
    assert all(f"FROM {DB}.events_local" in s for s in cluster_selects.values())
    statements = person_erasure_sql(DB, cluster_selects, CLUSTER)
    deletes = [s for s in statements if s.startswith("DELETE")]
    inserts = [s for s in statements if s.startswith("INSERT")]
    assert [re.match(r"DELETE FROM (\S+) ON CLUSTER (\S+) WHERE", s).groups() for s in deletes] == [  # type: ignore[union-attr]
        (f"{DB}.events_local", CLUSTER),
        (f"{DB}.page_dwell_daily_local", CLUSTER),
        (f"{DB}.link_activity_daily_local", CLUSTER),
    ]
    for insert, rollup in zip(inserts, ("page_dwell_daily", "link_activity_daily"), strict=True):
        assert insert.startswith(f"INSERT INTO {DB}.{rollup} SELECT * FROM (")  # Distributed
        assert f"FROM {DB}.events " in insert or f"FROM {DB}.events\n" in insert
        assert "_local" not in insert  # every shard's events, written through Distributed


def test_pseudonymisation_plain_and_on_cluster() -> None:
    plain = pseudonymise_sql(DB)
    held = f"{DB}.detail_entities"  # the copies the detail reads (migration 0060)
    assert [s.split(" ")[0:3] for s in plain] == [
        ["INSERT", "INTO", f"{DB}.links"], ["DELETE", "FROM", f"{DB}.links"],
        ["DELETE", "FROM", held],
        ["INSERT", "INTO", f"{DB}.contacts"], ["DELETE", "FROM", f"{DB}.contacts"],
        ["DELETE", "FROM", held],
    ]  # fmt: skip
    cluster = pseudonymise_sql(DB, CLUSTER)
    assert cluster[0] == plain[0] and cluster[3] == plain[3]  # new versions: Distributed
    assert cluster[1].startswith(f"DELETE FROM {DB}.links_local ON CLUSTER {CLUSTER} WHERE ")
    assert cluster[2].startswith(f"DELETE FROM {held}_local ON CLUSTER {CLUSTER} WHERE ")
    assert cluster[4].startswith(f"DELETE FROM {DB}.contacts_local ON CLUSTER {CLUSTER} WHERE ")
    assert cluster[5].startswith(f"DELETE FROM {held}_local ON CLUSTER {CLUSTER} WHERE ")
    assert pseudonymise_sql(DB, CLUSTER, contacts=False) == cluster[:3]


def test_the_rebuild_statements_run_on_chdb(clickhouse: ClickHouse) -> None:
    """The plain plan, with the views' SELECTs as chDB reports them, is valid SQL there."""
    db = clickhouse.database
    selects = rollup_selects(clickhouse)  # every rollup, the engagement one included
    for statement in person_erasure_sql(db, selects):
        clickhouse.command(statement, {"tenant": "ten_nobody", "links": "lnk_nobody"})
