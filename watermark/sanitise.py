"""Strip active content from a PDF before any customer receives it.

Removed, wherever they appear in the object graph reachable from the catalog:

* JavaScript: ``/JS`` entries, the ``/JavaScript`` name tree, actions of type JavaScript;
* automatic actions: ``/OpenAction`` and every ``/AA`` (document, page, annotation, field);
* attachments: the ``/EmbeddedFiles`` name tree, ``/EF`` and ``/AF`` entries, portfolios
  (``/Collection``), FileAttachment, RichMedia, Screen, Movie and Sound annotations;
* dangerous actions: Launch, ImportData, SubmitForm, GoToR, GoToE, RichMediaExecute,
  Rendition, and URI actions whose target is not http(s)/mailto (``javascript:``, ``file:``);
* XFA form streams (scriptable) and ``/NeedsRendering``.

Links to http(s) and mailto, bookmarks, forms (AcroForm fields without scripts) and page
content are kept. Unreachable objects are dropped and the result is re-validated.
"""

from __future__ import annotations

import io

from pypdf import PdfWriter
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, PdfObject

from tracker.config import Limits
from tracker.errors import InvalidPdf
from watermark.reading import PARSE_ERRORS, open_pdf
from watermark.validate import inspect_pdf

__all__ = ["sanitise_pdf"]

_DROP_KEYS = {
    "/JS",
    "/AA",
    "/OpenAction",
    "/JavaScript",
    "/EmbeddedFiles",
    "/EF",
    "/AF",
    "/Collection",
    "/XFA",
    "/NeedsRendering",
}
_BAD_ACTIONS = {
    "/JavaScript",
    "/Launch",
    "/ImportData",
    "/SubmitForm",
    "/GoToR",
    "/GoToE",
    "/RichMediaExecute",
    "/Rendition",
}
_BAD_ANNOTATIONS = {"/FileAttachment", "/RichMedia", "/Screen", "/Movie", "/Sound"}
_SAFE_URI_SCHEMES = ("http://", "https://", "mailto:")


def _safe_uri(value: PdfObject) -> bool:
    raw = str(value.get_object())
    cleaned = "".join(ch for ch in raw if ch > " ").lower()
    return cleaned.startswith(_SAFE_URI_SCHEMES)


def _bad_action(value: PdfObject | None) -> bool:
    action = value.get_object() if value is not None else None
    if not isinstance(action, DictionaryObject):
        return False
    kind = str(action.get("/S", ""))
    if kind in _BAD_ACTIONS:
        return True
    return kind == "/URI" and not _safe_uri(action.get("/URI", ""))


def _clean_dict(node: DictionaryObject) -> None:
    for key in [k for k in node if k in _DROP_KEYS]:
        del node[key]
    if "/A" in node and _bad_action(node["/A"]):
        del node["/A"]
    if "/Next" in node:
        nxt = node["/Next"].get_object()
        items = list(nxt) if isinstance(nxt, ArrayObject) else [nxt]
        if any(_bad_action(item) for item in items):
            del node["/Next"]
    annots = node.get("/Annots")
    annots = annots.get_object() if annots is not None else None
    if isinstance(annots, ArrayObject):
        keep = [
            a for a in annots if str(a.get_object().get("/Subtype", "")) not in _BAD_ANNOTATIONS
        ]
        if len(keep) != len(annots):
            node[next(k for k in node if k == "/Annots")] = ArrayObject(keep)


def _walk(writer: PdfWriter) -> set[int]:
    """Clean every object reachable from the catalog; return the reachable object numbers."""
    stack: list[PdfObject | None] = [writer.root_object]
    seen: set[int] = set()
    while stack:
        item = stack.pop()
        if isinstance(item, IndirectObject):
            if item.idnum in seen:
                continue
            seen.add(item.idnum)
            item = item.get_object()
        if isinstance(item, DictionaryObject):
            _clean_dict(item)
            stack.extend(value for key, value in item.items() if key != "/Parent")
        elif isinstance(item, ArrayObject):
            stack.extend(item)
    return seen


def _drop_unreachable(writer: PdfWriter, reachable: set[int]) -> None:
    # pypdf's own orphan removal only drops objects nothing at all points to, so a removed
    # attachment's file spec would keep its (unreachable) file stream alive.
    keep = set(reachable)
    for anchor in (writer.root_object, writer._info):
        if anchor is not None and anchor.indirect_reference is not None:
            keep.add(anchor.indirect_reference.idnum)
    for index in range(len(writer._objects)):
        if index + 1 not in keep:
            writer._objects[index] = None


def sanitise_pdf(data: bytes, limits: Limits | None = None) -> bytes:
    """Return `data` without active content (see module docstring); the output is validated
    with `inspect_pdf` before it is returned."""
    limits = limits or Limits()
    reader = open_pdf(data)
    try:
        writer = PdfWriter(clone_from=reader)
        _drop_unreachable(writer, _walk(writer))
        out = io.BytesIO()
        writer.write(out)
    except PARSE_ERRORS as exc:
        raise InvalidPdf(f"the PDF could not be sanitised: {exc}", code="corrupt_pdf") from exc
    result = out.getvalue()
    inspect_pdf(result, limits)
    return result
