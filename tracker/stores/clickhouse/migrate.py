"""Versioned, frozen migrations applied at start-up and recorded in `schema_migrations`.

Files are `NNNN_name.sql` beside this module; a file never changes once released (a test
pins their checksums in `schema.sql`). Statements use IF NOT EXISTS so a migration
interrupted half-way can simply be applied again."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources

import pyarrow as pa

from tracker.stores.clickhouse.engines import RenderContext, render_statements
from tracker.stores.clickhouse.interface import ClickHouse

__all__ = ["Migration", "apply_migrations", "load_migrations", "pending_migrations"]


@dataclass(frozen=True)
class Migration:
    number: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def load_migrations() -> list[Migration]:
    folder = resources.files("tracker.stores.clickhouse") / "migrations"
    found = []
    for entry in folder.iterdir():
        if entry.name.endswith(".sql"):
            number, _, rest = entry.name.partition("_")
            found.append(Migration(int(number), rest.removesuffix(".sql"), entry.read_text()))
    return sorted(found, key=lambda m: m.number)


def _ensure_table(ch: ClickHouse, ctx: RenderContext) -> None:
    on_cluster = f"ON CLUSTER {ctx.cluster}" if ctx.cluster else ""
    ch.command(
        f"CREATE TABLE IF NOT EXISTS {ch.database}.schema_migrations {on_cluster} "
        "(number UInt32, name String, checksum String, applied_at DateTime64(3, 'UTC')) "
        "ENGINE = ReplacingMergeTree(applied_at) ORDER BY number"
    )


def pending_migrations(ch: ClickHouse) -> list[Migration]:
    applied = {
        row["number"]
        for row in ch.query(f"SELECT number FROM {ch.database}.schema_migrations FINAL")
    }
    return [m for m in load_migrations() if m.number not in applied]


def apply_migrations(ch: ClickHouse, ctx: RenderContext) -> list[Migration]:
    """Apply what is pending, in order; return what was applied (empty when up to date)."""
    _ensure_table(ch, ctx)
    done = []
    for migration in pending_migrations(ch):
        for statement in render_statements(migration.sql, ctx):
            ch.command(statement)
        ch.insert(
            "schema_migrations",
            pa.table(
                {
                    "number": pa.array([migration.number], pa.uint32()),
                    "name": [migration.name],
                    "checksum": [migration.checksum],
                    "applied_at": pa.array([datetime.now(UTC)], pa.timestamp("ms", tz="UTC")),
                }
            ),
        )
        done.append(migration)
    return done
