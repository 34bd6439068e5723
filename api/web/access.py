"""Who may see what: every read of a document, link or deal in the web app goes through
here. Another tenant's ids and ids the person may not see are both 404 (NotFound), so the
answer never reveals that something exists."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool

from api.services import Services
from api.web.auth import Viewer
from tracker.crm import OpportunityRow, list_opportunities
from tracker.documents import Document, get_document, list_documents
from tracker.errors import NotFound
from tracker.links import Link, get_link

__all__ = ["visible_deal", "visible_deals", "visible_document", "visible_documents", "visible_link"]


async def visible_document(services: Services, viewer: Viewer, document_id: str) -> Document:
    doc = await run_in_threadpool(get_document, services.clickhouse, viewer.tenant_id, document_id)
    if not viewer.may_see(doc.owner):
        raise NotFound("unknown document", code="document_not_found")
    return doc


async def visible_documents(services: Services, viewer: Viewer) -> list[Document]:
    found = await run_in_threadpool(
        list_documents, services.clickhouse, viewer.tenant_id, limit=10_000
    )
    return [d for d in found if viewer.may_see(d.owner)]


async def visible_link(services: Services, viewer: Viewer, link_id: str) -> tuple[Link, Document]:
    link = await run_in_threadpool(get_link, services.clickhouse, viewer.tenant_id, link_id)
    return link, await visible_document(services, viewer, link.document_id)


async def visible_deals(services: Services, viewer: Viewer) -> list[OpportunityRow]:
    return await run_in_threadpool(
        list_opportunities, services.clickhouse, viewer.tenant_id, viewer.owners
    )


async def visible_deal(services: Services, viewer: Viewer, opportunity_id: str) -> OpportunityRow:
    for deal in await visible_deals(services, viewer):
        if deal.opportunity_id == opportunity_id:
            return deal
    raise NotFound("unknown opportunity", code="opportunity_not_found")
