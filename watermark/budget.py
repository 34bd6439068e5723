"""Work budget for page content: refuse a PDF whose pages would make pdfium parse more than
`Limits.max_pdf_content_bytes` of content, before anything parses a page.

What is charged, in decoded bytes (pdfium parses content at 7–30 MB/s on this class of machine,
so bytes bound both CPU time and the operators processed):

* every page's content streams — a stream shared by N pages is charged N times, because each
  page parses it again (the 3.6 KB "four pages, one heavy stream" bomb);
* each ``Do`` of a form XObject: the form's own cost again, recursively (forms inside forms
  multiply, which is how a few KB become billions of operators); a form that draws itself
  (pdfium re-enters it — a 788-byte file with two self-invocations hung its text pass) and
  forms nested deeper than `MAX_FORM_DEPTH` are refused;
* every ``Do`` costs `_INVOCATION_COST` besides, so a million image invocations are not free;
* once per page: Type 3 glyph programs of fonts, tiling pattern cells and annotation
  appearance streams reachable from the page (pdfium parses them once per page at most).

``Do`` operators are found by a byte scan of the decoded stream, which may over-count (the text
"/X Do" inside a string) but never under-counts. Each stream is decoded at most once
(`StreamDecoder`), and charging stops at the first byte past the limit.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator

import pikepdf

from tracker.errors import InvalidPdf
from watermark.streams import StreamDecoder

__all__ = ["MAX_FORM_DEPTH", "ContentBudget"]

MAX_FORM_DEPTH = 32
_INVOCATION_COST = 256
_DELIMITERS = rb"\x00\t\n\x0c\r ()<>\[\]{}/%"
_DO = re.compile(rb"/([^" + _DELIMITERS + rb"]+)[\x00\t\n\x0c\r ]*Do(?![^" + _DELIMITERS + rb"])")
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")

ObjGen = tuple[int, int]
_OWN_RESOURCES: ObjGen = (-1, -1)
_NO_RESOURCES: ObjGen = (-2, -2)
# A stream charged once per page, with the resources its names resolve against.
_Once = tuple[pikepdf.Stream, pikepdf.Dictionary | None]


class _Exceeded(Exception):
    pass


def _name(raw: bytes) -> str:
    if b"#" in raw:
        raw = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), raw)
    return "/" + raw.decode("latin-1")


def _streams(value: object) -> Iterator[pikepdf.Stream]:
    if isinstance(value, pikepdf.Stream):
        yield value
    elif isinstance(value, pikepdf.Array | pikepdf.Dictionary):
        items = value if isinstance(value, pikepdf.Array) else value.values()
        yield from (item for item in items if isinstance(item, pikepdf.Stream))


def _dict(value: object) -> pikepdf.Dictionary | None:
    if isinstance(value, pikepdf.Dictionary):
        return value
    if isinstance(value, pikepdf.Stream):
        return value.stream_dict
    return None


def _once_per_page(resources: pikepdf.Dictionary | None) -> Iterator[_Once]:
    """Type 3 glyph programs and tiling pattern cells named by `resources`."""
    if resources is None:
        return
    fonts = _dict(resources.get("/Font"))
    for value in fonts.values() if fonts is not None else ():
        font = _dict(value)
        if font is not None and font.get("/Subtype") == "/Type3":
            glyph_resources = _dict(font.get("/Resources")) or resources
            yield from ((glyph, glyph_resources) for glyph in _streams(font.get("/CharProcs")))
    patterns = _dict(resources.get("/Pattern"))
    for pattern in patterns.values() if patterns is not None else ():
        if isinstance(pattern, pikepdf.Stream) and pattern.get("/PatternType") == 1:
            yield pattern, resources


class ContentBudget:
    """Charges pages of one document against `limit` decoded bytes; `charged` is the work
    the pages would cost (what tests and benchmarks read)."""

    def __init__(self, decoder: StreamDecoder, limit: int) -> None:
        self.decoder = decoder
        self.limit = limit
        self.charged = 0
        self._scans: dict[ObjGen, tuple[int, Counter[str]]] = {}
        self._forms: dict[tuple[ObjGen, ObjGen], tuple[int, tuple[_Once, ...]]] = {}
        self._active: set[ObjGen] = set()

    def charge_pages(self, pdf: pikepdf.Pdf) -> None:
        """Charge every page; raise InvalidPdf (`pdf_too_complex`, 422) past the limit."""
        try:
            for page in pdf.pages:
                self._charge_page(page.obj)
        except _Exceeded as exc:
            raise InvalidPdf(
                f"the pages hold more than {self.limit} bytes of drawing instructions "
                f"(counting each use of a shared stream){exc.args[0] if exc.args else ''}",
                code="pdf_too_complex",
                limit=self.limit,
            ) from None

    def _add(self, amount: int) -> None:
        self.charged += amount
        if self.charged > self.limit:
            raise _Exceeded

    def _charge_page(self, page: pikepdf.Dictionary) -> None:
        resources = _dict(page.get("/Resources"))
        pending: list[_Once] = []
        for stream in _streams(page.get("/Contents")):
            cost, once = self._content(stream, resources, 0)
            self._add(cost)
            pending.extend(once)
        annotations = page.get("/Annots")
        for annotation in annotations if isinstance(annotations, pikepdf.Array) else ():
            states = annotation.get("/AP") if isinstance(annotation, pikepdf.Dictionary) else None
            normal = states.get("/N") if isinstance(states, pikepdf.Dictionary) else None
            pending.extend((stream, resources) for stream in _streams(normal))
        charged_here: set[ObjGen] = set()
        while pending:  # a worklist, not recursion: glyphs may name their own font again
            stream, names = pending.pop()
            if stream.objgen in charged_here:
                continue
            charged_here.add(stream.objgen)
            cost, once = self._form(stream, names, 0)
            self._add(cost)
            pending.extend(once)

    def _scan(self, stream: pikepdf.Stream) -> tuple[int, Counter[str]]:
        key = stream.objgen
        if key in self._scans:
            return self._scans[key]
        data = self.decoder.content(stream)
        names: Counter[str] = Counter()
        if b"Do" in data:
            for seen, match in enumerate(_DO.finditer(data), start=1):
                names[_name(match.group(1))] += 1
                if seen * _INVOCATION_COST > self.limit:
                    raise _Exceeded
        result = (len(data), names)
        self._scans[key] = result
        return result

    def _content(
        self, stream: pikepdf.Stream, resources: pikepdf.Dictionary | None, depth: int
    ) -> tuple[int, tuple[_Once, ...]]:
        """(cost per use, streams to charge once per page) of one content stream."""
        size, invocations = self._scan(stream)
        cost = size
        once = list(_once_per_page(resources))
        xobjects = _dict(resources.get("/XObject")) if resources is not None else None
        for name, count in invocations.items():
            cost += count * _INVOCATION_COST
            target = xobjects.get(name) if xobjects is not None else None
            if isinstance(target, pikepdf.Stream) and target.get("/Subtype") == "/Form":
                form_cost, form_once = self._form(target, resources, depth + 1)
                cost += count * form_cost
                once.extend(form_once)
            if cost > self.limit:
                raise _Exceeded
        return cost, tuple(once)

    def _form(
        self, form: pikepdf.Stream, inherited: pikepdf.Dictionary | None, depth: int
    ) -> tuple[int, tuple[_Once, ...]]:
        if depth > MAX_FORM_DEPTH:
            raise _Exceeded(f"; forms nest more than {MAX_FORM_DEPTH} deep")
        own = _dict(form.get("/Resources"))
        resources = own if own is not None else inherited
        # Names resolve against the form's own resources, or else against its caller's: only
        # an inherited direct dictionary has no identity to remember the result by.
        if own is not None:
            key = (form.objgen, _OWN_RESOURCES)
        else:
            key = (form.objgen, resources.objgen if resources is not None else _NO_RESOURCES)
        if key in self._forms:
            return self._forms[key]
        if form.objgen in self._active:
            # pdfium re-enters it, level after level: two self-invocations are 2^depth work.
            raise _Exceeded("; a form draws itself")
        self._active.add(form.objgen)
        try:
            result = self._content(form, resources, depth)
        finally:
            self._active.discard(form.objgen)
        if key[1] != (0, 0):
            self._forms[key] = result
        return result
