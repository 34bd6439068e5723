"""Arrow column types of the tables the synthetic generator fills (migrations 0001–0012):
every non-string column's exact type, so `ch.insert(table, arrow)` lands without casts."""

from __future__ import annotations

from typing import Any, Final

import pyarrow as pa

__all__ = ["AMOUNT", "COLUMNS", "DATE", "EVENT_COLUMNS", "TS", "Columns"]

TS: Final = pa.timestamp("ms", tz="UTC")
DATE: Final = pa.date32()
AMOUNT: Final = pa.decimal128(18, 4)
_U8, _U16, _U32, _U64 = pa.uint8(), pa.uint16(), pa.uint32(), pa.uint64()
_STRINGS: Final = pa.list_(pa.string())

#: Column order of the `events` table (migration 0002); a test pins it to ingest's.
EVENT_COLUMNS: Final = (
    "event_id",
    "tenant_id",
    "event_type",
    "document_id",
    "version_id",
    "link_id",
    "opportunity_id",
    "contact_id",
    "viewer_id",
    "visit_id",
    "page",
    "dwell_ms",
    "seq",
    "client_ts",
    "received_at",
    "ua_browser",
    "ua_os",
    "ua_device",
    "ip_hash",
    "is_bot",
    "bot_reason",
    "forwarded",
    "link_revoked",
    "props",
)

#: table → {column: arrow type}; a column missing here is a String.
COLUMNS: Final[dict[str, dict[str, pa.DataType]]] = {
    "tenants": {"created_at": TS, "deleted": _U8, "version": _U64},
    "users": {"created_at": TS, "disabled": _U8, "version": _U64},
    "opportunities": {
        "amount": AMOUNT,
        "stage_entered_at": TS,
        "expected_close_date": DATE,
        "probability": _U8,
        "account_employees": _U32,
        "account_growth_pct": pa.float64(),
        "payment_issues": _U8,
        "support_escalations": _U32,
        "product_lines": _U16,
        "updated_at": TS,
        "received_at": TS,
        "deleted": _U8,
        "version": _U64,
    },
    "contacts": {"is_decision_maker": _U8, "version": _U64},
    "activities": {
        "customer_initiated": _U8,
        "held": _U8,
        "occurred_at": TS,
        "attendees": _STRINGS,
        "old_close_date": DATE,
        "new_close_date": DATE,
        "updated_at": TS,
        "received_at": TS,
        "version": _U64,
    },
    "outcomes": {
        "actual_amount": AMOUNT,
        "closed_at": TS,
        "updated_at": TS,
        "received_at": TS,
        "version": _U64,
    },
    "documents": {"created_at": TS, "deleted": _U8, "version": _U64},
    "document_versions": {
        "sha256": pa.string(),
        "size_bytes": _U64,
        "revision": _U32,
        "pages": _U16,
        "page_words": pa.list_(_U32),
        "page_tags": pa.list_(_STRINGS),
        "created_at": TS,
        "version": _U64,
    },
    "links": {
        "created_at": TS,
        "expires_at": TS,
        "download_allowed": _U8,
        "email_gate": _U8,
        "revoked_at": TS,
        "version": _U64,
    },
    "accounts": {
        "annual_revenue": AMOUNT,
        "industry_growth_pct": pa.float64(),
        "contract_start": DATE,
        "product_lines": _STRINGS,
        "kol_contact_ids": _STRINGS,
        "updated_at": TS,
        "version": _U64,
    },
    "account_finance": {
        "as_of": DATE,
        "on_time_payment_rate": pa.float64(),
        "receivables_outstanding": AMOUNT,
        "credit_limit": AMOUNT,
        "credit_used": AMOUNT,
        "payment_delay_days": pa.float64(),
        "updated_at": TS,
        "version": _U64,
    },
    "events": {
        "page": _U16,
        "dwell_ms": _U32,
        "seq": _U32,
        "client_ts": TS,
        "received_at": TS,
        "is_bot": _U8,
        "forwarded": _U8,
        "link_revoked": _U8,
    },
}


def _array(values: list[Any], kind: pa.DataType) -> pa.Array:
    if pa.types.is_decimal(kind):  # whole currency units → Decimal(18, 4)
        return pa.array(values, pa.int64()).cast(pa.decimal128(23, 4)).cast(kind)
    return pa.array(values, kind)


class Columns:
    """Row-wise collection of one table's rows (for the entity tables, which are small next
    to the events); `table()` builds the Arrow table with the migration's types."""

    def __init__(self, table: str) -> None:
        self.name = table
        self.types = COLUMNS[table]
        self.rows: list[dict[str, Any]] = []

    def add(self, **row: Any) -> None:
        self.rows.append(row)

    def table(self) -> pa.Table:
        names = list(self.rows[0]) if self.rows else []
        return pa.table(
            {
                name: _array([r[name] for r in self.rows], self.types.get(name, pa.string()))
                for name in names
            }
        )
