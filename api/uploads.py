"""Upload handling: bounded reads, validation and sanitising before anything is stored."""

from __future__ import annotations

import orjson
from fastapi import UploadFile
from starlette.concurrency import run_in_threadpool

from tracker.config import Limits
from tracker.documents import NewVersion
from tracker.errors import BadRequest, InvalidPdf, PdfTooLarge
from tracker.stores import BlobStore
from watermark import inspect_pdf, sanitise_pdf

__all__ = ["parse_page_tags", "read_upload", "store_pdf"]

_CHUNK = 1 << 20


async def read_upload(file: UploadFile | None, limits: Limits) -> bytes:
    """Read at most `max_pdf_bytes` (+1 to detect overflow) without trusting headers."""
    if file is None:
        raise InvalidPdf("attach the PDF as the multipart field `file`", code="missing_file")
    chunks: list[bytes] = []
    size = 0
    while chunk := await file.read(_CHUNK):
        size += len(chunk)
        if size > limits.max_pdf_bytes:
            raise PdfTooLarge(
                f"the PDF is larger than {limits.max_pdf_bytes} bytes", limit=limits.max_pdf_bytes
            )
        chunks.append(chunk)
    return b"".join(chunks)


def parse_page_tags(raw: str | None, pages: int) -> tuple[tuple[str, ...], ...]:
    """`{"5": ["pricing"]}` → per-page tag tuples; pages are 1-based."""
    if not raw:
        return ()
    try:
        parsed = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise BadRequest("page_tags must be a JSON object", code="invalid_page_tags") from exc
    if not isinstance(parsed, dict):
        raise BadRequest("page_tags must be a JSON object", code="invalid_page_tags")
    tags: list[list[str]] = [[] for _ in range(pages)]
    for key, names in parsed.items():
        if not (str(key).isdigit() and 1 <= int(key) <= pages):
            raise BadRequest(f"page {key} is not in 1..{pages}", code="page_out_of_range")
        if not (isinstance(names, list) and all(isinstance(n, str) and n for n in names)):
            raise BadRequest("tags must be lists of names", code="invalid_page_tags")
        tags[int(key) - 1] = sorted({n.strip().lower()[:40] for n in names})
    return tuple(tuple(t) for t in tags)


def _prepare(data: bytes, limits: Limits) -> tuple[bytes, tuple[int, ...]]:
    inspect_pdf(data, limits)  # rejects before any work is stored
    clean = sanitise_pdf(data, limits)
    facts = inspect_pdf(clean, limits)
    return clean, tuple(page.word_count for page in facts.pages)


async def store_pdf(
    data: bytes, filename: str, page_tags: str | None, limits: Limits, blobs: BlobStore
) -> NewVersion:
    """Validate, sanitise, then store the blob; the caller writes rows after this."""
    clean, words = await run_in_threadpool(_prepare, data, limits)
    tags = parse_page_tags(page_tags, len(words))
    digest = await run_in_threadpool(blobs.put, clean)
    return NewVersion(
        filename=filename[:255] or "document.pdf",
        sha256=digest,
        size_bytes=len(clean),
        page_words=words,
        page_tags=tags,
    )
