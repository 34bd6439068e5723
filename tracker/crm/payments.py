"""Cash collected (回款): payments pushed by the CRM or finance system (migration 0018), keyed
by their external id — the same payment sent twice is one row, a corrected one replaces it.
The forecast calibration report reads the cash per opportunity received in a period."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa

from tracker.clock import TS, utcnow, version_now
from tracker.crm.opportunities import AMOUNT
from tracker.stores.clickhouse import ClickHouse

__all__ = ["Payment", "cash_in_period", "record_payments"]


@dataclass(frozen=True)
class Payment:
    payment_id: str  # the sender's external id
    account: str
    opportunity_id: str
    amount: Decimal
    currency: str
    received_at: datetime


def record_payments(ch: ClickHouse, tenant_id: str, items: Sequence[Payment]) -> None:
    if not items:
        return
    now = utcnow()
    ch.insert(
        "payments",
        pa.table(
            {
                "tenant_id": [tenant_id] * len(items),
                "payment_id": [p.payment_id for p in items],
                "account": [p.account for p in items],
                "opportunity_id": [p.opportunity_id for p in items],
                "amount": pa.array([p.amount for p in items], AMOUNT),
                "currency": [p.currency for p in items],
                "received_at": pa.array([p.received_at for p in items], TS),
                "recorded_at": pa.array([now] * len(items), TS),
                "version": pa.array([version_now()] * len(items), pa.uint64()),
            }
        ),
    )


def cash_in_period(ch: ClickHouse, tenant_id: str, start: date, end: date) -> dict[str, float]:
    """Cash received in [start, end) per opportunity."""
    rows: list[dict[str, Any]] = ch.query(
        "SELECT opportunity_id, toFloat64(sum(amount)) AS cash "
        f"FROM {ch.database}.payments FINAL WHERE tenant_id = {{tenant_id:String}} "
        "AND received_at >= {start:Date} AND received_at < {end:Date} GROUP BY opportunity_id",
        {"tenant_id": tenant_id, "start": start, "end": end},
    )
    return {str(r["opportunity_id"]): float(r["cash"]) for r in rows}
