"""Where a person still appears: every String column of every table of a ClickHouse
database (views' inner tables aside), for the erasure tests on both store backends."""

from __future__ import annotations

from tracker.stores.clickhouse import ClickHouse

__all__ = ["table_mentions"]


def table_mentions(ch: ClickHouse, needle: str) -> list[str]:
    """Every `table.column` of String type in the database holding `needle`."""
    columns = ch.query(
        "SELECT table, name FROM system.columns WHERE database = {db:String} "
        "AND type IN ('String', 'LowCardinality(String)') "
        "AND table NOT LIKE '.inner%' AND table NOT LIKE '%_mv'",
        {"db": ch.database},
    )
    found = []
    for column in columns:
        rows = ch.query(
            f"SELECT count() AS n FROM {ch.database}.`{column['table']}` "
            f"WHERE position(`{column['name']}`, {{needle:String}}) > 0",
            {"needle": needle},
        )
        if rows[0]["n"]:
            found.append(f"{column['table']}.{column['name']}")
    return found
