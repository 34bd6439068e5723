"""Sales-process aggregations for the weekly process health report, per team (the
opportunity's manager): time spent per stage (stays that ended in the week), the stage
regression rate, and touch density on high-value deals (amount ≥ the tenant's p75)."""

from __future__ import annotations

from datetime import date
from typing import Any

from tracker.stores import ClickHouse

__all__ = ["process_rows"]

_STAGES = "['prospecting', 'qualification', 'discovery', 'proposal', 'negotiation']"


def process_rows(
    ch: ClickHouse, tenant_id: str, start: date, end: date
) -> dict[str, list[dict[str, Any]]]:
    db = ch.database
    params = {"tenant_id": tenant_id, "start": start, "end": end}
    teams = (
        "SELECT opportunity_id, argMax(manager, version) AS team, "
        "toFloat64(argMax(amount, version)) AS amount, argMax(stage, version) AS stage "
        f"FROM {db}.opportunities WHERE tenant_id = {{tenant_id:String}} GROUP BY opportunity_id"
    )
    window = "OVER (PARTITION BY opportunity_id ORDER BY occurred_at, activity_id)"
    changes = (
        "SELECT opportunity_id, from_stage, to_stage, occurred_at, "
        f"lagInFrame(occurred_at) {window} AS prev_at, row_number() {window} AS rn "
        f"FROM {db}.activities FINAL WHERE tenant_id = {{tenant_id:String}} "
        "AND activity_type = 'stage_change' AND occurred_at < {end:Date}"
    )
    regress = (
        f"indexOf({_STAGES}, c.to_stage) > 0 "
        f"AND indexOf({_STAGES}, c.from_stage) > indexOf({_STAGES}, c.to_stage)"
    )
    stages = ch.query(
        "SELECT o.team AS team, c.from_stage AS stage, "
        "avgIf(dateDiff('second', c.prev_at, c.occurred_at) / 86400.0, c.rn > 1) AS avg_days, "
        "countIf(c.rn > 1) AS stays, count() AS changes, countIf(" + regress + ") AS regressions "
        f"FROM ({changes}) AS c INNER JOIN ({teams}) AS o ON o.opportunity_id = c.opportunity_id "
        "WHERE c.occurred_at >= {start:Date} GROUP BY team, stage ORDER BY team, stage",
        params,
    )
    touches = ch.query(
        f"WITH (SELECT quantile(0.75)(amount) FROM ({teams})) AS p75 "
        "SELECT o.team AS team, p75, countIf(o.amount >= p75 AND o.stage NOT IN "
        "('closed_won', 'closed_lost')) AS high_value_deals, "
        "sum(if(o.amount >= p75, ifNull(a.touches, 0), 0)) AS high_value_touches "
        f"FROM ({teams}) AS o LEFT JOIN (SELECT opportunity_id, count() AS touches "
        f"FROM {db}.activities FINAL WHERE tenant_id = {{tenant_id:String}} "
        "AND activity_type IN ('meeting', 'email', 'call') AND occurred_at >= {start:Date} "
        "AND occurred_at < {end:Date} GROUP BY opportunity_id) AS a "
        "ON a.opportunity_id = o.opportunity_id GROUP BY team ORDER BY team",
        params,
    )
    return {"stages": stages, "touches": touches}
