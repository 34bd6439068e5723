"""Per-recipient PDF stamping (visible + invisible marks), PDF validation and sanitising, leak
identification and page rendering. Pure functions on PDF bytes: no stores, no HTTP.

Pipeline for an upload: `inspect_pdf` → `sanitise_pdf` (store the result) → per recipient
`stamp_pdf`; for a leaked copy `identify_pdf`; for the viewer `render_page_png`.
"""

from watermark.identify import Confidence, Identification, Mark, MarkFinding, identify_pdf
from watermark.render import page_count, render_page_png
from watermark.sanitise import sanitise_pdf
from watermark.spec import DEFAULT_TEMPLATE, Position, WatermarkSpec
from watermark.stamp import stamp_pdf
from watermark.validate import PageFacts, PdfFacts, inspect_pdf
from watermark.words import count_words

__all__ = [
    "DEFAULT_TEMPLATE",
    "Confidence",
    "Identification",
    "Mark",
    "MarkFinding",
    "PageFacts",
    "PdfFacts",
    "Position",
    "WatermarkSpec",
    "count_words",
    "identify_pdf",
    "inspect_pdf",
    "page_count",
    "render_page_png",
    "sanitise_pdf",
    "stamp_pdf",
]
