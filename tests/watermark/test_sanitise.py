from __future__ import annotations

import io

import pytest
from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    DictionaryObject,
    FloatObject,
    NameObject,
    TextStringObject,
)

from tracker.config import Limits
from watermark import inspect_pdf, sanitise_pdf

FORBIDDEN = [b"/JS", b"/OpenAction", b"/EmbeddedFiles", b"/JavaScript", b"/Launch", b"/AA"]


def _action(kind: str, **entries: str) -> DictionaryObject:
    action = DictionaryObject({NameObject("/S"): NameObject(kind)})
    for key, value in entries.items():
        action[NameObject(f"/{key}")] = TextStringObject(value)
    return action


def _link(rect: tuple[float, float, float, float], action: DictionaryObject) -> DictionaryObject:
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject(FloatObject(v) for v in rect),
            NameObject("/A"): action,
        }
    )


@pytest.fixture(scope="module")
def active_pdf(proposal_pdf: bytes) -> bytes:
    """The proposal with every kind of active content we strip, plus one safe link."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(proposal_pdf)))
    writer.add_attachment("payload.exe", b"MZ not really an exe")
    root = writer.root_object
    script = writer._add_object(_action("/JavaScript", JS="app.alert('hello');"))
    names = root["/Names"].get_object()
    assert isinstance(names, DictionaryObject)
    names[NameObject("/JavaScript")] = DictionaryObject(
        {NameObject("/Names"): ArrayObject([TextStringObject("init"), script])}
    )
    root[NameObject("/OpenAction")] = _action("/JavaScript", JS="app.launchURL('x');")
    root[NameObject("/AA")] = DictionaryObject({NameObject("/WC"): _action("/JavaScript", JS="1")})
    page = writer.pages[0]
    page[NameObject("/AA")] = DictionaryObject({NameObject("/O"): _action("/Launch", F="calc")})
    annotations = [
        _link((10, 10, 50, 50), _action("/URI", URI="javascript:alert(1)")),
        _link((60, 10, 100, 50), _action("/Launch", F="cmd.exe")),
        _link((110, 10, 150, 50), _action("/URI", URI="https://example.com/pricing")),
    ]
    page[NameObject("/Annots")] = ArrayObject(writer._add_object(a) for a in annotations)
    writer.add_annotation(
        0,
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Annot"),
                NameObject("/Subtype"): NameObject("/FileAttachment"),
                NameObject("/Rect"): ArrayObject(FloatObject(v) for v in (200, 10, 220, 30)),
            }
        ),
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_active_content_is_present_before(active_pdf: bytes) -> None:
    assert inspect_pdf(active_pdf, Limits()).page_count == 5  # validation accepts it
    for token in FORBIDDEN:
        assert token in active_pdf, token


def test_sanitised_has_no_active_content(active_pdf: bytes) -> None:
    clean = sanitise_pdf(active_pdf)
    for token in FORBIDDEN:
        assert token not in clean, token
    assert b"javascript:" not in clean.lower()
    assert b"/FileAttachment" not in clean
    assert b"MZ not really" not in clean


def test_sanitised_keeps_content_and_safe_links(active_pdf: bytes) -> None:
    clean = sanitise_pdf(active_pdf)
    reader = PdfReader(io.BytesIO(clean))
    assert len(reader.pages) == 5
    assert "Proposal page 1" in reader.pages[0].extract_text()
    annotations = [a.get_object() for a in reader.pages[0].annotations or []]
    uris = [str(a["/A"]["/URI"]) for a in annotations if "/A" in a]
    assert uris == ["https://example.com/pricing"]


def test_sanitise_keeps_forms_working(form_pdf: bytes) -> None:
    clean = sanitise_pdf(form_pdf)
    fields = PdfReader(io.BytesIO(clean)).get_fields()
    assert fields is not None
    assert {"company", "agree"} <= set(fields)


def test_sanitise_is_idempotent_on_clean_files(proposal_pdf: bytes) -> None:
    once = sanitise_pdf(proposal_pdf)
    assert sanitise_pdf(once) == once
