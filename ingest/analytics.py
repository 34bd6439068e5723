"""Document analytics read from the rollups (migration 0003), always scoped by tenant.

Definitions:
  dwell / viewers per page   human `page_dwell` only (bots never reach the rollup)
  completion_pct             share of the document's pages with at least
                             `MEANINGFUL_DWELL_MS` of active dwell (5 s, the scoring floor),
                             over the version's page count (current version unless one is
                             given; the highest page seen when the version is unknown)
  views                      human `view_start` events (a view needs the viewer's JS)
  visits / viewers           distinct visit / viewer ids of human viewer-JS events
  forwarded_viewers          viewers first seen on a link that already had another viewer
  bot_events                 flagged events of any type, with a per-reason breakdown
"""

from __future__ import annotations

from typing import Any, Final

from tracker.stores import ClickHouse

__all__ = ["MEANINGFUL_DWELL_MS", "document_analytics", "link_analytics"]

MEANINGFUL_DWELL_MS: Final = 5_000

_SCOPE: Final = (
    "tenant_id = {tenant_id:String} AND document_id = {document_id:String} "
    "AND ({link_id:String} = '' OR link_id = {link_id:String})"
)


_TOTALS: Final = (
    "toUInt64(sum(views)) AS views, toUInt64(sum(clicks)) AS clicks, "
    "toUInt64(sum(pixel_opens)) AS pixel_opens, toUInt64(sum(downloads)) AS downloads, "
    "toUInt64(sum(dwell_ms)) AS dwell_ms, toUInt64(sum(bot_events)) AS bot_events, "
    "uniqIfMerge(visits) AS visits, uniqIfMerge(viewers) AS viewers, "
    "uniqIfMerge(forwarded_viewers) AS forwarded_viewers"
)


def document_analytics(
    ch: ClickHouse,
    tenant_id: str,
    document_id: str,
    link_id: str | None = None,
    *,
    version_id: str | None = None,
) -> dict[str, Any]:
    db = ch.database
    params = {
        "tenant_id": tenant_id,
        "document_id": document_id,
        "link_id": link_id or "",
        "version_id": version_id or "",
    }
    pages = ch.query(
        f"SELECT page, toUInt64(sum(dwell_ms)) AS dwell_ms, uniqMerge(viewers) AS viewers "
        f"FROM {db}.page_dwell_daily WHERE {_SCOPE} "
        "AND ({version_id:String} = '' OR version_id = {version_id:String}) "
        "GROUP BY page ORDER BY page",
        params,
    )
    totals = ch.query(f"SELECT {_TOTALS} FROM {db}.link_activity_daily WHERE {_SCOPE}", params)[0]
    bots = ch.query(
        f"SELECT bot_reason, count() AS events FROM {db}.events "
        f"WHERE {_SCOPE} AND is_bot = 1 GROUP BY bot_reason ORDER BY bot_reason",
        params,
    )
    return _summary(tenant_id, document_id, link_id, pages, totals, bots, _page_count(ch, params))


def link_analytics(ch: ClickHouse, tenant_id: str, document_id: str) -> dict[str, dict[str, Any]]:
    """`document_analytics` of every link of the document that has activity, in three
    grouped queries instead of three per link (the web app renders all recipients at once)."""
    db = ch.database
    params = {"tenant_id": tenant_id, "document_id": document_id, "link_id": "", "version_id": ""}
    pages = ch.query(
        f"SELECT link_id, page, toUInt64(sum(dwell_ms)) AS dwell_ms, "
        f"uniqMerge(viewers) AS viewers FROM {db}.page_dwell_daily WHERE {_SCOPE} "
        "GROUP BY link_id, page ORDER BY link_id, page",
        params,
    )
    totals = ch.query(
        f"SELECT link_id, {_TOTALS} FROM {db}.link_activity_daily WHERE {_SCOPE} GROUP BY link_id",
        params,
    )
    bots = ch.query(
        f"SELECT link_id, bot_reason, count() AS events FROM {db}.events "
        f"WHERE {_SCOPE} AND is_bot = 1 GROUP BY link_id, bot_reason ORDER BY bot_reason",
        params,
    )
    page_count = _page_count(ch, params)
    return {
        row["link_id"]: _summary(
            tenant_id,
            document_id,
            row["link_id"],
            [r for r in pages if r["link_id"] == row["link_id"]],
            row,
            [r for r in bots if r["link_id"] == row["link_id"]],
            page_count,
        )
        for row in totals
    }


def _summary(
    tenant_id: str,
    document_id: str,
    link_id: str | None,
    pages: list[dict[str, Any]],
    totals: dict[str, Any],
    bots: list[dict[str, Any]],
    version_pages: int,
) -> dict[str, Any]:
    page_rows = [
        {"page": int(r["page"]), "dwell_ms": int(r["dwell_ms"]), "viewers": int(r["viewers"])}
        for r in pages
    ]
    page_count = version_pages or max((r["page"] for r in page_rows), default=0)
    engaged = sum(1 for r in page_rows if r["dwell_ms"] >= MEANINGFUL_DWELL_MS)
    return {
        "tenant_id": tenant_id,
        "document_id": document_id,
        "link_id": link_id,
        "page_count": page_count,
        "pages": page_rows,
        "completion_pct": round(100.0 * engaged / page_count, 1) if page_count else 0.0,
        "dwell_ms": int(totals["dwell_ms"] or 0),
        "views": int(totals["views"] or 0),
        "visits": int(totals["visits"] or 0),
        "viewers": int(totals["viewers"] or 0),
        "forwarded_viewers": int(totals["forwarded_viewers"] or 0),
        "clicks": int(totals["clicks"] or 0),
        "pixel_opens": int(totals["pixel_opens"] or 0),
        "downloads": int(totals["downloads"] or 0),
        "bot_events": int(totals["bot_events"] or 0),
        "bot_reasons": {str(r["bot_reason"]): int(r["events"]) for r in bots},
    }


def _page_count(ch: ClickHouse, params: dict[str, str]) -> int:
    rows = ch.query(
        f"SELECT v.pages AS pages FROM {ch.database}.document_versions AS v FINAL "
        "WHERE v.tenant_id = {tenant_id:String} AND v.document_id = {document_id:String} "
        "AND v.version_id = if({version_id:String} != '', {version_id:String}, "
        f"(SELECT any(current_version_id) FROM {ch.database}.documents FINAL "
        "WHERE tenant_id = {tenant_id:String} AND document_id = {document_id:String}))",
        params,
    )
    return int(rows[0]["pages"]) if rows else 0
