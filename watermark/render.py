"""Server-side page images for the browser viewer, rendered with pdfium (pypdfium2).

pdfium is not thread-safe: every call into it holds one process-wide lock, so a threadpool of
request handlers renders one page at a time per process. Cache the PNGs (per version, page and
width) in front of this.
"""

from __future__ import annotations

import io
import threading

import pypdfium2 as pdfium

from tracker.errors import BadRequest, InvalidPdf, NotFound

__all__ = ["MAX_RENDER_WIDTH", "MIN_RENDER_WIDTH", "page_count", "render_page_png"]

MIN_RENDER_WIDTH = 16
MAX_RENDER_WIDTH = 4096
_LOCK = threading.Lock()


def _open(data: bytes) -> pdfium.PdfDocument:
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise InvalidPdf(f"the PDF could not be opened: {exc}", code="corrupt_pdf") from exc


def page_count(data: bytes) -> int:
    with _LOCK:
        document = _open(data)
        try:
            return len(document)
        finally:
            document.close()


def render_page_png(data: bytes, page: int, width: int) -> bytes:
    """PNG of 1-based `page`, `width` pixels wide (height follows the page's aspect ratio)."""
    if not MIN_RENDER_WIDTH <= width <= MAX_RENDER_WIDTH:
        raise BadRequest(
            f"width must be between {MIN_RENDER_WIDTH} and {MAX_RENDER_WIDTH}",
            code="invalid_render_width",
        )
    with _LOCK:
        document = _open(data)
        try:
            if not 1 <= page <= len(document):
                raise NotFound(f"page {page} does not exist", code="page_not_found")
            pdf_page = document[page - 1]
            try:
                page_width, _ = pdf_page.get_size()  # rotation applied
                bitmap = pdf_page.render(scale=width / page_width, may_draw_forms=True)
                image = bitmap.to_pil()
            finally:
                pdf_page.close()
        finally:
            document.close()
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=False)
    return out.getvalue()
