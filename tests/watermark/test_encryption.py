"""Every encrypted PDF is a 4xx `encrypted_pdf` on upload; leak identification opens the ones
with an empty user password (any algorithm) and refuses the rest the same way — never a 5xx."""

from __future__ import annotations

import io

import pikepdf
import pytest
from pypdf import PdfWriter

from tracker.config import Limits
from tracker.errors import EncryptedPdf
from watermark import identify_pdf, inspect_pdf, prepare_pdf, stamp_pdf
from watermark.spec import WatermarkSpec

ALGORITHMS = ["RC4-40", "RC4-128", "AES-128", "AES-256-R5", "AES-256"]


def _encrypt(data: bytes, algorithm: str, user_password: str) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(data))
    writer.encrypt(user_password=user_password, owner_password="owner", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize("user_password", ["", "secret"])
@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_upload_refuses_every_encryption(
    proposal_pdf: bytes, algorithm: str, user_password: str
) -> None:
    data = _encrypt(proposal_pdf, algorithm, user_password)
    for check in (inspect_pdf, prepare_pdf):
        with pytest.raises(EncryptedPdf) as info:
            check(data, Limits())
        assert (info.value.code, info.value.status) == ("encrypted_pdf", 422)


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_identify_opens_empty_password_copies(
    proposal_pdf: bytes, spec: WatermarkSpec, algorithm: str
) -> None:
    leaked = _encrypt(stamp_pdf(proposal_pdf, spec), algorithm, "")
    result = identify_pdf(leaked)
    assert result.link_id == spec.link_id
    assert result.page_count == 5


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_identify_refuses_password_protected_copies(
    proposal_pdf: bytes, spec: WatermarkSpec, algorithm: str
) -> None:
    leaked = _encrypt(stamp_pdf(proposal_pdf, spec), algorithm, "secret")
    with pytest.raises(EncryptedPdf) as info:
        identify_pdf(leaked)
    assert (info.value.code, info.value.status) == ("encrypted_pdf", 422)


def test_an_unknown_security_handler_is_encrypted_not_corrupt(proposal_pdf: bytes) -> None:
    """A /Encrypt dictionary no library implements: pypdf raises NotImplementedError from
    decrypt, which used to escape as a 500."""
    data = _encrypt(proposal_pdf, "RC4-128", "")
    with pikepdf.open(io.BytesIO(data)) as pdf:
        assert pdf.is_encrypted
    patched = data.replace(b"/Filter /Standard", b"/Filter /AcmeSecurity")
    assert patched != data
    with pytest.raises(EncryptedPdf):
        inspect_pdf(patched, Limits())
    with pytest.raises(EncryptedPdf):
        identify_pdf(patched)
