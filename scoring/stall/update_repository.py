"""The newest update of each open deal as of a moment, for the stall rule "连续48小时无更新"
(no update for 48 h): the newest CRM activity of any type (meetings, emails, calls, notes,
stage and close-date changes), the newest recorded CRM field change (tracker.crm.changes:
stage, close date, amount) and when the deal was created. The buyer's engagement and the
links we sent come with the opportunity features (scoring.health.features)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from scoring.engagement.signals import real_time
from tracker.stores import ClickHouse

__all__ = ["DealUpdates", "fetch_deal_updates"]

_T = "fromUnixTimestamp64Milli({as_of_ms:Int64}, 'UTC')"


@dataclass(frozen=True)
class DealUpdates:
    created_at: datetime | None = None
    activity_type: str = ""
    activity_at: datetime | None = None
    crm_field: str = ""
    crm_at: datetime | None = None


def _pair(value: Any) -> tuple[str, datetime | None]:
    values = list(value.values()) if isinstance(value, dict) else list(value or ("", None))
    return str(values[0] or ""), real_time(values[1])


def fetch_deal_updates(ch: ClickHouse, tenant_id: str, as_of: datetime) -> dict[str, DealUpdates]:
    """Per opportunity of the tenant (only those with something known by `as_of`)."""
    db = ch.database
    params = {"tenant_id": tenant_id, "as_of_ms": int(as_of.timestamp() * 1000)}
    acts = ch.query(
        f"WITH {_T} AS t SELECT opportunity_id AS k, "
        "argMax(tuple(activity_type, occurred_at), occurred_at) AS last "
        f"FROM {db}.activities FINAL WHERE tenant_id = {{tenant_id:String}} "
        "AND occurred_at <= t GROUP BY k",
        params,
    )
    changes = ch.query(
        f"WITH {_T} AS t SELECT opportunity_id AS k, "
        "argMaxIf(tuple(field, changed_at), changed_at, field != 'created') AS last, "
        "countIf(field != 'created') AS n, minIf(changed_at, field = 'created') AS created, "
        "countIf(field = 'created') AS has_created "
        f"FROM {db}.opportunity_changes FINAL WHERE tenant_id = {{tenant_id:String}} "
        "AND changed_at <= t GROUP BY k",
        params,
    )
    # deals pushed before the change log existed: their oldest surviving row
    rows = ch.query(
        f"WITH {_T} AS t SELECT opportunity_id AS k, min(updated_at) AS first_seen "
        f"FROM {db}.opportunities WHERE tenant_id = {{tenant_id:String}} AND updated_at <= t "
        "GROUP BY k",
        params,
    )
    created = {r["k"]: real_time(r["first_seen"]) for r in rows}
    found: dict[str, DealUpdates] = {}
    for r in changes:
        field, at = _pair(r["last"]) if int(r["n"]) else ("", None)
        first = real_time(r["created"]) if int(r["has_created"]) else None
        found[r["k"]] = DealUpdates(first or created.get(r["k"]), "", None, field, at)
    for k, at in created.items():
        found.setdefault(k, DealUpdates(created_at=at))
    for r in acts:
        kind, at = _pair(r["last"])
        base = found.get(r["k"], DealUpdates())
        found[r["k"]] = DealUpdates(base.created_at, kind, at, base.crm_field, base.crm_at)
    return found
