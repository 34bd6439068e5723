from __future__ import annotations

import hashlib
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
from watermark import inspect_pdf, prepare_pdf, sanitise_pdf

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


def _keys_anywhere(data: bytes) -> set[str]:
    """Every dictionary key in every object qpdf reads from `data` (object streams too)."""
    import pikepdf

    keys: set[str] = set()
    with pikepdf.open(io.BytesIO(data)) as pdf:
        stack: list[object] = [pdf.trailer, *pdf.objects]
        while stack:
            item = stack.pop()
            if isinstance(item, pikepdf.Array):
                stack.extend(v for v in item if not getattr(v, "is_indirect", False))
            elif isinstance(item, pikepdf.Dictionary | pikepdf.Stream):
                keys.update(item.keys())
                stack.extend(v for v in item.values() if not getattr(v, "is_indirect", False))
    return keys


def test_clean_files_are_stored_as_uploaded(proposal_pdf: bytes, form_pdf: bytes) -> None:
    for data in (proposal_pdf, form_pdf):
        prepared = prepare_pdf(data, Limits())
        assert prepared.data is data and not prepared.rewritten
        assert prepared.facts.active_content == ()


def test_active_files_are_rewritten_and_say_what_went(active_pdf: bytes) -> None:
    prepared = prepare_pdf(active_pdf, Limits())
    assert prepared.rewritten
    assert {"/OpenAction", "/JavaScript", "/AA", "/A /Launch", "/A /URI"} <= set(
        prepared.facts.active_content
    )
    assert "/Annots /FileAttachment" in prepared.facts.active_content
    assert not {"/JS", "/AA", "/OpenAction", "/JavaScript", "/EmbeddedFiles"} & _keys_anywhere(
        prepared.data
    )
    assert prepared.facts.sha256 == hashlib.sha256(prepared.data).hexdigest()
    assert inspect_pdf(active_pdf, Limits()).active_content == prepared.facts.active_content


def test_escaped_names_do_not_hide_an_open_action(proposal_pdf: bytes) -> None:
    """`/Open#41ction` is `/OpenAction` to every reader; a byte search would miss it."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(proposal_pdf)))
    writer.root_object[NameObject("/Qqqqqqqqqqqq")] = _action("/JavaScript", JS="app.alert(1)")
    out = io.BytesIO()
    writer.write(out)
    hidden = out.getvalue().replace(b"/Qqqqqqqqqqqq", b"/Open#41ction")  # same length
    assert b"/OpenAction" not in hidden
    clean = sanitise_pdf(hidden)
    assert b"app.alert" not in clean
    assert "/OpenAction" not in _keys_anywhere(clean)


def test_an_action_type_behind_a_reference_is_still_seen(proposal_pdf: bytes) -> None:
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(proposal_pdf)))
    kind = writer._add_object(NameObject("/Launch"))
    action = DictionaryObject({NameObject("/S"): kind, NameObject("/F"): TextStringObject("x")})
    writer.pages[0][NameObject("/Annots")] = ArrayObject(
        [writer._add_object(_link((10, 10, 50, 50), action))]
    )
    out = io.BytesIO()
    writer.write(out)
    prepared = prepare_pdf(out.getvalue(), Limits())
    assert "/A /Launch" in prepared.facts.active_content
    assert b"/Launch" not in prepared.data


def test_earlier_revisions_are_dropped(proposal_pdf: bytes) -> None:
    """An incremental update keeps the previous revision in the file, where a reader's
    "previous version" can still find it."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(proposal_pdf)))
    writer.pages[0][NameObject("/PieceInfo")] = TextStringObject("first revision secret")
    first = io.BytesIO()
    writer.write(first)
    update = PdfWriter(first, incremental=True)
    del update.pages[0][NameObject("/PieceInfo")]
    second = io.BytesIO()
    update.write(second)
    data = second.getvalue()
    assert b"first revision secret" in data and data.count(b"%%EOF") == 2
    prepared = prepare_pdf(data, Limits())
    assert prepared.rewritten
    assert b"first revision secret" not in prepared.data
