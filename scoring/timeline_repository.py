"""Queries behind the opportunity timeline: visits (pages and dwell per visit) and downloads,
human events only, newest first, with the recipient and document they concern."""

from __future__ import annotations

from typing import Any

from tracker.stores import ClickHouse

__all__ = ["timeline_downloads", "timeline_visits"]


_VISIT = (
    "visit_id", "link_id", "document_id", "version_id", "viewer_id", "forwarded",
    "started_at", "ended_at", "dwell_ms", "pages",
)  # fmt: skip
_DOWNLOAD = (
    "event_id", "link_id", "document_id", "version_id", "viewer_id", "forwarded", "received_at",
)  # fmt: skip


def _cols(names: tuple[str, ...]) -> str:
    return ", ".join(f"x.{n} AS {n}" for n in names)


def _scope(db: str) -> str:
    return (
        "tenant_id = {tenant_id:String} AND opportunity_id = {opportunity_id:String} "
        f"AND document_id IN (SELECT document_id FROM {db}.links "
        "WHERE tenant_id = {tenant_id:String} AND opportunity_id = {opportunity_id:String}) "
        "AND is_bot = 0"
    )


def _names(db: str) -> str:
    return (
        f"LEFT JOIN (SELECT link_id, recipient_name, recipient_email FROM {db}.links FINAL "
        "WHERE tenant_id = {tenant_id:String}) AS l ON l.link_id = x.link_id "
        f"LEFT JOIN (SELECT document_id, title FROM {db}.documents FINAL "
        "WHERE tenant_id = {tenant_id:String}) AS d ON d.document_id = x.document_id "
        f"LEFT JOIN (SELECT version_id, revision, page_tags FROM {db}.document_versions FINAL "
        "WHERE tenant_id = {tenant_id:String}) AS v ON v.version_id = x.version_id"
    )


def timeline_visits(
    ch: ClickHouse, tenant_id: str, opportunity_id: str, limit: int
) -> list[dict[str, Any]]:
    db = ch.database
    per_page = (
        "SELECT visit_id, page, any(link_id) AS lid, any(document_id) AS did, "
        "any(version_id) AS vid, any(viewer_id) AS viewer, "
        "max(forwarded) AS fwd, min(received_at) AS first_at, max(received_at) AS last_at, "
        "toUInt64(sumIf(dwell_ms, event_type = 'page_dwell')) AS dwell "
        f"FROM {db}.events WHERE {_scope(db)} AND visit_id != '' "
        "AND event_type IN ('view_start', 'page_dwell', 'visit_end') GROUP BY visit_id, page"
    )
    visits = (
        "SELECT visit_id, any(lid) AS link_id, any(did) AS document_id, "
        "any(vid) AS version_id, any(viewer) AS viewer_id, max(fwd) AS forwarded, "
        "min(first_at) AS started_at, max(last_at) AS ended_at, toUInt64(sum(dwell)) AS dwell_ms, "
        "arraySort(x -> x.1, groupArrayIf((page, dwell), page > 0 AND dwell > 0)) AS pages "
        f"FROM ({per_page}) GROUP BY visit_id ORDER BY started_at DESC, visit_id "
        "LIMIT {limit:UInt32}"
    )
    return ch.query(
        f"SELECT {_cols(_VISIT)}, l.recipient_name AS recipient_name, "
        "l.recipient_email AS recipient_email, d.title AS title, v.revision AS revision, "
        "v.page_tags AS page_tags "
        f"FROM ({visits}) AS x {_names(db)} ORDER BY x.started_at DESC, x.visit_id",
        {"tenant_id": tenant_id, "opportunity_id": opportunity_id, "limit": limit},
    )


def timeline_downloads(
    ch: ClickHouse, tenant_id: str, opportunity_id: str, limit: int
) -> list[dict[str, Any]]:
    db = ch.database
    downloads = (
        "SELECT event_id, link_id, document_id, version_id, viewer_id, forwarded, received_at "
        f"FROM {db}.events WHERE {_scope(db)} AND event_type = 'download' "
        "ORDER BY received_at DESC LIMIT {limit:UInt32}"
    )
    return ch.query(
        f"SELECT {_cols(_DOWNLOAD)}, l.recipient_name AS recipient_name, "
        "l.recipient_email AS recipient_email, d.title AS title, v.revision AS revision "
        f"FROM ({downloads}) AS x {_names(db)} ORDER BY x.received_at DESC, x.event_id",
        {"tenant_id": tenant_id, "opportunity_id": opportunity_id, "limit": limit},
    )
