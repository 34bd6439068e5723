"""Decompression-bomb guard: the decoded size of every stream, measured with a bound.

Each stream is decoded through its filter chain with at most `limit + 1` bytes of output ever
held, so a 1 KB stream that inflates to 10 GB costs ~`limit` bytes of memory and stops there.
Image codecs (DCT, JPX, JBIG2, CCITT) are left encoded — nothing on our side decodes them except
the renderer, which rasterises at a bounded size — but a Flate/LZW layer in front of them is
still measured.

`StreamDecoder` decodes each stream at most once per upload: the work budget (`budget.py`)
asks for the content streams' bytes first, the size check then covers every other stream.

Limit: qpdf parses cross-reference and object streams while opening the file, before this check
runs; those are part of the file's structure, not page content, and are bounded by the upload
size only.
"""

from __future__ import annotations

import zlib

import pikepdf
from pypdf.errors import LimitReachedError, PyPdfError
from pypdf.filters import LZWDecode, RunLengthDecode

from tracker.errors import InvalidPdf

__all__ = ["StreamDecoder", "bounded_inflate"]

_CHUNK = 1 << 20
# Errors qpdf/pikepdf and pypdf's pure decoders raise on a malformed stream.
_DECODE_ERRORS: tuple[type[Exception], ...] = (
    pikepdf.PdfError,
    PyPdfError,
    ValueError,
    TypeError,
    KeyError,
    IndexError,
    RuntimeError,
)


class _TooLarge(Exception):
    pass


def bounded_inflate(data: bytes, limit: int) -> bytes:
    """Inflate zlib `data` keeping at most `limit` bytes; raise _TooLarge beyond that."""
    inflater = zlib.decompressobj()
    out = bytearray()
    pending = data
    while pending:
        try:
            chunk = inflater.decompress(pending, min(_CHUNK, limit + 1 - len(out)))
        except zlib.error:
            break  # corrupt tail: as much as decodes, like viewers do
        out += chunk
        if len(out) > limit:
            raise _TooLarge
        pending = inflater.unconsumed_tail
        if not chunk and not pending:
            break
        if inflater.eof:
            break
    return bytes(out)


def _filters(stream: pikepdf.Stream) -> list[str]:
    value = stream.get("/Filter")
    if isinstance(value, pikepdf.Name):
        return [str(value)]
    if isinstance(value, pikepdf.Array):
        return [str(item) for item in value]
    return []


def _decoded_text_size(name: str, data: bytes) -> int:
    """At most how many bytes an ASCIIHex or ASCII85 layer decodes `data` to."""
    if name in ("/ASCIIHexDecode", "/AHx"):
        return len(data) // 2 + 1
    return len(data) + 3 * data.count(b"z")  # "z" is four zero bytes in one character


def _decode(stream: pikepdf.Stream, limit: int, scratch: pikepdf.Pdf) -> tuple[bytes, bool]:
    """(bytes after every generalised filter, whether the chain was fully decoded)."""
    data = bytes(stream.read_raw_bytes())
    for name in _filters(stream):
        if name in ("/FlateDecode", "/Fl"):
            data = bounded_inflate(data, limit)
        elif name in ("/ASCIIHexDecode", "/AHx", "/ASCII85Decode", "/A85"):
            # Bounded before decoding, then decoded by qpdf (C++): pure-Python ASCII85 was
            # most of the time spent on reportlab's files, which use it for every page.
            if _decoded_text_size(name, data) > limit:
                raise _TooLarge
            layer = pikepdf.Stream(scratch, data, Filter=pikepdf.Name(name))
            data = bytes(layer.read_bytes())
        elif name in ("/RunLengthDecode", "/RL", "/LZWDecode", "/LZW"):
            # Rare legacy filters: pypdf's decoders stop at its own 75 MB output cap.
            decoder = RunLengthDecode if name in ("/RunLengthDecode", "/RL") else LZWDecode
            try:
                data = decoder.decode(data)
            except LimitReachedError as exc:
                raise _TooLarge from exc
        else:  # image codecs and unknown filters: measured as stored
            return data, False
        if len(data) > limit:
            raise _TooLarge
    return data, True


class StreamDecoder:
    """Decodes streams of one document, each at most once, refusing any past `limit` bytes."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.measured: set[tuple[int, int]] = set()
        self.decoded_bytes = 0  # work done, for tests and benchmarks
        self._scratch: pikepdf.Pdf | None = None  # owns the text layers qpdf decodes for us

    def close(self) -> None:
        if self._scratch is not None:
            self._scratch.close()
            self._scratch = None

    def content(self, stream: pikepdf.Stream) -> bytes:
        """The decoded bytes of a content stream (an undecodable chain yields b"")."""
        data, complete = self._run(stream)
        return data if complete else b""

    def check_all(self, pdf: pikepdf.Pdf) -> None:
        """Measure every stream not measured yet; raise `pdf_stream_too_large` past the limit."""
        for obj in pdf.objects:
            if isinstance(obj, pikepdf.Stream) and obj.objgen not in self.measured:
                self._run(obj)

    def _run(self, stream: pikepdf.Stream) -> tuple[bytes, bool]:
        key = stream.objgen
        if self._scratch is None:
            self._scratch = pikepdf.new()
        try:
            data, complete = _decode(stream, self.limit, self._scratch)
        except _TooLarge:
            raise InvalidPdf(
                f"stream {key[0]} decodes to more than {self.limit} bytes",
                code="pdf_stream_too_large",
                limit=self.limit,
            ) from None
        except _DECODE_ERRORS as exc:
            raise InvalidPdf(
                f"stream {key[0]} could not be decoded: {exc}", code="corrupt_pdf"
            ) from exc
        if key != (0, 0):
            self.measured.add(key)
        self.decoded_bytes += len(data)
        return data, complete
