from __future__ import annotations

import io

import pytest
from PIL import Image

from tracker.errors import BadRequest, InvalidPdf, NotFound
from watermark import page_count, render_page_png


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
