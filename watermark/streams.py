"""Decompression-bomb guard: the decoded size of every stream, measured with a bound.

Each stream is decoded through its filter chain with at most `limit + 1` bytes of output ever
held, so a 1 KB stream that inflates to 10 GB costs ~`limit` bytes of memory and stops there.
Image codecs (DCT, JPX, JBIG2, CCITT) are left encoded — nothing on our side decodes them except
the renderer, which rasterises at a bounded size — but a Flate/LZW layer in front of them is
still measured.

Limit: pypdf parses cross-reference streams while opening the file, before this check runs; it
caps those at its own 75 MB decompression limit.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterator

from pypdf import PdfReader
from pypdf.errors import LimitReachedError
from pypdf.filters import ASCII85Decode, ASCIIHexDecode, LZWDecode, RunLengthDecode
from pypdf.generic import ArrayObject, NameObject, StreamObject

from tracker.errors import InvalidPdf
from watermark.reading import PARSE_ERRORS

__all__ = ["bounded_inflate", "check_stream_sizes", "iter_streams"]

_CHUNK = 1 << 20
_IMAGE_FILTERS = {"/DCTDecode", "/DCT", "/JPXDecode", "/JBIG2Decode", "/CCITTFaxDecode", "/CCF"}


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


def _filters(stream: StreamObject) -> list[str]:
    value = stream.get("/Filter")
    value = value.get_object() if value is not None else None
    if isinstance(value, NameObject):
        return [str(value)]
    if isinstance(value, ArrayObject):
        return [str(item.get_object()) for item in value]
    return []


def _decoded_size(stream: StreamObject, limit: int) -> int:
    data = stream._data
    for name in _filters(stream):
        if name in ("/FlateDecode", "/Fl"):
            data = bounded_inflate(data, limit)
        elif name in ("/ASCIIHexDecode", "/AHx"):
            data = ASCIIHexDecode.decode(data)
        elif name in ("/ASCII85Decode", "/A85"):
            data = ASCII85Decode.decode(data)
        elif name in ("/RunLengthDecode", "/RL", "/LZWDecode", "/LZW"):
            # Rare legacy filters: pypdf's decoders stop at its own 75 MB output cap.
            decoder = RunLengthDecode if name in ("/RunLengthDecode", "/RL") else LZWDecode
            try:
                data = decoder.decode(data)
            except LimitReachedError as exc:
                raise _TooLarge from exc
        else:  # image codecs and unknown filters: measured as stored
            return len(data)
    return len(data)


def iter_streams(reader: PdfReader) -> Iterator[tuple[int, StreamObject]]:
    """Every stream among the file's top-level objects (streams never live in object streams)."""
    for generation, entries in reader.xref.items():
        for idnum in entries:
            try:
                obj = reader.get_object(idnum)
            except PARSE_ERRORS:
                continue
            if isinstance(obj, StreamObject):
                yield idnum, obj
        del generation


def check_stream_sizes(reader: PdfReader, limit: int) -> None:
    """Raise InvalidPdf(code ``pdf_stream_too_large``) if any stream decodes past `limit`."""
    for idnum, stream in iter_streams(reader):
        try:
            size = _decoded_size(stream, limit)
        except _TooLarge:
            size = limit + 1
        except PARSE_ERRORS as exc:
            raise InvalidPdf(
                f"stream {idnum} could not be decoded: {exc}", code="corrupt_pdf"
            ) from exc
        if size > limit:
            raise InvalidPdf(
                f"stream {idnum} decodes to more than {limit} bytes",
                code="pdf_stream_too_large",
                limit=limit,
            )
