"""What a reader sees on each page — size, rotation, words — from one pdfium pass.

pdfium (C) parses each page's content once to lay out its text; the words are counted from
that text with `count_words` (one word per CJK character, one per other alphanumeric run).
Page geometry is checked first, from the page tree alone, so a page no renderer can draw at a
sane size is refused before any content is parsed:

    pdf_page_geometry   a side under `MIN_PAGE_SIDE` or over `MAX_PAGE_SIDE` points (the
                        limits of ISO 32000-1 Annex C), or longer than `MAX_PAGE_ASPECT` times
                        its other side (a "needle" page whose image would be all height)
"""

from __future__ import annotations

from dataclasses import dataclass

import pypdfium2 as pdfium

from tracker.errors import InvalidPdf
from watermark.pdfium_access import PDFIUM_LOCK, open_document
from watermark.words import count_words

__all__ = ["MAX_PAGE_ASPECT", "MAX_PAGE_SIDE", "MIN_PAGE_SIDE", "PageFacts", "read_pages"]

MIN_PAGE_SIDE = 3.0
MAX_PAGE_SIDE = 14_400.0
MAX_PAGE_ASPECT = 25.0


@dataclass(frozen=True, slots=True)
class PageFacts:
    """One page as the reader sees it: 1-based number, visible size after rotation, words."""

    number: int
    width: float
    height: float
    rotation: int
    word_count: int


def _check_geometry(number: int, width: float, height: float) -> None:
    short, long = sorted((width, height))
    if short < MIN_PAGE_SIDE or long > MAX_PAGE_SIDE or long > short * MAX_PAGE_ASPECT:
        raise InvalidPdf(
            f"page {number} measures {width:.1f} × {height:.1f} pt; pages must be "
            f"{MIN_PAGE_SIDE:g}–{MAX_PAGE_SIDE:g} pt a side and at most "
            f"{MAX_PAGE_ASPECT:g} times as long as wide",
            code="pdf_page_geometry",
            page=number,
        )


def _page(document: pdfium.PdfDocument, index: int, width: float, height: float) -> PageFacts:
    page = document[index]
    try:
        rotation = page.get_rotation()
        textpage = page.get_textpage()
        try:
            text = textpage.get_text_range()
        finally:
            textpage.close()
    finally:
        page.close()
    return PageFacts(index + 1, round(width, 2), round(height, 2), rotation, count_words(text))


def read_pages(data: bytes, expected_pages: int) -> tuple[PageFacts, ...]:
    """Facts of every page of `data`, which the object-graph checks already accepted with
    `expected_pages` pages; pdfium must see the same pages. Holds the pdfium lock one page at
    a time, so page images for buyers interleave with a long upload."""
    with PDFIUM_LOCK:
        document = open_document(data)
    try:
        try:
            with PDFIUM_LOCK:
                count = len(document)
                sizes = [document.get_page_size(index) for index in range(count)]
        except pdfium.PdfiumError as exc:
            raise InvalidPdf(f"the page tree is unreadable: {exc}", code="corrupt_pdf") from exc
        if count != expected_pages:
            raise InvalidPdf(
                f"the page tree is ambiguous ({count} or {expected_pages} pages)",
                code="corrupt_pdf",
            )
        for index, (width, height) in enumerate(sizes):
            _check_geometry(index + 1, width, height)
        facts = []
        for index, (width, height) in enumerate(sizes):
            try:
                with PDFIUM_LOCK:
                    facts.append(_page(document, index, width, height))
            except pdfium.PdfiumError as exc:
                raise InvalidPdf(
                    f"page {index + 1} is unreadable: {exc}", code="corrupt_pdf", page=index + 1
                ) from exc
        return tuple(facts)
    finally:
        with PDFIUM_LOCK:
            document.close()
