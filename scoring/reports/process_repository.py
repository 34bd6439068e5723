"""Sales-process aggregations for the weekly process health report, per team (the
opportunity's manager): time spent per stage (stays that ended in the week — a deal's first
stay counted from when it entered that stage), the stage regression rate, and touch density
on open high-value deals (amount ≥ the tenant's p75; closed deals are left out)."""

from __future__ import annotations

from datetime import date
from typing import Any

from tracker.stores import ClickHouse

__all__ = ["process_rows"]

_STAGES = "['prospecting', 'qualification', 'discovery', 'proposal', 'negotiation']"


def _first_stay_starts(db: str) -> tuple[str, str]:
    """When each deal's first recorded stay began: the earliest `stage_entered_at` the CRM
    sent for that stage, else when the deal was created (its first payload, kept by the
    change log of migration 0016 even after the opportunity rows merged)."""
    entered = (
        "SELECT opportunity_id, stage, min(stage_entered_at) AS entered "
        f"FROM {db}.opportunities WHERE tenant_id = {{tenant_id:String}} "
        "AND stage_entered_at IS NOT NULL GROUP BY opportunity_id, stage"
    )
    created = (
        "SELECT opportunity_id, toNullable(min(at)) AS created FROM ("
        f"SELECT opportunity_id, updated_at AS at FROM {db}.opportunities "
        "WHERE tenant_id = {tenant_id:String} UNION ALL "
        f"SELECT opportunity_id, changed_at AS at FROM {db}.opportunity_changes "
        "WHERE tenant_id = {tenant_id:String} AND field = 'created') GROUP BY opportunity_id"
    )
    return entered, created


def process_rows(
    ch: ClickHouse, tenant_id: str, start: date, end: date
) -> dict[str, list[dict[str, Any]]]:
    db = ch.database
    params = {"tenant_id": tenant_id, "start": start, "end": end}
    closed = (
        f"SELECT opportunity_id FROM {db}.outcomes FINAL WHERE tenant_id = {{tenant_id:String}}"
    )
    # the team is the deal's manager as the CRM sent it, else the owner's manager in users
    managers = (
        f"SELECT lower(email) AS email, manager_email FROM {db}.users FINAL "
        "WHERE tenant_id = {tenant_id:String}"
    )
    deals = (
        "SELECT opportunity_id, argMax(manager, version) AS crm_manager, "
        "argMax(owner, version) AS owner, "
        "toFloat64(argMax(amount, version)) AS amount, argMax(stage, version) AS stage, "
        "stage NOT IN ('closed_won', 'closed_lost') "
        f"AND opportunity_id NOT IN ({closed}) AS is_open "
        f"FROM {db}.opportunities WHERE tenant_id = {{tenant_id:String}} GROUP BY opportunity_id"
    )
    teams = (
        "SELECT d.opportunity_id AS opportunity_id, "
        "if(d.crm_manager != '', d.crm_manager, ifNull(u.manager_email, '')) AS team, "
        "d.amount AS amount, d.stage AS stage, d.is_open AS is_open "
        f"FROM ({deals}) AS d LEFT JOIN ({managers}) AS u ON u.email = lower(d.owner)"
    )
    window = "OVER (PARTITION BY opportunity_id ORDER BY occurred_at, activity_id)"
    changes = (
        "SELECT opportunity_id, from_stage, to_stage, occurred_at, "
        f"lagInFrame(occurred_at) {window} AS prev_at, row_number() {window} AS rn "
        f"FROM {db}.activities FINAL WHERE tenant_id = {{tenant_id:String}} "
        "AND activity_type = 'stage_change' AND occurred_at < {end:Date}"
    )
    entered, created = _first_stay_starts(db)
    began = (
        "multiIf(c.rn > 1, toNullable(c.prev_at), "
        "f.entered IS NOT NULL AND f.entered <= c.occurred_at, f.entered, "
        "cr.created IS NOT NULL AND cr.created <= c.occurred_at, cr.created, NULL)"
    )
    regress = (
        f"indexOf({_STAGES}, c.to_stage) > 0 "
        f"AND indexOf({_STAGES}, c.from_stage) > indexOf({_STAGES}, c.to_stage)"
    )
    stages = ch.query(
        "SELECT o.team AS team, c.from_stage AS stage, "
        "avgIf(dateDiff('second', began, c.occurred_at) / 86400.0, began IS NOT NULL) "
        "AS avg_days, countIf(began IS NOT NULL) AS stays, count() AS changes, "
        f"countIf({regress}) AS regressions FROM (SELECT c.*, {began} AS began "
        f"FROM ({changes}) AS c "
        f"LEFT JOIN ({entered}) AS f ON f.opportunity_id = c.opportunity_id "
        "AND f.stage = c.from_stage "
        f"LEFT JOIN ({created}) AS cr ON cr.opportunity_id = c.opportunity_id) AS c "
        f"INNER JOIN ({teams}) AS o ON o.opportunity_id = c.opportunity_id "
        "WHERE c.occurred_at >= {start:Date} GROUP BY team, stage ORDER BY team, stage "
        "SETTINGS join_use_nulls = 1",
        params,
    )
    # high value: amount at or above the p75 of the tenant's deals; density over open ones
    touches = ch.query(
        f"WITH (SELECT quantileExactInclusive(0.75)(amount) FROM ({teams})) AS p75 "
        "SELECT o.team AS team, p75, countIf(o.amount >= p75 AND o.is_open) "
        "AS high_value_deals, "
        "sum(if(o.amount >= p75 AND o.is_open, ifNull(a.touches, 0), 0)) AS high_value_touches "
        f"FROM ({teams}) AS o LEFT JOIN (SELECT opportunity_id, count() AS touches "
        f"FROM {db}.activities FINAL WHERE tenant_id = {{tenant_id:String}} "
        "AND activity_type IN ('meeting', 'email', 'call') AND occurred_at >= {start:Date} "
        "AND occurred_at < {end:Date} GROUP BY opportunity_id) AS a "
        "ON a.opportunity_id = o.opportunity_id GROUP BY team ORDER BY team",
        params,
    )
    return {"stages": stages, "touches": touches}
