"""What the privacy tests hold about a person: their reading inserted as events, and where
they still appear — every String column of every table of a ClickHouse database (views'
inner tables aside) — for the export and erasure tests on both store backends."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pyarrow as pa

from tracker.stores.clickhouse import ClickHouse

__all__ = ["insert_reading", "table_mentions"]


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


def insert_reading(
    ch: ClickHouse,
    tenant: str,
    *,
    document_id: str,
    version_id: str,
    link_id: str,
    opportunity_id: str,
    n: int,
    forwarded: int,
    age_days: int = 0,
) -> None:
    """`n` one-second page reads on a link: its recipient's own (`forwarded=0`) or a
    forwardee's (`forwarded=1`), `age_days` ago."""
    now = datetime.now(UTC) - timedelta(days=age_days)
    ts = pa.timestamp("ms", tz="UTC")
    rows = {
        "event_id": [uuid.uuid4().hex for _ in range(n)], "tenant_id": [tenant] * n,
        "event_type": ["page_dwell"] * n, "document_id": [document_id] * n,
        "version_id": [version_id] * n, "link_id": [link_id] * n,
        "opportunity_id": [opportunity_id] * n, "contact_id": [""] * n,
        "viewer_id": [f"vwr_{forwarded}"] * n, "visit_id": [f"vis_{link_id}_{forwarded}"] * n,
        "page": pa.array([1] * n, pa.uint16()), "dwell_ms": pa.array([1000] * n, pa.uint32()),
        "seq": pa.array(list(range(n)), pa.uint32()), "client_ts": pa.array([now] * n, ts),
        "received_at": pa.array([now] * n, ts), "ua_browser": ["Chrome"] * n,
        "ua_os": ["Windows"] * n, "ua_device": ["Other"] * n, "ip_hash": ["ab12"] * n,
        "is_bot": pa.array([0] * n, pa.uint8()), "bot_reason": ["none"] * n,
        "forwarded": pa.array([forwarded] * n, pa.uint8()),
        "link_revoked": pa.array([0] * n, pa.uint8()), "props": [""] * n,
    }  # fmt: skip
    ch.insert("events", pa.table(rows))
