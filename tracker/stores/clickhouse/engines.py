"""Render frozen migration SQL for a plain server or a cluster.

Placeholders in migration files:
  {db}                 the database
  {on_cluster}         `ON CLUSTER name` in cluster mode, empty otherwise
  {engine:X}           table engine X; in cluster mode Replicated X, and a Distributed table
                       with the plain name is created over `<name>_local`
  {local:table}        `table_local` in cluster mode (what MVs read and write), else `table`
  {event_ttl_days}     retention of raw events
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["RenderContext", "render_statements", "split_statements"]

_ENGINE = re.compile(r"\{engine:([A-Za-z]+)(?:\(([^)]*)\))?\}")
_LOCAL = re.compile(r"\{local:([a-z_]+)\}")
_CREATE = re.compile(r"CREATE TABLE IF NOT EXISTS \{db\}\.([a-z_]+)")


@dataclass(frozen=True)
class RenderContext:
    database: str
    cluster: str | None = None
    event_ttl_days: int = 730


def split_statements(sql: str) -> list[str]:
    lines = [line for line in sql.splitlines() if not line.lstrip().startswith("--")]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]


def render_statements(sql: str, ctx: RenderContext) -> list[str]:
    rendered: list[str] = []
    for statement in split_statements(sql):
        rendered.extend(_render_one(statement, ctx))
    return rendered


def _render_one(statement: str, ctx: RenderContext) -> list[str]:
    cluster = ctx.cluster
    on_cluster = f"ON CLUSTER {cluster}" if cluster else ""
    engine_match = _ENGINE.search(statement)
    table_match = _CREATE.search(statement)
    if cluster and engine_match and table_match:
        table = table_match.group(1)
        local = statement.replace(f"{{db}}.{table} ", f"{{db}}.{table}_local ", 1)
        local = _ENGINE.sub(lambda m: _replicated(m.group(1), m.group(2)), local)
        distributed = (
            f"CREATE TABLE IF NOT EXISTS {{db}}.{table} {{on_cluster}} AS {{db}}.{table}_local "
            f"ENGINE = Distributed('{cluster}', '{ctx.database}', '{table}_local', "
            "cityHash64(tenant_id))"
        )
        statements = [local, distributed]
    else:
        statements = [_ENGINE.sub(lambda m: _plain(m.group(1), m.group(2)), statement)]
    return [
        _LOCAL.sub(lambda m: f"{m.group(1)}_local" if cluster else m.group(1), s)
        .replace("{db}", ctx.database)
        .replace("{on_cluster}", on_cluster)
        .replace("{event_ttl_days}", str(ctx.event_ttl_days))
        for s in statements
    ]


def _plain(engine: str, args: str | None) -> str:
    return f"{engine}({args})" if args else engine


def _replicated(engine: str, args: str | None) -> str:
    zk = "'/clickhouse/tables/{shard}/{database}/{table}', '{replica}'"
    return f"Replicated{engine}({zk}{', ' + args if args else ''})"
