"""A deal's health over the last days, read from the daily forecast snapshots (one row per
deal and day; `scoring.forecast.daily_snapshots` writes them): the 30-day trend of the daily
briefing."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from tracker.stores import ClickHouse

__all__ = ["health_history"]


def health_history(
    ch: ClickHouse, tenant_id: str, opportunity_ids: Sequence[str], since: date
) -> dict[str, list[tuple[date, float]]]:
    """Per opportunity, (day, health value) from `since` on, oldest first."""
    if not opportunity_ids:
        return {}
    rows = ch.query(
        "SELECT opportunity_id, as_of, health "
        f"FROM {ch.database}.forecast_snapshots FINAL WHERE tenant_id = {{tenant_id:String}} "
        "AND opportunity_id IN (SELECT arrayJoin(splitByChar(',', {ids:String}))) "
        "AND as_of >= {since:Date} ORDER BY opportunity_id, as_of",
        {"tenant_id": tenant_id, "ids": ",".join(opportunity_ids), "since": since},
    )
    found: dict[str, list[tuple[date, float]]] = {}
    for r in rows:
        found.setdefault(str(r["opportunity_id"]), []).append((r["as_of"], float(r["health"])))
    return found
