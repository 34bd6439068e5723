"""Resolving a signed link token to the link, and the cached event context of a link for
the high-volume routes (pixel, click) so they do not query ClickHouse per hit."""

from __future__ import annotations

import orjson
from starlette.concurrency import run_in_threadpool

from api.services import Services
from ingest import EventContext
from tracker import redis_keys
from tracker.documents import get_document
from tracker.links import Link, contact_of, get_link
from tracker.tokens import LinkClaims, TokenPurpose

__all__ = ["cached_context", "context_of", "resolve_link"]

_TTL = 300  # a new version shows up in click/pixel events within 5 minutes


async def resolve_link(
    services: Services, token: str, purpose: TokenPurpose = TokenPurpose.LINK
) -> Link:
    """Signature first (tampered → NotFound), then the tenant-scoped row (foreign → NotFound)."""
    claims: LinkClaims = services.signer.read_link_token(token, purpose)
    return await run_in_threadpool(get_link, services.clickhouse, claims.tenant_id, claims.link_id)


def context_of(link: Link, version_id: str, viewer_id: str, contact_id: str) -> EventContext:
    """`contact_id` from `tracker.links.contact_of` (the link's, or matched by email)."""
    return EventContext(
        tenant_id=link.tenant_id,
        link_id=link.link_id,
        document_id=link.document_id,
        version_id=version_id,
        opportunity_id=link.opportunity_id,
        contact_id=contact_id,
        viewer_id=viewer_id,
        link_sent_at_ms=int(link.created_at.timestamp() * 1000),
    )


async def cached_context(
    services: Services, token: str, purpose: TokenPurpose, viewer_id: str
) -> EventContext:
    claims = services.signer.read_link_token(token, purpose)
    key = redis_keys.link_context(claims.tenant_id, claims.link_id)
    redis = services.redis.client
    cached = await redis.get(key)
    if cached:
        fields = orjson.loads(cached)
        return EventContext(**{**fields, "viewer_id": viewer_id})
    link = await run_in_threadpool(get_link, services.clickhouse, claims.tenant_id, claims.link_id)
    doc = await run_in_threadpool(
        get_document, services.clickhouse, link.tenant_id, link.document_id
    )
    contact_id = await run_in_threadpool(contact_of, services.clickhouse, link)
    context = context_of(link, doc.current_version_id, viewer_id, contact_id)
    fields = {k: getattr(context, k) for k in context.__dataclass_fields__ if k != "viewer_id"}
    await redis.set(key, orjson.dumps(fields), ex=_TTL)
    return context
