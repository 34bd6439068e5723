"""CRM activities: meetings (with attendee contact ids and whether they were held), emails,
calls and notes (with direction: inbound = customer-initiated, outbound, '' unknown), stage
changes, close-date changes, service requests and proposal revisions. Keyed by the CRM's
external id, versioned by its `updated_at` (else `occurred_at`), so re-sending is harmless and
late stale copies lose."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pyarrow as pa

from tracker.clock import TS, utcnow
from tracker.crm.opportunities import version_of
from tracker.stores.clickhouse import ClickHouse

__all__ = ["Activity", "list_activities", "record_activities"]


@dataclass(frozen=True)
class Activity:
    activity_id: str
    opportunity_id: str
    activity_type: str
    occurred_at: datetime
    customer_initiated: bool = False
    attendees: tuple[str, ...] = ()
    direction: str = ""  # inbound | outbound | '' (unknown); inbound == customer_initiated
    held: bool | None = None  # meetings: held or not; None: the CRM did not say
    series_id: str = ""  # meetings: the CRM's recurring series; '' = one-off or not said
    from_stage: str = ""
    to_stage: str = ""
    old_close_date: date | None = None
    new_close_date: date | None = None
    subject: str = ""
    updated_at: datetime | None = None

    @property
    def effective_updated_at(self) -> datetime:
        return self.updated_at or self.occurred_at


_STRINGS = (
    "activity_id",
    "opportunity_id",
    "activity_type",
    "direction",
    "series_id",
    "from_stage",
    "to_stage",
    "subject",
)


def record_activities(ch: ClickHouse, tenant_id: str, items: Sequence[Activity]) -> None:
    if not items:
        return
    now = utcnow()
    columns: dict[str, Any] = {"tenant_id": [tenant_id] * len(items)}
    columns.update({name: [getattr(a, name) for a in items] for name in _STRINGS})
    columns.update(
        {
            "customer_initiated": pa.array([int(a.customer_initiated) for a in items], pa.uint8()),
            "occurred_at": pa.array([a.occurred_at for a in items], TS),
            "attendees": pa.array([list(a.attendees) for a in items], pa.list_(pa.string())),
            "held": pa.array([None if a.held is None else int(a.held) for a in items], pa.uint8()),
            "old_close_date": pa.array([a.old_close_date for a in items], pa.date32()),
            "new_close_date": pa.array([a.new_close_date for a in items], pa.date32()),
            "updated_at": pa.array([a.effective_updated_at for a in items], TS),
            "received_at": pa.array([now] * len(items), TS),
            "version": pa.array([version_of(a.effective_updated_at) for a in items], pa.uint64()),
        }
    )
    ch.insert("activities", pa.table(columns))


def list_activities(
    ch: ClickHouse, tenant_id: str, opportunity_id: str, *, limit: int = 200
) -> list[Activity]:
    """Newest first."""
    rows = ch.query(
        "SELECT activity_id, opportunity_id, activity_type, occurred_at, customer_initiated, "
        "attendees, direction, held, series_id, from_stage, to_stage, old_close_date, "
        "new_close_date, subject, updated_at "
        f"FROM {ch.database}.activities FINAL "
        "WHERE tenant_id = {tenant_id:String} AND opportunity_id = {opportunity_id:String} "
        "ORDER BY occurred_at DESC, activity_id LIMIT {limit:UInt32}",
        {"tenant_id": tenant_id, "opportunity_id": opportunity_id, "limit": limit},
    )
    return [
        Activity(
            **{
                **r,
                "customer_initiated": bool(r["customer_initiated"]),
                "attendees": tuple(r["attendees"]),
                "held": None if r["held"] is None else bool(r["held"]),
            }
        )
        for r in rows
    ]
