"""Opening untrusted PDF bytes with pypdf, translating its errors once, here."""

from __future__ import annotations

import io
import logging

from pypdf import PdfReader
from pypdf.errors import PyPdfError

from tracker.errors import EncryptedPdf, InvalidPdf

__all__ = ["PARSE_ERRORS", "open_pdf"]

# What pypdf raises on malformed input besides its own hierarchy.
PARSE_ERRORS: tuple[type[Exception], ...] = (
    PyPdfError,
    ValueError,
    KeyError,
    IndexError,
    TypeError,
    AttributeError,
    AssertionError,
    RecursionError,
    OverflowError,
    ZeroDivisionError,
)

logging.getLogger("pypdf").setLevel(logging.ERROR)


def open_pdf(data: bytes, *, strict: bool = False, decrypt_empty: bool = False) -> PdfReader:
    """A reader over `data`; raises InvalidPdf (code `corrupt_pdf`) or EncryptedPdf.

    `decrypt_empty` opens files encrypted with an empty user password (for identification of
    leaked copies); uploads are never decrypted."""
    try:
        reader = PdfReader(io.BytesIO(data), strict=strict)
        encrypted = reader.is_encrypted
        if encrypted and decrypt_empty:
            encrypted = not reader.decrypt("")
    except PARSE_ERRORS as exc:
        raise InvalidPdf(f"the PDF could not be parsed: {exc}", code="corrupt_pdf") from exc
    if encrypted:
        raise EncryptedPdf("the PDF is encrypted; upload an unprotected copy")
    return reader
