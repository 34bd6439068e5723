"""ClickHouse reads that fill notifications: who a deal belongs to, people's names and
managers, what a link points at, how long a visit read, and per-deal engagement for the
daily briefing. Every query is tenant-scoped; bot-flagged events never count."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from tracker.stores import ClickHouse

__all__ = [
    "DealFacts",
    "LinkFacts",
    "Person",
    "VisitReading",
    "briefing_owners",
    "deal_facts",
    "link_facts",
    "people",
    "rep_deals",
    "visit_reading",
]


@dataclass(frozen=True)
class Person:
    email: str
    name: str
    manager_email: str


@dataclass(frozen=True)
class DealFacts:
    opportunity_id: str
    account: str
    owner: str
    manager: str
    stage: str = ""
    expected_close_date: date | None = None
    last_view_at: datetime | None = None
    last_activity_at: datetime | None = None
    last_activity_type: str = ""
    dwell_7d_s: float = 0.0
    dwell_prev_7d_s: float = 0.0
    downloads_7d: int = 0
    viewers_7d: int = 0


@dataclass(frozen=True)
class LinkFacts:
    link_id: str
    document_title: str
    recipient_name: str
    recipient_email: str
    opportunity_id: str
    account: str
    owner: str
    manager: str


@dataclass(frozen=True)
class VisitReading:
    seconds: float
    pages: int


def people(ch: ClickHouse, tenant_id: str, emails: Iterable[str]) -> dict[str, Person]:
    wanted = sorted({e for e in emails if e})
    if not wanted:
        return {}
    rows = ch.query(
        f"SELECT email, name, manager_email FROM {ch.database}.users FINAL "
        "WHERE tenant_id = {tenant_id:String} AND has(splitByChar(',', {emails:String}), email) "
        "AND disabled = 0",
        {"tenant_id": tenant_id, "emails": ",".join(wanted)},  # no commas in emails,
    )
    return {r["email"]: Person(**r) for r in rows}


def deal_facts(ch: ClickHouse, tenant_id: str, opportunity_id: str) -> DealFacts | None:
    rows = ch.query(
        "SELECT opportunity_id, account, owner, manager, stage, expected_close_date "
        f"FROM {ch.database}.opportunities FINAL "
        "WHERE tenant_id = {tenant_id:String} AND opportunity_id = {opportunity_id:String} "
        "AND deleted = 0",
        {"tenant_id": tenant_id, "opportunity_id": opportunity_id},
    )
    return DealFacts(**rows[0]) if rows else None


def link_facts(ch: ClickHouse, tenant_id: str, link_id: str) -> LinkFacts | None:
    """The link's document and recipient; its deal (the link's, else the document's); the
    deal's owner (else the document's owner, else the link's creator) and manager. Misses
    of the LEFT JOINs read as '' (join_use_nulls is off)."""
    rows = ch.query(
        "SELECT x.link_id AS link_id, x.document_title AS document_title, "
        "x.recipient_name AS recipient_name, x.recipient_email AS recipient_email, "
        "x.opp AS opportunity_id, o.account AS account, "
        "if(o.owner != '', o.owner, if(x.doc_owner != '', x.doc_owner, x.created_by)) AS owner, "
        "o.manager AS manager "
        "FROM (SELECT l.link_id AS link_id, d.title AS document_title, "
        "      l.recipient_name AS recipient_name, l.recipient_email AS recipient_email, "
        "      if(l.opportunity_id != '', l.opportunity_id, d.opportunity_id) AS opp, "
        "      d.owner AS doc_owner, l.created_by AS created_by "
        f"      FROM (SELECT * FROM {ch.database}.links FINAL "
        "            WHERE tenant_id = {tenant_id:String} AND link_id = {link_id:String}) AS l "
        "      LEFT JOIN (SELECT document_id, title, owner, opportunity_id "
        f"            FROM {ch.database}.documents FINAL WHERE tenant_id = {{tenant_id:String}}) "
        "      AS d ON l.document_id = d.document_id) AS x "
        "LEFT JOIN (SELECT opportunity_id, account, owner, manager "
        f"      FROM {ch.database}.opportunities FINAL "
        "      WHERE tenant_id = {tenant_id:String} AND deleted = 0) AS o "
        "ON x.opp = o.opportunity_id",
        {"tenant_id": tenant_id, "link_id": link_id},
    )
    return LinkFacts(**rows[0]) if rows else None


def visit_reading(ch: ClickHouse, tenant_id: str, link_id: str, visit_id: str) -> VisitReading:
    rows = ch.query(
        "SELECT sum(dwell_ms) AS ms, uniqExactIf(page, dwell_ms > 0) AS pages "
        f"FROM {ch.database}.events WHERE tenant_id = {{tenant_id:String}} "
        "AND link_id = {link_id:String} AND visit_id = {visit_id:String} AND is_bot = 0",
        {"tenant_id": tenant_id, "link_id": link_id, "visit_id": visit_id},
    )
    row = rows[0] if rows else {"ms": 0, "pages": 0}
    return VisitReading(seconds=int(row["ms"] or 0) / 1000, pages=int(row["pages"] or 0))


def briefing_owners(ch: ClickHouse, tenant_id: str) -> list[str]:
    """Owners of open deals (no recorded outcome)."""
    rows = ch.query(
        f"SELECT DISTINCT owner FROM {ch.database}.opportunities FINAL "
        "WHERE tenant_id = {tenant_id:String} AND deleted = 0 AND owner != '' "
        "AND opportunity_id NOT IN (SELECT opportunity_id "
        f"  FROM {ch.database}.outcomes FINAL WHERE tenant_id = {{tenant_id:String}}) "
        "ORDER BY owner",
        {"tenant_id": tenant_id},
    )
    return [str(r["owner"]) for r in rows]


def rep_deals(
    ch: ClickHouse, tenant_id: str, owner: str, now: datetime, *, limit: int = 10
) -> list[DealFacts]:
    """The owner's open deals with last interaction and 7-day engagement, most recently
    active first."""
    params: dict[str, Any] = {
        "tenant_id": tenant_id,
        "owner": owner,
        "now": now.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S.%f")[:-3],
        "limit": limit,
    }
    rows = ch.query(
        "SELECT o.opportunity_id AS opportunity_id, o.account AS account, o.owner AS owner, "
        "o.manager AS manager, o.stage AS stage, o.expected_close_date AS expected_close_date, "
        "e.last_view_at AS last_view_at, a.last_activity_at AS last_activity_at, "
        "a.last_activity_type AS last_activity_type, "
        "ifNull(e.dwell_7d_s, 0) AS dwell_7d_s, ifNull(e.dwell_prev_7d_s, 0) AS dwell_prev_7d_s, "
        "ifNull(e.downloads_7d, 0) AS downloads_7d, ifNull(e.viewers_7d, 0) AS viewers_7d "
        "FROM (SELECT opportunity_id, account, owner, manager, stage, expected_close_date "
        f"      FROM {ch.database}.opportunities FINAL "
        "      WHERE tenant_id = {tenant_id:String} AND owner = {owner:String} AND deleted = 0 "
        "      AND opportunity_id NOT IN (SELECT opportunity_id "
        f"        FROM {ch.database}.outcomes FINAL WHERE tenant_id = {{tenant_id:String}})) AS o "
        "LEFT JOIN (SELECT opportunity_id, "
        "      toNullable(max(received_at)) AS last_view_at, "
        "      sumIf(dwell_ms, received_at >= {now:DateTime64(3, 'UTC')} - INTERVAL 7 DAY) / 1000 "
        "        AS dwell_7d_s, "
        "      sumIf(dwell_ms, received_at < {now:DateTime64(3, 'UTC')} - INTERVAL 7 DAY) / 1000 "
        "        AS dwell_prev_7d_s, "
        "      countIf(event_type = 'download' "
        "        AND received_at >= {now:DateTime64(3, 'UTC')} - INTERVAL 7 DAY) AS downloads_7d, "
        "      uniqExactIf(viewer_id, received_at >= {now:DateTime64(3, 'UTC')} - INTERVAL 7 DAY) "
        "        AS viewers_7d "
        f"      FROM {ch.database}.events WHERE tenant_id = {{tenant_id:String}} AND is_bot = 0 "
        "      AND opportunity_id != '' "
        "      AND received_at >= {now:DateTime64(3, 'UTC')} - INTERVAL 14 DAY "
        "      GROUP BY opportunity_id) AS e ON o.opportunity_id = e.opportunity_id "
        "LEFT JOIN (SELECT opportunity_id, toNullable(max(occurred_at)) AS last_activity_at, "
        "      argMax(activity_type, occurred_at) AS last_activity_type "
        f"      FROM {ch.database}.activities FINAL WHERE tenant_id = {{tenant_id:String}} "
        "      GROUP BY opportunity_id) AS a ON o.opportunity_id = a.opportunity_id "
        "ORDER BY greatest(ifNull(e.last_view_at, toDateTime64(0, 3, 'UTC')), "
        "  ifNull(a.last_activity_at, toDateTime64(0, 3, 'UTC'))) DESC, o.opportunity_id "
        "LIMIT {limit:UInt32}",
        params,
    )
    return [DealFacts(**r) for r in rows]
