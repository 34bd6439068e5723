from __future__ import annotations

import dataclasses
import io

import pypdfium2 as pdfium
import pytest
from PIL import Image, ImageChops
from pypdf import PdfReader

from tracker.config import Limits
from watermark import Position, WatermarkSpec, inspect_pdf, stamp_pdf
from watermark.geometry import page_geometry

from .conftest import RunTool

CJK_NAMES = ["王总", "김민준", "山田太郎", "やまだ たろう"]


def _pages_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


@pytest.mark.parametrize("position", list(Position))
def test_visible_stamp_on_every_page(
    proposal_pdf: bytes, spec: WatermarkSpec, position: Position
) -> None:
    stamped = stamp_pdf(proposal_pdf, dataclasses.replace(spec, position=position))
    texts = _pages_text(stamped)
    assert len(texts) == 5
    for text in texts:
        assert spec.text() in text
        assert "View the latest version" in text
    assert "Proposal page 1" in texts[0]  # original content kept
    inspect_pdf(stamped, Limits())


@pytest.mark.parametrize("name", CJK_NAMES)
def test_cjk_names_are_extractable(proposal_pdf: bytes, spec: WatermarkSpec, name: str) -> None:
    stamped = stamp_pdf(proposal_pdf, dataclasses.replace(spec, recipient_name=name))
    for text in _pages_text(stamped):
        assert f"{name} · ada@example.com" in text


def test_same_inputs_same_bytes(proposal_pdf: bytes, spec: WatermarkSpec) -> None:
    first = stamp_pdf(proposal_pdf, spec)
    assert stamp_pdf(proposal_pdf, spec) == first
    cjk = dataclasses.replace(spec, recipient_name="王总 김민준")
    assert stamp_pdf(proposal_pdf, cjk) == stamp_pdf(proposal_pdf, cjk)  # embedded font subset
    other = stamp_pdf(proposal_pdf, dataclasses.replace(spec, link_id="lnk_other"))
    assert other != first
    assert (
        PdfReader(io.BytesIO(first)).trailer["/ID"] != PdfReader(io.BytesIO(other)).trailer["/ID"]
    )


def test_link_annotation_on_every_page_inside_visible_box(
    proposal_pdf: bytes, spec: WatermarkSpec
) -> None:
    reader = PdfReader(io.BytesIO(stamp_pdf(proposal_pdf, spec)))
    for page in reader.pages:
        links = [a.get_object() for a in page.annotations or []]
        (link,) = [a for a in links if a["/A"].get("/URI") == spec.latest_version_url]
        x0, y0, x1, y1 = (float(v) for v in link["/Rect"])
        bx0, by0, bx1, by1 = page_geometry(page).box
        assert bx0 <= x0 < x1 <= bx1 and by0 <= y0 < y1 <= by1


def test_overlay_written_once_per_geometry(proposal_pdf: bytes, spec: WatermarkSpec) -> None:
    reader = PdfReader(io.BytesIO(stamp_pdf(proposal_pdf, spec)))
    overlay_refs = {page.raw_get("/Contents")[-1].idnum for page in reader.pages}
    # A4, A4 rotated, Letter with a crop box → three geometries for five pages.
    assert len(overlay_refs) == 3


@pytest.mark.parametrize("name", ["form_pdf", "scanned_pdf", "gs_pdf", "debian_pdf"])
def test_stamps_other_producers(
    name: str, spec: WatermarkSpec, request: pytest.FixtureRequest
) -> None:
    data: bytes = request.getfixturevalue(name)
    stamped = stamp_pdf(data, spec)
    texts = _pages_text(stamped)
    assert texts and all(spec.text() in text for text in texts)
    if name == "form_pdf":
        assert {"company", "agree"} <= set(PdfReader(io.BytesIO(stamped)).get_fields() or {})


def _stamp_area_changed(plain: Image.Image, stamped: Image.Image) -> int:
    """Pixels that differ inside the footer band (where the stamp line is drawn)."""
    width, height = plain.size
    box = (0, int(height * 0.94), width, int(height * 0.985))
    diff = ImageChops.difference(plain.convert("L").crop(box), stamped.convert("L").crop(box))
    return sum(1 for value in diff.tobytes() if value > 8)


@pytest.mark.parametrize("name", ["王总", "김민준", "山田太郎"])
def test_cjk_stamp_renders_with_pdfium(proposal_pdf: bytes, spec: WatermarkSpec, name: str) -> None:
    latin = dataclasses.replace(spec, position=Position.FOOTER, opacity=1.0, template="x")
    cjk = dataclasses.replace(latin, template="{recipient_name}", recipient_name=name * 3)

    def render(data: bytes) -> Image.Image:
        page = pdfium.PdfDocument(data)[0]
        image: Image.Image = page.render(scale=2).to_pil()
        return image

    assert (
        _stamp_area_changed(
            render(stamp_pdf(proposal_pdf, latin)), render(stamp_pdf(proposal_pdf, cjk))
        )
        > 100
    )


def test_cjk_stamp_renders_with_poppler(
    proposal_pdf: bytes, spec: WatermarkSpec, run_tool: RunTool
) -> None:
    latin = dataclasses.replace(spec, position=Position.FOOTER, opacity=1.0, template="x")
    cjk = dataclasses.replace(
        latin, template="{recipient_name}", recipient_name="王总 김민준 山田太郎"
    )

    def render(data: bytes) -> Image.Image:
        png = run_tool(
            "pdftoppm",
            data,
            ["-png", "-r", "100", "-f", "1", "-l", "1", "-singlefile", "{src}", "{out}"],
            ".png",
        )
        return Image.open(io.BytesIO(png))

    assert (
        _stamp_area_changed(
            render(stamp_pdf(proposal_pdf, latin)), render(stamp_pdf(proposal_pdf, cjk))
        )
        > 100
    )


def test_spec_rejects_bad_values(spec: WatermarkSpec) -> None:
    with pytest.raises(ValueError, match="link id"):
        dataclasses.replace(spec, link_id="lnk with spaces")
    with pytest.raises(ValueError, match="URL"):
        dataclasses.replace(spec, latest_version_url="javascript:alert(1)")
    with pytest.raises(ValueError, match="opacity"):
        dataclasses.replace(spec, opacity=0)


def test_template_placeholders_are_literal(spec: WatermarkSpec) -> None:
    odd = dataclasses.replace(
        spec, recipient_name="{date}", template="{recipient_name} {__class__}"
    )
    assert odd.text() == "{date} {__class__}"
