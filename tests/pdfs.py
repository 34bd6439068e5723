"""Real PDFs for API tests, made with reportlab."""

from __future__ import annotations

import io

from pypdf import PdfWriter
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen.canvas import Canvas

_BODY = (
    "Our proposal covers onboarding, integration with your CRM and twelve months of "
    "support for every sales team in the region."
)


def proposal(pages: int = 4, *, title: str = "Proposal") -> bytes:
    """`pages` pages of prose; the last one is the pricing page."""
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, invariant=True)
    for number in range(1, pages + 1):
        canvas.setFont("Helvetica-Bold", 18)
        heading = "Pricing" if number == pages else f"{title} — section {number}"
        canvas.drawString(72, 770, heading)
        canvas.setFont("Helvetica", 11)
        for line in range(20):
            canvas.drawString(72, 740 - line * 16, _BODY[: 60 + line % 30])
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def encrypted(data: bytes) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(data))
    writer.encrypt("", "owner-secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def with_javascript(data: bytes) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(data))
    writer.add_js("app.alert('hi');")
    writer.add_attachment("payload.exe", b"MZ not really")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def encrypted_with(data: bytes, algorithm: str, user_password: str = "") -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(data))
    writer.encrypt(user_password, "owner-secret", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def shared_heavy_stream(pages: int = 4, content_bytes: int = 24 * 1024 * 1024) -> bytes:
    """A few KB whose pages all draw one stream of `content_bytes` of path operators."""
    import zlib

    import pikepdf

    pdf = pikepdf.new()
    body = b"0 0 m 612 792 l 612 0 l h S\n" * (content_bytes // 28)
    heavy = pdf.make_indirect(
        pikepdf.Stream(pdf, zlib.compress(body, 9), Filter=pikepdf.Name.FlateDecode)
    )
    for _ in range(pages):
        pdf.add_blank_page(page_size=(612, 792)).obj.Contents = heavy
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def sized_page(width: float, height: float) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=(width, height), invariant=True)
    canvas.drawString(0, 0, "x")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()
