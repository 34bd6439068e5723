"""Who read it, visit by visit: the human visits of a document or an opportunity (start,
last activity, active dwell, pages read, forwarded, downloads — newest first) and one row per
(link, viewer) of a document (the "who read it" list, forwarded people included). Every
query is scoped by tenant; bots never count (`tracker.reading.HUMAN`), and a visit is one the
viewer's script ran in (`tracker.reading.VIEWED`), as the analytics totals count them.
Automated traffic is counted apart, by reason (`automated_visits`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final, Literal

from tracker.reading import HUMAN, VIEWED
from tracker.stores import ClickHouse

__all__ = [
    "AutomatedTraffic",
    "VisitRow",
    "automated_visits",
    "document_viewers",
    "recent_visits",
]

_HUMAN: Final = f"{HUMAN} AND visit_id != ''"


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


def recent_visits(
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
        f"HAVING countIf({VIEWED}) > 0 "
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


def document_viewers(ch: ClickHouse, tenant_id: str, document_id: str) -> list[dict[str, Any]]:
    """One row per (link, viewer): link_id, viewer_id, first_at, last_at, dwell_ms, visits,
    forwarded, downloads."""
    rows = ch.query(
        "SELECT link_id, viewer_id, min(received_at) AS first_at, max(received_at) AS last_at, "
        "toUInt64(sumIf(dwell_ms, event_type = 'page_dwell')) AS dwell_ms, "
        f"uniqExactIf(visit_id, {VIEWED}) AS visits, max(forwarded) AS forwarded, "
        "countIf(event_type = 'download') AS downloads "
        f"FROM {ch.database}.events WHERE tenant_id = {{tenant_id:String}} "
        f"AND document_id = {{document_id:String}} AND {_HUMAN} "
        "GROUP BY link_id, viewer_id HAVING visits > 0 ORDER BY first_at",
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


@dataclass(frozen=True)
class AutomatedTraffic:
    """Automated sessions of a document: one per browser or client (its viewer id; a hit
    without one is its own session), in total and per bot reason (a session flagged for two
    reasons appears under both)."""

    sessions: int
    by_reason: dict[str, int]


def automated_visits(ch: ClickHouse, tenant_id: str, document_id: str) -> AutomatedTraffic:
    """What the "not counted" line beside the counts shows."""
    params = {"tenant_id": tenant_id, "document_id": document_id}
    session = "uniqExact(if(viewer_id != '', viewer_id, event_id)) AS sessions"
    where = (
        f"FROM {ch.database}.events WHERE tenant_id = {{tenant_id:String}} "
        f"AND document_id = {{document_id:String}} AND NOT ({HUMAN})"
    )
    rows = ch.query(
        f"SELECT bot_reason, {session} {where} GROUP BY bot_reason "
        "ORDER BY sessions DESC, bot_reason",
        params,
    )
    total = ch.query(f"SELECT {session} {where}", params) if rows else [{"sessions": 0}]
    return AutomatedTraffic(
        sessions=int(total[0]["sessions"]),
        by_reason={str(r["bot_reason"]): int(r["sessions"]) for r in rows},
    )
