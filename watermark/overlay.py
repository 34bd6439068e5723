"""The stamp overlay: one small reportlab page per distinct page geometry.

A page's *geometry* is its visible box (the crop box clipped to the media box, in user space,
origin anywhere) and its /Rotate. The overlay is drawn in *visual* coordinates — what the reader
sees, origin bottom-left, after rotation — and mapped into the page's user space by one `cm`
matrix, so stamps stand upright on rotated pages and land inside boxes that do not start at 0,0.

Each overlay page carries four layers:

1. the visible stamp line (translucent grey; diagonal, footer or header);
2. the "View the latest version" link text, bottom right (the annotation is added by `stamp`);
3. the invisible text layer (render mode 3): ``DS-MARK:<link_id>:<crc>``;
4. micro-text: the checksummed ``dsw1…`` payload in white 0.75 pt type at the top left, drawn in
   normal render mode so rewriters that drop or rasterise "invisible" text keep it.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass

from reportlab.lib.colors import Color
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from watermark.fonts import LATIN_FONT, font_runs
from watermark.geometry import Box, PageGeometry
from watermark.payload import encode_invisible, encode_micro
from watermark.spec import Position, WatermarkSpec

__all__ = ["OverlayLayout", "build_overlays"]

_STAMP_GREY = Color(0.35, 0.35, 0.35)
_LINK_BLUE = Color(0.05, 0.33, 0.75)
_LINK_SIZE = 7.0
_MICRO_SIZE = 0.75
_MARGIN = 14.0


@dataclass(frozen=True, slots=True)
class OverlayLayout:
    """Where the link text landed, in user space, for the link annotation."""

    geometry: PageGeometry
    link_rect: Box


def _line_width(runs: list[tuple[str, str]], size: float) -> float:
    return float(sum(stringWidth(text, font, size) for font, text in runs))


def _draw_runs(
    canvas: Canvas, runs: list[tuple[str, str]], x: float, y: float, size: float
) -> None:
    text = canvas.beginText(x, y)
    for font, chunk in runs:
        text.setFont(font, size)
        text.textOut(chunk)
    canvas.drawText(text)


def _draw_stamp(canvas: Canvas, spec: WatermarkSpec, width: float, height: float) -> None:
    runs = font_runs(spec.text())
    if not runs:
        return
    canvas.saveState()
    canvas.setFillColor(_STAMP_GREY, alpha=spec.opacity)
    if spec.position is Position.DIAGONAL:
        size = spec.font_size or 28.0
        diagonal = math.hypot(width, height)
        natural = _line_width(runs, size)
        if natural > 0.8 * diagonal:
            size = max(4.0, size * 0.8 * diagonal / natural)
        line = _line_width(runs, size)
        canvas.translate(width / 2, height / 2)
        canvas.rotate(math.degrees(math.atan2(height, width)))
        _draw_runs(canvas, runs, -line / 2, -size / 3, size)
    else:
        size = spec.font_size or 8.0
        natural = _line_width(runs, size)
        available = width - 2 * _MARGIN
        if natural > available > 0:
            size = max(3.0, size * available / natural)
        line = _line_width(runs, size)
        y = height - _MARGIN - size if spec.position is Position.HEADER else _MARGIN + _LINK_SIZE
        _draw_runs(canvas, runs, (width - line) / 2, y, size)
    canvas.restoreState()


def _draw_link_text(canvas: Canvas, spec: WatermarkSpec, width: float) -> Box:
    """The footer link in the link's language: CJK runs in the embedded CJK font, as the
    stamp (Helvetica has no Chinese glyphs)."""
    size = _LINK_SIZE
    runs = font_runs(spec.link_text)
    line = _line_width(runs, size)
    x, y = max(2.0, width - _MARGIN - line), 4.0
    canvas.saveState()
    canvas.setFillColor(_LINK_BLUE)
    _draw_runs(canvas, runs, x, y, size)
    canvas.restoreState()
    return (x - 1, y - 2, x + line + 1, y + size + 1)


def _draw_hidden_marks(canvas: Canvas, link_id: str, height: float) -> None:
    invisible = canvas.beginText(2, 2)
    invisible.setTextRenderMode(3)
    invisible.setFont(LATIN_FONT, 4)
    invisible.textOut(encode_invisible(link_id))
    canvas.drawText(invisible)
    canvas.saveState()
    canvas.setFillColorRGB(1, 1, 1)
    canvas.setFont(LATIN_FONT, _MICRO_SIZE)
    canvas.drawString(2, height - 2, encode_micro(link_id))
    canvas.restoreState()


def build_overlays(
    spec: WatermarkSpec, geometries: list[PageGeometry]
) -> tuple[bytes, list[OverlayLayout]]:
    """Render one overlay page per geometry (same order) into a single small PDF."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, invariant=True, pageCompression=1)
    layouts: list[OverlayLayout] = []
    for geometry in geometries:
        width, height = geometry.visual_size
        _, _, x1, y1 = geometry.box
        # Page size is irrelevant to the merged result; only the content stream is used.
        canvas.setPageSize((max(x1, 1.0), max(y1, 1.0)))
        canvas.transform(*geometry.matrix())
        _draw_stamp(canvas, spec, width, height)
        link_rect = _draw_link_text(canvas, spec, width)
        _draw_hidden_marks(canvas, spec.link_id, height)
        canvas.showPage()
        layouts.append(OverlayLayout(geometry, geometry.to_user(link_rect)))
    canvas.save()
    return buffer.getvalue(), layouts
