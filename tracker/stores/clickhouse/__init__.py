"""ClickHouse access: one interface, an embedded (chDB) and a server (clickhouse-connect)
backend, and frozen migrations."""

from __future__ import annotations

from tracker.config import Settings
from tracker.stores.clickhouse.engines import RenderContext, render_statements
from tracker.stores.clickhouse.interface import ClickHouse, Row
from tracker.stores.clickhouse.migrate import (
    Migration,
    apply_migrations,
    load_migrations,
    pending_migrations,
)
from tracker.stores.clickhouse.mutations import delete_rows, over_distributed

__all__ = [
    "ClickHouse",
    "Migration",
    "RenderContext",
    "Row",
    "apply_migrations",
    "delete_rows",
    "load_migrations",
    "open_clickhouse",
    "over_distributed",
    "pending_migrations",
    "render_context",
    "render_statements",
]


def render_context(settings: Settings) -> RenderContext:
    return RenderContext(
        database=settings.clickhouse_database,
        cluster=settings.clickhouse_cluster,
        event_ttl_days=settings.event_ttl_days,
    )


def open_clickhouse(settings: Settings) -> ClickHouse:
    if settings.embedded:
        from tracker.stores.clickhouse.chdb_backend import ChdbClickHouse

        return ChdbClickHouse(settings.embedded_path, settings.clickhouse_database)
    from tracker.stores.clickhouse.server_backend import ServerClickHouse

    return ServerClickHouse(
        settings.clickhouse_url,
        settings.clickhouse_database,
        user=settings.clickhouse_user,
        password=settings.clickhouse_password,
        compress=settings.clickhouse_compress,
    )
