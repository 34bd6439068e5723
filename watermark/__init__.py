"""Per-recipient PDF stamping (visible + invisible marks), PDF validation and sanitising, leak
identification and page rendering; evidence images re-encoded (`prepare_image`). Pure
functions on bytes: no stores, no HTTP.

Pipeline for an upload: `prepare_pdf` (validate, sanitise, count words — one pass; store its
`data`) → per recipient `stamp_pdf`; for a leaked copy `identify_pdf`; for the viewer
`render_page_png` at a `snap_render_width` width. `inspect_pdf` and `sanitise_pdf` are the
two halves of `prepare_pdf` on their own.
"""

from watermark.identify import Confidence, Identification, Mark, MarkFinding, identify_pdf
from watermark.image import PreparedImage, is_image, prepare_image
from watermark.pages import PageFacts
from watermark.render import RENDER_WIDTHS, page_count, render_page_png, snap_render_width
from watermark.spec import DEFAULT_TEMPLATE, Position, WatermarkSpec
from watermark.stamp import stamp_pdf
from watermark.validate import PdfFacts, PreparedPdf, inspect_pdf, prepare_pdf, sanitise_pdf
from watermark.words import count_words

__all__ = [
    "DEFAULT_TEMPLATE",
    "RENDER_WIDTHS",
    "Confidence",
    "Identification",
    "Mark",
    "MarkFinding",
    "PageFacts",
    "PdfFacts",
    "Position",
    "PreparedImage",
    "PreparedPdf",
    "WatermarkSpec",
    "count_words",
    "identify_pdf",
    "inspect_pdf",
    "is_image",
    "page_count",
    "prepare_image",
    "prepare_pdf",
    "render_page_png",
    "sanitise_pdf",
    "snap_render_width",
    "stamp_pdf",
]
