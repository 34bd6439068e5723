"""Deal outcomes (won/lost, actual amount, closed at): one per opportunity, versioned by the
CRM's `updated_at` (else `closed_at`). The calibration work reads these."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import pyarrow as pa

from tracker.clock import TS, utcnow
from tracker.crm.opportunities import AMOUNT, version_of
from tracker.stores.clickhouse import ClickHouse

__all__ = ["DealOutcome", "get_outcome", "record_outcomes"]


@dataclass(frozen=True)
class DealOutcome:
    opportunity_id: str
    outcome: str
    actual_amount: Decimal
    currency: str
    closed_at: datetime
    reason: str = ""
    updated_at: datetime | None = None

    @property
    def effective_updated_at(self) -> datetime:
        return self.updated_at or self.closed_at


def record_outcomes(ch: ClickHouse, tenant_id: str, items: Sequence[DealOutcome]) -> None:
    if not items:
        return
    now = utcnow()
    ch.insert(
        "outcomes",
        pa.table(
            {
                "tenant_id": [tenant_id] * len(items),
                "opportunity_id": [o.opportunity_id for o in items],
                "outcome": [o.outcome for o in items],
                "actual_amount": pa.array([o.actual_amount for o in items], AMOUNT),
                "currency": [o.currency for o in items],
                "closed_at": pa.array([o.closed_at for o in items], TS),
                "reason": [o.reason for o in items],
                "updated_at": pa.array([o.effective_updated_at for o in items], TS),
                "received_at": pa.array([now] * len(items), TS),
                "version": pa.array(
                    [version_of(o.effective_updated_at) for o in items], pa.uint64()
                ),
            }
        ),
    )


def get_outcome(ch: ClickHouse, tenant_id: str, opportunity_id: str) -> DealOutcome | None:
    rows = ch.query(
        "SELECT opportunity_id, outcome, actual_amount, currency, closed_at, reason, updated_at "
        f"FROM {ch.database}.outcomes FINAL "
        "WHERE tenant_id = {tenant_id:String} AND opportunity_id = {opportunity_id:String}",
        {"tenant_id": tenant_id, "opportunity_id": opportunity_id},
    )
    return DealOutcome(**rows[0]) if rows else None
