"""Hand-built stores for the scoring tests: documents with page words/tags, links, and event
rows inserted straight into the `events` table (one Arrow insert per call)."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import cache
from typing import Any

import pyarrow as pa

from ingest import EVENT_COLUMNS
from scoring.synthetic.dataset import SyntheticDataset, generate, load
from tracker.crm.opportunities import Contact, Opportunity, upsert_opportunities
from tracker.stores.clickhouse import ClickHouse

NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
TS = pa.timestamp("ms", tz="UTC")
_ids = itertools.count(1)
_ARROW = {
    "page": pa.uint16(),
    "dwell_ms": pa.uint32(),
    "seq": pa.uint32(),
    "client_ts": TS,
    "received_at": TS,
    "is_bot": pa.uint8(),
    "forwarded": pa.uint8(),
    "link_revoked": pa.uint8(),
}


@dataclass
class LinkRef:
    tenant_id: str
    link_id: str
    document_id: str
    version_id: str
    opportunity_id: str
    contact_id: str


@dataclass
class Events:
    """Collects event rows; `insert()` writes them in one go."""

    rows: list[dict[str, Any]] = field(default_factory=list)

    def add(
        self,
        link: LinkRef,
        event_type: str,
        at: datetime,
        *,
        page: int = 0,
        dwell_ms: int = 0,
        viewer: str = "vwr_1",
        visit: str = "vis_1",
        forwarded: bool = False,
        bot: bool = False,
    ) -> None:
        self.rows.append(
            {
                "event_id": f"evt_{next(_ids)}",
                "tenant_id": link.tenant_id,
                "event_type": event_type,
                "document_id": link.document_id,
                "version_id": link.version_id,
                "link_id": link.link_id,
                "opportunity_id": link.opportunity_id,
                "contact_id": link.contact_id,
                "viewer_id": viewer,
                "visit_id": visit,
                "page": page,
                "dwell_ms": dwell_ms,
                "seq": len(self.rows),
                "client_ts": at,
                "received_at": at,
                "ua_browser": "Chrome",
                "ua_os": "Windows",
                "ua_device": "Other",
                "ip_hash": "h",
                "is_bot": int(bot),
                "bot_reason": "bot_user_agent" if bot else "none",
                "forwarded": int(forwarded),
                "link_revoked": 0,
                "props": "",
            }
        )

    def read(
        self,
        link: LinkRef,
        at: datetime,
        pages: dict[int, int],
        *,
        viewer: str = "vwr_1",
        visit: str | None = None,
        forwarded: bool = False,
        bot: bool = False,
    ) -> None:
        """A visit: view_start, then `pages` {page: dwell ms} as 10 s heartbeats."""
        visit = visit or f"vis_{next(_ids)}"
        kw: dict[str, Any] = {"viewer": viewer, "visit": visit, "forwarded": forwarded, "bot": bot}
        self.add(link, "view_start", at, page=1, **kw)
        moment = at
        for page, total in pages.items():
            left = total
            while left > 0:
                step = min(left, 10_000)
                moment += timedelta(milliseconds=step)
                self.add(link, "page_dwell", moment, page=page, dwell_ms=step, **kw)
                left -= step

    def insert(self, ch: ClickHouse) -> pa.Table:
        table = pa.table(
            {
                name: pa.array([r[name] for r in self.rows], _ARROW.get(name, pa.string()))
                for name in EVENT_COLUMNS
            }
        )
        ch.insert("events", table)
        self.rows.clear()
        return table


def add_document(
    ch: ClickHouse,
    tenant_id: str,
    document_id: str,
    version_id: str,
    *,
    title: str = "Proposal",
    page_words: Sequence[int] = (238, 238, 238, 238),
    page_tags: Sequence[Sequence[str]] = (),
    opportunity_id: str = "",
) -> None:
    tags = [list(t) for t in page_tags] + [[] for _ in range(len(page_words) - len(page_tags))]
    ch.insert(
        "documents",
        pa.table(
            {
                "tenant_id": [tenant_id],
                "document_id": [document_id],
                "title": [title],
                "opportunity_id": [opportunity_id],
                "current_version_id": [version_id],
                "created_at": pa.array([NOW], TS),
                "version": pa.array([1], pa.uint64()),
            }
        ),
    )
    ch.insert(
        "document_versions",
        pa.table(
            {
                "tenant_id": [tenant_id],
                "document_id": [document_id],
                "version_id": [version_id],
                "revision": pa.array([1], pa.uint32()),
                "filename": ["p.pdf"],
                "sha256": ["0" * 64],
                "size_bytes": pa.array([1], pa.uint64()),
                "pages": pa.array([len(page_words)], pa.uint16()),
                "page_words": pa.array([list(page_words)], pa.list_(pa.uint32())),
                "page_tags": pa.array([tags], pa.list_(pa.list_(pa.string()))),
                "created_at": pa.array([NOW], TS),
                "version": pa.array([1], pa.uint64()),
            }
        ),
    )


def add_link(
    ch: ClickHouse,
    tenant_id: str,
    link_id: str,
    document_id: str,
    version_id: str,
    opportunity_id: str,
    *,
    contact_id: str = "",
    name: str = "",
    email: str = "",
) -> LinkRef:
    ch.insert(
        "links",
        pa.table(
            {
                "tenant_id": [tenant_id],
                "link_id": [link_id],
                "document_id": [document_id],
                "opportunity_id": [opportunity_id],
                "contact_id": [contact_id],
                "recipient_email": [email or f"{link_id}@example.com"],
                "recipient_name": [name],
                "created_at": pa.array([NOW], TS),
                "version": pa.array([1], pa.uint64()),
            }
        ),
    )
    return LinkRef(tenant_id, link_id, document_id, version_id, opportunity_id, contact_id)


def add_opportunity(
    ch: ClickHouse,
    tenant_id: str,
    opportunity_id: str,
    *,
    contacts: Sequence[Contact] = (),
    updated_at: datetime = NOW,
    account: str = "华为技术",
) -> Opportunity:
    opp = Opportunity(
        opportunity_id=opportunity_id,
        account=account,
        amount=Decimal("120000.00"),
        currency="CNY",
        stage="proposal",
        probability=40,
        forecast_category="pipeline",
        owner="rep@example.com",
        updated_at=updated_at,
        contacts=tuple(contacts),
    )
    upsert_opportunities(ch, tenant_id, [opp])
    return opp


@cache
def _generated(opportunities: int, seed: int, start: date, days: int) -> SyntheticDataset:
    return generate(opportunities, seed=seed, start=start, days=days, tenants=1)


def synthetic_tenant(
    ch: ClickHouse, opportunities: int, *, seed: int, start: date, days: int
) -> str:
    """A one-tenant generated store (generated once per process for these arguments) loaded
    into `ch`; returns its tenant id."""
    ds = _generated(opportunities, seed, start, days)
    load(ch, ds)
    return ds.tenant_ids[0]
