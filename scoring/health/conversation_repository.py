"""The rows behind `scoring.health.unanswered`: the conversation activities (meetings,
emails, calls) with a known direction of many opportunities at once, that occurred in
(as_of − lookback, as_of]."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from scoring.health.activity_repository import activities_in_window
from scoring.health.unanswered import Exchange
from tracker.crm import COMMUNICATION_TYPES
from tracker.stores import ClickHouse

__all__ = ["fetch_exchanges"]

_TYPES = ", ".join(f"'{t.value}'" for t in sorted(COMMUNICATION_TYPES))


def fetch_exchanges(
    ch: ClickHouse,
    tenant_id: str,
    keys: Sequence[str] | None,
    as_of: datetime,
    lookback_days: float,
) -> dict[str, list[Exchange]]:
    """opportunity id → its conversation, oldest first."""
    found = activities_in_window(
        ch, tenant_id, keys, as_of, lookback_days,
        columns="activity_id, activity_type, direction",
        condition=f"activity_type IN ({_TYPES}) AND direction IN ('inbound', 'outbound')",
    )  # fmt: skip
    return {
        k: [Exchange(r["activity_id"], r["activity_type"], r["direction"], at) for r, at in rows]
        for k, rows in found.items()
    }
