"""Per-recipient stamping: a visible line, hidden marks, a link back to the latest version.

Every page gets, inside one ``q … Q`` bracket of its own content, a shared overlay stream (one
per distinct page geometry, written once in the file however many pages use it), plus a link
annotation. The document gets ``/DSLinkId`` in its info dictionary, ``ds:LinkId`` in XMP and a
fixed ``/ID`` derived from the input and the spec — the same inputs give the same bytes.

Input is expected to have passed `inspect_pdf` and `sanitise_pdf` already (once per document
version); stamping does not re-sanitise.
"""

from __future__ import annotations

import hashlib
import io
import zlib

from pypdf import PdfReader, PdfWriter
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    ContentStream,
    DictionaryObject,
    FloatObject,
    IndirectObject,
    NameObject,
    NumberObject,
    PdfObject,
    StreamObject,
    TextStringObject,
)

from tracker.errors import InvalidPdf
from watermark.geometry import Box, PageGeometry, page_geometry
from watermark.overlay import OverlayLayout, build_overlays
from watermark.reading import PARSE_ERRORS, open_pdf
from watermark.spec import WatermarkSpec
from watermark.xmp import merge_xmp

__all__ = ["INFO_KEY", "stamp_pdf"]

INFO_KEY = "/DSLinkId"
_PREFIX = "DSwm"
_RENAMED_OPERATORS = {b"Tf", b"gs", b"Do"}


def _stream(writer: PdfWriter, data: bytes, compress: bool = True) -> IndirectObject:
    stream = StreamObject()
    if compress:
        stream[NameObject("/Filter")] = NameObject("/FlateDecode")
        stream.set_data(zlib.compress(data, 6))
    else:
        stream.set_data(data)
    return writer._add_object(stream)


class _OverlayObjects:
    """The overlay pages' content and resources, cloned once into the writer."""

    def __init__(self, writer: PdfWriter, overlay: PdfReader) -> None:
        self.contents: list[IndirectObject] = []
        self.resources: list[dict[str, dict[str, PdfObject]]] = []
        for page in overlay.pages:
            content = ContentStream(page.get_contents(), overlay)
            for operands, operator in content.operations:
                if operator in _RENAMED_OPERATORS and operands:
                    operands[0] = NameObject(f"/{_PREFIX}{str(operands[0])[1:]}")
            self.contents.append(_stream(writer, content.get_data()))
            resources: dict[str, dict[str, PdfObject]] = {}
            for category, entries in page.get("/Resources", DictionaryObject()).items():
                entries = entries.get_object()
                if category == "/ProcSet" or not isinstance(entries, DictionaryObject):
                    continue
                resources[category] = {
                    f"/{_PREFIX}{name[1:]}": value.clone(writer) for name, value in entries.items()
                }
            self.resources.append(resources)


def _merge_resources(page: DictionaryObject, extra: dict[str, dict[str, PdfObject]]) -> None:
    resources = page.get_inherited("/Resources")
    resources = DictionaryObject() if resources is None else resources.get_object()
    if "/Resources" not in page:
        page[NameObject("/Resources")] = resources
    for category, entries in extra.items():
        current = resources.get(category)
        target = current.get_object() if current is not None else None
        if not isinstance(target, DictionaryObject):
            target = DictionaryObject()
            resources[NameObject(category)] = target
        for name, value in entries.items():
            target[NameObject(name)] = value


def _contents_array(page: DictionaryObject) -> list[PdfObject]:
    raw = page.raw_get("/Contents") if "/Contents" in page else None
    if raw is None:
        return []
    resolved = raw.get_object()
    if isinstance(resolved, ArrayObject):
        return list(resolved)
    return [raw]


def _link_annotation(rect: Box, action: IndirectObject) -> DictionaryObject:
    return DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Annot"),
            NameObject("/Subtype"): NameObject("/Link"),
            NameObject("/Rect"): ArrayObject(FloatObject(round(v, 3)) for v in rect),
            NameObject("/Border"): ArrayObject([NumberObject(0)] * 3),
            NameObject("/F"): NumberObject(4),
            NameObject("/A"): action,
        }
    )


def _add_metadata(writer: PdfWriter, spec: WatermarkSpec) -> None:
    writer.add_metadata({INFO_KEY: spec.link_id})
    root = writer.root_object
    existing: bytes | None = None
    if "/Metadata" in root:
        try:
            current = root["/Metadata"].get_object()
            existing = current.get_data() if isinstance(current, StreamObject) else None
        except PARSE_ERRORS:
            existing = None
    meta = StreamObject()
    meta[NameObject("/Type")] = NameObject("/Metadata")
    meta[NameObject("/Subtype")] = NameObject("/XML")
    meta.set_data(merge_xmp(existing, spec.link_id))
    root[NameObject("/Metadata")] = writer._add_object(meta)


def _file_id(data: bytes, spec: WatermarkSpec) -> ArrayObject:
    digest = hashlib.sha256(data)
    digest.update(repr(spec).encode("utf-8"))
    value = ByteStringObject(digest.digest()[:16])
    return ArrayObject([value, value])


def stamp_pdf(data: bytes, spec: WatermarkSpec) -> bytes:
    """Return `data` stamped for one recipient. Raises InvalidPdf/EncryptedPdf on bad input."""
    reader = open_pdf(data)
    try:
        writer = PdfWriter(clone_from=reader)
        pages = list(writer.pages)
    except PARSE_ERRORS as exc:
        raise InvalidPdf(f"the PDF could not be read: {exc}", code="corrupt_pdf") from exc

    geometries = [page_geometry(page) for page in pages]
    unique = list(dict.fromkeys(geometries))
    overlay_bytes, layouts = build_overlays(spec, unique)
    objects = _OverlayObjects(writer, PdfReader(io.BytesIO(overlay_bytes)))
    by_geometry: dict[PageGeometry, tuple[int, OverlayLayout]] = {
        layout.geometry: (i, layout) for i, layout in enumerate(layouts)
    }

    push = _stream(writer, b"q\n", compress=False)
    pop = _stream(writer, b"\nQ\n", compress=False)
    action = writer._add_object(
        DictionaryObject(
            {
                NameObject("/S"): NameObject("/URI"),
                NameObject("/URI"): TextStringObject(spec.latest_version_url),
            }
        )
    )
    for page, geometry in zip(pages, geometries, strict=True):
        index, layout = by_geometry[geometry]
        contents = _contents_array(page)
        new_contents = [push, *contents, pop] if contents else []
        page[NameObject("/Contents")] = ArrayObject([*new_contents, objects.contents[index]])
        _merge_resources(page, objects.resources[index])
        annots = page.get("/Annots")
        annots = annots.get_object() if annots is not None else None
        if not isinstance(annots, ArrayObject):
            annots = ArrayObject()
            page[NameObject("/Annots")] = annots
        annots.append(writer._add_object(_link_annotation(layout.link_rect, action)))

    _add_metadata(writer, spec)
    writer._ID = _file_id(data, spec)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()
