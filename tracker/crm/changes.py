"""What the CRM changed on its opportunities (migration 0016): one row per changed field —
`created` (the first payload), `stage`, `close_date`, `amount` — stamped with the CRM's
`updated_at` of the payload that made the change.

The opportunities table keeps only its newest row once merged, so "what was last updated and
when" (a stall is 48 h without any update) cannot be read back from it; the upsert compares
each payload with the current row before writing and appends the differences here. A stale
payload (older than the current row) changes nothing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa

from tracker.clock import TS
from tracker.stores.clickhouse import ClickHouse

__all__ = ["CHANGE_FIELDS", "CrmChange", "OpportunityState", "last_changes", "record_changes"]

#: The fields whose change counts as an update of the deal (besides activities and the buyer's
#: engagement); `created` marks the first payload.
CHANGE_FIELDS = ("created", "stage", "close_date", "amount")


@dataclass(frozen=True)
class OpportunityState:
    """The parts of an opportunity payload whose change is recorded."""

    opportunity_id: str
    stage: str
    expected_close_date: date | None
    amount: Decimal
    updated_at: datetime


@dataclass(frozen=True)
class CrmChange:
    opportunity_id: str
    field: str
    old_value: str
    new_value: str
    changed_at: datetime


def _micros(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def _current(ch: ClickHouse, tenant_id: str, ids: list[str]) -> dict[str, dict[str, Any]]:
    rows = ch.query(
        "SELECT opportunity_id, stage, expected_close_date, amount, version "
        f"FROM {ch.database}.opportunities FINAL WHERE tenant_id = {{tenant_id:String}} "
        "AND opportunity_id IN (SELECT arrayJoin(splitByChar(',', {ids:String})))",
        {"tenant_id": tenant_id, "ids": ",".join(ids)},
    )
    return {r["opportunity_id"]: r for r in rows}


def _diff(state: OpportunityState, row: dict[str, Any] | None) -> list[CrmChange]:
    at = state.updated_at
    if row is None:
        return [CrmChange(state.opportunity_id, "created", "", state.stage, at)]
    if int(row["version"]) >= _micros(at):
        return []  # the same payload again, or a stale one arriving late
    pairs = (
        ("stage", row["stage"], state.stage),
        ("close_date", row["expected_close_date"], state.expected_close_date),
        ("amount", Decimal(str(row["amount"])), state.amount),
    )
    return [
        CrmChange(state.opportunity_id, name, _text(old), _text(new), at)
        for name, old, new in pairs
        if _text(old) != _text(new)
    ]


def record_changes(ch: ClickHouse, tenant_id: str, items: Sequence[OpportunityState]) -> None:
    """Append the fields these payloads change (call before writing the payloads). Within one
    call the newest payload per opportunity is compared with the stored row."""
    newest: dict[str, OpportunityState] = {}
    for s in items:
        if s.opportunity_id not in newest or s.updated_at > newest[s.opportunity_id].updated_at:
            newest[s.opportunity_id] = s
    if not newest:
        return
    current = _current(ch, tenant_id, sorted(newest))
    changes = [c for k, s in newest.items() for c in _diff(s, current.get(k))]
    if not changes:
        return
    ch.insert(
        "opportunity_changes",
        pa.table(
            {
                "tenant_id": [tenant_id] * len(changes),
                "opportunity_id": [c.opportunity_id for c in changes],
                "field": [c.field for c in changes],
                "old_value": [c.old_value for c in changes],
                "new_value": [c.new_value for c in changes],
                "changed_at": pa.array([c.changed_at for c in changes], TS),
                "version": pa.array([_micros(c.changed_at) for c in changes], pa.uint64()),
            }
        ),
    )


def last_changes(
    ch: ClickHouse, tenant_id: str, opportunity_id: str, *, limit: int = 50
) -> list[CrmChange]:
    """Newest first (for the deal page and tests)."""
    rows = ch.query(
        "SELECT opportunity_id, field, old_value, new_value, changed_at "
        f"FROM {ch.database}.opportunity_changes FINAL WHERE tenant_id = {{tenant_id:String}} "
        "AND opportunity_id = {opportunity_id:String} "
        "ORDER BY changed_at DESC, field LIMIT {limit:UInt32}",
        {"tenant_id": tenant_id, "opportunity_id": opportunity_id, "limit": limit},
    )
    return [CrmChange(**r) for r in rows]
