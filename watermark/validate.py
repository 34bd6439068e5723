"""Upload validation: accept a PDF we can safely stamp, serve and render, or say why not.

Checks run cheapest first and each rejection is a `tracker.errors` instance with its own code:

    empty_pdf             zero bytes
    pdf_too_large (413)   over `Limits.max_pdf_bytes`
    not_a_pdf             no ``%PDF-`` header in the first KB (e.g. a renamed text file)
    truncated_pdf         no ``%%EOF`` marker near the end (an interrupted upload)
    corrupt_pdf           pypdf's strict parser fails, or a page or its text cannot be read
    encrypted_pdf         any encryption, even with an empty user password
    pdf_too_many_pages    over `Limits.max_pdf_pages`
    pdf_stream_too_large  a stream decodes past `Limits.max_pdf_stream_bytes`
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from pypdf import PdfReader

from tracker.config import Limits
from tracker.errors import InvalidPdf, PdfTooLarge, PdfTooManyPages
from watermark.geometry import page_geometry
from watermark.reading import PARSE_ERRORS, open_pdf
from watermark.streams import check_stream_sizes
from watermark.words import count_words

__all__ = ["PageFacts", "PdfFacts", "inspect_pdf"]

_HEADER_WINDOW = 1024
_EOF_WINDOW = 2048


@dataclass(frozen=True, slots=True)
class PageFacts:
    """One page as the reader sees it: 1-based number, visible size after rotation, words."""

    number: int
    width: float
    height: float
    rotation: int
    word_count: int


@dataclass(frozen=True, slots=True)
class PdfFacts:
    sha256: str
    byte_size: int
    page_count: int
    pages: tuple[PageFacts, ...]
    pdf_version: str


def _check_envelope(data: bytes, limits: Limits) -> None:
    if not data:
        raise InvalidPdf("the file is empty", code="empty_pdf")
    if len(data) > limits.max_pdf_bytes:
        raise PdfTooLarge(
            f"the PDF is {len(data)} bytes; the limit is {limits.max_pdf_bytes}",
            limit=limits.max_pdf_bytes,
        )
    if b"%PDF-" not in data[:_HEADER_WINDOW]:
        raise InvalidPdf("the file is not a PDF", code="not_a_pdf")
    if b"%%EOF" not in data[-_EOF_WINDOW:]:
        raise InvalidPdf("the PDF is truncated (no end-of-file marker)", code="truncated_pdf")


def _page_count(reader: PdfReader, limits: Limits) -> int:
    try:
        declared = int(reader.root_object["/Pages"]["/Count"])  # type: ignore[index]
    except PARSE_ERRORS as exc:
        raise InvalidPdf(f"the page tree is unreadable: {exc}", code="corrupt_pdf") from exc
    if declared > limits.max_pdf_pages:
        raise PdfTooManyPages(
            f"the PDF has {declared} pages; the limit is {limits.max_pdf_pages}",
            limit=limits.max_pdf_pages,
        )
    try:
        count = len(reader.pages)
    except PARSE_ERRORS as exc:
        raise InvalidPdf(f"the page tree is unreadable: {exc}", code="corrupt_pdf") from exc
    if count > limits.max_pdf_pages:
        raise PdfTooManyPages(
            f"the PDF has {count} pages; the limit is {limits.max_pdf_pages}",
            limit=limits.max_pdf_pages,
        )
    if count == 0:
        raise InvalidPdf("the PDF has no pages", code="corrupt_pdf")
    return count


def _page_facts(reader: PdfReader, count: int) -> tuple[PageFacts, ...]:
    facts: list[PageFacts] = []
    for index in range(count):
        try:
            page = reader.pages[index]
            geometry = page_geometry(page)
            text = page.extract_text()
        except PARSE_ERRORS as exc:
            raise InvalidPdf(
                f"page {index + 1} is unreadable: {exc}", code="corrupt_pdf", page=index + 1
            ) from exc
        width, height = geometry.visual_size
        facts.append(
            PageFacts(
                index + 1, round(width, 2), round(height, 2), geometry.rotation, count_words(text)
            )
        )
    return tuple(facts)


def inspect_pdf(data: bytes, limits: Limits) -> PdfFacts:
    """Validate an uploaded PDF and describe it; raises a `tracker.errors.InvalidPdf` subclass."""
    _check_envelope(data, limits)
    reader = open_pdf(data, strict=True)
    count = _page_count(reader, limits)
    check_stream_sizes(reader, limits.max_pdf_stream_bytes)
    pages = _page_facts(reader, count)
    return PdfFacts(
        sha256=hashlib.sha256(data).hexdigest(),
        byte_size=len(data),
        page_count=count,
        pages=pages,
        pdf_version=reader.pdf_header.removeprefix("%PDF-"),
    )
