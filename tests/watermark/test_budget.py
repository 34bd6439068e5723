"""CPU-bomb uploads: page content is charged per use before anything parses a page.

Every hostile file is built here; the tests read the work counters (decoded bytes, charged
bytes), never the clock."""

from __future__ import annotations

import io
import zlib

import pikepdf
import pytest

from tracker.config import Limits
from tracker.errors import InvalidPdf
from watermark import inspect_pdf, prepare_pdf
from watermark.budget import MAX_FORM_DEPTH, ContentBudget
from watermark.streams import StreamDecoder

# Dense path operators: what made a 3.6 KB upload cost 30 s of CPU on main.
_OPERATORS = b"0 0 m 612 792 l 612 0 l h S 1 0 0 1 0.5 0.5 cm\n"


def _flate(pdf: pikepdf.Pdf, body: bytes) -> pikepdf.Stream:
    return pikepdf.Stream(pdf, zlib.compress(body, 9), Filter=pikepdf.Name.FlateDecode)


def _save(pdf: pikepdf.Pdf) -> bytes:
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _shared_stream_pdf(pages: int, content_bytes: int) -> bytes:
    """`pages` pages whose /Contents is one and the same stream of `content_bytes`."""
    pdf = pikepdf.new()
    heavy = pdf.make_indirect(_flate(pdf, _OPERATORS * (content_bytes // len(_OPERATORS))))
    for _ in range(pages):
        page = pdf.add_blank_page(page_size=(612, 792))
        page.obj.Contents = heavy
    return _save(pdf)


def _nested_forms_pdf(levels: int, fan_out: int, leaf_bytes: int) -> bytes:
    """One page invoking form F1 `fan_out` times, F1 invoking F2 `fan_out` times, … and the
    last form drawing `leaf_bytes` of paths: fan_out ** levels × leaf_bytes of work."""
    pdf = pikepdf.new()
    child = pdf.make_indirect(_flate(pdf, _OPERATORS * (leaf_bytes // len(_OPERATORS))))
    child.Type, child.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
    child.BBox = [0, 0, 612, 792]
    for _ in range(levels - 1):
        parent = pdf.make_indirect(_flate(pdf, b"q /C Do Q\n" * fan_out))
        parent.Type, parent.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
        parent.BBox = [0, 0, 612, 792]
        parent.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(C=child))
        child = parent
    page = pdf.add_blank_page(page_size=(612, 792))
    page.obj.Contents = _flate(pdf, b"q /F1 Do Q\n" * fan_out)
    page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(F1=child))
    return _save(pdf)


def _charge(data: bytes, limit: int) -> tuple[ContentBudget, StreamDecoder]:
    decoder = StreamDecoder(Limits().max_pdf_stream_bytes)
    budget = ContentBudget(decoder, limit)
    with pikepdf.open(io.BytesIO(data)) as pdf:
        budget.charge_pages(pdf)
    return budget, decoder


def test_the_four_page_bomb_is_refused_by_default() -> None:
    bomb = _shared_stream_pdf(pages=4, content_bytes=20 * 1024 * 1024)
    assert len(bomb) < 100_000  # a small upload…
    with pytest.raises(InvalidPdf) as info:
        inspect_pdf(bomb, Limits())
    assert (info.value.code, info.value.status) == ("pdf_too_complex", 422)  # …refused
    with pytest.raises(InvalidPdf) as info:
        prepare_pdf(bomb, Limits())
    assert info.value.code == "pdf_too_complex"


def test_a_shared_stream_is_decoded_once_and_charged_per_page() -> None:
    size = 200_000
    data = _shared_stream_pdf(pages=4, content_bytes=size)
    budget, decoder = _charge(data, limit=10 * size)
    decoded = size - size % len(_OPERATORS)
    assert decoder.decoded_bytes == decoded  # decoded once…
    assert budget.charged == 4 * decoded  # …charged for each page that draws it
    with pytest.raises(InvalidPdf) as info:
        _charge(data, limit=3 * decoded)
    assert info.value.code == "pdf_too_complex"


def test_refusal_comes_from_the_object_graph_before_any_page_is_parsed() -> None:
    size = 200_000
    data = _shared_stream_pdf(pages=4, content_bytes=size)
    limits = Limits(max_pdf_content_bytes=3 * size)
    with pytest.raises(InvalidPdf) as info:
        inspect_pdf(data, limits)
    assert info.value.code == "pdf_too_complex"
    # The budget stops at the page that crosses the limit: pages 1–3 fit, page 4 does not,
    # and the content was decoded exactly once on the way.
    decoder = StreamDecoder(limits.max_pdf_stream_bytes)
    budget = ContentBudget(decoder, limits.max_pdf_content_bytes)
    with pikepdf.open(io.BytesIO(data)) as pdf, pytest.raises(InvalidPdf):
        budget.charge_pages(pdf)
    decoded = size - size % len(_OPERATORS)
    assert budget.charged == 4 * decoded
    assert decoder.decoded_bytes == decoded


def test_nested_forms_multiply() -> None:
    data = _nested_forms_pdf(levels=3, fan_out=10, leaf_bytes=10_000)
    assert len(data) < 5_000
    budget, decoder = _charge(data, limit=100 * 1024 * 1024)
    leaf = 10_000 - 10_000 % len(_OPERATORS)
    assert budget.charged >= 10**3 * leaf  # the leaf is drawn 1000 times
    assert decoder.decoded_bytes < 2 * leaf  # but decoded once
    with pytest.raises(InvalidPdf) as info:
        inspect_pdf(data, Limits(max_pdf_content_bytes=5_000_000))
    assert info.value.code == "pdf_too_complex"
    facts = inspect_pdf(data, Limits(max_pdf_content_bytes=100_000_000))
    assert facts.content_bytes == budget.charged


def test_forms_nested_too_deep_are_refused() -> None:
    data = _nested_forms_pdf(levels=MAX_FORM_DEPTH + 2, fan_out=1, leaf_bytes=100)
    with pytest.raises(InvalidPdf) as info:
        inspect_pdf(data, Limits())
    assert info.value.code == "pdf_too_complex"
    assert inspect_pdf(_nested_forms_pdf(8, 1, 100), Limits()).page_count == 1


def test_a_form_drawing_itself_is_refused() -> None:
    # pdfium re-enters such a form level after level: this 788-byte file hung its text pass.
    pdf = pikepdf.new()
    form = pdf.make_indirect(_flate(pdf, b"0 0 m 9 9 l S /Me Do /Me Do\n"))
    form.Type, form.Subtype, form.BBox = pikepdf.Name.XObject, pikepdf.Name.Form, [0, 0, 9, 9]
    form.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Me=form))
    page = pdf.add_blank_page(page_size=(612, 792))
    page.obj.Contents = _flate(pdf, b"/Me Do\n")
    page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(Me=form))
    with pytest.raises(InvalidPdf) as info:
        inspect_pdf(_save(pdf), Limits())
    assert info.value.code == "pdf_too_complex"


def test_type3_glyphs_are_charged_once_per_page() -> None:
    pdf = pikepdf.new()
    glyph = pdf.make_indirect(_flate(pdf, b"0 0 0 0 10 10 d1\n" + _OPERATORS * 2_000))
    font = pdf.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type3,
            FontBBox=[0, 0, 10, 10],
            FontMatrix=[0.001, 0, 0, 0.001, 0, 0],
            CharProcs=pikepdf.Dictionary(a=glyph),
            Encoding=pikepdf.Dictionary(Differences=[97, pikepdf.Name.a]),
            FirstChar=97,
            LastChar=97,
            Widths=[1000],
        )
    )
    for _ in range(3):
        page = pdf.add_blank_page(page_size=(612, 792))
        page.obj.Contents = _flate(pdf, b"BT /T3 12 Tf 72 700 Td (aaaa) Tj ET\n")
        page.obj.Resources = pikepdf.Dictionary(Font=pikepdf.Dictionary(T3=font))
    budget, _ = _charge(_save(pdf), limit=100 * 1024 * 1024)
    glyph_bytes = len(b"0 0 0 0 10 10 d1\n" + _OPERATORS * 2_000)
    assert 3 * glyph_bytes <= budget.charged < 3 * glyph_bytes + 1_000


def test_real_documents_fit_the_default_budget(debian_pdf: bytes, proposal_pdf: bytes) -> None:
    for data in (debian_pdf, proposal_pdf):
        facts = inspect_pdf(data, Limits())
        assert 0 < facts.content_bytes < Limits().max_pdf_content_bytes // 10
