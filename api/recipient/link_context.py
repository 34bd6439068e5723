"""Resolving what a recipient's URL carries — a short code (looked up, cached in Redis) or,
for links made before short links, a signed token — to the link; and the cached event
context of a link for the high-volume routes (pixel, click) so they do not query ClickHouse
per hit."""

from __future__ import annotations

import orjson
from starlette.concurrency import run_in_threadpool

from api.services import Services
from ingest import EventContext
from tracker import redis_keys
from tracker.documents import get_document
from tracker.errors import NotFound
from tracker.links import Link, contact_of, find_link_by_code, get_link, is_short_code
from tracker.tokens import LinkClaims, TokenPurpose

__all__ = ["cached_context", "context_of", "link_claims", "resolve_link"]

_TTL = 300  # a new version shows up in click/pixel events within 5 minutes
_CODE_TTL = 3600
_UNKNOWN_CODE_TTL = 60  # guessed codes cost one ClickHouse read a minute each, not one a hit


async def link_claims(
    services: Services, token: str, purpose: TokenPurpose = TokenPurpose.LINK
) -> LinkClaims:
    """(tenant, link) of a short code or a signed token; NotFound for anything else."""
    if purpose is not TokenPurpose.LINK or not is_short_code(token):
        return services.signer.read_link_token(token, purpose)
    redis, key = services.redis.client, redis_keys.link_code(token)
    cached = await redis.get(key)
    if cached is None:
        link = await run_in_threadpool(find_link_by_code, services.clickhouse, token)
        value = f"{link.tenant_id} {link.link_id}" if link else ""
        await redis.set(key, value, ex=_CODE_TTL if link else _UNKNOWN_CODE_TTL)
    else:
        value = cached.decode() if isinstance(cached, bytes) else str(cached)
    tenant_id, _, link_id = value.partition(" ")
    if not link_id:
        raise NotFound("unknown link", code="link_not_found")
    return LinkClaims(tenant_id, link_id)


async def resolve_link(
    services: Services, token: str, purpose: TokenPurpose = TokenPurpose.LINK
) -> Link:
    """Code or signature first (unknown, tampered → NotFound), then the tenant-scoped row."""
    claims = await link_claims(services, token, purpose)
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
    claims = await link_claims(services, token, purpose)
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
