"""Server-side page images for the browser viewer, rendered with pdfium (pypdfium2).

pdfium is not thread-safe: every call into it holds the process-wide lock of
`pdfium_access`, so a threadpool of request handlers renders one page at a time per process.
Cache the PNGs (per version, page and width) in front of this.

Widths: the viewer asks for any `w`; `snap_render_width` maps it onto `RENDER_WIDTHS` so the
cache holds at most five images per page and a link cannot make the server render (and store)
a new image per pixel of width. The set covers the viewer's column at the usual device pixel
ratios — 480 (a thumbnail, or a 480-px phone column at 1×), 800 (a 400-css-px phone column at
2×), 1200 (the default: a 600-px column at 2× or a 1200-px one at 1×), 1600 (an 800-px column
at 2×) and 2400 (a 1200-px column at 2×, or 800 at 3×) — and a request is served the smallest
of them at least as wide as asked, so the browser only ever scales down.

Memory: an image never exceeds `MAX_RENDER_PIXELS`; a page taller than the width allows is
rendered narrower instead (uploads refuse absurd page shapes, `pages.py`, but stored or
identified files may predate that), so one render holds at most ~4 bytes × that many pixels.
"""

from __future__ import annotations

import io
import math

from tracker.errors import BadRequest, NotFound
from watermark.pdfium_access import PDFIUM_LOCK, open_document

__all__ = [
    "MAX_RENDER_PIXELS",
    "MAX_RENDER_WIDTH",
    "MIN_RENDER_WIDTH",
    "RENDER_WIDTHS",
    "page_count",
    "render_page_png",
    "snap_render_width",
]

RENDER_WIDTHS: tuple[int, ...] = (480, 800, 1200, 1600, 2400)
MIN_RENDER_WIDTH = 16
MAX_RENDER_WIDTH = 4096
# An A4 or Letter page at the widest snapped width (2400 × 3394 = 8.1 Mpx) fits.
MAX_RENDER_PIXELS = 12_000_000


def snap_render_width(requested: int) -> int:
    """The smallest of `RENDER_WIDTHS` at least `requested` pixels wide (the widest for
    anything larger)."""
    for width in RENDER_WIDTHS:
        if requested <= width:
            return width
    return RENDER_WIDTHS[-1]


def page_count(data: bytes) -> int:
    with PDFIUM_LOCK:
        document = open_document(data)
        try:
            return len(document)
        finally:
            document.close()


def _scale(width: int, page_width: float, page_height: float) -> float:
    """Pixels per point for `width`, lowered so the bitmap stays within MAX_RENDER_PIXELS."""
    scale = width / max(page_width, 1.0)
    # The bitmap's sides are rounded up, so a thin page gains up to a whole row of pixels.
    while math.ceil(page_width * scale) * math.ceil(page_height * scale) > MAX_RENDER_PIXELS:
        fit = math.sqrt(MAX_RENDER_PIXELS / max(page_width * page_height * scale * scale, 1.0))
        scale *= min(fit, 0.99)
    return scale


# zlib level 3, not Pillow's 6: encoding was ~80 % of a page's render time, level 3 halves it
# (48 -> 22 ms and 63 -> 36 ms at 1200 px on two Debian manuals' pages) and the files came out
# between 15 % smaller and 18 % larger. PNG is lossless: the pixels do not change.
_PNG_LEVEL = 3


def render_page_png(data: bytes, page: int, width: int) -> bytes:
    """PNG of 1-based `page`, `width` pixels wide (height follows the page's aspect ratio),
    or narrower when that would exceed MAX_RENDER_PIXELS."""
    if not MIN_RENDER_WIDTH <= width <= MAX_RENDER_WIDTH:
        raise BadRequest(
            f"width must be between {MIN_RENDER_WIDTH} and {MAX_RENDER_WIDTH}",
            code="invalid_render_width",
        )
    with PDFIUM_LOCK:
        document = open_document(data)
        try:
            if not 1 <= page <= len(document):
                raise NotFound(f"page {page} does not exist", code="page_not_found")
            pdf_page = document[page - 1]
            try:
                page_width, page_height = pdf_page.get_size()  # rotation applied
                scale = _scale(width, page_width, page_height)
                bitmap = pdf_page.render(scale=scale, may_draw_forms=True)
                image = bitmap.to_pil()
            finally:
                pdf_page.close()
        finally:
            document.close()
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=_PNG_LEVEL)
    return out.getvalue()
