"""The opportunity ids of one page of the CRM's score sync (keyset on opportunity id)."""

from __future__ import annotations

from datetime import datetime

from tracker.stores import ClickHouse

__all__ = ["page_opportunity_ids"]


def page_opportunity_ids(
    ch: ClickHouse, tenant_id: str, *, after: str, since: datetime | None, limit: int
) -> list[str]:
    """Ids > `after`, ascending, of opportunities the tenant's CRM pushed or its links name;
    with `since`, only those with something received at or after it: the opportunity row,
    an event (human or not: it changes the freshness/warnings), an activity or an outcome."""
    db = ch.database
    base = (
        f"SELECT opportunity_id FROM {db}.opportunities WHERE tenant_id = {{tenant_id:String}} "
        "AND opportunity_id > {after:String} "
        f"UNION ALL SELECT opportunity_id FROM {db}.links WHERE tenant_id = {{tenant_id:String}} "
        "AND opportunity_id > {after:String}"
    )
    where = ""
    params: dict[str, object] = {"tenant_id": tenant_id, "after": after, "limit": limit}
    if since is not None:
        recent = " UNION ALL ".join(
            f"SELECT opportunity_id FROM {db}.{table} WHERE tenant_id = {{tenant_id:String}} "
            "AND received_at >= fromUnixTimestamp64Milli({since_ms:Int64}, 'UTC')"
            for table in ("opportunities", "events", "activities", "outcomes")
        )
        where = f"WHERE opportunity_id IN ({recent})"
        params["since_ms"] = int(since.timestamp() * 1000)
    rows = ch.query(
        f"SELECT opportunity_id FROM ({base}) {where} "
        "GROUP BY opportunity_id ORDER BY opportunity_id LIMIT {limit:UInt32}",
        params,
    )
    return [str(r["opportunity_id"]) for r in rows]
