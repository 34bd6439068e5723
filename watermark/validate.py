"""Upload validation: accept a PDF we can safely stamp, serve and render, or say why not.

One pass per upload, cheapest checks first; each rejection is a `tracker.errors` instance with
its own code:

    empty_pdf             zero bytes
    pdf_too_large (413)   over `Limits.max_pdf_bytes`
    not_a_pdf             no ``%PDF-`` header in the first KB (e.g. a renamed text file)
    truncated_pdf         no ``%%EOF`` marker near the end (an interrupted upload)
    corrupt_pdf           qpdf or pdfium cannot read the file, a page or its text, or they
                          disagree on the pages
    encrypted_pdf         any encryption, even with an empty user password
    pdf_too_many_pages    over `Limits.max_pdf_pages`
    pdf_too_complex       page content past `Limits.max_pdf_content_bytes` (`budget.py`)
    pdf_stream_too_large  a stream decodes past `Limits.max_pdf_stream_bytes`
    pdf_page_geometry     a page too small, too large or too thin to render (`pages.py`)

The work: qpdf (pikepdf) reads the object graph — page tree, stream sizes, the content budget,
active content — without parsing any page content; sanitising rewrites with qpdf only when the
walk removed something; then pdfium parses each page's content exactly once, for its text.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import pikepdf

from tracker.config import Limits
from tracker.errors import InvalidPdf, PdfTooLarge, PdfTooManyPages
from watermark.budget import ContentBudget
from watermark.pages import PageFacts, read_pages
from watermark.reading import open_objects
from watermark.sanitise import ActiveContent, find_active_content, rewrite
from watermark.streams import StreamDecoder

__all__ = ["PdfFacts", "PreparedPdf", "inspect_pdf", "prepare_pdf", "sanitise_pdf"]

# What qpdf (through pikepdf) raises on a malformed object graph, besides its own errors.
_GRAPH_ERRORS: tuple[type[Exception], ...] = (
    pikepdf.PdfError,
    RuntimeError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    AttributeError,
    RecursionError,
)
_HEADER_WINDOW = 1024
_EOF_WINDOW = 2048


@dataclass(frozen=True, slots=True)
class PdfFacts:
    sha256: str
    byte_size: int
    page_count: int
    pages: tuple[PageFacts, ...]
    pdf_version: str
    # What sanitising removes from this file (empty for a clean one), and the page content
    # it costs to read, in decoded bytes counted per use (see `budget.py`).
    active_content: tuple[str, ...] = ()
    content_bytes: int = 0


@dataclass(frozen=True, slots=True)
class PreparedPdf:
    """An upload made safe to store: the bytes to keep and the facts of exactly those bytes."""

    data: bytes
    facts: PdfFacts
    rewritten: bool


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


def _too_many(count: int, limits: Limits) -> PdfTooManyPages:
    return PdfTooManyPages(
        f"the PDF has {count} pages; the limit is {limits.max_pdf_pages}",
        limit=limits.max_pdf_pages,
    )


def _page_count(pdf: pikepdf.Pdf, limits: Limits) -> int:
    try:
        declared = pdf.Root.Pages.get("/Count")
        if isinstance(declared, int) and declared > limits.max_pdf_pages:
            raise _too_many(declared, limits)
        count = len(pdf.pages)
    except _GRAPH_ERRORS as exc:
        raise InvalidPdf(f"the page tree is unreadable: {exc}", code="corrupt_pdf") from exc
    if count > limits.max_pdf_pages:
        raise _too_many(count, limits)
    if count == 0:
        raise InvalidPdf("the PDF has no pages", code="corrupt_pdf")
    return count


@dataclass(frozen=True, slots=True)
class _Graph:
    count: int
    active: ActiveContent
    content_bytes: int
    version: str


def _check_graph(pdf: pikepdf.Pdf, data: bytes, limits: Limits) -> _Graph:
    """Every check that needs no page content parsed; leaves `pdf` sanitised in memory."""
    count = _page_count(pdf, limits)
    decoder = StreamDecoder(limits.max_pdf_stream_bytes)
    budget = ContentBudget(decoder, limits.max_pdf_content_bytes)
    try:
        budget.charge_pages(pdf)
        decoder.check_all(pdf)
        active = find_active_content(pdf, data)
    except _GRAPH_ERRORS as exc:
        raise InvalidPdf(f"the PDF could not be read: {exc}", code="corrupt_pdf") from exc
    finally:
        decoder.close()
    return _Graph(count, active, budget.charged, pdf.pdf_version)


def _facts(data: bytes, graph: _Graph) -> PdfFacts:
    return PdfFacts(
        sha256=hashlib.sha256(data).hexdigest(),
        byte_size=len(data),
        page_count=graph.count,
        pages=read_pages(data, graph.count),
        pdf_version=graph.version,
        active_content=graph.active.removed,
        content_bytes=graph.content_bytes,
    )


def prepare_pdf(data: bytes, limits: Limits) -> PreparedPdf:
    """Validate, sanitise and describe an upload in one pass (see module docstring); raises
    a `tracker.errors.InvalidPdf` subclass. `data` of the result is what to store."""
    _check_envelope(data, limits)
    with open_objects(data) as pdf:
        graph = _check_graph(pdf, data, limits)
        try:
            clean = rewrite(pdf) if graph.active.needs_rewrite else data
        except _GRAPH_ERRORS as exc:
            raise InvalidPdf(f"the PDF could not be rewritten: {exc}", code="corrupt_pdf") from exc
    return PreparedPdf(clean, _facts(clean, graph), rewritten=clean is not data)


def inspect_pdf(data: bytes, limits: Limits) -> PdfFacts:
    """Validate an uploaded PDF and describe it as uploaded (`active_content` names what
    sanitising would remove); raises a `tracker.errors.InvalidPdf` subclass."""
    _check_envelope(data, limits)
    with open_objects(data) as pdf:
        graph = _check_graph(pdf, data, limits)
    return _facts(data, graph)


def sanitise_pdf(data: bytes, limits: Limits | None = None) -> bytes:
    """`data` without active content (see `watermark.sanitise`), validated like an upload."""
    return prepare_pdf(data, limits or Limits()).data
