"""Rollups rebuilt after events were deleted (a person's erasure, retention): the affected
links' rollup rows are deleted and recomputed from the events that remain, through each
rollup's own materialized-view query — so a rollup never keeps what its events no longer
hold, and no second copy of the view's SQL exists to drift from it. In cluster mode the
deletes go to the `_local` tables ON CLUSTER and the rebuild reads and writes the
Distributed tables (`tracker.stores.over_distributed`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Final

from tracker.stores import ClickHouse, delete_rows, over_distributed

__all__ = [
    "EVENT_ROLLUPS",
    "LINK_SCOPE",
    "rebuild_link_rollups",
    "rollup_rebuild_sql",
    "rollup_selects",
]

# Every table fed from `events` by a materialized view named `<table>_mv`.
EVENT_ROLLUPS: Final = ("page_dwell_daily", "link_activity_daily", "engagement_visit_pages")
# Parameters `tenant` and `links` (comma-joined link ids).
LINK_SCOPE: Final = "tenant_id = {tenant:String} AND has(splitByChar(',', {links:String}), link_id)"


def rollup_selects(ch: ClickHouse, rollups: Sequence[str] = EVENT_ROLLUPS) -> dict[str, str]:
    """rollup → its materialized view's SELECT, as `system.tables` shows it."""
    return {
        rollup: str(
            ch.query(
                "SELECT as_select FROM system.tables "
                "WHERE database = {db:String} AND name = {mv:String}",
                {"db": ch.database, "mv": f"{rollup}_mv"},
            )[0]["as_select"]
        )
        for rollup in rollups
    }


def rollup_rebuild_sql(
    database: str, selects: Mapping[str, str], cluster: str | None = None
) -> list[str]:
    """Per rollup: delete the links' rows, then insert them again from the view's SELECT."""
    statements: list[str] = []
    for rollup, select in selects.items():
        statements.append(delete_rows(database, rollup, LINK_SCOPE, cluster))
        rebuild = over_distributed(select, database, cluster)
        statements.append(
            f"INSERT INTO {database}.{rollup} SELECT * FROM ({rebuild}) WHERE {LINK_SCOPE}"
        )
    return statements


def rebuild_link_rollups(
    ch: ClickHouse,
    tenant_id: str,
    link_ids: Sequence[str],
    rollups: Sequence[str] = EVENT_ROLLUPS,
    *,
    cluster: str | None = None,
) -> None:
    """Recompute `rollups`' rows of these links from the events table as it is now."""
    if not link_ids:
        return
    params = {"tenant": tenant_id, "links": ",".join(link_ids)}
    for statement in rollup_rebuild_sql(ch.database, rollup_selects(ch, rollups), cluster):
        ch.command(statement, params)
