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
