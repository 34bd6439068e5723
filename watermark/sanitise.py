"""Strip active content from a PDF before any customer receives it.

Removed, wherever they appear in the file:

* JavaScript: ``/JS`` entries, the ``/JavaScript`` name tree, actions of type JavaScript;
* automatic actions: ``/OpenAction`` and every ``/AA`` (document, page, annotation, field);
* attachments: the ``/EmbeddedFiles`` name tree, ``/EF`` and ``/AF`` entries, portfolios
  (``/Collection``), FileAttachment, RichMedia, Screen, Movie and Sound annotations;
* dangerous actions: Launch, ImportData, SubmitForm, GoToR, GoToE, RichMediaExecute,
  Rendition, and URI actions whose target is not http(s)/mailto (``javascript:``, ``file:``);
* XFA form streams (scriptable) and ``/NeedsRendering``.

Links to http(s) and mailto, bookmarks, forms (AcroForm fields without scripts) and page
content are kept. Cleaning runs over every object qpdf (pikepdf) reads — reachable or not —
and never decodes a stream. A file is rewritten (by qpdf: reachable objects only, streams
copied byte for byte) when something was removed or when it holds earlier revisions of an
incremental update, which could still be recovered; otherwise the bytes are kept as uploaded.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import pikepdf

__all__ = ["ActiveContent", "find_active_content", "rewrite"]

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


@dataclass(frozen=True, slots=True)
class ActiveContent:
    """What cleaning removed (e.g. ``/OpenAction``, ``/A /Launch``, ``/Annots /Sound``) and
    whether the file holds earlier revisions (an incremental update) a rewrite drops."""

    removed: tuple[str, ...]
    earlier_revisions: bool

    @property
    def needs_rewrite(self) -> bool:
        return bool(self.removed) or self.earlier_revisions


_UNPRINTABLE = {code: None for code in range(0x21)}
_KEYS_ACTED_ON = _DROP_KEYS | {"/A", "/Next", "/Annots"}
# Any key `_clean` acts on, as qpdf prints it (names canonical, #-escapes decoded). Strings
# are not skipped: a URL naming "/JavaScript" only costs a closer look.
_CANDIDATE = re.compile(
    rb"/(?:"
    + b"|".join(re.escape(key[1:].encode()) for key in sorted(_KEYS_ACTED_ON))
    + rb")(?![^\x00\t\n\x0c\r ()<>\[\]{}/%])"
)


def _safe_uri(value: object) -> bool:
    if not isinstance(value, pikepdf.String):
        return False
    return str(value).translate(_UNPRINTABLE).lower().startswith(_SAFE_URI_SCHEMES)


def _bad_action(value: object) -> str | None:
    if isinstance(value, pikepdf.Stream):
        value = value.stream_dict
    if not isinstance(value, pikepdf.Dictionary):
        return None
    kind = str(value.get("/S", ""))
    if kind in _BAD_ACTIONS:
        return kind
    if kind == "/URI" and not _safe_uri(value.get("/URI")):
        return "/URI"
    return None


def _clean(node: pikepdf.Dictionary | pikepdf.Stream, removed: set[str]) -> None:
    keys = set(node.keys())
    if keys.isdisjoint(_KEYS_ACTED_ON):
        return
    for key in keys & _DROP_KEYS:
        del node[key]
        removed.add(key)
    if "/A" in keys and (kind := _bad_action(node.get("/A"))) is not None:
        del node["/A"]
        removed.add(f"/A {kind}")
    if "/Next" in keys:
        following = node.get("/Next")
        items = list(following) if isinstance(following, pikepdf.Array) else [following]
        kinds = [kind for item in items if (kind := _bad_action(item)) is not None]
        if kinds:
            del node["/Next"]
            removed.update(f"/Next {kind}" for kind in kinds)
    annotations = node.get("/Annots") if "/Annots" in keys else None
    if isinstance(annotations, pikepdf.Array):
        keep, dropped = [], []
        for annotation in annotations:
            subtype = (
                str(annotation.get("/Subtype", ""))
                if isinstance(annotation, pikepdf.Dictionary)
                else ""
            )
            if subtype in _BAD_ANNOTATIONS:
                dropped.append(subtype)
            else:
                keep.append(annotation)
        if dropped:
            node["/Annots"] = pikepdf.Array(keep)
            removed.update(f"/Annots {subtype}" for subtype in dropped)


def _clean_within(root: pikepdf.Object, removed: set[str], text: bytes | None = None) -> None:
    """Clean `root` and the direct objects nested in it; indirect ones are cleaned on their
    own turn (every object of the file gets one). When `text` (qpdf's print of `root`) names
    no acted-on key beyond `root`'s own keys, nothing nested can need cleaning."""
    if text is not None and isinstance(root, pikepdf.Dictionary | pikepdf.Stream):
        own = len(_KEYS_ACTED_ON.intersection(root.keys()))
        _clean(root, removed)
        if len(_CANDIDATE.findall(text)) <= own:
            return
        stack: list[object] = [v for v in root.values() if _is_direct_container(v)]
    else:
        stack = [root]
    while stack:
        item = stack.pop()
        if isinstance(item, pikepdf.Array):
            stack.extend(value for value in item if _is_direct_container(value))
        elif isinstance(item, pikepdf.Dictionary | pikepdf.Stream):
            _clean(item, removed)
            stack.extend(value for value in item.values() if _is_direct_container(value))


def _is_direct_container(value: object) -> bool:
    return (
        isinstance(value, pikepdf.Dictionary | pikepdf.Array | pikepdf.Stream)
        and not value.is_indirect
    )


def find_active_content(pdf: pikepdf.Pdf, data: bytes) -> ActiveContent:
    """Remove active content from every object of `pdf` in memory (see module docstring),
    reachable or not, and report it. qpdf prints each object (C++); only the few whose text
    holds a key that cleaning acts on are looked at from Python."""
    removed: set[str] = set()
    _clean_within(pdf.trailer, removed)
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Dictionary | pikepdf.Stream | pikepdf.Array):
            continue
        text = obj.unparse(resolved=True)
        if _CANDIDATE.search(text) is not None:
            _clean_within(obj, removed, text)
    return ActiveContent(
        removed=tuple(sorted(removed)),
        earlier_revisions=data.rstrip().count(b"%%EOF") > 1,
    )


def rewrite(pdf: pikepdf.Pdf) -> bytes:
    """Serialise `pdf` with qpdf: reachable objects only, streams copied without decoding."""
    out = io.BytesIO()
    pdf.save(
        out,
        stream_decode_level=pikepdf.StreamDecodeLevel.none,
        compress_streams=False,
        object_stream_mode=pikepdf.ObjectStreamMode.preserve,
        deterministic_id=True,
        fix_metadata_version=False,
    )
    return out.getvalue()
