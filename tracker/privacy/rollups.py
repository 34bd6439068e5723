"""Rollups rebuilt after events were deleted (a person's erasure, retention): the affected
links' rollup rows are deleted and recomputed from the events that remain, through each
rollup's own materialized-view query — so a rollup never keeps what its events no longer
hold, and no second copy of the view's SQL exists to drift from it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

from tracker.stores import ClickHouse

__all__ = ["EVENT_ROLLUPS", "rebuild_link_rollups"]

# Every table fed from `events` by a materialized view named `<table>_mv`.
EVENT_ROLLUPS: Final = ("page_dwell_daily", "link_activity_daily", "engagement_visit_pages")


def rebuild_link_rollups(
    ch: ClickHouse, tenant_id: str, link_ids: Sequence[str], rollups: Sequence[str] = EVENT_ROLLUPS
) -> None:
    """Recompute `rollups`' rows of these links from the events table as it is now."""
    if not link_ids:
        return
    db = ch.database
    params = {"tenant": tenant_id, "links": ",".join(link_ids)}
    scope = "tenant_id = {tenant:String} AND has(splitByChar(',', {links:String}), link_id)"
    for rollup in rollups:
        rebuild = ch.query(
            "SELECT as_select FROM system.tables "
            "WHERE database = {db:String} AND name = {mv:String}",
            {"db": db, "mv": f"{rollup}_mv"},
        )[0]["as_select"]
        ch.command(f"DELETE FROM {db}.{rollup} WHERE {scope}", params)
        ch.command(f"INSERT INTO {db}.{rollup} SELECT * FROM ({rebuild}) WHERE {scope}", params)
