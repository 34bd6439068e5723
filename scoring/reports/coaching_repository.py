"""The open deals whose forecast evidence chain is incomplete, per rep: what a coaching to-do
(预测能力陪跑计划) lists for the rep's manager. Read from each deal's newest daily forecast
snapshot (its failing evidence items); deals with an outcome are closed and left out."""

from __future__ import annotations

from tracker.stores import ClickHouse

__all__ = ["incomplete_evidence_deals"]


def incomplete_evidence_deals(
    ch: ClickHouse, tenant_id: str, owner: str, *, limit: int = 20
) -> list[tuple[str, tuple[str, ...]]]:
    """(opportunity id, failing evidence codes) of the owner's open deals, most gaps first."""
    db = ch.database
    rows = ch.query(
        "SELECT opportunity_id, argMax(failing_evidence, as_of) AS failing, "
        "argMax(owner, as_of) AS who FROM "
        f"{db}.forecast_snapshots FINAL WHERE tenant_id = {{tenant_id:String}} "
        f"AND opportunity_id NOT IN (SELECT opportunity_id FROM {db}.outcomes FINAL "
        "WHERE tenant_id = {tenant_id:String}) GROUP BY opportunity_id "
        "HAVING lower(who) = lower({owner:String}) AND notEmpty(failing) "
        "ORDER BY length(failing) DESC, opportunity_id LIMIT {limit:UInt32}",
        {"tenant_id": tenant_id, "owner": owner, "limit": limit},
    )
    return [(str(r["opportunity_id"]), tuple(r["failing"])) for r in rows]
