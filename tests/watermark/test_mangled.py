"""Mangled PDFs (random byte edits of real files, fixed seed) get an InvalidPdf code from
upload and identification — never another exception, which the API would turn into a 500.
Seed 7 found `NotImplementedError: Unsupported filter /FlateDecodÕ` escaping identify."""

from __future__ import annotations

import io
import random

import pikepdf
import pytest

from tests.pdfs import proposal, with_javascript
from tracker.config import Limits
from tracker.errors import InvalidPdf
from watermark import identify_pdf, prepare_pdf

_INSERTS = [b"/JS", b" 0 R", b"<<", b">>", b"[", b"]", b"(", b"9999999999", b"/Type/Page", b"-1"]


def _seeds() -> list[bytes]:
    packed = io.BytesIO()
    with pikepdf.open(io.BytesIO(proposal(3))) as pdf:
        pdf.save(packed, object_stream_mode=pikepdf.ObjectStreamMode.generate)
    return [proposal(3), with_javascript(proposal(2)), packed.getvalue()]


def _mangled(count: int, seed: int) -> list[bytes]:
    rng, seeds, out = random.Random(seed), _seeds(), []
    for _ in range(count):
        data = bytearray(rng.choice(seeds))
        for _ in range(rng.randint(1, 20)):
            at, roll = rng.randrange(len(data)), rng.random()
            if roll < 0.5:
                data[at] = rng.randrange(256)
            elif roll < 0.75:
                del data[at : at + rng.randint(1, 50)]
            else:
                data[at:at] = rng.choice(_INSERTS)
        out.append(bytes(data) + b"\n%%EOF\n")
    return out


@pytest.mark.parametrize("check", ["prepare", "identify"])
def test_mangled_files_are_refused_with_a_code_or_read(check: str) -> None:
    outcomes: set[str] = set()
    for data in _mangled(60, seed=7):
        try:
            if check == "prepare":
                prepare_pdf(data, Limits())
            else:
                identify_pdf(data)
            outcomes.add("read")
        except InvalidPdf as error:
            assert error.status in (413, 422)
            outcomes.add(error.code)
    assert "read" in outcomes and len(outcomes) > 1  # both paths were exercised
