"""Per-recipient watermarked copies and page images, cached by (version, link).

Stamping is deterministic, so a cache miss only costs time: the blob is content-addressed
and Redis maps (version, link) → the copy's sha256."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from api.services import Services
from tracker import redis_keys
from tracker.documents import DocumentVersion
from tracker.links import Link
from tracker.tokens import LinkClaims, TokenPurpose
from watermark import DEFAULT_TEMPLATE, WatermarkSpec, render_page_png, stamp_pdf

__all__ = ["LinkUrls", "copy_version_key", "link_urls", "page_image", "watermarked_copy"]

_TTL = 30 * 24 * 3600


@dataclass(frozen=True)
class LinkUrls:
    url: str
    pixel_url: str
    viewer_url: str


def link_urls(services: Services, link: Link) -> LinkUrls:
    """Short code URLs; a link made before short codes keeps its signed-token URLs."""
    claims = LinkClaims(link.tenant_id, link.link_id)
    base = services.settings.public_base_url.rstrip("/")
    token = link.short_code or services.signer.link_token(claims)
    pixel = services.signer.link_token(claims, TokenPurpose.PIXEL)
    return LinkUrls(
        url=f"{base}/l/{token}", pixel_url=f"{base}/o/{pixel}.gif", viewer_url=f"{base}/v/{token}"
    )


def _spec(services: Services, link: Link) -> WatermarkSpec:
    return WatermarkSpec(
        link_id=link.link_id,
        recipient_name=link.recipient_name or link.recipient_email,
        recipient_email=link.recipient_email,
        date=link.created_at.strftime("%Y-%m-%d"),
        latest_version_url=link_urls(services, link).url,
        template=link.watermark_template or DEFAULT_TEMPLATE,
    )


async def _cached_blob(services: Services, key: str) -> bytes | None:
    digest = await services.redis.client.get(key)
    if not digest:
        return None
    text = digest.decode() if isinstance(digest, bytes) else str(digest)
    if not await run_in_threadpool(services.blobs.exists, text):
        return None
    return await run_in_threadpool(services.blobs.get, text)


def copy_version_key(tenant_id: str, copy_sha256: str) -> str:
    """Which version a byte-identical copy was made from (for `identify`)."""
    return redis_keys.copy_version(tenant_id, copy_sha256)


async def watermarked_copy(services: Services, link: Link, version: DocumentVersion) -> bytes:
    spec = _spec(services, link)
    fingerprint = hashlib.sha256(repr(spec).encode()).hexdigest()[:16]
    key = redis_keys.watermarked_copy(link.tenant_id, version.version_id, link.link_id, fingerprint)
    if (cached := await _cached_blob(services, key)) is not None:
        return cached
    redis = services.redis.client
    original = await run_in_threadpool(services.blobs.get, version.sha256)
    stamped = await run_in_threadpool(stamp_pdf, original, spec)
    digest = await run_in_threadpool(services.blobs.put, stamped)
    async with redis.pipeline(transaction=False) as pipe:
        pipe.set(key, digest, ex=_TTL)
        pipe.set(copy_version_key(link.tenant_id, digest), version.version_id, ex=365 * 86400)
        await pipe.execute()
    return stamped


async def page_image(
    services: Services, link: Link, version: DocumentVersion, page: int, width: int
) -> bytes:
    """A page of the recipient's own watermarked copy, so the viewer shows their stamp."""
    copy = await watermarked_copy(services, link, version)
    copy_sha = hashlib.sha256(copy).hexdigest()
    key = redis_keys.page_image(copy_sha, page, width)
    if (cached := await _cached_blob(services, key)) is not None:
        return cached
    redis = services.redis.client
    png = await run_in_threadpool(render_page_png, copy, page, width)
    await redis.set(key, await run_in_threadpool(services.blobs.put, png), ex=_TTL)
    return png
