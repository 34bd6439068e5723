"""The query behind the conversation and meeting-series signals: activities of many
opportunities at once that occurred in (as_of − lookback, as_of], grouped by opportunity,
oldest first, each row with its time as a real datetime (rows without one are left out)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from scoring.engagement.signals import real_time
from tracker.stores import ClickHouse, Row

__all__ = ["activities_in_window"]

_KEYS = "(SELECT arrayJoin(splitByChar(',', {keys:String})))"


def activities_in_window(
    ch: ClickHouse,
    tenant_id: str,
    keys: Sequence[str] | None,
    as_of: datetime,
    lookback_days: float,
    *,
    columns: str,
    condition: str,
) -> dict[str, list[tuple[Row, datetime]]]:
    """opportunity id → (row, occurred_at) of its activities matching `condition` (SQL over
    `activities`, written by the caller, no client input), `columns` selected beside the id."""
    if keys is not None and not keys:
        return {}
    where = "1" if keys is None else f"opportunity_id IN {_KEYS}"
    rows = ch.query(
        f"SELECT opportunity_id AS k, {columns}, occurred_at "
        f"FROM {ch.database}.activities FINAL WHERE tenant_id = {{tenant_id:String}} "
        f"AND {where} AND {condition} "
        "AND occurred_at > fromUnixTimestamp64Milli({from_ms:Int64}, 'UTC') "
        "AND occurred_at <= fromUnixTimestamp64Milli({to_ms:Int64}, 'UTC') "
        "ORDER BY k, occurred_at, activity_id",
        {
            "tenant_id": tenant_id,
            "keys": ",".join(keys or ()),
            "from_ms": int((as_of - timedelta(days=lookback_days)).timestamp() * 1000),
            "to_ms": int(as_of.timestamp() * 1000),
        },
    )
    found: dict[str, list[tuple[Row, datetime]]] = {}
    for r in rows:
        at = real_time(r["occurred_at"])
        if at is not None:
            found.setdefault(r["k"], []).append((r, at))
    return found
