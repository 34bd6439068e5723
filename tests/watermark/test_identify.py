"""Leak identification through every transformation we claim to survive. The expected mark
sets are what was measured (gs 10.0, qpdf 11.3, pypdf 6); a change means the docstring table
in watermark/identify.py must change too."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from pypdf import PdfReader, PdfWriter

from watermark import Confidence, Mark, WatermarkSpec, identify_pdf, stamp_pdf

from .conftest import RunTool

ALL = {Mark.METADATA, Mark.XMP, Mark.INVISIBLE_TEXT, Mark.MICRO_TEXT}
IN_CONTENT = {Mark.INVISIBLE_TEXT, Mark.MICRO_TEXT}


def _write(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _strip_metadata(data: bytes) -> bytes:
    """What exiftool-style stripping does: a new info dict, no XMP."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(data)))
    del writer.root_object["/Metadata"]
    writer.metadata = {"/Producer": "stripper"}
    return _write(writer)


def _page_two_only(data: bytes) -> bytes:
    writer = PdfWriter()
    writer.add_page(PdfReader(io.BytesIO(data)).pages[1])
    return _write(writer)


Transform = Callable[[bytes, RunTool], bytes]
TRANSFORMS: dict[str, tuple[Transform, set[Mark]]] = {
    "untouched": (lambda d, run: d, ALL),
    "metadata_stripped": (lambda d, run: _strip_metadata(d), IN_CONTENT),
    "pypdf_page_subset": (lambda d, run: _page_two_only(d), IN_CONTENT),
    "qpdf": (lambda d, run: run("qpdf", d, ["{src}", "{out}"]), ALL),
    "qpdf_qdf": (lambda d, run: run("qpdf", d, ["--qdf", "{src}", "{out}"]), ALL),
    "qpdf_object_streams": (
        lambda d, run: run("qpdf", d, ["--object-streams=generate", "{src}", "{out}"]),
        ALL,
    ),
    "qpdf_page_subset": (
        lambda d, run: run("qpdf", d, ["--empty", "--pages", "{src}", "2", "--", "{out}"]),
        IN_CONTENT,
    ),
    "ghostscript_pdfwrite": (
        lambda d, run: run(
            "gs",
            d,
            ["-q", "-dNOPAUSE", "-dBATCH", "-sDEVICE=pdfwrite", "-sOutputFile={out}", "{src}"],
        ),
        IN_CONTENT,
    ),
}


@pytest.fixture(scope="module")
def stamped(proposal_pdf: bytes) -> bytes:
    spec = WatermarkSpec(
        link_id="lnk_01JD5Q8ZK3X4M7N2P9R6T0VWYA",
        recipient_name="王总",
        recipient_email="wang@example.cn",
        date="2025-03-14",
        latest_version_url="https://docs.example.com/l/abc123",
    )
    return stamp_pdf(proposal_pdf, spec)


@pytest.mark.parametrize("name", list(TRANSFORMS))
def test_identifies_after(name: str, stamped: bytes, run_tool: RunTool) -> None:
    transform, expected_marks = TRANSFORMS[name]
    result = identify_pdf(transform(stamped, run_tool))
    assert result.link_id == "lnk_01JD5Q8ZK3X4M7N2P9R6T0VWYA"
    assert result.marks == expected_marks
    assert result.confidence is Confidence.HIGH
    for finding in result.findings:
        if finding.mark in IN_CONTENT:
            assert len(finding.pages) == result.page_count  # every page carries the mark


def test_unstamped_file_has_no_marks(proposal_pdf: bytes) -> None:
    result = identify_pdf(proposal_pdf)
    assert (result.link_ids, result.confidence, result.link_id) == ((), Confidence.NONE, None)


def test_metadata_only_is_low_confidence(proposal_pdf: bytes) -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(proposal_pdf)))
    writer.add_metadata({"/DSLinkId": "lnk_forged"})
    result = identify_pdf(_write(writer))
    assert result.link_id == "lnk_forged"
    assert result.confidence is Confidence.LOW


def test_pages_from_two_copies_conflict(proposal_pdf: bytes, spec: WatermarkSpec) -> None:
    import dataclasses

    first = stamp_pdf(proposal_pdf, spec)
    second = stamp_pdf(proposal_pdf, dataclasses.replace(spec, link_id="lnk_second"))
    writer = PdfWriter()
    writer.add_page(PdfReader(io.BytesIO(first)).pages[0])
    writer.add_page(PdfReader(io.BytesIO(second)).pages[1])
    result = identify_pdf(_write(writer))
    assert set(result.link_ids) == {spec.link_id, "lnk_second"}
    assert result.confidence is Confidence.CONFLICT
    assert not result.consistent


def test_leaked_copy_encrypted_with_empty_password(stamped: bytes) -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(stamped)))
    writer.encrypt(user_password="", owner_password="x", algorithm="RC4-128")
    assert identify_pdf(_write(writer)).link_id == "lnk_01JD5Q8ZK3X4M7N2P9R6T0VWYA"
