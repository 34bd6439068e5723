"""Read queries the web app needs that the stores do not offer yet (every query scoped by
tenant).

  visits         human visits of a document or an opportunity: start, last activity,
                 active dwell, pages read, forwarded, downloads — newest first
  viewers        per (link, viewer) of a document: first/last seen, dwell, visits,
                 forwarded — the "who read it" list incl. forwarded people

The opportunity list lives in tracker.crm.opportunities (`list_opportunities`).
TODO(lead): the document/viewer reads belong in ingest/analytics.py; they live here only
because this package may not edit that module.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

from tracker.stores import ClickHouse

__all__ = ["VisitRow", "viewers", "visits"]

_HUMAN: Final = "is_bot = 0 AND visit_id != ''"


@dataclass(frozen=True)
class VisitRow:
    visit_id: str
    link_id: str
    viewer_id: str
    document_id: str
    started_at: datetime
    last_at: datetime
    dwell_ms: int
    pages: int
    forwarded: bool
    downloads: int


def visits(
    ch: ClickHouse,
    tenant_id: str,
    *,
    scope: Literal["document_id", "opportunity_id"],
    key: str,
    limit: int = 100,
) -> list[VisitRow]:
    rows = ch.query(
        "SELECT visit_id, link_id, viewer_id, document_id, min(received_at) AS started_at, "
        "max(received_at) AS last_at, "
        "toUInt64(sumIf(dwell_ms, event_type = 'page_dwell')) AS dwell_ms, "
        "uniqExactIf(page, event_type = 'page_dwell' AND page > 0) AS pages, "
        "max(forwarded) AS forwarded, countIf(event_type = 'download') AS downloads "
        f"FROM {ch.database}.events WHERE tenant_id = {{tenant_id:String}} "
        f"AND {scope} = {{key:String}} AND {_HUMAN} "
        "GROUP BY visit_id, link_id, viewer_id, document_id "
        "ORDER BY started_at DESC LIMIT {limit:UInt32}",
        {"tenant_id": tenant_id, "key": key, "limit": limit},
    )
    return [_visit(r) for r in rows]


def _visit(row: dict[str, Any]) -> VisitRow:
    return VisitRow(
        **{
            **row,
            "dwell_ms": int(row["dwell_ms"]),
            "pages": int(row["pages"]),
            "forwarded": bool(row["forwarded"]),
            "downloads": int(row["downloads"]),
        }
    )


def viewers(ch: ClickHouse, tenant_id: str, document_id: str) -> list[dict[str, Any]]:
    """One row per (link, viewer): link_id, viewer_id, first_at, last_at, dwell_ms, visits,
    forwarded, downloads."""
    rows = ch.query(
        "SELECT link_id, viewer_id, min(received_at) AS first_at, max(received_at) AS last_at, "
        "toUInt64(sumIf(dwell_ms, event_type = 'page_dwell')) AS dwell_ms, "
        "uniqExact(visit_id) AS visits, max(forwarded) AS forwarded, "
        "countIf(event_type = 'download') AS downloads "
        f"FROM {ch.database}.events WHERE tenant_id = {{tenant_id:String}} "
        f"AND document_id = {{document_id:String}} AND {_HUMAN} "
        "GROUP BY link_id, viewer_id ORDER BY first_at",
        {"tenant_id": tenant_id, "document_id": document_id},
    )
    return [
        {
            **r,
            "dwell_ms": int(r["dwell_ms"]),
            "visits": int(r["visits"]),
            "forwarded": bool(r["forwarded"]),
            "downloads": int(r["downloads"]),
        }
        for r in rows
    ]
