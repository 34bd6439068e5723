"""Embedded backend: the ClickHouse engine in-process (chDB), data under the data dir.

One process per data path: a second process opening the same path fails, so embedded mode
runs API, writer and scheduler in one process."""

from __future__ import annotations

import atexit
import threading
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from tracker.errors import ClickHouseUnavailable
from tracker.stores.clickhouse.errors import translate_chdb_error
from tracker.stores.clickhouse.interface import Row

__all__ = ["ChdbClickHouse"]


class _SharedSession:
    """chDB allows one engine per process, and a second Session on the same path silently
    returns empty results, so every ChdbClickHouse in a process shares one session."""

    lock = threading.RLock()
    session: Any = None
    path: Path | None = None
    users = 0

    @classmethod
    def acquire(cls, path: Path) -> Any:
        from chdb import session

        with cls.lock:
            if cls.session is not None and cls.path != path:
                raise ClickHouseUnavailable(
                    f"embedded ClickHouse already open at {cls.path}; one data path per process"
                )
            if cls.session is None:
                path.mkdir(parents=True, exist_ok=True)
                try:
                    cls.session = session.Session(str(path))  # type: ignore[no-untyped-call]
                except Exception as exc:  # a path locked by another process
                    raise ClickHouseUnavailable(
                        f"cannot open embedded ClickHouse at {path}: {exc}"
                    ) from exc
                cls.path = path
            cls.users += 1
            return cls.session

    @classmethod
    def shutdown(cls) -> None:
        """Close the engine at interpreter exit; chDB crashes if torn down implicitly."""
        with cls.lock:
            if cls.session is not None:
                cls.session.close()
                cls.session = None
                cls.path = None
                cls.users = 0

    @classmethod
    def release(cls) -> None:
        with cls.lock:
            cls.users -= 1
            if cls.users == 0 and cls.session is not None:
                cls.session.close()
                cls.session = None
                cls.path = None


atexit.register(_SharedSession.shutdown)


class ChdbClickHouse:
    def __init__(self, path: Path, database: str) -> None:
        self._session = _SharedSession.acquire(path.resolve())
        self.database = database
        self._closed = False
        self._lock = _SharedSession.lock
        self.command(f"CREATE DATABASE IF NOT EXISTS {database}")

    def _run(self, sql: str, fmt: str, params: Mapping[str, Any] | None) -> Any:
        with self._lock:
            if self._closed:
                raise ClickHouseUnavailable("embedded ClickHouse is closed")
            try:
                return self._session.query(sql, fmt, params=_escaped(params))
            except Exception as exc:
                raise translate_chdb_error(exc) from exc

    def query_arrow(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        table: pa.Table = self._run(sql, "ArrowTable", params)
        return table

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        return _rows(self.query_arrow(sql, params))

    def command(self, sql: str, params: Mapping[str, Any] | None = None) -> None:
        self._run(sql, "CSV", params)

    def insert(self, table: str, rows: pa.Table, *, dedupe_token: str | None = None) -> None:
        columns = ", ".join(f"`{name}`" for name in rows.column_names)
        settings = ""
        if dedupe_token:
            settings = f" SETTINGS insert_deduplication_token = {quote_string(dedupe_token)}"
        statement = f"INSERT INTO {self.database}.{table} ({columns}){settings}"
        payload = arrow_stream_bytes(rows)
        with self._lock:
            if self._closed:
                raise ClickHouseUnavailable("embedded ClickHouse is closed")
            try:
                inserter = self._session.send_insert(statement, "ArrowStream")
                inserter.append(payload)
                inserter.finish()
            except Exception as exc:
                raise translate_chdb_error(exc) from exc

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                _SharedSession.release()


def arrow_stream_bytes(rows: pa.Table) -> bytes:
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, rows.schema) as writer:
        writer.write_table(rows)
    return bytes(sink.getvalue().to_pybytes())


def _escaped(params: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """chDB parses parameter values in ClickHouse's escaped (TSV) format, as the HTTP
    interface does with `param_…`: a raw tab or newline fails the query and a backslash
    starts an escape. clickhouse-connect escapes for the server; here we do."""
    if not params:
        return None
    return {k: _tsv_escape(v) if isinstance(v, str) else v for k, v in params.items()}


def _tsv_escape(value: str) -> str:
    return value.translate(_TSV_ESCAPES)


_TSV_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\0": "\\0"})


def quote_string(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace("'", "\\'")
    return f"'{escaped}'"


def _rows(table: pa.Table) -> list[Row]:
    """The table's rows as dicts, built column by column: a list per column and a zip cost
    far less Python than `Table.to_pylist` and a per-row pass over every value."""
    names = table.column_names
    if not names:
        return [{} for _ in range(table.num_rows)]
    columns = [_values(column) for column in table.columns]
    return [dict(zip(names, values, strict=True)) for values in zip(*columns, strict=True)]


_TICKS = {
    "s": timedelta(seconds=1),
    "ms": timedelta(milliseconds=1),
    "us": timedelta(microseconds=1),
}
# the epoch in the zone each value gets: naive columns are UTC (the store's only zone); a
# "UTC" column keeps the tzinfo pyarrow itself gives it
_EPOCHS = {
    None: datetime(1970, 1, 1, tzinfo=UTC),
    "UTC": pa.scalar(0, pa.timestamp("s", tz="UTC")).as_py(),
}


def _values(column: pa.ChunkedArray) -> list[Any]:
    """A column's Python values; timestamps always aware, naive ones in UTC. UTC timestamps
    are added to the epoch as integers: pyarrow converts each zoned value through its
    tzinfo, which costs several times more."""
    kind = column.type
    values: list[Any]
    if not pa.types.is_timestamp(kind):
        values = column.to_pylist()
        return values
    tick, epoch = _TICKS.get(kind.unit), _EPOCHS.get(kind.tz)
    if tick is None or epoch is None:  # nanoseconds, other zones: pyarrow's own conversion
        values = column.to_pylist()
        return values if kind.tz else [v and v.replace(tzinfo=UTC) for v in values]
    return [None if v is None else epoch + tick * v for v in column.cast(pa.int64()).to_pylist()]
