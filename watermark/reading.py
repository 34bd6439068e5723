"""Opening untrusted PDF bytes, translating each library's errors once, here.

Two readers, each where it is strongest: qpdf (through pikepdf, C++) for the object graph on the
upload path — structure, stream sizes, the work budget, sanitising and writing — and pypdf for
the pure-Python tasks that already read with it (stamping and leak identification).
"""

from __future__ import annotations

import io
import logging

import pikepdf
from pypdf import PdfReader
from pypdf.errors import PyPdfError

from tracker.errors import EncryptedPdf, InvalidPdf

__all__ = ["PARSE_ERRORS", "open_objects", "open_pdf"]

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
    NotImplementedError,  # e.g. "Unsupported filter /FlateDecodÕ" from extract_text
)
# pypdf raises these from `decrypt` for handlers or algorithms it does not implement, and
# DependencyError (a PyPdfError) when `cryptography` is missing for AES.
_DECRYPT_ERRORS: tuple[type[Exception], ...] = PARSE_ERRORS

logging.getLogger("pypdf").setLevel(logging.ERROR)

_ENCRYPTED = "the PDF is encrypted; upload an unprotected copy"


def open_pdf(data: bytes, *, strict: bool = False, decrypt_empty: bool = False) -> PdfReader:
    """A pypdf reader over `data`; raises InvalidPdf (code `corrupt_pdf`) or EncryptedPdf.

    `decrypt_empty` opens files encrypted with an empty user password (for identification of
    leaked copies); uploads are never decrypted. A file that needs a password, or uses an
    encryption we cannot undo, is EncryptedPdf either way — never a parse error."""
    try:
        reader = PdfReader(io.BytesIO(data), strict=strict)
        encrypted = reader.is_encrypted
    except NotImplementedError as exc:
        if b"/Encrypt" in data:  # pypdf reads /Encrypt while opening
            raise EncryptedPdf(_ENCRYPTED, reason=str(exc)[:200]) from exc
        raise InvalidPdf(f"the PDF could not be parsed: {exc}", code="corrupt_pdf") from exc
    except PARSE_ERRORS as exc:
        raise InvalidPdf(f"the PDF could not be parsed: {exc}", code="corrupt_pdf") from exc
    if encrypted and decrypt_empty:
        try:
            encrypted = not reader.decrypt("")
        except _DECRYPT_ERRORS as exc:
            raise EncryptedPdf(_ENCRYPTED, reason=type(exc).__name__) from exc
    if encrypted:
        raise EncryptedPdf(_ENCRYPTED)
    return reader


def open_objects(data: bytes) -> pikepdf.Pdf:
    """The object graph of `data` (qpdf). Any encryption — even an empty user password, which
    qpdf would silently undo — is EncryptedPdf; unparseable bytes are InvalidPdf `corrupt_pdf`."""
    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError as exc:
        raise EncryptedPdf(_ENCRYPTED) from exc
    except (pikepdf.PdfError, RuntimeError, ValueError) as exc:
        if b"/Encrypt" in data[-4096:] or b"/Encrypt" in data[:4096]:
            raise EncryptedPdf(_ENCRYPTED, reason=str(exc)[:200]) from exc
        raise InvalidPdf(f"the PDF could not be parsed: {exc}", code="corrupt_pdf") from exc
    if pdf.is_encrypted:
        pdf.close()
        raise EncryptedPdf(_ENCRYPTED)
    return pdf
