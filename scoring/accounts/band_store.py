"""The account bands scoring has recorded: one row per change (first assessment included),
keyed by the change, the newest per account its current band. Tenant-scoped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Final

import pyarrow as pa

from tracker.clock import TS
from tracker.stores import ClickHouse, EntityTable

__all__ = ["BandRecord", "band_history", "current_bands", "write_bands"]


@dataclass(frozen=True)
class BandRecord:
    tenant_id: str
    account_id: str
    change_key: str
    band: str
    previous_band: str
    value: float | None
    assessed_at: datetime


BANDS: Final = EntityTable("account_bands", BandRecord, {"assessed_at": TS, "value": pa.float64()})


def write_bands(ch: ClickHouse, records: Sequence[BandRecord]) -> None:
    BANDS.write(ch, list(records))


def current_bands(ch: ClickHouse, tenant_id: str) -> dict[str, tuple[str, int]]:
    """account id → (its current band, how many changes it has had)."""
    rows = ch.query(
        "SELECT account_id, argMax(band, (assessed_at, change_key)) AS band, count() AS n "
        f"FROM {ch.database}.account_bands FINAL WHERE tenant_id = {{tenant_id:String}} "
        "GROUP BY account_id",
        {"tenant_id": tenant_id},
    )
    return {str(r["account_id"]): (str(r["band"]), int(r["n"])) for r in rows}


def band_history(ch: ClickHouse, tenant_id: str, account_id: str) -> list[BandRecord]:
    """Newest first."""
    return BANDS.select(
        ch, tenant_id, equals={"account_id": account_id}, order_by="assessed_at DESC"
    )
