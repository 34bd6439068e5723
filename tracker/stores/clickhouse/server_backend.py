"""Server backend: clickhouse-connect over HTTP to a ClickHouse server (docker-compose or a
cluster). Runs exactly the SQL the embedded backend runs."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from tracker.errors import ClickHouseUnavailable
from tracker.stores.clickhouse.errors import translate_server_error
from tracker.stores.clickhouse.interface import Row

__all__ = ["ServerClickHouse"]


class ServerClickHouse:
    def __init__(
        self,
        url: str,
        database: str,
        *,
        user: str = "default",
        password: str = "",
        compress: bool = True,
    ) -> None:
        import clickhouse_connect

        self.database = database
        try:
            bootstrap = clickhouse_connect.get_client(
                dsn=url, username=user, password=password, compress=compress
            )
            bootstrap.command(f"CREATE DATABASE IF NOT EXISTS {database}")
            bootstrap.close()
            self._client = clickhouse_connect.get_client(
                dsn=url,
                username=user,
                password=password,
                database=database,
                compress=compress,
                autogenerate_session_id=False,
            )
        except Exception as exc:
            raise ClickHouseUnavailable(f"cannot reach ClickHouse at {url}: {exc}") from exc

    def query_arrow(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        try:
            table: pa.Table = self._client.query_arrow(sql, parameters=dict(params or {}))
        except Exception as exc:
            raise translate_server_error(exc) from exc
        return table

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        try:
            result = self._client.query(sql, parameters=dict(params or {}))
        except Exception as exc:
            raise translate_server_error(exc) from exc
        return [_normalise(dict(row)) for row in result.named_results()]

    def command(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        try:
            self._client.command(sql, parameters=dict(params) if params else None)
        except Exception as exc:
            raise translate_server_error(exc) from exc

    def insert(self, table: str, rows: pa.Table, *, dedupe_token: str | None = None) -> None:
        settings = {"insert_deduplication_token": dedupe_token} if dedupe_token else None
        try:
            self._client.insert_arrow(table, rows, database=self.database, settings=settings)
        except Exception as exc:
            raise translate_server_error(exc) from exc

    def close(self) -> None:
        self._client.close()


def _normalise(row: dict[str, Any]) -> Row:
    for key, value in row.items():
        if isinstance(value, datetime) and value.tzinfo is None:
            row[key] = value.replace(tzinfo=UTC)
    return row
