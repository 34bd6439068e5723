"""Rows as the stores return them: the embedded backend builds them column by column, and
must give exactly what pyarrow's row conversion gave, naive timestamps made UTC-aware."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyarrow as pa

from tracker.stores import ClickHouse
from tracker.stores.clickhouse.chdb_backend import _rows

AT = datetime(2026, 12, 3, 4, 5, 6, 789123)


def _reference(table: pa.Table) -> list[dict[str, Any]]:
    """`Table.to_pylist`, then every naive datetime given the UTC zone."""
    rows: list[dict[str, Any]] = table.to_pylist()
    for row in rows:
        for key, value in row.items():
            if isinstance(value, datetime) and value.tzinfo is None:
                row[key] = value.replace(tzinfo=UTC)
    return rows


def test_rows_equal_pyarrows_own_conversion_value_for_value_and_zone_for_zone() -> None:
    columns: dict[str, pa.Array] = {}
    for unit in ("s", "ms", "us", "ns"):
        # the stores' "no value" sentinels too: 1970 (max of nothing) and 2299 (min)
        ends = [datetime(1970, 1, 1), datetime(2299, 12, 31) if unit != "ns" else AT]
        naive = pa.array([AT, None, *ends], pa.timestamp(unit))
        columns[f"naive_{unit}"] = naive
        for tz in ("UTC", "Asia/Shanghai"):
            columns[f"{tz}_{unit}"] = naive.cast(pa.timestamp(unit, tz=tz))
    columns["text"] = pa.array(["a", None, "", "引号"])
    columns["ids"] = pa.array([["e1", "e2"], [], None, ["x"]])
    columns["pair"] = pa.array(
        [{"1": "e", "2": AT}, None, {"1": "", "2": None}, {"1": "z", "2": AT}],
        pa.struct([("1", pa.string()), ("2", pa.timestamp("ms"))]),
    )
    table = pa.table(columns)
    got = _rows(table)
    # repr: the same values and the same tzinfo objects (datetime.UTC, pyarrow's "UTC" zone)
    assert repr(got) == repr(_reference(table))
    assert got[0]["naive_ms"].tzinfo is UTC


def test_rows_of_an_empty_or_columnless_table() -> None:
    assert _rows(pa.table({"a": pa.array([], pa.timestamp("ms"))})) == []
    columnless = pa.table({"a": [1, 2]}).drop(["a"])
    assert _rows(columnless) == _reference(columnless)


def test_a_stored_time_comes_back_aware_on_both_backends(store: ClickHouse) -> None:
    rows = store.query(
        "SELECT toDateTime64('2026-12-03 04:05:06.789', 3, 'UTC') AS at, "
        "CAST(NULL AS Nullable(DateTime64(3, 'UTC'))) AS never"
    )
    assert rows == [{"at": datetime(2026, 12, 3, 4, 5, 6, 789000, tzinfo=UTC), "never": None}]
    assert rows[0]["at"].utcoffset().total_seconds() == 0
