"""The one door into pdfium (pypdfium2): a process-wide lock and error translation.

pdfium is not thread-safe, so every call into it, from the renderer or from upload inspection,
holds `PDFIUM_LOCK`; callers keep each hold short (a page at a time) so a buyer's page image is
not queued behind a whole upload's text pass.
"""

from __future__ import annotations

import threading

import pypdfium2 as pdfium

from tracker.errors import InvalidPdf

__all__ = ["PDFIUM_LOCK", "open_document"]

PDFIUM_LOCK = threading.Lock()


def open_document(data: bytes) -> pdfium.PdfDocument:
    """Open `data` (the caller holds `PDFIUM_LOCK`); raises InvalidPdf (code `corrupt_pdf`)."""
    try:
        return pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        raise InvalidPdf(f"the PDF could not be opened: {exc}", code="corrupt_pdf") from exc
