"""The rows behind `scoring.health.meeting_series`: the meetings of recurring series (CRM
`series_id` set) of many opportunities at once, that occurred in (as_of − lookback, as_of].
`held` is the CRM's current word on each meeting (a cancellation is usually entered after
the meeting's time, so a past snapshot sees it too)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from scoring.engagement.signals import real_time
from scoring.health.meeting_series import SeriesMeeting
from tracker.crm import ActivityType
from tracker.stores import ClickHouse

__all__ = ["fetch_series_meetings"]

_KEYS = "(SELECT arrayJoin(splitByChar(',', {keys:String})))"


def fetch_series_meetings(
    ch: ClickHouse,
    tenant_id: str,
    keys: Sequence[str] | None,
    as_of: datetime,
    lookback_days: float,
) -> dict[str, list[SeriesMeeting]]:
    """opportunity id → its series meetings, oldest first."""
    if keys is not None and not keys:
        return {}
    where = "1" if keys is None else f"opportunity_id IN {_KEYS}"
    rows = ch.query(
        "SELECT opportunity_id AS k, activity_id, series_id, occurred_at, held "
        f"FROM {ch.database}.activities FINAL WHERE tenant_id = {{tenant_id:String}} "
        f"AND {where} AND activity_type = '{ActivityType.MEETING.value}' AND series_id != '' "
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
    found: dict[str, list[SeriesMeeting]] = {}
    for r in rows:
        at = real_time(r["occurred_at"])
        if at is None:
            continue
        found.setdefault(r["k"], []).append(
            SeriesMeeting(
                activity_id=r["activity_id"],
                series_id=r["series_id"],
                occurred_at=at,
                held=None if r["held"] is None else bool(r["held"]),
            )
        )
    return found
