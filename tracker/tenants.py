"""Tenants: the unit of isolation. Every other store query takes a tenant id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pyarrow as pa

from tracker.clock import TS, utcnow, version_now
from tracker.errors import NotFound
from tracker.ids import new_id
from tracker.stores.clickhouse import ClickHouse

__all__ = ["Tenant", "create_tenant", "ensure_tenant", "find_tenant", "get_tenant"]


@dataclass(frozen=True)
class Tenant:
    tenant_id: str
    name: str
    default_locale: str
    created_at: datetime


def _select(ch: ClickHouse) -> str:
    return (
        "SELECT tenant_id, name, default_locale, created_at "
        f"FROM {ch.database}.tenants FINAL WHERE deleted = 0"
    )


def create_tenant(ch: ClickHouse, name: str, *, default_locale: str = "en") -> Tenant:
    tenant = Tenant(new_id("tenant"), name, default_locale, utcnow())
    ch.insert(
        "tenants",
        pa.table(
            {
                "tenant_id": [tenant.tenant_id],
                "name": [name],
                "default_locale": [default_locale],
                "created_at": pa.array([tenant.created_at], TS),
                "version": pa.array([version_now()], pa.uint64()),
            }
        ),
    )
    return tenant


def get_tenant(ch: ClickHouse, tenant_id: str) -> Tenant:
    rows = ch.query(_select(ch) + " AND tenant_id = {tenant_id:String}", {"tenant_id": tenant_id})
    if not rows:
        raise NotFound("unknown tenant", code="tenant_not_found")
    return Tenant(**rows[0])


def find_tenant(ch: ClickHouse, name: str) -> Tenant | None:
    rows = ch.query(
        _select(ch) + " AND name = {name:String} ORDER BY created_at LIMIT 1", {"name": name}
    )
    return Tenant(**rows[0]) if rows else None


def ensure_tenant(ch: ClickHouse, name: str) -> Tenant:
    return find_tenant(ch, name) or create_tenant(ch, name)
