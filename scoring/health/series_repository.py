"""The rows behind `scoring.health.meeting_series`: the meetings of recurring series (CRM
`series_id` set) of many opportunities at once, that occurred in (as_of − lookback, as_of].
`held` is the CRM's current word on each meeting (a cancellation is usually entered after
the meeting's time, so a past snapshot sees it too)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from scoring.health.activity_repository import activities_in_window
from scoring.health.meeting_series import SeriesMeeting
from tracker.crm import ActivityType
from tracker.stores import ClickHouse

__all__ = ["fetch_series_meetings"]


def fetch_series_meetings(
    ch: ClickHouse,
    tenant_id: str,
    keys: Sequence[str] | None,
    as_of: datetime,
    lookback_days: float,
) -> dict[str, list[SeriesMeeting]]:
    """opportunity id → its series meetings, oldest first."""
    found = activities_in_window(
        ch, tenant_id, keys, as_of, lookback_days,
        columns="activity_id, series_id, held",
        condition=f"activity_type = '{ActivityType.MEETING.value}' AND series_id != ''",
    )  # fmt: skip
    return {
        k: [
            SeriesMeeting(
                activity_id=r["activity_id"],
                series_id=r["series_id"],
                occurred_at=at,
                held=None if r["held"] is None else bool(r["held"]),
            )
            for r, at in rows
        ]
        for k, rows in found.items()
    }
