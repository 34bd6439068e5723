"""Per-recipient watermarked copies and page images, cached by (version, link).

Stamping is deterministic, so a cache miss only costs time: the blob is content-addressed
and Redis maps (version, link) → the copy's sha256."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool

from api.i18n import negotiate, translator_for
from api.services import Services
from tracker import redis_keys
from tracker.clock import utcnow
from tracker.documents import DocumentVersion
from tracker.errors import NotFound
from tracker.links import Link
from tracker.privacy import CopyKind, record_copy
from tracker.stores import redis_errors
from tracker.tokens import LinkClaims, TokenPurpose, ViewerSessionClaims
from watermark import DEFAULT_TEMPLATE, WatermarkSpec, render_page_png, stamp_pdf

__all__ = [
    "FIRST_WIDTH",
    "LinkUrls",
    "copy_version_key",
    "forget_copies",
    "link_urls",
    "page_image",
    "prerender_page",
    "served_page_image",
    "watermarked_copy",
]

_TTL = 30 * 24 * 3600
# The width the viewer's `src` names (a 928-CSS-px page on a 1× screen, a phone at 3×): the
# first the background pool renders (`RenderSettings.widths`).
FIRST_WIDTH = 1200


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
    """The stamp, its footer link worded in the link's language (the tenant's default
    when the link does not set one: the copy is made before any reader is known)."""
    language = translator_for(negotiate(link.locale, None, services.settings.default_locale))
    return WatermarkSpec(
        link_id=link.link_id,
        recipient_name=link.recipient_name or link.recipient_email,
        recipient_email=link.recipient_email,
        date=link.created_at.strftime("%Y-%m-%d"),
        latest_version_url=link_urls(services, link).url,
        template=link.watermark_template or DEFAULT_TEMPLATE,
        link_text=language.gettext("View the latest version"),
    )


async def _stored_digest(services: Services, key: str) -> str | None:
    digest = await services.redis.client.get(key)
    if not digest:
        return None
    text = digest.decode() if isinstance(digest, bytes) else str(digest)
    return text if await run_in_threadpool(services.blobs.exists, text) else None


async def _cached_blob(services: Services, key: str) -> bytes | None:
    digest = await _stored_digest(services, key)
    return None if digest is None else await run_in_threadpool(services.blobs.get, digest)


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
    await run_in_threadpool(
        record_copy, services.clickhouse, link.tenant_id, link.link_id, digest, CopyKind.COPY
    )  # listed for the tenant's copy retention
    async with redis.pipeline(transaction=False) as pipe:
        pipe.set(key, digest, ex=_TTL)
        pipe.set(copy_version_key(link.tenant_id, digest), version.version_id, ex=365 * 86400)
        await pipe.execute()
    return stamped


async def forget_copies(services: Services, tenant_id: str, link_ids: tuple[str, ...]) -> int:
    """Deletes the links' watermarked copies and the page images made from them (a person's
    erasure: the copies carry their name); returns how many blobs were removed."""
    redis, removed = services.redis.client, 0
    for link_id in link_ids:
        async for key in redis.scan_iter(match=redis_keys.copies_of_link(tenant_id, link_id)):
            digest = await redis.get(key)
            if digest:
                text = digest.decode() if isinstance(digest, bytes) else str(digest)
                images = [k async for k in redis.scan_iter(match=redis_keys.page_images_of(text))]
                for image in images:
                    if png := await redis.get(image):
                        name = png.decode() if isinstance(png, bytes) else str(png)
                        services.served_images.forget(name)
                        removed += await run_in_threadpool(services.blobs.delete, name)
                removed += await run_in_threadpool(services.blobs.delete, text)
                await redis.delete(copy_version_key(tenant_id, text), *images)
            await redis.delete(key)
        async for key in redis.scan_iter(match=redis_keys.link_page_images(tenant_id, link_id)):
            await redis.delete(key)
    return removed


async def page_image(
    services: Services, link: Link, version: DocumentVersion, page: int, width: int
) -> bytes:
    """A page of the recipient's own watermarked copy, so the viewer shows their stamp."""
    copy = await watermarked_copy(services, link, version)
    copy_sha = hashlib.sha256(copy).hexdigest()
    digest, png = await _copy_page(services, link, version, (copy, copy_sha), page, width)
    return png if png is not None else await run_in_threadpool(services.blobs.get, digest)


async def prerender_page(
    services: Services, link: Link, version: DocumentVersion, page: int, widths: tuple[int, ...]
) -> int:
    """Make a page of the recipient's copy ready at `widths` (the background pool's job: one
    copy read for all of them); returns how many images were rendered (0: all cached)."""
    copy = await watermarked_copy(services, link, version)
    stamped = (copy, hashlib.sha256(copy).hexdigest())
    rendered = 0
    for width in widths:
        _digest, png = await _copy_page(services, link, version, stamped, page, width)
        rendered += png is not None
    return rendered


async def _copy_page(
    services: Services,
    link: Link,
    version: DocumentVersion,
    stamped: tuple[bytes, str],
    page: int,
    width: int,
) -> tuple[str, bytes | None]:
    """The page image's digest, and its bytes when rendered now (None: it was cached).
    `stamped`: the copy and its sha256."""
    copy, copy_sha = stamped
    key = redis_keys.page_image(copy_sha, page, width)
    digest = await _stored_digest(services, key)
    png = None
    if digest is None:
        png = await run_in_threadpool(render_page_png, copy, page, width)
        digest = await run_in_threadpool(services.blobs.put, png)
        await run_in_threadpool(
            record_copy, services.clickhouse, link.tenant_id, link.link_id, digest,
            CopyKind.PAGE_IMAGE,
        )  # fmt: skip
        await services.redis.client.set(key, digest, ex=_TTL)
    await _point_link_at(services, link, version, page, width, digest)
    return digest, png


async def _point_link_at(
    services: Services, link: Link, version: DocumentVersion, page: int, width: int, digest: str
) -> None:
    """Remember the image by link, for `served_page_image`. The pointer dies with the link's
    expiry; revocation is checked on every read; erasure deletes it (`forget_copies`)."""
    seconds = _TTL
    if link.expires_at is not None:
        seconds = min(seconds, int((link.expires_at - utcnow()).total_seconds()))
    if seconds > 0:
        key = redis_keys.link_page_image(
            link.tenant_id, link.link_id, version.version_id, page, width
        )
        await services.redis.client.set(key, digest, ex=seconds)


async def served_page_image(
    services: Services, claims: ViewerSessionClaims, page: int, width: int
) -> bytes | None:
    """The page image this link's reader was already served, read without the link or the
    version (two ClickHouse point reads, most of an uncached page's time): None when there
    is none, the link was revoked, or the blob has gone (the caller takes the full path,
    which answers 410 for a revoked link and renders again). The images served lately are
    held in memory (`Services.served_images`, no thread-pool hop or file read), looked up
    only once the pointer — which revocation, expiry and erasure decide — names the digest."""
    key = redis_keys.link_page_image(
        claims.tenant_id, claims.link_id, claims.version_id, page, width
    )
    member = redis_keys.revoked_member(claims.tenant_id, claims.link_id)
    with redis_errors("served_page_image"):
        async with services.redis.client.pipeline(transaction=False) as pipe:
            pipe.sismember(redis_keys.REVOKED_LINKS, member)
            pipe.get(key)
            revoked, digest = await pipe.execute()
    if revoked or not digest:
        return None
    text = digest.decode() if isinstance(digest, bytes) else str(digest)
    held = services.served_images.get(text)
    if held is not None:
        return held
    try:
        image = await run_in_threadpool(services.blobs.get, text)
    except NotFound:
        return None  # deleted by the copy retention: made again on the full path
    services.served_images.keep(text, image)
    return image
