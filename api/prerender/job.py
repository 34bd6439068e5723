"""One page-image job: a page of one link's copy of one version, and whether it is still
wanted when a worker picks it up."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum

from starlette.concurrency import run_in_threadpool

from api.copies import forget_copies, prerender_page
from api.prerender.metrics import RENDER_IMAGES
from api.services import Services
from tracker import redis_keys
from tracker.documents import get_document, get_version
from tracker.errors import NotFound
from tracker.links import Link, get_link
from tracker.privacy import ERASED_NAME

__all__ = ["Outcome", "RenderJob", "is_erased", "run_job"]

log = logging.getLogger("dealsignal.prerender")


class Outcome(StrEnum):
    RENDERED = "rendered"
    SKIPPED = "skipped"


@dataclass(frozen=True)
class RenderJob:
    tenant_id: str
    link_id: str
    version_id: str
    page: int

    def fields(self) -> dict[str, str]:
        """The stream entry's fields."""
        return {"t": self.tenant_id, "l": self.link_id, "v": self.version_id, "p": str(self.page)}

    @classmethod
    def of(cls, fields: dict[bytes, bytes]) -> RenderJob:
        """From a stream entry; ValueError (or KeyError) for one this code did not write."""
        job = cls(
            fields[b"t"].decode(), fields[b"l"].decode(), fields[b"v"].decode(), int(fields[b"p"])
        )
        if job.page < 1 or not (job.tenant_id and job.link_id and job.version_id):
            raise ValueError(f"not a render job: {fields!r}")
        return job


def is_erased(link: Link) -> bool:
    """The recipient was erased (`tracker.privacy.pseudonymise`): nothing may be made
    with their name on it again."""
    return not link.recipient_email and link.recipient_name == ERASED_NAME


async def run_job(services: Services, job: RenderJob, widths: tuple[int, ...]) -> Outcome:
    """Render the page at `widths` unless the job is no longer wanted: the checks cost a
    Redis read and three ClickHouse point reads, a rendered width tens of milliseconds."""
    redis, ch = services.redis.client, services.clickhouse
    if await redis.sismember(
        redis_keys.REVOKED_LINKS, redis_keys.revoked_member(job.tenant_id, job.link_id)
    ):
        return _skip(job, "revoked")
    try:
        link = await run_in_threadpool(get_link, ch, job.tenant_id, job.link_id)
        document = await run_in_threadpool(get_document, ch, job.tenant_id, link.document_id)
    except NotFound:
        return _skip(job, "gone")
    if link.revoked_at is not None:
        return _skip(job, "revoked")
    if link.is_expired():
        return _skip(job, "expired")
    if is_erased(link):
        return _skip(job, "erased")
    if document.current_version_id != job.version_id:
        return _skip(job, "superseded")
    version = await run_in_threadpool(get_version, ch, job.tenant_id, job.version_id)
    if job.page > version.pages:
        return _skip(job, "no_such_page")
    RENDER_IMAGES.inc(await prerender_page(services, link, version, job.page, widths))
    # An erasure that ran while this page rendered deleted the copies before these were
    # stored: delete them too (read after the writes, so one of the two sees the other).
    if is_erased(await run_in_threadpool(get_link, ch, job.tenant_id, job.link_id)):
        await forget_copies(services, job.tenant_id, (job.link_id,))
        return _skip(job, "erased")
    return Outcome.RENDERED


def _skip(job: RenderJob, reason: str) -> Outcome:
    log.debug("render job %s page %d skipped: %s", job.link_id, job.page, reason)
    return Outcome.SKIPPED
