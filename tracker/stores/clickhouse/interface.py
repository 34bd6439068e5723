"""The small interface every ClickHouse backend implements. Same SQL on both backends:
query parameters use ClickHouse's `{name:Type}` syntax, inserts take an Arrow table."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import pyarrow as pa

__all__ = ["ClickHouse", "Row"]

Row = dict[str, Any]


class ClickHouse(Protocol):
    database: str

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        """Run a SELECT and return rows as dicts (DateTime values as aware UTC datetimes)."""
        ...

    def query_arrow(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        """Run a SELECT and return an Arrow table (for large column-wise reads)."""
        ...

    def command(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        """Run DDL or any statement whose result is not needed."""
        ...

    def insert(self, table: str, rows: pa.Table, *, dedupe_token: str | None = None) -> None:
        """Insert column-wise. A repeated `dedupe_token` for the same table is a no-op."""
        ...

    def close(self) -> None: ...
