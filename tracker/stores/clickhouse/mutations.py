"""Row deletions for a plain server or a cluster, as SQL text.

On a plain server (and in chDB) a lightweight `DELETE FROM db.t WHERE …` is enough. In
cluster mode (`DEALSIGNAL_CLICKHOUSE_CLUSTER`, see `engines.py`) `db.t` is a Distributed
table, which takes no DELETE: the rows live in the Replicated `db.t_local` on every shard,
so the delete goes there, `ON CLUSTER`. Reads and inserts keep using the Distributed name;
a materialized view's own SELECT reads `_local` tables (one shard's rows), so rebuilding a
rollup from it must read the Distributed tables instead (`over_distributed`)."""

from __future__ import annotations

import re

__all__ = ["delete_rows", "over_distributed"]


def delete_rows(database: str, table: str, where: str, cluster: str | None = None) -> str:
    if cluster:
        return f"DELETE FROM {database}.{table}_local ON CLUSTER {cluster} WHERE {where}"
    return f"DELETE FROM {database}.{table} WHERE {where}"


def over_distributed(select: str, database: str, cluster: str | None = None) -> str:
    """A materialized view's SELECT reading every shard: `db.x_local` → `db.x`."""
    if not cluster:
        return select
    return re.sub(rf"\b{re.escape(database)}\.([A-Za-z0-9_]+)_local\b", rf"{database}.\1", select)
