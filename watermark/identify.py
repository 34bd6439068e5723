"""Leak attribution: which tracked link a copy of a stamped PDF came from.

Marks, from weakest to strongest, and what removes them (measured by tests/watermark):

    mark            carrier                               survives
    metadata        /Info /DSLinkId                        qpdf (plain, --qdf, object streams) —
                                                           lost to metadata stripping, page
                                                           extraction (pypdf, qpdf --pages) and
                                                           Ghostscript pdfwrite
    xmp             catalog /Metadata ds:LinkId            qpdf (all modes) — lost to metadata
                                                           stripping, page extraction, Ghostscript
    invisible_text  render-mode-3 text on every page,      metadata stripping, qpdf (plain, --qdf,
                    "DS-MARK:<id>:<crc32>"                 object streams), Ghostscript pdfwrite
                                                           (gs 10), any page subset
    micro_text      white 0.75 pt text on every page,      all of the above; also tools that drop
                    "dsw1<base32(id+crc32)>"               or flatten invisible text
                                                           (drawn in normal render mode)

In-content marks carry a CRC-32, so random text never decodes to a link id.

What does NOT survive: anything that turns pages into pixels — printing and scanning, screenshots,
"print to image"/rasterising, or OCR of such images (the micro-text is white, sub-point type).
The visible stamp still names the recipient there, but it is not machine-read here. Text
deliberately removed by an editor (e.g. `gs -dFILTERTEXT`) removes both in-content marks.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from enum import StrEnum

from pypdf import PdfReader
from pypdf.generic import DictionaryObject, StreamObject

from watermark.payload import decode_invisible, decode_micro
from watermark.reading import PARSE_ERRORS, open_pdf
from watermark.stamp import INFO_KEY
from watermark.xmp import read_link_ids

__all__ = ["Confidence", "Identification", "Mark", "MarkFinding", "identify_pdf"]


class Mark(StrEnum):
    METADATA = "metadata"
    XMP = "xmp"
    INVISIBLE_TEXT = "invisible_text"
    MICRO_TEXT = "micro_text"


class Confidence(StrEnum):
    """`high`: a checksummed in-content mark found, all marks agree on one link.
    `low`: only document metadata (unchecksummed and trivially edited) names a link.
    `conflict`: marks name different links (pages of two copies merged, or tampering).
    `none`: no mark found."""

    HIGH = "high"
    LOW = "low"
    CONFLICT = "conflict"
    NONE = "none"


_IN_CONTENT = {Mark.INVISIBLE_TEXT, Mark.MICRO_TEXT}


@dataclass(frozen=True, slots=True)
class MarkFinding:
    """One mark naming one link; `pages` are 1-based (empty for document-level marks)."""

    mark: Mark
    link_id: str
    pages: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class Identification:
    link_ids: tuple[str, ...]  # most-supported first
    findings: tuple[MarkFinding, ...]
    page_count: int
    confidence: Confidence

    @property
    def link_id(self) -> str | None:
        """The single identified link, or None when nothing or conflicting links were found."""
        return self.link_ids[0] if len(self.link_ids) == 1 else None

    @property
    def marks(self) -> frozenset[Mark]:
        return frozenset(finding.mark for finding in self.findings)

    @property
    def consistent(self) -> bool:
        return len(self.link_ids) == 1


def _metadata(reader: PdfReader) -> list[MarkFinding]:
    try:
        info = reader.trailer.get("/Info")
        info = info.get_object() if info is not None else None
        value = info.get(INFO_KEY) if isinstance(info, DictionaryObject) else None
    except PARSE_ERRORS:
        return []
    return [MarkFinding(Mark.METADATA, str(value))] if value else []


def _xmp(reader: PdfReader) -> list[MarkFinding]:
    try:
        stream = reader.root_object.get("/Metadata")
        stream = stream.get_object() if stream is not None else None
        packet = stream.get_data() if isinstance(stream, StreamObject) else b""
    except PARSE_ERRORS:
        return []
    return [MarkFinding(Mark.XMP, link_id) for link_id in read_link_ids(packet)]


def _page_marks(reader: PdfReader) -> tuple[list[MarkFinding], int]:
    pages: dict[tuple[Mark, str], list[int]] = {}
    count = 0
    for number, page in enumerate(reader.pages, start=1):
        count = number
        try:
            text = page.extract_text()
        except PARSE_ERRORS:
            continue
        for mark, decode in (
            (Mark.INVISIBLE_TEXT, decode_invisible),
            (Mark.MICRO_TEXT, decode_micro),
        ):
            for link_id in decode(text):
                pages.setdefault((mark, link_id), []).append(number)
    findings = [MarkFinding(mark, link_id, tuple(nums)) for (mark, link_id), nums in pages.items()]
    return findings, count


def identify_pdf(data: bytes) -> Identification:
    """Find every dealsignal mark in `data`. Raises InvalidPdf when it cannot be parsed at all;
    files encrypted with an empty user password are opened."""
    reader = open_pdf(data, decrypt_empty=True)
    findings = _metadata(reader) + _xmp(reader)
    try:
        page_findings, count = _page_marks(reader)
    except PARSE_ERRORS:
        page_findings, count = [], 0
    findings = page_findings + findings

    support = Counter(f.link_id for f in findings)
    link_ids = tuple(link_id for link_id, _ in support.most_common())
    if not link_ids:
        confidence = Confidence.NONE
    elif len(link_ids) > 1:
        confidence = Confidence.CONFLICT
    elif any(f.mark in _IN_CONTENT for f in findings):
        confidence = Confidence.HIGH
    else:
        confidence = Confidence.LOW
    return Identification(link_ids, tuple(findings), count, confidence)
