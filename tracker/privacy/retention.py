"""Retention per tenant: how long a tenant keeps its buyers' raw reading events (and their
daily rollups), the watermarked copies and page images made for its links, and its audit
trail — events at most the deployment's `DEALSIGNAL_EVENT_TTL_DAYS`, which the tables' TTL
enforces for everyone. A daily job deletes what is older than each tenant's own limit (in
cluster mode from the `_local` tables ON CLUSTER; blobs from the configured blob store)."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from functools import partial

from pydantic import BaseModel, ConfigDict, Field

from tracker.clock import utcnow
from tracker.errors import BadRequest
from tracker.privacy.audit import AuditAction, record_audit
from tracker.privacy.copies import expire_copies
from tracker.privacy.rollups import rebuild_link_rollups
from tracker.scheduler import PeriodicJob
from tracker.stores import BlobStore, ClickHouse, delete_rows
from tracker.tenant_settings import get_tenant_settings, put_tenant_settings

__all__ = [
    "Retention",
    "enforce_retention",
    "get_retention",
    "put_retention",
    "retention_job",
    "set_retention",
]

_KEY = "retention"
# table → the column holding each row's time (rollups: the day)
_BY_TABLE = {
    "events": "received_at",
    "page_dwell_daily": "day",
    "link_activity_daily": "day",
}


class Retention(BaseModel):
    model_config = ConfigDict(extra="forbid")

    events_days: int = Field(default=730, ge=1, le=3650, description="raw reading events")
    audit_days: int = Field(default=730, ge=30, le=3650, description="the audit trail")
    copies_days: int = Field(
        default=730, ge=1, le=3650, description="watermarked copies and page images"
    )


def get_retention(ch: ClickHouse, tenant_id: str) -> Retention:
    return Retention(**get_tenant_settings(ch, tenant_id, _KEY))


def put_retention(ch: ClickHouse, tenant_id: str, retention: Retention) -> None:
    put_tenant_settings(ch, tenant_id, _KEY, retention.model_dump())


def set_retention(
    ch: ClickHouse,
    tenant_id: str,
    retention: Retention,
    *,
    events_ceiling_days: int,
    actor: str,
) -> None:
    """An admin's change (the REST API and the web settings page both come here), kept in the
    audit trail: events cannot be kept longer than the deployment's table TTL, which deletes
    them anyway."""
    if retention.events_days > events_ceiling_days:
        raise BadRequest(
            f"events are kept at most {events_ceiling_days} days in this deployment",
            code="retention_over_deployment_limit",
            limit=events_ceiling_days,
        )
    put_retention(ch, tenant_id, retention)
    record_audit(
        ch, tenant_id, actor, AuditAction.SETTINGS_CHANGED, "retention", retention.model_dump_json()
    )


def enforce_retention(
    ch: ClickHouse,
    tenant_id: str,
    now: datetime | None = None,
    *,
    blobs: BlobStore | None = None,
    cluster: str | None = None,
) -> int:
    """Deletes the tenant's events, rollup rows, audit entries and (given the blob store)
    copies past its limits; returns how many events went."""
    retention, moment = get_retention(ch, tenant_id), now or utcnow()
    db = ch.database
    events_before = moment - timedelta(days=retention.events_days)
    params = {"tenant": tenant_id, "before": int(events_before.timestamp() * 1000)}
    count = int(
        ch.query(
            f"SELECT count() AS n FROM {db}.events WHERE tenant_id = {{tenant:String}} "
            "AND received_at < fromUnixTimestamp64Milli({before:Int64})",
            params,
        )[0]["n"]
    )
    # A visit-page row of the engagement rollup has no single day: the links with a row
    # reaching past the limit are recomputed from the events that stay.
    expiring = ch.query(
        f"SELECT DISTINCT link_id FROM {db}.engagement_visit_pages "
        "WHERE tenant_id = {tenant:String} AND first_at < fromUnixTimestamp64Milli({before:Int64})",
        params,
    )
    for table, column in _BY_TABLE.items():
        limit = "fromUnixTimestamp64Milli({before:Int64})"
        limit = f"toDate({limit})" if column == "day" else limit
        where = f"tenant_id = {{tenant:String}} AND {column} < {limit}"
        ch.command(delete_rows(db, table, where, cluster), params)
    links = [str(r["link_id"]) for r in expiring]
    rebuild_link_rollups(ch, tenant_id, links, ("engagement_visit_pages",), cluster=cluster)
    audit_before = moment - timedelta(days=retention.audit_days)
    ch.command(
        delete_rows(
            db,
            "audit_log",
            "tenant_id = {tenant:String} AND at < fromUnixTimestamp64Milli({before:Int64})",
            cluster,
        ),
        {"tenant": tenant_id, "before": int(audit_before.timestamp() * 1000)},
    )
    if blobs is not None:
        before = moment - timedelta(days=retention.copies_days)
        expire_copies(ch, blobs, tenant_id, before, cluster=cluster)
    return count


def _tenants_with_retention(ch: ClickHouse) -> list[str]:
    rows = ch.query(
        f"SELECT DISTINCT tenant_id FROM {ch.database}.tenant_settings "
        "WHERE key = {key:String} ORDER BY tenant_id",
        {"key": _KEY},
    )
    return [str(row["tenant_id"]) for row in rows]


def retention_job(
    ch: ClickHouse,
    interval_seconds: float = 86_400,
    *,
    blobs: BlobStore | None = None,
    cluster: str | None = None,
) -> PeriodicJob:
    enforce = partial(enforce_retention, blobs=blobs, cluster=cluster)

    async def run() -> int:
        tenants = await asyncio.to_thread(_tenants_with_retention, ch)
        return sum([await asyncio.to_thread(enforce, ch, t) for t in tenants])

    async def for_tenant(tenant_id: str) -> int:
        return await asyncio.to_thread(enforce, ch, tenant_id)

    return PeriodicJob("retention", interval_seconds, run, for_tenant=for_tenant)
