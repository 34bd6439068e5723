from __future__ import annotations

import io
import zlib

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import DecodedStreamObject, NameObject, StreamObject

from tracker.config import Limits
from tracker.errors import EncryptedPdf, InvalidPdf, PdfTooLarge, PdfTooManyPages
from watermark import inspect_pdf

LIMITS = Limits()


def _error(data: bytes, limits: Limits = LIMITS) -> InvalidPdf:
    with pytest.raises(InvalidPdf) as info:
        inspect_pdf(data, limits)
    return info.value


@pytest.mark.parametrize(
    "name", ["proposal_pdf", "form_pdf", "scanned_pdf", "gs_pdf", "debian_pdf"]
)
def test_accepts_real_pdfs(name: str, request: pytest.FixtureRequest) -> None:
    data: bytes = request.getfixturevalue(name)
    facts = inspect_pdf(data, LIMITS)
    assert facts.page_count == len(facts.pages) >= 1
    assert facts.byte_size == len(data)
    assert len(facts.sha256) == 64


def test_page_facts_of_proposal(proposal_pdf: bytes) -> None:
    facts = inspect_pdf(proposal_pdf, LIMITS)
    assert facts.page_count == 5
    first, _, rotated, chinese, cropped = facts.pages
    assert (first.width, first.height, first.rotation) == (595.28, 841.89, 0)
    assert (rotated.width, rotated.height, rotated.rotation) == (841.89, 595.28, 90)
    assert (cropped.width, cropped.height) == (480, 670)
    assert first.word_count == 3 + 18  # "Proposal page 1" + the paragraph
    assert chinese.word_count == 7  # each Han character is a word


def test_empty() -> None:
    assert _error(b"").code == "empty_pdf"


def test_text_renamed_pdf() -> None:
    assert _error(b"Dear customer,\nplease find our quote attached.\n").code == "not_a_pdf"


def test_truncated(proposal_pdf: bytes) -> None:
    assert _error(proposal_pdf[: len(proposal_pdf) // 2]).code == "truncated_pdf"


def test_corrupt_body_with_eof_marker(proposal_pdf: bytes) -> None:
    mangled = proposal_pdf[:200] + b"\x00garbage" * 50 + b"\n%%EOF\n"
    assert _error(mangled).code == "corrupt_pdf"


def test_encrypted_even_with_empty_password(proposal_pdf: bytes) -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(proposal_pdf)))
    writer.encrypt(user_password="", owner_password="owner", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    error = _error(out.getvalue())
    assert isinstance(error, EncryptedPdf)
    assert error.code == "encrypted_pdf"


def test_over_size_limit(proposal_pdf: bytes) -> None:
    error = _error(proposal_pdf, Limits(max_pdf_bytes=1000))
    assert isinstance(error, PdfTooLarge)
    assert (error.code, error.status) == ("pdf_too_large", 413)


def test_over_page_limit(proposal_pdf: bytes) -> None:
    error = _error(proposal_pdf, Limits(max_pdf_pages=4))
    assert isinstance(error, PdfTooManyPages)
    assert error.code == "pdf_too_many_pages"


def _with_stream(base: bytes, stream: StreamObject) -> bytes:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(base)))
    writer.pages[0][NameObject("/PieceInfo")] = writer._add_object(stream)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_decompression_bomb(proposal_pdf: bytes) -> None:
    zeros = zlib.compressobj(9)
    chunk = bytes(1 << 20)
    packed = b"".join(zeros.compress(chunk) for _ in range(200)) + zeros.flush()
    assert len(packed) < 250_000  # 200 MB of zeros in ~200 KB
    bomb = StreamObject()
    bomb[NameObject("/Filter")] = NameObject("/FlateDecode")
    bomb.set_data(packed)
    data = _with_stream(proposal_pdf, bomb)
    error = _error(data, Limits(max_pdf_stream_bytes=10 * 1024 * 1024))
    assert error.code == "pdf_stream_too_large"


def test_stream_limit_counts_filter_chains(proposal_pdf: bytes) -> None:
    stream = StreamObject()
    stream[NameObject("/Filter")] = NameObject("/ASCIIHexDecode")
    stream.set_data(b"00" * 5000 + b">")
    data = _with_stream(proposal_pdf, stream)
    assert _error(data, Limits(max_pdf_stream_bytes=4000)).code == "pdf_stream_too_large"
    assert inspect_pdf(data, Limits(max_pdf_stream_bytes=6000)).page_count == 5


def test_plain_streams_are_accepted_below_the_limit(proposal_pdf: bytes) -> None:
    stream = DecodedStreamObject()
    stream.set_data(b"x" * 100)
    assert inspect_pdf(_with_stream(proposal_pdf, stream), LIMITS).page_count == 5


def test_error_codes_are_distinct_subclasses() -> None:
    assert issubclass(EncryptedPdf, InvalidPdf)
    assert _error(b"").status == 422


def _page_of(width: float, height: float) -> bytes:
    from reportlab.pdfgen.canvas import Canvas

    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height), invariant=True)
    canvas.drawString(1, 1, "x")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("width", "height"),
    [(1, 14_400), (200, 14_400), (14_400, 200), (2, 2), (20_000, 20_000), (600, 15_001)],
)
def test_absurd_page_geometry_is_refused(width: float, height: float) -> None:
    error = _error(_page_of(width, height))
    assert (error.code, error.status) == ("pdf_page_geometry", 422)
    assert error.to_dict()["details"]["page"] == 1


@pytest.mark.parametrize(
    ("width", "height"), [(3, 3), (14_400, 14_400), (576, 14_400), (1920, 1080), (226, 800)]
)
def test_unusual_but_sane_page_geometry_is_accepted(width: float, height: float) -> None:
    facts = inspect_pdf(_page_of(width, height), LIMITS)
    assert (facts.pages[0].width, facts.pages[0].height) == (width, height)
