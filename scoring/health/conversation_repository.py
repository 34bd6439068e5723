"""The rows behind `scoring.health.unanswered`: the conversation activities (meetings,
emails, calls) with a known direction of many opportunities at once, that occurred in
(as_of − lookback, as_of]."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from scoring.engagement.signals import real_time
from scoring.health.unanswered import Exchange
from tracker.crm import COMMUNICATION_TYPES
from tracker.stores import ClickHouse

__all__ = ["fetch_exchanges"]

_KEYS = "(SELECT arrayJoin(splitByChar(',', {keys:String})))"
_TYPES = ", ".join(f"'{t.value}'" for t in sorted(COMMUNICATION_TYPES))


def fetch_exchanges(
    ch: ClickHouse,
    tenant_id: str,
    keys: Sequence[str] | None,
    as_of: datetime,
    lookback_days: float,
) -> dict[str, list[Exchange]]:
    """opportunity id → its conversation, oldest first."""
    if keys is not None and not keys:
        return {}
    where = "1" if keys is None else f"opportunity_id IN {_KEYS}"
    rows = ch.query(
        "SELECT opportunity_id AS k, activity_id, activity_type, direction, occurred_at "
        f"FROM {ch.database}.activities FINAL WHERE tenant_id = {{tenant_id:String}} "
        f"AND {where} AND activity_type IN ({_TYPES}) AND direction IN ('inbound', 'outbound') "
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
    found: dict[str, list[Exchange]] = {}
    for r in rows:
        at = real_time(r["occurred_at"])
        if at is not None:
            found.setdefault(r["k"], []).append(
                Exchange(r["activity_id"], r["activity_type"], r["direction"], at)
            )
    return found
