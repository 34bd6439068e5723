"""Forecast snapshots (what was predicted for each open deal as of a day) and the reads the
calibration report and the forecast roll-up need: snapshots matched with outcomes, and won
amounts per owner in a period."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import pyarrow as pa

from tracker.clock import TS, utcnow, version_now
from tracker.stores import ClickHouse

__all__ = [
    "ForecastSnapshot",
    "calibration_rows",
    "closed_outcomes",
    "latest_bands",
    "won_in_period",
    "write_snapshots",
]


@dataclass(frozen=True)
class ForecastSnapshot:
    as_of: date
    opportunity_id: str
    owner: str
    manager: str
    stage: str
    amount: float
    crm_probability: float
    calibrated_probability: float
    credibility_index: float
    health: float
    band: str
    failing_evidence: tuple[str, ...]
    expected_close_date: date | None
    model_version: str


def write_snapshots(ch: ClickHouse, tenant_id: str, items: Sequence[ForecastSnapshot]) -> None:
    if not items:
        return
    floats = (
        "amount", "crm_probability", "calibrated_probability", "credibility_index", "health",
    )  # fmt: skip
    strings = ("opportunity_id", "owner", "manager", "stage", "band", "model_version")
    columns: dict[str, Any] = {"tenant_id": [tenant_id] * len(items)}
    columns["as_of"] = pa.array([s.as_of for s in items], pa.date32())
    columns.update({n: [getattr(s, n) for s in items] for n in strings})
    columns.update({n: pa.array([getattr(s, n) for s in items], pa.float64()) for n in floats})
    columns["failing_evidence"] = pa.array(
        [list(s.failing_evidence) for s in items], pa.list_(pa.string())
    )
    columns["expected_close_date"] = pa.array([s.expected_close_date for s in items], pa.date32())
    columns["created_at"] = pa.array([utcnow()] * len(items), TS)
    columns["version"] = pa.array([version_now()] * len(items), pa.uint64())
    ch.insert("forecast_snapshots", pa.table(columns))


def calibration_rows(
    ch: ClickHouse, tenant_id: str, start: date, end: date
) -> list[dict[str, Any]]:
    """One row per deal closed (won/lost) in [start, end): the forecast made for it — the
    newest snapshot on or before `start`, else the oldest one before it closed — with the
    outcome and actual amount."""
    db = ch.database
    pick = (
        "(toUInt8(s.as_of <= {start:Date}), "
        "if(s.as_of <= {start:Date}, toInt32(s.as_of), -toInt32(s.as_of)))"
    )
    cols = (
        "as_of", "owner", "manager", "stage", "amount", "crm_probability",
        "calibrated_probability", "credibility_index", "health", "band", "failing_evidence",
    )  # fmt: skip
    picked = ", ".join(f"argMax(s.{c}, {pick}) AS {c}" for c in cols)
    return ch.query(
        f"SELECT o.opportunity_id AS opportunity_id, {picked}, any(o.outcome) AS outcome, "
        "toFloat64(any(o.actual_amount)) AS actual_amount, any(o.reason) AS reason, "
        "any(o.closed_at) AS closed_at "
        f"FROM (SELECT * FROM {db}.outcomes FINAL WHERE tenant_id = {{tenant_id:String}} "
        "AND closed_at >= {start:Date} AND closed_at < {end:Date}) AS o "
        f"INNER JOIN (SELECT * FROM {db}.forecast_snapshots FINAL "
        "WHERE tenant_id = {tenant_id:String}) AS s "
        "ON s.opportunity_id = o.opportunity_id WHERE s.as_of < toDate(o.closed_at) "
        "GROUP BY o.opportunity_id ORDER BY o.opportunity_id",
        {"tenant_id": tenant_id, "start": start, "end": end},
    )


def won_in_period(ch: ClickHouse, tenant_id: str, start: date, end: date) -> list[dict[str, Any]]:
    """Won amount per (owner, manager, currency) for deals won in [start, end)."""
    db = ch.database
    return ch.query(
        "SELECT p.owner AS owner, p.manager AS manager, o.currency AS currency, "
        "toFloat64(sum(o.actual_amount)) AS won, count() AS deals "
        f"FROM (SELECT * FROM {db}.outcomes FINAL WHERE tenant_id = {{tenant_id:String}} "
        "AND outcome = 'won' AND closed_at >= {start:Date} AND closed_at < {end:Date}) AS o "
        f"LEFT JOIN (SELECT opportunity_id, argMax(owner, version) AS owner, "
        f"argMax(manager, version) AS manager FROM {db}.opportunities "
        "WHERE tenant_id = {tenant_id:String} GROUP BY opportunity_id) AS p "
        "ON p.opportunity_id = o.opportunity_id GROUP BY owner, manager, currency",
        {"tenant_id": tenant_id, "start": start, "end": end},
    )


def latest_bands(ch: ClickHouse, tenant_id: str, before: date) -> dict[str, str]:
    """Each opportunity's health band in its newest snapshot before `before`."""
    rows = ch.query(
        "SELECT opportunity_id, argMax(band, as_of) AS band "
        f"FROM {ch.database}.forecast_snapshots FINAL WHERE tenant_id = {{tenant_id:String}} "
        "AND as_of < {before:Date} GROUP BY opportunity_id",
        {"tenant_id": tenant_id, "before": before},
    )
    return {str(r["opportunity_id"]): str(r["band"]) for r in rows}


def closed_outcomes(ch: ClickHouse, tenant_id: str) -> dict[str, tuple[bool, datetime]]:
    """Every won/lost outcome: opportunity id → (won, closed_at)."""
    rows = ch.query(
        "SELECT opportunity_id, outcome, closed_at "
        f"FROM {ch.database}.outcomes FINAL WHERE tenant_id = {{tenant_id:String}} "
        "AND outcome IN ('won', 'lost')",
        {"tenant_id": tenant_id},
    )
    return {str(r["opportunity_id"]): (r["outcome"] == "won", r["closed_at"]) for r in rows}
