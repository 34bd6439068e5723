from __future__ import annotations

import io

import pytest
from PIL import Image

from tracker.errors import BadRequest, InvalidPdf, NotFound
from watermark import RENDER_WIDTHS, page_count, render_page_png, snap_render_width
from watermark.render import MAX_RENDER_PIXELS


def test_page_count(proposal_pdf: bytes) -> None:
    assert page_count(proposal_pdf) == 5


def test_render_png_width_and_rotation(proposal_pdf: bytes) -> None:
    portrait = Image.open(io.BytesIO(render_page_png(proposal_pdf, 1, 300)))
    rotated = Image.open(io.BytesIO(render_page_png(proposal_pdf, 3, 300)))
    assert portrait.format == "PNG"
    assert portrait.width == rotated.width == 300
    assert portrait.height > 300 > rotated.height  # page 3 is displayed landscape


def test_render_errors(proposal_pdf: bytes) -> None:
    with pytest.raises(NotFound):
        render_page_png(proposal_pdf, 6, 300)
    with pytest.raises(BadRequest):
        render_page_png(proposal_pdf, 1, 100_000)
    with pytest.raises(InvalidPdf):
        render_page_png(b"not a pdf", 1, 300)


def _page_of(width: float, height: float) -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height), invariant=True)
    canvas.setFont("Helvetica", 2)
    canvas.drawString(0.2, height / 2, "needle")
    canvas.rect(0, 0, width, height)
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def test_widths_snap_to_a_few_sizes() -> None:
    assert RENDER_WIDTHS == (480, 800, 1200, 1600, 2400)
    assert {snap_render_width(w) for w in range(-10, 10_000)} == set(RENDER_WIDTHS)
    assert snap_render_width(1200) == 1200  # what the viewer asks for today
    assert snap_render_width(1201) == 1600  # never smaller than asked: the browser scales down
    assert snap_render_width(1) == 480
    assert snap_render_width(10**9) == 2400


@pytest.mark.parametrize(("width", "height"), [(1, 14_400), (200, 14_400), (14_400, 3)])
def test_absurd_pages_render_within_the_pixel_bound(width: float, height: float) -> None:
    """Pages uploads now refuse, but stored or leaked copies may still carry: pdfium asked
    for a 62 GB bitmap for the first one at w=2000."""
    png = render_page_png(_page_of(width, height), 1, 2400)
    image = Image.open(io.BytesIO(png))
    assert image.width * image.height <= MAX_RENDER_PIXELS
    assert image.width <= 2400


def test_normal_pages_render_at_the_asked_width(proposal_pdf: bytes) -> None:
    image = Image.open(io.BytesIO(render_page_png(proposal_pdf, 1, 2400)))
    assert image.width == 2400  # A4 at the widest snapped size fits the bound
    assert image.width * image.height <= MAX_RENDER_PIXELS
